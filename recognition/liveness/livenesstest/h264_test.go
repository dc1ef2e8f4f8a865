package livenesstest

import (
	"errors"
	"fmt"
	"image"
	"io"
	"iter"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facelogin/camera"
	"facelogin/internal/testdata"
	"facelogin/recognition/liveness"
)

// h264CRF is the x264 quality the camera files of these tests are
// written at: libx264's default, what `ffmpeg -i frames -c:v libx264`
// writes, as a tester's attack video or a recording would be.
const h264CRF = 23

// encodeH264 writes frames (all the same size) to an H.264 file in dir
// with ffmpeg's libx264 at crf and fps, yuv420p as webcams and phones
// record. It fails the test when ffmpeg is missing in CI.
func encodeH264(t testing.TB, dir string, frames iter.Seq2[time.Duration, *image.RGBA], fps, crf int) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		testdata.Require(t, "ffmpeg", err)
	}
	path := filepath.Join(dir, "camera.mp4")
	var cmd *exec.Cmd
	var in io.WriteCloser
	var stderr strings.Builder
	done := false
	t.Cleanup(func() { // a failed write or frame: no ffmpeg left behind
		if cmd != nil && !done {
			in.Close()
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	for _, img := range frames {
		if cmd == nil {
			cmd = exec.Command("ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba",
				"-s", fmt.Sprintf("%dx%d", img.Rect.Dx(), img.Rect.Dy()), "-r", fmt.Sprint(fps), "-i", "-",
				"-c:v", "libx264", "-crf", fmt.Sprint(crf), "-pix_fmt", "yuv420p", path)
			cmd.Stderr = &stderr
			var err error
			if in, err = cmd.StdinPipe(); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := in.Write(img.Pix[:4*img.Rect.Dx()*img.Rect.Dy()]); err != nil {
			t.Fatalf("ffmpeg: %v: %s", err, stderr.String())
		}
	}
	if cmd == nil {
		t.Fatal("no frames to encode")
	}
	in.Close()
	done = true
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, stderr.String())
	}
	return path
}

// asH264 is attack a as a camera file: its frames written with libx264
// (h264CRF) and read back in order, as `facelogin liveness --camera
// attack.mp4` reads them. The file is written once, when the attack is
// first tracked; each pass over its frames decodes it again.
func asH264(t testing.TB, a attack) attack {
	dir := t.TempDir()
	var path string
	var v *camera.VideoFile
	frame := func(at float64, _ *rand.Rand) *image.RGBA {
		if path == "" {
			path = encodeH264(t, dir, a.frames(), attackFPS, h264CRF)
		}
		if at == 0 {
			if v != nil {
				v.Close()
			}
			var err error
			if v, err = camera.OpenVideoFile(path); err != nil {
				t.Fatalf("%s: %v", a.Name, err)
			}
		}
		f, err := v.Next()
		if err != nil {
			t.Fatalf("%s at %.2fs: %v", a.Name, at, err)
		}
		if int(at*attackFPS+0.5) >= int(attackLength.Seconds()*attackFPS)-1 { // the last frame: free the decoder
			v.Close()
			v = nil
		}
		return f.Image
	}
	t.Cleanup(func() {
		if v != nil {
			v.Close()
		}
	})
	return attack{Kind: "h264-" + a.Kind, Name: "h264/" + a.Name, frame: frame}
}

// TestAttacksAsH264: the still, shaken, tilted and degraded photo attacks
// of TestAttacks, written to an H.264 file and read back as a camera
// file: the way a tester's attack video reaches the check (the encoder
// smooths the camera's noise over time and adds its own blocks, which
// moves the landmarks differently from the raw renders). APCER must be 0
// for every type, as for the raw frames.
func TestAttacksAsH264(t *testing.T) {
	var list []attack
	for _, a := range attacks(t) {
		switch a.Kind {
		case "still", "shake", "tilt", "degraded":
			list = append(list, asH264(t, a))
		}
	}
	runAttacks(t, list, 0)
}

// genuineH264Refused is how many genuine clips TestGenuineClipsAsH264
// refuses (measured 2 December, libx264 crf 23, Debian bookworm's ffmpeg
// 5.1 and libx264 164): d10 221–225 (refused
// raw too: the blink that jumps from open to closed in one frame,
// Default.PhotoBlinkStill); d12 48–50, a three-frame blink whose dip the
// encoder makes too shallow to count as closed (no blink within the
// step's time); d12 mirrored right 33–60 (the turn is not reached in
// time) and d12 mirrored right 161–176 (a second face found when the
// tracker starts on the clip's first frame — TestGenuineClips cuts its
// clips from whole-video tracks, so part of the difference may be the
// tracker's fresh start, not the codec; not yet separated). KNOWN GAP
// (issue 10): 4/25 = 16% re-encoded against 1/25 raw.
const genuineH264Refused = 4

// genuineH264Known are the refusals of genuineH264Refused other than a
// step not done in time, by clip and reason.
func genuineH264Known(c clip, reason error) bool {
	switch {
	case c.Video == "d10" && c.Act0 == 221:
		return errors.Is(reason, liveness.ErrPhotoBlink)
	case c.Video == "d12" && c.Act0 == 161 && c.Mirrored:
		return errors.Is(reason, liveness.ErrManyFaces)
	}
	return false
}

// TestGenuineClipsAsH264: the genuine clips of TestGenuineClips
// re-encoded with libx264 (h264CRF) — a second generation of
// compression, as a webcam's compressed stream or a recording of it has —
// and read back as camera files, the tracker starting on each clip's
// first frame. BPCER is reported; a genuine clip may only be refused for
// a step not done in time or a known reason (genuineH264Known), and no
// more than genuineH264Refused of them.
func TestGenuineClipsAsH264(t *testing.T) {
	var refused []string
	var w strings.Builder
	clips := genuineClips(frameCount)
	for _, c := range clips {
		var err error
		path := encodeH264(t, t.TempDir(), videoFrames(videoPath(t, c.Video), c.From, c.To, c.Mirrored, &err), int(videoFPS[c.Video]), h264CRF)
		if err != nil {
			t.Fatal(err)
		}
		fr, err2 := trackStreamKeep(t, videoFrames(path, 0, -1, false, &err), false)
		if err2 != nil || err != nil {
			t.Fatalf("%s: %v %v", c, err2, err)
		}
		res, err := liveness.Run(liveness.Config{Steps: []liveness.Step{c.Step}}, fr)
		if err != nil {
			t.Fatal(err)
		}
		if res.Live {
			fmt.Fprintf(&w, "  pass %-40s in %5.2fs  %s\n", c, res.Steps[0].Took.Seconds(), res.Steps[0].Detail)
			continue
		}
		refused = append(refused, c.String())
		fmt.Fprintf(&w, "  FAIL %-40s %v: %v\n", c, res.Outcome, res.Reason)
		if !errors.Is(res.Reason, liveness.ErrTimeout) && !genuineH264Known(c, res.Reason) {
			t.Errorf("%s refused: %v", c, res.Reason)
		}
	}
	// The bound was measured with one build of ffmpeg and libx264: name
	// it, so that another build's extra refusal is told from a regression.
	ver, _ := exec.Command("ffmpeg", "-version").Output()
	t.Logf("genuine clips re-encoded (libx264 crf %d, %s):\n%s", h264CRF, strings.SplitN(string(ver), "\n", 2)[0], w.String())
	t.Logf("BPCER %.1f%% (%d of %d genuine attempts refused)", 100*float64(len(refused))/float64(len(clips)), len(refused), len(clips))
	if len(refused) > genuineH264Refused {
		t.Errorf("%d genuine clips refused, more than the %d the README states: %v", len(refused), genuineH264Refused, refused)
	}
}
