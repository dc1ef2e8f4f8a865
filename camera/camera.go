// Package camera reads frames from a webcam, a video file, an image sequence
// or a network stream on one goroutine and hands consumers the newest frame
// as a plain *image.RGBA. A slow consumer skips frames instead of queueing
// them. A source that is missing, busy or dies is reopened with exponential
// backoff; files and sequences loop and are paced at their own frame rate,
// so a demo video plays like a camera.
//
// gocv stays inside this package: nothing it exports holds a gocv.Mat.
package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"time"

	"gocv.io/x/gocv"
)

// Frame is one captured picture.
type Frame struct {
	// Image is never written after the frame is published: callers may
	// keep it, share it between goroutines and draw copies of it.
	Image *image.RGBA
	// Seq numbers frames from 1, increasing by one per captured frame
	// across loops and reconnects; a gap means a consumer skipped frames.
	Seq uint64
	// Time is when the frame was published.
	Time time.Time
}

// Options tune Open. The zero value is usable.
type Options struct {
	// Width and Height are the frame size asked of a device. For every
	// source, a frame larger than Width x Height is scaled down to fit,
	// keeping its aspect ratio; smaller frames are left alone. 0 = as is.
	Width, Height int
	// FPS is the frame rate asked of a device, and the rate at which files
	// and sequences play (default: the file's own rate, or 30 fps for a
	// sequence). Negative: read files as fast as they decode (benchmarks).
	FPS float64
	// NoLoop stops a file or sequence at its end (StateEnded) instead of
	// starting it again.
	NoLoop bool
	// BackoffMin and BackoffMax bound the wait between attempts to reopen a
	// failed source; it doubles after each failed attempt. Defaults 250ms
	// and 8s.
	BackoffMin, BackoffMax time.Duration
	// MaxRetries > 0 gives up (StateFailed) after that many failed reopen
	// attempts in a row; 0 retries forever, the right thing for a camera
	// that someone may plug back in.
	MaxRetries int
	// Logger gets state changes; nil discards them.
	Logger *slog.Logger
	// OnStatus, if set, is called with every state change, in order, on
	// the capture goroutine. It must return quickly (a UI hands the status
	// to fyne.Do) and must not call Close. The last call (a finished
	// state) happens before Close returns, unless Close gave up waiting
	// (ErrCloseTimeout).
	OnStatus func(Status)
}

const (
	defaultBackoffMin = 250 * time.Millisecond
	defaultBackoffMax = 8 * time.Second
	// defaultFPS paces a source that does not tell its frame rate.
	defaultFPS = 30
	// badReadLimit failed or empty reads in a row mean the source died.
	badReadLimit = 3
)

var (
	// ErrClosed is returned by Wait once the camera is closed.
	ErrClosed = errors.New("camera: closed")
	// ErrEnded is returned by Wait once a file played to its end with
	// Options.NoLoop.
	ErrEnded = errors.New("camera: source ended")
	// ErrFailed is returned by Wait, wrapped with the last error, once
	// Options.MaxRetries attempts failed.
	ErrFailed = errors.New("camera: source failed")
	// ErrCannotOpen means OpenCV could not open an existing file, device or
	// stream (not a video, unsupported codec, busy device, unreachable
	// stream, ...).
	ErrCannotOpen = errors.New("opencv cannot open it")
	// ErrNoFrame means a source that was open stopped giving frames.
	ErrNoFrame = errors.New("no frame")
)

// Camera owns one capture goroutine. Its methods are safe for concurrent use.
type Camera struct {
	src  Source
	opts Options
	log  *slog.Logger

	cancel    context.CancelFunc
	stopping  <-chan struct{} // closed by Close or by Open's context
	done      chan struct{}   // closed when the capture goroutine has exited
	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	latest  Frame
	notify  chan struct{} // closed and replaced when a frame is published
	status  Status
	stopErr error // what Wait returns once done is closed
}

