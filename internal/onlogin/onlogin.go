// Package onlogin runs an administrator's command after a successful live
// login: a door relay, a time-clock entry, a session start.
//
// The command is an argv — a program and its arguments — and is never given
// to a shell, so a user name can never become shell syntax. It is written on
// the command line (--on-login) or in the settings file as a JSON array of
// strings, ["/usr/local/bin/open-door", "--door", "front"], or as a bare
// program path when it takes no arguments. A shell is still available to
// those who ask for one explicitly: ["/bin/sh", "-c", "…"].
//
// # What the command gets
//
//	FACELOGIN_USER       the user's name, as enrolled
//	FACELOGIN_STATION    the station name (--station; the host name by default)
//	FACELOGIN_DISTANCE   the descriptor distance of the match, e.g. 0.3125
//	FACELOGIN_TIME       the time of the login, RFC 3339 in the local zone
//	FACELOGIN_TIME_UNIX  the same, in seconds since 1970
//
// The rest of the environment is the app's, without any other FACELOGIN_
// variable (the template key and the database address stay private).
// Standard input and output are /dev/null; the first line of standard
// error is kept for the audit log.
//
// # Limits
//
// The command must finish within its timeout (10 s by default). Then its
// process group gets SIGTERM, and SIGKILL once the command has exited or
// 2 s later, so children it started go too. Children of a command that
// finished in time are left alone; to start something long-running, detach
// it all the same (setsid -f).
//
// # Never for a refused or non-live attempt
//
// Runner.Run takes a Login, and the only way to get a Login that runs is
// Decision.LiveSuccess, which refuses a failed login and one whose liveness
// check did not pass.
package onlogin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-shellwords"
)

// Defaults for Runner.
const (
	DefaultTimeout = 10 * time.Second
	// KillGrace is how long a command has to exit after SIGTERM before
	// its process group gets SIGKILL.
	KillGrace = 2 * time.Second
	// MaxStderrLine bounds the error line kept for the audit log, in
	// characters.
	MaxStderrLine = 200
)

// Names of the environment variables the command gets.
const (
	EnvUser     = "FACELOGIN_USER"
	EnvStation  = "FACELOGIN_STATION"
	EnvDistance = "FACELOGIN_DISTANCE"
	EnvTime     = "FACELOGIN_TIME"
	EnvTimeUnix = "FACELOGIN_TIME_UNIX"
)

// ErrNotLiveLogin is Run's error for a Login that did not come from
// Decision.LiveSuccess: nothing was started.
var ErrNotLiveLogin = errors.New("onlogin: not a successful live login")

// Decision is what the login screen decided about one attempt.
type Decision struct {
	Success  bool      // the face matched an enabled user within the threshold
	Live     bool      // the liveness check passed (a person, not a photo)
	User     string    // the user recognised
	Station  string    // where
	Distance float32   // descriptor distance of the match
	At       time.Time // when
}

// Login is a successful login of a live person: the only thing Run accepts.
// Get one from Decision.LiveSuccess.
type Login struct {
	d  Decision
	ok bool
}

// LiveSuccess returns the Login to run the action for, and true, when the
// attempt succeeded and its liveness check passed; otherwise false.
func (d Decision) LiveSuccess() (Login, bool) {
	if !d.Success || !d.Live || d.User == "" {
		return Login{}, false
	}
	return Login{d: d, ok: true}, true
}

// ParseArgv reads a command as --on-login and the settings file give it: a
// JSON array of strings (program first), or a program path alone. "" is no
// command (nil, nil). The program must be an absolute path or a name found
// in PATH; New checks that it exists.
func ParseArgv(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var argv []string
	if strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &argv); err != nil {
			return nil, fmt.Errorf("onlogin: %s is not a JSON array of strings: %w", s, err)
		}
		if len(argv) == 0 {
			return nil, fmt.Errorf("onlogin: empty command %s: give the program first, e.g. [\"/usr/local/bin/open-door\", \"front\"]", s)
		}
	} else {
		argv = []string{s}
	}
	prog := argv[0]
	switch {
	case prog == "":
		return nil, errors.New("onlogin: the program name is empty")
	case strings.ContainsRune(strings.Join(argv, ""), 0):
		return nil, errors.New("onlogin: the command contains a NUL character")
	case strings.ContainsRune(prog, '/') && !filepath.IsAbs(prog):
		return nil, fmt.Errorf("onlogin: program %q: give an absolute path (the app's working directory is not yours)", prog)
	}
	return argv, nil
}

