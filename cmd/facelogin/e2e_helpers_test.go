package main

import (
	"bytes"
	"context"
	"facelogin/app"
	"facelogin/internal/testkit"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	xdraw "golang.org/x/image/draw"
)

// This file drives the real binary in a real window on a private X server
// (Xvfb): the end-to-end test and the window benchmarks share it.

// requireTools and repoRoot are testkit's.
func requireTools(t testing.TB, tools ...string) { t.Helper(); testkit.RequireTools(t, tools...) }

func repoRoot(t testing.TB) string { t.Helper(); return testkit.RepoRoot(t) }

// artifactsDir is where screenshots and logs are kept after the test:
// $FACELOGIN_ARTIFACTS, else testoutput/NAME in the repository (gitignored).
// It is emptied first.
func artifactsDir(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("FACELOGIN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "testoutput", name)
	} else {
		dir = filepath.Join(dir, name)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("artifacts (screenshots, app logs): %s", dir)
	return dir
}

// buildBinary builds cmd/facelogin into a temp dir; with a warm build cache
// this is a link of a few seconds.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "facelogin")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startXvfb starts a private 1280×800 X server for the window tests.
func startXvfb(t testing.TB) string {
	t.Helper()
	return testkit.StartXvfb(t, 1280, 800)
}

// appEnv is the environment of the binary: a private home (SQLite file,
// key file, Fyne preferences), the models, the X display and a fixed scale
// so the window layout (and the click positions below) do not depend on
// the screen's DPI.
func appEnv(t testing.TB, display, models string) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"FACELOGIN_MODELS=" + models,
		"DISPLAY=" + display,
		"LANG=en_US.UTF-8",
		"OPENCV_LOG_LEVEL=ERROR",
		"LIBGL_ALWAYS_SOFTWARE=1",
		"FYNE_SCALE=1",
		"FYNE_THEME=dark",
	}
	for _, k := range []string{"PATH", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// showPreviewNames turns Settings → Show names on the preview on in the
// preferences of the app run with env, as its owner would: the window
// tests read who the preview takes a face for from its box's colour (off,
// every box is the unknown colour).
func showPreviewNames(t testing.TB, env []string) {
	t.Helper()
	var config string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "XDG_CONFIG_HOME="); ok {
			config = v
		}
	}
	dir := filepath.Join(config, "fyne", appID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "preferences.json"), []byte(`{"`+app.PrefPreviewNames+`":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
}

// makeVideo writes a 640×480 30 fps MJPG .avi of secs seconds showing photo
// scaled by vf (an ffmpeg filter chain ending in 640×480).
func makeVideo(t testing.TB, dir, name, photo, vf string, secs int) string {
	t.Helper()
	out := filepath.Join(dir, name+".avi")
	cmd := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-framerate", "30", "-i", photo,
		"-vf", vf+",format=yuvj420p", "-t", strconv.Itoa(secs), "-r", "30", "-c:v", "mjpeg", "-q:v", "2", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", name, err, b)
	}
	return out
}

// Filters that turn a portrait into a 640×480 camera frame: the whole
// photo letterboxed, and the same photo zoomed and moved (a second, really
// different camera picture of the same face).
const (
	vfFit  = "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2"
	vfZoom = "scale=800:800,crop=640:480:100:60"
)

// appRun is one start of the binary (window or kiosk).
type appRun struct {
	*testkit.Proc
	t       testing.TB
	display string
	art     string
	shots   int
}

// startApp starts the binary with env and args; its output goes to
// art/NAME.log as well.
func startApp(t testing.TB, bin string, env []string, art, name string, args ...string) *appRun {
	t.Helper()
	a := &appRun{t: t, art: art}
	for _, e := range env {
		if d, ok := strings.CutPrefix(e, "DISPLAY="); ok {
			a.display = d
		}
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	a.Proc = testkit.Start(t, name, cmd, filepath.Join(art, name+".log"))
	return a
}

// stop sends SIGTERM (Fyne quits its loop on it, so the app closes the
// camera and the store) and waits for a clean exit.
func (a *appRun) stop() {
	a.t.Helper()
	if code := a.Stop(); code != 0 {
		a.t.Fatalf("%s: exit after SIGTERM: %v\nlog:\n%s", a.Name, a.Err(), a.Log.String())
	}
}

// xdo runs xdotool on the app's display.
func (a *appRun) xdo(args ...string) string {
	a.t.Helper()
	return testkit.Xdo(a.t, a.display, args...)
}

// window is the app's top-level window and its geometry on the screen.
type window struct {
	a          *appRun
	id         string
	x, y, w, h int
}

// findWindow waits for the window named "Face Login" to be mapped.
func (a *appRun) findWindow() *window {
	a.t.Helper()
	w := &window{a: a, id: testkit.FindWindow(a.t, a.display, "^Face Login$", time.Minute)}
	geo := a.xdo("getwindowgeometry", "--shell", w.id)
	vals := map[string]int{}
	for _, l := range strings.Fields(geo) {
		if k, v, ok := strings.Cut(l, "="); ok {
			vals[k], _ = strconv.Atoi(v)
		}
	}
	w.x, w.y, w.w, w.h = vals["X"], vals["Y"], vals["WIDTH"], vals["HEIGHT"]
	if w.w <= 0 || w.h <= 0 {
		a.t.Fatalf("%s: window geometry %q", a.Name, geo)
	}
	return w
}

// Where the controls are, for Fyne's default theme at FYNE_SCALE=1: the
// tabs pane starts at the split (62% of the width); x offsets are from
// there, y from the window's top. A wrong position shows up as a missing
// log line, with the screenshots to look at.
const (
	splitOffset      = 0.62
	tabLoginX        = 28 // "Login" tab label
	tabRegisterX     = 96 // "Register" tab label
	tabY             = 21
	entryY           = 62  // the username field of either tab
	primaryButtonY   = 101 // "Log in" / "Register"
	previewBottomGap = 120 // status line, descriptor strip and caption under the preview
)

func (w *window) paneX(dx int) int { return int(float64(w.w)*splitOffset) + dx }

// click clicks at window coordinates.
func (w *window) click(x, y int) {
	w.a.t.Helper()
	w.a.xdo("mousemove", "--window", w.id, strconv.Itoa(x), strconv.Itoa(y), "click", "1")
	time.Sleep(150 * time.Millisecond)
}

func (w *window) typeText(s string) {
	w.a.t.Helper()
	w.a.xdo("type", "--delay", "40", s)
}

// Tab clicks and field clicks of the two screens the test drives.
func (w *window) openLogin()    { w.click(w.paneX(tabLoginX), tabY) }
func (w *window) openRegister() { w.click(w.paneX(tabRegisterX), tabY) }
func (w *window) clickEntry()   { w.click(w.paneX(0)+(w.w-w.paneX(0))/2, entryY) }
func (w *window) clickPrimary() { w.click(w.paneX(0)+(w.w-w.paneX(0))/2, primaryButtonY) }

// previewRect is the preview image's area on the screen.
func (w *window) previewRect() image.Rectangle {
	return image.Rect(w.x, w.y, w.x+int(float64(w.w)*splitOffset)-8, w.y+w.h-previewBottomGap)
}

// screenshot saves the whole screen as NAME.png in the artifacts and
// returns it decoded.
func (a *appRun) screenshot(name string) image.Image {
	a.t.Helper()
	a.shots++
	return testkit.Screenshot(a.t, a.display, "root", filepath.Join(a.art, fmt.Sprintf("%s-%d-%s.png", a.Name, a.shots, name)))
}

// readmeShot keeps img, cropped to r (the screen's coordinates), as
// docs/screenshots/NAME.png for the README when UPDATE_SCREENSHOTS=1:
// `UPDATE_SCREENSHOTS=1 go test -run 'TestWindowEndToEnd|TestKioskEndToEnd'
// ./cmd/facelogin/` remakes them from the running app. Scaled to
// readmeWidth pixels wide so the repository stays small.
func readmeShot(t testing.TB, img image.Image, r image.Rectangle, name string) {
	t.Helper()
	if os.Getenv("UPDATE_SCREENSHOTS") != "1" {
		return
	}
	r = r.Intersect(img.Bounds())
	h := r.Dy() * readmeWidth / r.Dx()
	small := image.NewRGBA(image.Rect(0, 0, readmeWidth, h))
	xdraw.CatmullRom.Scale(small, small.Rect, img, r, xdraw.Src, nil)
	path := filepath.Join(repoRoot(t), "docs", "screenshots", name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, small); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("README screenshot %s (%d×%d, %d KB)", path, readmeWidth, h, buf.Len()/1024)
}

// readmeWidth is the width of the README's screenshots in pixels.
const readmeWidth = 800

// rect is the window's area on the screen.
func (w *window) rect() image.Rectangle { return image.Rect(w.x, w.y, w.x+w.w, w.y+w.h) }

// colourStats counts the distinct colours in r and the pixels of exactly
// col (overlay colours are drawn unblended and scaled nearest-neighbour).
func colourStats(img image.Image, r image.Rectangle, col [3]uint8) (distinct, exact int) {
	seen := map[[3]uint8]struct{}{}
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			c := [3]uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8)}
			seen[c] = struct{}{}
			if c == col {
				exact++
			}
		}
	}
	return len(seen), exact
}

// logFloat reads key=value from a slog text line.
func logFloat(line, key string) (float64, error) {
	m := regexp.MustCompile(`\b` + regexp.QuoteMeta(key) + `=([-+0-9.eInf]+)`).FindStringSubmatch(line)
	if m == nil {
		return 0, fmt.Errorf("no %s= in %q", key, line)
	}
	return strconv.ParseFloat(m[1], 64)
}

// cliJSON runs a command of the binary with the app's environment.
func cliJSON(t testing.TB, bin string, env []string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("facelogin %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}
