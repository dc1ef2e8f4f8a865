package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"facelogin/recognition"
	"facelogin/recognition/decision"
	live "facelogin/recognition/liveness"
)

// The liveness challenge of a login (recognition/liveness): before the
// window's Login or the kiosk decides who is in front of the camera, the
// person answers two random steps — blink, turn the head to their left or
// right — on the tracked face, frame by frame. Only a passed challenge
// goes on to the decision (loginInput.Liveness = livenessPassed); a failed
// one is a refused login with the liveness reason in the audit log.

// PrefLiveness is the preference key of the liveness setting (true unless
// turned off; in the kiosk the Settings screen is behind the PIN).
const PrefLiveness = "login.liveness"

// challengeConfig is every login's challenge: two steps drawn with
// crypto/rand, the package's time per step (4 s), and the same-person
// check between the descriptors before the first step and after the last
// (liveness.SamePersonDistance).
func challengeConfig() live.Config {
	return live.Config{MaxDescriptorDistance: live.SamePersonDistance}
}

// challengeTimeout is the longest a challenge of cfg can take on a
// camera that keeps sending frames: settling, each step and the closing
// descriptor, each within its own limit. The capture's context gets this
// on top of its own timeout, for a camera that stops.
func challengeTimeout(cfg live.Config) time.Duration {
	step := cfg.StepTimeout
	if step == 0 {
		step = 4 * time.Second
	}
	settle := cfg.SettleTimeout
	if settle == 0 {
		settle = 4 * time.Second
	}
	steps := len(cfg.Steps)
	if steps == 0 {
		steps = max(2, cfg.NumSteps)
	}
	return settle + time.Duration(steps+1)*step
}

// errFaceLeft ends a login whose face left between the challenge and the
// decision.
var errFaceLeft = errors.New("the face left before the login was decided")

// challenge runs a liveness challenge of cfg on the one face in view,
// following every tracked frame (capture.follow) with its camera time and
// pixels (liveness.FromLandmarkFrame: the check makes the face patch for
// its 3D turn check from the frame), attaching the face's descriptor when
// the challenge asks for it. show gets every status, on this goroutine.
// When the challenge passes it goes on with the same tracked face and
// returns n described samples of it, to decide from; a failed challenge
// returns its result and no samples. err is the capture's (ctx ended,
// the face left after the challenge: *captureError). Background goroutine.
func (c *capture) challenge(ctx context.Context, cfg live.Config, n int, show func(live.Status)) (live.Result, []sample, error) {
	ch, err := live.New(cfg)
	if err != nil {
		return live.Result{}, nil, err
	}
	var (
		id   recognition.TrackID // the face followed
		need bool                // the challenge asked for a descriptor
		done bool                // the challenge has its result
		got  []sample
		last error
	)
	err = c.follow(ctx, func(d detection) (bool, error) {
		if d.err != nil {
			last = d.err // a frame the tracker failed on: a gap for the check
			return false, nil
		}
		if !done {
			if len(d.track.Faces) == 1 {
				id = d.track.Faces[0].ID
			}
			f := live.FromLandmarkFrame(d.track, d.frame)
			if need && len(f.Faces) == 1 {
				desc, err := c.describe(d, d.track.Faces[0])
				if err == nil {
					f.Faces[0].Descriptor = desc[:]
				} else {
					last = err
				}
			}
			st := ch.Feed(f)
			need = st.NeedDescriptor
			show(st)
			done = st.Done
			return done && !ch.Result().Live, nil
		}
		s, err := c.sameFace(d, id)
		if err != nil {
			last = err
			return false, nil
		}
		got = append(got, s)
		return len(got) >= n, nil
	})
	res := ch.End()
	if err != nil {
		return res, got, &captureError{Last: last, Err: err}
	}
	return res, got, nil
}

// sameFace is the sample of the face with track id when it is the only
// face of d. A face that left wraps errFaceLeft.
func (c *capture) sameFace(d detection, id recognition.TrackID) (sample, error) {
	face, ok := d.track.Find(id)
	switch {
	case !ok:
		return sample{}, errFaceLeft
	case len(d.track.Faces) != 1:
		return sample{}, ErrSeveralFaces
	}
	desc, err := c.describe(d, face)
	if err != nil {
		return sample{}, err
	}
	return sample{det: d, face: face, desc: desc}, nil
}

// livenessDetail is the audit log's reason for a failed challenge:
// "liveness failed: step not done in time".
func livenessDetail(res live.Result) string {
	return "liveness " + res.Outcome.String() + ": " + live.ReasonText(res.Reason)
}