// FormatArgv writes argv as ParseArgv reads it back: a JSON array.
func FormatArgv(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	// Not HTML-escaped: people read and type it (">>" stays ">>").
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(argv)
	return strings.TrimSuffix(b.String(), "\n")
}

// Flag is the --on-login flag: flag.Var(&f, "on-login", …).
type Flag struct{ Argv []string }

// Set parses the flag's value with ParseArgv.
func (f *Flag) Set(s string) error {
	argv, err := ParseArgv(s)
	if err != nil {
		return err
	}
	f.Argv = argv
	return nil
}

func (f *Flag) String() string {
	if f == nil {
		return ""
	}
	return FormatArgv(f.Argv)
}

// Runner runs one command after each live login. It is safe for concurrent
// use; each Run is its own process.
type Runner struct {
	path    string // the program, resolved when the runner was made
	argv    []string
	timeout time.Duration
	grace   time.Duration
}

// New checks argv (from ParseArgv) and returns its Runner. The program is
// looked up now: a missing or non-executable program is an error at start,
// not at the first login. timeout 0 is DefaultTimeout.
func New(argv []string, timeout time.Duration) (*Runner, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("onlogin: no command")
	}
	if timeout < 0 {
		return nil, fmt.Errorf("onlogin: negative timeout %v", timeout)
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		hint := ""
		if strings.ContainsAny(argv[0], " \t") && len(argv) == 1 {
			// The words as a POSIX shell would split them (quotes and
			// backslashes kept together; nothing expanded), only to show
			// the JSON array to write: the command itself never goes
			// through a shell.
			if words, err := shellwords.Parse(argv[0]); err == nil && len(words) > 0 {
				hint = fmt.Sprintf(`; to pass arguments write a JSON array: %s`, FormatArgv(words))
			} else {
				hint = `; to pass arguments write a JSON array, program first`
			}
		}
		return nil, fmt.Errorf("onlogin: program %q: %w%s", argv[0], err, hint)
	}
	return &Runner{path: path, argv: append([]string(nil), argv...), timeout: timeout, grace: KillGrace}, nil
}

// Argv is the command the runner runs.
func (r *Runner) Argv() []string { return append([]string(nil), r.argv...) }

// Result is what one run did, for the audit log.
type Result struct {
	User      string
	ExitCode  int    // -1 when killed by a signal or never started
	Stderr    string // the first line of standard error, at most MaxStderrLine characters
	Duration  time.Duration
	Limit     time.Duration // the time limit it ran under
	TimedOut  bool          // the timeout (or the context) ended it
	Cancelled bool          // the context ended it (the app is closing)
	Killed    bool          // it outlived SIGTERM by KillGrace and got SIGKILL
	Err       error         // it could not be started, or ErrNotLiveLogin
}

// OK reports a command that ran and exited with status 0.
func (r Result) OK() bool { return r.Err == nil && !r.TimedOut && r.ExitCode == 0 }

// Detail is the audit log's line for the run: "exit 0", "exit 3: relay
// offline", "timed out after 10s, stopped", "timed out after 10s, killed
// (ran 12.004s)" — the limit, and how long it really ran when SIGTERM was
// not enough — "not started: …".
func (r Result) Detail() string {
	var s string
	switch {
	case r.Err != nil:
		return "not started: " + r.Err.Error()
	case r.TimedOut:
		how := "stopped"
		if r.Killed {
			how = "killed"
		}
		if r.Cancelled {
			s = fmt.Sprintf("%s after %v: the app was closing", how, r.Duration.Round(time.Millisecond))
		} else {
			limit := r.Limit
			if limit <= 0 {
				limit = r.Duration.Round(time.Millisecond)
			}
			s = fmt.Sprintf("timed out after %v, %s", limit, how)
			if r.Killed {
				s += fmt.Sprintf(" (ran %v)", r.Duration.Round(time.Millisecond))
			}
		}
	case r.ExitCode < 0:
		s = "ended by a signal"
	default:
		s = "exit " + strconv.Itoa(r.ExitCode)
	}
	if r.Stderr != "" {
		s += ": " + r.Stderr
	}
	return s
}

