package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"facelogin/internal/testkit"
)

func TestDSNHasPassword(t *testing.T) {
	for _, c := range []struct {
		dsn  string
		want bool
	}{
		{"mysql://facelogin:secret@db:3306/facelogin", true},
		{"mysql://facelogin@db:3306/facelogin", false},
		{"mysql://facelogin:@db/facelogin", false},
		{"mysql://fl:p%40ss@db/facelogin?tls=true", true},
		{"facelogin:secret@tcp(db:3306)/facelogin", true},
		{"mysql:facelogin:secret@tcp(db:3306)/facelogin", true},
		{"facelogin@tcp(db:3306)/facelogin", false},
		{"fl@unix(/run/mysqld.sock)/facelogin", false},
		{"sqlite:/var/lib/facelogin/f.db", false},
		{"/home/me/facelogin.db", false},
		{"", false},
	} {
		if got := DSNHasPassword(c.dsn); got != c.want {
			t.Errorf("DSNHasPassword(%q) = %v, want %v", c.dsn, got, c.want)
		}
		if c.want && strings.Contains(RedactDSN(c.dsn), "secret") {
			t.Errorf("RedactDSN(%q) = %q", c.dsn, RedactDSN(c.dsn))
		}
	}
	// A password in a query parameter as well (found by a tester).
	if r := RedactDSN("mysql://u:secret@127.0.0.1:1/db?tls=false&password=secret2"); strings.Contains(r, "secret") {
		t.Errorf("RedactDSN kept a password: %q", r)
	}
}

// TestSecretFiles: a password file and the settings file are read only
// when nobody but their owner can read or write them, and never block.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		return testkit.WriteFile(t, filepath.Join(dir, name), content, mode)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, want string
		err              error
	}{
		{"line", write("a", "pw\n", 0o600), "pw", nil},
		{"no newline", write("b", "pw", 0o400), "pw", nil},
		{"crlf and more lines", write("c", "p w\r\nnext\n", 0o600), "p w", nil},
		{"group-readable", write("d", "pw\n", 0o640), "", ErrUnsafeFile},
		{"world-readable", write("e", "pw\n", 0o604), "", ErrUnsafeFile},
		{"group-writable", write("f", "pw\n", 0o620), "", ErrUnsafeFile},
		{"directory", dir, "", ErrUnsafeFile},
		{"named pipe", fifo, "", ErrUnsafeFile},
		{"missing", filepath.Join(dir, "none"), "", fs.ErrNotExist},
	} {
		t.Run(c.name, func(t *testing.T) {
			pw, err := ReadPasswordFile(c.path)
			if pw != c.want || (c.err == nil) != (err == nil) || (c.err != nil && !errors.Is(err, c.err)) {
				t.Fatalf("ReadPasswordFile = %q, %v; want %q, %v", pw, err, c.want, c.err)
			}
		})
	}
	if _, err := ReadPasswordFile(write("empty", "\n", 0o600)); err == nil {
		t.Error("an empty password file was accepted")
	}
	for _, c := range []struct {
		name, content string
		mode          os.FileMode
		want          string
		err           error
	}{
		{"dsn", "mysql://fl:pw@db/facelogin\n", 0o600, "mysql://fl:pw@db/facelogin", nil},
		{"comments", "# kiosk\n\n  fl@tcp(db)/facelogin  \n", 0o600, "fl@tcp(db)/facelogin", nil},
		{"only comments", "# nothing\n", 0o600, "", nil},
		{"world-readable", "mysql://fl:pw@db/facelogin\n", 0o644, "", ErrUnsafeFile},
	} {
		t.Run("settings "+c.name, func(t *testing.T) {
			got, err := ReadSettingsDSN(write("settings-"+c.name, c.content, c.mode))
			if got != c.want || !errors.Is(err, c.err) {
				t.Fatalf("ReadSettingsDSN = %q, %v; want %q, %v", got, err, c.want, c.err)
			}
		})
	}
	if got, err := ReadSettingsDSN(filepath.Join(dir, "none")); got != "" || err != nil {
		t.Errorf("missing settings file: %q, %v", got, err)
	}
}

// TestConfigPassword: Config.Password opens a MySQL database whose DSN has
// no password (and wins over a wrong one in the DSN); SQLite refuses one.
func TestConfigPassword(t *testing.T) {
	dsn := mysqlTestDB(t) // facelogin:test-pw@tcp(…)/db
	bare := strings.Replace(dsn, ":"+testMySQLPass+"@", "@", 1)
	wrong := strings.Replace(dsn, ":"+testMySQLPass+"@", ":wrong@", 1)
	key := make([]byte, 32)
	for _, c := range []struct {
		name, dsn, password string
		ok                  bool
	}{
		{"in the config", bare, testMySQLPass, true},
		{"config wins over the dsn", wrong, testMySQLPass, true},
		{"none", bare, "", false},
		{"wrong", bare, "wrong", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := Open(ctxT(t), Config{DSN: c.dsn, Password: c.password, Key: key, ConnectTimeout: 10e9})
			if err == nil {
				st.Close()
			}
			if (err == nil) != c.ok {
				t.Fatalf("open: %v, want ok %v", err, c.ok)
			}
		})
	}
	_, err := Open(context.Background(), Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "f.db"), Create: true, Password: "pw", Key: key})
	if err == nil || !strings.Contains(err.Error(), "needs none") {
		t.Fatalf("SQLite with a password: %v", err)
	}
}
