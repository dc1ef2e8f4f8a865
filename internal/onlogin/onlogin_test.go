package onlogin

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The tests run real processes through /bin/sh scripts given as argv
// (["/bin/sh", "-c", SCRIPT, "sh", ARGS...]): the runner never adds a shell
// of its own.

// live is a successful live login of zoë at the hall.
var live = Decision{Success: true, Live: true, User: "zoë", Station: "hall, door 2", Distance: 0.3125,
	At: time.Date(2026, 11, 30, 8, 59, 30, 0, time.UTC)}

func liveLogin(t *testing.T) Login {
	t.Helper()
	l, ok := live.LiveSuccess()
	if !ok {
		t.Fatal("a successful live login was refused")
	}
	return l
}

// shRunner runs script with args; grace is shortened so the tests that
// need SIGKILL do not wait the full KillGrace.
func shRunner(t *testing.T, timeout time.Duration, script string, args ...string) *Runner {
	t.Helper()
	r, err := New(append([]string{"/bin/sh", "-c", script, "sh"}, args...), timeout)
	if err != nil {
		t.Fatal(err)
	}
	r.grace = 300 * time.Millisecond
	return r
}

func TestEnvironment(t *testing.T) {
	t.Setenv("FACELOGIN_KEY", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	t.Setenv("FACELOGIN_DB", "mysql://facelogin:secret@db/facelogin")
	t.Setenv("FACELOGIN_USER", "someone else")
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	marker := filepath.Join(dir, "injected")
	d := live
	// Shell syntax in a name stays text: nothing runs it.
	d.User = "zoë$(touch " + marker + ")`touch " + marker + "`"
	l, _ := d.LiveSuccess()
	res := shRunner(t, 10*time.Second, `env > "$1"`, out).Run(context.Background(), l)
	if !res.OK() || res.ExitCode != 0 || res.Detail() != "exit 0" || res.User != d.User {
		t.Fatalf("result %+v, detail %q", res, res.Detail())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := env[k]; dup {
			t.Fatalf("%s set twice", k)
		}
		env[k] = v
	}
	want := map[string]string{
		EnvUser:     d.User,
		EnvStation:  "hall, door 2",
		EnvDistance: "0.3125",
		EnvTime:     d.At.Local().Format(time.RFC3339),
		EnvTimeUnix: strconv.FormatInt(d.At.Unix(), 10),
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	if at, err := time.Parse(time.RFC3339, env[EnvTime]); err != nil || !at.Equal(d.At) {
		t.Errorf("%s=%q is not the login time %v (%v)", EnvTime, env[EnvTime], d.At, err)
	}
	for k := range env {
		if strings.HasPrefix(k, "FACELOGIN_") && want[k] == "" {
			t.Errorf("the command got the app's %s", k)
		}
	}
	if env["PATH"] != os.Getenv("PATH") {
		t.Errorf("PATH=%q, want the app's", env["PATH"])
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the user name was run as shell code")
	}
}

func TestExitStatusAndStderr(t *testing.T) {
	long := strings.Repeat("é", 50_000) // 100 kB: one argument may have 128 kiB
	for _, c := range []struct {
		name   string
		script string
		code   int
		stderr string
		detail string
	}{
		{"success", `exit 0`, 0, "", "exit 0"},
		{"success with a warning", `echo "relay slow" >&2`, 0, "relay slow", "exit 0: relay slow"},
		{"failure, first line kept", `echo "relay offline: /dev/ttyUSB0" >&2; echo "second line" >&2; exit 3`, 3,
			"relay offline: /dev/ttyUSB0", "exit 3: relay offline: /dev/ttyUSB0"},
		{"first line written in pieces", `printf 'no ' >&2; printf 'door\r\nmore' >&2; exit 1`, 1, "no door", "exit 1: no door"},
		{"control characters", `printf 'a\tb\033[31mc\n' >&2; exit 2`, 2, "a b [31mc", "exit 2: a b [31mc"},
		{"a long line is cut", `printf '%s' "$1" >&2; exit 4`, 4, strings.Repeat("é", MaxStderrLine-1) + "…", ""},
		{"megabytes of output do not block", `i=0; while [ $i -lt 100 ]; do printf '%s\n' "$1" >&2; printf '%s\n' "$1"; i=$((i+1)); done; exit 5`, 5,
			strings.Repeat("é", MaxStderrLine-1) + "…", ""},
		{"killed by a signal", `kill -9 $$`, -1, "", "ended by a signal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := shRunner(t, time.Minute, c.script, long).Run(context.Background(), liveLogin(t))
			if res.Err != nil || res.TimedOut || res.ExitCode != c.code || res.Stderr != c.stderr || res.OK() != (c.code == 0) {
				t.Fatalf("result %+v\nwant exit %d, stderr %q", res, c.code, c.stderr)
			}
			if utf8.RuneCountInString(res.Stderr) > MaxStderrLine {
				t.Fatalf("stderr line of %d characters", utf8.RuneCountInString(res.Stderr))
			}
			if c.detail != "" && res.Detail() != c.detail {
				t.Fatalf("detail %q, want %q", res.Detail(), c.detail)
			}
		})
	}
}

// waitPIDs waits until a script has written n PIDs (itself, its children)
// to path and returns them.
func waitPIDs(t *testing.T, path string, n int) []int {
	t.Helper()
	pids, err := readPIDs(path, n)
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// readPIDs is waitPIDs for other goroutines than the test's.
func readPIDs(path string, n int) ([]int, error) {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		raw, _ := os.ReadFile(path)
		fields := strings.Fields(string(raw))
		if len(fields) >= n {
			pids := make([]int, n)
			for i := range pids {
				pids[i], _ = strconv.Atoi(fields[i])
			}
			return pids, nil
		}
	}
	return nil, fmt.Errorf("%s: fewer than %d PIDs after a minute", path, n)
}

// gone reports a process that no longer runs (absent, or a zombie nobody
// has reaped yet).
func gone(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}

// waitGone waits for a signalled process to finish dying: kill(2) returns
// before the process has run its exit.
func waitGone(t *testing.T, pid int, after string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !gone(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs a minute after %s", pid, after)
		}
	}
}

