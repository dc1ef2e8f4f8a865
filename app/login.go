package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// loginScreen identifies the person in front of the camera (1:N), or
// verifies them against one named user (1:1) when a name is typed.
type loginScreen struct {
	u       *UI
	user    *widget.Entry
	button  *widget.Button
	result  *widget.Label
	gauge   *distanceGauge
	message *widget.Label
	content fyne.CanvasObject
}

func newLoginScreen(u *UI) *loginScreen {
	l := &loginScreen{u: u}
	l.user = widget.NewEntry()
	l.user.SetPlaceHolder("Username (optional: check one person)")
	l.user.OnSubmitted = func(string) { l.onLogin() }
	l.button = &widget.Button{Text: "Log in", Importance: widget.HighImportance, OnTapped: l.onLogin}
	l.result = widget.NewLabel("")
	l.result.SizeName = theme.SizeNameHeadingText
	l.result.TextStyle.Bold = true
	l.gauge = newDistanceGauge()
	l.message = widget.NewLabel("Look at the camera and press Log in.")
	l.message.Wrapping = fyne.TextWrapWord
	l.content = container.NewVBox(
		widget.NewLabelWithStyle("Login", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		l.user, l.button, l.result, l.gauge, l.message,
	)
	return l
}

func (l *loginScreen) onLogin() {
	if !l.u.beginCapture() {
		return
	}
	user := strings.TrimSpace(l.user.Text)
	l.result.SetText("")
	l.gauge.Clear()
	l.message.Importance = widget.MediumImportance
	l.message.SetText("Look at the camera…")
	go l.run(user, time.Now())
}

// loginResult is a decision.
type loginResult struct {
	user     string // who was recognised or checked; "" when nobody
	distance float32
	ok       bool
	frames   int
}

// run decides from the next few frames. Background goroutine.
func (l *loginScreen) run(user string, clicked time.Time) {
	u := l.u
	ctx, cancel := context.WithTimeout(u.ctx, u.opts.CaptureTimeout)
	defer cancel()
	samples, err := u.collect(ctx, u.opts.LoginFrames, singleFace, func(_ int, rejected error) {
		if rejected != nil {
			u.do(func() { l.message.SetText(rejectionAdvice(rejected)) })
		}
	})
	if err != nil {
		u.log.Info("login failed", "err", err)
		u.do(func() {
			l.message.Importance = widget.DangerImportance
			l.message.SetText(captureAdvice(err))
			u.endCapture()
		})
		return
	}
	ds, _ := descriptors(samples)
	th := u.currentThreshold()
	res, err := l.decide(ctx, user, ds, th)
	elapsed := time.Since(clicked)
	if err != nil {
		u.log.Info("login refused", "user", user, "err", err)
		u.do(func() {
			l.result.Importance = widget.DangerImportance
			l.result.SetText("Not recognised")
			l.message.Importance = widget.DangerImportance
			l.message.SetText(nameAdvice(user, err))
			u.endCapture()
		})
		return
	}
	mode := "identify"
	if user != "" {
		mode = "verify"
	}
	u.log.Info("login", "mode", mode, "success", res.ok, "user", res.user, "distance", res.distance,
		"threshold", th, "frames", res.frames, "decision_ms", elapsed.Milliseconds())
	recorded := res.user
	if !res.ok && user == "" {
		recorded = "" // nobody was recognised; the nearest user is not named
	}
	if err := u.deps.Users.RecordLogin(ctx, recorded, res.distance, res.ok); err != nil {
		u.log.Error("record login", "user", recorded, "err", err)
	}
	u.do(func() {
		switch {
		case res.ok:
			l.result.Importance = widget.SuccessImportance
			l.result.SetText("Welcome, " + res.user)
			l.message.Importance = widget.MediumImportance
			l.message.SetText(fmt.Sprintf("Decided in %d ms from %d frames.", elapsed.Milliseconds(), res.frames))
		case user != "":
			l.result.Importance = widget.DangerImportance
			l.result.SetText("Not recognised")
			l.message.Importance = widget.DangerImportance
			l.message.SetText(fmt.Sprintf("This face does not match “%s”.", user))
		default:
			l.result.Importance = widget.DangerImportance
			l.result.SetText("Not recognised")
			l.message.Importance = widget.DangerImportance
			if res.user == "" {
				l.message.SetText("Nobody is registered yet.")
			} else {
				l.message.SetText("Register first, or move into better light and try again.")
			}
		}
		if res.user != "" {
			l.gauge.Set(res.distance, th)
		}
		u.endCapture()
		u.users.reload()
	})
}

// decide turns the descriptors of a few frames into a decision. The
// candidate is the named user, or else the user nearest to most frames; the
// decision uses the median distance to the candidate over the frames, so one
// odd frame neither lets someone in nor keeps them out.
func (l *loginScreen) decide(ctx context.Context, user string, ds []recognition.Descriptor, th float32) (loginResult, error) {
	dir := l.u.deps.Users
	res := loginResult{frames: len(ds)}
	dists := make([]float32, len(ds))
	if user == "" {
		matches := make([]Match, len(ds))
		votes := map[string]int{}
		nearest := map[string]float32{}
		for i := range ds {
			m := dir.Identify(&ds[i])
			matches[i] = m
			if m.User == "" {
				continue
			}
			votes[m.User]++
			if d, seen := nearest[m.User]; !seen || m.Distance < d {
				nearest[m.User] = m.Distance
			}
		}
		for name, c := range votes {
			best := votes[res.user]
			if res.user == "" || c > best || (c == best && nearest[name] < nearest[res.user]) {
				res.user = name
			}
		}
		if res.user == "" {
			return res, nil // nobody enrolled
		}
		for i, m := range matches {
			if m.User == res.user {
				dists[i] = m.Distance
				continue
			}
			d, err := dir.Verify(ctx, res.user, &ds[i])
			if err != nil {
				return res, err
			}
			dists[i] = d
		}
	} else {
		res.user = user
		for i := range ds {
			d, err := dir.Verify(ctx, user, &ds[i])
			if err != nil {
				if errors.Is(err, ErrUnknownUser) {
					return res, err
				}
				return res, fmt.Errorf("verify %q: %w", user, err)
			}
			dists[i] = d
		}
	}
	slices.Sort(dists)
	res.distance = dists[len(dists)/2]
	res.ok = res.distance <= th
	return res, nil
}
