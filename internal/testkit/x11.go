package testkit

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	_ "image/png" // screenshots are PNG
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"facelogin/internal/testdata"
)

// StartXvfb starts a private X server with one w×h screen on a free display
// (Xvfb picks it and reports it through -displayfd), stops it when the test
// ends, and returns the display (":N"). A missing Xvfb skips the test on a
// laptop and fails it under CI=true.
func StartXvfb(t testing.TB, w, h int) string {
	t.Helper()
	return StartXvfbArgs(t, w, h)
}

// StartXvfbArgs is StartXvfb with more Xvfb arguments (say "-extension",
// "GLX" for a server without OpenGL).
func StartXvfbArgs(t testing.TB, w, h int, extra ...string) string {
	t.Helper()
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	args := append([]string{"-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp", "-noreset"}, extra...)
	cmd := exec.Command("Xvfb", args...)
	cmd.ExtraFiles = []*os.File{pw}
	var stderr LockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		pw.Close()
		testdata.Require(t, "Xvfb", err)
		return ""
	}
	pw.Close()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb did not start (display %q): %s", n, stderr.String())
		}
		return ":" + n
	case <-time.After(60 * time.Second):
		t.Fatalf("Xvfb did not report a display in 60 s: %s", stderr.String())
	}
	return ""
}

// Xdo runs xdotool with args on display and returns its output, trimmed.
func Xdo(t testing.TB, display string, args ...string) string {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = []string{"DISPLAY=" + display}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// FindWindow waits up to timeout for a visible window whose name matches
// the regular expression name and returns its id (the last one mapped).
func FindWindow(t testing.TB, display, name string, timeout time.Duration) string {
	t.Helper()
	var id string
	WaitFor(t, "a window named "+name, timeout, func() bool {
		cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", name)
		cmd.Env = []string{"DISPLAY=" + display}
		out, err := cmd.Output()
		if ids := strings.Fields(string(out)); err == nil && len(ids) > 0 {
			id = ids[len(ids)-1]
			return true
		}
		return false
	})
	return id
}

// Screenshot captures window (an X window id, or "root" for the whole
// screen) on display into path (a .png) with ImageMagick's import, and
// returns it decoded.
func Screenshot(t testing.TB, display, window, path string) image.Image {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("import", "-window", window, path)
	cmd.Env = []string{"DISPLAY=" + display, "PATH=" + os.Getenv("PATH")}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("import (screenshot): %v\n%s", err, out.String())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	return img
}
