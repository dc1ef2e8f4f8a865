package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"facelogin/internal/testdata"
)

// TestQuietLocale runs the real binary's commands with the C locales of
// containers and servers (and with no locale at all): stderr holds the
// commands' own lines and nothing from Fyne, and the command line leaves
// no trace of the GUI toolkit (no Fyne preferences or cache directory: it
// never creates a Fyne app).
func TestQuietLocale(t *testing.T) {
	bin := buildBinary(t)
	home := t.TempDir()
	for _, locale := range []string{"LANG=C.UTF-8", "LANG=C.utf8", "LC_ALL=C.UTF-8", "LANG=POSIX.UTF-8", "LANG=C", "LANG=POSIX", "LANG unset"} {
		for _, c := range []struct {
			args   []string
			stderr *regexp.Regexp
		}{
			{[]string{"users", "list"}, regexp.MustCompile(`^database: SQLite \S+ \(default\)\n0 user\(s\)\n$`)},
			{[]string{"events", "--since", "1h"}, regexp.MustCompile(`^database: SQLite \S+ \(default\)\n\d+ event\(s\)\n$`)},
			{[]string{"events", "--from", "someday"}, regexp.MustCompile(`^facelogin: events: --from: "someday" is not a date: [^\n]+\n$`)},
		} {
			t.Run(locale+" "+strings.Join(c.args, " "), func(t *testing.T) {
				cmd := exec.Command(bin, c.args...)
				cmd.Env = []string{"HOME=" + home, "XDG_DATA_HOME=" + home + "/data", "XDG_CONFIG_HOME=" + home + "/config", "XDG_CACHE_HOME=" + home + "/cache"}
				if strings.Contains(locale, "=") {
					cmd.Env = append(cmd.Env, locale)
				}
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				cmd.Run()
				if !c.stderr.MatchString(stderr.String()) || strings.Contains(strings.ToLower(stderr.String()), "fyne") {
					t.Fatalf("stderr:\n%s\nwant only the command's own lines (%s)", stderr.String(), c.stderr)
				}
			})
		}
	}
	for _, dir := range []string{"config/fyne", "data/fyne", "cache/fyne"} {
		if _, err := os.Stat(filepath.Join(home, dir)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the command line touched the GUI toolkit: %s exists (%v)", dir, err)
		}
	}
}

// TestWindowQuietLocale opens the window under the C locales: it starts,
// shows frames and closes without a word from Fyne about the locale, and
// speaks English; under a Spanish locale it speaks Spanish.
func TestWindowQuietLocale(t *testing.T) {
	requireTools(t, "Xvfb", "ffmpeg")
	models := testdata.ModelsDir(t)
	art := artifactsDir(t, "quiet-locale")
	bin := buildBinary(t)
	video := makeVideo(t, t.TempDir(), "bona", testdata.Dir(t)+"/faces/bona.jpg", vfFit, 1)
	display := startXvfb(t)
	for _, c := range []struct{ name, lang, want string }{
		{"c-utf8", "C.UTF-8", "en"},
		{"c", "C", "en"},
		{"es", "es_ES.UTF-8", "es"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			env := appEnv(t, display, models)
			for i, e := range env {
				if strings.HasPrefix(e, "LANG=") {
					env[i] = "LANG=" + c.lang
				}
			}
			app := startApp(t, bin, env, art, c.name, "--camera", video)
			app.WaitLog(firstFrameRe, 30*time.Second)
			app.stop()
			// Only the locale is this test's business: Fyne can also log a
			// "Preferences load error: EOF" when its file watcher reads the
			// preferences while the app writes them (Fyne v2.7.1 app/preferences.go).
			log := app.Log.String()
			if strings.Contains(log, "user locale") || strings.Contains(log, "tag is not well-formed") ||
				strings.Contains(log, "Translation failure") {
				t.Fatalf("the window's log mentions the locale:\n%s", log)
			}
			if !strings.Contains(log, `msg="window language" language=`+c.want) {
				t.Fatalf("the window does not speak %s:\n%s", c.want, log)
			}
		})
	}
}
