package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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
	// Duplicates: refuse a face already enrolled under another name,
	// checked in the same transaction as the insert (see DuplicateCheck).
	// The zero value checks nothing.
	Duplicates DuplicateCheck
}

// Users manages users. Every change is one transaction and one audit event.
type Users struct{ s *Store }

// Enroll creates a user with their templates, all or nothing. It fails with
// ErrExists when the name (compared case-insensitively) is taken, with
// ErrConfusableName (also ErrExists) when it looks like an existing name,
// with a *DuplicateError (ErrDuplicateFace) when e.Duplicates refuses the
// face, and with ErrInvalidName or ErrBadTemplate on bad input.
func (u *Users) Enroll(ctx context.Context, e Enrollment) (User, error) {
	user, _, err := u.EnrollChecked(ctx, e)
	return user, err
}

// EnrollChecked is Enroll that also returns the existing users the face
// matched when e.Duplicates.Allow let the enrolment through (empty
// otherwise): the caller warns about them.
func (u *Users) EnrollChecked(ctx context.Context, e Enrollment) (User, []Duplicate, error) {
	name, err := normalizeUsername(e.Username)
	if err != nil {
		return User{}, nil, fmt.Errorf("store: enroll: %w", err)
	}
	if e.DisplayName == "" {
		e.DisplayName = name
	}
	display, err := normalizeDisplayName(e.DisplayName)
	if err != nil {
		return User{}, nil, fmt.Errorf("store: enroll: %w", err)
	}
	if err := checkTemplates(e.ModelID, e.Templates); err != nil {
		return User{}, nil, fmt.Errorf("store: enroll: %w", err)
	}
	s := u.s
	var user User
	var dups []Duplicate
	err = s.change(ctx, "enroll", func(tx *sql.Tx) error {
		// change has taken the generation row's lock: every other
		// enrolment, at this station or another, waits here, so the look
		// for duplicates and the insert are one atomic step.
		var err error
		if dups, err = s.findDuplicates(ctx, tx, e.ModelID, e.Templates, e.Duplicates.Threshold, 0); err != nil {
			return err
		}
		if len(dups) > 0 && !e.Duplicates.Allow {
			return &DuplicateError{Duplicate: dups[0], Threshold: e.Duplicates.Threshold}
		}
		t := s.now()
		id, err := insertUser(ctx, tx, name, display, t)
		if err != nil {
			return err
		}
		if s.testHookInTx != nil {
			s.testHookInTx()
		}
		if err := s.insertTemplates(ctx, tx, id, name, e.ModelID, "", e.Templates, t); err != nil {
			return err
		}
		user = User{ID: id, Username: name, DisplayName: display, Created: fromMicros(t), Updated: fromMicros(t), Templates: len(e.Templates)}
		for _, d := range dups {
			detail := fmt.Sprintf("enrolled although the face is %.3f from existing user %s (threshold %.3f): duplicate allowed", d.Distance, d.Username, e.Duplicates.Threshold)
			s.log.Warn("store: "+detail, "user", name)
			if err := s.recordTx(ctx, tx, Event{Kind: EventDuplicateAllowed, UserID: id, Username: name, Distance: d.Distance, HasDistance: true, Detail: detail}); err != nil {
				return err
			}
		}
		return s.recordTx(ctx, tx, Event{Kind: EventRegister, UserID: id, Username: name,
			Detail: fmt.Sprintf("%s, model %s", templatesN(len(e.Templates)), e.ModelID)})
	})
	if err != nil {
		return User{}, nil, err
	}
	return user, dups, nil
}

// AddTemplates stores more templates for an existing user (re-registration,
// or a new model), without looking for duplicate faces.
func (u *Users) AddTemplates(ctx context.Context, username, modelID string, ts []NewTemplate) error {
	_, err := u.AddTemplatesChecked(ctx, username, modelID, ts, DuplicateCheck{})
	return err
}

// ReplaceTemplates swaps all of a user's templates (of every model) for new
// ones, all or nothing: a re-registration.
func (u *Users) ReplaceTemplates(ctx context.Context, username, modelID string, ts []NewTemplate) error {
	return u.ReplaceTemplatesChecked(ctx, username, modelID, ts, 0)
}

