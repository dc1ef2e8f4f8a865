package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"time"

	"facelogin/camera"
	"facelogin/internal/redact"
	"facelogin/recognition"
	"facelogin/recognition/dlib"
	"facelogin/recognition/liveness"
)

// livenessStep is one step of the challenge in the JSON output.
type livenessStep struct {
	Step   string `json:"step"` // "blink", "left", "right"
	Passed bool   `json:"passed"`
	// AtMS is when the step was passed, ms from the first frame; absent
	// for a step not passed (0 would read as "passed at once").
	AtMS *int64 `json:"at_ms,omitempty"`
}

// livenessReport is `facelogin liveness --json`.
type livenessReport struct {
	Live bool `json:"live"`
	// Outcome is "live", "failed" (the person did not pass) or "refused"
	// (the source cannot be judged: too slow, frozen, face too small).
	Outcome string `json:"outcome"`
	// Reason is why not live, for people; "" when live.
	Reason string `json:"reason"`
	// ReasonCode is the same reason for scripts: liveness.ReasonCode's
	// stable name ("eyes_unchanged", "not_same_person"); "" when live.
	ReasonCode string         `json:"reason_code"`
	Steps      []livenessStep `json:"steps"`
	Frames     int            `json:"frames"`
	DurationMS int64          `json:"duration_ms"`
}

