package camera

import (
	"fmt"
	"image"
	"strconv"
	"time"
)

// State is where a Camera is in its life.
type State int

const (
	// StateStarting: Open returned and the first frame has not arrived yet.
	StateStarting State = iota
	// StateRunning: frames are arriving.
	StateRunning
	// StateReconnecting: the source is missing, busy or died; the camera
	// waits until Status.RetryAt and opens it again.
	StateReconnecting
	// StateEnded: a file or sequence played to its end with Options.NoLoop.
	StateEnded
	// StateFailed: Options.MaxRetries reopen attempts failed in a row.
	StateFailed
	// StateClosed: Close was called or Open's context was cancelled.
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateRunning:
		return "running"
	case StateReconnecting:
		return "reconnecting"
	case StateEnded:
		return "ended"
	case StateFailed:
		return "failed"
	case StateClosed:
		return "closed"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Done reports whether the camera has stopped for good: no more frames and
// no more status changes will come.
func (s State) Done() bool { return s >= StateEnded }

// Status is a snapshot of a camera's state, for display and logs.
type Status struct {
	State State
	// Err is why the camera is reconnecting or failed: the last open or
	// read error. Nil while starting, running, ended or closed.
	Err error
	// Retries counts failed attempts to (re)open the source since the last
	// frame arrived.
	Retries int
	// RetryAt is when the next attempt happens, while reconnecting.
	RetryAt time.Time
	// Size and FPS describe the open source: the size of the frames as
	// delivered (after any downscaling) and the nominal frame rate, or 0
	// when the source does not tell. Set while running.
	Size image.Point
	FPS  float64
}

// String is for logs; messages for people are written by the app.
func (s Status) String() string {
	switch s.State {
	case StateRunning:
		return fmt.Sprintf("running %dx%d @ %.3g fps", s.Size.X, s.Size.Y, s.FPS)
	case StateReconnecting:
		in := max(0, time.Until(s.RetryAt))
		if in < time.Second {
			in = in.Round(10 * time.Millisecond)
		} else {
			in = in.Round(100 * time.Millisecond)
		}
		return fmt.Sprintf("reconnecting in %v (attempt %d): %v", in, s.Retries+1, s.Err)
	case StateFailed:
		return fmt.Sprintf("failed after %d attempts: %v", s.Retries, s.Err)
	}
	return s.State.String()
}
