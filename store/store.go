// Package store keeps users, their face templates and the audit log in MySQL
// or, by default, in an embedded SQLite file.
//
// # Backends
//
// The DSN comes from ResolveDSN (--db flag, FACELOGIN_DB, settings file). An
// empty DSN opens DefaultSQLitePath, created on first run. Store.Describe says
// which database is in use. Schema migrations are embedded and applied by
// Open; running Open again, or from two stations at once, is safe.
//
// # Templates are sealed
//
// Every descriptor is sealed with AES-256-GCM before it reaches the database.
// The associated data binds it to its user id, its user's name key and its
// model id, so a row copied to another user, relabelled with another model,
// or left in place while two users' names are swapped, does not open; a
// rename re-seals in the same transaction. The key
// is 32 random bytes from FACELOGIN_KEY (base64 or hex) or from the key file
// (DefaultKeyFile, mode 0600, created on first run). The database holds a
// sealed check value, so Open fails with ErrWrongKey or ErrKeyMissing instead
// of loading templates nobody can match, and with ErrTampered when the check
// was removed while templates exist (it is never rewritten over them).
//
// # Deleted means gone
//
// SQLite connections run with secure_delete and the WAL is checkpointed and
// truncated after templates are deleted or re-sealed (scrub), so their bytes
// do not stay in the database files. Only the default SQLite file is created
// unless Config.Create says so.
//
// Back the key up: without it every template is unreadable and all users must
// enrol again. Copy the key file (or the FACELOGIN_KEY value) to offline
// storage, separate from database backups — the two together are what an
// attacker needs. Stations sharing one MySQL database must all use the same
// key: copy the key file to each, or set FACELOGIN_KEY.
//
// # Keeping a matcher current
//
// Templates.Load returns every template of one model with the database's
// generation counter, which every change to users or templates increments.
// Store.Watch reloads when this process changes the store or when the counter
// moves (another station sharing a MySQL database), polling one cheap row.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultMaxEvents caps the audit log unless Config.MaxEvents says otherwise.
const DefaultMaxEvents = 100_000

// Config says how to open a Store. The zero value opens the default SQLite
// file with the key from FACELOGIN_KEY or the default key file.
type Config struct {
	DSN string    // see ResolveDSN and parseDSN; "" is the default SQLite file
	TLS TLSConfig // MySQL only
	// Password is the MySQL password when it is not in the DSN (from
	// PasswordEnv or ReadPasswordFile); it wins over one in the DSN.
	Password string

	Key     []byte // template key; wins over FACELOGIN_KEY and KeyFile
	KeyFile string // "" is DefaultKeyFile()

	Station string       // name recorded in the audit log; "" is the host name
	Logger  *slog.Logger // skipped rows and reload failures; nil is slog.Default()

	ConnectTimeout time.Duration // for the first connection; 0 is 5 s
	// MaxEvents caps the audit log; 0 is DefaultMaxEvents, <0 no cap. The
	// oldest events beyond it are deleted when a login is recorded (the
	// first of the process, then every pruneEvery-th), never by a reader.
	MaxEvents int

	// Clock is the time templates and audit events are stamped with, and
	// the time the adaptive templates' daily limit counts from; nil is
	// time.Now. Tests move it on to simulate days.
	Clock func() time.Time

	// Create allows a SQLite file other than the default one to be
	// created. Without it a missing file is ErrNoDatabase: a mistyped
	// --db path must not become a new, empty database. The default file
	// (empty DSN) is always created on first run.
	Create bool
}

// Store is an open database. Its methods are safe for concurrent use.
type Store struct {
	Users     *Users
	Templates *Templates
	Events    *Events

	db        *sql.DB
	tgt       *target
	seal      *sealer
	keySource string
	station   string
	log       *slog.Logger
	clock     func() time.Time
	maxEvents int
	events    atomic.Int64 // events recorded since the last prune

	notices []string // said to people at Open (also logged)

	mu       sync.Mutex
	watchers []chan struct{}
	closed   chan struct{}
	closeMu  sync.Once

	// testHookInTx runs inside a changing transaction after its first row is
	// written, so tests can cut the database off mid-operation.
	testHookInTx func()
}

