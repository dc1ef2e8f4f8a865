package adminpin

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cheapParams keep table tests fast; one test uses the real costs.
var cheapParams = Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}

func TestHash(t *testing.T) {
	h, err := New("2468", cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(h.String())
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
			if got := parsed.Check(c.pin); got != c.want {
				t.Errorf("check(%q) = %v, want %v", c.pin, got, c.want)
			}
		})
	}
	other, _ := New("2468", cheapParams)
	if bytes.Equal(other.Salt, h.Salt) || bytes.Equal(other.Key, h.Key) {
		t.Error("two hashes of one PIN share a salt")
	}
}

// TestDefaultCosts: the stored hash uses argon2id at 64 MiB and 3 passes
// (RFC 9106's second option). What one guess costs in time is measured by
// BenchmarkCheckPIN, not asserted here: a timed unit test depends on how
// busy the machine is.
func TestDefaultCosts(t *testing.T) {
	h, err := New("2468", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h.String(), "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("hash %q", h.String())
	}
	if !h.Check("2468") || h.Check("2469") {
		t.Fatal("the default-cost hash does not tell the right PIN from a wrong one")
	}
}

func TestParseRejects(t *testing.T) {
	good, _ := New("2468", cheapParams)
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
			if _, err := Parse(c.in); !errors.Is(err, ErrBadHash) {
				t.Errorf("parse %q: %v, want ErrBadHash", c.in, err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	good, _ := New("2468", cheapParams)
	f.Add(good.String())
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			return
		}
		// A parsed hash is within bounds and prints back as it was read.
		if h.Params.Memory > MaxMemory || h.Params.Time > MaxTime || len(h.Key) > MaxKey {
			t.Fatalf("out of bounds: %+v", h.Params)
		}
		if h.String() != strings.TrimSpace(s) {
			t.Fatalf("%q prints as %q", s, h.String())
		}
	})
}

func TestValidate(t *testing.T) {
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
			if err := Validate(c.pin); (err == nil) != c.ok {
				t.Errorf("Validate(%q) = %v", c.pin, err)
			}
		})
	}
}

// BenchmarkCheckPIN: the cost of one guess at the default parameters.
func BenchmarkCheckPIN(b *testing.B) {
	h, err := New("2468", DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		h.Check("1357")
	}
}

// TestFile: WriteFile makes a 0600 file in a 0700 directory that ReadFile
// and Checker accept; a file others may read is refused.
func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", "admin-pin")
	h, err := New("2468", cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, h); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Dir(path)); st.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v", st.Mode().Perm())
	}
	got, err := ReadFile(path)
	if err != nil || got.String() != h.String() {
		t.Fatalf("ReadFile: %v, %v", got, err)
	}
	check := Checker(path)
	for pin, want := range map[string]bool{"2468": true, "1357": false} {
		if ok, err := check(pin); err != nil || ok != want {
			t.Errorf("check %q: %v %v", pin, ok, err)
		}
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := check("2468"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("group-readable file: %v", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestReadNewFromPipe: not a terminal, so the first line is the PIN.
func TestReadNewFromPipe(t *testing.T) {
	for _, c := range []struct {
		in   string
		pin  string
		want error
	}{
		{"2468\n", "2468", nil},
		{"2468", "2468", nil},
		{"12\n", "", ErrInvalid},
		{"", "", ErrNoInput},
	} {
		t.Run(strings.TrimSpace(c.in), func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			go func() {
				w.WriteString(c.in)
				w.Close()
			}()
			pin, err := ReadNew(r, io.Discard)
			if !errors.Is(err, c.want) || (c.want == nil && pin != c.pin) {
				t.Errorf("ReadNew(%q) = %q, %v; want %q, %v", c.in, pin, err, c.pin, c.want)
			}
		})
	}
}
