package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"facelogin/camera"
	"facelogin/internal/directory"
	"facelogin/recognition"
	"facelogin/recognition/dlib"
	"facelogin/recognition/liveness"
	"facelogin/store"
)

// identify --camera and verify --camera: the whole login as the window's
// Login does it — the liveness challenge on the tracked face (with the
// same-person check between its descriptors before the first step and
// after the last), then the decision (directory.Decide: per-user
// thresholds, the margin rule) on decideFrames described frames of that
// same face after the challenge, and the audit log.

// decideFrames is how many frames after the challenge a login decides
// from: the window's (app.Options.LoginFrames).
const decideFrames = 3

// livenessNotChecked is the JSON's "liveness" for a photo.
const livenessNotChecked = "not checked"

// errDecideEnded: the frames ended (or the time ran out) after a passed
// challenge, before the face was described decideFrames times.
var errDecideEnded = errors.New("the face left before the login was decided")

// cameraFlags are identify's and verify's flags for a login from a camera.
type cameraFlags struct {
	camera        *string
	challenge     *string
	timeout       *time.Duration
	width, height *int
}

func addCameraFlags(fs *flag.FlagSet) *cameraFlags {
	return &cameraFlags{
		camera:    fs.String("camera", "", "log in from a camera instead of a photo, after a liveness challenge: device index, /dev/videoN, video file, image sequence or stream URL"),
		challenge: fs.String("challenge", "", "with --camera: the steps, comma-separated from blink, left, right (default: 2 random steps)"),
		timeout:   fs.Duration("timeout", 4*time.Second, "with --camera: time allowed for each step (a video file also ends at its last frame)"),
		width:     fs.Int("width", 640, "with --camera: largest frame width from a camera or stream"),
		height:    fs.Int("height", 480, "with --camera: largest frame height from a camera or stream"),
	}
}

// photoOnly refuses the flags of a login from a camera given with a photo
// instead (`verify --user joy --challenge blink joy.jpg`): a photo is
// never challenged, and a script must not believe it was.
func photoOnly(fs *flag.FlagSet) error {
	var set []string
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "challenge", "timeout", "width", "height":
			set = append(set, "--"+fl.Name)
		}
	})
	if len(set) == 0 {
		return nil
	}
	return fail(exitUsage, nil, "%s: %s apply only with --camera SRC: a photo is never challenged (a photo cannot prove liveness)",
		strings.TrimPrefix(fs.Name(), "facelogin "), strings.Join(set, ", "))
}

// liveLogin is what a login from a camera needs open: the directory, the
// engine for descriptors and the landmark tracker.
type liveLogin struct {
	s   *session
	eng *dlib.Engine
	lm  *dlib.Landmarker
	tr  *dlib.Tracker
}

func (l *liveLogin) Close() {
	if l.tr != nil {
		l.tr.Close()
	}
	if l.lm != nil {
		l.lm.Close()
	}
	if l.eng != nil {
		l.eng.Close()
	}
	if l.s != nil {
		l.s.Close()
	}
}

// openLiveLogin opens the database, then the models. A claimed user that
// does not exist, or nobody enrolled, is said before the camera opens.
func openLiveLogin(ctx context.Context, e *env, f *decideFlags, claimed string) (*liveLogin, error) {
	l := &liveLogin{}
	var err error
	if l.s, err = openSession(ctx, e, f.common, false); err != nil {
		return nil, err
	}
	if err := l.s.dir.SetBase(float32(*f.threshold)); err != nil {
		l.Close()
		return nil, fail(exitUsage, err, "--threshold %.3f: %v", *f.threshold, err)
	}
	if claimed == "" && l.s.dir.Templates() == 0 {
		l.Close()
		return nil, fail(exitNoMatch, nil, "nobody is enrolled yet: use `facelogin enrol`")
	}
	if claimed != "" {
		if err := checkClaim(ctx, l.s, claimed); err != nil {
			l.Close()
			return nil, err
		}
	}
	if _, ok := l.s.dir.Threshold(claimed); claimed != "" && !ok {
		l.Close()
		return nil, explainStoreError(fmt.Errorf("%w: %s", store.ErrNotFound, claimed))
	}
	if l.eng, err = openEngine(*f.models, false); err != nil {
		l.Close()
		return nil, err
	}
	if l.lm, err = openLandmarker(*f.models); err != nil {
		l.Close()
		return nil, err
	}
	if l.tr, err = l.lm.NewTracker(dlib.TrackerOptions{}); err != nil {
		l.Close()
		return nil, fail(exitInternal, err, "liveness: %v", err)
	}
	return l, nil
}

// describe is the descriptor of a tracked face (Engine.Describe).
func (l *liveLogin) describe(img image.Image, face recognition.TrackedFace) (recognition.Descriptor, error) {
	f, err := l.eng.Describe(img, face)
	return f.Descriptor, err
}

