package main

import (
	"log/slog"

	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.3/glfw"
)

// screenShare is how much of the screen the window takes at start: most of
// it, leaving the desktop's panels and a margin visible.
const screenShare = 0.9

// minWindow is the smallest start size, for tiny or unknown screens: the
// preview and the tabs side by side still fit.
var minWindow = fyne.NewSize(900, 560)

// fitToScreen sizes w to the primary screen once Fyne's loop has started
// (glfw knows the monitors then, and the loop runs on the main thread that
// glfw requires) and centres it: screenShare of the screen in Fyne units
// (pixels / the canvas scale), never below minWindow.
func fitToScreen(a fyne.App, w fyne.Window, log *slog.Logger) {
	a.Lifecycle().SetOnStarted(func() {
		m := glfw.GetPrimaryMonitor()
		if m == nil {
			return
		}
		mode := m.GetVideoMode()
		if mode == nil {
			return
		}
		size := windowSize(mode.Width, mode.Height, w.Canvas().Scale())
		w.Resize(size)
		w.CenterOnScreen()
		log.Info("window sized to the screen", "screen_px", [2]int{mode.Width, mode.Height},
			"window", [2]float32{size.Width, size.Height})
	})
}

// windowSize is the start size on a screen of w×h pixels at scale:
// screenShare of it, at least minWindow, but never more than the screen
// (on a 640×480 screen the window took 900×560 and put its tabs off the
// screen's edge).
func windowSize(w, h int, scale float32) fyne.Size {
	if scale <= 0 {
		scale = 1
	}
	sw, sh := float32(w)/scale, float32(h)/scale
	return fyne.NewSize(min(sw, max(minWindow.Width, sw*screenShare)),
		min(sh, max(minWindow.Height, sh*screenShare)))
}
