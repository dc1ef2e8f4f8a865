package app

import (
	"context"
	"image"
	"image/color"
	"log/slog"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// staleAfter is the age after which a detection is no longer drawn on a
// later frame: its boxes would float where a face used to be.
const staleAfter = 2 * time.Second

// previewBack is the panel behind the preview picture.
var previewBack = color.NRGBA{0x10, 0x10, 0x10, 0xff}

// overlayWait is how long the preview holds a new camera frame back for
// its landmarks before it shows the frame with the previous frame's
// overlay instead. The tracker takes 3–20 ms a frame (more on a busy
// machine), so normally every frame is shown with its own landmarks; a
// tracker that is loading its model, stuck or dead never stalls the
// picture for longer than this, and only once: until it answers a frame
// again, the frames after are shown as they come (waiting for each would
// halve the frame rate while the models load).
const overlayWait = 50 * time.Millisecond

// preview shows the camera at its own frame rate with the overlay of the
// tracker's result for each frame: its display goroutine takes the newest
// tracked frame (or, when the tracker is late, the camera's newest frame
// with the previous overlay), draws the overlay into a copy and hands it
// to the UI. It never calls the tracker or the engine, so neither holds
// the picture up.
type preview struct {
	camera  FrameSource
	det     *detector
	do      func(func())
	poll    time.Duration
	log     *slog.Logger
	created time.Time // for the first-frame log line
	// overlayWait is overlayWait in nanoseconds; tests set it.
	overlayWait atomic.Int64
	// mirror: show the mirror image (mirror.go); the setting's flag.
	mirror *atomic.Bool

	image  *canvas.Image
	status *widget.Label // camera status
	// onStatus, if set, is also told of every camera status (the kiosk's
	// public line). UI goroutine.
	onStatus func(CameraStatus)
	alert    *widget.Label // tracker or engine failure; hidden while they work
	strip    *descriptorStrip
	content  fyne.CanvasObject

	// displayPending is set while a frame is queued for the UI goroutine;
	// the display loop drops frames rather than queue more.
	displayPending atomic.Bool
	// free holds frame buffers the UI no longer shows. A buffer goes back
	// only from the UI goroutine, after the image stopped pointing at it.
	free chan *image.RGBA

	displayed    atomic.Uint64 // frames shown
	firstShown   atomic.Int64  // UnixNano of the first frame shown
	overlaid     atomic.Uint64 // frames shown with their own landmarks
	firstOverlay atomic.Int64  // UnixNano of the first of those

	stripPending atomic.Bool
	stripNext    atomic.Pointer[recognition.Descriptor]
}

func newPreview(camera FrameSource, det *detector, do func(func()), poll time.Duration, log *slog.Logger) *preview {
	p := &preview{
		camera: camera, det: det, do: do, poll: poll, log: log, created: time.Now(),
		status: widget.NewLabel(lang.L("Starting camera…")),
		alert:  widget.NewLabel(""),
		strip:  newDescriptorStrip(),
		free:   make(chan *image.RGBA, 3),
		mirror: &atomic.Bool{},
	}
	p.overlayWait.Store(int64(overlayWait))
	p.image = canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 640, 480)))
	p.image.FillMode = canvas.ImageFillContain
	p.image.ScaleMode = canvas.ImageScaleFastest
	// Small enough that a 640×480 window holds the preview and the
	// widest tab (TestSmallWindowFits).
	p.image.SetMinSize(fyne.NewSize(240, 180))
	p.status.Wrapping = fyne.TextWrapWord
	p.alert.Wrapping = fyne.TextWrapWord
	p.alert.Importance = widget.DangerImportance
	p.alert.Hide()
	caption := widget.NewLabel(lang.L("Descriptor of the last face described (128 values: blue < 0 < red)"))
	caption.SizeName = theme.SizeNameCaptionText
	caption.Wrapping = fyne.TextWrapWord
	bottom := container.NewVBox(p.alert, p.status, p.strip, caption)
	// The picture centred on a dark panel: bars beside a frame of another
	// shape than the pane look like part of the preview, not holes in it.
	p.content = container.NewBorder(nil, bottom, nil, nil, container.NewStack(canvas.NewRectangle(previewBack), p.image))
	return p
}

// displayState is the display loop's own state.
type displayState struct {
	shown uint64    // Seq of the frame on screen
	since time.Time // when the loop first saw a newer frame than shown; zero: none yet
	// stalled: the frame on screen waited overlayWait in vain; answered
	// is the tracker's newest detection (its seq) then. Until the tracker
	// answers a newer frame, frames are not held back again.
	stalled    bool
	answered   uint64
	lastStatus CameraStatus
	lastLine   statusLine
	rate       rateMeter
	lastAlert  string
}

