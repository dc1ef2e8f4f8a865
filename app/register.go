package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// DuplicateCheck says how Enroller.Enroll treats a face that is already
// registered under another name (one person, two accounts).
type DuplicateCheck struct {
	// Threshold: a template within this distance of another user's is
	// the same face (the threshold in force).
	Threshold float32
	// Allow registers it anyway: an administrator's choice, which the
	// directory logs and writes to the audit log.
	Allow bool
}

// ErrDuplicateFace is wrapped by DuplicateFaceError.
var ErrDuplicateFace = errors.New("app: face already registered under another name")

// DuplicateFaceError is a registration refused because the face is
// already registered as User. Only an administrator is told User.
type DuplicateFaceError struct {
	User      string
	Distance  float32 // from the new face to User's nearest template
	Threshold float32
}

func (e *DuplicateFaceError) Error() string {
	return fmt.Sprintf("%v: matches %q at distance %.3f (threshold %.3f)", ErrDuplicateFace, e.User, e.Distance, e.Threshold)
}

func (e *DuplicateFaceError) Unwrap() error { return ErrDuplicateFace }

// duplicateAdvice is what a person who is not an administrator is told
// when their face is already registered: no name, since a stranger must
// not learn who is enrolled.
const duplicateAdvice = "This face is already registered — log in instead. If you have forgotten your username, ask an administrator."

// registrar is what registration needs of the enrolled users: the store,
// and the in-memory matcher that finds an already registered face at the
// walk's first good frame (registeredFace).
type registrar interface {
	Enroller
	Identifier
}

// registerScreen enrols a new user through a guided registration (guide):
// good frames of several poses, the most diverse kept as templates.
type registerScreen struct {
	cap    *capture
	users  registrar
	admin  bool // an administrator's screen: name a duplicate's owner, offer to register anyway
	guide  *guide
	th     *threshold
	events *userEvents
	limits captureLimits
	win    fyne.Window // parent of the administrator's duplicate question
	log    *slog.Logger

	name     *widget.Entry
	button   *widget.Button
	progress *widget.ProgressBar // the guide's
	message  *widget.Label
	content  fyne.CanvasObject
	// note is what the last walk lacked (walkResult.note), told with the
	// registration's success. Background goroutine of the capture.
	note string
}

func newRegisterScreen(c *capture, users registrar, gate QualityGate, th *threshold, events *userEvents, limits captureLimits, win fyne.Window, log *slog.Logger, admin bool) *registerScreen {
	r := &registerScreen{cap: c, users: users, admin: admin, th: th, events: events, limits: limits, win: win, log: log}
	r.guide = newGuide(c, enrolmentAccept(gate, th), limits, log)
	if !admin {
		// An administrator is asked at the end whether to register a
		// known face anyway (confirmDuplicate), with the walk's templates.
		r.guide.known = registeredFace(users, th.get, "")
	}
	r.name = widget.NewEntry()
	r.name.SetPlaceHolder(lang.L("Username"))
	r.name.OnSubmitted = func(string) { r.onRegister() }
	r.button = &widget.Button{Text: lang.X("button.register", "Register"), Importance: widget.HighImportance, OnTapped: r.onRegister}
	r.progress = r.guide.progress
	// The prompt keeps room for its tallest text, so the Skip and Finish
	// buttons and the status line below it stay put as it changes; a new
	// step's prompt clears the advice about the last step's pose.
	prompts := []string{stillNote()}
	for _, s := range r.guide.steps {
		prompts = append(prompts, s.prompt)
	}
	r.guide.prompt.reserve = prompts
	r.guide.prompt.onChange = func() { r.say(lang.L("Follow the prompt above"), widget.MediumImportance) }
	r.message = widget.NewLabel(lang.L("Type a name, press Register and follow the prompts: look straight, turn a little left and right, look up, smile."))
	r.message.Wrapping = fyne.TextWrapWord
	r.content = container.NewVBox(
		r.name, r.button, r.guide.content, r.message,
	)
	c.onBusy(func(busy bool) { setEnabled(!busy, r.button) })
	return r
}

// say shows msg. UI goroutine.
func (r *registerScreen) say(msg string, imp widget.Importance) {
	r.message.Importance = imp
	r.message.SetText(msg)
}

func (r *registerScreen) onRegister() {
	name := strings.TrimSpace(r.name.Text)
	if name == "" {
		r.say(lang.L("Type a username first"), widget.DangerImportance)
		return
	}
	if !r.cap.begin() {
		return
	}
	r.guide.reset()
	r.say(lang.L("Checking the name…"), widget.MediumImportance)
	r.cap.spawn(func(ctx context.Context) { r.run(ctx, name) })
}

// fail ends the capture with msg. Any goroutine.
func (r *registerScreen) fail(msg string) {
	r.cap.do(func() {
		r.say(msg, widget.DangerImportance)
		r.guide.showRefused()
		r.cap.end()
	})
}