func TestTimeout(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	// A shell and its child sleep, both stopped by SIGTERM to the group.
	r := shRunner(t, time.Second, `echo $$ > "$1"; sleep 60 & echo $! >> "$1"; wait`, pids)
	res := r.Run(context.Background(), liveLogin(t))
	if !res.TimedOut || res.Cancelled || res.Killed || res.ExitCode != -1 || res.OK() || !strings.HasPrefix(res.Detail(), "timed out after ") ||
		res.Detail() != "timed out after 1s, stopped" || res.Duration < time.Second {
		t.Fatalf("result %+v, detail %q", res, res.Detail())
	}
	// Whatever the script had started by then is gone (on a machine slow
	// enough to time out before the first line, there is nothing to check).
	raw, _ := os.ReadFile(pids)
	for _, f := range strings.Fields(string(raw)) {
		pid, _ := strconv.Atoi(f)
		waitGone(t, pid, "the timeout")
	}
}

func TestIgnoresSIGTERM(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Stop it once both ignore SIGTERM, however slowly they start.
		if _, err := readPIDs(pids, 2); err != nil {
			t.Error(err)
		}
		cancel()
	}()
	// Ignored signals stay ignored across fork and exec: neither the shell
	// nor its sleep stops on SIGTERM.
	r := shRunner(t, time.Hour, `trap '' TERM; sleep 60 & echo $$ $! > "$1"; wait; sleep 60`, pids)
	res := r.Run(ctx, liveLogin(t))
	if !res.TimedOut || !res.Cancelled || !res.Killed || res.ExitCode != -1 || !strings.HasPrefix(res.Detail(), "killed after ") {
		t.Fatalf("result %+v, detail %q", res, res.Detail())
	}
	for _, pid := range waitPIDs(t, pids, 2) {
		waitGone(t, pid, "SIGKILL")
	}
}

func TestContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := filepath.Join(t.TempDir(), "started")
	go func() {
		if _, err := readPIDs(started, 1); err != nil {
			t.Error(err)
		}
		cancel()
	}()
	res := shRunner(t, time.Hour, `echo $$ > "$1"; exec sleep 60`, started).Run(ctx, liveLogin(t))
	if !res.TimedOut || !res.Cancelled || !strings.HasSuffix(res.Detail(), "the app was closing") {
		t.Fatalf("result %+v, detail %q", res, res.Detail())
	}
}

// TestChildKeepsStderr: a command that exits at once but leaves a child
// holding its standard error open does not hold Run up past the grace.
func TestChildKeepsStderr(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	r := shRunner(t, time.Hour, `sleep 60 & echo $! > "$1"; echo "started" >&2; exit 0`, pids)
	res := r.Run(context.Background(), liveLogin(t))
	child := waitPIDs(t, pids, 1)[0]
	defer func() {
		if p, err := os.FindProcess(child); err == nil {
			p.Kill()
		}
	}()
	if !res.OK() || res.Stderr != "started" || res.TimedOut {
		t.Fatalf("result %+v", res)
	}
	if gone(child) {
		t.Fatal("a command that finished in time had its children killed")
	}
}

