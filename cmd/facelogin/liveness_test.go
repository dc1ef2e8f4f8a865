package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"facelogin/internal/testdata"
	"facelogin/recognition/liveness"
)

// The liveness command on real video: genuine clips cut from the shared
// videos of real people, photo attacks made with ffmpeg from a shared
// photo and a single video frame, and broken input. Each run reads the
// whole file frame by frame through the real Tracker (~2–5 s).

// livenessClip cuts frames [from, to) of a shared video (by name, "d12")
// into a lossless FFV1 file whose timestamps start at 0, as a recording of
// just that moment would.
func livenessClip(t *testing.T, video string, from, to int) string {
	t.Helper()
	requireTools(t, "ffmpeg")
	out := filepath.Join(t.TempDir(), video+".mkv")
	sel := "select='between(n\\," + strconv.Itoa(from) + "\\," + strconv.Itoa(to-1) + ")',setpts=N/FRAME_RATE/TB"
	cmd := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-i", filepath.Join(testdata.Dir(t), "video", video+".mp4"),
		"-vf", sel, "-fps_mode", "passthrough", "-c:v", "ffv1", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s [%d,%d): %v\n%s", video, from, to, err, b)
	}
	return out
}

// stepAt is when s was passed (ms), or -1 when the JSON gave no time.
func stepAt(s livenessStep) int64 {
	if s.AtMS == nil {
		return -1
	}
	return *s.AtMS
}

func sameStep(a, b livenessStep) bool {
	return a.Step == b.Step && a.Passed == b.Passed && stepAt(a) == stepAt(b)
}

// livenessJSON runs `liveness --json` and checks its exit code.
func livenessJSON(t *testing.T, c *cli, code int, args ...string) livenessReport {
	t.Helper()
	out, _ := c.want(code, append([]string{"liveness", "--json"}, args...)...)
	var rep livenessReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("liveness --json: %v\n%s", err, out)
	}
	return rep
}

// Genuine clips, from the frame ranges of livenesstest's lists (turns and
// blinks found on the landmark tracks and checked by eye), each starting
// ~1 s before its first action: settling, then the steps in order.
//   - d11 [83,177): a child turns to her left (107–135) and blinks
//     (146–157).
//   - d12 [9,119): a man with glasses turns to his left (33–60), then to
//     his right (74–104).
var livenessClips = []struct {
	video    string
	from, to int
	steps    string // the steps the clip holds, in order
	other    string // a challenge it does not hold
	reason   string // the reason that one fails with
	code     string // and its reason_code
}{
	{"d11", 83, 177, "left,blink", "right,blink", "turned the other way", "wrong_way"},
	{"d12", 9, 119, "left,right", "right,left", "turned the other way", "wrong_way"},
}

// TestLivenessGenuineClips: a real person doing the steps passes a
// challenge fixed to them (exit 0, every step passed in order, within the
// clip's frames), and the same clip fails a challenge with a step it does
// not hold (exit 1, with the reason). The verdict depends only on the
// frames: a second run gives the same JSON.
func TestLivenessGenuineClips(t *testing.T) {
	c := newCLI(t)
	for _, lc := range livenessClips {
		t.Run(lc.video, func(t *testing.T) {
			clip := livenessClip(t, lc.video, lc.from, lc.to)
			rep := livenessJSON(t, c, exitOK, "--camera", clip, "--challenge", lc.steps)
			t.Logf("%s %s: %+v", lc.video, lc.steps, rep)
			want, _ := liveness.ParseSteps(lc.steps)
			if !rep.Live || rep.Outcome != "live" || rep.Reason != "" || rep.ReasonCode != "" || len(rep.Steps) != len(want) {
				t.Fatalf("genuine %s [%d,%d) with %s: %+v", lc.video, lc.from, lc.to, lc.steps, rep)
			}
			at := int64(0)
			for i, s := range rep.Steps {
				if s.Step != want[i].String() || !s.Passed || stepAt(s) <= at {
					t.Errorf("step %d: %+v, want %v passed after %d ms", i, s, want[i], at)
				}
				at = stepAt(s)
			}
			if rep.Frames <= 0 || rep.Frames > lc.to-lc.from || rep.DurationMS < at {
				t.Errorf("frames %d (clip %d), duration %d ms, last step at %d ms", rep.Frames, lc.to-lc.from, rep.DurationMS, at)
			}
			if again := livenessJSON(t, c, exitOK, "--camera", clip, "--challenge", lc.steps); !slices.EqualFunc(again.Steps, rep.Steps, sameStep) || again.Frames != rep.Frames {
				t.Errorf("second run differs: %+v, then %+v", rep, again)
			}

			bad := livenessJSON(t, c, exitNoMatch, "--camera", clip, "--challenge", lc.other)
			t.Logf("%s %s: %+v", lc.video, lc.other, bad)
			if bad.Live || bad.Outcome != "failed" || !strings.Contains(bad.Reason, lc.reason) || bad.ReasonCode != lc.code {
				t.Errorf("%s with %s: %+v, want failed: %q (%s)", lc.video, lc.other, bad, lc.reason, lc.code)
			}
			// A step not passed has no "at_ms" (not 0: "passed at once").
			if len(bad.Steps) != 2 || bad.Steps[1].Passed || bad.Steps[1].AtMS != nil {
				t.Errorf("%s with %s: steps %+v", lc.video, lc.other, bad.Steps)
			}
		})
	}
}

