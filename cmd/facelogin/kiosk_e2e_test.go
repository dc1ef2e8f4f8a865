package main

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"facelogin/internal/testdata"
)

// The kiosk end to end: the real binary on a private Xvfb screen, a user
// enrolled from a photo, a video of that photo as the camera. Skips on a
// laptop without Xvfb, xdotool, ImageMagick, ffmpeg or the models; fails
// when CI=true.

const (
	kioskScreenW, kioskScreenH = 1280, 1024
	kioskE2EPIN                = "2468"
)

// kioskWelcomeGreen is app's kioskWelcome.
var kioskWelcomeGreen = color.RGBA{0x16, 0xa3, 0x4a, 0xff}

func kioskRequireTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"Xvfb", "xdotool", "import", "ffmpeg", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			testdata.Require(t, tool, err)
		}
	}
}

// kioskRepoRoot is the directory holding go.mod.
func kioskRepoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = filepath.Dir(dir)
	}
}

// kioskRun is the kiosk process.
type kioskRun struct {
	t   *testing.T
	cmd *exec.Cmd
	log string
	env []string
}

func (k *kioskRun) logText() string {
	b, _ := os.ReadFile(k.log)
	return string(b)
}

// waitLog waits until the log matches re.
func (k *kioskRun) waitLog(re *regexp.Regexp, within time.Duration) string {
	k.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if m := re.FindString(k.logText()); m != "" {
			return m
		}
		time.Sleep(100 * time.Millisecond)
	}
	k.t.Fatalf("no %q in the kiosk log within %v:\n%s", re, within, k.logText())
	return ""
}