// displayLoop shows new frames until ctx ends. Its own goroutine.
func (p *preview) displayLoop(ctx context.Context) {
	t := time.NewTicker(p.poll)
	defer t.Stop()
	var st displayState
	for tick := 0; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// The status changes seldom: look every 25 polls (100 ms).
		if tick%25 == 0 {
			p.showState(&st, tick == 0)
		}
		if !p.displayPending.Load() {
			p.next(&st)
		}
	}
}

// next shows the next frame if there is one: the newest tracked frame with
// its own landmarks, or a camera frame the tracker has not answered for
// within overlayWait, with the last landmarks still fresh.
func (p *preview) next(st *displayState) {
	cam, ok := p.camera.Latest()
	if ok && cam.Seq < st.shown {
		st.shown = 0 // a new stream: its numbers start again
	}
	d := p.det.latest()
	var (
		img     image.Image
		overlay *detection
		own     bool // the overlay is img's own
	)
	switch {
	case d.frame != nil && d.seq > st.shown && (!ok || d.seq <= cam.Seq):
		img, overlay, own = d.frame, &d, true
		st.shown = d.seq
	case ok && cam.Image != nil && cam.Seq > st.shown:
		// Wait from the first frame the tracker has not answered since
		// the last one shown: a source faster than the wait still shows.
		now := time.Now()
		if st.since.IsZero() {
			st.since = now
		}
		if (!st.stalled || d.seq != st.answered) && now.Sub(st.since) < time.Duration(p.overlayWait.Load()) {
			return
		}
		img = cam.Image
		if d.frame != nil && now.Sub(d.at) < staleAfter {
			overlay = &d
		}
		st.shown, st.stalled, st.answered = cam.Seq, true, d.seq
	default:
		return
	}
	st.since = time.Time{}
	if own {
		st.stalled = false
	}
	buf := p.buffer(img.Bounds())
	mirror := p.mirror.Load()
	if mirror {
		mirrorFrame(buf, img)
	} else {
		copyFrame(buf, img)
	}
	if overlay != nil {
		faces := overlay.faces
		if mirror {
			faces = mirrorFaces(faces, buf.Rect)
		}
		drawOverlay(buf, faces, overlay.labels)
	}
	p.displayPending.Store(true)
	p.do(func() { p.show(buf, own) })
}

// showState shows the camera status and a tracker or engine failure when
// they change.
func (p *preview) showState(st *displayState, first bool) {
	cs := p.camera.Status()
	f, ok := p.camera.Latest()
	if line := st.rate.cameraLine(cs, f, ok); first || cs != st.lastStatus || line != st.lastLine {
		st.lastStatus, st.lastLine = cs, line
		p.do(func() { p.showStatus(cs, line) })
	}
	alert := ""
	if err := p.det.latest().err; err != nil {
		alert = lang.L("Face detection is not working — see the log ({{.Err}})", map[string]any{"Err": err.Error()})
	} else if e := p.det.engineFailure(); e != "" {
		alert = lang.L("Face recognition is not working — see the log ({{.Err}})", map[string]any{"Err": e})
	}
	if alert != st.lastAlert {
		st.lastAlert = alert
		p.do(func() {
			p.alert.SetText(alert)
			if alert == "" {
				p.alert.Hide()
			} else {
				p.alert.Show()
			}
		})
	}
}

// show puts buf on screen; own says it carries its own frame's landmarks.
// UI goroutine.
func (p *preview) show(buf *image.RGBA, own bool) {
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
	if own && p.overlaid.Add(1) == 1 {
		p.firstOverlay.Store(time.Now().UnixNano())
	}
	p.displayPending.Store(false)
}

// showStatus shows the camera's status st as line (rateMeter.cameraLine).
// UI goroutine.
func (p *preview) showStatus(st CameraStatus, line statusLine) {
	if !st.OK {
		p.blank()
	}
	p.status.Text, p.status.Importance = line.text, line.importance
	p.status.Refresh()
	if p.onStatus != nil {
		p.onStatus(st)
	}
}

// blank takes the last frame off screen when the camera stops: a still
// picture with its face boxes would look live. The dark panel behind shows
// instead, beside the status line saying why; the camera's next frame
// replaces it. UI goroutine.
func (p *preview) blank() {
	old, ok := p.image.Image.(*image.RGBA)
	if !ok || old == nil || isBlank(old) {
		return
	}
	p.image.Image = image.NewRGBA(old.Rect) // transparent, same shape: the layout stays
	p.image.Refresh()
	select {
	case p.free <- old:
	default:
	}
}

// isBlank: every pixel of img is transparent.
func isBlank(img *image.RGBA) bool {
	for _, b := range img.Pix {
		if b != 0 {
			return false
		}
	}
	return true
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
// queue. Any goroutine that computed a descriptor.
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
