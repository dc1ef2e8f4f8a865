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
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"unsafe"

	face "github.com/Kagami/go-face"

	"facelogin/recognition"
)

// ErrClosed is returned by an engine used after Close.
var ErrClosed = errors.New("recognition engine closed")

// ErrModels wraps every failure to load the models.
var ErrModels = errors.New("face models not usable")

// Options tune speed against recall.
type Options struct {
	// MaxSide: larger images are scaled down to this longest side before
	// detection (HOG cost grows with pixels), and boxes mapped back. This
	// first, coarse pass finds the large faces of any photo quickly.
	MaxSide int
	// FinePixels > 0 turns on photo mode's second, fine pass: the image is
	// scanned again at the scale that puts FinePixels pixels through the
	// detector (at most MaxUpsample × its own size), in overlapping tiles,
	// so faces too small for the coarse pass are found. dlib's HOG detector
	// finds faces of ~80 px and more; at scale s the smallest face found is
	// ~80/s px of the photo: 80 px in a 24 MP photo with 24e6 fine pixels,
	// 40 px (2× upsampling) in photos up to 6 MP. The cost is bounded by
	// FinePixels (plus the tiles' overlap), not by the photo's size.
	FinePixels int
	// MaxUpsample bounds the fine pass's scale; 0 is 2.
	MaxUpsample float64
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

// Tiles of the fine pass: at most tileSide pixels a side (bounding the
// memory dlib's decoder and HOG pyramid take per call), overlapping by
// enough to hold whole any face the coarse pass may have missed.
const (
	tileSide = 2048
	// hogMinFace is the face size (pixels) below which dlib's HOG
	// detector starts to miss faces; the coarse pass finds reliably those
	// above hogSureFace.
	hogMinFace  = 80
	hogSureFace = 100
)

// DefaultOptions suit live 640×480 video.
var DefaultOptions = Options{MaxSide: 1024, JPEGQuality: 92}

// PhotoOptions suit photos given on the command line: large faces from a
// 2400-pixel coarse pass, small ones from a 24-megapixel fine pass (a
// 24 MP group photo at its own resolution, smaller photos upsampled up to
// 2×), turned faces from the CNN detector.
var PhotoOptions = Options{MaxSide: 2400, FinePixels: 24_000_000, MaxUpsample: 2, JPEGQuality: 95, CNNFallback: true}

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
	coarse := 1.0
	if side > e.opt.MaxSide {
		coarse = float64(e.opt.MaxSide) / float64(side)
	}
	faces, err := e.recognizeScaled(img, coarse, false)
	if err != nil {
		return nil, err
	}
	if fine := e.fineScale(b); fine > coarse*1.2 {
		small, err := e.recognizeTiled(img, fine, coarse)
		if err != nil {
			return nil, err
		}
		faces = mergeFaces(faces, small)
	}
	if e.opt.CNNFallback && len(faces) == 0 {
		faces, err = e.recognizeScaled(img, min(1, float64(cnnSide)/float64(side)), true)
	}
	sort.SliceStable(faces, func(i, j int) bool { return faces[i].Rect.Min.X < faces[j].Rect.Min.X })
	return faces, err
}

// fineScale is the scale of the fine pass: FinePixels through the
// detector, at most MaxUpsample; 0 when photo mode is off.
func (e *Engine) fineScale(b image.Rectangle) float64 {
	if e.opt.FinePixels <= 0 {
		return 0
	}
	up := e.opt.MaxUpsample
	if up <= 0 {
		up = 2
	}
	return min(up, math.Sqrt(float64(e.opt.FinePixels)/(float64(b.Dx())*float64(b.Dy()))))
}

// recognizeTiled detects at scale s in overlapping tiles of at most
// tileSide pixels. The overlap holds whole the largest face the coarse
// pass (at scale coarse) may have missed, so every such face lies inside
// one tile.
func (e *Engine) recognizeTiled(img image.Image, s, coarse float64) ([]recognition.Face, error) {
	b := img.Bounds()
	w, h := int(float64(b.Dx())*s+0.5), int(float64(b.Dy())*s+0.5)
	overlap := int(1.5*hogSureFace*s/coarse) + 16
	var faces []tiledFace
	for _, ty := range tileSpans(h, overlap) {
		for _, tx := range tileSpans(w, overlap) {
			// The tile in the photo's pixels, and the size it is scaled to.
			src := image.Rect(int(float64(tx[0])/s), int(float64(ty[0])/s), int(math.Ceil(float64(tx[1])/s)), int(math.Ceil(float64(ty[1])/s))).
				Add(b.Min).Intersect(b)
			dw, dh := tx[1]-tx[0], ty[1]-ty[0]
			ff, err := e.recognizeRegion(img, src, dw, dh, false)
			if err != nil {
				return nil, err
			}
			for _, f := range ff {
				faces = append(faces, tiledFace{f, edgeMargin(f.Rect, src, b)})
			}
		}
	}
	// Keep, of the copies of a face cut by one tile and whole in the next,
	// the one farthest from its tile's inner edges.
	sort.SliceStable(faces, func(i, j int) bool { return faces[i].margin > faces[j].margin })
	var out []recognition.Face
	for _, f := range faces {
		out = mergeFaces(out, []recognition.Face{f.Face})
	}
	return out, nil
}

