package store

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	secrets "facelogin/internal/redact"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// DBEnv names the environment variable that may hold the database DSN.
const DBEnv = "FACELOGIN_DB"

// PasswordEnv names the environment variable that may hold the MySQL
// password, so that a DSN without one can be given on the command line:
// another local user sees a process's arguments (ps), not its environment.
const PasswordEnv = "FACELOGIN_DB_PASSWORD"

// Backend is the kind of database behind a Store.
type Backend string

// The two backends.
const (
	SQLite Backend = "sqlite"
	MySQL  Backend = "mysql"
)

// ResolveDSN picks the DSN by precedence: the --db flag, then FACELOGIN_DB,
// then the settings file's value (ReadSettingsDSN). It returns the DSN (""
// means the embedded SQLite default) and where it came from, for the
// start-up message.
func ResolveDSN(flag, settings string) (dsn, source string) {
	switch {
	case flag != "":
		return flag, "--db flag"
	case os.Getenv(DBEnv) != "":
		return os.Getenv(DBEnv), DBEnv
	case settings != "":
		return settings, "settings file"
	}
	return "", "default"
}

// DefaultSQLitePath is the embedded database's file when no DSN is given:
// facelogin/facelogin.db in the user's data directory ($XDG_DATA_HOME or
// ~/.local/share on Linux and BSD; the config directory elsewhere).
func DefaultSQLitePath() (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "plan9":
		d, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("store: data dir: %w", err)
		}
		dir = d
	default:
		if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
			dir = d
		} else {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("store: data dir: %w", err)
			}
			dir = filepath.Join(home, ".local", "share")
		}
	}
	return filepath.Join(dir, "facelogin", "facelogin.db"), nil
}

// TLSConfig holds TLS options for a remote MySQL server. They may also be
// given in a mysql:// URL as tls=true|skip-verify|preferred, tls-ca=FILE,
// tls-cert=FILE, tls-key=FILE, tls-server-name=NAME.
type TLSConfig struct {
	CAFile     string // PEM bundle to verify the server with; system roots if empty
	CertFile   string // client certificate (PEM), with KeyFile
	KeyFile    string
	ServerName string // when it differs from the host in the DSN
	SkipVerify bool   // encrypt but trust any certificate (testing only)
}

func (t TLSConfig) set() bool { return t != TLSConfig{} }

// target is a parsed DSN.
type target struct {
	backend   Backend
	path      string        // SQLite
	isDefault bool          // SQLite at DefaultSQLitePath: created on first run
	mysql     *mysql.Config // MySQL
}

// describe says which database is used, without the password.
func (t *target) describe() string {
	if t.backend == SQLite {
		return "SQLite " + t.path
	}
	c := t.mysql
	s := fmt.Sprintf("MySQL %s@%s(%s)/%s", c.User, c.Net, c.Addr, c.DBName)
	if c.TLS != nil || (c.TLSConfig != "" && c.TLSConfig != "false") {
		s += " (TLS)"
	}
	return s
}

// parseDSN understands:
//
//	""                                  the default SQLite file
//	sqlite:PATH, file:PATH, *.db        a SQLite file
//	mysql://user:pass@host:port/db?...  MySQL, URL form
//	mysql:user:pass@tcp(host)/db?...    MySQL, go-sql-driver form
//	user:pass@tcp(host)/db?...          the same without the prefix
func parseDSN(dsn string, tlsOpt TLSConfig) (*target, error) {
	switch {
	case dsn == "":
		p, err := DefaultSQLitePath()
		if err != nil {
			return nil, err
		}
		t, err := sqliteTarget(p)
		if t != nil {
			t.isDefault = true
		}
		return t, err
	case strings.HasPrefix(dsn, "sqlite:"):
		return sqliteTarget(strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//"))
	case strings.HasPrefix(dsn, "file:"):
		return sqliteTarget(strings.TrimPrefix(strings.TrimPrefix(dsn, "file:"), "//"))
	case strings.HasPrefix(dsn, "mysql://"):
		c, err := mysqlFromURL(dsn, &tlsOpt)
		if err != nil {
			return nil, err
		}
		return mysqlTarget(c, tlsOpt)
	case strings.HasPrefix(dsn, "mysql:"):
		dsn = strings.TrimPrefix(dsn, "mysql:")
		c, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("store: mysql dsn: %w", err)
		}
		return mysqlTarget(c, tlsOpt)
	case strings.Contains(dsn, "@tcp(") || strings.Contains(dsn, "@unix("):
		c, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("store: mysql dsn: %w", err)
		}
		return mysqlTarget(c, tlsOpt)
	case strings.HasSuffix(dsn, ".db"), strings.HasSuffix(dsn, ".sqlite"), strings.HasSuffix(dsn, ".sqlite3"):
		return sqliteTarget(dsn)
	}
	return nil, fmt.Errorf("store: dsn %q: want sqlite:PATH, a .db file, mysql://user@host/db or user@tcp(host)/db", redact(dsn))
}

// DSNHasPassword reports whether dsn carries a password: a mysql:// URL's
// user:password@, or go-sql-driver's user:password@tcp(…).
func DSNHasPassword(dsn string) bool {
	if strings.HasPrefix(dsn, "mysql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return redact(dsn) != dsn
		}
		pw, ok := u.User.Password()
		return ok && pw != ""
	}
	if c, err := mysql.ParseDSN(strings.TrimPrefix(dsn, "mysql:")); err == nil {
		return c.Passwd != ""
	}
	return false
}

// RedactDSN is dsn with its password masked, for messages and logs.
func RedactDSN(dsn string) string { return redact(dsn) }

