package main

import (
	"errors"
	"io/fs"

	"fyne.io/fyne/v2"

	"facelogin/app"
	"facelogin/internal/adminpin"
)

// kioskPINFile finds the administrator PIN file before anything slow is
// opened: a kiosk without a PIN could not be left, so it does not start.
func kioskPINFile(flagValue string) (string, error) {
	path, err := adminpin.Path(flagValue)
	if err != nil {
		return "", fail(exitInternal, err, "%v", err)
	}
	if _, err := adminpin.ReadFile(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fail(exitUsage, err, "no administrator PIN is set (%s): run `facelogin admin set-pin` first — without one the kiosk could not be left", path)
		}
		return "", fail(exitUsage, err, "administrator PIN: %v\n  set it again with `facelogin admin set-pin`", err)
	}
	return path, nil
}

// runKiosk shows the fullscreen kiosk until an administrator leaves it.
// The store writes station into the audit log with every identification.
func runKiosk(a fyne.App, deps app.Deps, opts app.Options, station, pinFile string) {
	k := app.NewKiosk(a, deps, opts, app.KioskOptions{
		Station:     station,
		CheckPIN:    adminpin.Checker(pinFile),
		PINAttempts: adminpin.AttemptsFile(pinFile),
	})
	opts.Logger.Info("kiosk started", "station", station, "pin_file", pinFile)
	if h, err := adminpin.ReadFile(pinFile); err == nil && h.Cheaper(adminpin.DefaultParams) {
		opts.Logger.Warn("the administrator PIN is hashed at a lower cost than this version's; set it again with `facelogin admin set-pin`",
			"hash", h.Params, "current", adminpin.DefaultParams)
	}
	k.ShowAndRun()
}
