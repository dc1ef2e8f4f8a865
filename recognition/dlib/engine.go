// Package dlib is the face recognition engine: dlib's HOG detector, shape
// predictor and ResNet through github.com/Kagami/go-face. It turns any Go
// image (a camera frame or a decoded photo) into recognition.Face values.
package dlib

// #cgo LDFLAGS: -ljpeg
// #include <stdlib.h>
// #include "jpegenc.h"
import "C"

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	face "github.com/Kagami/go-face"
	xdraw "golang.org/x/image/draw"

	"facelogin/recognition"
)

// ErrClosed is returned by an engine used after Close.
var ErrClosed = errors.New("recognition engine closed")

// ErrModels wraps every failure to load the models.
var ErrModels = errors.New("face models not usable")

// Options tune speed against recall.
type Options struct {
	// MaxSide: larger images are scaled down to this longest side before
	// detection (HOG cost grows with pixels), and boxes mapped back.
	MaxSide int
	// CNNFallback: when the HOG detector finds nothing, look again with
	// dlib's CNN detector (mmod) on the image scaled to 640 pixels. It finds
	// turned and profile faces HOG misses, at ~1–3 s per image: for photos,
	// too slow for live video.
	CNNFallback bool
	// JPEGQuality of the frame handed to go-face (which only reads JPEG).
	JPEGQuality int
}

// cnnSide bounds the CNN detector's input: its cost grows with pixels.
const cnnSide = 640

// DefaultOptions suit live 640×480 video.
var DefaultOptions = Options{MaxSide: 1024, JPEGQuality: 92}

// PhotoOptions suit photos given on the command line: group photos keep
// enough pixels for small faces, and turned faces get the CNN detector.
var PhotoOptions = Options{MaxSide: 2400, JPEGQuality: 95, CNNFallback: true}

// Engine is safe for concurrent use; go-face serialises the detector and
// the network internally.
type Engine struct {
	mu  sync.RWMutex // Close waits for calls in flight
	rec *face.Recognizer
	opt Options
	dir string
}

// Open loads the three models from dir once.
func Open(dir string, opt Options) (*Engine, error) {
	if opt.MaxSide == 0 {
		opt.MaxSide = DefaultOptions.MaxSide
	}
	if opt.JPEGQuality == 0 {
		opt.JPEGQuality = DefaultOptions.JPEGQuality
	}
	for _, name := range recognition.ModelFiles() {
		st, err := os.Stat(filepath.Join(dir, name))
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("%w: %s is missing in %s", ErrModels, name, dir)
		case err != nil:
			return nil, fmt.Errorf("%w: %v", ErrModels, err)
		case st.IsDir() || st.Size() == 0:
			return nil, fmt.Errorf("%w: %s in %s is empty", ErrModels, name, dir)
		}
	}
	rec, err := face.NewRecognizer(dir)
	if err != nil {
		// go-face does not say which file failed; dlib's message does, in
		// its own words, so keep it as detail only.
		return nil, fmt.Errorf("%w: a model file in %s is truncated or of the wrong kind (%v)", ErrModels, dir, oneLine(err.Error()))
	}
	return &Engine{rec: rec, opt: opt, dir: dir}, nil
}

// Dir is the models directory the engine was loaded from.
func (e *Engine) Dir() string { return e.dir }

// Close frees the models; calls in flight finish first. Idempotent.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rec != nil {
		e.rec.Close()
		e.rec = nil
	}
	return nil
}

// Recognize finds every face in img with its box, landmarks (68 with the
// 68-point predictor) and descriptor, in img's coordinates, sorted left to
// right.
func (e *Engine) Recognize(img image.Image) ([]recognition.Face, error) {
	if err := recognition.CheckImage(img); err != nil {
		return nil, err
	}
	b := img.Bounds()
	side := max(b.Dx(), b.Dy())
	scale := 1.0
	if side > e.opt.MaxSide {
		scale = float64(e.opt.MaxSide) / float64(side)
	}
	faces, err := e.recognizeScaled(img, scale, false)
	if e.opt.CNNFallback && err == nil && len(faces) == 0 {
		faces, err = e.recognizeScaled(img, min(1, float64(cnnSide)/float64(side)), true)
	}
	return faces, err
}

