package app

import (
	"fmt"
	"image"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// rateWindow is the span over which the status line measures the camera's
// frame rate: long enough to average the jitter of a webcam's frame times,
// short enough to follow a webcam that slows down in the dark.
const rateWindow = time.Second

// minFrameSide is the shorter side a camera's pictures need for a face the
// registration gate accepts (recognition.DefaultQuality.MinFaceSide
// pixels, 80) to fit with room around it: such a face then fills two
// thirds of the picture's height, as close as a person sits to a webcam.
// Below it (a 96×72 or 128×96 camera) no face is ever large enough, and
// the window says so rather than refuse every registration as "too small".
var minFrameSide = recognition.DefaultQuality.MinFaceSide * 3 / 2

// rateMeter measures the rate at which the camera publishes frames, from
// their sequence numbers and capture times (Frame.Seq, Frame.Time), not
// from when the display loop happens to look: the figure is the camera's,
// whatever the load. Display goroutine only.
type rateMeter struct {
	ref Frame   // the frame the current window started at; zero: none
	fps float64 // frames per second over the last full window; 0: not yet
}

// sample takes the camera's newest frame. A frame of an earlier number or
// time (a new stream) starts over.
func (m *rateMeter) sample(f Frame) {
	if f.Time.IsZero() {
		return
	}
	if m.ref.Time.IsZero() || f.Seq < m.ref.Seq || f.Time.Before(m.ref.Time) {
		m.ref, m.fps = f, 0
		return
	}
	if dt := f.Time.Sub(m.ref.Time); dt >= rateWindow {
		m.fps = float64(f.Seq-m.ref.Seq) / dt.Seconds()
		m.ref = f
	}
}

func (m *rateMeter) reset() { *m = rateMeter{} }

// statusLine is what the preview's status label shows.
type statusLine struct {
	text       string
	importance widget.Importance
}

// cameraLine is the status line for the camera's status cs with its newest
// frame (ok false: none yet): cs's message, with the measured frame rate
// while the camera runs, and a warning below it when the camera's pictures
// are too small for a face the registration gate accepts.
func (m *rateMeter) cameraLine(cs CameraStatus, f Frame, ok bool) statusLine {
	if !cs.OK {
		m.reset()
		return statusLine{cs.Message, widget.DangerImportance}
	}
	if ok {
		m.sample(f)
	}
	line := statusLine{cs.Message, widget.MediumImportance}
	if m.fps > 0 {
		line.text = lang.L("{{.Status}} · {{.FPS}} fps measured", map[string]any{"Status": cs.Message, "FPS": fmt.Sprintf("%.3g", m.fps)})
	}
	if ok && f.Image != nil {
		if hint := smallFrameHint(f.Image.Bounds().Size()); hint != "" {
			line.text += "\n" + hint
			line.importance = widget.WarningImportance
		}
	}
	return line
}

// smallFrameHint is the warning for a camera whose pictures of the given
// size are too small for any face to pass the registration gate, or "".
func smallFrameHint(size image.Point) string {
	if min(size.X, size.Y) >= minFrameSide {
		return ""
	}
	return lang.L("The camera's pictures ({{.Width}}×{{.Height}}) are too small to recognise a face: a face needs {{.Side}} pixels. Choose a higher resolution or another camera.",
		map[string]any{"Width": size.X, "Height": size.Y, "Side": recognition.DefaultQuality.MinFaceSide})
}
