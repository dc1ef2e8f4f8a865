package livenesstest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"facelogin/recognition/liveness"
)

// noisyCodecs are the ways a noisy picture's video reaches the check in
// TestNoisyPictureBlinks: the rendered frames themselves, and written by
// ffmpeg with libx264 (a phone's or ffmpeg's default) or MJPEG (a
// webcam's compressed stream, OpenCV's VideoWriter "MJPG").
var noisyCodecs = []struct {
	name, ext string
	args      []string
}{
	{"raw", "", nil},
	{"x264", "mp4", []string{"-c:v", "libx264", "-crf", fmt.Sprint(h264CRF), "-pix_fmt", "yuv420p"}},
	{"mjpeg", "avi", []string{"-c:v", "mjpeg", "-q:v", "8", "-pix_fmt", "yuvj420p"}},
}

// TestNoisyPictureBlinks: a still picture under strong noise, small in
// the frame, against the blink step — the kind of attack a fresh tester
// of issue 10 faked blinks with (6 of 99 degraded attempts). The
// landmarks of a small noisy face jitter enough to make the eye aspect
// ratio dip and recover, and the noise lowers the eyes' correlation with
// themselves to 0.93–0.98, which passed MaxEyeCorrelation (0.988) before
// the correlation was taken net of the noise: 22 of 45 runs of this
// grid, with other noise draws, were accepted then. Two pictures (d12's frame 20: glasses, motion blur; d0's
// frame 60), faces 120 and 160 px wide, noise σ 15, 20 and 25 grey
// levels and σ 20 after a blur, each raw, through x264 and through MJPEG.
// Each verdict is logged. PARTLY DEFENDED (issue 10, open): no more than
// noisyAccepted may pass.
func TestNoisyPictureBlinks(t *testing.T) {
	pics := []picture{videoPicture(t, "d12", 20), videoPicture(t, "d0", 60)}
	degr := []struct {
		name string
		d    []degradation
	}{
		{"noise15", []degradation{sensorNoise(15)}},
		{"noise20", []degradation{sensorNoise(20)}},
		{"noise25", []degradation{sensorNoise(25)}},
		{"blur+noise20", []degradation{gaussianBlur(1.5), sensorNoise(20)}},
	}
	var w strings.Builder
	accepted, judged, runs := 0, 0, 0
	for _, p := range pics {
		for _, width := range []float64{120, 160} {
			for _, dg := range degr {
				a := attack{Kind: "degraded", Name: fmt.Sprintf("%s/%s/%.0fpx", p.Name, dg.name, width), frame: scene([]picture{p}, one, held(p, width), dg.d)}
				for _, c := range noisyCodecs {
					frames := a.frames()
					var err error
					if c.args != nil {
						path := filepath.Join(t.TempDir(), "camera."+c.ext)
						encodeFile(t, path, a.frames(), attackFPS, c.args)
						frames = videoFrames(path, 0, -1, false, &err)
					}
					fr, terr := trackStreamKeep(t, frames, true)
					if terr != nil || err != nil {
						t.Fatalf("%s %s: %v %v", a.Name, c.name, terr, err)
					}
					res, err := liveness.Run(liveness.Config{Steps: []liveness.Step{liveness.Blink}}, fr)
					if err != nil {
						t.Fatal(err)
					}
					runs++
					if res.Settled {
						judged++
					}
					fmt.Fprintf(&w, "  %-32s %-5s %v: %v\n", a.Name, c.name, res.Outcome, res.Reason)
					if res.Live {
						accepted++
						t.Logf("%s %s: accepted as a blink: %s", a.Name, c.name, res.Steps[0].Detail)
					}
				}
			}
		}
	}
	t.Logf("noisy pictures against the blink step:\n%s", w.String())
	t.Logf("APCER %d of %d (%d settled and judged)", accepted, runs, judged)
	if accepted > noisyAccepted {
		t.Errorf("%d noisy pictures accepted as a blink, more than the %d the README states", accepted, noisyAccepted)
	}
	if judged < runs/2 {
		t.Errorf("only %d of %d runs settled on a face: the pictures do not test the blink check", judged, runs)
	}
}

// noisyAccepted is how many of TestNoisyPictureBlinks's 48 runs pass
// (measured 2 December, Debian bookworm's ffmpeg 5.1 / libx264 164): d0's
// frame 60 at 120 px under σ 25 raw and through MJPEG, and under σ 20
// through x264. Their eyes, closed against reopened, correlate −0.005 to
// 0.874 (0.927 net of noise) — not the noise's doing, which the
// correction divides out, but the two frames' eyes misaligned: at 120 px
// under that much noise the landmarks, and the alignment started from
// them, miss the eyes by more than the ±2-pixel search. KNOWN GAP (issue
// 10): 3/48.
const noisyAccepted = 3