// SettingsFile is where the database settings live when neither --db nor
// FACELOGIN_DB gives them: $XDG_CONFIG_HOME/facelogin/database (usually
// ~/.config/facelogin/database).
func SettingsFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("store: config dir: %w", err)
	}
	return filepath.Join(dir, "facelogin", "database"), nil
}

// ReadSettingsDSN reads the DSN from a settings file: its first line that
// is neither empty nor a # comment. A missing file gives "". The file may
// hold a password, so one that others may read or write is refused
// (ErrUnsafeFile), as is anything but a regular file.
func ReadSettingsDSN(path string) (string, error) {
	text, err := readSecretFile(path, "settings file")
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return line, nil
		}
	}
	return "", nil
}

// ReadPasswordFile reads the database password from a file: its first
// line, without the line ending (other spaces are kept). The file must be
// a regular file only its owner may read or write (ErrUnsafeFile
// otherwise) and must not be empty.
func ReadPasswordFile(path string) (string, error) {
	text, err := readSecretFile(path, "password file")
	if err != nil {
		return "", err
	}
	pw, _, _ := strings.Cut(text, "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return "", fmt.Errorf("store: password file %s: the first line is empty", path)
	}
	return pw, nil
}

// readSecretFile reads a small file holding a secret, refusing one that
// is not a regular file or that others may read or write.
func readSecretFile(path, what string) (string, error) {
	// O_NONBLOCK: a named pipe with no writer must not hang the program
	// (regular files ignore it).
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", fmt.Errorf("store: %s: %w", what, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("store: %s: %w", what, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("store: %s %s is not a regular file: %w", what, path, ErrUnsafeFile)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("store: %s %s has mode %#o, others may read it; run chmod 600 %s: %w",
			what, path, st.Mode().Perm(), path, ErrUnsafeFile)
	}
	raw, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return "", fmt.Errorf("store: %s: %w", what, err)
	}
	return string(raw), nil
}

// redact hides a password in a DSN for error messages: a URL's user
// password and credential query parameters (password=, …: internal/redact),
// or a go-sql-driver DSN's password.
func redact(dsn string) string {
	if strings.Contains(dsn, "://") {
		return secrets.URL(dsn)
	}
	rest := strings.TrimPrefix(dsn, "mysql:")
	prefix := dsn[:len(dsn)-len(rest)]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return dsn
	}
	if c := strings.Index(rest[:at], ":"); c >= 0 {
		return prefix + rest[:c+1] + "***" + rest[at:]
	}
	return dsn
}

func sqliteTarget(path string) (*target, error) {
	if path == "" {
		return nil, errors.New("store: sqlite dsn: empty path")
	}
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("store: sqlite path %q: '?' not allowed", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite path: %w", err)
	}
	return &target{backend: SQLite, path: abs}, nil
}

func mysqlFromURL(dsn string, tlsOpt *TLSConfig) (*mysql.Config, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: mysql url: %w", errors.Unwrap(err))
	}
	c := mysql.NewConfig()
	if u.User != nil {
		c.User = u.User.Username()
		c.Passwd, _ = u.User.Password()
	}
	c.Net = "tcp"
	c.Addr = u.Host
	if u.Port() == "" {
		c.Addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	if sock := u.Query().Get("socket"); sock != "" {
		c.Net, c.Addr = "unix", sock
	}
	c.DBName = strings.TrimPrefix(u.Path, "/")
	for k, vs := range u.Query() {
		v := vs[0]
		switch k {
		case "socket":
		case "tls":
			switch v {
			case "true", "false", "preferred":
				c.TLSConfig = v
			case "skip-verify":
				tlsOpt.SkipVerify = true
			default:
				return nil, fmt.Errorf("store: mysql url: tls=%q: want true, false, preferred or skip-verify", v)
			}
		case "tls-ca":
			tlsOpt.CAFile = v
		case "tls-cert":
			tlsOpt.CertFile = v
		case "tls-key":
			tlsOpt.KeyFile = v
		case "tls-server-name":
			tlsOpt.ServerName = v
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil {
				return nil, fmt.Errorf("store: mysql url: timeout: %w", err)
			}
			c.Timeout = d
		default:
			return nil, fmt.Errorf("store: mysql url: unknown parameter %q", k)
		}
	}
	return c, nil
}

func mysqlTarget(c *mysql.Config, tlsOpt TLSConfig) (*target, error) {
	// Times are stored as integers, so the driver's time handling is moot;
	// utf8mb4 is required for names outside the BMP.
	c.Collation = "utf8mb4_unicode_ci"
	c.Loc = time.UTC
	c.MultiStatements = false
	c.InterpolateParams = false
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 30 * time.Second
	}
	c.Logger = mysql.Logger(discardLogger{})
	if tlsOpt.set() {
		host := tlsOpt.ServerName
		if host == "" {
			host, _, _ = net.SplitHostPort(c.Addr)
		}
		tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: tlsOpt.SkipVerify}
		if tlsOpt.CAFile != "" {
			pem, err := os.ReadFile(tlsOpt.CAFile)
			if err != nil {
				return nil, fmt.Errorf("store: tls ca: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("store: tls ca %s: no PEM certificates", tlsOpt.CAFile)
			}
		}
		if tlsOpt.CertFile != "" || tlsOpt.KeyFile != "" {
			cert, err := tls.LoadX509KeyPair(tlsOpt.CertFile, tlsOpt.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("store: tls client certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		c.TLS = tc
	}
	return &target{backend: MySQL, mysql: c}, nil
}

// discardLogger silences the driver's own log lines ("unexpected EOF" when a
// server restarts); the errors still reach the caller.
type discardLogger struct{}

func (discardLogger) Print(...any) {}
