package app

import (
	"context"
	"fmt"
	"image"
	"sync"
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

// detection is the engine's answer for one frame.
type detection struct {
	seq    uint64
	frame  image.Image
	faces  []recognition.Face
	labels []faceLabel
	err    error
	at     time.Time
}

// preview shows the camera at its own frame rate with the overlay of the
// latest detection. Two goroutines: display (poll the camera, draw the
// overlay into a copy of the frame, hand it to the UI) and detection (run the
// engine on the newest frame, at most one call in flight). Registration and
// login subscribe to the detections instead of calling the engine
// themselves, so encoding never holds up the preview.
type preview struct {
	u *UI

	image   *canvas.Image
	status  *widget.Label // camera status
	content fyne.CanvasObject

	mu   sync.Mutex
	last detection
	subs map[*subscription]struct{}

	// displayPending is set while a frame is queued for the UI goroutine;
	// the display loop drops frames rather than queue more.
	displayPending atomic.Bool
	// free holds frame buffers the UI no longer shows. A buffer goes back
	// only from the UI goroutine, after the image stopped pointing at it.
	free chan *image.RGBA

	displayed, detections atomic.Uint64
	firstShown            atomic.Int64 // UnixNano of the first frame shown
	firstDetected         atomic.Int64 // UnixNano of the first detection finished

	stripPending atomic.Bool
	stripNext    atomic.Pointer[recognition.Descriptor]
}

func newPreview(u *UI) *preview {
	p := &preview{
		u:      u,
		status: widget.NewLabel("Starting camera…"),
		subs:   map[*subscription]struct{}{},
		free:   make(chan *image.RGBA, 3),
	}
	p.image = canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 640, 480)))
	p.image.FillMode = canvas.ImageFillContain
	p.image.ScaleMode = canvas.ImageScaleFastest
	p.image.SetMinSize(fyne.NewSize(320, 240))
	p.status.Wrapping = fyne.TextWrapWord
	caption := widget.NewLabel("Descriptor of the last face (128 values: blue < 0 < red)")
	caption.SizeName = theme.SizeNameCaptionText
	bottom := container.NewVBox(p.status, u.strip, caption)
	p.content = container.NewBorder(nil, bottom, nil, nil, p.image)
	return p
}

func (p *preview) start(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(2)
	go func() {
		defer wg.Done()
		p.displayLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		p.detectLoop(ctx)
	}()
}

func (p *preview) displayLoop(ctx context.Context) {
	t := time.NewTicker(p.u.opts.Poll)
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
			if st := p.u.deps.Camera.Status(); tick == 0 || st != lastStatus {
				lastStatus = st
				p.u.do(func() { p.showStatus(st) })
			}
		}
		if p.displayPending.Load() {
			continue
		}
		img, seq, ok := p.u.deps.Camera.Latest()
		if !ok || seq == shown || img == nil {
			continue
		}
		shown = seq
		buf := p.buffer(img.Bounds())
		copyFrame(buf, img)
		if d := p.latest(); d.frame != nil && time.Since(d.at) < staleAfter {
			drawOverlay(buf, d.faces, d.labels)
		}
		p.displayPending.Store(true)
		p.u.do(func() { p.show(buf) })
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
		p.u.log.Info("first frame displayed", "since_window_ms", time.Since(p.u.created).Milliseconds())
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

func (p *preview) latest() detection {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

func (p *preview) detectLoop(ctx context.Context) {
	var done uint64
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		default:
		}
		img, seq, ok := p.u.deps.Camera.Latest()
		if !ok || seq == done || img == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(p.u.opts.Poll):
			}
			continue
		}
		done = seq
		faces, err := p.u.deps.Engine.Recognize(img)
		if p.detections.Add(1) == 1 {
			p.firstDetected.Store(time.Now().UnixNano())
		}
		d := detection{seq: seq, frame: img, faces: faces, at: time.Now()}
		if err != nil {
			d.err = fmt.Errorf("%w: %w", errEngine, err)
			if err.Error() != lastErr {
				lastErr = err.Error()
				p.u.log.Error("face detection failed", "err", err)
			}
		} else {
			lastErr = ""
		}
		d.labels = p.label(faces)
		p.mu.Lock()
		p.last = d
		subs := make([]*subscription, 0, len(p.subs))
		for s := range p.subs {
			subs = append(subs, s)
		}
		p.mu.Unlock()
		for _, s := range subs {
			s.offer(d)
		}
		if len(faces) > 0 {
			p.showDescriptor(&faces[largestFace(faces)].Descriptor)
		}
	}
}

// label names each face for the overlay: the nearest user and distance when
// within the threshold, else "unknown".
func (p *preview) label(faces []recognition.Face) []faceLabel {
	if len(faces) == 0 {
		return nil
	}
	th := p.u.currentThreshold()
	labels := make([]faceLabel, len(faces))
	for i := range faces {
		m := p.u.deps.Users.Identify(&faces[i].Descriptor)
		if m.User != "" && m.Distance <= th {
			labels[i] = faceLabel{Text: fmt.Sprintf("%s %.2f", m.User, m.Distance), Known: true}
		} else {
			labels[i] = faceLabel{Text: "unknown"}
		}
	}
	return labels
}

// showDescriptor queues the strip update, at most one at a time in the UI
// queue.
func (p *preview) showDescriptor(d *recognition.Descriptor) {
	c := *d
	p.stripNext.Store(&c)
	if p.stripPending.Swap(true) {
		return
	}
	p.u.do(func() {
		p.stripPending.Store(false)
		if d := p.stripNext.Load(); d != nil {
			p.u.strip.SetDescriptor(*d)
		}
	})
}

func largestFace(faces []recognition.Face) int {
	best, area := 0, -1
	for i := range faces {
		if a := faces[i].Rect.Dx() * faces[i].Rect.Dy(); a > area {
			best, area = i, a
		}
	}
	return best
}

// subscription receives detections, newest only: a slow reader skips
// detections rather than queue them.
type subscription struct {
	ch chan detection
}

func (p *preview) subscribe() *subscription {
	s := &subscription{ch: make(chan detection, 1)}
	p.mu.Lock()
	p.subs[s] = struct{}{}
	p.mu.Unlock()
	return s
}

func (p *preview) unsubscribe(s *subscription) {
	p.mu.Lock()
	delete(p.subs, s)
	p.mu.Unlock()
}

// offer hands d to the reader, replacing an unread older detection. Only
// the detection goroutine calls it.
func (s *subscription) offer(d detection) {
	for {
		select {
		case s.ch <- d:
			return
		default:
		}
		select {
		case <-s.ch:
		default:
		}
	}
}
