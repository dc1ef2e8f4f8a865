// Package testkit holds the helpers the project's tests share: a log buffer
// safe for concurrent writers, tool checks, the repository root, running a
// command, waiting for a condition or a log line, and driving a real window
// on a private X server (Xvfb, xdotool, screenshots). It is for tests only
// and builds without cgo.
//
// Waiting helpers wait for an event with a generous deadline, never for a
// fixed time: a loaded machine only makes them slower, never wrong.
package testkit

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Madrid: the same zone rules on every machine

	"facelogin/internal/testdata"
)

// LockedBuffer is a bytes.Buffer that several goroutines may write (a
// process's stdout and stderr, a logger) while a test reads it. Writes after
// the test ended do not panic, as t.Log would.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// RequireTools skips the test (fails it under CI=true) when a program is
// not on the PATH.
func RequireTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		_, err := exec.LookPath(tool)
		testdata.Require(t, tool, err)
	}
}

// RepoRoot is the directory holding go.mod, found upwards from the working
// directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("testkit: no go.mod above the test directory")
		}
	}
}

// Run runs name with args in env (nil: this process's environment) and
// stdin, and returns its standard output; the test fails on an error, with
// the command's output.
func Run(t testing.TB, env []string, stdin string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// WaitFor polls cond every few milliseconds until it holds, failing the test
// with what after timeout. The timeout is a deadline against hangs, not a
// measurement: choose it ten times longer than the wait on a busy machine.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Clock is a clock tests move on by hand (a store's Config.Clock is its
// Now): safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Madrid is the Europe/Madrid time zone, the one the tests of local times
// are written for (summer time ends there on 2026-10-25, so 02:30 happens
// twice). The zone database is linked in (time/tzdata), so the answer does
// not depend on the machine's /usr/share/zoneinfo.
func Madrid(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// WriteFile writes content to path with exactly mode (os.WriteFile's mode
// is narrowed by the umask; a test of file permissions needs the mode it
// asked for) and returns path.
func WriteFile(t testing.TB, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}