// refuseLiveness records and logs a login refused by its liveness
// challenge, for the window and the kiosk alike: a refusal in the audit
// log with the challenge's reason and no distance, never an adaptive
// template nor the on-login action. It returns the reason for people.
// Background goroutine.
func refuseLiveness(ctx context.Context, users LoginRecorder, claimed string, res live.Result, log *slog.Logger, msg string, head ...any) string {
	ctx, cancel := recordContext(ctx) // recorded even at shutdown
	defer cancel()
	log.Info(msg, append(head, "success", false, "user", claimed, "liveness", res.Outcome.String(),
		"reason", res.Reason, "steps", live.FormatSteps(stepsOf(res)), "frames", res.Frames, "ms", res.Duration.Milliseconds())...)
	if err := users.RecordLogin(ctx, claimed, float32(math.Inf(1)), false, livenessDetail(res), ""); err != nil {
		log.Error("record login", "user", claimed, "err", err)
	}
	return liveReason(res.Reason)
}

// confirmBefore checks the descriptor the challenge took before its first
// step (Result.Before) against the user an accepted login decided on from
// the frames after it: its distance to that user's nearest template (a
// 1:1 decision at in.Base) must not exceed liveness.BeforeUserDistance
// (or the user's threshold, if larger) and no other user's may be nearer
// by more than δ (decision.Decision.SameFaceWithin);
// liveness.BeforeUserDistance gives the measurement. The challenge
// compares its two descriptors only with each other, within
// liveness.SamePersonDistance, so two people that close — one answering
// the challenge, the other stepping in at its end — passed it (issue 10:
// 0.529 apart). ok false returns lres turned into that refusal,
// liveness.ErrNotSamePerson, naming nobody. A refused login needs no
// check. Background goroutine.
func confirmBefore(g Decider, in loginInput, res loginResult, lres live.Result) (live.Result, bool) {
	if !res.Accepted() {
		return lres, true
	}
	why := "no descriptor was taken before the check"
	if len(lres.Before) == recognition.DescriptorLen {
		before := recognition.Descriptor(lres.Before)
		dec, err := g.Decide(res.User, []recognition.Descriptor{before}, in.Base)
		if err == nil && dec.Candidate == res.User && dec.SameFaceWithin(live.BeforeUserDistance, decision.DefaultPolicy.Delta) {
			return lres, true
		}
		why = "the face before the check is not the one decided after it"
		if err != nil {
			why = "the face before the check could not be compared with the one decided after it"
		}
	}
	lres.Live, lres.Outcome = false, live.Failed
	lres.Reason = fmt.Errorf("%w: %s", live.ErrNotSamePerson, why)
	return lres, false
}

func stepsOf(res live.Result) []live.Step {
	out := make([]live.Step, len(res.Steps))
	for i, s := range res.Steps {
		out[i] = s.Step
	}
	return out
}

// promptText is a challenge status as the large prompt: the instruction
// with its arrow on the side it points to ("← Turn your head to your
// left": the person's own left is the screen's left for someone facing
// it).
func promptText(st live.Status) string {
	switch st.Arrow {
	case live.ArrowLeft:
		return "← " + livePrompt(st)
	case live.ArrowRight:
		return livePrompt(st) + " →"
	}
	return livePrompt(st)
}

// stepText is the line under the prompt: the step's number, or what is in
// the way.
func stepText(st live.Status) string {
	switch {
	case st.Hint != nil:
		return liveReason(st.Hint)
	case st.Step != 0:
		return lang.L("Step {{.N}} of {{.Count}}", map[string]any{"N": st.Index + 1, "Count": st.Count})
	}
	return lang.L("Liveness check: hold still, facing the camera")
}

// newLivenessSetting is the Settings screen's block for the liveness
// check.
// forcedOff (--liveness=false, for tests and evaluations started by whoever
// runs the program) turns it off for this run.
func newLivenessSetting(prefs fyne.Preferences, forcedOff bool, log *slog.Logger) *checkSetting {
	return newCheckSetting(prefs, log, PrefLiveness, "liveness", lang.L("Liveness check at login (blink and head-turn challenge)"),
		lang.L("Before a login is decided, the person follows two random prompts — blink, turn the head left or right — "+
			"so that a photo or a screen held up to the camera is refused. Turned off, a photo of a registered "+
			"person can log in. Applies at once."), forcedOff,
		lang.L("Turned off for this run (--liveness=false): a photo of a registered person can log in."))
}
