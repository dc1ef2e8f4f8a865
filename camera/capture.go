package camera

import (
	"context"
	"fmt"
	"image"
	"time"

	"gocv.io/x/gocv"
)

// capture is the capture goroutine's state. It alone touches the
// VideoCapture and the Mats.
type capture struct {
	c  *Camera
	vc *gocv.VideoCapture // nil while the source is closed

	img, scaled, rgba gocv.Mat // reused for every frame

	retries  int   // failed attempts since the last frame
	lastErr  error // why vc is nil; nil for a plain loop back to the start
	running  Status
	fps      float64
	interval time.Duration // between frames of a paced source; 0 = live
	due      time.Time     // when the next frame of a paced source is shown
	read     int           // frames read since vc was opened
	length   int           // frames in a sequence; 0 for other sources
	bad      int           // failed reads in a row
	over     bool          // the capture ended (StateEnded or StateFailed reported)
}

// run is the capture goroutine: read, pace and publish frames, reopening
// the source when it ends or fails, until ctx ends or the source gives up.
func (c *Camera) run(ctx context.Context, vc *gocv.VideoCapture) {
	defer close(c.done)
	k := &capture{c: c, img: gocv.NewMat(), scaled: gocv.NewMat(), rgba: gocv.NewMat()}
	defer k.close()
	if vc != nil {
		k.opened(vc)
	}
	for !k.over {
		if ctx.Err() != nil {
			c.stop(StateClosed, nil, 0)
			return
		}
		if k.vc == nil {
			k.reopen(ctx)
			continue
		}
		if pic := k.next(); pic != nil && k.pace(ctx) {
			k.show(pic)
		}
	}
}

func (k *capture) close() {
	if k.vc != nil {
		k.vc.Close()
	}
	k.img.Close()
	k.scaled.Close()
	k.rgba.Close()
}

// opened takes a freshly opened source.
func (k *capture) opened(vc *gocv.VideoCapture) {
	// due is kept: a loop back to the start keeps the beat.
	k.vc = vc
	k.read, k.bad, k.length = 0, 0, 0
	k.fps, k.interval = k.c.pace(vc)
	if k.c.src.Kind == KindSequence {
		k.length = int(vc.Get(gocv.VideoCaptureFrameCount))
	}
}

// reopen opens the source again: at once after a plain loop back to the
// start, after the backoff after a failure.
func (k *capture) reopen(ctx context.Context) {
	if k.lastErr != nil {
		wait := k.c.backoff(k.retries)
		k.c.setStatus(Status{State: StateReconnecting, Err: k.lastErr, Retries: k.retries, RetryAt: time.Now().Add(wait)})
		if !sleepUntil(ctx, time.Now().Add(wait)) {
			return
		}
	}
	k.read = 0
	vc, err := openCapture(k.c.src, k.c.opts)
	if err != nil {
		k.fail(err)
		return
	}
	k.opened(vc)
}

// fail drops the source after an error and counts the attempt; after
// Options.MaxRetries failed attempts the capture ends.
func (k *capture) fail(err error) {
	if k.vc != nil {
		k.vc.Close()
		k.vc = nil
	}
	if k.read == 0 {
		k.retries++ // opened (or not) but never gave a frame: a failed attempt
	}
	k.lastErr, k.running = err, Status{}
	if limit := k.c.opts.MaxRetries; limit > 0 && k.retries >= limit {
		k.c.stop(StateFailed, err, k.retries)
		k.over = true
	}
}

// next reads and converts the next frame; nil when there is none this
// time (the end of a file, a bad read, a failure: handled here).
func (k *capture) next() *image.RGBA {
	// OpenCV's image reader warns on stderr when it reads past the last
	// image, so a sequence ends at the length it counted when opened.
	atEnd := k.length > 0 && k.read >= k.length
	if atEnd || !k.vc.Read(&k.img) || k.img.Empty() {
		k.noFrame(atEnd)
		return nil
	}
	pic, err := k.c.convert(k.img, &k.scaled, &k.rgba)
	if err != nil {
		// Not a transient fault, but retrying keeps the status visible.
		k.read = 0
		k.fail(err)
		return nil
	}
	k.bad = 0
	k.read++
	return pic
}

// noFrame handles a read that gave nothing: the end of a file or sequence
// loops (or ends the capture with NoLoop); a live source that stays silent
// for badReadLimit reads has died.
func (k *capture) noFrame(atEnd bool) {
	if atEnd || (!k.c.src.live() && k.read > 0) {
		// Open it again rather than seek, so a file that was deleted or
		// replaced is noticed.
		k.vc.Close()
		k.vc = nil
		if k.c.opts.NoLoop {
			k.c.stop(StateEnded, nil, 0)
			k.over = true
		}
		return
	}
	if k.bad++; k.bad >= badReadLimit {
		k.fail(fmt.Errorf("camera: read %s: %w", k.c.src, ErrNoFrame))
	}
}

// pace waits until the frame is due at the source's rate (live sources are
// not paced) and reports false if ctx ended first.
func (k *capture) pace(ctx context.Context) bool {
	if k.interval <= 0 {
		return true
	}
	now := time.Now()
	if k.due.IsZero() || now.Sub(k.due) > k.interval {
		k.due = now // late by more than a frame: restart the clock, no burst
	}
	if !sleepUntil(ctx, k.due) {
		return false
	}
	k.due = k.due.Add(k.interval)
	return true
}

// show publishes pic and reports the running state when it changed.
func (k *capture) show(pic *image.RGBA) {
	k.c.publish(pic)
	st := Status{State: StateRunning, Size: pic.Rect.Size(), FPS: k.fps}
	if st != k.running {
		k.running = st
		k.retries, k.lastErr = 0, nil
		k.c.setStatus(st)
	}
}

// convert scales img to fit Options' box and converts it to RGBA.
func (c *Camera) convert(img gocv.Mat, scaled, rgba *gocv.Mat) (*image.RGBA, error) {
	sz := image.Pt(img.Cols(), img.Rows())
	if fit := fitInside(sz, image.Pt(c.opts.Width, c.opts.Height)); fit != sz {
		gocv.Resize(img, scaled, fit, 0, 0, gocv.InterpolationArea)
		return toRGBA(*scaled, rgba)
	}
	return toRGBA(img, rgba)
}
