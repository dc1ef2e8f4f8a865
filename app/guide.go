package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
	"facelogin/recognition/decision"
	"facelogin/recognition/pose"
)

// Guided registration: how many templates are kept, and how long a pose
// step waits.
const (
	// guidedTemplates is how many of the candidate frames (every frame
	// that passed the quality gate during the registration, in any pose)
	// are kept as templates, chosen to cover them
	// (decision.SelectCovering): 10 gave 1/114 false rejections per login
	// on the shared videos (2/114 by farthest-point sampling), against
	// 38/114 for the first 5 frames (TestGuidedEnrolment in
	// recognition/dlib; README, "Accuracy").
	guidedTemplates = 10
	// poseStepLimit is how long a pose step waits for the person before it
	// moves on by itself (pose.StepLimit).
	poseStepLimit = pose.StepLimit
)

// posePrompt is the words of a step, by pose, in the window's language.
func posePrompt(k poseKind) string {
	switch k {
	case poseLeft:
		return lang.L("Turn your head slightly to your left")
	case poseRight:
		return lang.L("Turn your head slightly to your right")
	case poseUp:
		return lang.L("Tilt your head slightly up")
	case poseSmile:
		return lang.L("Look at the camera and smile")
	default:
		return lang.L("Look straight at the camera")
	}
}

// guidedSteps are the poses a registration asks for (pose.Steps): looking
// straight (required: it takes the minimum number of frames and measures
// the person's own straight-ahead cues), then slightly left, slightly
// right, slightly up and a smile, each optional.
func guidedSteps(minimum int) []poseStep {
	var out []poseStep
	for _, s := range pose.Steps(minimum) {
		out = append(out, poseStep{kind: s.Kind, prompt: posePrompt(s.Kind), frames: s.Frames, optional: s.Optional})
	}
	return out
}

// errNotInPose refuses a frame whose head is not (yet) in the step's pose
// (wrapped in a *poseError naming the step).
var errNotInPose = errors.New("app: head not in the asked pose")

// poseError is a frame refused because the head is not in step's pose.
type poseError struct{ step poseStep }

func (e *poseError) Error() string { return errNotInPose.Error() + ": " + e.step.prompt }
func (e *poseError) Unwrap() error { return errNotInPose }

// advice repeats the prompt, with the way out of an optional step.
func (e *poseError) advice() string {
	if e.step.optional {
		return e.step.prompt + " — " + lang.L("or press “Skip this step”")
	}
	return e.step.prompt
}

// guide runs a guided registration on the capture: the register screen
// and re-enrolment both show its prompt, progress and Skip button. UI
// fields are touched on the UI goroutine only.
type guide struct {
	cap    *capture
	accept acceptFunc
	limits captureLimits
	steps  []poseStep
	log    *slog.Logger
	// known (nil: no check) is asked about every frame the straight step
	// accepts, at once: an error (a *DuplicateFaceError) ends the
	// registration there, not after every pose step. Every frame, not
	// only the first: a registered face can lie beyond the threshold on
	// its first frame and within it later (a tester's was refused only at
	// the end of the walk, at 0.330 of 0.375, when only the first frame
	// was checked).
	known func(d *recognition.Descriptor) error

	mu     sync.Mutex
	skip   context.CancelFunc // ends the running optional step; nil otherwise
	finish bool               // Finish was pressed: no further pose steps
	// skipPending: Skip was tapped after the step's prompt showed but
	// before the step could be skipped; the step ends as it starts.
	skipPending bool

	prompt   *promptLabel // the step's instruction, large
	progress *widget.ProgressBar
	// refused: the capture ended without the templates being stored;
	// the bar says so instead of "Done". UI goroutine.
	refused   bool
	skipBtn   *widget.Button
	finishBtn *widget.Button // ends the pose steps, keeping what was taken
	content   fyne.CanvasObject
}

// stillNote is shown when a pose step ran out of time without the head
// moving at all: the person is not following the prompts (cannot see
// them, cannot move, or does not want to), so the remaining pose steps are
// not asked for and the registration goes on with the frames taken.
func stillNote() string {
	return lang.L("No head movement seen — finishing with the views taken so far")
}

