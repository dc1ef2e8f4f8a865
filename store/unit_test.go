package store

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"facelogin/recognition"
)

func TestNormalizeUsername(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ann", "ann", true},
		{"  Ann.Lee_2-b \t", "Ann.Lee_2-b", true},
		{"Zoë", "Zoë", true},
		{"Zoe\u0308", "Zoë", true}, // combining diaeresis becomes the precomposed ë
		{"李小龙", "李小龙", true},
		{"नमस्ते", "नमस्ते", true}, // Devanagari vowel signs are marks
		{"Ωmega", "Ωmega", true},
		{"a_c", "a_c", true},
		{"1.0-OR-1-1", "1.0-OR-1-1", true},
		{strings.Repeat("é", 64), strings.Repeat("é", 64), true}, // 64 characters, 128 bytes
		{"", "", false},
		{"   ", "", false},
		{strings.Repeat("a", 65), "", false},
		{"ann lee", "", false},
		{"robert'); DROP TABLE users;--", "", false},
		{"a%", "", false},
		{"admin\"", "", false},
		{"a\x00b", "", false},
		{"a\u200bb", "", false}, // zero-width space
		{"\u0301a", "", false},  // a mark cannot start a name
		{"ann\xff", "", false},  // invalid UTF-8
		{"😀", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizeUsername(tc.in)
			if tc.ok {
				if err != nil || got != tc.want {
					t.Fatalf("NormalizeUsername(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("NormalizeUsername(%q) = %q, %v; want ErrInvalidName", tc.in, got, err)
			}
		})
	}
}

func TestUsernameKey(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"ann", "ANN", true},
		{"Ann", "aNn", true},
		{"kelvin", "\u212aelvin", true}, // KELVIN SIGN folds to k
		{"ΣΊΣΥΦΟΣ", "σίσυφος", true},
		{"σίσυφος", "σίσυφοσ", true}, // final sigma
		{"a", "á", false},
		{"straße", "strasse", false}, // simple folding, as strings.EqualFold
		{"ann", "ann.", false},
	}
	for _, tc := range tests {
		t.Run(tc.a+"/"+tc.b, func(t *testing.T) {
			a, err1 := NormalizeUsername(tc.a)
			b, err2 := NormalizeUsername(tc.b)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if got := usernameKey(a) == usernameKey(b); got != tc.same {
				t.Fatalf("same key = %v, want %v", got, tc.same)
			}
		})
	}
}

func FuzzNormalizeUsername(f *testing.F) {
	for _, s := range []string{"ann", "Zoe\u0308", "नमस्ते", "robert'); DROP TABLE users;--", "\u212a", "ΣΊΣΥΦΟΣ", "a\xffb"} {
		f.Add(s, strings.ToUpper(s))
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na, err := NormalizeUsername(a)
		if err != nil {
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("error %v is not ErrInvalidName", err)
			}
			return
		}
		if n := utf8.RuneCountInString(na); n < 1 || n > MaxUsernameLen || !utf8.ValidString(na) {
			t.Fatalf("accepted %q (%d runes)", na, n)
		}
		if again, err := NormalizeUsername(na); err != nil || again != na {
			t.Fatalf("not idempotent: %q -> %q, %v", na, again, err)
		}
		k := usernameKey(na)
		if utf8.RuneCountInString(k) != utf8.RuneCountInString(na) || usernameKey(k) != k {
			t.Fatalf("key %q of %q", k, na)
		}
		if nb, err := NormalizeUsername(b); err == nil && strings.EqualFold(na, nb) != (k == usernameKey(nb)) {
			t.Fatalf("EqualFold(%q, %q) = %v but keys %q, %q", na, nb, strings.EqualFold(na, nb), k, usernameKey(nb))
		}
	})
}

