package app

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// registerScreen enrols a new user from several good frames.
type registerScreen struct {
	u        *UI
	name     *widget.Entry
	button   *widget.Button
	progress *widget.ProgressBar
	message  *widget.Label
	content  fyne.CanvasObject
}

func newRegisterScreen(u *UI) *registerScreen {
	r := &registerScreen{u: u}
	r.name = widget.NewEntry()
	r.name.SetPlaceHolder("Username")
	r.name.OnSubmitted = func(string) { r.onRegister() }
	r.button = &widget.Button{Text: "Register", Importance: widget.HighImportance, OnTapped: r.onRegister}
	r.progress = widget.NewProgressBar()
	r.progress.Max = float64(u.opts.RegisterFrames)
	r.progress.TextFormatter = func() string {
		return fmt.Sprintf("%d of %d good frames", int(r.progress.Value), u.opts.RegisterFrames)
	}
	r.message = widget.NewLabel("Type a name, look at the camera and press Register.")
	r.message.Wrapping = fyne.TextWrapWord
	r.content = container.NewVBox(
		widget.NewLabelWithStyle("Register", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		r.name, r.button, r.progress, r.message,
	)
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
		r.say("Type a username first", widget.DangerImportance)
		return
	}
	if !r.u.beginCapture() {
		return
	}
	r.progress.SetValue(0)
	r.say("Checking the name…", widget.MediumImportance)
	go r.run(name)
}

// run registers name. Background goroutine; ends the capture on every path.
func (r *registerScreen) run(name string) {
	u := r.u
	ctx, cancel := context.WithTimeout(u.ctx, u.opts.CaptureTimeout)
	defer cancel()
	fail := func(msg string) {
		u.do(func() {
			r.say(msg, widget.DangerImportance)
			u.endCapture()
		})
	}
	if err := u.deps.Users.CheckName(ctx, name); err != nil {
		u.log.Info("register refused", "user", name, "err", err)
		fail(nameAdvice(name, err))
		return
	}
	u.do(func() { r.say("Look at the camera…", widget.MediumImportance) })
	samples, err := u.collect(ctx, u.opts.RegisterFrames, u.gateSample, func(done int, rejected error) {
		u.do(func() {
			r.progress.SetValue(float64(done))
			if rejected != nil {
				r.say(rejectionAdvice(rejected), widget.WarningImportance)
			} else {
				r.say("Good — keep looking at the camera", widget.MediumImportance)
			}
		})
	})
	if err != nil {
		u.log.Info("register failed", "user", name, "err", err)
		fail(captureAdvice(err))
		return
	}
	ds, qs := descriptors(samples)
	if m := u.nearest(ds); m.User != "" && m.Distance <= u.currentThreshold() {
		u.log.Info("register lookalike", "user", name, "near", m.User, "distance", m.Distance)
		u.do(func() { r.confirmLookalike(name, m, ds, qs) })
		return
	}
	r.enroll(name, ds, qs)
}

// confirmLookalike asks whether to register a face that is within the
// threshold of an existing user. UI goroutine.
func (r *registerScreen) confirmLookalike(name string, m Match, ds []recognition.Descriptor, qs []float32) {
	msg := fmt.Sprintf("This face is close to “%s” (distance %.3f, threshold %.3f):\n"+
		"%s may already be registered, or the two of you look alike.\n"+
		"Logins could mix you up. Register “%s” anyway?",
		m.User, m.Distance, r.u.currentThreshold(), m.User, name)
	d := dialog.NewConfirm("Similar face found", msg, func(ok bool) {
		if !ok {
			r.say("Registration cancelled", widget.MediumImportance)
			r.u.endCapture()
			return
		}
		r.say("Saving…", widget.MediumImportance)
		go r.enroll(name, ds, qs)
	}, r.u.win)
	d.SetConfirmText("Register anyway")
	d.SetDismissText("Cancel")
	d.Show()
}

// enroll stores the templates. Background goroutine.
func (r *registerScreen) enroll(name string, ds []recognition.Descriptor, qs []float32) {
	u := r.u
	ctx, cancel := context.WithTimeout(u.ctx, u.opts.CaptureTimeout)
	defer cancel()
	err := u.deps.Users.Enroll(ctx, name, ds, qs)
	if err != nil {
		u.log.Error("register failed", "user", name, "err", err)
		u.do(func() {
			r.say(nameAdvice(name, err), widget.DangerImportance)
			u.endCapture()
		})
		return
	}
	u.log.Info("registered", "user", name, "templates", len(ds))
	u.do(func() {
		r.say(fmt.Sprintf("Registered “%s” with %d face templates. You can log in now.", name, len(ds)), widget.SuccessImportance)
		r.name.SetText("")
		u.endCapture()
		u.users.reload()
	})
}
