package main

import (
	"fmt"

	"fyne.io/fyne/v2/lang"

	"facelogin/camera"
)

// cameraStatusText is the window's camera status line in its language
// (the translations are app's): "/dev/video0 running 640x480" (the window adds the measured frame rate),
// "failed after 3 attempts: …". camera.Status.String is the English one,
// for logs.
func cameraStatusText(source string, st camera.Status) string {
	switch st.State {
	case camera.StateRunning:
		// The window adds the frame rate it measures: a source's nominal
		// rate (st.FPS) is not what a webcam delivers in the dark.
		return lang.L("{{.Source}} running {{.Width}}x{{.Height}}", map[string]any{"Source": source,
			"Width": st.Size.X, "Height": st.Size.Y})
	case camera.StateStarting:
		return lang.L("starting")
	case camera.StateReconnecting:
		return lang.L("reconnecting (attempt {{.N}}): {{.Err}}", map[string]any{"N": st.Retries + 1, "Err": fmt.Sprint(st.Err)})
	case camera.StateEnded:
		return lang.L("ended")
	case camera.StateFailed:
		if st.Retries == 1 {
			return lang.L("failed after 1 attempt: {{.Err}}", map[string]any{"Err": fmt.Sprint(st.Err)})
		}
		return lang.L("failed after {{.N}} attempts: {{.Err}}", map[string]any{"N": st.Retries, "Err": fmt.Sprint(st.Err)})
	case camera.StateClosed:
		return lang.L("closed")
	}
	return st.String()
}
