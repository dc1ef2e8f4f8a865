package adminpin

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Backoff is the wait after wrong PINs: First after the first, doubled
// after each further wrong PIN in a row, at most Max.
type Backoff struct {
	First, Max time.Duration
}

// DefaultBackoff: 1 s, doubling, up to 5 min (the tenth wrong PIN in a row
// reaches it).
var DefaultBackoff = Backoff{First: time.Second, Max: 5 * time.Minute}

// Wait is the back-off after failures wrong PINs in a row (0 for none).
func (b Backoff) Wait(failures int) time.Duration {
	if failures <= 0 {
		return 0
	}
	w := b.First << min(failures-1, 30)
	if w > b.Max || w <= 0 {
		w = b.Max
	}
	return w
}

// Saturated is the number of wrong PINs in a row at which the wait reaches
// Max: what a lost or damaged record of failures is taken to be.
func (b Backoff) Saturated() int {
	n := 1
	for b.Wait(n) < b.Max && n < 64 {
		n++
	}
	return n
}

// Attempts is the record of wrong PINs kept beside the PIN file, so the
// back-off survives a restart of the kiosk (pulling the plug included: a
// try is counted before its PIN is checked).
type Attempts struct {
	Failures int       // wrong PINs in a row
	NextAt   time.Time // no PIN is checked before this time
}

// Errors of LoadAttempts besides the file system's (fs.ErrNotExist for a
// missing record).
var ErrBadAttempts = errors.New("adminpin: damaged record of wrong PINs")

// AttemptsPath is the record of wrong PINs for the PIN file pinPath:
// pinPath + ".attempts".
func AttemptsPath(pinPath string) string { return pinPath + ".attempts" }

// maxFailures bounds the count read from a record.
const maxFailures = 1 << 20

// LoadAttempts reads the record of wrong PINs beside the PIN file pinPath.
// A missing record wraps fs.ErrNotExist; one others may read or write
// fs.ErrPermission; one that does not parse ErrBadAttempts. Callers treat
// every error as the worst case (Backoff.Saturated): deleting or damaging
// the record must not buy an attacker fresh tries.
func LoadAttempts(pinPath string) (Attempts, error) {
	raw, err := readPrivate(AttemptsPath(pinPath))
	if err != nil {
		return Attempts{}, err
	}
	return parseAttempts(raw)
}

// parseAttempts reads "failures=N next=RFC3339NANO".
func parseAttempts(raw string) (Attempts, error) {
	f := strings.Fields(raw)
	if len(f) != 2 {
		return Attempts{}, ErrBadAttempts
	}
	n, ok1 := strings.CutPrefix(f[0], "failures=")
	at, ok2 := strings.CutPrefix(f[1], "next=")
	if !ok1 || !ok2 {
		return Attempts{}, ErrBadAttempts
	}
	var a Attempts
	var err error
	if a.Failures, err = strconv.Atoi(n); err != nil || a.Failures < 0 || a.Failures > maxFailures {
		return Attempts{}, fmt.Errorf("%w: failures=%q", ErrBadAttempts, n)
	}
	if a.NextAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return Attempts{}, fmt.Errorf("%w: next=%q", ErrBadAttempts, at)
	}
	return a, nil
}

func (a Attempts) String() string {
	return fmt.Sprintf("failures=%d next=%s", a.Failures, a.NextAt.UTC().Format(time.RFC3339Nano))
}

// SaveAttempts replaces the record of wrong PINs beside pinPath atomically,
// mode 0600.
func SaveAttempts(pinPath string, a Attempts) error {
	if err := writePrivate(AttemptsPath(pinPath), ".admin-pin-attempts-*", a.String()+"\n"); err != nil {
		return fmt.Errorf("adminpin: write record of wrong PINs: %w", err)
	}
	return nil
}

// AttemptStore keeps a record of wrong PINs: AttemptsFile, or memory in
// tests.
type AttemptStore interface {
	Load() (Attempts, error)
	Save(Attempts) error
}

// AttemptsFile is the record of wrong PINs beside the PIN file it names.
type AttemptsFile string

// Load reads the record (see LoadAttempts).
func (p AttemptsFile) Load() (Attempts, error) { return LoadAttempts(string(p)) }

// Save writes the record (see SaveAttempts).
func (p AttemptsFile) Save(a Attempts) error { return SaveAttempts(string(p), a) }

// Resume reads the record when checking PINs begins (the kiosk starting,
// `admin set-pin` asking for the current PIN) at time now. A missing,
// unreadable or damaged record is taken as the worst case — b.Saturated()
// failures and the whole b.Max to wait from now — and written back so;
// replaced says why, for the log. Deleting the record therefore costs an
// attacker the longest wait instead of giving fresh tries. A next time more
// than b.Max ahead (a clock set back, an edited file) is cut to now+b.Max.
func Resume(s AttemptStore, b Backoff, now time.Time) (a Attempts, replaced error) {
	a, replaced = s.Load()
	if replaced != nil {
		a = Attempts{Failures: b.Saturated(), NextAt: now.Add(b.Max)}
		if err := s.Save(a); err != nil {
			replaced = fmt.Errorf("%w (and writing it failed: %w)", replaced, err)
		}
		return a, replaced
	}
	if a.NextAt.After(now.Add(b.Max)) {
		a.NextAt = now.Add(b.Max)
	}
	return a, nil
}

// Failed is the record after one more wrong PIN at now. Callers save it
// before they check the PIN, so cutting the power during the check (half a
// second) does not forget the try; the right PIN then saves Attempts{}.
func (a Attempts) Failed(b Backoff, now time.Time) Attempts {
	n := min(a.Failures+1, maxFailures)
	return Attempts{Failures: n, NextAt: now.Add(b.Wait(n))}
}

// readPrivate reads a small file that only its owner may read or write:
// anything else wraps fs.ErrPermission.
func readPrivate(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("adminpin: %s is not a regular file: %w", path, os.ErrPermission)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("adminpin: %s has mode %v, want 0600: %w", path, st.Mode().Perm(), os.ErrPermission)
	}
	raw, err := io.ReadAll(io.LimitReader(f, 4096))
	return string(raw), err
}
