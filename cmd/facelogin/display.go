package main

// #cgo LDFLAGS: -lX11
// #include <stdlib.h>
// #include <X11/Xlib.h>
//
// // x11_reachable opens and closes a connection to the X server named by
// // $DISPLAY, as GLFW does when the window starts: 1 if it answers.
// static int x11_reachable(void) {
// 	Display *d = XOpenDisplay(NULL);
// 	if (d == NULL) return 0;
// 	XCloseDisplay(d);
// 	return 1;
// }
import "C"

import (
	"errors"
	"fmt"
	"os"
)

// errNoDisplay is the window started where no X server answers.
var errNoDisplay = errors.New("no display")

// checkDisplay tells, before the window opens, whether it can: Fyne's
// desktop driver (GLFW, X11; XWayland in a Wayland session) connects to the
// X server named by $DISPLAY, and without one GLFW fails to initialise and
// Fyne panics creating the window (exit 2 with a stack trace). It opens the
// same connection GLFW would (XOpenDisplay, which also applies
// ~/.Xauthority) and closes it; the error, exit code exitNoDisplay, says
// what to do instead.
func checkDisplay() error {
	if C.x11_reachable() == 1 {
		return nil
	}
	why := "$DISPLAY is not set"
	if d := os.Getenv("DISPLAY"); d != "" {
		why = fmt.Sprintf("no X server answers at DISPLAY=%s", d)
	}
	return fail(exitNoDisplay, errNoDisplay,
		"no display (%s) — run the window in a desktop session, or use the command line (facelogin --help)", why)
}