// cmdLiveness runs one liveness challenge (recognition/liveness) on the
// frames of --camera: a video file or an image sequence is read through
// camera.VideoFile, every frame once, in order, with the file's own
// timestamps (a sequence's 1/30 s apart), so the verdict does not depend
// on the machine's speed; a device or stream goes through the normal
// camera path, with the current prompt on standard error.
func cmdLiveness(e *env, args []string) error {
	fs := newFlags(e, "liveness")
	cameraFlag := fs.String("camera", "", "device index, /dev/videoN, video file, image sequence or stream URL")
	challenge := fs.String("challenge", "", "the steps, comma-separated from blink, left, right (default: 2 random steps)")
	timeout := fs.Duration("timeout", 4*time.Second, "time allowed for each step (a video file also ends the check at its last frame)")
	modelsFlag := fs.String("models", "", "models directory (default $FACELOGIN_MODELS or ~/.local/share/facelogin/models)")
	width := fs.Int("width", 640, "largest frame width from a camera or stream")
	height := fs.Int("height", 480, "largest frame height from a camera or stream")
	fs.BoolVar(&e.json, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, src, err := livenessArgs(fs, "liveness", *cameraFlag, *challenge, *timeout)
	if err != nil {
		return err
	}
	ch, err := newChallenge(cfg)
	if err != nil {
		return err
	}
	lm, err := openLandmarker(*modelsFlag)
	if err != nil {
		return err
	}
	defer lm.Close()
	tr, err := lm.NewTracker(dlib.TrackerOptions{})
	if err != nil {
		return fail(exitInternal, err, "liveness: %v", err)
	}
	defer tr.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	frames, err := openFrames(ctx, src, camera.Options{Width: *width, Height: *height, MaxRetries: 3}, livenessDeadline(ch, *timeout))
	if err != nil {
		return err
	}
	defer frames.close()
	ended, _, err := feedChallenge(ctx, e, ch, tr, frames, nil)
	if err != nil || ctx.Err() != nil {
		return interruptedOr(ctx, err)
	}
	return reportLiveness(e, endChallenge(ch, ended, frames))
}

// newChallenge prepares the challenge of cfg; steps that cannot make one
// are a usage error.
func newChallenge(cfg liveness.Config) (*liveness.Challenge, error) {
	ch, err := liveness.New(cfg)
	if err != nil && cfg.Steps != nil {
		return nil, fail(exitUsage, err, "--challenge: %v", err)
	} else if err != nil {
		return nil, fail(exitInternal, err, "liveness: %v", err)
	}
	return ch, nil
}

// endChallenge is the challenge's result; a recording that ended before
// the challenge did says so in the reason.
func endChallenge(ch *liveness.Challenge, ended bool, frames frameReader) liveness.Result {
	res := ch.End()
	if ended && !res.Live && frames.recording() && res.Reason != nil {
		res.Reason = fmt.Errorf("%w (the video ended)", res.Reason)
	}
	return res
}

// livenessArgs checks the command line: the challenge config and the
// parsed camera source, or a usage error.
func livenessArgs(fs *flag.FlagSet, cmd, cam, challenge string, timeout time.Duration) (liveness.Config, camera.Source, error) {
	var cfg liveness.Config
	if fs.NArg() > 0 {
		return cfg, camera.Source{}, fail(exitUsage, nil, "%s: unexpected argument %q: the frames come from --camera", cmd, fs.Arg(0))
	}
	if cam == "" {
		return cfg, camera.Source{}, fail(exitUsage, nil, "%s: give --camera SRC (a device index such as 0, /dev/video0 or a video file)", cmd)
	}
	if timeout <= 0 {
		return cfg, camera.Source{}, fail(exitUsage, nil, "%s: --timeout %v: give a positive duration such as 4s", cmd, timeout)
	}
	cfg.StepTimeout = timeout
	challengeSet := false
	fs.Visit(func(f *flag.Flag) { challengeSet = challengeSet || f.Name == "challenge" })
	if challengeSet {
		steps, err := liveness.ParseSteps(challenge)
		if err != nil {
			return cfg, camera.Source{}, fail(exitUsage, err, "%v", err)
		}
		cfg.Steps = steps
	}
	src, err := camera.ParseSource(cam)
	if err != nil {
		return cfg, camera.Source{}, fail(exitUsage, err, "%s: camera %q: %v", cmd, redact.URL(cam), err)
	}
	return cfg, src, nil
}

// openLandmarker loads the shape predictor and HOG detector of the fast
// landmark path, or says in plain words what is wrong with the models.
func openLandmarker(dirFlag string) (*dlib.Landmarker, error) {
	dir := modelsDir(dirFlag)
	lm, err := dlib.OpenLandmarker(dir)
	if err != nil {
		return nil, fail(exitModels, err, "face models in %s are not usable: %v\n  run `facelogin models install` (or `make models`), then `facelogin models verify`", dir, err)
	}
	if lm.Parts() != liveness.NumLandmarks {
		n := lm.Parts()
		lm.Close()
		return nil, fail(exitModels, nil, "the landmark model in %s has %d points: the liveness check needs the 68-point model (run `facelogin models install` without --five-point)", dir, n)
	}
	return lm, nil
}

// livenessDeadline bounds a live camera's session: settling and every
// step at most, plus time for the camera to start.
func livenessDeadline(ch *liveness.Challenge, step time.Duration) time.Duration {
	const settle, start = 4 * time.Second, 10 * time.Second
	return settle + time.Duration(len(ch.Steps()))*step + start
}

// frameReader gives the challenge its frames in order with their times.
type frameReader interface {
	// next returns the next frame and its time from the stream's start;
	// io.EOF after the last.
	next(ctx context.Context) (*image.RGBA, time.Duration, error)
	// prompts is true for the camera path: the prompts are shown as they
	// change.
	prompts() bool
	// recording is true for a file or image sequence, which can end.
	recording() bool
	close()
}

// openFrames opens src: a video file or an image sequence frame by frame
// (camera.OpenRecording), a device or stream through the camera path, for
// at most deadline.
func openFrames(ctx context.Context, src camera.Source, opts camera.Options, deadline time.Duration) (frameReader, error) {
	if src.Kind == camera.KindFile || src.Kind == camera.KindSequence {
		if fi, err := os.Stat(src.Path); src.Kind == camera.KindFile && err == nil && !fi.Mode().IsRegular() {
			return nil, fail(exitInput, nil, "%s is not a regular file: give a video file", src)
		}
		v, err := camera.OpenRecording(src)
		if err != nil {
			return nil, videoError(src, err)
		}
		return &fileFrames{v: v, src: src}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	opts.NoLoop = true
	cam, err := camera.Open(ctx, src, opts)
	if err != nil {
		cancel()
		return nil, videoError(src, err)
	}
	return &cameraFrames{cam: cam, cancel: cancel, src: src}, nil
}

// videoError explains a source that cannot be read (exit 3).
func videoError(src camera.Source, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail(exitInput, err, "%s: no such file or device", src)
	case errors.Is(err, camera.ErrCannotOpen):
		return fail(exitInput, err, "%s cannot be read as a video: the file is damaged, cut short or not a video (try playing it, or record it again)", src)
	}
	return fail(exitInput, err, "%s: %v", src, err)
}

type fileFrames struct {
	v   *camera.VideoFile
	src camera.Source
	n   int
}

func (f *fileFrames) next(ctx context.Context) (*image.RGBA, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	vf, err := f.v.Next()
	if errors.Is(err, io.EOF) && f.n == 0 {
		return nil, 0, fail(exitInput, nil, "%s holds no video frame it can decode: the file is damaged or not a video", f.src)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, fail(exitInput, err, "%s: frame %d cannot be decoded: %v", f.src, f.n, err)
	}
	if err != nil {
		return nil, 0, err
	}
	f.n++
	return vf.Image, vf.Time, nil
}

func (f *fileFrames) prompts() bool   { return false }
func (f *fileFrames) recording() bool { return true }
func (f *fileFrames) close()          { _ = f.v.Close() }

type cameraFrames struct {
	cam    *camera.Camera
	cancel context.CancelFunc
	src    camera.Source
	seq    uint64
	first  time.Time
}

func (c *cameraFrames) next(ctx context.Context) (*image.RGBA, time.Duration, error) {
	f, err := c.cam.Wait(ctx, c.seq)
	switch {
	case err == nil:
	case errors.Is(err, camera.ErrEnded):
		return nil, 0, io.EOF
	case c.seq == 0 && ctx.Err() == nil:
		return nil, 0, fail(exitInput, err, "camera %s gave no picture: %v", c.src, err)
	case c.seq == 0:
		return nil, 0, fail(exitInput, err, "camera %s gave no picture (%s)", c.src, c.cam.Status())
	default:
		return nil, 0, io.EOF // stopped (deadline, Ctrl-C): judge what was seen
	}
	if c.seq == 0 {
		c.first = f.Time
	}
	c.seq = f.Seq
	return f.Image, f.Time.Sub(c.first), nil
}

func (c *cameraFrames) prompts() bool   { return true }
func (c *cameraFrames) recording() bool { return false }
func (c *cameraFrames) close()          { c.cancel(); _ = c.cam.Close() }

// describer computes the descriptor of a tracked face from the frame it
// was tracked in (dlib.Engine.Describe).
type describer func(img image.Image, face recognition.TrackedFace) (recognition.Descriptor, error)

// feedChallenge tracks the face in every frame and feeds the challenge
// until it is done (ended false) or the frames end (ended true). With
// describe, the face gets its descriptor on the frames the challenge asks
// for one (the same-person check); id is the track of the one face last
// fed. On a live camera each new prompt and hint goes to standard error.
func feedChallenge(ctx context.Context, e *env, ch *liveness.Challenge, tr *dlib.Tracker, frames frameReader, describe describer) (ended bool, id recognition.TrackID, err error) {
	shown, need := "", false
	for {
		img, at, err := frames.next(ctx)
		if errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
			return true, id, nil
		}
		if err != nil {
			return false, id, err
		}
		lf, err := tr.Track(img, at)
		if err != nil {
			return false, id, fail(exitInternal, err, "liveness: landmarks: %v", err)
		}
		f := liveness.FromLandmarkFrame(lf, img)
		if len(lf.Faces) == 1 && len(f.Faces) == 1 {
			id = lf.Faces[0].ID
			if need && describe != nil {
				// A face the detector misses (turned, blurred) gets its
				// descriptor on a later frame.
				if d, err := describe(img, lf.Faces[0]); err == nil {
					f.Faces[0].Descriptor = d[:]
				}
			}
		}
		st := ch.Feed(f)
		if st.Done {
			return false, id, nil
		}
		need = st.NeedDescriptor
		if line := promptLine(st); frames.prompts() && line != shown {
			fmt.Fprintln(e.stderr, line)
			shown = line
		}
	}
}