func TestNeverForRefusedOrNonLive(t *testing.T) {
	for _, d := range []Decision{
		{Success: false, Live: true, User: "zoë"},
		{Success: true, Live: false, User: "zoë"},
		{Success: false, Live: false, User: "zoë"},
		{Success: true, Live: true, User: ""},
	} {
		if l, ok := d.LiveSuccess(); ok || l.ok {
			t.Errorf("LiveSuccess(%+v) = true", d)
		}
	}
	marker := filepath.Join(t.TempDir(), "ran")
	r := shRunner(t, time.Minute, `touch "$1"`, marker)
	var notLive Login // what a caller could make without LiveSuccess
	refused, _ := Decision{Success: false, Live: true, User: "zoë"}.LiveSuccess()
	for _, l := range []Login{notLive, refused} {
		res := r.Run(context.Background(), l)
		if !errors.Is(res.Err, ErrNotLiveLogin) || res.OK() || !strings.HasPrefix(res.Detail(), "not started: ") {
			t.Fatalf("Run(not live) = %+v", res)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the command ran for a login that was not a successful live one")
	}
	if res := r.Run(context.Background(), liveLogin(t)); !res.OK() {
		t.Fatalf("live login: %+v", res)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("the command did not run for a successful live login")
	}
}

func TestParseArgv(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  string
	}{
		{``, nil, ""},
		{`  `, nil, ""},
		{`/usr/local/bin/open-door`, []string{"/usr/local/bin/open-door"}, ""},
		{`logger`, []string{"logger"}, ""},
		{`["/usr/bin/logger", "-t", "facelogin", "checked in; $(reboot)"]`, []string{"/usr/bin/logger", "-t", "facelogin", "checked in; $(reboot)"}, ""},
		{` ["/bin/sh", "-c", "exit 0"] `, []string{"/bin/sh", "-c", "exit 0"}, ""},
		{`/opt/door open`, []string{"/opt/door open"}, ""}, // one program name; New says to use an array
		{`[]`, nil, "empty command"},
		{`[""]`, nil, "program name is empty"},
		{`["./door.sh"]`, nil, "give an absolute path"},
		{`scripts/door.sh`, nil, "give an absolute path"},
		{`["/bin/echo", 1]`, nil, "not a JSON array of strings"},
		{`["/bin/echo"`, nil, "not a JSON array of strings"},
		{"[\"/bin/echo\", \"a\\u0000b\"]", nil, "NUL"},
	} {
		got, err := ParseArgv(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseArgv(%q) = %q, %v; want an error saying %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseArgv(%q) = %q, %v; want %q", c.in, got, err, c.want)
			continue
		}
		if back, err := ParseArgv(FormatArgv(got)); err != nil || !reflect.DeepEqual(back, got) {
			t.Errorf("FormatArgv(%q) = %s does not read back: %q, %v", got, FormatArgv(got), back, err)
		}
	}

	fs := flag.NewFlagSet("facelogin", flag.ContinueOnError)
	var f Flag
	fs.Var(&f, "on-login", "command after a live login")
	if err := fs.Parse([]string{"--on-login", `["/bin/echo", "hello world"]`}); err != nil || !reflect.DeepEqual(f.Argv, []string{"/bin/echo", "hello world"}) {
		t.Fatalf("--on-login: %q, %v", f.Argv, err)
	}
	if f.String() != `["/bin/echo","hello world"]` {
		t.Fatalf("Flag.String() = %s", f.String())
	}
	fs.SetOutput(new(strings.Builder))
	if err := fs.Parse([]string{"--on-login", `["./x"]`}); err == nil {
		t.Fatal("--on-login with a relative path accepted")
	}
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "door")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		argv    []string
		timeout time.Duration
		err     string
	}{
		{nil, 0, "no command"},
		{[]string{"/nonexistent/open-door"}, 0, "no such file"},
		{[]string{notExec}, 0, "permission denied"},
		{[]string{"/bin/echo hello"}, 0, `write a JSON array: ["/bin/echo","hello"]`},
		// Quoted words stay whole, as a shell would read them.
		{[]string{`sh -c 'echo "$FACELOGIN_USER" >> /tmp/in.csv'`}, 0, `write a JSON array: ["sh","-c","echo \"$FACELOGIN_USER\" >> /tmp/in.csv"]`},
		{[]string{`/usr/bin/open door "front gate"`}, 0, `write a JSON array: ["/usr/bin/open","door","front gate"]`},
		{[]string{`sh -c 'unterminated`}, 0, "write a JSON array, program first"},
		{[]string{"no-such-program-anywhere"}, 0, "not found in $PATH"},
		{[]string{"sh"}, -time.Second, "negative timeout"},
	} {
		if _, err := New(c.argv, c.timeout); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("New(%q, %v) = %v; want an error saying %q", c.argv, c.timeout, err, c.err)
		}
	}
	r, err := New([]string{"sh", "-c", "exit 0"}, 0)
	if err != nil || r.timeout != DefaultTimeout || !filepath.IsAbs(r.path) || !reflect.DeepEqual(r.Argv(), []string{"sh", "-c", "exit 0"}) {
		t.Fatalf("New(sh) = %+v, %v", r, err)
	}
	// A program removed after start is reported, not a crash.
	gone := filepath.Join(dir, "gone")
	os.WriteFile(gone, []byte("#!/bin/sh\n"), 0o755)
	r, err = New([]string{gone}, 0)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(gone)
	if res := r.Run(context.Background(), liveLogin(t)); res.Err == nil || !strings.Contains(res.Detail(), "not started: ") {
		t.Fatalf("removed program: %+v", res)
	}
}

