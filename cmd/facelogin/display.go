package main

// #cgo LDFLAGS: -lX11
// #include <stdlib.h>
// #include <X11/Xlib.h>
//
// // x11_reachable opens and closes a connection to the X server named by
// // $DISPLAY, as GLFW does when the window starts: 0 if it does not
// // answer, 1 if it answers without the GLX extension (no OpenGL windows:
// // GLFW's "GLX extension not found"), 2 if it answers with GLX.
// static int x11_reachable(void) {
// 	Display *d = XOpenDisplay(NULL);
// 	if (d == NULL) return 0;
// 	int op, ev, err;
// 	int glx = XQueryExtension(d, "GLX", &op, &ev, &err);
// 	XCloseDisplay(d);
// 	return glx ? 2 : 1;
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
// ~/.Xauthority) and closes it, and asks the server for the GLX extension
// that GLFW's OpenGL windows need (without it GLFW logs "GLX extension not
// found" and the program runs on with no window); the error, exit code
// exitNoDisplay, says what to do instead.
func checkDisplay() error {
	r := C.x11_reachable()
	if r == 2 {
		return nil
	}
	why := "$DISPLAY is not set"
	d := os.Getenv("DISPLAY")
	switch {
	case r == 1:
		why = fmt.Sprintf("the X server at DISPLAY=%s has no OpenGL (GLX extension)", d)
	case d != "":
		why = fmt.Sprintf("no X server answers at DISPLAY=%s", d)
	}
	return fail(exitNoDisplay, errNoDisplay,
		"no display (%s) — run the window in a desktop session, or use the command line (facelogin --help)", why)
}
