package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"facelogin/app"
	"facelogin/camera"
)

// switchingCamera is the window's camera: one camera.Camera at a time,
// which the settings replace while the window runs (app.CameraSwitcher).
// The new camera is opened first, then put in place, then the old one is
// closed (camera.Camera.Close waits for its capture goroutine and frees
// its source and Mats). Frame numbers keep growing across switches, so the
// preview and the detector take the new camera's first frame for a new
// one.
type switchingCamera struct {
	ctx  context.Context // cameras opened later stop with it too
	opts camera.Options
	log  *slog.Logger

	// firstFrame bounds how long a switch waits for the new camera's first
	// picture before it gives up and keeps the old camera; 0 is
	// firstFrameWait. Tests shorten it.
	firstFrame time.Duration

	switching sync.Mutex // one switch at a time
	closed    bool       // guarded by switching

	mu   sync.Mutex
	cam  *camera.Camera
	base uint64 // added to the camera's frame numbers
	last uint64 // the largest frame number handed out
}

var (
	_ app.FrameSource    = (*switchingCamera)(nil)
	_ app.CameraSwitcher = (*switchingCamera)(nil)
)

// openSwitchingCamera opens src as camera.Open does.
func openSwitchingCamera(ctx context.Context, src camera.Source, opts camera.Options, log *slog.Logger) (*switchingCamera, error) {
	cam, err := camera.Open(ctx, src, opts)
	if err != nil {
		return nil, err
	}
	return &switchingCamera{ctx: ctx, opts: opts, log: log, cam: cam}, nil
}

// current is the camera in use.
func (s *switchingCamera) current() *camera.Camera {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cam
}

// Latest is the newest frame of the camera in use.
func (s *switchingCamera) Latest() (app.Frame, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.cam.Latest()
	if !ok {
		return app.Frame{}, false
	}
	seq := s.base + f.Seq
	s.last = max(s.last, seq)
	return app.Frame{Image: f.Image, Seq: seq, Time: f.Time}, true
}

// Status is the status line of the camera in use.
func (s *switchingCamera) Status() app.CameraStatus { return cameraSource{s.current()}.Status() }

// Cameras lists the V4L2 capture devices present.
func (s *switchingCamera) Cameras() ([]app.CameraDevice, error) {
	ds, err := camera.Devices()
	out := make([]app.CameraDevice, len(ds))
	for i, d := range ds {
		out[i] = app.CameraDevice{Name: d.String(), Source: d.Path, Index: d.Number}
	}
	return out, err
}

// firstFrameWait is how long a switch waits for the new camera's first
// picture. A webcam's first frame takes a second or two; a device that is
// not there, or a stream that does not answer, sends none.
const firstFrameWait = 10 * time.Second

// SwitchCamera opens source and makes it the camera in use once it has
// delivered a picture, then closes the old one. A source that cannot be
// opened, or that sends no picture within firstFrameWait (a device that is
// not there, a stream that does not answer: app.ErrCameraNoPictures),
// leaves the old camera in use.
func (s *switchingCamera) SwitchCamera(ctx context.Context, source string) error {
	src, err := camera.ParseSource(source)
	if err != nil {
		return fmt.Errorf("%w: %w", app.ErrBadCameraSource, err)
	}
	s.switching.Lock()
	defer s.switching.Unlock()
	if s.closed {
		return camera.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	old := s.current()
	if old.Source() == src {
		return nil
	}
	// The window's context, not the request's: the camera lives on.
	cam, err := camera.Open(s.ctx, src, s.opts)
	if errors.Is(err, camera.ErrCannotOpen) {
		err = fmt.Errorf("%w: %w", app.ErrCameraUnreadable, err)
	}
	if err != nil {
		return err
	}
	wait := s.firstFrame
	if wait <= 0 {
		wait = firstFrameWait
	}
	fctx, cancel := context.WithTimeout(ctx, wait)
	_, err = cam.Wait(fctx, 0)
	cancel()
	if err != nil {
		st := cam.Status()
		if cerr := cam.Close(); cerr != nil {
			s.log.Warn("close the camera that sent no pictures", "source", src, "err", cerr)
		}
		if st.Err != nil {
			err = st.Err
		}
		return fmt.Errorf("%w: %s: %w", app.ErrCameraNoPictures, src, err)
	}
	s.mu.Lock()
	s.cam, s.base = cam, s.last
	s.mu.Unlock()
	s.log.Info("camera", "source", src, "was", old.Source())
	if err := old.Close(); err != nil {
		s.log.Warn("close the previous camera", "source", old.Source(), "err", err)
	}
	return nil
}

// Close closes the camera in use and waits for it.
func (s *switchingCamera) Close() error {
	s.switching.Lock()
	defer s.switching.Unlock()
	s.closed = true
	return s.current().Close()
}
