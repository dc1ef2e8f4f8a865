package app

import (
	"fmt"
	"log/slog"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition/decision"
)

// PrefAdaptive is the preference key of the adaptive-templates setting
// (true unless the person turned it off).
const PrefAdaptive = "recognition.adaptive"

// adaptiveSetting is the Settings screen's block for adaptive templates: a
// check box that applies at once and is kept in the preferences. In the
// kiosk, like every setting, it is behind the administrator PIN.
type adaptiveSetting struct {
	prefs fyne.Preferences
	log   *slog.Logger
	on    *atomic.Bool // what logins read

	check   *widget.Check
	content fyne.CanvasObject
}

// newAdaptiveSetting reads the saved setting; forcedOff (--adaptive=false)
// turns adaptation off for this run and disables the check box.
func newAdaptiveSetting(prefs fyne.Preferences, forcedOff bool, log *slog.Logger) *adaptiveSetting {
	a := &adaptiveSetting{prefs: prefs, log: log, on: &atomic.Bool{}}
	saved := prefs.BoolWithFallback(PrefAdaptive, true)
	a.on.Store(saved && !forcedOff)
	a.check = widget.NewCheck("Learn from logins (adaptive templates)", a.onChanged)
	a.check.Checked = saved && !forcedOff
	p := decision.DefaultAdaptPolicy
	help := fmt.Sprintf("After a successful live login whose face has changed a little since registration, keep "+
		"that frame as one of at most %d extra templates per user (at most %d a day, never far from the registered "+
		"face, each in the activity log). Applies at once.", p.Max, p.PerDay)
	if forcedOff {
		a.check.Disable()
		help = "Turned off for this run (--adaptive=false)."
	}
	label := widget.NewLabel(help)
	label.Wrapping = fyne.TextWrapWord
	a.content = container.NewVBox(widget.NewSeparator(), a.check, label)
	return a
}

func (a *adaptiveSetting) onChanged(on bool) {
	a.on.Store(on)
	a.prefs.SetBool(PrefAdaptive, on)
	a.log.Info("settings saved", "adaptive_templates", on)
}