func (k *kioskRun) x(args ...string) string {
	k.t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = k.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		k.t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// shot captures window id ("root" for the screen) into dir/name.png.
func (k *kioskRun) shot(id, dir, name string) image.Image {
	k.t.Helper()
	path := filepath.Join(dir, name+".png")
	cmd := exec.Command("import", "-window", id, path)
	cmd.Env = k.env
	if out, err := cmd.CombinedOutput(); err != nil {
		k.t.Fatalf("import: %v\n%s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		k.t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		k.t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

func (k *kioskRun) running() bool {
	return k.cmd.Process.Signal(syscall.Signal(0)) == nil
}

// kioskShare is the fraction of sampled pixels of img within 12 of col per
// channel, on a 40-pixel grid.
func kioskShare(img image.Image, col color.RGBA) float64 {
	b := img.Bounds()
	var n, hit int
	near := func(a uint32, c uint8) bool { d := int(a>>8) - int(c); return d > -12 && d < 12 }
	for y := b.Min.Y + 20; y < b.Max.Y; y += 40 {
		for x := b.Min.X + 20; x < b.Max.X; x += 40 {
			r, g, bl, _ := img.At(x, y).RGBA()
			n++
			if near(r, col.R) && near(g, col.G) && near(bl, col.B) {
				hit++
			}
		}
	}
	return float64(hit) / float64(max(n, 1))
}

func TestKioskEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: builds the binary and runs it under Xvfb")
	}
	kioskRequireTools(t)
	models := testdata.ModelsDir(t)
	photo := filepath.Join(testdata.Dir(t), "faces", "bona.jpg")
	root := kioskRepoRoot(t)
	tmp := t.TempDir()
	shots := filepath.Join(tmp, "shots")
	os.MkdirAll(shots, 0o755)
	defer func() {
		if t.Failed() {
			keep, _ := os.MkdirTemp("", "facelogin-kiosk-e2e-")
			os.Rename(shots, filepath.Join(keep, "shots"))
			t.Logf("screenshots kept in %s", keep)
		}
	}()

	bin := filepath.Join(tmp, "facelogin")
	build := exec.Command("go", "build", "-o", bin, "./cmd/facelogin")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	display := startXvfbSized(t, kioskScreenW, kioskScreenH)
	home := filepath.Join(tmp, "home")
	env := append(os.Environ(),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"), "FACELOGIN_MODELS="+models, "FACELOGIN_DB=", "FACELOGIN_KEY=",
		"LANG=en_US.UTF-8", "OPENCV_LOG_LEVEL=ERROR", "DISPLAY="+display)
	runCLI := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("facelogin %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	runCLI("", "enrol", "--user", "bona", photo)
	runCLI(kioskE2EPIN+"\n", "admin", "set-pin")

	video := filepath.Join(tmp, "bona.avi")
	ff := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", photo, "-t", "10", "-r", "15",
		"-vf", "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2",
		"-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p", video)
	if out, err := ff.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}

	k := &kioskRun{t: t, log: filepath.Join(tmp, "kiosk.log"), env: env}
	logf, err := os.Create(k.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	k.cmd = exec.Command(bin, "--kiosk", "--camera", video, "--station", "e2e-hall")
	k.cmd.Env, k.cmd.Stdout, k.cmd.Stderr = env, logf, logf
	if err := k.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- k.cmd.Wait() }()
	defer func() {
		if k.running() {
			k.cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("kiosk log:\n%s", k.logText())
		}
	}()

	// Identification from the video, logged with the station.
	line := k.waitLog(regexp.MustCompile(`msg="kiosk identification" station=e2e-hall success=true user=bona distance=[0-9.]+`), 90*time.Second)
	t.Logf("%s", line)

	// The welcome screen: poll the screen while it lasts (4 s).
	var welcome float64
	deadline := time.Now().Add(6 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		welcome = kioskShare(k.shot("root", shots, fmt.Sprintf("welcome-%02d", i)), kioskWelcomeGreen)
		if welcome > 0.6 {
			break
		}
	}
	if welcome <= 0.6 {
		t.Fatalf("no welcome screen: at most %.0f%% of the screen is the welcome green", 100*welcome)
	}
	t.Logf("welcome screen: %.0f%% of the screen is the welcome green", 100*welcome)

	// The kiosk window covers the whole screen.
	id := k.x("search", "--name", "^Face Login kiosk$")
	if strings.Contains(id, "\n") {
		id = strings.Fields(id)[0]
	}
	geo := k.x("getwindowgeometry", id)
	win := k.shot(id, shots, "window")
	if b := win.Bounds(); b.Dx() != kioskScreenW || b.Dy() != kioskScreenH {
		t.Fatalf("kiosk window %dx%d on a %dx%d screen (%s)", b.Dx(), b.Dy(), kioskScreenW, kioskScreenH, geo)
	}
	if !strings.Contains(geo, "Position: 0,0") {
		t.Errorf("kiosk window not at the origin: %s", geo)
	}

	// Escape does not leave the kiosk.
	k.x("mousemove", "--sync", strconv.Itoa(kioskScreenW/2), strconv.Itoa(kioskScreenH/3))
	k.x("key", "Escape")
	k.waitLog(regexp.MustCompile(`kiosk: Escape ignored`), 10*time.Second)
	time.Sleep(time.Second)
	if !k.running() {
		t.Fatal("the kiosk quit on Escape")
	}
	if b := k.shot(id, shots, "after-escape").Bounds(); b.Dx() != kioskScreenW || b.Dy() != kioskScreenH {
		t.Fatalf("after Escape the window is %dx%d", b.Dx(), b.Dy())
	}

	// The Admin button and the right PIN unlock; Exit kiosk leaves.
	k.x("mousemove", "--sync", strconv.Itoa(kioskScreenW-30), strconv.Itoa(kioskScreenH-25), "click", "1")
	time.Sleep(time.Second)
	k.x("type", "--delay", "50", kioskE2EPIN)
	k.x("key", "Return")
	k.waitLog(regexp.MustCompile(`kiosk unlocked by administrator`), 30*time.Second)
	time.Sleep(time.Second)
	k.shot("root", shots, "unlocked")
	k.x("mousemove", "--sync", strconv.Itoa(kioskScreenW-60), "22", "click", "1")
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatalf("the kiosk exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		k.shot("root", shots, "no-exit")
		t.Fatal("Exit kiosk did not end the process")
	}
	if !strings.Contains(k.logText(), "kiosk left by administrator") {
		t.Error("leaving not logged")
	}
}
