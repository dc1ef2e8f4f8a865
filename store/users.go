package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"facelogin/recognition"
)

// MaxTemplatesPerCall bounds how many templates one Enroll or AddTemplates
// may store.
const MaxTemplatesPerCall = 100

// User is one enrolled person.
type User struct {
	ID          int64
	Username    string // as typed at enrolment or rename
	DisplayName string
	Disabled    bool
	Created     time.Time
	Updated     time.Time
	Templates   int       // templates of any model
	LastLogin   time.Time // zero: never logged in
}

// NewTemplate is a descriptor to store, with the quality score the
// registration gate gave its frame.
type NewTemplate struct {
	Descriptor recognition.Descriptor
	Quality    float32
}

// Enrollment is a new user with the templates of their registration.
type Enrollment struct {
	Username    string
	DisplayName string // "" is the username
	ModelID     string // which model made the descriptors
	Templates   []NewTemplate
}

// Users manages users. Every change is one transaction and one audit event.
type Users struct{ s *Store }

// Enroll creates a user with their templates, all or nothing. It fails with
// ErrExists when the name (compared case-insensitively) is taken and with
// ErrInvalidName or ErrBadTemplate on bad input.
func (u *Users) Enroll(ctx context.Context, e Enrollment) (User, error) {
	name, err := normalizeUsername(e.Username)
	if err != nil {
		return User{}, fmt.Errorf("store: enroll: %w", err)
	}
	if e.DisplayName == "" {
		e.DisplayName = name
	}
	display, err := normalizeDisplayName(e.DisplayName)
	if err != nil {
		return User{}, fmt.Errorf("store: enroll: %w", err)
	}
	if err := checkTemplates(e.ModelID, e.Templates); err != nil {
		return User{}, fmt.Errorf("store: enroll: %w", err)
	}
	s := u.s
	var user User
	err = s.change(ctx, "enroll", func(tx *sql.Tx) error {
		t := now()
		id, err := insertUser(ctx, tx, name, display, t)
		if err != nil {
			return err
		}
		if s.testHookInTx != nil {
			s.testHookInTx()
		}
		if err := s.insertTemplates(ctx, tx, id, e.ModelID, "", e.Templates, t); err != nil {
			return err
		}
		user = User{ID: id, Username: name, DisplayName: display, Created: fromMicros(t), Updated: fromMicros(t), Templates: len(e.Templates)}
		return s.recordTx(ctx, tx, Event{Kind: EventRegister, UserID: id, Username: name,
			Detail: fmt.Sprintf("%d templates, model %s", len(e.Templates), e.ModelID)})
	})
	if err != nil {
		return User{}, err
	}
	return user, nil
}

// AddTemplates stores more templates for an existing user (re-registration,
// or a new model).
func (u *Users) AddTemplates(ctx context.Context, username, modelID string, ts []NewTemplate) error {
	if err := checkTemplates(modelID, ts); err != nil {
		return fmt.Errorf("store: add templates: %w", err)
	}
	s := u.s
	return s.change(ctx, "add templates", func(tx *sql.Tx) error {
		user, err := getUser(ctx, tx, username)
		if err != nil {
			return err
		}
		if err := s.insertTemplates(ctx, tx, user.ID, modelID, "", ts, now()); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, Event{Kind: EventTemplatesAdded, UserID: user.ID, Username: user.Username,
			Detail: fmt.Sprintf("%d templates, model %s", len(ts), modelID)})
	})
}

// ReplaceTemplates swaps all of a user's templates (of every model) for new
// ones, all or nothing: a re-registration.
func (u *Users) ReplaceTemplates(ctx context.Context, username, modelID string, ts []NewTemplate) error {
	if err := checkTemplates(modelID, ts); err != nil {
		return fmt.Errorf("store: replace templates: %w", err)
	}
	s := u.s
	return s.change(ctx, "replace templates", func(tx *sql.Tx) error {
		user, err := getUser(ctx, tx, username)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM face_templates WHERE user_id = ?", user.ID); err != nil {
			return err
		}
		if s.testHookInTx != nil {
			s.testHookInTx()
		}
		if err := s.insertTemplates(ctx, tx, user.ID, modelID, "", ts, now()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET updated_at = ? WHERE id = ?", now(), user.ID); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, Event{Kind: EventReRegister, UserID: user.ID, Username: user.Username,
			Detail: fmt.Sprintf("%d templates replaced by %d, model %s", user.Templates, len(ts), modelID)})
	})
}

// CheckName says whether a username may be registered now: nil, or an error
// wrapping ErrInvalidName or ErrExists. Enroll checks again; this is for
// telling someone before the camera work starts.
func (u *Users) CheckName(ctx context.Context, username string) error {
	name, err := normalizeUsername(username)
	if err != nil {
		return fmt.Errorf("store: check name: %w", err)
	}
	var n int
	if err := u.s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE username_key = ?", usernameKey(name)).Scan(&n); err != nil {
		return u.s.wrap("check name", err)
	}
	if n > 0 {
		return fmt.Errorf("store: check name: %w: %q", ErrExists, name)
	}
	return nil
}

func checkTemplates(modelID string, ts []NewTemplate) error {
	switch {
	case modelID == "" || len(modelID) > 64:
		return fmt.Errorf("%w: model id %q: want 1-64 bytes", ErrBadTemplate, modelID)
	case len(ts) == 0:
		return fmt.Errorf("%w: no templates", ErrBadTemplate)
	case len(ts) > MaxTemplatesPerCall:
		return fmt.Errorf("%w: %d templates, at most %d per call", ErrBadTemplate, len(ts), MaxTemplatesPerCall)
	}
	return nil
}