// run registers name. Background goroutine; ends the capture on every path.
func (r *registerScreen) run(ctx context.Context, name string) {
	check, cancel := r.cap.timeout(ctx, r.limits.timeout)
	err := r.users.CheckName(check, name)
	cancel()
	if err != nil {
		r.log.Info("register refused", "user", name, "err", err)
		r.fail(nameAdvice(name, err))
		return
	}
	r.cap.do(func() { r.say(lang.L("Follow the prompt above"), widget.MediumImportance) })
	// Each step is bounded by its own time limit (guide.run).
	walk, err := r.guide.run(ctx, func(rejected error) {
		r.cap.do(func() {
			if rejected != nil {
				r.say(rejectionAdvice(rejected), widget.WarningImportance)
			} else {
				r.say(lang.L("Good — hold it"), widget.MediumImportance)
			}
		})
	})
	var dup *DuplicateFaceError
	switch {
	case errors.As(err, &dup):
		r.log.Info("register refused: face already registered", "user", name, "registered_as", dup.User,
			"distance", dup.Distance, "threshold", dup.Threshold, "at", "first frame")
		r.fail(lang.L(duplicateAdvice))
		return
	case err != nil:
		r.log.Info("register failed", "user", name, "err", err)
		r.fail(captureAdvice(err))
		return
	}
	ds, qs := descriptors(walk.samples)
	save, cancel := r.cap.timeout(ctx, r.limits.timeout)
	defer cancel()
	r.note = walk.note()
	r.enroll(save, name, ds, qs, false)
}

// enroll stores the templates, unless the face is already registered under
// another name (checked by the directory in the same step as the insert);
// allow is an administrator's "register anyway". Background goroutine.
func (r *registerScreen) enroll(ctx context.Context, name string, ds []recognition.Descriptor, qs []float32, allow bool) {
	err := r.users.Enroll(ctx, name, ds, qs, DuplicateCheck{Threshold: r.th.get(), Allow: allow})
	var dup *DuplicateFaceError
	switch {
	case errors.As(err, &dup):
		r.log.Info("register refused: face already registered", "user", name, "registered_as", dup.User,
			"distance", dup.Distance, "threshold", dup.Threshold)
		if r.admin {
			r.cap.do(func() { r.confirmDuplicate(name, dup, ds, qs) })
			return
		}
		r.fail(lang.L(duplicateAdvice))
		return
	case err != nil:
		r.log.Error("register failed", "user", name, "err", err)
		r.fail(nameAdvice(name, err))
		return
	}
	r.log.Info("registered", "user", name, "templates", len(ds))
	r.cap.do(func() {
		r.say(strings.TrimSpace(registeredText(name, len(ds))+" "+r.note), widget.SuccessImportance)
		r.name.SetText("")
		r.cap.end()
		r.events.publish(userEvent{kind: userRegistered, user: name})
	})
}

// confirmDuplicate asks an administrator whether to register a face that
// is already registered as dup.User. UI goroutine.
func (r *registerScreen) confirmDuplicate(name string, dup *DuplicateFaceError, ds []recognition.Descriptor, qs []float32) {
	msg := lang.L("This face is already registered as “{{.User}}” (distance {{.Distance}}, threshold {{.Threshold}}):\n"+
		"the same person, or someone who looks alike. Logins could mix the two up.\n"+
		"Register “{{.Name}}” anyway? This is noted in the audit log.",
		map[string]any{"User": dup.User, "Distance": fmt.Sprintf("%.3f", dup.Distance), "Threshold": fmt.Sprintf("%.3f", dup.Threshold), "Name": name})
	d := dialog.NewConfirm(lang.L("Face already registered"), msg, func(ok bool) {
		if !ok {
			r.say(lang.L("Registration cancelled"), widget.MediumImportance)
			r.guide.showRefused()
			r.cap.end()
			return
		}
		r.say(lang.L("Saving…"), widget.MediumImportance)
		r.cap.spawn(func(ctx context.Context) {
			ctx, cancel := r.cap.timeout(ctx, r.limits.timeout)
			defer cancel()
			r.enroll(ctx, name, ds, qs, true)
		})
	}, r.win)
	d.SetConfirmText(lang.L("Register anyway"))
	d.SetDismissText(lang.L("Cancel"))
	d.Show()
}

// registeredText tells a person their registration is done, the count
// agreeing with its noun.
func registeredText(name string, n int) string {
	if n == 1 {
		return lang.L("Registered “{{.Name}}” with 1 face template. You can log in now.", map[string]any{"Name": name})
	}
	return lang.L("Registered “{{.Name}}” with {{.N}} face templates. You can log in now.", map[string]any{"Name": name, "N": n})
}
