//go:build matprofile

package camera

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// TestMain fails the run if any test left a Mat open.
func TestMain(m *testing.M) {
	code := m.Run()
	if n := gocv.MatProfile.Count(); n != 0 && code == 0 {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		fmt.Fprintf(os.Stderr, "%d Mats still open after the tests:\n%s", n, b.String())
		code = 1
	}
	os.Exit(code)
}

// TestNoLeakedMats runs the camera through playing, looping, losing its
// source, reconnecting and closing, then checks every Mat was closed.
// Run with: go test -tags matprofile ./camera/
func TestNoLeakedMats(t *testing.T) {
	dir := t.TempDir()
	video := filepath.Join(dir, "clip.avi")
	writeVideo(t, video, 30, 4)
	seqDir := filepath.Join(dir, "seq")
	os.Mkdir(seqDir, 0o755)
	pattern := writeSequence(t, seqDir, 4)
	text := filepath.Join(dir, "notes.avi")
	os.WriteFile(text, []byte("not a video"), 0o644)

	before := gocv.MatProfile.Count()
	for _, s := range []string{video, pattern} {
		log := newStatusLog()
		cam, err := Open(context.Background(), mustParse(t, s), Options{
			FPS: 120, Width: 320, Height: 240, // scaling uses a third Mat
			BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
			OnStatus: log.record,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := cam.Wait(ctx, 10); err != nil { // looped twice
			t.Fatal(err)
		}
		victim := s
		if s == pattern {
			victim = seqDir
		}
		os.Rename(victim, victim+".gone")
		_, i := log.waitFor(t, 0, time.Minute, func(s Status) bool { return s.State == StateReconnecting && s.Retries >= 2 })
		os.Rename(victim+".gone", victim)
		log.waitFor(t, i, time.Minute, isState(StateRunning))
		cancel()
		cam.Close()
	}
	for _, s := range []string{"/dev/video63", text} {
		if cam, err := Open(context.Background(), mustParse(t, s), Options{}); err == nil {
			time.Sleep(50 * time.Millisecond)
			cam.Close()
		}
	}
	if after := gocv.MatProfile.Count(); after != before {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("%d Mats leaked:\n%s", after-before, b.String())
	}
}
