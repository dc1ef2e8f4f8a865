package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyAfterNameSwap: someone who can write the database swaps two
// users' names. Their templates, sealed to the old names, no longer open;
// `verify --user admin` must say that admin is enrolled but unverifiable
// and what to do, not "no such user" while `users list` shows admin.
func TestVerifyAfterNameSwap(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(t.TempDir(), "swap.db")
	for _, u := range []struct{ name, photo string }{{"admin", "bona.jpg"}, {"other", "joy.jpg"}, {"third", "elkie.jpg"}} {
		c.want(exitOK, "enrol", "--db", db, "--create", "--user", u.name, c.photo(u.photo))
	}
	sqldb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"UPDATE users SET username = 'tmp', username_key = 'TMP' WHERE username = 'admin'",
		"UPDATE users SET username = 'admin', username_key = 'ADMIN' WHERE username = 'other'",
		"UPDATE users SET username = 'other', username_key = 'OTHER' WHERE username = 'tmp'",
	} {
		if _, err := sqldb.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	sqldb.Close()
	for _, tc := range []struct{ claim, photo string }{{"admin", "bona2.jpg"}, {"admin", "joy.jpg"}, {"other", "bona2.jpg"}} {
		t.Run(tc.claim+"/"+tc.photo, func(t *testing.T) {
			out, errOut := c.want(exitDatabase, "verify", "--db", db, "--user", tc.claim, c.photo(tc.photo))
			if strings.Contains(errOut, "no such user") || !strings.Contains(errOut, `"`+tc.claim+`" is enrolled`) ||
				!strings.Contains(errOut, "changed outside facelogin") || !strings.Contains(errOut, "backup") || strings.Contains(out, tc.claim) {
				t.Fatalf("stdout %q\nstderr %q", out, errOut)
			}
		})
	}
	c.want(exitOK, "verify", "--db", db, "--user", "third", c.photo("elkie.jpg")) // the untouched user still verifies
	_, errOut := c.want(exitInput, "verify", "--db", db, "--user", "nobody", c.photo("elkie.jpg"))
	if !strings.Contains(errOut, "no such user") {
		t.Fatalf("a name nobody has: %s", errOut)
	}
}

// TestVerifyAfterKeySwap: the record altered so its name and the key it
// is filed under disagree — only the keys of two users swapped (their
// templates, sealed to the names, still open), or one stored name edited —
// is said to be altered outside facelogin, not "does not match" (the claim
// judged against the other person's templates) nor "no such user".
func TestVerifyAfterKeySwap(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		name    string
		queries []string
	}{
		{"keys swapped", []string{
			"UPDATE users SET username_key = 'TMP' WHERE username = 'admin'",
			"UPDATE users SET username_key = 'ADMIN' WHERE username = 'other'",
			"UPDATE users SET username_key = 'OTHER' WHERE username = 'admin'",
		}},
		{"name edited", []string{"UPDATE users SET username = 'admim' WHERE username = 'admin'"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "swap.db")
			for _, u := range []struct{ name, photo string }{{"admin", "bona.jpg"}, {"other", "joy.jpg"}} {
				c.want(exitOK, "enrol", "--db", db, "--create", "--user", u.name, c.photo(u.photo))
			}
			sqldb, err := sql.Open("sqlite", db)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range tc.queries {
				if _, err := sqldb.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			sqldb.Close()
			out, errOut := c.want(exitDatabase, "verify", "--db", db, "--user", "admin", c.photo("bona2.jpg"))
			if !strings.Contains(errOut, `the record of "admin" was altered outside facelogin`) || !strings.Contains(errOut, "backup") ||
				strings.Contains(out+errOut, "does not match admin") || strings.Contains(errOut, "no such user") {
				t.Fatalf("stdout %q\nstderr %q", out, errOut)
			}
		})
	}
}

// TestMissingDatabaseHint: a database that is missing (or unreachable) is
// fixed where its address came from, and the hint names that place: the
// settings file with its path, $FACELOGIN_DB or --db.
func TestMissingDatabaseHint(t *testing.T) {
	c := newCLI(t)
	missing := filepath.Join(t.TempDir(), "gone", "users.db")
	settings := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "facelogin", "database")
	if err := os.MkdirAll(filepath.Dir(settings), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, settings, env string
		args                []string
		want                []string
		not                 string
	}{
		{"settings file", missing, "", nil, []string{"settings file " + settings, "--create"}, ""},
		{"settings file, server down", "mysql://fl@127.0.0.1:1/facelogin", "", nil, []string{"cannot reach the database", "settings file " + settings}, ""},
		{"environment", "", missing, nil, []string{"$FACELOGIN_DB", "--create"}, "settings file"},
		{"flag", missing, "", []string{"--db", missing}, []string{"the --db value", "--create"}, "settings file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(settings)
			if tc.settings != "" {
				if err := os.WriteFile(settings, []byte(tc.settings+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("FACELOGIN_DB", tc.env)
			_, errOut := c.want(exitDatabase, append([]string{"users", "list"}, tc.args...)...)
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Fatalf("stderr does not name %q:\n%s", w, errOut)
				}
			}
			if tc.not != "" && strings.Contains(errOut, tc.not) {
				t.Fatalf("stderr names %q:\n%s", tc.not, errOut)
			}
		})
	}
}

// TestUsersFlagsBeforeSubcommand: `users --db X rename A B` works as
// `users rename --db X A B` does; flags after the names, an unknown
// subcommand and a wrong count of names are each said in words.
func TestUsersFlagsBeforeSubcommand(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(t.TempDir(), "users.db")
	c.want(exitOK, "enrol", "--db", db, "--create", "--user", "ann", c.photo("bona.jpg"))
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout for exitOK, in stderr otherwise
	}{
		{"flags before", []string{"users", "--db", db, "rename", "ann", "bea"}, exitOK, "renamed ann to bea"},
		{"flags after", []string{"users", "rename", "--db", db, "bea", "cid"}, exitOK, "renamed bea to cid"},
		{"list, flags before", []string{"users", "--db", db, "list"}, exitOK, "cid"},
		{"list by default", []string{"users", "--db", db}, exitOK, "cid"},
		{"flags after the names", []string{"users", "rename", "cid", "dee", "--db", db}, exitUsage, "flags go before the names"},
		{"unknown subcommand", []string{"users", "--db", db, "renam", "cid", "dee"}, exitUsage, `no subcommand "renam"`},
		{"one name for rename", []string{"users", "--db", db, "rename", "cid"}, exitUsage, "users rename takes 2 name(s), got 1"},
		// A global-looking flag before the command: refused, the window does
		// not open in its place.
		{"flag before the command", []string{"--db", db, "users", "list"}, exitUsage, `unexpected "users list" after the window's options: a command comes first`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut := c.want(tc.code, tc.args...)
			got := errOut
			if tc.code == exitOK {
				got = out
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("want %q\nstdout: %s\nstderr: %s", tc.want, out, errOut)
			}
		})
	}
}
