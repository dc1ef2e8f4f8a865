package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"facelogin/recognition"
)

// TemplateKind says how a template came to be.
type TemplateKind string

const (
	// KindEnrolment: stored by a registration, a re-registration, `enrol
	// --add` or an import. Adaptation never replaces one.
	KindEnrolment TemplateKind = "enrolment"
	// KindAdaptive: the frame of a live login, stored by AddAdaptive.
	KindAdaptive TemplateKind = "adaptive"
)

// Template is one opened face template, ready for the matcher.
type Template struct {
	ID         int64
	UserID     int64
	Username   string // shared by all templates of a user
	Disabled   bool   // the user is disabled: a match must be refused
	Quality    float32
	Kind       TemplateKind
	Created    time.Time
	Descriptor recognition.Descriptor
}

// scanTemplateRow reads a template row's kind, created_at and sealed bytes
// after the columns in dest, and returns its binding for user, named name.
func scanTemplateRow(sc interface{ Scan(...any) error }, tp *Template, name, modelID string, sealed *[]byte, dest ...any) (binding, error) {
	var kind string
	var created int64
	if err := sc.Scan(append(dest, &kind, &created, sealed)...); err != nil {
		return binding{}, err
	}
	tp.Kind, tp.Created = TemplateKind(kind), fromMicros(created)
	return binding{userID: tp.UserID, nameKey: usernameKey(name), modelID: modelID, kind: tp.Kind, created: created}, nil
}

// Skipped is a template row that could not be used, and why. Skipped rows are
// also logged; they never stop a load.
type Skipped struct {
	TemplateID int64
	UserID     int64
	Reason     string
}

// Gallery is every template of one model, as of one generation.
type Gallery struct {
	ModelID    string
	Generation int64
	Templates  []Template
	Skipped    []Skipped
	// OtherModels counts templates made by other models: they are never
	// compared with this model's descriptors; their users must enrol again.
	OtherModels int
}

// Templates reads face templates.
type Templates struct{ s *Store }

// Load opens every template of modelID in one consistent read. A row that
// does not open (altered, moved to another user, corrupted) is skipped with a
// logged reason.
func (t *Templates) Load(ctx context.Context, modelID string) (*Gallery, error) {
	s := t.s
	g := &Gallery{ModelID: modelID}
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT generation FROM store_state WHERE id = 1").Scan(&g.Generation); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM face_templates").Scan(&n); err != nil {
			return err
		}
		g.Templates = make([]Template, 0, n)
		rows, err := tx.QueryContext(ctx, `SELECT t.id, t.user_id, u.username, u.disabled, t.quality, t.kind, t.created_at, t.sealed
			FROM face_templates t JOIN users u ON u.id = t.user_id
			WHERE t.model_id = ? ORDER BY t.id`, modelID)
		if err != nil {
			return err
		}
		defer rows.Close()
		names := map[int64]string{}
		var sealed []byte
		for rows.Next() {
			var tp Template
			var name string
			b, err := scanTemplateRow(rows, &tp, "", modelID, &sealed, &tp.ID, &tp.UserID, &name, &tp.Disabled, &tp.Quality)
			if err != nil {
				return err
			}
			if prev, ok := names[tp.UserID]; ok {
				name = prev
			} else {
				names[tp.UserID] = name
			}
			tp.Username = name
			b.userID, b.nameKey = tp.UserID, usernameKey(name)
			tp.Descriptor, err = s.seal.openFor(sealed, b)
			if err != nil {
				g.skip(s, tp.ID, tp.UserID, err)
				continue
			}
			g.Templates = append(g.Templates, tp)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		g.OtherModels = n - len(g.Templates) - len(g.Skipped)
		return nil
	})
	if err != nil {
		return nil, s.wrap("load templates", err)
	}
	return g, nil
}

func (g *Gallery) skip(s *Store, id, userID int64, err error) {
	g.Skipped = append(g.Skipped, Skipped{TemplateID: id, UserID: userID, Reason: err.Error()})
	s.log.Warn("store: skipped face template", "template", id, "user", userID, "reason", err)
}

// ForUser returns a user and their templates of modelID, for verification
// against one claimed identity. Rows that do not open are skipped and logged.
func (t *Templates) ForUser(ctx context.Context, username, modelID string) (User, []Template, error) {
	s := t.s
	var user User
	var ts []Template
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		user, err = getUser(ctx, tx, username)
		if err != nil {
			return err
		}
		ts, err = s.userTemplates(ctx, tx, user, modelID)
		return err
	})
	if err != nil {
		return User{}, nil, s.wrap("templates for user", err)
	}
	return user, ts, nil
}

// userTemplates opens every template of user of modelID, in tx. Rows that
// do not open are skipped and logged.
func (s *Store) userTemplates(ctx context.Context, tx *sql.Tx, user User, modelID string) ([]Template, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, quality, kind, created_at, sealed FROM face_templates
		WHERE user_id = ? AND model_id = ? ORDER BY id`, user.ID, modelID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ts []Template
	for rows.Next() {
		tp := Template{UserID: user.ID, Username: user.Username, Disabled: user.Disabled}
		var sealed []byte
		b, err := scanTemplateRow(rows, &tp, user.Username, modelID, &sealed, &tp.ID, &tp.Quality)
		if err != nil {
			return nil, err
		}
		tp.Descriptor, err = s.seal.openFor(sealed, b)
		if err != nil {
			s.log.Warn("store: skipped face template", "template", tp.ID, "user", user.ID, "reason", err)
			continue
		}
		ts = append(ts, tp)
	}
	return ts, rows.Err()
}

func (s *Store) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// Watch keeps a matcher current. It loads modelID's gallery and returns it;
// then, until ctx ends or the store is closed, it calls apply with a fresh
// gallery whenever this process changes users or templates, or when the
// generation counter moved (checked every interval; other stations). A failed
// reload is logged and retried at the next tick; apply keeps the last good
// gallery meanwhile. apply runs on Watch's goroutine, one call at a time.
func (s *Store) Watch(ctx context.Context, modelID string, every time.Duration, apply func(*Gallery)) (*Gallery, error) {
	if every <= 0 {
		return nil, fmt.Errorf("store: watch: interval %v", every)
	}
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.watchers = append(s.watchers, ch)
	s.mu.Unlock()
	g, err := s.Templates.Load(ctx, modelID)
	if err != nil {
		s.unwatch(ch)
		return nil, err
	}
	go func() {
		defer s.unwatch(ch)
		tick := time.NewTicker(every)
		defer tick.Stop()
		gen := g.Generation
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.closed:
				return
			case <-ch:
			case <-tick.C:
				cur, err := s.Generation(ctx)
				if err != nil {
					s.log.Warn("store: watch: check generation", "err", err)
					continue
				}
				if cur == gen {
					continue
				}
			}
			ng, err := s.Templates.Load(ctx, modelID)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("store: watch: reload templates", "err", err)
				}
				continue
			}
			gen = ng.Generation
			apply(ng)
		}
	}()
	return g, nil
}

func (s *Store) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (s *Store) unwatch(ch chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.watchers {
		if c == ch {
			s.watchers = append(s.watchers[:i], s.watchers[i+1:]...)
			return
		}
	}
}