// Open connects, applies migrations and checks the template key. Errors wrap
// ErrUnavailable when the database cannot be reached, ErrSchemaTooNew,
// ErrWrongKey, ErrKeyMissing or ErrBadKey.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	tgt, err := parseDSN(cfg.DSN, cfg.TLS)
	if err != nil {
		return nil, err
	}
	if cfg.Password != "" {
		if tgt.backend != MySQL {
			return nil, fmt.Errorf("store: a database password was given, but %s needs none", tgt.describe())
		}
		tgt.mysql.Passwd = cfg.Password
	}
	s := &Store{tgt: tgt, log: cfg.Logger, station: cfg.Station, clock: cfg.Clock, maxEvents: cfg.MaxEvents, closed: make(chan struct{})}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.station == "" {
		s.station, _ = os.Hostname()
	}
	s.station = truncate(s.station, 128)
	if s.maxEvents == 0 {
		s.maxEvents = DefaultMaxEvents
	}
	s.Users = &Users{s: s}
	s.Templates = &Templates{s: s}
	s.Events = &Events{s: s}

	timeout := cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if err := s.connect(ctx, timeout, cfg.Create); err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, s.wrap("migrate", err)
	}
	if err := s.setupKey(ctx, cfg); err != nil {
		s.db.Close()
		return nil, err
	}
	if err := s.upgradeSeals(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	// The audit log's cap is kept when events are written (RecordLogin),
	// never here: opening the store to read the log (`facelogin events`,
	// the Activity screen) must not delete any of it.
	return s, nil
}

func (s *Store) connect(ctx context.Context, timeout time.Duration, create bool) error {
	switch s.tgt.backend {
	case SQLite:
		if err := s.prepareSQLiteFile(create || s.tgt.isDefault); err != nil {
			return err
		}
		// WAL lets the matcher load while a registration writes;
		// _txlock=immediate takes the write lock at BEGIN, so two writers
		// wait for each other (busy_timeout) instead of failing at commit.
		// secure_delete overwrites deleted rows with zeros, so a deleted
		// template's bytes do not stay on free pages (see scrub for the
		// WAL).
		dsn := s.tgt.path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
			"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=secure_delete(1)&_txlock=immediate"
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return fmt.Errorf("store: open %s: %w: %w", s.Describe(), ErrUnavailable, err)
		}
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
		s.db = db
	case MySQL:
		if s.tgt.mysql.DBName == "" {
			return fmt.Errorf("store: open %s: dsn names no database", s.Describe())
		}
		db, err := openMySQL(s.tgt.mysql)
		if err != nil {
			return fmt.Errorf("store: open %s: %w", s.Describe(), err)
		}
		s.db = db
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.ping(pctx); err != nil {
		s.db.Close()
		var me *mysql.MySQLError
		if errors.As(err, &me) && me.Number == 1049 {
			return fmt.Errorf("store: connect to %s: %w: database %q does not exist (CREATE DATABASE %s CHARACTER SET utf8mb4): %w",
				s.Describe(), ErrUnavailable, s.tgt.mysql.DBName, s.tgt.mysql.DBName, err)
		}
		return fmt.Errorf("store: connect to %s: %w: %w", s.Describe(), ErrUnavailable, err)
	}
	return nil
}

