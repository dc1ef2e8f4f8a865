package app

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition/decision"
	live "facelogin/recognition/liveness"
)

// loginScreen identifies the person in front of the camera (1:N), or
// verifies them against one named user (1:1) when a name is typed.
type loginScreen struct {
	cap    *capture
	users  loginDirectory
	th     *threshold
	adapt  *atomic.Bool // adaptive templates are on
	events *userEvents
	limits captureLimits
	log    *slog.Logger
	// action is the on-login action, run after an accepted login; set by
	// the shell.
	action *onLoginAction
	// liveOn turns the liveness challenge on (the setting); liveConfig is
	// each login's challenge (challengeConfig; tests fix the steps). Set
	// by the shell.
	liveOn     *atomic.Bool
	liveConfig func() live.Config

	user    *widget.Entry
	button  *widget.Button
	result  *widget.Label
	prompt  *promptLabel        // the challenge's instruction, large
	steps   *widget.ProgressBar // the challenge's progress
	gauge   *distanceGauge
	message *widget.Label
	content fyne.CanvasObject
}

func newLoginScreen(c *capture, users loginDirectory, th *threshold, adapt *atomic.Bool, events *userEvents, limits captureLimits, log *slog.Logger) *loginScreen {
	l := &loginScreen{cap: c, users: users, th: th, adapt: adapt, events: events, limits: limits, log: log}
	l.user = widget.NewEntry()
	l.user.SetPlaceHolder(lang.L("Username (optional: check one person)"))
	l.user.OnSubmitted = func(string) { l.onLogin() }
	l.button = &widget.Button{Text: lang.L("Log in"), Importance: widget.HighImportance, OnTapped: l.onLogin}
	l.result = widget.NewLabel("")
	l.result.SizeName = theme.SizeNameHeadingText
	l.result.TextStyle.Bold = true
	l.prompt = newPromptLabel(1.5 * theme.TextHeadingSize())
	l.prompt.Hide()
	l.prompt.widthOf = l.button // same column
	l.prompt.reserve = challengePrompts()
	l.steps = widget.NewProgressBar()
	l.steps.TextFormatter = func() string { return "" }
	l.steps.Hide()
	l.gauge = newDistanceGauge()
	l.message = widget.NewLabel(lang.L("Look at the camera and press Log in."))
	l.message.Wrapping = fyne.TextWrapWord
	// What to do now (the challenge's prompt), then the result, then the
	// details; the tab names the screen.
	l.content = container.NewVBox(
		l.user, l.button, l.prompt, l.steps, l.result, l.message, l.gauge,
	)
	c.onBusy(func(busy bool) { setEnabled(!busy, l.button) })
	return l
}

func (l *loginScreen) onLogin() {
	if !l.cap.begin() {
		return
	}
	user := strings.TrimSpace(l.user.Text)
	l.result.SetText("")
	l.gauge.Clear()
	l.say(widget.MediumImportance, lang.L("Look at the camera…"))
	clicked := time.Now()
	l.cap.spawn(func(ctx context.Context) { l.run(ctx, user, clicked) })
}

func (l *loginScreen) say(imp widget.Importance, msg string) {
	before := l.message.MinSize().Height
	l.message.Importance = imp
	l.message.SetText(msg)
	if l.content != nil && l.message.MinSize().Height != before {
		// A message that wraps to more or fewer lines gets its height
		// now, not at the driver's next pass (TestPromptsStayAboveAtScreenSizes).
		l.content.Refresh()
	}
}

// run decides from the next few frames — after a liveness challenge when
// it is on. Background goroutine; ends the capture on every path.
func (l *loginScreen) run(ctx context.Context, user string, clicked time.Time) {
	checked := l.liveOn != nil && l.liveOn.Load()
	timeout := l.limits.timeout
	var cfg live.Config
	if checked {
		cfg = l.liveConfig()
		timeout += challengeTimeout(cfg)
	}
	ctx, cancel := l.cap.timeout(ctx, timeout)
	defer cancel()
	var (
		samples []sample
		err     error
		lv      = livenessNotChecked
		lres    live.Result
	)
	if checked {
		lres, samples, err = l.cap.challenge(ctx, cfg, l.limits.frames, func(st live.Status) {
			l.cap.do(func() { l.showChallenge(st) })
		})
		l.cap.do(l.hideChallenge)
		if err == nil && !lres.Live {
			l.refuseNotLive(ctx, user, lres)
			return
		}
		lv = livenessPassed
	} else {
		samples, err = l.cap.collect(ctx, l.limits.frames, singleFace, func(_ int, rejected error) {
			if rejected != nil {
				l.cap.do(func() { l.message.SetText(rejectionAdvice(rejected)) })
			}
		})
	}
	if err != nil {
		l.log.Info("login failed", "err", err)
		l.cap.do(func() {
			l.say(widget.DangerImportance, captureAdvice(err))
			l.cap.end()
		})
		return
	}
	ds, _ := descriptors(samples)
	in := loginInput{Claimed: user, Descriptors: ds, Base: l.th.get(), Adapt: l.adapt.Load(), Liveness: lv, Steps: stepsOf(lres)}
	res, err := decideLogin(l.users, in)
	elapsed := time.Since(clicked)
	if err != nil {
		l.log.Info("login refused", "user", user, "err", err)
		l.cap.do(func() {
			l.showRefused(nameAdvice(user, err))
			l.cap.end()
		})
		return
	}
	if checked {
		if swapped, ok := confirmBefore(l.users, in, res, lres); !ok {
			l.refuseNotLive(ctx, user, swapped)
			return
		}
	}
	recorded := concludeLogin(ctx, l.users, in, res, l.log, "login", []any{"mode", loginMode(user)},
		"liveness", lv.String(), "decision_ms", elapsed.Milliseconds())
	l.action.afterLogin(l.cap.tasks, res, time.Now())
	l.cap.do(func() {
		l.show(in, res, elapsed)
		l.cap.end()
		l.events.publish(userEvent{kind: userLoggedIn, user: recorded})
	})
}

