package store

import "errors"

// Sentinel errors; check them with errors.Is. The messages are for
// programmers; app/ words them for people.
var (
	// ErrNotFound: no such user.
	ErrNotFound = errors.New("not found")
	// ErrExists: the username (compared case-insensitively) is taken.
	ErrExists = errors.New("username already exists")
	// ErrInvalidName: a username or display name breaks the rules of
	// NormalizeUsername.
	ErrInvalidName = errors.New("invalid name")
	// ErrUnavailable: the database cannot be reached or opened.
	ErrUnavailable = errors.New("database unavailable")
	// ErrWrongKey: the template key does not match the one this database's
	// templates were sealed with.
	ErrWrongKey = errors.New("template key does not match this database")
	// ErrKeyMissing: the database holds sealed templates but no key was
	// found (no FACELOGIN_KEY, no key file). A new key would make every
	// template unreadable, so none is created.
	ErrKeyMissing = errors.New("template key missing")
	// ErrBadKey: a key is malformed or its file is unsafe.
	ErrBadKey = errors.New("bad template key")
	// ErrBadTemplate: a descriptor cannot be stored, or a stored one cannot
	// be opened.
	ErrBadTemplate = errors.New("bad template")
	// ErrSchemaTooNew: the database was migrated by a newer facelogin.
	ErrSchemaTooNew = errors.New("database schema is newer than this program")
	// ErrNoDatabase: a SQLite path other than the default does not exist
	// and Config.Create was not set (a mistyped --db path must not become
	// a new, empty database).
	ErrNoDatabase = errors.New("database file does not exist")
	// ErrTampered: the database was altered behind the program's back (the
	// key check removed while templates exist, a user row whose name and
	// key disagree). Restore it from a backup.
	ErrTampered = errors.New("database altered")
	// ErrConfusableName: the username looks like an existing user's (same
	// Unicode confusable skeleton, UTS #39). It also wraps ErrExists.
	ErrConfusableName = errors.New("username looks like an existing one")
	// ErrDuplicateFace: a face being enrolled is within the duplicate
	// threshold of another user's template (see DuplicateError).
	ErrDuplicateFace = errors.New("face already enrolled under another name")
	// ErrUnsafeFile: a file holding a secret (the database, a password
	// file) may be read by other local users, or is not a regular file, and
	// was not used.
	ErrUnsafeFile = errors.New("unsafe file: refused")
)
