package camera

import (
	"errors"
	"fmt"
	"image"
	"io"
	"time"

	"gocv.io/x/gocv"
)

// VideoFrame is one frame of a video file read by VideoFile.
type VideoFrame struct {
	// Image is a new picture for every frame, owned by the caller.
	Image *image.RGBA
	// Index counts the frames read from 0.
	Index int
	// Time is the frame's presentation time in the file, from the start of
	// the video stream (the container's own timestamps, so a file with a
	// variable frame rate keeps its real timing). When the container gives
	// no timestamp, Index/FPS.
	Time time.Duration
}

// VideoFile reads every frame of a video file once, in order, as fast as it
// decodes, at the file's own size: the replay of a recording for tests and
// offline evaluation, where Open's paced, looped, newest-frame-only camera
// would skip frames. It is not safe for concurrent use.
type VideoFile struct {
	path      string
	vc        *gocv.VideoCapture
	img, rgba gocv.Mat
	fps       float64
	count     int
	next      int
	last      time.Duration
	untimed   bool // an image sequence: frames 1/defaultFPS apart
}

// OpenVideoFile opens the video file at path (anything FFmpeg reads:
// .mp4, .avi, .mkv, ...). It fails with fs.ErrNotExist for a missing file
// and ErrCannotOpen for one OpenCV cannot read.
func OpenVideoFile(path string) (*VideoFile, error) {
	src := Source{Kind: KindFile, Index: -1, Path: path}
	vc, err := openCapture(src, Options{})
	if err != nil {
		return nil, err
	}
	v := &VideoFile{path: path, vc: vc, img: gocv.NewMat(), rgba: gocv.NewMat()}
	if fps := vc.Get(gocv.VideoCaptureFPS); fps >= 1 && fps <= 1000 {
		v.fps = fps
	}
	if n := vc.Get(gocv.VideoCaptureFrameCount); n > 0 {
		v.count = int(n)
	}
	return v, nil
}

// OpenRecording opens a recording to read frame by frame as
// OpenVideoFile does: a video file (KindFile) or a numbered image sequence
// (KindSequence, frames/%03d.jpg). An image sequence has no timestamps:
// its frames are 1/30 s apart, the rate Open plays it at. Other kinds are
// ErrBadSource.
func OpenRecording(src Source) (*VideoFile, error) {
	switch src.Kind {
	case KindFile:
		return OpenVideoFile(src.Path)
	case KindSequence:
	default:
		return nil, fmt.Errorf("%w: %v is not a recording", ErrBadSource, src.Kind)
	}
	vc, err := openCapture(src, Options{})
	if err != nil {
		return nil, err
	}
	return &VideoFile{path: src.Path, vc: vc, img: gocv.NewMat(), rgba: gocv.NewMat(), fps: defaultFPS, untimed: true}, nil
}

// FPS is the nominal frame rate the container declares, 0 if none.
func (v *VideoFile) FPS() float64 { return v.fps }

// FrameCount is the number of frames the container declares, 0 if
// unknown; Next may deliver a few more or fewer.
func (v *VideoFile) FrameCount() int { return v.count }

// Next returns the next frame, or io.EOF after the last one. It fails after
// Close.
func (v *VideoFile) Next() (VideoFrame, error) {
	if v.vc == nil {
		return VideoFrame{}, fmt.Errorf("camera: read %s: %w", v.path, ErrClosed)
	}
	if !v.vc.Read(&v.img) || v.img.Empty() {
		return VideoFrame{}, io.EOF
	}
	pic, err := toRGBA(v.img, &v.rgba)
	if err != nil {
		return VideoFrame{}, fmt.Errorf("camera: read %s frame %d: %w", v.path, v.next, err)
	}
	t := time.Duration(v.vc.Get(gocv.VideoCapturePosMsec) * float64(time.Millisecond))
	if v.untimed {
		t = time.Duration(v.next) * v.interval()
	}
	if v.next > 0 && t <= v.last {
		// No (or a broken) timestamp: keep the timeline increasing.
		t = v.last + v.interval()
	} else if v.next == 0 && t < 0 {
		t = 0
	}
	f := VideoFrame{Image: pic, Index: v.next, Time: t}
	v.next++
	v.last = t
	return f, nil
}

func (v *VideoFile) interval() time.Duration {
	if v.fps > 0 {
		return time.Duration(float64(time.Second) / v.fps)
	}
	return time.Second / defaultFPS
}

// Close releases the file. It is safe to call more than once.
func (v *VideoFile) Close() error {
	if v.vc == nil {
		return nil
	}
	err := v.vc.Close()
	v.vc = nil
	v.img.Close()
	v.rgba.Close()
	if err != nil {
		return fmt.Errorf("camera: close %s: %w", v.path, err)
	}
	return nil
}

// ReadVideoFile calls fn with every frame of the video file at path, in
// order, stopping at the end of the file or at fn's first error, which it
// returns. Frames are not shared with later calls.
func ReadVideoFile(path string, fn func(VideoFrame) error) error {
	v, err := OpenVideoFile(path)
	if err != nil {
		return err
	}
	defer v.Close()
	for {
		f, err := v.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
	}
}