func newGuide(c *capture, accept acceptFunc, limits captureLimits, log *slog.Logger) *guide {
	g := &guide{cap: c, accept: accept, limits: limits, steps: guidedSteps(limits.frames), log: log}
	g.prompt = newPromptLabel(2 * theme.TextSize())
	total := 0
	for _, s := range g.steps {
		total += s.frames
	}
	g.progress = widget.NewProgressBar()
	g.progress.Max = float64(total)
	g.progress.TextFormatter = func() string { return g.progressText() }
	g.skipBtn = &widget.Button{Text: lang.L("Skip this step"), OnTapped: g.onSkip}
	g.skipBtn.Disable()
	g.finishBtn = &widget.Button{Text: lang.L("Finish now"), OnTapped: g.onFinish}
	g.finishBtn.Disable()
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(g.skipBtn, g.finishBtn), g.progress)
	g.prompt.widthOf = bar // same column
	g.content = container.NewVBox(g.prompt, bar)
	return g
}

// progressText names the step the progress bar has reached.
func (g *guide) progressText() string {
	if g.refused {
		return lang.L("Not registered")
	}
	done, v := 0, int(g.progress.Value)
	for i, s := range g.steps {
		if v < done+s.frames {
			return lang.L("Step {{.N}} of {{.Count}}", map[string]any{"N": i + 1, "Count": len(g.steps)})
		}
		done += s.frames
	}
	return lang.L("Done")
}

// onSkip ends the running optional step. UI goroutine.
func (g *guide) onSkip() {
	g.mu.Lock()
	skip := g.skip
	if skip == nil {
		// The prompt (and the button) show just before the step starts
		// waiting: a tap in between skips the step as soon as it starts.
		g.skipPending = true
	}
	g.mu.Unlock()
	if skip != nil {
		skip()
	}
}

// onFinish ends the running optional step and every one after it: the
// registration goes on with the frames taken. UI goroutine.
func (g *guide) onFinish() {
	g.mu.Lock()
	g.finish = true
	g.mu.Unlock()
	g.onSkip()
}

// finished reports whether Finish was pressed. Any goroutine.
func (g *guide) finished() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.finish
}

// reset clears the prompt and progress before a capture. UI goroutine.
func (g *guide) reset() {
	g.refused = false
	g.progress.SetValue(0)
	g.setPrompt("")
	g.skipBtn.Disable()
	g.finishBtn.Disable()
	g.mu.Lock()
	g.finish, g.skipPending = false, false
	g.mu.Unlock()
}

// showRefused empties the bar and makes it say the templates were not
// stored: a full bar reading "Done" told a refused person the opposite.
// UI goroutine.
func (g *guide) showRefused() {
	g.refused = true
	g.setPrompt("")
	g.progress.SetValue(0)
	g.progress.Refresh()
}

func (g *guide) setPrompt(text string) {
	g.prompt.Text = text
	g.prompt.Refresh()
}