// TestAppendCheckinExample runs the README's example action,
// testdata/append-checkin.sh, for two logins.
func TestAppendCheckinExample(t *testing.T) {
	script, err := filepath.Abs("testdata/append-checkin.sh")
	if err != nil {
		t.Fatal(err)
	}
	csvPath := filepath.Join(t.TempDir(), "checkins.csv")
	argv, err := ParseArgv(FormatArgv([]string{script, csvPath}))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(argv, 0)
	if err != nil {
		t.Fatal(err)
	}
	second := live
	second.User, second.Station, second.Distance = "bo.lee", `lobby "east"`, 0.25
	second.At = live.At.Add(time.Hour)
	// Cells a spreadsheet would run as a formula get a leading '.
	third := live
	third.User, third.Station = "-x", "=HYPERLINK(\"http://evil\")"
	fourth := live
	fourth.User, fourth.Station = "ann", "\tgate"
	for _, d := range []Decision{live, second, third, fourth} {
		l, _ := d.LiveSuccess()
		if res := r.Run(context.Background(), l); !res.OK() {
			t.Fatalf("%s: %+v", d.User, res)
		}
	}
	raw, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	want := [][]string{
		{"time", "user", "station", "distance"},
		{live.At.Local().Format(time.RFC3339), "zoë", "hall, door 2", "0.3125"},
		{second.At.Local().Format(time.RFC3339), "bo.lee", `lobby "east"`, "0.2500"},
		{live.At.Local().Format(time.RFC3339), "'-x", `'=HYPERLINK("http://evil")`, "0.3125"},
		{live.At.Local().Format(time.RFC3339), "ann", "'\tgate", "0.3125"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("checkins.csv:\n%q\nwant\n%q", rows, want)
	}
}

// TestTimeoutKilledDetail: a command that ignores SIGTERM is killed after
// the grace; the audit line names the limit, then how long it really ran
// (a tester read "timed out after 4.008s" for a 2 s limit).
func TestTimeoutKilledDetail(t *testing.T) {
	r := shRunner(t, time.Second, `trap "" TERM; echo > "$1"; while :; do sleep 0.1; done`, filepath.Join(t.TempDir(), "started"))
	res := r.Run(context.Background(), liveLogin(t))
	if !res.TimedOut || !res.Killed || res.Cancelled {
		t.Fatalf("result %+v", res)
	}
	if d := res.Detail(); !strings.HasPrefix(d, "timed out after 1s, killed (ran ") {
		t.Errorf("detail %q, want the 1s limit first, then the time it ran", d)
	}
}

// TestREADMEAppendCheckin: the README shows testdata/append-checkin.sh as
// it is, without its comment lines.
func TestREADMEAppendCheckin(t *testing.T) {
	script, err := os.ReadFile("testdata/append-checkin.sh")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(strings.TrimRight(string(script), "\n"), "\n") {
		if l != "#" && !strings.HasPrefix(l, "# ") {
			want = append(want, l)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := "```sh\n" + strings.Join(want, "\n") + "\n```\n"
	if !strings.Contains(string(readme), block) {
		t.Errorf("the README does not show testdata/append-checkin.sh; want the block\n%s", block)
	}
}
