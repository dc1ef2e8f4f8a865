package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cheapPINParams keep table tests fast; one test uses the real costs.
var cheapPINParams = pinParams{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}

func TestPINHash(t *testing.T) {
	h, err := hashPIN("2468", cheapPINParams)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parsePINHash(h.String())
	if err != nil {
		t.Fatalf("parse %q: %v", h.String(), err)
	}
	if parsed.String() != h.String() {
		t.Fatalf("round trip: %q != %q", parsed.String(), h.String())
	}
	for _, c := range []struct {
		pin  string
		want bool
	}{
		{"2468", true},
		{"2469", false},
		{"", false},
		{"24680", false},
		{" 2468", false},
	} {
		t.Run(c.pin, func(t *testing.T) {
			if got := parsed.check(c.pin); got != c.want {
				t.Errorf("check(%q) = %v, want %v", c.pin, got, c.want)
			}
		})
	}
	other, _ := hashPIN("2468", cheapPINParams)
	if bytes.Equal(other.salt, h.salt) || bytes.Equal(other.key, h.key) {
		t.Error("two hashes of one PIN share a salt")
	}
}

// TestPINHashDefaultCosts: the stored hash uses argon2id at 64 MiB, 3
// passes, and checking it takes real time (the point of a slow KDF).
func TestPINHashDefaultCosts(t *testing.T) {
	h, err := hashPIN("2468", defaultPINParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h.String(), "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("hash %q", h.String())
	}
	start := time.Now()
	ok := h.check("2468")
	took := time.Since(start)
	if !ok {
		t.Fatal("the right PIN is refused")
	}
	if took < 20*time.Millisecond {
		t.Errorf("a check took %v: too cheap to slow down guessing", took)
	}
	t.Logf("one PIN check: %v", took)
}

func TestParsePINHashRejects(t *testing.T) {
	good, _ := hashPIN("2468", cheapPINParams)
	parts := strings.Split(good.String(), "$")
	salt, key := parts[4], parts[5]
	for _, c := range []struct{ name, in string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuu"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"params order", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key},
		{"huge memory", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key},
		{"zero passes", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"many passes", "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key},
		{"zero threads", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"threads over 255", "$argon2id$v=19$m=65536,t=1,p=256$" + salt + "$" + key},
		{"memory below 8p", "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key},
		{"short hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA"},
		{"padded base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"extra field", good.String() + "$x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := parsePINHash(c.in); !errors.Is(err, errBadPINHash) {
				t.Errorf("parse %q: %v, want errBadPINHash", c.in, err)
			}
		})
	}
}

func FuzzParsePINHash(f *testing.F) {
	good, _ := hashPIN("2468", cheapPINParams)
	f.Add(good.String())
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePINHash(s)
		if err != nil {
			return
		}
		// A parsed hash is within bounds and prints back as it was read.
		if h.params.Memory > maxPINMemory || h.params.Time > maxPINTime || len(h.key) > maxPINKey {
			t.Fatalf("out of bounds: %+v", h.params)
		}
		if h.String() != strings.TrimSpace(s) {
			t.Fatalf("%q prints as %q", s, h.String())
		}
	})
}

func TestValidPIN(t *testing.T) {
	for _, c := range []struct {
		pin string
		ok  bool
	}{
		{"2468", true},
		{"correct-horse", true},
		{"äöüß", true},
		{"123", false},
		{"", false},
		{"12 34", false},
		{"1234\t", false},
		{strings.Repeat("9", 65), false},
	} {
		t.Run(c.pin, func(t *testing.T) {
			if err := validPIN(c.pin); (err == nil) != c.ok {
				t.Errorf("validPIN(%q) = %v", c.pin, err)
			}
		})
	}
}

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
	check := checkPINFile(path)
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
	if ok, err := checkPINFile(other)("9999"); !ok || err != nil {
		t.Errorf("--pin-file: %v %v", ok, err)
	}
	c.want(exitOK, "admin", "clear-pin")
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("clear-pin left %s: %v", path, err)
	}
	c.want(exitUsage, "admin")
	c.want(exitUsage, "admin", "show-pin")
}

// BenchmarkCheckPIN: the cost of one guess at the default parameters.
func BenchmarkCheckPIN(b *testing.B) {
	h, err := hashPIN("2468", defaultPINParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		h.check("1357")
	}
}