// TestLivenessTextOutput: without --json the verdict is for people:
// the challenge, each step, and the reason on failure.
func TestLivenessTextOutput(t *testing.T) {
	c := newCLI(t)
	lc := livenessClips[0]
	clip := livenessClip(t, lc.video, lc.from, lc.to)
	out, _ := c.want(exitNoMatch, "liveness", "--camera", clip, "--challenge", "left,right")
	for _, w := range []string{"challenge: left, right", "left   passed at", "right  not passed", "not live: step not done in time", "(the video ended)"} {
		if !strings.Contains(out, w) {
			t.Errorf("text output lacks %q:\n%s", w, out)
		}
	}
}

// shake moves, rotates and scales a 640×480 picture as a hand holding it
// does.
const shake = "rotate='0.05*sin(2*PI*t*1.3)',crop=600:450:'20+15*sin(2*PI*t*0.7)':'15+10*cos(2*PI*t*0.9)',scale=640:480"

// TestLivenessPhotoVideo: a photo held up to the camera is refused (exit
// 1) after the steps were prompted (the picture is frontal and large
// enough to be judged): a frame of a shared video shaken in the hand, and
// a shared photo tilted to and fro about the vertical axis in
// perspective (up to ±12% of the frame height at the far edge), each
// against the steps that picture motion could fake, and against a
// random challenge.
func TestLivenessPhotoVideo(t *testing.T) {
	c := newCLI(t)
	requireTools(t, "ffmpeg")
	dir := t.TempDir()
	frame := videoFrame(t, dir, "d18", 20)
	const (
		sin  = "sin(2*PI*in/90)"
		tilt = "perspective=x0=0:y0='H*0.12*max(0\\,-" + sin + ")':x1=W:y1='H*0.12*max(0\\," + sin + ")':" +
			"x2=0:y2='H-H*0.12*max(0\\,-" + sin + ")':x3=W:y3='H-H*0.12*max(0\\," + sin + ")':eval=frame"
		elkieZoom = "scale=2400:-1,crop=640:480:(iw-640)/2:(ih-480)/2-150"
	)
	attacks := []struct {
		name, photo, vf, challenge string
	}{
		{"video frame shaken", frame, vfFit + "," + shake, "blink,left"},
		{"photo tilted", c.photo("elkie.jpg"), elkieZoom + "," + tilt, "right,left"},
		{"photo tilted, random challenge", c.photo("elkie.jpg"), elkieZoom + "," + tilt, ""},
	}
	for i, a := range attacks {
		video := makeVideo(t, dir, "attack"+strconv.Itoa(i), a.photo, a.vf, 6)
		args := []string{"--camera", video}
		if a.challenge != "" {
			args = append(args, "--challenge", a.challenge)
		}
		rep := livenessJSON(t, c, exitNoMatch, args...)
		t.Logf("%s: %+v", a.name, rep)
		if rep.Live || rep.Reason == "" || rep.ReasonCode == "" || rep.ReasonCode == "other" {
			t.Errorf("%s accepted, or refused without a reason and its code: %+v", a.name, rep)
		}
		// Judged on the steps, not refused before them for its pose.
		for _, early := range []error{liveness.ErrNotFrontal, liveness.ErrNoFace, liveness.ErrTooSmall} {
			if strings.HasPrefix(rep.Reason, early.Error()) {
				t.Errorf("%s: never reached the steps (%s): the attack proves nothing", a.name, rep.Reason)
			}
		}
	}
}