func TestSeal(t *testing.T) {
	d := idolDescriptors(t)[42]
	s, err := newSealer(testKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.sealDescriptor(&d, 7, "ann", recognition.ModelID)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != sealedLen {
		t.Fatalf("sealed %d bytes, want %d", len(sealed), sealedLen)
	}
	if bytes.Contains(sealed, float32Bytes(d[:8])) {
		t.Fatal("sealed blob contains the plain descriptor")
	}
	got, err := s.openDescriptor(sealed, 7, "ann", recognition.ModelID)
	if err != nil || got != d {
		t.Fatalf("round trip: %v", err)
	}
	other, _ := newSealer(bytes.Repeat([]byte{1}, KeySize))
	flipped := bytes.Clone(sealed)
	flipped[40] ^= 1
	tests := []struct {
		name   string
		s      *sealer
		sealed []byte
		user   int64
		owner  string
		model  string
	}{
		{"other user", s, sealed, 8, "ann", recognition.ModelID},
		{"other name", s, sealed, 7, "bob", recognition.ModelID},
		{"other model", s, sealed, 7, "ann", "other_model"},
		{"wrong key", other, sealed, 7, "ann", recognition.ModelID},
		{"flipped bit", s, flipped, 7, "ann", recognition.ModelID},
		{"truncated", s, sealed[:100], 7, "ann", recognition.ModelID},
		{"empty", s, nil, 7, "ann", recognition.ModelID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.s.openDescriptor(tc.sealed, tc.user, tc.owner, tc.model); !errors.Is(err, ErrBadTemplate) {
				t.Fatalf("open = %v, want ErrBadTemplate", err)
			}
		})
	}
	t.Run("NaN refused", func(t *testing.T) {
		bad := d
		bad[3] = float32(math.NaN())
		if _, err := s.sealDescriptor(&bad, 7, "ann", recognition.ModelID); !errors.Is(err, ErrBadTemplate) {
			t.Fatalf("seal NaN = %v", err)
		}
	})
}

func float32Bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

func TestParseKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, KeySize)
	tests := []struct {
		in string
		ok bool
	}{
		{base64.StdEncoding.EncodeToString(key), true},
		{base64.RawURLEncoding.EncodeToString(key) + "\n", true},
		{hex.EncodeToString(key), true},
		{base64.StdEncoding.EncodeToString(key[:16]), false},
		{"not a key", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			k, err := ParseKey(tc.in)
			if tc.ok != (err == nil) || (tc.ok && !bytes.Equal(k, key)) {
				t.Fatalf("ParseKey = %x, %v", k, err)
			}
			if !tc.ok && !errors.Is(err, ErrBadKey) {
				t.Fatalf("error %v is not ErrBadKey", err)
			}
		})
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "template.key")

	// Two processes creating the key at once end up with one key.
	var wg sync.WaitGroup
	keys := make([][]byte, 8)
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := createKeyFile(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatal("racing creators got different keys")
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode(), err)
	}
	if got, err := readKeyFile(path); err != nil || !bytes.Equal(got, keys[0]) {
		t.Fatalf("readKeyFile: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readKeyFile(path); !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file: %v", err)
	}
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		dsn      string
		backend  Backend
		describe string // substring
		bad      bool
	}{
		{dsn: "sqlite:/tmp/x.db", backend: SQLite, describe: "SQLite /tmp/x.db"},
		{dsn: "sqlite:///tmp/x.db", backend: SQLite, describe: "SQLite /tmp/x.db"},
		{dsn: "file:/tmp/y.db", backend: SQLite, describe: "SQLite /tmp/y.db"},
		{dsn: "/var/lib/fl/face.db", backend: SQLite, describe: "SQLite /var/lib/fl/face.db"},
		{dsn: "mysql://ann:secret@db.lan/facelogin", backend: MySQL, describe: "MySQL ann@tcp(db.lan:3306)/facelogin"},
		{dsn: "mysql://ann:secret@db.lan:3307/facelogin?tls=true", backend: MySQL, describe: "(TLS)"},
		{dsn: "mysql://ann@db.lan/facelogin?tls=skip-verify", backend: MySQL, describe: "(TLS)"},
		{dsn: "mysql://ann@/facelogin?socket=/run/mysqld/mysqld.sock", backend: MySQL, describe: "unix(/run/mysqld/mysqld.sock)"},
		{dsn: "ann:secret@tcp(127.0.0.1:3306)/facelogin", backend: MySQL, describe: "MySQL ann@tcp(127.0.0.1:3306)/facelogin"},
		{dsn: "mysql:ann:secret@tcp(127.0.0.1)/facelogin?tls=preferred", backend: MySQL, describe: "(TLS)"},
		{dsn: "mysql://ann@db.lan/facelogin?tls=maybe", bad: true},
		{dsn: "mysql://ann@db.lan/facelogin?tls-ca=/nonexistent.pem", bad: true},
		{dsn: "mysql://ann@db.lan/facelogin?bogus=1", bad: true},
		{dsn: "sqlite:/tmp/x.db?mode=ro", bad: true},
		{dsn: "postgres://x", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.dsn, func(t *testing.T) {
			tgt, err := parseDSN(tc.dsn, TLSConfig{})
			if tc.bad {
				if err == nil {
					t.Fatalf("parseDSN accepted %q", tc.dsn)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Fatalf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := tgt.describe()
			if tgt.backend != tc.backend || !strings.Contains(d, tc.describe) || strings.Contains(d, "secret") {
				t.Fatalf("backend %s, describe %q; want %s, %q", tgt.backend, d, tc.backend, tc.describe)
			}
		})
	}
	t.Run("redact", func(t *testing.T) {
		for _, dsn := range []string{"ann:secret@tcp(h)/db", "mysql:ann:secret@tcp(h)/db", "mysql://ann:secret@h/db"} {
			if r := redact(dsn); strings.Contains(r, "secret") || !strings.Contains(r, "ann") {
				t.Errorf("redact(%q) = %q", dsn, r)
			}
		}
	})
}

func TestResolveDSN(t *testing.T) {
	tests := []struct {
		flag, env, settings, want, source string
	}{
		{"sqlite:/a.db", "sqlite:/b.db", "sqlite:/c.db", "sqlite:/a.db", "--db flag"},
		{"", "sqlite:/b.db", "sqlite:/c.db", "sqlite:/b.db", DBEnv},
		{"", "", "sqlite:/c.db", "sqlite:/c.db", "settings file"},
		{"", "", "", "", "default"},
	}
	for _, tc := range tests {
		t.Run(tc.source, func(t *testing.T) {
			t.Setenv(DBEnv, tc.env)
			if got, src := ResolveDSN(tc.flag, tc.settings); got != tc.want || src != tc.source {
				t.Fatalf("ResolveDSN = %q, %q", got, src)
			}
		})
	}
}

func TestDecodeLegacyEncoding(t *testing.T) {
	raw := legacySeed(t)
	d, err := decodeLegacyEncoding(raw)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d {
		want := math.Float64frombits(binary.LittleEndian.Uint64(raw[i*8:]))
		if math.Abs(float64(d[i])-want) > 1e-7 {
			t.Fatalf("value %d: %v, want %v", i, d[i], want)
		}
	}
	// The demo's descriptor lives in dlib's space: a stranger's descriptor
	// lies 0.36-1.0 from the nearest of the 1,286 references (measured:
	// 0.672), and a wrongly decoded one (float32 read as float64, wrong
	// byte order) lands far outside.
	nearest := float32(math.Inf(1))
	for _, ref := range idolDescriptors(t) {
		nearest = min(nearest, recognition.Distance(&d, &ref))
	}
	t.Logf("nearest idol reference: %.3f", nearest)
	if nearest < 0.3 || nearest > 1.0 {
		t.Fatalf("nearest idol distance %.3f: not a dlib descriptor?", nearest)
	}

	nan := bytes.Clone(raw)
	binary.LittleEndian.PutUint64(nan[16:], math.Float64bits(math.NaN()))
	huge := bytes.Clone(raw)
	binary.LittleEndian.PutUint64(huge[16:], math.Float64bits(1e30))
	bad := map[string][]byte{"short": raw[:1016], "float32 sized": raw[:512], "empty": nil, "NaN": nan, "huge": huge, "zeros": make([]byte, 1024)}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeLegacyEncoding(b); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func FuzzDecodeLegacyEncoding(f *testing.F) {
	f.Add(make([]byte, 1024))
	f.Add([]byte("short"))
	if raw, err := os.ReadFile("../../shared/testdata/legacy/seed-user-1-encoding.f64"); err == nil {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeLegacyEncoding(b)
		if err != nil {
			return
		}
		for _, v := range d {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("accepted non-finite %v", v)
			}
		}
	})
}

func TestTemplatesN(t *testing.T) {
	for n, want := range map[int]string{0: "0 templates", 1: "1 template", 2: "2 templates", 12: "12 templates"} {
		if got := templatesN(n); got != want {
			t.Errorf("templatesN(%d) = %q, want %q", n, got, want)
		}
	}
}