// refuseNotLive records, logs and shows a login refused by its liveness
// challenge (lres not live). Background goroutine; ends the capture.
func (l *loginScreen) refuseNotLive(ctx context.Context, user string, lres live.Result) {
	why := refuseLiveness(ctx, l.users, user, lres, l.log, "login", "mode", loginMode(user))
	l.cap.do(func() {
		l.result.Importance = widget.DangerImportance
		l.result.SetText(lang.L("Liveness check failed"))
		l.say(widget.DangerImportance, livenessAdvice(why))
		l.cap.end()
	})
}

// show presents a decision. The gauge shows the distance and the user's
// threshold when someone is named — the user let in, or the one typed —
// and stays empty for a refused identification: a stranger learns neither
// who they resemble nor how close they came. UI goroutine.
func (l *loginScreen) show(in loginInput, res loginResult, elapsed time.Duration) {
	if res.Accepted() {
		l.result.Importance = widget.SuccessImportance
		l.result.SetText(lang.L("Welcome, {{.Name}}", map[string]any{"Name": res.User}))
		l.say(widget.MediumImportance, lang.L("Decided in {{.Ms}} ms from {{.Frames}} frames.", map[string]any{"Ms": elapsed.Milliseconds(), "Frames": res.Frames}))
	} else {
		l.showRefused(refusalAdvice(res, in.Claimed, false))
	}
	if res.Accepted() || in.Claimed != "" && res.Reason != decision.NoFrames {
		l.gauge.Set(res.Distance, res.Threshold.Value)
	}
}

// loginMode names a login for the log: "verify" when a name was typed.
func loginMode(user string) string {
	if user != "" {
		return "verify"
	}
	return "identify"
}

// showChallenge shows a challenge's status: the prompt large, the
// progress of the whole challenge, and the step or what is in the way.
// UI goroutine.
func (l *loginScreen) showChallenge(st live.Status) {
	shown := l.prompt.Visible()
	l.prompt.Text = promptText(st)
	l.prompt.Show()
	l.prompt.Refresh()
	l.steps.Show()
	l.steps.SetValue(st.Overall)
	l.say(widget.MediumImportance, stepText(st))
	if !shown {
		// The real driver lays a box out again only when a child's
		// minimum size changed since it last measured it visible: a
		// prompt shown again at the height it had when hidden kept the
		// place the column gave it while hidden.
		l.content.Refresh()
	}
}

func (l *loginScreen) hideChallenge() {
	if l.prompt.Visible() {
		l.prompt.Hide()
		l.steps.Hide()
		l.content.Refresh()
	}
}

// challengePrompts are the prompts a liveness challenge may show on
// Login: the prompt keeps room for the tallest (promptLabel.reserve).
func challengePrompts() []string {
	var ps []string
	for _, s := range live.AllSteps {
		ps = append(ps, promptText(live.Status{Step: s, Prompt: s.Prompt(), Arrow: s.Arrow()}))
	}
	for _, p := range []string{live.PromptLook, live.PromptDone, live.PromptFailed} {
		ps = append(ps, promptText(live.Status{Prompt: p}))
	}
	return ps
}

// livenessAdvice is the message of a login refused by its liveness
// challenge: the reason in plain words and what to do.
func livenessAdvice(why string) string {
	return lang.L("Not a live face: {{.Why}}. Press Log in and follow the prompts; a photo or a screen is never let in.", map[string]any{"Why": why})
}

func (l *loginScreen) showRefused(msg string) {
	l.result.Importance = widget.DangerImportance
	l.result.SetText(lang.L("Not recognised"))
	l.say(widget.DangerImportance, msg)
}

// setEnabled enables or disables buttons. UI goroutine.
func setEnabled(on bool, buttons ...*widget.Button) {
	for _, b := range buttons {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}