// ReplaceTemplatesChecked is ReplaceTemplates that refuses, with a
// *DuplicateError (ErrDuplicateFace), new templates within threshold of
// another user's (0 checks nothing): a re-registration is the same person
// in new conditions, not someone else's face. The look and the swap are one
// transaction under the change lock, as in EnrollChecked.
func (u *Users) ReplaceTemplatesChecked(ctx context.Context, username, modelID string, ts []NewTemplate, threshold float32) error {
	if err := checkTemplates(modelID, ts); err != nil {
		return fmt.Errorf("store: replace templates: %w", err)
	}
	s := u.s
	defer s.scrub(ctx)
	return s.change(ctx, "replace templates", func(tx *sql.Tx) error {
		user, err := getUser(ctx, tx, username)
		if err != nil {
			return err
		}
		dups, err := s.findDuplicates(ctx, tx, modelID, ts, threshold, user.ID)
		if err != nil {
			return err
		}
		if len(dups) > 0 {
			return &DuplicateError{Duplicate: dups[0], Threshold: threshold}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM face_templates WHERE user_id = ?", user.ID); err != nil {
			return err
		}
		if s.testHookInTx != nil {
			s.testHookInTx()
		}
		if err := s.insertTemplates(ctx, tx, user.ID, user.Username, modelID, "", ts, s.now()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET updated_at = ? WHERE id = ?", s.now(), user.ID); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, Event{Kind: EventReRegister, UserID: user.ID, Username: user.Username,
			Detail: fmt.Sprintf("%s replaced by %d, model %s", templatesN(user.Templates), len(ts), modelID)})
	})
}

// CheckName says whether a username may be registered now: nil, or an error
// wrapping ErrInvalidName, ErrExists or ErrConfusableName. Enroll checks
// again; this is for telling someone before the camera work starts.
func (u *Users) CheckName(ctx context.Context, username string) error {
	name, err := normalizeUsername(username)
	if err != nil {
		return fmt.Errorf("store: check name: %w", err)
	}
	if err := checkNameFree(ctx, u.s.db, name, 0); err != nil {
		return u.s.wrap("check name", err)
	}
	return nil
}