// decideLive is identify --camera (claimed "") and verify --user NAME
// --camera: the challenge, then the decision. A failed challenge is a
// refusal in the audit log with its reason and no distance, under the
// name claimed (none for identify), as the window's Login records it.
func decideLive(e *env, f *decideFlags, claimed, mode string) error {
	cfg, src, err := livenessArgs(f.fs, mode, *f.camera, *f.challenge, *f.timeout)
	if err != nil {
		return err
	}
	cfg.MaxDescriptorDistance = liveness.SamePersonDistance
	ch, err := newChallenge(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	l, err := openLiveLogin(ctx, e, f, claimed)
	if err != nil {
		return interruptedOr(ctx, err)
	}
	defer l.Close()
	opts := camera.Options{Width: *f.width, Height: *f.height, MaxRetries: 3}
	frames, err := openFrames(ctx, src, opts, livenessDeadline(ch, *f.timeout)+*f.timeout)
	if err != nil {
		return err
	}
	defer frames.close()
	ended, id, err := feedChallenge(ctx, e, ch, l.tr, frames, l.describe)
	if err != nil || ctx.Err() != nil {
		return interruptedOr(ctx, err)
	}
	res := endChallenge(ch, ended, frames)
	rep := newChallengeReport(res)
	if !res.Live {
		return refuseLive(ctx, e, l.s, claimed, res, rep)
	}
	ds, err := l.collect(ctx, frames, id)
	if ctx.Err() != nil {
		return errInterrupted
	}
	if errors.Is(err, errDecideEnded) {
		// As the window's Login: nothing decided, nothing recorded.
		return report(e, verdict{User: claimed, Reason: "face left", Message: err.Error(), Liveness: res.Outcome.String(), challengeReport: rep})
	}
	if err != nil {
		return err
	}
	dec, err := l.s.dir.Decide(claimed, ds)
	disabled := errors.Is(err, directory.ErrDisabled)
	if err != nil && !disabled {
		return explainStoreError(err)
	}
	if dec.OK() && !disabled {
		if swapped, ok := sameUserBefore(l.s.dir, dec.User, res); !ok {
			return refuseLive(ctx, e, l.s, claimed, swapped, newChallengeReport(swapped))
		}
	}
	return conclude(ctx, e, l.s, f, dec, claimed, disabled, ds, mode, rep)
}

// sameUserBefore checks the descriptor the challenge took before its first
// step (Result.Before) against user, the one the frames after it were
// decided to be: its distance to user's nearest template must not exceed
// liveness.BeforeUserDistance (or the user's threshold, if larger) and
// no other user's may be nearer by more than δ
// (decision.Decision.SameFaceWithin); liveness.BeforeUserDistance gives
// the measurement. The challenge compares its two descriptors only with each
// other, within liveness.SamePersonDistance, so two people that close —
// one answering the challenge, the other stepping in at its end — would
// pass it (issue 10: 0.529 apart). ok false returns res turned into that
// refusal: liveness.ErrNotSamePerson, naming nobody.
func sameUserBefore(dir *directory.Directory, user string, res liveness.Result) (liveness.Result, bool) {
	var why string
	switch {
	case len(res.Before) != recognition.DescriptorLen:
		why = "no descriptor was taken before the check"
	default:
		before := recognition.Descriptor(res.Before)
		dec, err := dir.Decide(user, []recognition.Descriptor{before})
		if err == nil && dec.Candidate == user && dec.SameFaceWithin(liveness.BeforeUserDistance, dir.Policy().Delta) {
			return res, true
		}
		why = "the face before the check is not the one decided after it"
		if err != nil {
			why = "the face before the check could not be compared with the one decided after it"
		}
	}
	res.Live, res.Outcome = false, liveness.Failed
	res.Reason = fmt.Errorf("%w: %s", liveness.ErrNotSamePerson, why)
	return res, false
}

// interruptedOr is errInterrupted once Ctrl-C stopped ctx (whatever
// failed because of it: the camera, the database), else err.
func interruptedOr(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return errInterrupted
	}
	return err
}

// collect describes the face the challenge followed (track id) on the
// next decideFrames frames where it is the only face: the frames a login
// decides from. Frames where go-face's detector misses the face are
// skipped. The frames ending first is errDecideEnded.
func (l *liveLogin) collect(ctx context.Context, frames frameReader, id recognition.TrackID) ([]recognition.Descriptor, error) {
	var ds []recognition.Descriptor
	for len(ds) < decideFrames {
		img, at, err := frames.next(ctx)
		if errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w (described on %d of the %d frames a login decides from)", errDecideEnded, len(ds), decideFrames)
		}
		if err != nil {
			return nil, err
		}
		lf, err := l.tr.Track(img, at)
		if err != nil {
			return nil, fail(exitInternal, err, "liveness: landmarks: %v", err)
		}
		face, ok := lf.Find(id)
		if !ok || len(lf.Faces) != 1 {
			continue
		}
		if d, err := l.describe(img, face); err == nil {
			ds = append(ds, d)
		}
	}
	return ds, nil
}

// newChallengeReport is the challenge part of the verdict.
func newChallengeReport(res liveness.Result) challengeReport {
	return challengeReport{Live: &res.Live, ReasonCode: liveness.ReasonCode(res.Reason), Steps: livenessSteps(res), Frames: res.Frames, DurationMS: res.Duration.Milliseconds()}
}

// refuseLive records and prints a login whose challenge did not pass
// (exit 1): nobody named for identify, the name claimed for verify; the
// audit detail is the window's ("liveness failed: step not done in time").
func refuseLive(ctx context.Context, e *env, s *session, claimed string, res liveness.Result, rep challengeReport) error {
	detail := "liveness " + res.Outcome.String() + ": " + liveness.ReasonText(res.Reason) + " (command line)"
	if err := s.dir.RecordLogin(ctx, store.LoginAttempt{Username: claimed, Detail: detail}); err != nil {
		return explainStoreError(err)
	}
	v := verdict{User: claimed, Reason: res.Reason.Error(), Liveness: res.Outcome.String(), challengeReport: rep}
	return report(e, v)
}
