package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"facelogin/internal/testkit"
	"facelogin/store"
)

// TestPasswordOutOfArgv: the MySQL password reaches the program without
// being in its arguments (where every local user reads it with ps): from a
// 0600 file (--db-password-file), from $FACELOGIN_DB_PASSWORD, or with the
// whole DSN in ~/.config/facelogin/database (0600). A password in --db
// still works, with a warning that does not repeat it; files others may
// read are refused. Against a private MariaDB (skips on a laptop without
// mariadb-server, fails when CI=true).
func TestPasswordOutOfArgv(t *testing.T) {
	const secret = "s3cret-pw"
	root := kioskMariaDB(t) // root@unix(SOCK)/kiosk
	sock := strings.TrimSuffix(strings.TrimPrefix(root, "root@unix("), ")/kiosk")
	if out, err := exec.Command("mariadb", "--no-defaults", "-S", sock, "-uroot", "-e",
		"CREATE USER 'fl'@'localhost' IDENTIFIED BY '"+secret+"'; GRANT ALL ON kiosk.* TO 'fl'@'localhost'").CombinedOutput(); err != nil {
		t.Fatalf("create user: %v\n%s", err, out)
	}
	noPassword := "fl@unix(" + sock + ")/kiosk"
	withPassword := "fl:" + secret + "@unix(" + sock + ")/kiosk"

	c := newCLI(t)
	t.Setenv("FACELOGIN_KEY", strings.Repeat("ab", 32))
	dir := t.TempDir()
	file := func(name, content string, mode os.FileMode) string {
		return testkit.WriteFile(t, filepath.Join(dir, name), content, mode)
	}
	settings := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "facelogin", "database")
	if err := os.MkdirAll(filepath.Dir(settings), 0o700); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name     string
		env      string // FACELOGIN_DB_PASSWORD
		settings string // content of ~/.config/facelogin/database, "" for none
		mode     os.FileMode
		args     []string
		code     int
		stderr   string // must appear
		warn     bool   // the command-line warning
	}{
		{"password file", "", "", 0, []string{"--db", noPassword, "--db-password-file", file("pw", secret+"\n", 0o600)}, exitOK, "MySQL fl@unix", false},
		{"password file with CRLF", "", "", 0, []string{"--db", noPassword, "--db-password-file", file("pw-crlf", secret+"\r\nignored\n", 0o600)}, exitOK, "MySQL fl@unix", false},
		{"environment", secret, "", 0, []string{"--db", noPassword}, exitOK, "MySQL fl@unix", false},
		{"settings file", "", "# the kiosk's database\n" + withPassword + "\n", 0o600, nil, exitOK, "(settings file)", false},
		{"settings file and environment", secret, noPassword + "\n", 0o600, nil, exitOK, "MySQL fl@unix", false},
		{"on the command line", "", "", 0, []string{"--db", withPassword}, exitOK, "carries the database password", true},
		{"no password", "", "", 0, []string{"--db", noPassword}, exitDatabase, "Access denied", false},
		{"password file readable by others", "", "", 0, []string{"--db", noPassword, "--db-password-file", file("pw-open", secret+"\n", 0o644)}, exitDatabase, "chmod 600", false},
		{"password file is a directory", "", "", 0, []string{"--db", noPassword, "--db-password-file", dir}, exitDatabase, "not a regular file", false},
		{"empty password file", "", "", 0, []string{"--db", noPassword, "--db-password-file", file("pw-empty", "\n", 0o600)}, exitDatabase, "first line is empty", false},
		{"settings file readable by others", "", withPassword + "\n", 0o644, nil, exitDatabase, "chmod 600", false},
		{"password for SQLite", "", "", 0, []string{"--db", filepath.Join(dir, "f.db"), "--create", "--db-password-file", file("pw-sqlite", secret+"\n", 0o600)}, exitDatabase, "needs none", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(store.PasswordEnv, tc.env)
			os.Remove(settings)
			if tc.settings != "" {
				if err := os.WriteFile(settings, []byte(tc.settings), tc.mode); err != nil {
					t.Fatal(err)
				}
				os.Chmod(settings, tc.mode)
			}
			_, errOut := c.want(tc.code, append([]string{"users", "list"}, tc.args...)...)
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, errOut)
			}
			if strings.Contains(errOut, secret) {
				t.Errorf("stderr shows the password:\n%s", errOut)
			}
			if got := strings.Contains(errOut, "warning"); got != tc.warn {
				t.Errorf("warning %v, want %v:\n%s", got, tc.warn, errOut)
			}
		})
	}
}