// checkNameFree fails with ErrExists when name is taken by a user other than
// self (0: none), or with ErrConfusableName when its confusable skeleton is
// another user's. Every user's name is compared: skeletons depend on
// Unicode's data, so they are computed, not stored.
func checkNameFree(ctx context.Context, q queryer, name string, self int64) error {
	key, skel := usernameKey(name), nameSkeleton(name)
	rows, err := q.QueryContext(ctx, "SELECT id, username FROM users")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var other string
		if err := rows.Scan(&id, &other); err != nil {
			return err
		}
		switch {
		case id == self:
		case usernameKey(other) == key:
			return fmt.Errorf("%w: %q", ErrExists, name)
		case nameSkeleton(other) == skel:
			return confusableError{name, other}
		}
	}
	return rows.Err()
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
// ErrExists when the username is taken, ErrConfusableName when it looks like
// a taken one.
func insertUser(ctx context.Context, tx *sql.Tx, name, display string, at int64) (int64, error) {
	if err := checkNameFree(ctx, tx, name, 0); err != nil {
		return 0, err
	}
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

// insertTemplates seals and stores templates of user userID, named username
// (the name in the users row).
func (s *Store) insertTemplates(ctx context.Context, tx *sql.Tx, userID int64, username, modelID, source string, ts []NewTemplate, at int64) error {
	b := binding{userID: userID, nameKey: usernameKey(username), modelID: modelID, kind: KindEnrolment, created: at}
	for i := range ts {
		if _, err := s.insertTemplate(ctx, tx, b, ts[i], source); err != nil {
			return fmt.Errorf("template %d: %w", i, err)
		}
	}
	return nil
}

// insertTemplate seals t to b and stores it; it returns the row's id.
func (s *Store) insertTemplate(ctx context.Context, tx *sql.Tx, b binding, t NewTemplate, source string) (int64, error) {
	sealed, err := s.seal.sealFor(&t.Descriptor, b)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO face_templates (user_id, model_id, quality, source, sealed, created_at, kind)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, b.userID, b.modelID, t.Quality, source, sealed, b.created, string(b.kind))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
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

// getUser finds a user by a typed name: the key of its NFKC form, or of its
// NFC form for names stored before NFKC. Names are not checked against
// today's rules, so a user enrolled under an older rule can still be found,
// renamed or deleted. A row whose name and key disagree was altered:
// ErrTampered.
func getUser(ctx context.Context, q queryer, username string) (User, error) {
	if !utf8.ValidString(username) {
		return User{}, fmt.Errorf("%w: not valid UTF-8", ErrInvalidName)
	}
	shown := strings.TrimSpace(username)
	nfkc, nfc := lookupKeys(username)
	var u User
	var err error
	for _, key := range []string{nfc, nfkc} {
		var stored string
		u, stored, err = scanUserKey(q.QueryRowContext(ctx, "SELECT "+userColumns+", u.username_key FROM users u WHERE u.username_key = ?", key))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err == nil && usernameKey(u.Username) != stored {
			return User{}, fmt.Errorf("%w: user %d is named %q but filed under %q", ErrTampered, u.ID, u.Username, stored)
		}
		return u, err
	}
	return User{}, fmt.Errorf("%w: user %q", ErrNotFound, shown)
}

func scanUserKey(sc interface{ Scan(...any) error }) (User, string, error) {
	var key string
	var u User
	var created, updated int64
	var last sql.NullInt64
	err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Disabled, &created, &updated, &u.Templates, &last, &key)
	u.Created, u.Updated = fromMicros(created), fromMicros(updated)
	if last.Valid {
		u.LastLogin = fromMicros(last.Int64)
	}
	return u, key, err
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

// Rename gives a user a new name and re-seals their templates with it, in
// one transaction (templates are bound to the name). Renaming to another
// spelling of the same name ("ann" to "Ann") is allowed; a name taken or
// looking like another user's is not.
func (u *Users) Rename(ctx context.Context, oldName, newName string) (User, error) {
	name, err := normalizeUsername(newName)
	if err != nil {
		return User{}, fmt.Errorf("store: rename user: %w", err)
	}
	s := u.s
	defer s.scrub(ctx) // the old seals' bytes
	var user User
	err = s.change(ctx, "rename user", func(tx *sql.Tx) error {
		old, err := getUser(ctx, tx, oldName)
		if err != nil {
			return err
		}
		if err := checkNameFree(ctx, tx, name, old.ID); err != nil {
			return err
		}
		t := s.now()
		_, err = tx.ExecContext(ctx, "UPDATE users SET username = ?, username_key = ?, updated_at = ? WHERE id = ?",
			name, usernameKey(name), t, old.ID)
		if uniqueViolation(err) {
			return fmt.Errorf("%w: %q", ErrExists, name)
		}
		if err != nil {
			return err
		}
		if err := s.resealUser(ctx, tx, old.ID, usernameKey(old.Username), usernameKey(name)); err != nil {
			return err
		}
		user = old
		user.Username, user.Updated = name, fromMicros(t)
		return s.recordTx(ctx, tx, Event{Kind: EventRename, UserID: old.ID, Username: name,
			Detail: fmt.Sprintf("renamed from %s", old.Username)})
	})
	return user, err
}

// resealUser re-seals every template of user id from name key oldKey to
// newKey. A template that does not open is left as it is (it was unusable
// already) and logged.
func (s *Store) resealUser(ctx context.Context, tx *sql.Tx, id int64, oldKey, newKey string) error {
	rs, err := readSealed(ctx, tx, "t.user_id = ?", id)
	if err != nil {
		return err
	}
	for _, r := range rs {
		b := r.binding()
		b.nameKey = oldKey
		d, err := s.seal.openFor(r.sealed, b)
		if err != nil {
			s.log.Warn("store: rename: template left as it was", "template", r.id, "user", id, "reason", err)
			continue
		}
		b.nameKey = newKey
		sealed, err := s.seal.sealFor(&d, b)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE face_templates SET sealed = ? WHERE id = ?", sealed, r.id); err != nil {
			return err
		}
	}
	return nil
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
		if _, err := tx.ExecContext(ctx, "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", disabled, u.s.now(), user.ID); err != nil {
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
// audit log keeps the deletion. On SQLite the template bytes are overwritten
// (secure_delete) and the WAL checkpointed and truncated, so they are gone
// from the database files (see scrub).
func (u *Users) Delete(ctx context.Context, username string) error {
	defer u.s.scrub(ctx)
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
			Detail: templatesN(int(n)) + " deleted"})
	})
}

// confusableError says once that a name looks like an existing user's; it
// is both ErrConfusableName and ErrExists.
type confusableError struct{ name, existing string }

func (e confusableError) Error() string {
	return fmt.Sprintf("username %q looks like the existing user %q", e.name, e.existing)
}

func (e confusableError) Unwrap() []error { return []error{ErrConfusableName, ErrExists} }

// templatesN is the audit log's count of templates: "1 template", "3
// templates" (the log is in English, as the command line).
func templatesN(n int) string {
	if n == 1 {
		return "1 template"
	}
	return fmt.Sprintf("%d templates", n)
}