// insertUser inserts an enabled user with no templates and returns its id;
// ErrExists when the username is taken.
func insertUser(ctx context.Context, tx *sql.Tx, name, display string, at int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO users (username, username_key, display_name, disabled, created_at, updated_at)
		VALUES (?, ?, ?, 0, ?, ?)`, name, usernameKey(name), display, at, at)
	if uniqueViolation(err) {
		return 0, fmt.Errorf("%w: %q", ErrExists, name)
	}
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (s *Store) insertTemplates(ctx context.Context, tx *sql.Tx, userID int64, modelID, source string, ts []NewTemplate, at int64) error {
	for i := range ts {
		sealed, err := s.seal.sealDescriptor(&ts[i].Descriptor, userID, modelID)
		if err != nil {
			return fmt.Errorf("template %d: %w", i, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO face_templates (user_id, model_id, quality, source, sealed, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, userID, modelID, ts[i].Quality, source, sealed, at); err != nil {
			return err
		}
	}
	return nil
}

// queryer is what *sql.DB and *sql.Tx share.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const userColumns = `u.id, u.username, u.display_name, u.disabled, u.created_at, u.updated_at,
	(SELECT COUNT(*) FROM face_templates t WHERE t.user_id = u.id),
	(SELECT MAX(e.at) FROM auth_events e WHERE e.user_id = u.id AND e.kind = 'login_success')`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, updated int64
	var last sql.NullInt64
	err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Disabled, &created, &updated, &u.Templates, &last)
	u.Created, u.Updated = fromMicros(created), fromMicros(updated)
	if last.Valid {
		u.LastLogin = fromMicros(last.Int64)
	}
	return u, err
}

func getUser(ctx context.Context, q queryer, username string) (User, error) {
	name, err := normalizeUsername(username)
	if err != nil {
		return User{}, err
	}
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users u WHERE u.username_key = ?", usernameKey(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("%w: user %q", ErrNotFound, name)
	}
	return u, err
}

// Get finds a user by name, case-insensitively.
func (u *Users) Get(ctx context.Context, username string) (User, error) {
	user, err := getUser(ctx, u.s.db, username)
	if err != nil {
		return User{}, u.s.wrap("get user", err)
	}
	return user, nil
}

// List returns every user, ordered by name.
func (u *Users) List(ctx context.Context) ([]User, error) {
	rows, err := u.s.db.QueryContext(ctx, "SELECT "+userColumns+" FROM users u ORDER BY u.username_key")
	if err != nil {
		return nil, u.s.wrap("list users", err)
	}
	defer rows.Close()
	var users []User
	for rows.Next() {
		user, err := scanUser(rows)
		if err != nil {
			return nil, u.s.wrap("list users", err)
		}
		users = append(users, user)
	}
	if err := rows.Err(); err != nil {
		return nil, u.s.wrap("list users", err)
	}
	return users, nil
}

// Rename gives a user a new name; their templates stay valid (they are bound
// to the user's id). Renaming to another spelling of the same name ("ann" to
// "Ann") is allowed.
func (u *Users) Rename(ctx context.Context, oldName, newName string) (User, error) {
	name, err := normalizeUsername(newName)
	if err != nil {
		return User{}, fmt.Errorf("store: rename user: %w", err)
	}
	var user User
	err = u.s.change(ctx, "rename user", func(tx *sql.Tx) error {
		old, err := getUser(ctx, tx, oldName)
		if err != nil {
			return err
		}
		t := now()
		_, err = tx.ExecContext(ctx, "UPDATE users SET username = ?, username_key = ?, updated_at = ? WHERE id = ?",
			name, usernameKey(name), t, old.ID)
		if uniqueViolation(err) {
			return fmt.Errorf("%w: %q", ErrExists, name)
		}
		if err != nil {
			return err
		}
		user = old
		user.Username, user.Updated = name, fromMicros(t)
		return u.s.recordTx(ctx, tx, Event{Kind: EventRename, UserID: old.ID, Username: name,
			Detail: fmt.Sprintf("renamed from %s", old.Username)})
	})
	return user, err
}

// SetDisabled disables or enables a user. A disabled user's templates stay in
// the gallery (flagged), so their face is recognised and refused rather than
// matched to a lookalike.
func (u *Users) SetDisabled(ctx context.Context, username string, disabled bool) error {
	return u.s.change(ctx, "disable user", func(tx *sql.Tx) error {
		user, err := getUser(ctx, tx, username)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", disabled, now(), user.ID); err != nil {
			return err
		}
		kind := EventEnable
		if disabled {
			kind = EventDisable
		}
		return u.s.recordTx(ctx, tx, Event{Kind: kind, UserID: user.ID, Username: user.Username})
	})
}

// Delete removes a user and every template of theirs in one transaction. The
// audit log keeps the deletion.
func (u *Users) Delete(ctx context.Context, username string) error {
	return u.s.change(ctx, "delete user", func(tx *sql.Tx) error {
		user, err := getUser(ctx, tx, username)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM face_templates WHERE user_id = ?", user.ID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if u.s.testHookInTx != nil {
			u.s.testHookInTx()
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM users WHERE id = ?", user.ID); err != nil {
			return err
		}
		return u.s.recordTx(ctx, tx, Event{Kind: EventDelete, UserID: user.ID, Username: user.Username,
			Detail: fmt.Sprintf("%d templates deleted", n)})
	})
}