func (e *Engine) recognizeScaled(img image.Image, scale float64, cnn bool) ([]recognition.Face, error) {
	rgba := toRGBA(img, scale)
	jpg, free, err := encodeJPEG(rgba, e.opt.JPEGQuality)
	if err != nil {
		return nil, err
	}
	defer free()
	faces, err := e.recognizeJPEG(jpg, cnn)
	if err != nil {
		return nil, err
	}
	origin := img.Bounds().Min
	for i := range faces {
		faces[i] = unscale(faces[i], scale, origin)
	}
	return faces, nil
}

// RecognizeJPEG is Recognize for JPEG bytes as they are, skipping the
// decode and re-encode (no size limits beyond go-face's own; use for
// trusted files).
func (e *Engine) RecognizeJPEG(data []byte) ([]recognition.Face, error) {
	return e.recognizeJPEG(data, false)
}

func (e *Engine) recognizeJPEG(data []byte, cnn bool) ([]recognition.Face, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.rec == nil {
		return nil, ErrClosed
	}
	recognize := e.rec.Recognize
	if cnn {
		recognize = e.rec.RecognizeCNN
	}
	ff, err := recognize(data)
	if err != nil {
		return nil, fmt.Errorf("recognition: %w", err)
	}
	out := make([]recognition.Face, len(ff))
	for i, f := range ff {
		out[i] = recognition.Face{Rect: f.Rectangle, Landmarks: f.Shapes, Descriptor: recognition.Descriptor(f.Descriptor)}
	}
	return out, nil
}

// unscale maps a face found in an image scaled by s back to the original.
func unscale(f recognition.Face, s float64, origin image.Point) recognition.Face {
	p := func(q image.Point) image.Point {
		return image.Pt(int(float64(q.X)/s+0.5), int(float64(q.Y)/s+0.5)).Add(origin)
	}
	f.Rect = image.Rectangle{Min: p(f.Rect.Min), Max: p(f.Rect.Max)}
	for i := range f.Landmarks {
		f.Landmarks[i] = p(f.Landmarks[i])
	}
	return f
}

// toRGBA returns img as a zero-origin RGBA scaled by s, copying only when
// it must.
func toRGBA(img image.Image, s float64) *image.RGBA {
	b := img.Bounds()
	if r, ok := img.(*image.RGBA); ok && s == 1 && b.Min == (image.Point{}) {
		return r
	}
	w, h := max(1, int(float64(b.Dx())*s+0.5)), max(1, int(float64(b.Dy())*s+0.5))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if s == 1 {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	} else {
		// Catmull-Rom widens its kernel when shrinking, so a photo scaled
		// down keeps no aliasing for the ResNet to see (bilinear sampling
		// visibly worsens same-person distances).
		xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	}
	return dst
}

// encodeJPEG compresses with libjpeg-turbo straight from the RGBA pixels;
// the returned bytes live in C memory until free is called.
func encodeJPEG(img *image.RGBA, quality int) (data []byte, free func(), err error) {
	b := img.Bounds()
	var out *C.uchar
	var n C.ulong
	var msg [200]C.char
	rc := C.fl_jpeg_encode_rgbx((*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(b.Dx()), C.int(b.Dy()),
		C.int(img.Stride), C.int(quality), &out, &n, &msg[0], C.size_t(len(msg)))
	if rc != 0 {
		return nil, nil, fmt.Errorf("recognition: jpeg encode: %s", C.GoString(&msg[0]))
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(out)), int(n)), func() { C.free(unsafe.Pointer(out)) }, nil
}

func oneLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}