// Run runs the command for l and waits for it, at most the timeout (or
// until ctx ends) plus KillGrace. A Login not made by Decision.LiveSuccess
// starts nothing and returns ErrNotLiveLogin in Result.Err.
func (r *Runner) Run(ctx context.Context, l Login) Result {
	if !l.ok {
		return Result{ExitCode: -1, Err: ErrNotLiveLogin}
	}
	res := Result{User: l.d.User, ExitCode: -1, Limit: r.timeout}
	cmd := &exec.Cmd{Path: r.path, Args: r.argv, Env: environment(os.Environ(), l.d)}
	var stderr firstLine
	cmd.Stderr = &stderr
	// Its own process group, so a timeout stops the children too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A child that outlives the command and keeps standard error open
	// must not hold Run up.
	cmd.WaitDelay = r.grace
	start := time.Now()
	if err := cmd.Start(); err != nil {
		res.Err = fmt.Errorf("onlogin: start %s: %w", r.path, err)
		return res
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	timer := time.NewTimer(r.timeout)
	defer timer.Stop()
	var err error
	exited := false
	select {
	case err = <-done:
		exited = true
	case <-timer.C:
		res.TimedOut = true
	case <-ctx.Done():
		res.TimedOut, res.Cancelled = true, true
	}
	if res.TimedOut {
		syscall.Kill(-pgid, syscall.SIGTERM)
		grace := time.NewTimer(r.grace)
		select {
		case err = <-done:
			exited = true
			grace.Stop()
		case <-grace.C:
		}
		// Whatever of the group is left, leader or not, goes now.
		syscall.Kill(-pgid, syscall.SIGKILL)
		if !exited {
			res.Killed = true
			err = <-done
		}
	}
	res.Duration = time.Since(start)
	res.Stderr = stderr.String()
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	} else if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		res.Err = fmt.Errorf("onlogin: wait for %s: %w", r.path, err)
	}
	return res
}

// environment is the app's environment without FACELOGIN_ variables, plus
// the login's.
func environment(parent []string, d Decision) []string {
	env := make([]string, 0, len(parent)+5)
	for _, kv := range parent {
		if !strings.HasPrefix(kv, "FACELOGIN_") {
			env = append(env, kv)
		}
	}
	at := d.At
	if at.IsZero() {
		at = time.Now()
	}
	return append(env,
		EnvUser+"="+d.User,
		EnvStation+"="+d.Station,
		EnvDistance+"="+strconv.FormatFloat(float64(d.Distance), 'f', 4, 32),
		EnvTime+"="+at.Local().Format(time.RFC3339),
		EnvTimeUnix+"="+strconv.FormatInt(at.Unix(), 10),
	)
}

// firstLine keeps the first line written to it (up to MaxStderrLine
// characters) and discards the rest, so a chatty command never blocks.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	done bool
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return len(p), nil
	}
	line := p
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		line, f.done = p[:i], true
	}
	// Enough bytes for MaxStderrLine characters of any script.
	if room := MaxStderrLine*utf8.UTFMax - len(f.buf); room > 0 {
		f.buf = append(f.buf, line[:min(len(line), room)]...)
	}
	return len(p), nil
}

func (f *firstLine) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := strings.TrimRight(strings.ToValidUTF8(string(f.buf), "\uFFFD"), "\r \t")
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > MaxStderrLine {
		s = string([]rune(s)[:MaxStderrLine-1]) + "…"
	}
	return s
}
