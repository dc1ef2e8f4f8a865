package store

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"facelogin/internal/testdata"
)

// The MySQL half of the conformance suite runs against a real MariaDB that
// the tests start as a private process (own datadir, loopback port, no
// system service), as ../shared/FACTS.md describes. FACELOGIN_TEST_MYSQL may
// instead name a server as a DSN whose user can create databases, e.g.
// "root:pw@tcp(127.0.0.1:3306)/". Without either, MySQL tests skip on a
// laptop and fail when CI=true.

// mariaDB is one private server.
type mariaDB struct {
	dir   string
	port  int
	cmd   *exec.Cmd
	done  chan struct{}
	extra []string // more mariadbd options
}

const (
	testMySQLUser = "facelogin"
	testMySQLPass = "test-pw"
)

// startMariaDB installs a datadir and starts a server on a free port.
func startMariaDB(extra ...string) (*mariaDB, error) {
	if _, err := exec.LookPath("mariadbd"); err != nil {
		if _, err2 := os.Stat("/usr/sbin/mariadbd"); err2 != nil {
			return nil, fmt.Errorf("mariadbd not installed (apt-get install mariadb-server): %w", err)
		}
	}
	// A short path: unix socket paths are limited to 107 bytes.
	dir, err := os.MkdirTemp("", "fl-maria-")
	if err != nil {
		return nil, err
	}
	out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+filepath.Join(dir, "data"),
		"--user=root", "--auth-root-authentication-method=normal", "--skip-test-db").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	m := &mariaDB{dir: dir, port: port, extra: extra}
	if err := m.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := m.admin(fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'; GRANT ALL ON *.* TO '%s'@'127.0.0.1'",
		testMySQLUser, testMySQLPass, testMySQLUser)); err != nil {
		m.stop()
		return nil, err
	}
	return m, nil
}

func (m *mariaDB) socket() string { return filepath.Join(m.dir, "mysqld.sock") }

func (m *mariaDB) start() error {
	m.cmd = exec.Command("mariadbd", "--no-defaults", "--user=root", "--datadir="+filepath.Join(m.dir, "data"),
		"--socket="+m.socket(), "--port="+strconv.Itoa(m.port), "--bind-address=127.0.0.1",
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
	for {
		if exec.Command("mariadb-admin", "--no-defaults", "-S", m.socket(), "-uroot", "ping").Run() == nil {
			return nil
		}
		select {
		case <-m.done:
			log, _ := os.ReadFile(filepath.Join(m.dir, "mysqld.err"))
			return fmt.Errorf("mariadbd exited at start:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			m.kill()
			return fmt.Errorf("mariadbd did not answer within 2 min")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *mariaDB) admin(sql string) error {
	out, err := exec.Command("mariadb", "--no-defaults", "-S", m.socket(), "-uroot", "-e", sql).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mariadb -e %q: %w\n%s", sql, err, out)
	}
	return nil
}

// kill stops the server the hard way, as a crash or a pulled cable would.
func (m *mariaDB) kill() {
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
		<-m.done
	}
}

// stop shuts the server down cleanly and removes its datadir.
func (m *mariaDB) stop() {
	exec.Command("mariadb-admin", "--no-defaults", "-S", m.socket(), "-uroot", "shutdown").Run()
	select {
	case <-m.done:
	case <-time.After(20 * time.Second):
		m.kill()
	}
	os.RemoveAll(m.dir)
}

// dsn is a go-sql-driver DSN for database db over TCP.
func (m *mariaDB) dsn(db string) string {
	return fmt.Sprintf("%s:%s@tcp(127.0.0.1:%d)/%s", testMySQLUser, testMySQLPass, m.port, db)
}

var (
	sharedMaria     *mariaDB
	sharedMariaErr  error
	sharedMariaOnce sync.Once
	dbCounter       atomic.Int64
)

// mysqlServer returns a DSN prefix factory for a fresh database on the shared
// test server, or skips (fails in CI) when there is none.
func mysqlTestDB(t testing.TB) string {
	t.Helper()
	return mysqlDB(t, true)
}

// mysqlDB makes a fresh database; with drop false it outlives the test (the
// private server's datadir goes at the end of the run).
func mysqlDB(t testing.TB, drop bool) string {
	t.Helper()
	name := fmt.Sprintf("fl_test_%d_%d", os.Getpid(), dbCounter.Add(1))
	if env := os.Getenv("FACELOGIN_TEST_MYSQL"); env != "" {
		if !strings.HasSuffix(env, "/") {
			t.Fatalf("FACELOGIN_TEST_MYSQL must end in '/' (no database named)")
		}
		db, err := sql.Open("mysql", env)
		if err != nil {
			t.Fatalf("FACELOGIN_TEST_MYSQL: %v", err)
		}
		t.Cleanup(func() {
			if drop {
				db.Exec("DROP DATABASE " + name)
			}
			db.Close()
		})
		if _, err := db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
			testdata.Require(t, "FACELOGIN_TEST_MYSQL", err)
		}
		return env + name
	}
	sharedMariaOnce.Do(func() { sharedMaria, sharedMariaErr = startMariaDB() })
	if sharedMariaErr != nil {
		testdata.Require(t, "MySQL", sharedMariaErr)
	}
	if err := sharedMaria.admin("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	if drop {
		t.Cleanup(func() { sharedMaria.admin("DROP DATABASE " + name) })
	}
	return sharedMaria.dsn(name)
}

// privateMariaDB starts a server of the test's own, for tests that kill it.
func privateMariaDB(t testing.TB, extra ...string) *mariaDB {
	t.Helper()
	m, err := startMariaDB(extra...)
	if err != nil {
		testdata.Require(t, "MySQL", err)
	}
	t.Cleanup(m.stop)
	return m
}

func TestMain(m *testing.M) {
	if os.Getenv(enrolHelperEnv) != "" {
		os.Exit(enrolHelper()) // a station enrolling, for TestDuplicateFaceAcrossProcesses
	}
	code := m.Run()
	for _, s := range benchStores {
		s.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	if sharedMaria != nil {
		sharedMaria.stop()
	}
	os.Exit(code)
}

// ctxT is a test context that ends with the test.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
