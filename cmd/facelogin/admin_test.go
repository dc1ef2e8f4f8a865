package main

import (
	"errors"
	"facelogin/internal/adminpin"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

	withStdin(t, "12\n", func() {
		if _, errOut := c.want(exitInput, "admin", "set-pin"); !strings.Contains(errOut, "at least 4") {
			t.Errorf("short PIN: %s", errOut)
		}
	})
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused PIN left a file: %v", err)
	}

	withStdin(t, "2468\n", func() {
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
	if strings.Contains(string(raw), "2468") || !strings.HasPrefix(string(raw), "$argon2id$") {
		t.Fatalf("PIN file %q", raw)
	}
	check := adminpin.Checker(path)
	for pin, want := range map[string]bool{"2468": true, "1357": false} {
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
	if _, err := check("2468"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("check with a world-readable file: %v", err)
	}
	os.Chmod(path, 0o600)

	// --pin-file puts it elsewhere; clear-pin removes it.
	other := filepath.Join(t.TempDir(), "pin")
	withStdin(t, "9999", func() { c.want(exitOK, "admin", "set-pin", "--pin-file", other) })
	if ok, err := adminpin.Checker(other)("9999"); !ok || err != nil {
		t.Errorf("--pin-file: %v %v", ok, err)
	}
	c.want(exitOK, "admin", "clear-pin")
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("clear-pin left %s: %v", path, err)
	}
	c.want(exitUsage, "admin")
	c.want(exitUsage, "admin", "show-pin")
}
