package testkit

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"facelogin/internal/testdata"
)

// MariaDB is a private MariaDB server for tests: its own datadir, a unix
// socket and a loopback port, no system service (../shared/FACTS.md). The
// store's conformance suite, the app's Activity tests and the command line's
// shared-database tests all start their servers here.
type MariaDB struct {
	dir   string
	port  int
	extra []string // more mariadbd options (TLS, ...)
	cmd   *exec.Cmd
	done  chan struct{}
	dbs   atomic.Int64
}

// The account tests connect as over TCP: all privileges on every database.
// Root connects only through the socket, without a password.
const (
	MariaDBUser     = "facelogin"
	MariaDBPassword = "test-pw"
)

// mariaDBTools are the programs a private server needs (Debian package
// mariadb-server).
var mariaDBTools = []string{"mariadb-install-db", "mariadbd", "mariadb-admin", "mariadb"}

// NewMariaDB installs a datadir in a new temporary directory and starts a
// server on a free loopback port with extra as more mariadbd options; the
// caller stops it with Stop. The error names the missing program when
// mariadb-server is not installed.
func NewMariaDB(extra ...string) (*MariaDB, error) {
	for _, tool := range mariaDBTools {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("MariaDB: %s not found (apt-get install mariadb-server): %w", tool, err)
		}
	}
	// Short: a unix socket path has at most 107 bytes.
	dir, err := os.MkdirTemp("", "fl-maria-")
	if err != nil {
		return nil, err
	}
	if out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+filepath.Join(dir, "data"),
		"--user=root", "--auth-root-authentication-method=normal", "--skip-test-db").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	m := &MariaDB{dir: dir, port: l.Addr().(*net.TCPAddr).Port, extra: extra}
	l.Close()
	if err := m.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := m.Admin(fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'; GRANT ALL ON *.* TO '%s'@'127.0.0.1'",
		MariaDBUser, MariaDBPassword, MariaDBUser)); err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

// StartMariaDB is NewMariaDB for one test: the server is stopped and its
// datadir removed when the test ends. Without mariadb-server the test skips
// on a laptop and fails when CI=true.
func StartMariaDB(t testing.TB, extra ...string) *MariaDB {
	t.Helper()
	m, err := NewMariaDB(extra...)
	if err != nil {
		testdata.Require(t, "MariaDB", err)
		return nil
	}
	t.Cleanup(m.Stop)
	return m
}

// Socket is the server's unix socket.
func (m *MariaDB) Socket() string { return filepath.Join(m.dir, "mysqld.sock") }

// Port is the server's loopback TCP port.
func (m *MariaDB) Port() int { return m.port }

// Start starts the server on its datadir (again, after Kill) and waits up
// to 2 minutes for it to answer.
func (m *MariaDB) Start() error {
	m.cmd = exec.Command("mariadbd", "--no-defaults", "--user=root", "--datadir="+filepath.Join(m.dir, "data"),
		"--socket="+m.Socket(), "--port="+strconv.Itoa(m.port), "--bind-address=127.0.0.1",
		"--pid-file="+filepath.Join(m.dir, "mysqld.pid"), "--log-error="+filepath.Join(m.dir, "mysqld.err"),
		"--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=64M", "--max-connections=100")
	m.cmd.Args = append(m.cmd.Args, m.extra...)
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		return fmt.Errorf("start mariadbd: %w", err)
	}
	m.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(m.cmd, m.done)
	deadline := time.Now().Add(2 * time.Minute)
	for exec.Command("mariadb-admin", "--no-defaults", "-S", m.Socket(), "-uroot", "ping").Run() != nil {
		select {
		case <-m.done:
			log, _ := os.ReadFile(filepath.Join(m.dir, "mysqld.err"))
			return fmt.Errorf("mariadbd exited at start:\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.Kill()
			return fmt.Errorf("mariadbd did not answer within 2 min")
		}
	}
	return nil
}

// Admin runs SQL as root through the socket.
func (m *MariaDB) Admin(sql string) error {
	if out, err := exec.Command("mariadb", "--no-defaults", "-S", m.Socket(), "-uroot", "-e", sql).CombinedOutput(); err != nil {
		return fmt.Errorf("mariadb -e %q: %w\n%s", sql, err, out)
	}
	return nil
}

// Kill stops the server the hard way, as a crash or a pulled cable would.
func (m *MariaDB) Kill() {
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
		<-m.done
	}
}

// Stop shuts the server down cleanly (killing it after 20 s) and removes
// its datadir.
func (m *MariaDB) Stop() {
	exec.Command("mariadb-admin", "--no-defaults", "-S", m.Socket(), "-uroot", "shutdown").Run()
	select {
	case <-m.done:
	case <-time.After(20 * time.Second):
		m.Kill()
	}
	os.RemoveAll(m.dir)
}

// DSN is the go-sql-driver DSN of database db over TCP as MariaDBUser
// ("user:pw@tcp(127.0.0.1:PORT)/db"), which store.Open takes as it is.
func (m *MariaDB) DSN(db string) string {
	return fmt.Sprintf("%s:%s@tcp(127.0.0.1:%d)/%s", MariaDBUser, MariaDBPassword, m.port, db)
}

// NewDatabase creates an empty utf8mb4 database and returns its DSN.
func (m *MariaDB) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("fl_test_%d", m.dbs.Add(1))
	if err := m.Admin("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	return m.DSN(name)
}