type tiledFace struct {
	recognition.Face
	margin int // distance of the box from its tile's edges inside the photo
}

// edgeMargin is how far r lies from the edges of tile t that are not the
// photo's own edges (a face there may be cut by the tile).
func edgeMargin(r, t, photo image.Rectangle) int {
	m := math.MaxInt
	if t.Min.X > photo.Min.X {
		m = min(m, r.Min.X-t.Min.X)
	}
	if t.Min.Y > photo.Min.Y {
		m = min(m, r.Min.Y-t.Min.Y)
	}
	if t.Max.X < photo.Max.X {
		m = min(m, t.Max.X-r.Max.X)
	}
	if t.Max.Y < photo.Max.Y {
		m = min(m, t.Max.Y-r.Max.Y)
	}
	return m
}

// tileSpans splits [0, n) into the fewest spans of at most tileSide that
// overlap by at least overlap, of equal length.
func tileSpans(n, overlap int) [][2]int {
	if n <= tileSide {
		return [][2]int{{0, n}}
	}
	overlap = min(overlap, tileSide/2)
	k := (n - overlap + tileSide - overlap - 1) / (tileSide - overlap)
	size := (n + (k-1)*overlap + k - 1) / k
	step := float64(n-size) / float64(k-1)
	spans := make([][2]int, k)
	for i := range spans {
		start := int(float64(i)*step + 0.5)
		spans[i] = [2]int{start, min(n, start+size)}
	}
	return spans
}

// mergeFaces adds to faces those of more that are not already there: a face
// found twice (by both passes, or in two tiles) has overlapping boxes, with
// the centre of one inside the other.
func mergeFaces(faces, more []recognition.Face) []recognition.Face {
	for _, m := range more {
		dup := false
		for _, f := range faces {
			if center(m.Rect).In(f.Rect) || center(f.Rect).In(m.Rect) {
				dup = true
				break
			}
		}
		if !dup {
			faces = append(faces, m)
		}
	}
	return faces
}

func center(r image.Rectangle) image.Point {
	return image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
}

func (e *Engine) recognizeScaled(img image.Image, scale float64, cnn bool) ([]recognition.Face, error) {
	b := img.Bounds()
	return e.recognizeRegion(img, b, max(1, int(float64(b.Dx())*scale+0.5)), max(1, int(float64(b.Dy())*scale+0.5)), cnn)
}

// recognizeRegion detects in region r of img scaled to w×h pixels and maps
// the faces back to img's coordinates.
func (e *Engine) recognizeRegion(img image.Image, r image.Rectangle, w, h int, cnn bool) ([]recognition.Face, error) {
	rgba := toRGBA(img, r, w, h)
	jpg, free, err := encodeJPEG(rgba, e.opt.JPEGQuality)
	if err != nil {
		return nil, err
	}
	defer free()
	faces, err := e.recognizeJPEG(jpg, cnn)
	if err != nil {
		return nil, err
	}
	sx, sy := float64(w)/float64(r.Dx()), float64(h)/float64(r.Dy())
	for i := range faces {
		faces[i] = unscale(faces[i], sx, sy, r.Min)
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

// unscale maps a face found in an image scaled by (sx, sy) from a region
// at origin back to the original.
func unscale(f recognition.Face, sx, sy float64, origin image.Point) recognition.Face {
	p := func(q image.Point) image.Point {
		return image.Pt(int(float64(q.X)/sx+0.5), int(float64(q.Y)/sy+0.5)).Add(origin)
	}
	f.Rect = image.Rectangle{Min: p(f.Rect.Min), Max: p(f.Rect.Max)}
	for i := range f.Landmarks {
		f.Landmarks[i] = p(f.Landmarks[i])
	}
	return f
}

// toRGBA returns region r of img as a w×h RGBA: a sub-image sharing img's
// pixels when img is RGBA and no scaling is needed, else a new image
// resampled by recognition.ScaleInto (Catmull-Rom, whose kernel widens when
// shrinking, so a photo scaled down keeps no aliasing for the ResNet to
// see: bilinear sampling visibly worsens same-person distances). Its
// memory is the w×h result and a few rows, never a copy of the photo.
func toRGBA(img image.Image, r image.Rectangle, w, h int) *image.RGBA {
	rgba, ok := img.(*image.RGBA)
	if ok && w == r.Dx() && h == r.Dy() {
		return rgba.SubImage(r).(*image.RGBA)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == r.Dx() && h == r.Dy() {
		draw.Draw(dst, dst.Bounds(), img, r.Min, draw.Src)
	} else {
		recognition.ScaleInto(dst, img, r)
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