// ping opens a first connection. While another process switches a new
// SQLite file to WAL, SQLite can answer SQLITE_BUSY at once, without waiting
// out its busy timeout (stations starting together on a busy machine hit
// it): that is retried until ctx ends.
func (s *Store) ping(ctx context.Context) error {
	for {
		err := s.db.PingContext(ctx)
		if err == nil || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func openMySQL(c *mysql.Config) (*sql.DB, error) {
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	// A desktop or kiosk does one thing at a time; a few connections cover
	// the matcher reload beside a registration. Connections are recycled
	// well before a server's wait_timeout closes them.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(time.Minute)
	db.SetConnMaxLifetime(5 * time.Minute)
	return db, nil
}

// prepareSQLiteFile makes sure the database file exists (creating it, and
// its directory, private, only when create is set) and that neither it nor
// its -wal, -shm and -journal files can be read by other local users: a
// wider mode is narrowed to 0600 and said (Notices, log), or the open is
// refused with ErrUnsafeFile when it cannot be.
func (s *Store) prepareSQLiteFile(create bool) error {
	p := s.tgt.path
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !create:
		return fmt.Errorf("store: open %s: %w: check the path (--db, %s), or ask for a new database (--create)", s.Describe(), ErrNoDatabase, DBEnv)
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("store: open %s: %w: %w", s.Describe(), ErrUnavailable, err)
		}
		// Create the file ourselves so it is private; SQLite gives its
		// -wal and -shm files the same mode.
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("store: open %s: %w: %w", s.Describe(), ErrUnavailable, err)
		}
		return f.Close()
	case err != nil:
		return fmt.Errorf("store: open %s: %w: %w", s.Describe(), ErrUnavailable, err)
	case !st.Mode().IsRegular():
		return fmt.Errorf("store: open %s: %w: not a regular file", s.Describe(), ErrUnavailable)
	}
	for _, f := range []string{p, p + "-wal", p + "-shm", p + "-journal"} {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm()&0o077 == 0 {
			continue
		}
		mode := st.Mode().Perm()
		if err := os.Chmod(f, mode&^0o077|0o600); err != nil {
			return fmt.Errorf("store: %w: %s has mode %04o and cannot be changed (%v); run chmod 600 %s as its owner",
				ErrUnsafeFile, f, mode, err, f)
		}
		s.notice(fmt.Sprintf("%s had mode %04o (readable by other users); changed it to %04o — face templates are biometric data", f, mode, mode&^0o077|0o600))
	}
	return nil
}

// notice records a message for people and logs it.
func (s *Store) notice(msg string) {
	s.notices = append(s.notices, msg)
	s.log.Warn("store: " + msg)
}

// Notices are the things Open fixed and wants people told (a database
// file's mode narrowed, ...), in plain words.
func (s *Store) Notices() []string { return append([]string(nil), s.notices...) }

// Close closes the database and stops watchers.
func (s *Store) Close() error {
	s.closeMu.Do(func() { close(s.closed) })
	return s.db.Close()
}

// Backend says which kind of database this is.
func (s *Store) Backend() Backend { return s.tgt.backend }

// Describe names the database for the start-up message, without a password:
// "SQLite /home/ann/.local/share/facelogin/facelogin.db" or
// "MySQL face@tcp(db.lan:3306)/facelogin (TLS)".
func (s *Store) Describe() string { return s.tgt.describe() }

// KeySource says where the template key came from: "FACELOGIN_KEY",
// "key file PATH", "new key file PATH" or "Config.Key".
func (s *Store) KeySource() string { return s.keySource }

// Station is the name this store writes into the audit log.
func (s *Store) Station() string { return s.station }

// Generation returns the change counter: it moves on every change to users or
// templates, by any station. One row, one primary-key read.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	err := s.db.QueryRowContext(ctx, "SELECT generation FROM store_state WHERE id = 1").Scan(&g)
	if err != nil {
		return 0, s.wrap("generation", err)
	}
	return g, nil
}

// readKeyCheck reads the stored key check: nil if none was written yet;
// ErrTampered if its row or table is gone, or it is not shaped like one.
func (s *Store) readKeyCheck(ctx context.Context) ([]byte, error) {
	var stored []byte
	if err := s.db.QueryRowContext(ctx, "SELECT key_check FROM store_state WHERE id = 1").Scan(&stored); err != nil {
		if errors.Is(err, sql.ErrNoRows) || missingTable(err) {
			// Migrations create the table and its one row; without them
			// the database was altered after it was set up.
			return nil, fmt.Errorf("store: %s: %w: its store_state row, which holds the key check, is missing (%v)",
				s.Describe(), ErrTampered, err)
		}
		return nil, s.wrap("read key check", err)
	}
	if stored != nil && !keyCheckShaped(stored) {
		return nil, fmt.Errorf("store: %s: %w: its key check is damaged (%d bytes, not a sealed key check of %d bytes starting with version %d)",
			s.Describe(), ErrTampered, len(stored), keyCheckLen, sealV1)
	}
	return stored, nil
}

