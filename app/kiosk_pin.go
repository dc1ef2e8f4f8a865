package app

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/adminpin"
)

// pinPurpose is what a right PIN does.
type pinPurpose int

const (
	pinUnlock pinPurpose = iota // show the normal screens
	pinExit                     // leave the kiosk
)

func (p pinPurpose) String() string {
	if p == pinExit {
		return "exit"
	}
	return "unlock"
}

// pinPanel asks for the administrator PIN over the kiosk.
type pinPanel struct {
	k       *Kiosk
	title   *widget.Label
	entry   *widget.Entry
	ok      *widget.Button
	cancel  *widget.Button
	busy    *widget.Activity // turns while the PIN is checked (~0.5 s of argon2id)
	message *widget.Label
	content *fyne.Container
}

func newPINPanel(k *Kiosk) *pinPanel {
	p := &pinPanel{k: k}
	p.title = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	p.title.SizeName = theme.SizeNameHeadingText
	p.entry = widget.NewPasswordEntry()
	p.entry.SetPlaceHolder(lang.L("Administrator PIN"))
	p.entry.OnSubmitted = func(string) { k.submitPIN() }
	p.entry.OnChanged = func(string) { k.noteInput() }
	p.ok = &widget.Button{Text: lang.L("OK"), Importance: widget.HighImportance, OnTapped: k.submitPIN}
	p.cancel = &widget.Button{Text: lang.L("Cancel"), OnTapped: k.closePIN}
	p.busy = widget.NewActivity()
	p.busy.Hide()
	p.message = widget.NewLabel("")
	p.message.Wrapping = fyne.TextWrapWord
	width := canvas.NewRectangle(nil)
	width.SetMinSize(fyne.NewSize(420, 0))
	card := container.NewStack(
		canvas.NewRectangle(theme.Color(theme.ColorNameBackground)),
		container.NewPadded(container.NewVBox(width, p.title, p.entry, p.message,
			container.NewHBox(p.busy, layout.NewSpacer(), p.cancel, p.ok))),
	)
	p.content = container.NewStack(canvas.NewRectangle(kioskVeil), container.NewCenter(card))
	p.content.Hide()
	return p
}

// openPIN asks for the PIN. UI goroutine.
func (k *Kiosk) openPIN(purpose pinPurpose) {
	p := k.pin
	k.pinFor = purpose
	k.paused.Store(true)
	if purpose == pinExit {
		p.title.SetText(lang.L("Leave the kiosk"))
	} else {
		p.title.SetText(lang.L("Administrator"))
	}
	p.entry.SetText("")
	p.content.Show()
	k.noteInput()
	k.pinOpen.Store(true)
	if k.opts.CheckPIN == nil {
		p.entry.Disable()
		p.ok.Disable()
		p.say(lang.L("No administrator PIN is set. Set one on this computer with: facelogin admin set-pin"), widget.DangerImportance)
		return
	}
	k.updatePINWait()
	k.s.win.Canvas().Focus(p.entry)
	k.s.log.Info("kiosk: PIN panel opened", "purpose", purpose)
}

// closePIN hides the PIN panel and resumes identification. UI goroutine.
func (k *Kiosk) closePIN() {
	k.pinOpen.Store(false)
	k.pin.entry.SetText("")
	k.pin.content.Hide()
	if !k.unlocked {
		k.paused.Store(false)
	}
}

func (p *pinPanel) say(msg string, imp widget.Importance) {
	p.message.Importance = imp
	p.message.SetText(msg)
}

// submitPIN checks the typed PIN off the UI goroutine: the check costs
// ~0.5 s (argon2id, 128 MiB; more on a busy kiosk), shown as "Checking
// PIN…" with a turning indicator and the entry and both buttons disabled
// until the answer (a Cancel in between would leave the answer nowhere to
// go). The try is
// recorded as wrong before the check (adminpin.Attempts.Failed) and cleared
// if the PIN is right. UI goroutine.
func (k *Kiosk) submitPIN() {
	p := k.pin
	now := k.now()
	if k.opts.CheckPIN == nil || k.pinChecking || now.Before(k.pinWaitUntil) {
		return
	}
	pin := p.entry.Text
	if pin == "" {
		return
	}
	k.pinChecking = true
	p.entry.Disable()
	p.ok.Disable()
	p.cancel.Disable()
	p.busy.Show()
	p.busy.Start()
	p.say(lang.L("Checking PIN…"), widget.MediumImportance)
	check, record := k.opts.CheckPIN, k.opts.PINAttempts
	before := adminpin.Attempts{Failures: k.pinFailures, NextAt: k.pinWaitUntil}
	failed := before.Failed(k.pinBackoff(), now)
	k.s.tasks.Go(func(context.Context) {
		k.savePINAttempts(record, failed)
		ok, err := check(pin)
		switch {
		case err != nil:
			k.savePINAttempts(record, before) // not a wrong PIN
		case ok:
			k.savePINAttempts(record, adminpin.Attempts{})
		}
		k.s.tasks.do(func() { k.pinChecked(ok, err, failed) })
	})
}

