package store

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"facelogin/recognition"
)

var testKey = bytes.Repeat([]byte{0x5a}, KeySize)

// sharedTestdata is ../shared/testdata next to the repository root.
func sharedTestdata(t testing.TB, parts ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	p := filepath.Join(append([]string{dir, "..", "shared", "testdata"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		requireInCI(t, "test data: %v", err)
	}
	return p
}

var (
	idolsOnce sync.Once
	idols     []recognition.Descriptor
	idolsErr  error
)

// idolDescriptors are the 1,286 real dlib descriptors of faces/idols.json.
func idolDescriptors(t testing.TB) []recognition.Descriptor {
	t.Helper()
	path := sharedTestdata(t, "faces", "idols.json")
	idolsOnce.Do(func() {
		b, err := os.ReadFile(path)
		if err != nil {
			idolsErr = err
			return
		}
		var doc struct {
			Faces []struct {
				Descriptor string `json:"descriptor"`
			} `json:"faces"`
		}
		if idolsErr = json.Unmarshal(b, &doc); idolsErr != nil {
			return
		}
		for _, f := range doc.Faces {
			raw, err := base64.StdEncoding.DecodeString(f.Descriptor)
			if err != nil || len(raw) != 512 {
				idolsErr = err
				return
			}
			var d recognition.Descriptor
			for i := range d {
				d[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[i*4:]))
			}
			idols = append(idols, d)
		}
	})
	if idolsErr != nil {
		t.Fatalf("idols.json: %v", idolsErr)
	}
	if len(idols) != 1286 {
		t.Fatalf("idols.json: %d descriptors, want 1286", len(idols))
	}
	return idols
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
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testConfig(dsn string, log *logBuf) Config {
	return Config{DSN: dsn, Key: testKey, Station: "test-station", MaxEvents: -1,
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

func errContains(err error, sub string) bool { return err != nil && strings.Contains(err.Error(), sub) }