func (s *Store) setupKey(ctx context.Context, cfg Config) error {
	stored, err := s.readKeyCheck(ctx)
	if err != nil {
		return err
	}
	if stored == nil {
		if err := s.refuseTemplatesWithoutKeyCheck(ctx); err != nil {
			return err
		}
	}
	key, err := s.loadKey(cfg, stored != nil)
	if err != nil {
		return err
	}
	sl, err := newSealer(key)
	if err != nil {
		return fmt.Errorf("store: key from %s: %w", s.keySource, err)
	}
	if stored == nil {
		kc, err := sl.keyCheck()
		if err != nil {
			return err
		}
		// The key check is written only into a database without
		// templates: one whose key check was removed while templates
		// exist has been altered, and writing ours would hand the
		// database to whatever key came first.
		res, err := s.db.ExecContext(ctx, `UPDATE store_state SET key_check = ? WHERE id = 1 AND key_check IS NULL
			AND NOT EXISTS (SELECT 1 FROM face_templates)`, kc)
		if err != nil {
			return s.wrap("write key check", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			s.seal = sl
			return nil
		}
		// Another station set it first (check ours against theirs), or
		// templates exist without one.
		if err := s.db.QueryRowContext(ctx, "SELECT key_check FROM store_state WHERE id = 1").Scan(&stored); err != nil {
			return s.wrap("read key check", err)
		}
		if stored == nil {
			if err := s.refuseTemplatesWithoutKeyCheck(ctx); err != nil {
				return err
			}
			return s.wrap("write key check", errors.New("key check neither written nor found"))
		}
	}
	if !sl.verifyKeyCheck(stored) {
		return s.refuseKey(ctx, sl)
	}
	if err := s.refuseForeignKeyCheck(ctx, sl); err != nil {
		return err
	}
	s.seal = sl
	return nil
}

// refuseKey says why a key that does not open the key check is refused:
// ErrTampered if it opens the templates (it is the right key; the key
// check was altered), ErrWrongKey otherwise.
func (s *Store) refuseKey(ctx context.Context, sl *sealer) error {
	opened, _, err := s.templatesOpening(ctx, sl)
	switch {
	case err != nil:
		return err
	case opened:
		return fmt.Errorf("store: %s: %w: its key check does not open with the key from %s, though its face templates do: the key check was altered",
			s.Describe(), ErrTampered, s.keySource)
	}
	return fmt.Errorf("store: %w: key from %s", ErrWrongKey, s.keySource)
}

// refuseForeignKeyCheck fails with ErrTampered when templates exist and
// none of them opens with the key that opened the key check: the key check
// was copied in from another database, which would hand this one to the
// other database's key (and refuse the owner's from then on). It stops at
// the first template that opens, so a genuine database costs one row.
func (s *Store) refuseForeignKeyCheck(ctx context.Context, sl *sealer) error {
	opened, n, err := s.templatesOpening(ctx, sl)
	if err != nil || opened || n == 0 {
		return err
	}
	return fmt.Errorf("store: %s: %w: its key check opens with the key from %s, but none of its %d face templates does",
		s.Describe(), ErrTampered, s.keySource, n)
}

// templatesOpening reports whether a face template opens with sl, stopping
// at the first that does; failed counts those that did not before it.
func (s *Store) templatesOpening(ctx context.Context, sl *sealer) (opened bool, failed int, err error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.user_id, u.username, t.model_id, t.kind, t.created_at, t.sealed
		FROM face_templates t JOIN users u ON u.id = t.user_id ORDER BY t.id`)
	if err != nil {
		return false, 0, s.wrap("check templates against the key", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b binding
		var name, kind string
		var sealed []byte
		if err := rows.Scan(&b.userID, &name, &b.modelID, &kind, &b.created, &sealed); err != nil {
			return false, failed, s.wrap("check templates against the key", err)
		}
		b.nameKey, b.kind = usernameKey(name), TemplateKind(kind)
		if _, err := sl.openFor(sealed, b); err == nil {
			return true, failed, nil
		}
		if _, err := sl.openDescriptorV1(sealed, b.userID, b.modelID); err == nil {
			return true, failed, nil // sealed before names were bound (migrated on open)
		}
		failed++
	}
	if err := rows.Err(); err != nil {
		return false, failed, s.wrap("check templates against the key", err)
	}
	return false, failed, nil
}

// refuseTemplatesWithoutKeyCheck fails with ErrTampered when templates exist
// though the key check is missing: someone removed it.
func (s *Store) refuseTemplatesWithoutKeyCheck(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM face_templates").Scan(&n); err != nil {
		return s.wrap("count templates", err)
	}
	if n > 0 {
		return fmt.Errorf("store: %s: %w: it holds %d face templates but its key check is missing (the key check is never rewritten over existing templates)",
			s.Describe(), ErrTampered, n)
	}
	return nil
}

func (s *Store) loadKey(cfg Config, dbHasKey bool) ([]byte, error) {
	if cfg.Key != nil {
		s.keySource = "Config.Key"
		return cfg.Key, nil
	}
	if v := os.Getenv(KeyEnv); v != "" {
		s.keySource = KeyEnv
		k, err := parseKey(v)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", KeyEnv, err)
		}
		return k, nil
	}
	path := cfg.KeyFile
	if path == "" {
		p, err := DefaultKeyFile()
		if err != nil {
			return nil, err
		}
		path = p
	}
	s.keySource = "key file " + path
	k, err := readKeyFile(path)
	switch {
	case err == nil:
		return k, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("store: read key: %w", err)
	case dbHasKey:
		return nil, fmt.Errorf("store: %w: %s holds sealed templates but %s does not exist and %s is not set; restore the key file from backup",
			ErrKeyMissing, s.Describe(), path, KeyEnv)
	}
	k, err = createKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("store: create key file: %w", err)
	}
	s.keySource = "new key file " + path
	return k, nil
}

// maxTxAttempts bounds retries of a transaction the database aborted to break
// a deadlock or lock wait; those are rolled back whole, so a retry is safe.
const maxTxAttempts = 6

// change runs fn in a transaction that changes users or templates: it bumps
// the generation counter first (which also queues concurrent writers on that
// one row, so they cannot deadlock on the username index), retries a
// transaction the database aborted, and tells watchers after commit.
func (s *Store) change(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE store_state SET generation = generation + 1 WHERE id = 1"); err != nil {
			return err
		}
		return fn(tx)
	})
	if err == nil {
		s.notify()
	}
	return err
}

// inTx runs fn in a transaction, retrying on deadlock or busy errors.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	delay := 5 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, fn)
		if err == nil {
			return nil
		}
		if !retryable(err) || attempt == maxTxAttempts {
			return s.wrap(op, err)
		}
		select {
		case <-ctx.Done():
			return s.wrap(op, ctx.Err())
		case <-time.After(delay):
		}
		delay *= 2
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// wrap prefixes an error with the operation and marks connection failures
// with ErrUnavailable. Sentinel errors of this package pass through wrapped.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if connectionError(err) {
		return fmt.Errorf("store: %s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

func connectionError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, sql.ErrConnDone),
		errors.As(err, &ne), errors.As(err, &oe):
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1040, 1053, 2002, 2003, 2006, 2013: // too many connections, shutdown, gone away
			return true
		}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL:
			return true
		}
	}
	return false
}

// missingTable reports whether err says a table does not exist (SQLite
// "no such table", MySQL error 1146).
func missingTable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1146
	}
	var se *sqlite.Error
	return errors.As(err, &se) && strings.Contains(se.Error(), "no such table")
}

func retryable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205 // deadlock, lock wait timeout
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

func uniqueViolation(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// now is the store's clock in unix microseconds, as stored.
func (s *Store) now() int64 { return s.clock().UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func truncate(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
