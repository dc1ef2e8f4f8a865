package main

import (
	"errors"
	"testing"

	"facelogin/camera"
)

// TestCameraStatusAttempts: a camera that gave up says how many attempts
// it made, the noun agreeing with the number (the Spanish forms are
// checked as translations by the app package's TestTranslationKeys).
func TestCameraStatusAttempts(t *testing.T) {
	boom := errors.New("no such device")
	for _, c := range []struct {
		retries int
		want    string
	}{
		{1, "failed after 1 attempt: no such device"},
		{3, "failed after 3 attempts: no such device"},
	} {
		if got := cameraStatusText("/dev/video0", camera.Status{State: camera.StateFailed, Retries: c.retries, Err: boom}); got != c.want {
			t.Errorf("%d retries: %q, want %q", c.retries, got, c.want)
		}
	}
}
