package app

import (
	"context"
	"image"
	"log/slog"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// staleAfter is the age after which a detection is no longer drawn: its
// boxes would float where a face used to be.
const staleAfter = 2 * time.Second

// preview shows the camera at its own frame rate with the overlay of the
// detector's latest detection: its display goroutine polls the camera,
// draws the overlay into a copy of the frame and hands it to the UI. It
// never calls the engine, so detection never holds the picture up.
type preview struct {
	camera  FrameSource
	det     *detector
	do      func(func())
	poll    time.Duration
	log     *slog.Logger
	created time.Time // for the first-frame log line

	image   *canvas.Image
	status  *widget.Label // camera status
	strip   *descriptorStrip
	content fyne.CanvasObject

	// displayPending is set while a frame is queued for the UI goroutine;
	// the display loop drops frames rather than queue more.
	displayPending atomic.Bool
	// free holds frame buffers the UI no longer shows. A buffer goes back
	// only from the UI goroutine, after the image stopped pointing at it.
	free chan *image.RGBA

	displayed  atomic.Uint64
	firstShown atomic.Int64 // UnixNano of the first frame shown

	stripPending atomic.Bool
	stripNext    atomic.Pointer[recognition.Descriptor]
}

func newPreview(camera FrameSource, det *detector, do func(func()), poll time.Duration, log *slog.Logger) *preview {
	p := &preview{
		camera: camera, det: det, do: do, poll: poll, log: log, created: time.Now(),
		status: widget.NewLabel("Starting camera…"),
		strip:  newDescriptorStrip(),
		free:   make(chan *image.RGBA, 3),
	}
	p.image = canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 640, 480)))
	p.image.FillMode = canvas.ImageFillContain
	p.image.ScaleMode = canvas.ImageScaleFastest
	p.image.SetMinSize(fyne.NewSize(320, 240))
	p.status.Wrapping = fyne.TextWrapWord
	caption := widget.NewLabel("Descriptor of the last face (128 values: blue < 0 < red)")
	caption.SizeName = theme.SizeNameCaptionText
	bottom := container.NewVBox(p.status, p.strip, caption)
	p.content = container.NewBorder(nil, bottom, nil, nil, p.image)
	return p
}

// displayLoop shows new frames until ctx ends. Its own goroutine.
func (p *preview) displayLoop(ctx context.Context) {
	t := time.NewTicker(p.poll)
	defer t.Stop()
	var (
		shown      uint64
		lastStatus CameraStatus
	)
	for tick := 0; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// The status changes seldom: look every 25 polls (100 ms).
		if tick%25 == 0 {
			if st := p.camera.Status(); tick == 0 || st != lastStatus {
				lastStatus = st
				p.do(func() { p.showStatus(st) })
			}
		}
		if p.displayPending.Load() {
			continue
		}
		img, seq, ok := p.camera.Latest()
		if !ok || seq == shown || img == nil {
			continue
		}
		shown = seq
		buf := p.buffer(img.Bounds())
		copyFrame(buf, img)
		if d := p.det.latest(); d.frame != nil && time.Since(d.at) < staleAfter {
			drawOverlay(buf, d.faces, d.labels)
		}
		p.displayPending.Store(true)
		p.do(func() { p.show(buf) })
	}
}

// show puts buf on screen. UI goroutine.
func (p *preview) show(buf *image.RGBA) {
	old, _ := p.image.Image.(*image.RGBA)
	p.image.Image = buf
	p.image.Refresh()
	if old != nil && old != buf {
		select {
		case p.free <- old:
		default:
		}
	}
	if p.displayed.Add(1) == 1 {
		p.firstShown.Store(time.Now().UnixNano())
		p.log.Info("first frame displayed", "since_window_ms", time.Since(p.created).Milliseconds())
	}
	p.displayPending.Store(false)
}

func (p *preview) showStatus(st CameraStatus) {
	p.status.SetText(st.Message)
	if st.OK {
		p.status.Importance = widget.MediumImportance
	} else {
		p.status.Importance = widget.DangerImportance
	}
	p.status.Refresh()
}

// buffer returns a frame buffer of bounds r the UI is not showing.
func (p *preview) buffer(r image.Rectangle) *image.RGBA {
	for {
		select {
		case b := <-p.free:
			if b.Rect == r {
				return b
			}
			// The camera changed size: drop the old buffer.
		default:
			return image.NewRGBA(r)
		}
	}
}

// showDescriptor queues the strip update, at most one at a time in the UI
// queue. Detection goroutine.
func (p *preview) showDescriptor(d *recognition.Descriptor) {
	c := *d
	p.stripNext.Store(&c)
	if p.stripPending.Swap(true) {
		return
	}
	p.do(func() {
		p.stripPending.Store(false)
		if d := p.stripNext.Load(); d != nil {
			p.strip.SetDescriptor(*d)
		}
	})
}
