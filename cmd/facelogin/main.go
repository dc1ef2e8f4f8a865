// Command facelogin is the Face Login desktop app (the window with live
// preview, or a fullscreen kiosk) and its headless command line: detect,
// enrol, identify, verify, users, import-legacy, models.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
