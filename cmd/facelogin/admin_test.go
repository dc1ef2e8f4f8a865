package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facelogin/internal/adminpin"
)

// withStdin runs f with standard input reading text.
func withStdin(t *testing.T, text string, f func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.WriteString(text)
		w.Close()
	}()
	old := os.Stdin
	os.Stdin = r
	defer func() {
		os.Stdin = old
		r.Close()
	}()
	f()
}

// TestAdminSetPIN: `facelogin admin set-pin` stores an argon2id hash in a
// 0600 file under $XDG_CONFIG_HOME, refuses bad PINs, and the kiosk refuses
// to start without a PIN or with a file others can read.
func TestAdminSetPIN(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	c := &cli{t: t}
	path := filepath.Join(home, "config", "facelogin", "admin-pin")

	_, errOut := c.want(exitUsage, "--kiosk")
	if !strings.Contains(errOut, "no administrator PIN is set") || !strings.Contains(errOut, "facelogin admin set-pin") {
		t.Errorf("kiosk without a PIN: %s", errOut)
	}

	for pin, want := range map[string]string{"2468": "at least 6 digits", "123456": "too easy to guess", "112233": "too easy to guess"} {
		withStdin(t, pin+"\n", func() {
			if _, errOut := c.want(exitInput, "admin", "set-pin"); !strings.Contains(errOut, want) {
				t.Errorf("PIN %s: %s", pin, errOut)
			}
		})
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused PIN left a file: %v", err)
	}

	withStdin(t, "583920\n", func() {
		out, _ := c.want(exitOK, "admin", "set-pin")
		if !strings.Contains(out, path) {
			t.Errorf("set-pin output %q", out)
		}
	})
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("PIN file mode %v", st.Mode().Perm())
	}
	if dst, _ := os.Stat(filepath.Dir(path)); dst.Mode().Perm() != 0o700 {
		t.Errorf("PIN directory mode %v", dst.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "583920") || !strings.HasPrefix(string(raw), "$argon2id$") {
		t.Fatalf("PIN file %q", raw)
	}
	check := adminpin.Checker(path)
	for pin, want := range map[string]bool{"583920": true, "906417": false} {
		if ok, err := check(pin); err != nil || ok != want {
			t.Errorf("check %q: %v %v", pin, ok, err)
		}
	}
	if got, err := kioskPINFile(""); err != nil || got != path {
		t.Errorf("kiosk PIN file %q, %v", got, err)
	}

	// A PIN file others can read is refused, by the kiosk and the check.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut := c.want(exitUsage, "--kiosk"); !strings.Contains(errOut, "want 0600") {
		t.Errorf("world-readable PIN file: %s", errOut)
	}
	if _, err := check("583920"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("check with a world-readable file: %v", err)
	}
	os.Chmod(path, 0o600)

	// --pin-file puts it elsewhere; clear-pin (with the current PIN)
	// removes it and its record of wrong PINs.
	other := filepath.Join(t.TempDir(), "pin")
	withStdin(t, "7310894", func() { c.want(exitOK, "admin", "set-pin", "--pin-file", other) })
	if ok, err := adminpin.Checker(other)("7310894"); !ok || err != nil {
		t.Errorf("--pin-file: %v %v", ok, err)
	}
	withStdin(t, "583920\n", func() { c.want(exitOK, "admin", "clear-pin") })
	for _, p := range []string{path, adminpin.AttemptsPath(path)} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("clear-pin left %s: %v", p, err)
		}
	}
	c.want(exitUsage, "admin")
	c.want(exitUsage, "admin", "show-pin")
}

// TestAdminChangePIN: with a PIN set, set-pin and clear-pin want the
// current one (first line from a script), under the kiosk's back-off with
// its record shared; root may reset without it, nobody else.
func TestAdminChangePIN(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	c := &cli{t: t}
	path := filepath.Join(home, "config", "facelogin", "admin-pin")
	record := adminpin.AttemptsFile(path)
	withStdin(t, "583920\n", func() { c.want(exitOK, "admin", "set-pin") })

	checks := func(pin string) bool {
		ok, err := adminpin.Checker(path)(pin)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, sub := range []string{"set-pin", "clear-pin"} {
		// A wrong current PIN changes nothing and is counted.
		tried := time.Now()
		withStdin(t, "000111\n906417\n", func() {
			if _, errOut := c.want(exitInput, "admin", sub); !strings.Contains(errOut, "wrong PIN; nothing changed") {
				t.Errorf("%s with a wrong PIN: %s", sub, errOut)
			}
		})
		a, err := record.Load()
		if err != nil || a.Failures != 1 || a.NextAt.Before(tried.Add(adminpin.DefaultBackoff.First)) {
			t.Fatalf("%s: record after a wrong PIN %+v, %v", sub, a, err)
		}
		// Within the back-off (longer than the machine's pace) nothing
		// is even read.
		record.Save(adminpin.Attempts{Failures: 1, NextAt: time.Now().Add(time.Hour)})
		withStdin(t, "583920\n906417\n", func() {
			if _, errOut := c.want(exitInput, "admin", sub); !strings.Contains(errOut, "too many wrong PINs") {
				t.Errorf("%s during the back-off: %s", sub, errOut)
			}
		})
		if !checks("583920") {
			t.Fatalf("%s changed the PIN without the current one", sub)
		}
		record.Save(adminpin.Attempts{}) // the wait is over
	}

	// The right current PIN, then a new one.
	withStdin(t, "583920\n906417\n", func() { c.want(exitOK, "admin", "set-pin") })
	if !checks("906417") || checks("583920") {
		t.Fatal("set-pin with the current PIN did not change it")
	}
	if a, err := record.Load(); err != nil || a.Failures != 0 {
		t.Errorf("record after the right PIN %+v, %v", a, err)
	}

	// A deleted record counts as many wrong PINs, not as none.
	os.Remove(adminpin.AttemptsPath(path))
	withStdin(t, "906417\n284719\n", func() {
		if _, errOut := c.want(exitInput, "admin", "set-pin"); !strings.Contains(errOut, "try again in 5m0s") {
			t.Errorf("deleted record: %s", errOut)
		}
	})

	// --reset: root only.
	for _, root := range []bool{false, true} {
		t.Run(fmt.Sprintf("reset as root %v", root), func(t *testing.T) {
			old := isRoot
			isRoot = func() bool { return root }
			defer func() { isRoot = old }()
			code := exitUsage
			if root {
				code = exitOK
			}
			withStdin(t, "284719\n", func() { c.want(code, "admin", "set-pin", "--reset") })
			if got := checks("284719"); got != root {
				t.Errorf("reset as root %v: PIN replaced %v", root, got)
			}
		})
	}
	if a, err := record.Load(); err != nil || a.Failures != 0 || !a.NextAt.IsZero() {
		t.Errorf("record after a reset %+v, %v", a, err)
	}
}
