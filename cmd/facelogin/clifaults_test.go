package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"facelogin/internal/testdata"
	"facelogin/internal/testkit"
)

// The faults a fresh tester found in the command line (issue 10): JSON on
// every outcome, plain words for a missing photo, no FFmpeg lines on
// standard error, Ctrl-C reported as an interruption.

// truncatedVideo is the first 200 kB of a shared mp4: its index (moov
// atom) is at the end, so FFmpeg cannot open it.
func truncatedVideo(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(sharedVideo(t, "d12.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cut.mp4")
	if err := os.WriteFile(p, b[:200_000], 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestJSONErrors: with --json, a failure that has no result to print
// (exit 1, 2, 3) still prints one JSON object on standard output, with
// the message (also on standard error) and the exit code.
func TestJSONErrors(t *testing.T) {
	c := newCLI(t)
	cut := truncatedVideo(t)
	missing := filepath.Join(t.TempDir(), "nofile.jpg")
	for _, tc := range []struct {
		name string
		code int
		args []string
		want string // in "error"
	}{
		{"identify nobody enrolled", exitNoMatch, []string{"identify", "--json", c.photo("bona.jpg")}, "nobody is enrolled"},
		{"identify missing photo", exitInput, []string{"identify", "--json", missing}, "no such file"},
		{"verify missing photo", exitInput, []string{"verify", "--json", "--user", "bona", missing}, "no such file"},
		{"identify no photo", exitUsage, []string{"identify", "--json"}, "give one photo"},
		{"verify no user", exitUsage, []string{"verify", "--json", c.photo("bona.jpg")}, "give --user NAME"},
		{"liveness damaged video", exitInput, []string{"liveness", "--json", "--camera", cut}, "cannot be read as a video"},
		{"identify --camera damaged video", exitNoMatch, []string{"identify", "--json", "--camera", cut}, "nobody is enrolled"},
		{"liveness bad challenge", exitUsage, []string{"liveness", "--json", "--camera", cut, "--challenge", "jump"}, "jump"},
		// A photo is never challenged: a script must not believe it was.
		{"verify photo with --challenge", exitUsage, []string{"verify", "--json", "--user", "bona", "--challenge", "blink", "--timeout", "2s", c.photo("bona.jpg")},
			"--challenge, --timeout apply only with --camera"},
		// The flag package stops at the photo: a flag after it is refused
		// (it was read as a second photo), still as JSON.
		{"identify flag after the photo", exitUsage, []string{"identify", c.photo("bona.jpg"), "--json"}, "--json comes after"},
		{"enrol flag after the photos", exitUsage, []string{"enrol", "--user", "x", c.photo("bona.jpg"), "--json"}, "flags go before the names and photos"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut := c.want(tc.code, tc.args...)
			var je jsonError
			dec := json.NewDecoder(strings.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&je); err != nil {
				t.Fatalf("stdout is not one JSON error object: %v\n%s", err, out)
			}
			if dec.More() {
				t.Errorf("more than one JSON value on stdout:\n%s", out)
			}
			if je.Exit != tc.code || !strings.Contains(je.Error, tc.want) || !strings.Contains(errOut, je.Error) {
				t.Errorf("JSON %+v, want exit %d and %q, also on stderr: %q", je, tc.code, tc.want, errOut)
			}
		})
	}
}

// TestMissingPhoto: a photo that is not there, a directory, or one that
// cannot be read is said in plain words naming the path and what to do
// (exit 3), never a raw "recognition: stat …" error.
func TestMissingPhoto(t *testing.T) {
	c := newCLI(t)
	c.want(exitOK, "enrol", "--user", "bona", c.photo("bona.jpg"))
	dir := t.TempDir()
	locked := filepath.Join(dir, "locked.jpg")
	b, err := os.ReadFile(c.photo("bona2.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(locked, b, 0o000); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nofile.jpg"), "nofile.jpg: no such file: check the path"},
		{"directory", dir, "is a directory: give a photo file"},
		{"permission denied", locked, "locked.jpg: permission denied: make the photo readable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "permission denied" && os.Geteuid() == 0 {
				// root reads any file: check the wording on the error
				// os.Open gives everyone else.
				err := explainImageError(locked, &fs.PathError{Op: "open", Path: locked, Err: syscall.EACCES})
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%v, want %q", err, tc.want)
				}
				return
			}
			for _, args := range [][]string{{"identify", tc.path}, {"verify", "--user", "bona", tc.path}, {"enrol", "--user", "other", tc.path}} {
				_, errOut := c.want(exitInput, args...)
				if !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "recognition:") || strings.Contains(errOut, "stat ") {
					t.Errorf("%s: stderr %q, want %q in plain words", args[0], errOut, tc.want)
				}
			}
		})
	}
}

// cliEnv is the real binary's environment for these tests, without
// OPENCV_LOG_LEVEL and OPENCV_FFMPEG_LOGLEVEL: as a user's shell has it.
func cliEnv(t *testing.T) []string {
	t.Helper()
	env := appEnv(t, "", testdata.ModelsDir(t))
	kept := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "OPENCV_") {
			kept = append(kept, kv)
		}
	}
	return kept
}