// savePINAttempts writes the record of wrong PINs, if there is one. A
// record that cannot be written is logged: the back-off then holds until
// the kiosk restarts. Any goroutine.
func (k *Kiosk) savePINAttempts(record adminpin.AttemptStore, a adminpin.Attempts) {
	if record == nil {
		return
	}
	if err := record.Save(a); err != nil {
		k.s.log.Error("kiosk: record wrong administrator PINs; the back-off will not survive a restart", "err", err)
	}
}

// resumePINAttempts takes up the back-off where the last run left it. UI
// goroutine, at Start.
func (k *Kiosk) resumePINAttempts() {
	if k.opts.PINAttempts == nil || k.opts.CheckPIN == nil {
		return
	}
	a, replaced := adminpin.Resume(k.opts.PINAttempts, k.pinBackoff(), k.now())
	if replaced != nil {
		k.s.log.Warn("kiosk: the record of wrong administrator PINs was missing or damaged; PIN tries wait as after many wrong PINs",
			"err", replaced, "failures", a.Failures, "wait", a.NextAt.Sub(k.now()).Round(time.Second))
	} else if a.Failures > 0 {
		k.s.log.Info("kiosk: wrong administrator PINs from before the restart", "failures", a.Failures, "next", a.NextAt)
	}
	k.pinFailures, k.pinWaitUntil = a.Failures, a.NextAt
}

func (k *Kiosk) pinBackoff() adminpin.Backoff {
	return adminpin.Backoff{First: k.opts.PINBackoff, Max: k.opts.MaxPINBackoff}
}

// pinChecked acts on the answer; failed is the record of this try had it
// been wrong. UI goroutine.
func (k *Kiosk) pinChecked(ok bool, err error, failed adminpin.Attempts) {
	p := k.pin
	k.pinChecking = false
	p.busy.Stop()
	p.busy.Hide()
	p.cancel.Enable()
	p.entry.SetText("")
	switch {
	case err != nil:
		k.s.log.Error("kiosk: check administrator PIN", "err", err)
		p.entry.Enable()
		p.ok.Enable()
		p.say(lang.L("The PIN could not be checked — see the log"), widget.DangerImportance)
	case !ok:
		k.pinFailures, k.pinWaitUntil = failed.Failures, failed.NextAt
		k.s.log.Warn("kiosk: wrong administrator PIN", "station", k.opts.Station, "failures", k.pinFailures,
			"wait", k.pinBackoff().Wait(k.pinFailures))
		k.updatePINWait()
	default:
		k.pinFailures = 0
		k.pinWaitUntil = time.Time{}
		p.entry.Enable()
		p.ok.Enable()
		p.say("", widget.MediumImportance)
		p.content.Hide()
		if k.pinFor == pinExit {
			k.exit()
			return
		}
		k.unlock()
	}
}

// updatePINWait shows the back-off after wrong PINs and counts it down
// once a second, then enables the entry again. UI goroutine.
func (k *Kiosk) updatePINWait() {
	p := k.pin
	left := k.pinWaitUntil.Sub(k.now())
	if left <= 0 {
		p.entry.Enable()
		p.ok.Enable()
		if p.content.Visible() {
			k.s.win.Canvas().Focus(p.entry) // disabling took the focus away
		}
		if k.pinFailures > 0 {
			p.say(lang.L("Wrong PIN — try again"), widget.DangerImportance)
		} else {
			p.say("", widget.MediumImportance)
		}
		return
	}
	p.entry.Disable()
	p.ok.Disable()
	p.say(lang.L("Wrong PIN — try again in {{.Wait}}", map[string]any{"Wait": waitText(left)}), widget.DangerImportance)
	next := left % time.Second
	if next == 0 {
		next = time.Second
	}
	// One countdown at a time, however often the panel opens.
	if k.pinTimer != nil {
		k.pinTimer.Stop()
	}
	if k.s.tasks.ctx.Err() == nil {
		k.pinTimer = time.AfterFunc(next, func() { k.s.tasks.do(k.updatePINWait) })
	}
}
