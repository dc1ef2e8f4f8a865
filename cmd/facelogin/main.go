// Command facelogin is the Face Login desktop app (the window with live
// preview, or a fullscreen kiosk) and its headless command line: detect,
// enrol, identify, verify, users, import-legacy, models.
package main

import (
	"os"
)

// quietVideoLogs are the environment variables that keep OpenCV's and
// FFmpeg's own log lines (such as "[mov,mp4,… @ 0x…] moov atom not
// found" for a damaged video) off standard error, where our sentence
// says what went wrong. OpenCV reads them when it first logs or opens a
// video (OPENCV_LOG_LEVEL in utils/logger.cpp; OPENCV_FFMPEG_LOGLEVEL in
// cap_ffmpeg_impl.hpp, -8 being AV_LOG_QUIET), so setting them before any
// camera opens is enough. A user's own setting is kept.
var quietVideoLogs = [][2]string{
	{"OPENCV_LOG_LEVEL", "ERROR"},
	{"OPENCV_FFMPEG_LOGLEVEL", "-8"},
}

func main() {
	for _, kv := range quietVideoLogs {
		if _, set := os.LookupEnv(kv[0]); !set {
			_ = os.Setenv(kv[0], kv[1])
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
