package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"facelogin/app"
	"facelogin/internal/testkit"
)

// parseOnLogin parses args with the window's on-login flags.
func parseOnLogin(t *testing.T, args ...string) (*onLoginFlags, error) {
	t.Helper()
	fs := flag.NewFlagSet("facelogin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := addOnLoginFlags(fs)
	return f, fs.Parse(args)
}

// TestOnLoginFlags: --on-login and --on-login-timeout replace the saved
// settings only when given; a bad timeout or a command given on the
// command line that cannot run is a usage error (exit 2); a saved command
// that cannot run leaves the action off, logged, and the window opens.
func TestOnLoginFlags(t *testing.T) {
	saved := app.Settings{OnLogin: `["/bin/echo", "saved"]`, OnLoginTimeout: 7 * time.Second}
	logs := &testkit.LockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))

	// Not given: the saved settings stand.
	f, err := parseOnLogin(t)
	if err != nil {
		t.Fatal(err)
	}
	s := saved
	if err := f.apply(&s); err != nil || s != saved {
		t.Fatalf("no flags changed the settings to %+v (%v)", s, err)
	}
	r, err := f.runner(s, log)
	if err != nil || r == nil || !slices.Equal(r.Argv(), []string{"/bin/echo", "saved"}) {
		t.Fatalf("saved command: runner %v, %v", r, err)
	}

	// Given: they win, for this run.
	f, err = parseOnLogin(t, "--on-login", `["/bin/true", "front door"]`, "--on-login-timeout", "2s")
	if err != nil {
		t.Fatal(err)
	}
	s = saved
	if err := f.apply(&s); err != nil || s.OnLogin != `["/bin/true","front door"]` || s.OnLoginTimeout != 2*time.Second {
		t.Fatalf("settings %+v (%v)", s, err)
	}
	// An empty --on-login turns a saved command off.
	f, _ = parseOnLogin(t, "--on-login", "")
	s = saved
	if err := f.apply(&s); err != nil || s.OnLogin != "" {
		t.Fatalf("--on-login '': %+v (%v)", s, err)
	}
	if r, err := f.runner(s, log); r != nil || err != nil {
		t.Fatalf("--on-login '': runner %v, %v", r, err)
	}

	// Refused at parse time: not an argv we run.
	for _, bad := range []string{"bin/open-door", `["/bin/true", 3]`, "[]"} {
		if _, err := parseOnLogin(t, "--on-login", bad); err == nil {
			t.Errorf("--on-login %q accepted", bad)
		}
	}
	for _, d := range []string{"500ms", "11m"} {
		f, _ := parseOnLogin(t, "--on-login-timeout", d)
		s := saved
		var ee *exitError
		if err := f.apply(&s); !errors.As(err, &ee) || ee.code != exitUsage || s != saved {
			t.Errorf("--on-login-timeout %s: %v, settings %+v", d, err, s)
		}
	}

	// A program that is not there: exit 2 when given now; off and logged
	// when saved.
	missing := `["/nonexistent/open-door"]`
	f, _ = parseOnLogin(t, "--on-login", missing)
	s = saved
	_ = f.apply(&s)
	var ee *exitError
	if r, err := f.runner(s, log); r != nil || !errors.As(err, &ee) || ee.code != exitUsage {
		t.Errorf("given missing program: runner %v, %v", r, err)
	}
	f, _ = parseOnLogin(t)
	s = app.Settings{OnLogin: missing, OnLoginTimeout: time.Second}
	if r, err := f.runner(s, log); r != nil || err != nil {
		t.Errorf("saved missing program: runner %v, %v", r, err)
	}
	if !strings.Contains(logs.String(), "the saved on-login command cannot be run") {
		t.Errorf("log:\n%s", logs.String())
	}
	// The log names the program, never its arguments (a relay's token).
	if !strings.Contains(logs.String(), "program=/bin/echo args=1") || strings.Contains(logs.String(), "saved\"") {
		t.Errorf("log:\n%s", logs.String())
	}
}
