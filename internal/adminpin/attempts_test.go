package adminpin

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := DefaultBackoff
	for _, c := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second},
		{9, 256 * time.Second}, {10, 5 * time.Minute}, {40, 5 * time.Minute}, {1 << 20, 5 * time.Minute},
	} {
		if got := b.Wait(c.failures); got != c.want {
			t.Errorf("Wait(%d) = %v, want %v", c.failures, got, c.want)
		}
	}
	if n := b.Saturated(); n != 10 || b.Wait(n) != b.Max || b.Wait(n-1) >= b.Max {
		t.Errorf("Saturated() = %d", n)
	}
}

// TestAttemptsFile: WriteFile starts a 0600 record with no failures beside
// the PIN file; Save and Load round-trip; RemoveFile removes both.
func TestAttemptsFile(t *testing.T) {
	pinPath := filepath.Join(t.TempDir(), "config", "admin-pin")
	h, err := New("583920", cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(pinPath, h); err != nil {
		t.Fatal(err)
	}
	rec := AttemptsFile(pinPath)
	a, err := rec.Load()
	if err != nil || a.Failures != 0 {
		t.Fatalf("fresh record %+v, %v", a, err)
	}
	if st, err := os.Stat(AttemptsPath(pinPath)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("record mode: %v %v", st, err)
	}
	next := time.Date(2026, 11, 30, 18, 0, 0, 123456789, time.UTC)
	if err := rec.Save(Attempts{Failures: 7, NextAt: next}); err != nil {
		t.Fatal(err)
	}
	if a, err := rec.Load(); err != nil || a.Failures != 7 || !a.NextAt.Equal(next) {
		t.Fatalf("round trip %+v, %v", a, err)
	}
	if err := RemoveFile(pinPath); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pinPath, AttemptsPath(pinPath)} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left: %v", p, err)
		}
	}
	if err := RemoveFile(pinPath); err != nil {
		t.Errorf("removing nothing: %v", err)
	}
}

// memRecord is an AttemptStore in memory; present false is a deleted file.
type memRecord struct {
	a       Attempts
	present bool
	saves   int
}

func (m *memRecord) Load() (Attempts, error) {
	if !m.present {
		return Attempts{}, fs.ErrNotExist
	}
	return m.a, nil
}

func (m *memRecord) Save(a Attempts) error { m.a, m.present = a, true; m.saves++; return nil }

// TestResumeTamper: a deleted, damaged, foreign-readable or far-future
// record never buys fresh tries: it resumes as the longest back-off.
func TestResumeTamper(t *testing.T) {
	b := DefaultBackoff
	now := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	worst := Attempts{Failures: b.Saturated(), NextAt: now.Add(b.Max)}
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) AttemptStore {
		pinPath := filepath.Join(dir, name)
		if content != "" {
			if err := os.WriteFile(AttemptsPath(pinPath), []byte(content), mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(AttemptsPath(pinPath), mode); err != nil {
				t.Fatal(err)
			}
		}
		return AttemptsFile(pinPath)
	}
	for _, c := range []struct {
		name     string
		rec      AttemptStore
		want     Attempts
		replaced bool
	}{
		{"deleted", write("deleted", "", 0), worst, true},
		{"empty", write("empty", "\n", 0o600), worst, true},
		{"garbage", write("garbage", "failures=three next=soon\n", 0o600), worst, true},
		{"negative", write("negative", "failures=-5 next=2026-11-30T17:00:00Z\n", 0o600), worst, true},
		{"huge", write("huge", "failures=99999999999 next=2026-11-30T17:00:00Z\n", 0o600), worst, true},
		{"readable by others", write("others", "failures=0 next=0001-01-01T00:00:00Z\n", 0o644), worst, true},
		{"far future", write("future", "failures=2 next=2099-01-01T00:00:00Z\n", 0o600), Attempts{Failures: 2, NextAt: now.Add(b.Max)}, false},
		{"past", write("past", "failures=4 next=2026-11-30T17:00:00Z\n", 0o600), Attempts{Failures: 4, NextAt: now.Add(-time.Hour)}, false},
		{"in memory, deleted", &memRecord{}, worst, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, replaced := Resume(c.rec, b, now)
			if a.Failures != c.want.Failures || !a.NextAt.Equal(c.want.NextAt) || (replaced != nil) != c.replaced {
				t.Fatalf("Resume = %+v, %v; want %+v, replaced %v", a, replaced, c.want, c.replaced)
			}
			if !c.replaced {
				return
			}
			// The worst case is written back, so the next start (a
			// restart loop) does not begin the wait again from scratch.
			if again, err := c.rec.Load(); err != nil || again.Failures != worst.Failures || !again.NextAt.Equal(worst.NextAt) {
				t.Errorf("written back as %+v, %v", again, err)
			}
		})
	}
}

func TestAttemptsFailed(t *testing.T) {
	b := Backoff{First: time.Minute, Max: time.Hour}
	now := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	a := Attempts{}
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		a = a.Failed(b, now)
		if a.Failures != i+1 || a.NextAt.Sub(now) != want {
			t.Fatalf("after %d wrong PINs: %+v", i+1, a)
		}
	}
}

func FuzzParseAttempts(f *testing.F) {
	f.Add("failures=3 next=2026-11-30T18:00:00.5Z\n")
	f.Add("failures=0 next=0001-01-01T00:00:00Z")
	f.Add("failures= next=")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAttempts(s)
		if err != nil {
			return
		}
		if a.Failures < 0 || a.Failures > maxFailures {
			t.Fatalf("%q: failures %d", s, a.Failures)
		}
		back, err := parseAttempts(a.String())
		if err != nil || back.Failures != a.Failures || !back.NextAt.Equal(a.NextAt) {
			t.Fatalf("%q prints as %q, which reads as %+v, %v", s, a.String(), back, err)
		}
	})
}