// TestLivenessBadInput: a file that is not a readable video is exit 3
// with a sentence naming it; a missing model is exit 4.
func TestLivenessBadInput(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	whole, err := os.ReadFile(filepath.Join(testdata.Dir(t), "video", "d11.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"random.mp4":    []byte(strings.Repeat("\x13\x37not a video\x00", 4000)),
		"empty.mp4":     {},
		"truncated.mp4": whole[:len(whole)/50],
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut := c.want(exitInput, "liveness", "--camera", p, "--challenge", "blink")
		if !strings.Contains(errOut, p) || !strings.Contains(errOut, "damaged") {
			t.Errorf("%s: message %q should name the file and say it is damaged", name, errOut)
		}
	}
	_, errOut := c.want(exitInput, "liveness", "--camera", filepath.Join(dir, "missing.mp4"))
	if !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: %q", errOut)
	}
	_, errOut = c.want(exitModels, "liveness", "--camera", filepath.Join(dir, "random.mp4"), "--models", t.TempDir())
	if !strings.Contains(errOut, "facelogin models install") {
		t.Errorf("missing models: %q", errOut)
	}
}

// TestLivenessUsage: bad flags are usage errors (exit 2) that say what was
// expected, before any model or camera is opened.
func TestLivenessUsage(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "--camera"},
		{[]string{"--camera", "x.mp4", "--challenge", "blink,jump"}, `"jump"`},
		{[]string{"--camera", "x.mp4", "--challenge", ""}, "blink, left, right"},
		{[]string{"--camera", "x.mp4", "--challenge", "blink,left,right,blink,left,right,blink"}, "at most"},
		{[]string{"--camera", "x.mp4", "--timeout", "0s"}, "positive duration"},
		{[]string{"--camera", "x.mp4", "--timeout", "-2s"}, "positive duration"},
		{[]string{"--camera", "x.mp4", "--timeout", "4"}, "invalid value"},
		{[]string{"--camera", "x.mp4", "extra.mp4"}, "unexpected argument"},
		{[]string{"--camera", " 0"}, "camera"},
	} {
		_, errOut := c.want(exitUsage, append([]string{"liveness"}, tc.args...)...)
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("liveness %q: %q lacks %q", tc.args, errOut, tc.want)
		}
	}
}

// TestLivenessImageSequence: an image sequence (here one frame of a
// shared video, repeated: a still picture) is read as a video file is —
// every frame once, in order, 1/30 s apart, no prompts on standard error
// — so the verdict is the same at any machine speed: two runs give the
// same report. The picture never changes: it is refused as one that does
// not move, within the settling, not as a step not done in time; so is
// the same picture as a still video.
func TestLivenessImageSequence(t *testing.T) {
	c := newCLI(t)
	requireTools(t, "ffmpeg")
	dir := t.TempDir()
	cmd := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-i", filepath.Join(testdata.Dir(t), "video", "d18.mp4"),
		"-vf", "select='eq(n\\,20)',"+vfFit+",loop=59:1:0", "-frames:v", "60", filepath.Join(dir, "%03d.jpg"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg sequence: %v\n%s", err, b)
	}
	seq := filepath.Join(dir, "%03d.jpg")
	code, out, errOut := c.run("liveness", "--json", "--camera", seq, "--challenge", "left")
	var rep livenessReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s\n%s", code, err, out, errOut)
	}
	t.Logf("exit %d %+v\nstderr:\n%s", code, rep, errOut)
	if code != exitNoMatch || rep.Live || rep.Outcome != "refused" || !strings.HasPrefix(rep.Reason, liveness.ErrNoMotion.Error()) || rep.ReasonCode != "no_motion" {
		t.Errorf("still picture as a sequence: exit %d, %+v, want refused: %q", code, rep, liveness.ErrNoMotion)
	}
	if rep.Frames > 60 || rep.DurationMS > 2000 {
		t.Errorf("%d frames over %d ms: a sequence of 60 frames is 1967 ms at 30 per second", rep.Frames, rep.DurationMS)
	}
	if strings.Contains(errOut, "Look at the camera") {
		t.Errorf("prompts on the recording path:\n%s", errOut)
	}
	if again := livenessJSON(t, c, exitNoMatch, "--camera", seq, "--challenge", "left"); again.Frames != rep.Frames || again.Reason != rep.Reason {
		t.Errorf("second run differs: %+v, then %+v", rep, again)
	}
	video := makeVideo(t, dir, "still", filepath.Join(dir, "001.jpg"), vfFit, 6)
	rep = livenessJSON(t, c, exitNoMatch, "--camera", video)
	if rep.Outcome != "refused" || !strings.HasPrefix(rep.Reason, liveness.ErrNoMotion.Error()) || rep.DurationMS > 2000 {
		t.Errorf("still video: %+v, want refused within 2 s: %q", rep, liveness.ErrNoMotion)
	}
}
