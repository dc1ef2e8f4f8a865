package app

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/onlogin"
)

// onLoginAction is the administrator's command run after a successful live
// login (internal/onlogin), and the audit log its results go to. The
// settings screen replaces the command while the window runs.
type onLoginAction struct {
	runner  atomic.Pointer[onlogin.Runner] // nil: no action
	rec     OnLoginRecorder                // nil: results are only logged
	station string                         // FACELOGIN_STATION when the decision names none
	log     *slog.Logger
}

// recordTimeout bounds writing a login or an on-login result to the audit log, which
// happens even when the window is closing.
const recordTimeout = 5 * time.Second

// recordContext is ctx for a write to the audit log that must happen even
// when ctx ends (the window closing, SIGTERM): not cancelled with it, bounded
// by recordTimeout.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

func newOnLoginAction(r *onlogin.Runner, rec OnLoginRecorder, station string, log *slog.Logger) *onLoginAction {
	a := &onLoginAction{rec: rec, station: station, log: log}
	a.runner.Store(r)
	return a
}

// set makes r the command run from the next login on (nil: none). Any
// goroutine.
func (a *onLoginAction) set(r *onlogin.Runner) { a.runner.Store(r) }

// get is the command in force, nil for none. Any goroutine.
func (a *onLoginAction) get() *onlogin.Runner { return a.runner.Load() }

// runOnLogin runs the on-login action for d and records what it did in the
// audit log (an on_login event: "exit 0", "exit 3: relay offline", "timed
// out after 10s, killed"). It does nothing, and reports false, when no
// action is set or d is not a successful live login (d.LiveSuccess): a
// refused attempt or one whose liveness check failed never runs it. It
// waits for the command — at most its timeout plus onlogin.KillGrace — so
// the login path calls it on a background goroutine after showing the
// result; ctx ending (the window closing) stops the command, and the
// result is still recorded.
func (a *onLoginAction) runOnLogin(ctx context.Context, d onlogin.Decision) (onlogin.Result, bool) {
	r := a.get()
	if r == nil {
		return onlogin.Result{}, false
	}
	if d.Station == "" {
		d.Station = a.station
	}
	login, ok := d.LiveSuccess()
	if !ok {
		return onlogin.Result{}, false
	}
	res := r.Run(ctx, login)
	detail := res.Detail()
	if res.OK() {
		a.log.Info("on-login action", "user", d.User, "result", detail, "ms", res.Duration.Milliseconds())
	} else {
		a.log.Warn("on-login action failed", "user", d.User, "result", detail, "ms", res.Duration.Milliseconds())
	}
	if a.rec != nil {
		rctx, cancel := recordContext(ctx)
		defer cancel()
		if err := a.rec.RecordOnLogin(rctx, d.User, detail); err != nil {
			a.log.Error("record on-login action", "user", d.User, "err", err)
		}
	}
	return res, true
}

// afterLogin starts the on-login action for a login decided at at, on a
// goroutine of t (the result is on screen without waiting for the
// command; the window closing stops it, and its result is still
// recorded). It starts nothing for a refused login or one whose liveness
// check failed. The window and the kiosk decide only after a passed
// challenge; with the liveness setting off (livenessNotChecked) an
// accepted login runs the action without proof that a live person was in
// front of the camera.
func (a *onLoginAction) afterLogin(t *tasks, res loginResult, at time.Time) {
	if !res.Accepted() || res.Liveness == livenessFailed || a.get() == nil {
		return
	}
	d := onlogin.Decision{Success: true, Live: true, User: res.User, Distance: res.Distance, At: at}
	t.Go(func(ctx context.Context) { a.runOnLogin(ctx, d) })
}

// Limits of the on-login timeout offered in the settings.
const (
	minOnLoginTimeout = time.Second
	maxOnLoginTimeout = 10 * time.Minute
)

// onLoginField edits the on-login command and its timeout in the settings.
type onLoginField struct {
	command *widget.Entry
	timeout *widget.Entry // seconds
	items   []*widget.FormItem
	help    *widget.Label
}

func newOnLoginField(s Settings) *onLoginField {
	f := &onLoginField{command: widget.NewEntry(), timeout: widget.NewEntry()}
	f.command.SetPlaceHolder(lang.L(`["/usr/local/bin/open-door", "front"] or /usr/local/bin/open-door`))
	f.command.SetText(s.OnLogin)
	f.timeout.SetText(formatSeconds(s.OnLoginTimeout))
	f.items = []*widget.FormItem{
		widget.NewFormItem(lang.L("On-login command"), f.command),
		widget.NewFormItem(lang.L("Its time limit (s)"), container.NewGridWithColumns(3, f.timeout)),
	}
	f.help = widget.NewLabel(lang.L("The on-login command runs after each successful login with FACELOGIN_USER, " +
		"FACELOGIN_STATION, FACELOGIN_DISTANCE and FACELOGIN_TIME set; it is never given to a shell. " +
		"Its result is in the Activity log. Leave it empty for none."))
	f.help.Wrapping = fyne.TextWrapWord
	return f
}

// read returns the command and timeout typed, checked, and the runner for
// them (nil for no command). The error is a sentence for people.
func (f *onLoginField) read() (command string, timeout time.Duration, r *onlogin.Runner, err error) {
	command = strings.TrimSpace(f.command.Text)
	secs, perr := strconv.ParseFloat(strings.TrimSpace(f.timeout.Text), 64)
	timeout = time.Duration(math.Round(secs*1000)) * time.Millisecond
	if perr != nil || math.IsNaN(secs) || timeout < minOnLoginTimeout || timeout > maxOnLoginTimeout {
		return "", 0, nil, advice(lang.L("The on-login time limit must be a number of seconds from {{.Min}} to {{.Max}}.",
			map[string]any{"Min": formatSeconds(minOnLoginTimeout), "Max": formatSeconds(maxOnLoginTimeout)}))
	}
	argv, err := onlogin.ParseArgv(command)
	if err != nil {
		return "", 0, nil, advice(lang.L("The on-login command can't be used: {{.Err}}. Write it as a JSON array, program first: "+
			`["/usr/local/bin/open-door", "front"].`, map[string]any{"Err": strings.TrimPrefix(err.Error(), "onlogin: ")}))
	}
	if argv == nil {
		return "", timeout, nil, nil
	}
	if r, err = onlogin.New(argv, timeout); err != nil {
		return "", 0, nil, advice(lang.L("The on-login program can't be run: {{.Err}}.", map[string]any{"Err": onLoginStartError(err)}))
	}
	return onlogin.FormatArgv(argv), timeout, r, nil
}

// onLoginStartError is why onlogin.New refused a program, for people.
func onLoginStartError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "onlogin: ")
	if errors.Is(err, exec.ErrNotFound) {
		return msg + " — " + lang.L("give its absolute path")
	}
	return msg
}

// advice is an error whose text is a sentence for people, shown as it is
// (capitalised, with its full stop).
type advice string

func (a advice) Error() string { return string(a) }

// formatSeconds writes d in seconds for the time limit entry: "10", "2.5".
func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}
