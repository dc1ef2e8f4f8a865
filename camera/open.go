package camera

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"gocv.io/x/gocv"
)

// openers open each kind of source with the OpenCV backend that suits it.
// They check paths first so a missing file gives fs.ErrNotExist, not an
// OpenCV warning.
var openers = map[Kind]func(Source, Options) (*gocv.VideoCapture, error){
	KindDevice:   openDevice,
	KindFile:     openFile,
	KindSequence: openSequence,
	KindStream:   openStream,
}

// openCapture opens src; a source OpenCV cannot open is ErrCannotOpen.
func openCapture(src Source, opts Options) (*gocv.VideoCapture, error) {
	open, ok := openers[src.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: %v", ErrBadSource, src.Kind)
	}
	return open(src, opts)
}

// opened checks what gocv returned.
func opened(src Source, vc *gocv.VideoCapture, err error) (*gocv.VideoCapture, error) {
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close()
		}
		return nil, fmt.Errorf("camera: open %v %s: %w", src.Kind, src, ErrCannotOpen)
	}
	return vc, nil
}

// openDevice opens a camera by index (V4L2 chosen by OpenCV) or by path,
// asking for Options' size and frame rate.
func openDevice(src Source, opts Options) (*gocv.VideoCapture, error) {
	path := src.Path
	if path == "" {
		path = "/dev/video" + strconv.Itoa(src.Index)
	}
	if runtime.GOOS == "linux" || src.Path != "" {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("camera: open device %s: %w", src, err)
		}
	}
	var vc *gocv.VideoCapture
	var err error
	if src.Index >= 0 {
		vc, err = gocv.VideoCaptureDevice(src.Index)
	} else {
		vc, err = gocv.VideoCaptureFileWithAPI(src.Path, gocv.VideoCaptureV4L2)
	}
	if vc, err = opened(src, vc, err); err != nil {
		return nil, err
	}
	if opts.Width > 0 && opts.Height > 0 {
		vc.Set(gocv.VideoCaptureFrameWidth, float64(opts.Width))
		vc.Set(gocv.VideoCaptureFrameHeight, float64(opts.Height))
	}
	if opts.FPS > 0 {
		vc.Set(gocv.VideoCaptureFPS, opts.FPS)
	}
	return vc, nil
}

// openFile opens a video file through FFmpeg.
func openFile(src Source, _ Options) (*gocv.VideoCapture, error) {
	fi, err := os.Stat(src.Path)
	if err != nil {
		return nil, fmt.Errorf("camera: open file %s: %w", src, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("camera: open file %s: a directory", src)
	}
	vc, err := gocv.VideoCaptureFileWithAPI(src.Path, gocv.VideoCaptureFFmpeg)
	return opened(src, vc, err)
}

// openSequence opens a numbered image sequence through OpenCV's image
// reader, which starts at number 0 or 1.
func openSequence(src Source, _ Options) (*gocv.VideoCapture, error) {
	if _, err := os.Stat(fmt.Sprintf(src.Path, 0)); err != nil {
		if _, err1 := os.Stat(fmt.Sprintf(src.Path, 1)); err1 != nil {
			return nil, fmt.Errorf("camera: open sequence %s: %w", src, err)
		}
	}
	vc, err := gocv.VideoCaptureFileWithAPI(src.Path, gocv.VideoCaptureImages)
	return opened(src, vc, err)
}

// openStream opens a network stream through FFmpeg.
func openStream(src Source, _ Options) (*gocv.VideoCapture, error) {
	vc, err := gocv.VideoCaptureFileWithAPI(src.Path, gocv.VideoCaptureFFmpeg)
	return opened(src, vc, err)
}
