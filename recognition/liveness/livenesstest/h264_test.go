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
	"facelogin/recognition"
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
// 5.1 and libx264 164): d10 221–225 (refused raw too: the blink that
// jumps from open to closed in one frame, Default.PhotoBlinkStill); d12
// 48–50, a three-frame blink with glasses at a turned head (yaw ratio
// 0.65–0.71) whose deepest eye aspect ratio the encoder raises from 0.142
// to 0.162, ~0.61 of its open level (~0.265) where closed is ≤ 0.6 (no blink within
// the step's time; the raw frames through a fresh tracker read 0.142,
// as the whole-video track); and d12 mirrored right 33–60: at the turned
// head (frames 36–41) a fresh tracker's landmarks flip between fits in
// boxes of two detector sizes (the detection's ~196 px box, yaw ratio
// ~0.35; the confirming scan's hit at the next pyramid level, ~240 px,
// which re-seeds the track: ~0.46–0.50), raw and re-encoded alike — the
// whole-video track, in another state, holds ~0.37 there. Raw it still
// passes on a later hold (1.40 s against 1.00 s cut from the whole
// track); re-encoded no three-frame hold forms in time. Not fixed: the
// tracker's re-seeding from a confirming hit (reseed, recheckScale) is
// what every track figure rests on (TestTrackMatchesDetection). KNOWN
// GAP (issue 10): 3/25 = 12% re-encoded against 1/25 raw (through a
// fresh tracker, rawFreshRefused, as cut from whole tracks). Until 2
// December a fourth, d12 mirrored right 161–176, was refused with two
// faces: in a quick move the tracker's fit slipped off the face and the
// face's own detection started a second track (fixed in the tracker,
// trackDistance; TestFastMoveOneTrack).
const genuineH264Refused = 3

// rawFreshRefused is how many genuine clips TestGenuineClipsAsH264
// refuses on their raw frames through a tracker that starts on the clip's
// first frame, as at every login: d10 221–225 only, as TestGenuineClips,
// which cuts its clips from whole-video tracks (measured 2 December).
const rawFreshRefused = 1

// genuineH264Known are the refusals of genuineH264Refused and
// rawFreshRefused other than a step not done in time, by clip and reason.
func genuineH264Known(c clip, reason error) bool {
	return c.Video == "d10" && c.Act0 == 221 && errors.Is(reason, liveness.ErrPhotoBlink)
}

// TestGenuineClipsAsH264: the genuine clips of TestGenuineClips
// re-encoded with libx264 (h264CRF) — a second generation of
// compression, as a webcam's compressed stream or a recording of it has —
// and read back as camera files, the tracker starting on each clip's
// first frame. Each clip's raw frames also go through a tracker that
// starts on its first frame, which tells the codec's effect from the
// fresh start's (TestGenuineClips cuts its clips from whole-video
// tracks). BPCER is reported for both; a genuine clip may only be refused
// for a step not done in time or a known reason (genuineH264Known), and no
// more than genuineH264Refused re-encoded and rawFreshRefused raw.
func TestGenuineClipsAsH264(t *testing.T) {
	var refused, rawRefused []string
	var w strings.Builder
	clips := genuineClips(frameCount)
	judge := func(c clip, fr []liveness.Frame) liveness.Result {
		res, err := liveness.Run(liveness.Config{Steps: []liveness.Step{c.Step}}, fr)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Live && !errors.Is(res.Reason, liveness.ErrTimeout) && !genuineH264Known(c, res.Reason) {
			t.Errorf("%s refused: %v", c, res.Reason)
		}
		return res
	}
	verdict := func(r liveness.Result) string {
		if r.Live {
			return fmt.Sprintf("pass in %5.2fs", r.Steps[0].Took.Seconds())
		}
		return fmt.Sprintf("FAIL (%v: %v)", r.Outcome, r.Reason)
	}
	for _, c := range clips {
		var err error
		raw, err2 := trackStreamKeep(t, videoFrames(videoPath(t, c.Video), c.From, c.To, c.Mirrored, &err), false)
		if err2 != nil || err != nil {
			t.Fatalf("%s: %v %v", c, err2, err)
		}
		rawRes := judge(c, raw)
		if !rawRes.Live {
			rawRefused = append(rawRefused, c.String())
		}
		path := encodeH264(t, t.TempDir(), videoFrames(videoPath(t, c.Video), c.From, c.To, c.Mirrored, &err), int(videoFPS[c.Video]), h264CRF)
		if err != nil {
			t.Fatal(err)
		}
		fr, err2 := trackStreamKeep(t, videoFrames(path, 0, -1, false, &err), false)
		if err2 != nil || err != nil {
			t.Fatalf("%s: %v %v", c, err2, err)
		}
		res := judge(c, fr)
		if !res.Live {
			refused = append(refused, c.String())
		}
		fmt.Fprintf(&w, "  %-44s raw %s | x264 %s\n", c, verdict(rawRes), verdict(res))
	}
	// The bound was measured with one build of ffmpeg and libx264: name
	// it, so that another build's extra refusal is told from a regression.
	ver, _ := exec.Command("ffmpeg", "-version").Output()
	t.Logf("genuine clips, the tracker starting on each clip's first frame: raw frames | re-encoded (libx264 crf %d, %s):\n%s", h264CRF, strings.SplitN(string(ver), "\n", 2)[0], w.String())
	t.Logf("BPCER raw %.1f%% (%d of %d refused), re-encoded %.1f%% (%d of %d)", 100*float64(len(rawRefused))/float64(len(clips)), len(rawRefused), len(clips),
		100*float64(len(refused))/float64(len(clips)), len(refused), len(clips))
	if len(refused) > genuineH264Refused {
		t.Errorf("%d re-encoded genuine clips refused, more than the %d the README states: %v", len(refused), genuineH264Refused, refused)
	}
	if len(rawRefused) > rawFreshRefused {
		t.Errorf("%d raw genuine clips refused through a fresh tracker, more than the %d the README states: %v", len(rawRefused), rawFreshRefused, rawRefused)
	}
}

// TestFastMoveOneTrack: d12's quick head turn 161–176, mirrored and
// re-encoded with x264 (h264CRF), through a Tracker that starts on the
// clip's first frame — where the face moves ~80 px (a third of its box)
// in one frame at 164, the followed fit slipped off it the other way and
// the face's own detection started a second track (two faces for two
// frames: the liveness check refused, ErrManyFaces). One face under one
// track ID on every frame. A second person still gets a track of their
// own: dlib's TestTrackTwoFaces, and the attacks' two-face refusals.
func TestFastMoveOneTrack(t *testing.T) {
	c := clip{Video: "d12", From: 137, To: 180, Mirrored: true}
	var err error
	path := encodeH264(t, t.TempDir(), videoFrames(videoPath(t, c.Video), c.From, c.To, c.Mirrored, &err), int(videoFPS[c.Video]), h264CRF)
	if err != nil {
		t.Fatal(err)
	}
	fr, terr := trackStreamKeep(t, videoFrames(path, 0, -1, false, &err), false)
	if terr != nil || err != nil {
		t.Fatalf("%v %v", terr, err)
	}
	ids := map[recognition.TrackID]int{}
	for n, f := range fr {
		if len(f.Faces) != 1 {
			t.Errorf("frame %d (%d of the video): %d faces", n, c.From+n, len(f.Faces))
		}
		for _, face := range f.Faces {
			ids[face.Track]++
		}
	}
	if len(ids) != 1 || len(fr) != c.To-c.From {
		t.Errorf("%d frames, track IDs %v: want %d frames, one ID", len(fr), ids, c.To-c.From)
	}
}
