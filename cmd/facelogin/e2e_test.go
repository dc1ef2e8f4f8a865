package main

import (
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// Overlay colours of app/overlay.go: a recognised face's box and label,
// and an unknown face's.
var (
	greenBox = [3]uint8{0x22, 0xc5, 0x5e}
	redBox   = [3]uint8{0xef, 0x44, 0x44}
)

var (
	firstFrameRe = regexp.MustCompile(`msg="first frame displayed".*`)
	closedRe     = regexp.MustCompile(`msg="window closed".*`)
	registeredRe = regexp.MustCompile(`msg=registered user=bona templates=(\d+)`)
	loginRe      = regexp.MustCompile(`msg=login mode=identify success=(true|false) user=(\S*) .*`)
	// livenessRefusedRe is a login refused by the liveness challenge: failed,
	// or refused to judge (on a machine so busy that the landmarks fall under
	// the check's 10 Hz floor, "camera too slow" is the right refusal).
	livenessRefusedRe = regexp.MustCompile(`msg=login mode=identify success=false user="" liveness=(?:failed|refused) reason=.*`)
)

// TestWindowEndToEnd starts the real binary three times in a real window on
// Xvfb, with the real models and a private SQLite store, and drives it with
// xdotool: register bona from a video of one photo, log in from a video of
// the same photo zoomed and moved (a different picture of the same face,
// distance ~0.05), then from a video of joy (~0.57, far above the
// threshold). One person per video keeps every frame's answer the same, so
// the outcome does not depend on which frames the app happens to pick.
// Screenshots and the app's logs are kept as artifacts.
func TestWindowEndToEnd(t *testing.T) {
	requireTools(t, "Xvfb", "xdotool", "import", "ffmpeg")
	models := testdata.ModelsDir(t)
	faces := filepath.Join(testdata.Dir(t), "faces")
	art := artifactsDir(t, "e2e-window")
	bin := buildBinary(t)
	display := startXvfb(t)
	env := appEnv(t, display, models)
	showPreviewNames(t, env)

	vids := t.TempDir()
	register := makeVideo(t, vids, "bona-register", filepath.Join(faces, "bona.jpg"), vfFit, 3)
	bona := makeVideo(t, vids, "bona-login", filepath.Join(faces, "bona.jpg"), vfZoom, 3)
	joy := makeVideo(t, vids, "joy-login", filepath.Join(faces, "joy.jpg"), vfFit, 3)

	// Registration: nobody is enrolled, so the face is boxed red
	// ("unknown"); once registered, the next detections label it green.
	app := startApp(t, bin, env, art, "1-register", "--camera", register)
	app.WaitLog(firstFrameRe, time.Minute)
	t.Logf("register run: first frame %v after exec", time.Since(app.Started).Round(time.Millisecond))
	w := app.findWindow()
	waitScreen(t, app, w, "unknown-face", redBox)
	w.openRegister()
	w.clickEntry()
	w.typeText("bona")
	w.clickPrimary()
	// The camera shows one still photo: every frame is a near-copy of the
	// first (< decision.DuplicateBound), stored once.
	m := app.WaitLog(registeredRe, time.Minute)
	if m[1] != "1" {
		t.Fatalf("registered with %s templates, want 1 (one still photo)", m[1])
	}
	readmeShot(t, waitScreen(t, app, w, "registered", greenBox), w.rect(), "register")
	app.stop()
	checkLog(t, app)

	users := listUsers(t, bin, env)
	if len(users) != 1 || users[0].Name != "bona" || users[0].Templates != 1 || users[0].LastLogin != nil {
		t.Fatalf("after registration: users %+v, want bona with 1 template, never logged in", users)
	}

	var lastLogin time.Time
	for i, tc := range []struct {
		name    string
		video   string
		success bool
		box     [3]uint8
	}{
		{"bona", bona, true, greenBox},
		{"stranger", joy, false, redBox},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The liveness check is off for these runs: the videos are of
			// still photos (it is on below).
			app := startApp(t, bin, env, art, fmt.Sprintf("%d-login-%s", i+2, tc.name), "--camera", tc.video, "--liveness=false")
			app.WaitLog(firstFrameRe, time.Minute)
			t.Logf("first frame %v after exec", time.Since(app.Started).Round(time.Millisecond))
			w := app.findWindow()
			waitScreen(t, app, w, "before", tc.box)
			w.openLogin()
			w.clickPrimary()
			m := app.WaitLog(loginRe, time.Minute)
			dist, err := logFloat(m[0], "distance")
			if err != nil {
				t.Fatal(err)
			}
			ms, err := logFloat(m[0], "decision_ms")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: success=%s user=%s distance=%.3f decision %v ms", tc.name, m[1], m[2], dist, ms)
			if got := m[1] == "true"; got != tc.success {
				t.Fatalf("login success=%v, want %v: %s", got, tc.success, m[0])
			}
			// bona is named when she is let in; a refused stranger is
			// logged under no name, though bona is the nearest user.
			if want := map[bool]string{true: "bona", false: `""`}[tc.success]; m[2] != want {
				t.Fatalf("login logged user %s, want %s: %s", m[2], want, m[0])
			}
			if !tc.success && strings.Contains(app.Log.String(), "bona") {
				t.Fatalf("the log of a refused stranger names bona:\n%s", app.Log.String())
			}
			if tc.success && dist > 0.2 || !tc.success && dist <= float64(recognition.DefaultThreshold) {
				t.Fatalf("distance %.3f is not what this video gives: %s", dist, m[0])
			}
			shot := app.screenshot("decided")
			if tc.success {
				readmeShot(t, waitWelcome(t, app, w, shot), w.rect(), "window-login")
			}
			app.stop()
			checkLog(t, app)

			users := listUsers(t, bin, env)
			if len(users) != 1 {
				t.Fatalf("users %+v, want only bona", users)
			}
			switch {
			case tc.success && (users[0].LastLogin == nil || !users[0].LastLogin.After(app.Started.Add(-time.Second))):
				t.Fatalf("bona's last login %v, want this run's (started %v)", users[0].LastLogin, app.Started)
			case tc.success:
				lastLogin = *users[0].LastLogin
			case !lastLogin.IsZero() && (users[0].LastLogin == nil || !users[0].LastLogin.Equal(lastLogin)):
				t.Fatalf("a refused login changed bona's last login: %v, was %v", users[0].LastLogin, lastLogin)
			}
		})
	}

	// With the liveness check on (the default), the photo video of bona
	// that was let in above is refused by the challenge: logged under no
	// name with the liveness reason, and bona's last login stays.
	t.Run("photo-refused-by-liveness", func(t *testing.T) {
		app := startApp(t, bin, env, art, "4-login-photo-liveness", "--camera", bona)
		app.WaitLog(firstFrameRe, time.Minute)
		w := app.findWindow()
		waitScreen(t, app, w, "before", greenBox)
		w.openLogin()
		w.clickPrimary()
		app.screenshot("challenge")
		m := app.WaitLog(livenessRefusedRe, 2*time.Minute)
		t.Logf("%s", m[0])
		app.screenshot("refused")
		app.stop()
		checkLog(t, app)
		users := listUsers(t, bin, env)
		if len(users) != 1 || users[0].LastLogin == nil || !users[0].LastLogin.Equal(lastLogin) {
			t.Fatalf("users %+v after the photo was refused, want bona last in at %v", users, lastLogin)
		}
	})
}

