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

// MariaDB is a private MariaDB server of one test (own datadir, loopback
// port, no system service; ../shared/FACTS.md), for tests outside store/
// that run on MySQL too.
type MariaDB struct {
	dir  string
	port int
	dbs  atomic.Int64
}

// mariaDBUser is the account tests connect as (all privileges).
const (
	mariaDBUser = "facelogin"
	mariaDBPass = "test-pw"
)

// StartMariaDB installs a datadir and starts a server on a free loopback
// port; it is shut down and removed when the test ends. Without
// mariadb-server the test skips on a laptop and fails when CI=true.
func StartMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	for _, tool := range []string{"mariadb-install-db", "mariadbd", "mariadb-admin", "mariadb"} {
		if _, err := exec.LookPath(tool); err != nil {
			testdata.Require(t, "MariaDB ("+tool+"; apt-get install mariadb-server)", err)
			return nil
		}
	}
	// Short: a unix socket path has at most 107 bytes.
	dir, err := os.MkdirTemp("", "fl-tmaria-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+filepath.Join(dir, "data"),
		"--user=root", "--auth-root-authentication-method=normal", "--skip-test-db").CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &MariaDB{dir: dir, port: l.Addr().(*net.TCPAddr).Port}
	l.Close()
	srv := exec.Command("mariadbd", "--no-defaults", "--user=root", "--datadir="+filepath.Join(dir, "data"),
		"--socket="+m.socket(), "--port="+strconv.Itoa(m.port), "--bind-address=127.0.0.1",
		"--pid-file="+filepath.Join(dir, "mysqld.pid"), "--log-error="+filepath.Join(dir, "mysqld.err"),
		"--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=64M", "--max-connections=50")
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := srv.Start(); err != nil {
		t.Fatalf("start mariadbd: %v", err)
	}
	done := make(chan struct{})
	go func() { srv.Wait(); close(done) }()
	t.Cleanup(func() {
		exec.Command("mariadb-admin", "--no-defaults", "-S", m.socket(), "-uroot", "shutdown").Run()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			srv.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(2 * time.Minute)
	for exec.Command("mariadb-admin", "--no-defaults", "-S", m.socket(), "-uroot", "ping").Run() != nil {
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "mysqld.err"))
			t.Fatalf("mariadbd exited at start:\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("mariadbd did not answer within 2 min")
		}
	}
	m.admin(t, fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'; GRANT ALL ON *.* TO '%s'@'127.0.0.1'",
		mariaDBUser, mariaDBPass, mariaDBUser))
	return m
}

func (m *MariaDB) socket() string { return filepath.Join(m.dir, "mysqld.sock") }

func (m *MariaDB) admin(t testing.TB, sql string) {
	t.Helper()
	if out, err := exec.Command("mariadb", "--no-defaults", "-S", m.socket(), "-uroot", "-e", sql).CombinedOutput(); err != nil {
		t.Fatalf("mariadb -e %q: %v\n%s", sql, err, out)
	}
}

// NewDatabase creates an empty database and returns its go-sql-driver DSN
// ("user:pw@tcp(127.0.0.1:PORT)/NAME"), which store.Open takes as it is.
func (m *MariaDB) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("fl_test_%d", m.dbs.Add(1))
	m.admin(t, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4")
	return fmt.Sprintf("%s:%s@tcp(127.0.0.1:%d)/%s", mariaDBUser, mariaDBPass, m.port, name)
}
