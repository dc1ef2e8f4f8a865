package store

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"facelogin/internal/testdata"
	"facelogin/internal/testkit"
	"facelogin/recognition"
)

var testKey = bytes.Repeat([]byte{0x5a}, KeySize)

var (
	idolsMu sync.Mutex
	idols   []recognition.Descriptor
)

// idolDescriptors are the 1,286 real dlib descriptors of faces/idols.json,
// read once per test binary.
func idolDescriptors(t testing.TB) []recognition.Descriptor {
	t.Helper()
	idolsMu.Lock()
	defer idolsMu.Unlock()
	if idols == nil {
		all := testdata.Idols(t)
		if len(all) != 1286 {
			t.Fatalf("idols.json: %d descriptors, want 1286", len(all))
		}
		ds := make([]recognition.Descriptor, len(all))
		for i, idol := range all {
			ds[i] = idol.Descriptor
		}
		idols = ds
	}
	return idols
}

// legacySeed is the Flask demo's own encoding of its seed user 1:
// legacy/seed-user-1-encoding.f64 of the shared testdata.
func legacySeed(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata.Dir(t), "legacy", "seed-user-1-encoding.f64"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newTemplates takes n real descriptors starting at i.
func newTemplates(t testing.TB, i, n int) []NewTemplate {
	ds := idolDescriptors(t)
	ts := make([]NewTemplate, n)
	for k := range ts {
		ts[k] = NewTemplate{Descriptor: ds[(i+k)%len(ds)], Quality: 0.5 + float32(k)/100}
	}
	return ts
}

type backendCase struct {
	name string
	dsn  func(t testing.TB) string
}

var backendCases = []backendCase{
	{"sqlite", func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "facelogin.db") }},
	{"mysql", mysqlTestDB},
}

// forEachBackend runs the conformance test fn against a fresh database of
// each backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, dsn string)) {
	for _, b := range backendCases {
		t.Run(b.name, func(t *testing.T) { fn(t, b.dsn(t)) })
	}
}

// logBuf collects log lines; tests read them, and writes after a test ends
// do not panic as t.Log would.
type logBuf = testkit.LockedBuffer

func testConfig(dsn string, log *logBuf) Config {
	return Config{DSN: dsn, Key: testKey, Station: "test-station", MaxEvents: -1, Create: true,
		Logger: slog.New(slog.NewTextHandler(log, nil))}
}

func openTest(t testing.TB, dsn string) (*Store, *logBuf) {
	t.Helper()
	log := &logBuf{}
	s, err := Open(ctxT(t), testConfig(dsn, log))
	if err != nil {
		t.Fatalf("Open(%s): %v", redact(dsn), err)
	}
	t.Cleanup(func() { s.Close() })
	return s, log
}

func mustEnroll(t testing.TB, s *Store, name string, ts []NewTemplate) User {
	t.Helper()
	u, err := s.Users.Enroll(ctxT(t), Enrollment{Username: name, ModelID: recognition.ModelID, Templates: ts})
	if err != nil {
		t.Fatalf("Enroll(%q): %v", name, err)
	}
	return u
}

func countRows(t testing.TB, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.db.QueryRowContext(ctxT(t), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
