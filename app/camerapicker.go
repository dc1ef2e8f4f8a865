package app

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/redact"
)

// CameraDevice is a camera present on this machine, as the settings list
// it.
type CameraDevice struct {
	Name   string // for people, unique: "Integrated Camera (/dev/video0)"
	Source string // as --camera takes it: "/dev/video0"
	// Index is the device number (--camera 0 is /dev/video0), or -1.
	Index int
}

// CameraSwitcher changes the camera behind the window's FrameSource while
// the window runs (cmd/facelogin closes the camera.Camera and opens
// another). The preview keeps running throughout and shows the new
// camera's status, a missing device's retry status included.
type CameraSwitcher interface {
	// Cameras lists the cameras present, in the order to offer them.
	// Background goroutine.
	Cameras() ([]CameraDevice, error)
	// SwitchCamera makes source (what --camera takes) the camera, closing
	// the one in use once the new one has delivered a picture. It fails
	// and keeps the camera in use for a malformed source
	// (ErrBadCameraSource), a missing file (fs.ErrNotExist), a file that
	// cannot be played (ErrCameraUnreadable) or a device or stream that
	// sends no picture (ErrCameraNoPictures). Background goroutine.
	SwitchCamera(ctx context.Context, source string) error
}

// Errors of CameraSwitcher.SwitchCamera that people can fix (wrapping is
// fine).
var (
	ErrBadCameraSource  = errors.New("app: not a camera source")
	ErrCameraUnreadable = errors.New("app: camera source cannot be played")
	ErrCameraNoPictures = errors.New("app: the camera sent no pictures")
)

// otherCamera is the picker's choice for a source that is not a device
// present: a file, an image sequence, a stream URL, a device not plugged in.
func otherCamera() string { return lang.L("File or URL…") }

// cameraPicker chooses the camera: one of the devices present by name, or
// a file or URL typed in.
type cameraPicker struct {
	choice  *widget.Select
	entry   *widget.Entry // the file or URL, shown for otherCamera
	refresh *widget.Button
	devices []CameraDevice
	content fyne.CanvasObject
}

func newCameraPicker(source string, onRefresh func()) *cameraPicker {
	p := &cameraPicker{entry: widget.NewEntry()}
	p.entry.SetPlaceHolder(lang.L("video.mp4, frames/%03d.jpg, rtsp://… or /dev/video2"))
	p.choice = widget.NewSelect([]string{otherCamera()}, func(string) { p.showEntry() })
	p.refresh = &widget.Button{Icon: theme.ViewRefreshIcon(), Importance: widget.LowImportance, OnTapped: onRefresh}
	p.set(source)
	p.content = container.NewVBox(container.NewBorder(nil, nil, nil, p.refresh, p.choice), p.entry)
	return p
}

// setDevices offers ds, keeping the source chosen. UI goroutine.
func (p *cameraPicker) setDevices(ds []CameraDevice) {
	src := p.source()
	p.devices = ds
	names := make([]string, 0, len(ds)+1)
	for _, d := range ds {
		names = append(names, d.Name)
	}
	p.choice.SetOptions(append(names, otherCamera()))
	p.set(src)
}

// set shows source: its device when one present matches, else the entry.
// UI goroutine.
func (p *cameraPicker) set(source string) {
	for _, d := range p.devices {
		if source == d.Source || (d.Index >= 0 && source == strconv.Itoa(d.Index)) {
			p.choice.SetSelected(d.Name)
			p.showEntry()
			return
		}
	}
	p.entry.SetText(source)
	p.choice.SetSelected(otherCamera())
	p.showEntry()
}

func (p *cameraPicker) showEntry() {
	if p.choice.Selected == otherCamera() {
		p.entry.Show()
	} else {
		p.entry.Hide()
	}
}

// source is the camera chosen, as --camera takes it.
func (p *cameraPicker) source() string {
	for _, d := range p.devices {
		if p.choice.Selected == d.Name {
			return d.Source
		}
	}
	return strings.TrimSpace(p.entry.Text)
}

// cameraAdvice explains a camera the switcher could not open.
func cameraAdvice(source string, err error) string {
	src := map[string]any{"Source": redact.URL(source)}
	var msg string
	switch {
	case errors.Is(err, ErrCameraNoPictures): // before fs.ErrNotExist: a device not there now
		msg = lang.L("“{{.Source}}” could not be opened: the camera sent no pictures. Is it plugged in and not used by another program?", src)
	case errors.Is(err, ErrBadCameraSource):
		msg = lang.L("“{{.Source}}” is not a camera: choose one from the list, or give a video file, an image sequence (frames/%03d.jpg) or a stream URL (rtsp://…).", src)
	case errors.Is(err, fs.ErrNotExist):
		msg = lang.L("There is no file “{{.Source}}”.", src)
	case errors.Is(err, ErrCameraUnreadable):
		msg = lang.L("“{{.Source}}” can't be played — is it a video file or an image sequence?", src)
	default:
		msg = lang.L("“{{.Source}}” could not be opened — see the log.", src)
	}
	return msg + " " + lang.L("The camera in use is unchanged.")
}