// promptLine is what a person in front of the camera is told now.
func promptLine(st liveness.Status) string {
	line := st.Prompt
	if st.Count > 0 && st.Step != 0 {
		line = fmt.Sprintf("[%d/%d] %s", st.Index+1, st.Count, st.Prompt)
	}
	if st.Hint != nil {
		line += " (" + st.Hint.Error() + ")"
	}
	return line
}

// reportLiveness prints the verdict; not live is exit 1.
func reportLiveness(e *env, res liveness.Result) error {
	rep := livenessReport{Live: res.Live, Outcome: res.Outcome.String(), Frames: res.Frames, DurationMS: res.Duration.Milliseconds(), Steps: livenessSteps(res)}
	if res.Reason != nil {
		rep.Reason, rep.ReasonCode = res.Reason.Error(), liveness.ReasonCode(res.Reason)
	}
	if e.json {
		if err := e.printJSON(rep); err != nil {
			return err
		}
	} else {
		printLiveness(e, rep)
	}
	if !rep.Live {
		return &exitError{code: exitNoMatch}
	}
	return nil
}

// livenessSteps are the challenge's steps as printed.
func livenessSteps(res liveness.Result) []livenessStep {
	steps := []livenessStep{}
	for _, s := range res.Steps {
		st := livenessStep{Step: s.Step.String(), Passed: s.Passed}
		if s.Passed {
			ms := s.At.Milliseconds()
			st.AtMS = &ms
		}
		steps = append(steps, st)
	}
	return steps
}

func printLiveness(e *env, rep livenessReport) {
	printSteps(e, rep.Steps)
	secs := float64(rep.DurationMS) / 1000
	if rep.Live {
		fmt.Fprintf(e.stdout, "live (%d frames, %.2f s)\n", rep.Frames, secs)
		return
	}
	fmt.Fprintf(e.stdout, "not live: %s (%d frames, %.2f s)\n", rep.Reason, rep.Frames, secs)
}

// printSteps prints the challenge and how each step went.
func printSteps(e *env, steps []livenessStep) {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.Step
	}
	fmt.Fprintf(e.stdout, "challenge: %s\n", strings.Join(names, ", "))
	for _, s := range steps {
		if s.Passed && s.AtMS != nil {
			fmt.Fprintf(e.stdout, "  %-6s passed at %.2f s\n", s.Step, float64(*s.AtMS)/1000)
		} else {
			fmt.Fprintf(e.stdout, "  %-6s not passed\n", s.Step)
		}
	}
}