// run takes the person through the steps and returns the templates to
// enrol: at most guidedTemplates of the candidates, chosen to cover them
// (decision.SelectCovering), no two within decision.DuplicateBound; with
// them the poses never seen and how many near-copies were left out
// (walkResult.note words them). Every frame that passes the quality gate (one
// face, the registering person's, sharp and large enough) is a candidate,
// in the asked pose or not; the frames in the pose are the ones that
// complete a step and drive the prompts and progress. The candidates are
// held in a decision.Candidates of decision.CandidateLimit, thinned by
// the same rule when full, so memory stays bounded however long the
// steps take. The straight step is required: if
// it does not get its frames before the capture timeout the error is a
// *captureError (captureAdvice words it). An optional step ends when it
// has its frames, when Skip is pressed, or after poseStepLimit (the
// capture's stepTimeout); frames it accepted still count. Finish ends the
// pose steps at once, and so does a step that ran out of time with the
// face in view but the head not moving at all (pose.Thresholds.Moved;
// stillNote says so): someone
// who does none of the poses waits one step's limit, not four. advise is
// called with the reason a frame was refused (nil when it was taken).
// When g.known refuses a good frame of the straight step, run returns its
// error (a *DuplicateFaceError) at once.
// Background goroutine; ends with the Skip and Finish buttons disabled.
func (g *guide) run(ctx context.Context, advise func(rejected error)) (walkResult, error) {
	defer g.cap.do(func() {
		g.skipBtn.Disable()
		g.finishBtn.Disable()
	})
	var (
		got  = newTakes()
		base poseCues
		done int // progress units: accepted frames plus the quotas of steps ended early
		note string
	)
	show := func(v int) { g.cap.do(func() { g.progress.SetValue(float64(v)) }) }
	var w walkResult
	for i, st := range g.steps {
		if note != "" || g.finished() {
			done += st.frames
			w.missed = append(w.missed, st.kind)
			continue
		}
		g.cap.do(func() {
			g.setPrompt(st.prompt)
			setEnabled(st.optional, g.skipBtn, g.finishBtn)
		})
		show(done)
		res, err := g.step(ctx, st, i == 0, base, got, func(rejected error) {
			if rejected == nil {
				done++
				show(done)
			}
			advise(rejected)
		})
		if !st.optional {
			if errors.Is(err, ErrDuplicateFace) {
				return walkResult{}, err
			}
			if err != nil {
				return walkResult{}, &captureError{Last: res.last, Err: err}
			}
			base = medianCues(res.cues)
		}
		if ctx.Err() != nil {
			return walkResult{}, &captureError{Last: res.last, Err: ctx.Err()}
		}
		done += st.frames - len(res.cues)
		g.log.Info("registration step", "step", i+1, "prompt", st.prompt, "frames", len(res.cues), "completed", len(res.cues) >= st.frames)
		if st.optional && len(res.cues) == 0 {
			w.missed = append(w.missed, st.kind)
		}
		if st.optional && res.timedOut && res.seen && !res.moved && len(res.cues) < st.frames {
			note = stillNote()
			g.log.Info("registration: no head movement in a pose step; the remaining pose steps are left out", "step", i+1)
		}
	}
	show(done)
	g.cap.do(func() { g.setPrompt(note) })
	// None within decision.DuplicateBound of another: the rule `enrol`
	// applies to a repeated photo. A person who holds still gets one
	// template or a few, not ten copies of one view.
	w.samples, w.copies = got.cands.ChooseDistinct(guidedTemplates, g.limits.frames, decision.DuplicateBound)
	g.log.Info("registration templates", "kept", len(w.samples), "near_copies", w.copies, "poses_not_seen", len(w.missed))
	return w, nil
}

// walkResult is what a guided registration took.
type walkResult struct {
	samples []sample   // the templates to store
	missed  []poseKind // pose steps that ended without a single frame in their pose
	copies  int        // frames not stored as near-copies of a kept one
}

// note tells a person what their registration lacks: the poses never
// seen, and that near-identical frames were stored once. "" when every
// pose was seen.
func (w walkResult) note() string {
	if len(w.missed) == 0 {
		return ""
	}
	var names []string
	for _, k := range w.missed {
		names = append(names, poseName(k))
	}
	poses := strings.Join(names, ", ")
	if w.copies > 0 {
		return lang.L("Not seen: {{.Poses}}; near-identical views were stored once. Logins may fail in those poses — re-enrol in Users to add them.", map[string]any{"Poses": poses})
	}
	return lang.L("Not seen: {{.Poses}}. Logins may fail in those poses — re-enrol in Users to add them.", map[string]any{"Poses": poses})
}

// poseName names a pose in a list, in the window's language.
func poseName(k poseKind) string {
	switch k {
	case poseLeft:
		return lang.L("left turn")
	case poseRight:
		return lang.L("right turn")
	case poseUp:
		return lang.L("look up")
	default:
		return lang.L("smile")
	}
}

// takes are the frames a guided registration has taken so far.
type takes struct {
	// first is the first frame taken: the quality gate compares every
	// later face with it (enrolmentAccept), so the registering person's
	// track stays theirs even after the candidates were thinned.
	first []sample
	cands *decision.Candidates[sample]
}