// TestDamagedVideoQuiet: the real binary, in an environment without
// OpenCV's log variables, on a truncated mp4: standard error holds our one
// sentence and no line of FFmpeg's ("[mov,mp4,… @ 0x…] moov atom not
// found") nor OpenCV's.
func TestDamagedVideoQuiet(t *testing.T) {
	bin := buildBinary(t)
	cut := truncatedVideo(t)
	for _, args := range [][]string{{"liveness", "--camera", cut}, {"liveness", "--json", "--camera", cut}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = cliEnv(t)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInput {
			t.Fatalf("%v: %v, want exit %d\n%s", args, err, exitInput, errb.String())
		}
		want := "facelogin: " + cut + " cannot be read as a video: the file is damaged, cut short or not a video (try playing it, or record it again)\n"
		if errb.String() != want {
			t.Errorf("%v: stderr\n%q\nwant only\n%q", args, errb.String(), want)
		}
	}
}

// TestInterruptedCheck: SIGINT sent to the real binary while `identify
// --camera` reads a video (the file open, the challenge under way) ends
// it with exit 130 and "interrupted" — not exit 5 "database unreachable"
// with "context canceled" as before — and nothing is written to the audit
// log.
func TestInterruptedCheck(t *testing.T) {
	requireTools(t, "ffmpeg")
	bin := buildBinary(t)
	env := cliEnv(t)
	testkit.Run(t, env, "", bin, "enrol", "--user", "bona", filepath.Join(testdata.Dir(t), "faces", "bona.jpg"))
	// A long video in which the check can never end by itself: a photo of
	// bona, moving (so not refused as a still picture) but never blinking,
	// 20 s looped to 10 min (copied, not re-encoded). However fast the
	// machine, the check is still reading it when the signal comes.
	dir := t.TempDir()
	clip, long := filepath.Join(dir, "clip.mkv"), filepath.Join(dir, "long.mkv")
	for _, args := range [][]string{
		{"-loop", "1", "-framerate", "30", "-i", filepath.Join(testdata.Dir(t), "faces", "bona.jpg"),
			"-vf", "scale=800:800,crop=640:480:'80+20*sin(t)':'60+10*cos(t)',format=yuv420p",
			"-t", "20", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", clip},
		{"-stream_loop", "29", "-i", clip, "-c", "copy", long},
	} {
		if b, err := exec.Command("ffmpeg", append([]string{"-loglevel", "error", "-y"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, b)
		}
	}
	events := func() string { return testkit.Run(t, env, "", bin, "events", "--json") }
	before := events()

	cmd := exec.Command(bin, "identify", "--json", "--camera", long, "--challenge", "blink", "--timeout", "10m")
	cmd.Env = env
	var out, errb testkit.LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Mid-check: the binary has the video open (after the database and
	// the models).
	testkit.WaitFor(t, "the video opened", 2*time.Minute, func() bool {
		fds, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "fd", "*"))
		for _, fd := range fds {
			if p, _ := os.Readlink(fd); p == long {
				return true
			}
		}
		return false
	})
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("SIGINT: %v (the check ended before the signal)\n%s", err, errb.String())
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("still running a minute after SIGINT\n%s", errb.String())
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v, want %d\nstdout %s\nstderr %s", err, exitInterrupted, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "facelogin: interrupted") || strings.Contains(errb.String(), "context canceled") || strings.Contains(errb.String(), "unreachable") {
		t.Errorf("stderr %q, want the interruption said plainly", errb.String())
	}
	var je jsonError
	if err := json.Unmarshal([]byte(out.String()), &je); err != nil || je.Exit != exitInterrupted {
		t.Errorf("stdout %q (%v), want the JSON error with exit %d", out.String(), err, exitInterrupted)
	}
	if after := events(); after != before {
		t.Errorf("the audit log changed after an interrupted check:\nbefore %s\nafter %s", before, after)
	}
}

// TestHelpCameraForms: `--help` shows identify and verify in their camera
// forms with the flags they take, every flag the usage line names is one
// the command defines (enrol's --allow-duplicate, not a --force the code
// calls an alias), and the README's command list names the same flags.
func TestHelpCameraForms(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"--help"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	help := errOut.String()
	for _, want := range []string{"facelogin identify [--json] [--verbose] IMAGE | --camera SRC [--challenge blink,left] [--timeout 4s] [--json]",
		"facelogin verify --user NAME [--json] [--verbose] (IMAGE | --camera SRC [--challenge blink,left] [--timeout 4s])",
		"facelogin enrol --user NAME [--add] [--allow-duplicate]", "130 interrupted"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q:\n%s", want, help)
		}
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	flagRE := regexp.MustCompile(`--[a-z][a-z-]*`)
	for _, c := range commands() {
		if !slices.Contains([]string{"detect", "enrol", "identify", "verify", "liveness", "events"}, c.name) {
			continue // commands with subcommands: each has its own flags
		}
		// Each flag of the usage line is defined by the command: --help
		// on it lists it.
		var cout, cerr strings.Builder
		run([]string{c.name, "--help"}, &cout, &cerr)
		for _, fl := range flagRE.FindAllString(c.args, -1) {
			if !strings.Contains(cerr.String(), "  -"+fl[2:]) {
				t.Errorf("%s: usage names %s, which the command does not define:\n%s", c.name, fl, cerr.String())
			}
		}
	}
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "facelogin enrol ") && strings.Contains(line, "--force") && !strings.Contains(line, "--allow-duplicate") {
			t.Errorf("README's enrol line names --force, not --allow-duplicate: %q", line)
		}
	}
	for _, want := range []string{"identify --camera SRC", "verify --user NAME --camera SRC", "`130` interrupted", "enrol --user NAME [--allow-duplicate]"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README lacks %q", want)
		}
	}
}
