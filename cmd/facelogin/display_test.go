package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"facelogin/internal/testdata"
	"facelogin/internal/testkit"
)

// TestNoDisplay: the window and the kiosk started where no X server answers
// — $DISPLAY unset, naming a server that is not running, or one without
// OpenGL (GLX) — exit with
// exitNoDisplay and one sentence saying what to do, not Fyne's panic (exit
// 2 and a stack trace, before the fix), and without touching the database:
// the default database is not created. (A kiosk without a PIN is a
// command-line mistake, exit 2, told first: TestAdminSetPIN.)
func TestNoDisplay(t *testing.T) {
	models := testdata.ModelsDir(t)
	bin := buildBinary(t)
	video := filepath.Join(testdata.Dir(t), "video", "d0.mp4")
	noGLX := testkit.StartXvfbArgs(t, 320, 240, "-extension", "GLX")
	for _, tc := range []struct {
		name    string
		display string // "" unsets DISPLAY
		args    []string
		why     string
	}{
		{"window, DISPLAY unset", "", []string{"--camera", video}, "$DISPLAY is not set"},
		{"window, no server", ":87", []string{"--camera", video}, "no X server answers at DISPLAY=:87"},
		{"kiosk, DISPLAY unset", "", []string{"--kiosk", "--camera", video}, "$DISPLAY is not set"},
		{"window, a server without OpenGL", noGLX, []string{"--camera", video}, "the X server at DISPLAY=" + noGLX + " has no OpenGL (GLX extension)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := appEnv(t, tc.display, models)
			var home string
			for i, e := range env {
				if h, ok := strings.CutPrefix(e, "HOME="); ok {
					home = h
				}
				if tc.display == "" && strings.HasPrefix(e, "DISPLAY=") {
					env[i] = "FACELOGIN_TEST_NO_DISPLAY=1"
				}
			}
			testkit.Run(t, env, kioskE2EPIN+"\n", bin, "admin", "set-pin") // the kiosk wants one first
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != exitNoDisplay {
				t.Fatalf("exit %d (%v), want %d:\n%s", code, err, exitNoDisplay, out)
			}
			msg := string(out)
			for _, want := range []string{"no display (" + tc.why + ")", "run the window in a desktop session, or use the command line"} {
				if !strings.Contains(msg, want) {
					t.Errorf("output lacks %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine") || strings.Count(strings.TrimSpace(msg), "\n") > 0 {
				t.Errorf("more than the one sentence:\n%s", msg)
			}
			if _, err := os.Stat(filepath.Join(home, "data", "facelogin")); !os.IsNotExist(err) {
				t.Errorf("the data directory was created before the display was checked: %v", err)
			}
		})
	}
}

// TestHelpNamesExitCodes: `facelogin --help` (the window's options) lists
// the exit codes, the no-display one among them.
func TestHelpNamesExitCodes(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"--help"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errOut.String(), "7 no display") || !strings.Contains(errOut.String(), "-kiosk") {
		t.Fatalf("--help:\n%s", errOut.String())
	}
}