// checkLog looks for what must never be in a run's log: Fyne's complaint
// that the UI was touched off its goroutine, errors, and a missing closing
// line with the frame rates.
func checkLog(t *testing.T, app *appRun) {
	t.Helper()
	log := app.Log.String()
	for _, bad := range []string{"Error in Fyne call thread", "level=ERROR", "panic:", "DATA RACE"} {
		if strings.Contains(log, bad) {
			t.Errorf("%s: log contains %q:\n%s", app.Name, bad, log)
		}
	}
	if m := closedRe.FindString(log); m == "" {
		t.Errorf("%s: no \"window closed\" line", app.Name)
	} else {
		t.Logf("%s: %s", app.Name, m)
	}
}

type userRow struct {
	Name      string     `json:"name"`
	Templates int        `json:"templates"`
	LastLogin *time.Time `json:"last_login"`
}

func listUsers(t *testing.T, bin string, env []string) []userRow {
	t.Helper()
	out := cliJSON(t, bin, env, "users", "list", "--json")
	var users []userRow
	if err := json.Unmarshal(out, &users); err != nil {
		t.Fatalf("users list --json: %v\n%s", err, out)
	}
	return users
}

// waitScreen takes screenshots until the preview shows a face box of
// colour box (detections take a few tenths of a second) on a screen that is
// not blank: a live photo has thousands of colours, an empty or
// frozen-black window a handful. A blank screen is only a failure if it
// stays blank: the window paints its first frames a moment after they are
// logged, later on a busy machine.
func waitScreen(t *testing.T, app *appRun, w *window, name string, box [3]uint8) image.Image {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		img := app.screenshot(name)
		all, _ := colourStats(img, img.Bounds(), box)
		preview, boxPixels := colourStats(img, w.previewRect(), box)
		blank := all < 1000 || preview < 1000
		if !blank && boxPixels >= 200 {
			return img
		}
		if time.Now().After(deadline) {
			if blank {
				t.Fatalf("%s: screenshot looks blank after a minute: %d colours on screen, %d in the preview; see %s", name, all, preview, app.art)
			}
			t.Fatalf("%s: no face box of colour %v in the preview (%d pixels) after a minute; see %s", name, box, boxPixels, app.art)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// waitWelcome takes screenshots, from shot on, until the Login pane shows
// the welcome in the theme's green (the log line comes a moment before the
// screen changes), for ten seconds at most, and returns the last.
func waitWelcome(t *testing.T, app *appRun, w *window, shot image.Image) image.Image {
	t.Helper()
	pane := image.Rect(w.x+w.paneX(0), w.y, w.x+w.w, w.y+w.h/2)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		n := 0
		for y := pane.Min.Y; y < pane.Max.Y; y++ {
			for x := pane.Min.X; x < pane.Max.X; x++ {
				r, g, b, _ := shot.At(x, y).RGBA()
				if g>>8 > 180 && r>>8 < 140 && b>>8 < 160 {
					n++
				}
			}
		}
		if n > 200 {
			return shot
		}
		time.Sleep(200 * time.Millisecond)
		shot = app.screenshot("welcome")
	}
	t.Errorf("no welcome on the Login pane within 10 s; see %s", app.art)
	return shot
}

// TestWindowUnreadableModels: the window reads the models in the background
// while it starts. Missing files still stop the program before a window
// opens; a file dlib cannot read leaves the preview running without
// detection and makes the program exit with the models' code and message.
func TestWindowUnreadableModels(t *testing.T) {
	requireTools(t, "Xvfb", "ffmpeg")
	good := testdata.ModelsDir(t)
	faces := filepath.Join(testdata.Dir(t), "faces")
	art := artifactsDir(t, "e2e-window-models")
	bin := buildBinary(t)
	display := startXvfb(t)
	video := makeVideo(t, t.TempDir(), "bona", filepath.Join(faces, "bona.jpg"), vfFit, 2)

	resnet, err := os.ReadFile(filepath.Join(good, recognition.ResNetFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		resnet []byte // nil: missing
		window bool   // a window opens before the failure
	}{
		{"missing", nil, false},
		{"truncated", resnet[:len(resnet)/3], true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{recognition.LandmarksFile, recognition.CNNDetectorFile} {
				if err := os.Symlink(filepath.Join(good, f), filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
			}
			if tc.resnet != nil {
				if err := os.WriteFile(filepath.Join(dir, recognition.ResNetFile), tc.resnet, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			app := startApp(t, bin, appEnv(t, display, dir), art, tc.name, "--camera", video)
			if tc.window {
				app.WaitLog(regexp.MustCompile(`msg="models failed"`), time.Minute)
				app.WaitLog(firstFrameRe, time.Minute)
			} else {
				select {
				case <-app.Exited():
				case <-time.After(2 * time.Minute):
					t.Fatal("still running 2 min after it was started without a model file")
				}
			}
			log := app.Log.String()
			if code := app.Stop(); code != exitModels {
				t.Fatalf("exit code %d, want %d (models)\nlog:\n%s", code, exitModels, log)
			}
			log = app.Log.String()
			if !strings.Contains(log, "face models in "+dir+" are not usable") {
				t.Fatalf("no plain-words models message:\n%s", log)
			}
			if strings.Contains(log, "first frame displayed") != tc.window {
				t.Fatalf("window opened: %v, want %v\nlog:\n%s", !tc.window, tc.window, log)
			}
		})
	}
}
