package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"facelogin/internal/testdata"
	"facelogin/internal/testkit"
)

// TestSIGTERM: the real binary, as a window and as a kiosk, on a private
// Xvfb screen with a video of an enrolled face as the camera, is sent
// SIGTERM while it works (frames shown, faces detected; the kiosk
// identifying and writing the audit log). It must exit 0 within
// testkit.Proc.Stop's 30 s, after logging that every goroutine stopped and
// that the database was closed, with no Fyne thread error (before the fix
// the kiosk logged "Error in Fyne call thread" from a late UI update),
// panic or error line; the SQLite -wal file is gone, as it is only when
// the last connection closes cleanly (after SIGKILL it stays).
func TestSIGTERM(t *testing.T) {
	requireTools(t, "Xvfb", "ffmpeg", "go")
	models := testdata.ModelsDir(t)
	photo := filepath.Join(testdata.Dir(t), "faces", "bona.jpg")
	art := artifactsDir(t, "sigterm")
	bin := buildBinary(t)
	display := startXvfb(t)
	video := makeVideo(t, t.TempDir(), "bona", photo, vfFit, 10)
	for _, tc := range []struct {
		name string
		args []string
		busy *regexp.Regexp // logged once the app is at work
	}{
		{"window", []string{"--camera", video}, regexp.MustCompile(`msg="first frame displayed"`)},
		// The video is of a still photo: the liveness challenge is off so
		// that the kiosk is identifying (at work) when the signal comes.
		{"kiosk", []string{"--kiosk", "--camera", video, "--station", "hall", "--liveness=false"},
			regexp.MustCompile(`msg="kiosk identification" station=hall success=true user=bona`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := appEnv(t, display, models)
			testkit.Run(t, env, "", bin, "enrol", "--user", "bona", photo)
			testkit.Run(t, env, kioskE2EPIN+"\n", bin, "admin", "set-pin")
			a := startApp(t, bin, env, art, tc.name, tc.args...)
			a.WaitLog(tc.busy, 2*time.Minute)
			if tc.name == "window" {
				// Detection goroutines at work too, not only the preview.
				a.WaitLog(regexp.MustCompile(`msg="models loaded"`), 2*time.Minute)
			}
			a.stop() // SIGTERM; fails unless the exit status is 0
			log := a.Log.String()
			order := []string{`msg="stopping on signal" signal=terminated`, `msg="every goroutine stopped"`, `msg="database closed"`}
			at := 0
			for _, want := range order {
				i := strings.Index(log[at:], want)
				if i < 0 {
					t.Fatalf("log lacks %q after the signal, in this order %q:\n%s", want, order, log)
				}
				at += i
			}
			if bad := regexp.MustCompile(`Error in Fyne call thread|panic|goroutine \d+ \[|level=ERROR`).FindString(log); bad != "" {
				t.Errorf("log holds %q:\n%s", bad, log)
			}
			var data string
			for _, e := range env {
				if d, ok := strings.CutPrefix(e, "XDG_DATA_HOME="); ok {
					data = d
				}
			}
			db := filepath.Join(data, "facelogin", "facelogin.db")
			if _, err := os.Stat(db); err != nil {
				t.Fatalf("the database: %v", err)
			}
			if _, err := os.Stat(db + "-wal"); !os.IsNotExist(err) {
				t.Errorf("%s-wal is still there (%v): the database was not closed", db, err)
			}
		})
	}
}
