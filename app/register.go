package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// registrar is what the register screen uses of the users.
type registrar interface {
	Enroller
	Identifier
}

// registerScreen enrols a new user from several good frames.
type registerScreen struct {
	cap    *capture
	users  registrar
	accept acceptFunc
	th     *threshold
	events *userEvents
	limits captureLimits
	win    fyne.Window // parent of the lookalike question
	log    *slog.Logger

	name     *widget.Entry
	button   *widget.Button
	progress *widget.ProgressBar
	message  *widget.Label
	content  fyne.CanvasObject
}

func newRegisterScreen(c *capture, users registrar, gate QualityGate, th *threshold, events *userEvents, limits captureLimits, win fyne.Window, log *slog.Logger) *registerScreen {
	r := &registerScreen{cap: c, users: users, accept: enrolmentAccept(gate, th), th: th, events: events, limits: limits, win: win, log: log}
	r.name = widget.NewEntry()
	r.name.SetPlaceHolder("Username")
	r.name.OnSubmitted = func(string) { r.onRegister() }
	r.button = &widget.Button{Text: "Register", Importance: widget.HighImportance, OnTapped: r.onRegister}
	r.progress = widget.NewProgressBar()
	r.progress.Max = float64(limits.frames)
	r.progress.TextFormatter = func() string {
		return fmt.Sprintf("%d of %d good frames", int(r.progress.Value), limits.frames)
	}
	r.message = widget.NewLabel("Type a name, look at the camera and press Register.")
	r.message.Wrapping = fyne.TextWrapWord
	r.content = container.NewVBox(
		widget.NewLabelWithStyle("Register", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		r.name, r.button, r.progress, r.message,
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
		r.say("Type a username first", widget.DangerImportance)
		return
	}
	if !r.cap.begin() {
		return
	}
	r.progress.SetValue(0)
	r.say("Checking the name…", widget.MediumImportance)
	r.cap.spawn(func(ctx context.Context) { r.run(ctx, name) })
}

// fail ends the capture with msg. Any goroutine.
func (r *registerScreen) fail(msg string) {
	r.cap.do(func() {
		r.say(msg, widget.DangerImportance)
		r.cap.end()
	})
}

// run registers name. Background goroutine; ends the capture on every path.
func (r *registerScreen) run(ctx context.Context, name string) {
	ctx, cancel := r.cap.timeout(ctx, r.limits.timeout)
	defer cancel()
	if err := r.users.CheckName(ctx, name); err != nil {
		r.log.Info("register refused", "user", name, "err", err)
		r.fail(nameAdvice(name, err))
		return
	}
	r.cap.do(func() { r.say("Look at the camera…", widget.MediumImportance) })
	samples, err := r.cap.collect(ctx, r.limits.frames, r.accept, func(done int, rejected error) {
		r.cap.do(func() {
			r.progress.SetValue(float64(done))
			if rejected != nil {
				r.say(rejectionAdvice(rejected), widget.WarningImportance)
			} else {
				r.say("Good — keep looking at the camera", widget.MediumImportance)
			}
		})
	})
	if err != nil {
		r.log.Info("register failed", "user", name, "err", err)
		r.fail(captureAdvice(err))
		return
	}
	ds, qs := descriptors(samples)
	if m := nearest(r.users, ds); m.User != "" && m.Distance <= r.th.get() {
		r.log.Info("register lookalike", "user", name, "near", m.User, "distance", m.Distance)
		r.cap.do(func() { r.confirmLookalike(name, m, ds, qs) })
		return
	}
	r.enroll(ctx, name, ds, qs)
}

// confirmLookalike asks whether to register a face that is within the
// threshold of an existing user. UI goroutine.
func (r *registerScreen) confirmLookalike(name string, m Match, ds []recognition.Descriptor, qs []float32) {
	msg := fmt.Sprintf("This face is close to “%s” (distance %.3f, threshold %.3f):\n"+
		"%s may already be registered, or the two of you look alike.\n"+
		"Logins could mix you up. Register “%s” anyway?",
		m.User, m.Distance, r.th.get(), m.User, name)
	d := dialog.NewConfirm("Similar face found", msg, func(ok bool) {
		if !ok {
			r.say("Registration cancelled", widget.MediumImportance)
			r.cap.end()
			return
		}
		r.say("Saving…", widget.MediumImportance)
		r.cap.spawn(func(ctx context.Context) {
			ctx, cancel := r.cap.timeout(ctx, r.limits.timeout)
			defer cancel()
			r.enroll(ctx, name, ds, qs)
		})
	}, r.win)
	d.SetConfirmText("Register anyway")
	d.SetDismissText("Cancel")
	d.Show()
}

// enroll stores the templates. Background goroutine.
func (r *registerScreen) enroll(ctx context.Context, name string, ds []recognition.Descriptor, qs []float32) {
	if err := r.users.Enroll(ctx, name, ds, qs); err != nil {
		r.log.Error("register failed", "user", name, "err", err)
		r.fail(nameAdvice(name, err))
		return
	}
	r.log.Info("registered", "user", name, "templates", len(ds))
	r.cap.do(func() {
		r.say(fmt.Sprintf("Registered “%s” with %d face templates. You can log in now.", name, len(ds)), widget.SuccessImportance)
		r.name.SetText("")
		r.cap.end()
		r.events.publish(userEvent{kind: userRegistered, user: name})
	})
}

// nearest is the closest enrolled user to any of ds.
func nearest(users Identifier, ds []recognition.Descriptor) Match {
	best := Match{}
	for i := range ds {
		m := users.Identify(&ds[i])
		if m.User != "" && (best.User == "" || m.Distance < best.Distance) {
			best = Match{User: m.User, Distance: m.Distance}
		}
	}
	return best
}