func newTakes() *takes {
	return &takes{cands: decision.NewCandidates[sample](decision.CandidateLimit, decision.DefaultPolicy.Max)}
}

func (t *takes) add(s sample) {
	if len(t.first) == 0 {
		t.first = []sample{s}
	}
	t.cands.Add(s, s.desc)
}

// stepResult is how one step of a guided registration went.
type stepResult struct {
	cues     []poseCues // of the frames it accepted
	last     error      // why the last frame was refused
	timedOut bool       // its time limit ended it (not Skip, not Finish)
	seen     bool       // a frame showed one face with its cues
	moved    bool       // a frame showed the head on its way to some pose
}

// step runs one step until it has st.frames frames in its pose or its
// time is up; every frame that passes the quality gate, in the pose or
// not, goes to got. It returns how it went and the stream's error (nil
// when the step completed); progress hears of every frame, with the pose
// refusal before the quality gate's. fresh starts with the frame on
// screen.
func (g *guide) step(ctx context.Context, st poseStep, fresh bool, base poseCues, got *takes, progress func(rejected error)) (stepResult, error) {
	var cancel context.CancelFunc
	if st.optional {
		ctx, cancel = g.cap.stepTimeout(ctx, poseStepLimit)
		g.mu.Lock()
		g.skip = cancel
		if g.skipPending {
			g.skipPending = false
			cancel()
		}
		g.mu.Unlock()
		defer func() {
			g.mu.Lock()
			g.skip = nil
			g.mu.Unlock()
		}()
	} else {
		ctx, cancel = g.cap.timeout(ctx, g.limits.timeout)
	}
	defer cancel()
	var res stepResult
	err := g.cap.stream(ctx, 1, fresh, func(d detection) (bool, error) {
		c, err := g.inPose(d, st, base)
		if c != (poseCues{}) {
			res.seen = true
			res.moved = res.moved || headMoved(c, base)
		}
		if err == nil || errors.Is(err, errNotInPose) {
			s, gateErr := d.sample(g.accept, g.cap.describe, got.first)
			if gateErr == nil {
				if known := g.known; known != nil && !st.optional {
					if err := known(&s.desc); err != nil {
						return true, err // already registered: the walk ends here
					}
				}
				got.add(s)
			} else if err == nil {
				err = gateErr
			}
		}
		if err != nil {
			res.last = err
		} else {
			res.cues = append(res.cues, c)
		}
		progress(err)
		return len(res.cues) >= st.frames, nil
	})
	res.timedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
	return res, err
}

// inPose checks, on the landmarks alone (no descriptor yet), that the one
// face in d is in st's pose. Frames with no face or several are left to
// the quality gate, which says what is wrong with them.
func (g *guide) inPose(d detection, st poseStep, base poseCues) (poseCues, error) {
	if d.err != nil || len(d.track.Faces) != 1 {
		return poseCues{}, nil
	}
	c, ok := cuesOf(d.track.Faces[0].Landmarks)
	if !ok {
		return poseCues{}, fmt.Errorf("%w: no 68-point landmarks", ErrFaceUnclear)
	}
	if !st.reached(c, base) {
		return c, &poseError{step: st}
	}
	return c, nil
}

// registeredFace is the check a registration makes at the insert (the
// directory's Enroll and ReEnroll: another user's template within
// threshold of a new one, the threshold in force), made on each frame of
// the straight step with the in-memory matcher so the walk stops there
// instead of after every pose step. self is the user being re-enrolled ("" for a
// new one): their own templates are no duplicate. The matcher leaves out
// disabled users (and may not have seen another station's newest
// enrolment); the check at the insert still refuses those faces, at the
// end of the walk.
func registeredFace(users Identifier, threshold func() float32, self string) func(d *recognition.Descriptor) error {
	return func(d *recognition.Descriptor) error {
		user, dist := recognition.Match(users.Identify(d)).NearestOther(self)
		if th := threshold(); user != "" && dist <= th {
			return &DuplicateFaceError{User: user, Distance: dist, Threshold: th}
		}
		return nil
	}
}