// Open starts capturing from src. It fails at once for a file or sequence
// that does not exist (errors.Is(err, fs.ErrNotExist)) or that OpenCV cannot
// read (ErrCannotOpen). A device or stream that is missing or unreachable
// right now does not make Open fail: the camera reports StateReconnecting
// and keeps trying, since a camera can be plugged in later.
//
// The camera stops when ctx is cancelled or Close is called; call Close in
// either case to wait for the capture to be released.
func Open(ctx context.Context, src Source, opts Options) (*Camera, error) {
	if src.Kind < KindDevice || src.Kind > KindStream {
		return nil, fmt.Errorf("%w: %v (use ParseSource)", ErrBadSource, src.Kind)
	}
	if err := opts.fill(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("camera: open %s: %w", src, err)
	}
	var vc *gocv.VideoCapture
	if !src.live() {
		var err error
		if vc, err = openCapture(src, opts); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &Camera{
		src:      src,
		opts:     opts,
		log:      opts.Logger.With("camera", src.String()),
		cancel:   cancel,
		stopping: ctx.Done(),
		done:     make(chan struct{}),
		notify:   make(chan struct{}),
		status:   Status{State: StateStarting},
	}
	go c.run(ctx, vc)
	return c, nil
}

func (o *Options) fill() error {
	if o.Width < 0 || o.Height < 0 || o.BackoffMin < 0 || o.BackoffMax < 0 || o.MaxRetries < 0 {
		return errors.New("camera: negative option")
	}
	if o.BackoffMin == 0 {
		o.BackoffMin = defaultBackoffMin
	}
	if o.BackoffMax == 0 {
		o.BackoffMax = max(defaultBackoffMax, o.BackoffMin)
	}
	if o.BackoffMin > o.BackoffMax {
		return fmt.Errorf("camera: backoff min %v above max %v", o.BackoffMin, o.BackoffMax)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Source returns the source the camera was opened with.
func (c *Camera) Source() Source { return c.src }

// Latest returns the newest frame, and false if none has arrived yet. It
// never blocks.
func (c *Camera) Latest() (Frame, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latest, c.latest.Seq > 0
}

// Wait returns the newest frame once its Seq is above after, blocking until
// one arrives. Pass the Seq of the last frame handled (0 at first) to get
// each new frame once; frames that arrived meanwhile are skipped. It fails
// with ctx's error, or once the camera stopped with ErrClosed, ErrEnded or
// ErrFailed.
func (c *Camera) Wait(ctx context.Context, after uint64) (Frame, error) {
	for {
		c.mu.Lock()
		f, ch := c.latest, c.notify
		c.mu.Unlock()
		if f.Seq > after {
			return f, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Frame{}, ctx.Err()
		case <-c.stopping:
			if f, ok := c.Latest(); ok && f.Seq > after {
				return f, nil
			}
			return Frame{}, ErrClosed
		case <-c.done:
			c.mu.Lock()
			f, err := c.latest, c.stopErr
			c.mu.Unlock()
			if f.Seq > after {
				return f, nil
			}
			return Frame{}, err
		}
	}
}

// Status returns the camera's current state.
func (c *Camera) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// closeWait bounds how long Close waits for a capture stuck in OpenCV.
const closeWait = 3 * time.Second

// ErrCloseTimeout is returned by Close when the capture goroutine is stuck
// in a call into OpenCV: a network stream that stopped answering blocks
// FFmpeg for up to 30 s. The goroutine then releases the capture and exits
// on its own, and reports StateClosed after Close returned.
var ErrCloseTimeout = errors.New("camera: capture still busy, released in the background")

// Close stops the capture goroutine and releases the source, waiting for
// both (but see ErrCloseTimeout). It is safe to call more than once and
// from several goroutines; later calls return what the first returned.
func (c *Camera) Close() error {
	c.closeOnce.Do(func() {
		c.cancel()
		timer := time.NewTimer(closeWait)
		defer timer.Stop()
		select {
		case <-c.done:
		case <-timer.C:
			c.log.Warn("camera close: capture busy in OpenCV, releasing it in the background", "waited", closeWait)
			c.closeErr = fmt.Errorf("camera: close %s: %w", c.src, ErrCloseTimeout)
			return
		}
		c.mu.Lock()
		changed := c.status.State != StateClosed
		c.stopErr = ErrClosed
		c.mu.Unlock()
		if changed {
			// The source had ended or failed before Close: report the close too.
			c.setStatus(Status{State: StateClosed})
		}
	})
	return c.closeErr
}

func (c *Camera) setStatus(s Status) {
	c.mu.Lock()
	prev := c.status
	c.status = s
	c.mu.Unlock()

	switch s.State {
	case StateRunning:
		c.log.Info("camera running", "size", fmt.Sprintf("%dx%d", s.Size.X, s.Size.Y), "fps", s.FPS)
	case StateReconnecting:
		level := slog.LevelWarn
		if prev.State == StateReconnecting {
			level = slog.LevelDebug // one warning per outage, not per attempt
		}
		c.log.Log(context.Background(), level, "camera reconnecting",
			"err", s.Err, "retries", s.Retries, "retry_in", time.Until(s.RetryAt).Round(time.Millisecond))
	case StateFailed:
		c.log.Error("camera failed", "err", s.Err, "retries", s.Retries)
	default:
		c.log.Info("camera " + s.State.String())
	}
	if c.opts.OnStatus != nil {
		c.opts.OnStatus(s)
	}
}

// stop records why the capture goroutine is ending.
func (c *Camera) stop(state State, err error, retries int) {
	var waitErr error
	switch state {
	case StateEnded:
		waitErr = ErrEnded
	case StateFailed:
		waitErr = fmt.Errorf("%w: %w", ErrFailed, err)
	default:
		waitErr = ErrClosed
	}
	c.mu.Lock()
	c.stopErr = waitErr
	c.mu.Unlock()
	c.setStatus(Status{State: state, Err: err, Retries: retries})
}

func (c *Camera) publish(pic *image.RGBA) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latest = Frame{Image: pic, Seq: c.latest.Seq + 1, Time: time.Now()}
	close(c.notify)
	c.notify = make(chan struct{})
}

// pace returns the nominal frame rate of an open capture and the interval
// at which to show its frames (0 for live sources and unpaced files).
func (c *Camera) pace(vc *gocv.VideoCapture) (float64, time.Duration) {
	fps := vc.Get(gocv.VideoCaptureFPS)
	if !(fps >= 1 && fps <= 1000) {
		fps = 0
	}
	if c.src.live() {
		return fps, 0
	}
	switch {
	case c.opts.FPS < 0:
		return fps, 0
	case c.opts.FPS > 0:
		fps = c.opts.FPS
	case fps == 0 || c.src.Kind == KindSequence:
		fps = defaultFPS // OpenCV's image reader makes up a rate
	}
	return fps, time.Duration(float64(time.Second) / fps)
}

// backoff is the wait before attempt retries+1.
func (c *Camera) backoff(retries int) time.Duration {
	d := c.opts.BackoffMin
	for i := 1; i < retries && d < c.opts.BackoffMax; i++ {
		d *= 2
	}
	return min(d, c.opts.BackoffMax)
}

// sleepUntil waits until t or ctx's end and reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
