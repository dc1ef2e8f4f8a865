package app

import (
	"log/slog"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition/decision"
)

// PrefAdaptive is the preference key of the adaptive-templates setting
// (true unless the person turned it off).
const PrefAdaptive = "recognition.adaptive"

// checkSetting is a Settings screen block of one check box that applies
// at once and is kept in the preferences under key (true unless the person
// turned it off). In the kiosk, like every setting, it is behind the
// administrator PIN.
type checkSetting struct {
	prefs  fyne.Preferences
	log    *slog.Logger
	key    string       // preference key
	logKey string       // the key of the "settings saved" log line
	on     *atomic.Bool // what logins read

	check   *widget.Check
	content fyne.CanvasObject
}

// newCheckSetting reads the saved setting (on if none is saved);
// forcedOff turns it off for this run, disables the check box and shows
// forcedHelp instead of help.
func newCheckSetting(prefs fyne.Preferences, log *slog.Logger, key, logKey, label, help string, forcedOff bool, forcedHelp string) *checkSetting {
	return newCheckSettingOr(true, prefs, log, key, logKey, label, help, forcedOff, forcedHelp)
}

// newCheckSettingOr is newCheckSetting with def where nothing is saved.
func newCheckSettingOr(def bool, prefs fyne.Preferences, log *slog.Logger, key, logKey, label, help string, forcedOff bool, forcedHelp string) *checkSetting {
	c := &checkSetting{prefs: prefs, log: log, key: key, logKey: logKey, on: &atomic.Bool{}}
	saved := prefs.BoolWithFallback(key, def)
	c.on.Store(saved && !forcedOff)
	c.check = widget.NewCheck(label, c.onChanged)
	c.check.Checked = saved && !forcedOff
	if forcedOff {
		c.check.Disable()
		help = forcedHelp
	}
	text := widget.NewLabel(help)
	text.Wrapping = fyne.TextWrapWord
	c.content = container.NewVBox(widget.NewSeparator(), c.check, text)
	return c
}

func (c *checkSetting) onChanged(on bool) {
	c.on.Store(on)
	c.prefs.SetBool(c.key, on)
	c.log.Info("settings saved", c.logKey, on)
}

// newAdaptiveSetting is the block for adaptive templates; forcedOff
// (--adaptive=false) turns adaptation off for this run.
func newAdaptiveSetting(prefs fyne.Preferences, forcedOff bool, log *slog.Logger) *checkSetting {
	p := decision.DefaultAdaptPolicy
	help := lang.L("After a successful live login whose face has changed a little since registration, keep "+
		"that frame as one of at most {{.Max}} extra templates per user (at most {{.PerDay}} a day, never far from the registered "+
		"face, each in the activity log). Applies at once.", map[string]any{"Max": p.Max, "PerDay": p.PerDay})
	return newCheckSetting(prefs, log, PrefAdaptive, "adaptive_templates", lang.L("Learn from logins (adaptive templates)"),
		help, forcedOff, lang.L("Turned off for this run (--adaptive=false)."))
}
