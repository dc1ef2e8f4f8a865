package dlib

// #cgo CXXFLAGS: -std=c++17 -Wall -O3 -DNDEBUG -march=native
// #cgo pkg-config: dlib-1
// #include <stdlib.h>
// #include "landmarks.h"
import "C"

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"facelogin/recognition"
)

// HOGMinFaceSide is the side (Rect.Dx, in the convention of Face.Rect) of
// the smallest face box dlib's HOG frontal face detector reports: what its
// 80×80 sliding window finds at the finest level of its image pyramid
// (dlib's frontal_face_detector.h). Smaller faces are not found unless the
// image is enlarged. TestHOGMinFaceSide measures it.
const HOGMinFaceSide = 72

// Landmarker is the fast path's model: dlib's HOG frontal face detector and
// shape predictor, called directly on raw pixels (no JPEG round trip, no
// descriptor). It loads the shape predictor once; Trackers made from it
// share it. Safe for concurrent use; Close waits for calls in flight.
type Landmarker struct {
	mu    sync.RWMutex
	shape *C.fl_shape
	parts int
	mean  []recognition.Point // the predictor's mean shape in unit box coordinates
	rigid []int               // the points boxFromLandmarks uses

	hogMu sync.Mutex // Detect's detector: dlib's scanner keeps per-call state
	hog   *C.fl_hog
}

// OpenLandmarker loads the shape predictor (recognition.LandmarksFile: the 68-point
// model under the 5-point name, or dlib's 5-point one) from the models
// directory dir. Errors wrap ErrModels.
func OpenLandmarker(dir string) (*Landmarker, error) {
	path := filepath.Join(dir, recognition.LandmarksFile)
	if st, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s is missing in %s", ErrModels, recognition.LandmarksFile, dir)
		}
		return nil, fmt.Errorf("%w: %v", ErrModels, err)
	} else if st.IsDir() || st.Size() == 0 {
		return nil, fmt.Errorf("%w: %s in %s is empty", ErrModels, recognition.LandmarksFile, dir)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var msg [256]C.char
	shape := C.fl_shape_load(cpath, &msg[0], C.size_t(len(msg)))
	if shape == nil {
		return nil, fmt.Errorf("%w: %s is truncated or not a dlib shape predictor (%s)", ErrModels, path, oneLine(C.GoString(&msg[0])))
	}
	hog, err := newHOG()
	if err != nil {
		C.fl_shape_free(shape)
		return nil, err
	}
	l := &Landmarker{shape: shape, parts: int(C.fl_shape_parts(shape)), hog: hog}
	xy := make([]float32, 2*l.parts)
	C.fl_shape_mean(shape, (*C.float)(&xy[0]))
	l.mean = make([]recognition.Point, l.parts)
	for i := range l.mean {
		l.mean[i] = recognition.Point{X: xy[2*i], Y: xy[2*i+1]}
	}
	l.rigid = rigidPoints(l.parts)
	return l, nil
}

func newHOG() (*C.fl_hog, error) {
	var msg [256]C.char
	hog := C.fl_hog_new(&msg[0], C.size_t(len(msg)))
	if hog == nil {
		return nil, fmt.Errorf("recognition: HOG face detector: %s", C.GoString(&msg[0]))
	}
	return hog, nil
}

// Parts is the number of landmarks per face: 68 or 5.
func (l *Landmarker) Parts() int { return l.parts }

// Close frees the models (their C++ memory). Trackers made from l fail with
// ErrClosed afterwards. Idempotent.
func (l *Landmarker) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shape != nil {
		C.fl_shape_free(l.shape)
		l.shape = nil
	}
	l.hogMu.Lock()
	defer l.hogMu.Unlock()
	if l.hog != nil {
		C.fl_hog_free(l.hog)
		l.hog = nil
	}
	return nil
}

// Detection is a face the HOG detector found, with landmarks fitted in its
// box, in the coordinates of the image given to Detect.
type Detection struct {
	Rect      image.Rectangle // dlib's box: Min the top-left pixel, Max the bottom-right one
	Landmarks []recognition.Point
	// Score is the detector's confidence: its filter response minus
	// dlib's threshold, so every reported face has Score ≥ 0 (unless the
	// threshold was lowered).
	Score float64
}

// Detect runs the full detection without tracking: the HOG detector on a
// gray copy of img scaled so that faces of minFaceSide pixels (0: the
// quality gate's recognition.DefaultQuality.MinFaceSide) are just large
// enough for it, then the shape predictor in every box mapped back to img.
// Faces are sorted by score, best first. It is what a Tracker does on a
// detection frame, for one-off use.
func (l *Landmarker) Detect(img image.Image, minFaceSide int) ([]Detection, error) {
	f, unlock, err := l.lockDetector(img)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var gray []byte
	dets, err := l.detect(l.hog, f, detectScale(minFaceSide), &gray)
	if err != nil {
		return nil, err
	}
	for i := range dets {
		dets[i].Rect = dets[i].Rect.Add(f.origin)
		for j := range dets[i].Landmarks {
			dets[i].Landmarks[j].X += float32(f.origin.X)
			dets[i].Landmarks[j].Y += float32(f.origin.Y)
		}
	}
	return dets, nil
}

// lockFrame wraps img for the C++ side and locks the models against Close
// until unlock is called. Errors: CheckImage's, ErrClosed.
func (l *Landmarker) lockFrame(img image.Image) (f frame, unlock func(), err error) {
	if f, err = newFrame(img, nil); err != nil {
		return frame{}, nil, err
	}
	l.mu.RLock()
	if l.shape == nil {
		l.mu.RUnlock()
		return frame{}, nil, ErrClosed
	}
	return f, l.mu.RUnlock, nil
}

// lockDetector is lockFrame that also takes l's own HOG detector (one
// caller at a time) until unlock is called.
func (l *Landmarker) lockDetector(img image.Image) (f frame, unlock func(), err error) {
	f, unlockFrame, err := l.lockFrame(img)
	if err != nil {
		return frame{}, nil, err
	}
	l.hogMu.Lock()
	return f, func() { l.hogMu.Unlock(); unlockFrame() }, nil
}

// detectScale is the factor frames are scaled by before the HOG detector
// sees them: a face of minFaceSide pixels becomes HOGMinFaceSide pixels,
// the smallest the detector finds. Frames are never enlarged.
func detectScale(minFaceSide int) float64 {
	if minFaceSide <= 0 {
		minFaceSide = recognition.DefaultQuality.MinFaceSide
	}
	return min(1, float64(HOGMinFaceSide)/float64(minFaceSide))
}

// frame is a picture as the C++ side reads it: 8-bit RGBA or gray rows in
// Go memory, coordinates relative to origin (img.Bounds().Min).
type frame struct {
	pix      []byte
	w, h     int
	stride   int
	channels int
	origin   image.Point
}

// newFrame wraps img's pixels without copying when img is *image.RGBA or
// *image.Gray (camera frames are *image.RGBA); other types are drawn into
// *buf, which is reused when it has the right size (buf may be nil).
func newFrame(img image.Image, buf **image.RGBA) (frame, error) {
	if err := recognition.CheckImage(img); err != nil {
		return frame{}, err
	}
	b := img.Bounds()
	switch m := img.(type) {
	case *image.RGBA:
		return frame{pix: m.Pix, w: b.Dx(), h: b.Dy(), stride: m.Stride, channels: 4, origin: b.Min}, nil
	case *image.Gray:
		return frame{pix: m.Pix, w: b.Dx(), h: b.Dy(), stride: m.Stride, channels: 1, origin: b.Min}, nil
	}
	var dst *image.RGBA
	if buf != nil && *buf != nil && (*buf).Rect.Size() == b.Size() {
		dst = *buf
	} else {
		dst = image.NewRGBA(image.Rectangle{Max: b.Size()})
		if buf != nil {
			*buf = dst
		}
	}
	draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	return frame{pix: dst.Pix, w: b.Dx(), h: b.Dy(), stride: dst.Stride, channels: 4, origin: b.Min}, nil
}

// box is a face box in dlib's convention with fractions: (l,t) the centre
// of the top-left pixel, (r,b) that of the bottom-right one.
type box struct{ l, t, r, b float64 }

func (b box) side() float64              { return (b.r - b.l + b.b - b.t) / 2 }
func (b box) center() (float64, float64) { return (b.l + b.r) / 2, (b.t + b.b) / 2 }

func (b box) rect() image.Rectangle {
	return image.Rect(int(math.Round(b.l)), int(math.Round(b.t)), int(math.Round(b.r)), int(math.Round(b.b)))
}

func boxOf(r image.Rectangle) box {
	return box{float64(r.Min.X), float64(r.Min.Y), float64(r.Max.X), float64(r.Max.Y)}
}

// fit runs the shape predictor in bx. Callers hold l.mu for reading.
func (l *Landmarker) fit(f frame, bx box, out []recognition.Point) ([]recognition.Point, error) {
	xy := make([]float32, 2*l.parts)
	cb := [4]C.double{C.double(bx.l), C.double(bx.t), C.double(bx.r), C.double(bx.b)}
	var msg [200]C.char
	rc := C.fl_shape_fit(l.shape, (*C.uint8_t)(unsafe.Pointer(&f.pix[0])), C.int(f.w), C.int(f.h), C.int(f.stride),
		C.int(f.channels), &cb[0], (*C.float)(&xy[0]), &msg[0], C.size_t(len(msg)))
	if rc != 0 {
		return nil, fmt.Errorf("recognition: shape predictor: %s", C.GoString(&msg[0]))
	}
	out = out[:0]
	for i := 0; i < l.parts; i++ {
		out = append(out, recognition.Point{X: xy[2*i], Y: xy[2*i+1]})
	}
	return out, nil
}

// maxDetections bounds the faces one scan reports.
const maxDetections = 64

// detect finds faces with hog on f scaled by s (faces of HOGMinFaceSide/s
// pixels and larger) and fits their landmarks, in f's coordinates, best
// first; gray is a reusable buffer. Callers hold l.mu for reading and own
// hog.
func (l *Landmarker) detect(hog *C.fl_hog, f frame, s float64, gray *[]byte) ([]Detection, error) {
	found, err := scan(hog, f, image.Rect(0, 0, f.w, f.h), s, 0, 0, gray)
	if err != nil {
		return nil, err
	}
	out := make([]Detection, 0, len(found))
	for _, d := range found {
		pts, err := l.fit(f, d.box, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, Detection{Rect: d.box.rect(), Landmarks: pts, Score: d.score})
	}
	return out, nil
}

// hogHit is a face box the HOG detector reported, in frame coordinates.
type hogHit struct {
	box    box
	score  float64
	filter int // which of the detector's 5 filters found it (landmarks.h)
}

// scan runs the HOG detector over the part roi of f, scaled by s (so
// faces of HOGMinFaceSide/s pixels are the smallest found), with dlib's
// threshold moved by adjust and at most levels pyramid levels (0: all).
// Boxes come back in f's coordinates, best first.
func scan(hog *C.fl_hog, f frame, roi image.Rectangle, s, adjust float64, levels int, gray *[]byte) ([]hogHit, error) {
	roi = roi.Intersect(image.Rect(0, 0, f.w, f.h))
	dw, dh := int(math.Round(float64(roi.Dx())*s)), int(math.Round(float64(roi.Dy())*s))
	if dw < HOGMinFaceSide || dh < HOGMinFaceSide {
		return nil, nil // no window fits
	}
	g := *gray
	if cap(g) < dw*dh {
		g = make([]byte, dw*dh)
	}
	g = g[:dw*dh]
	*gray = g
	C.fl_gray_scaled((*C.uint8_t)(unsafe.Pointer(&f.pix[roi.Min.Y*f.stride+roi.Min.X*f.channels])), C.int(f.channels),
		C.int(roi.Dx()), C.int(roi.Dy()), C.int(f.stride), (*C.uint8_t)(unsafe.Pointer(&g[0])), C.int(dw), C.int(dh))
	var out hogOut
	n := C.fl_hog_detect(hog, (*C.uint8_t)(unsafe.Pointer(&g[0])), C.int(dw), C.int(dh), C.int(dw),
		C.double(adjust), C.int(levels), &out.rects[0], &out.scores[0], &out.which[0], maxDetections,
		&out.msg[0], C.size_t(len(out.msg)))
	if n < 0 {
		return nil, fmt.Errorf("recognition: HOG face detector: %s", C.GoString(&out.msg[0]))
	}
	// A scaled pixel centre x sits at (x+0.5)·sx-0.5 in the region.
	sx, sy := float64(roi.Dx())/float64(dw), float64(roi.Dy())/float64(dh)
	ox, oy := float64(roi.Min.X), float64(roi.Min.Y)
	hits := make([]hogHit, 0, min(int(n), maxDetections))
	for i := 0; i < int(n) && i < maxDetections; i++ {
		r := out.rects[4*i : 4*i+4]
		hits = append(hits, hogHit{score: float64(out.scores[i]), filter: int(out.which[i]), box: box{
			l: ox + (float64(r[0])+0.5)*sx - 0.5, t: oy + (float64(r[1])+0.5)*sy - 0.5,
			r: ox + (float64(r[2])+0.5)*sx - 0.5, b: oy + (float64(r[3])+0.5)*sy - 0.5,
		}})
	}
	return hits, nil
}

// useReference makes hog run dlib's own object_detector (on) or the faster
// scan of hogscan.cc (off, the default): the tests compare the two.
func useReference(hog *C.fl_hog, on bool) {
	v := 0
	if on {
		v = 1
	}
	C.fl_hog_use_reference(hog, C.int(v))
}

// hogOut receives a scan's detections from the C++ side.
type hogOut struct {
	rects  [4 * maxDetections]C.long
	scores [maxDetections]C.double
	which  [maxDetections]C.int
	msg    [200]C.char
}

// shapeReference runs dlib's own shape_predictor, loaded from path, on g
// in the box r (dlib's convention): what the fit must reproduce. For tests.
func shapeReference(path string, g *image.Gray, r image.Rectangle) ([]image.Point, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	cb := [4]C.long{C.long(r.Min.X), C.long(r.Min.Y), C.long(r.Max.X), C.long(r.Max.Y)}
	const maxParts = 256
	xy := make([]C.long, 2*maxParts)
	var msg [200]C.char
	b := g.Bounds()
	n := C.fl_shape_fit_reference(cpath, (*C.uint8_t)(unsafe.Pointer(&g.Pix[0])), C.int(b.Dx()), C.int(b.Dy()), C.int(g.Stride),
		&cb[0], &xy[0], maxParts, &msg[0], C.size_t(len(msg)))
	if n < 0 {
		return nil, fmt.Errorf("recognition: reference shape predictor: %s", C.GoString(&msg[0]))
	}
	out := make([]image.Point, min(int(n), maxParts))
	for i := range out {
		out[i] = image.Pt(int(xy[2*i]), int(xy[2*i+1]))
	}
	return out, nil
}

// pyramidMismatches counts the pixels where hogscan.cc's image pyramid of g
// (levels levels) differs from dlib's pyramid_down<6> (for the tests); -1
// when a level's size differs.
func pyramidMismatches(g *image.Gray, levels int) int {
	b := g.Bounds()
	return int(C.fl_pyramid_mismatches((*C.uint8_t)(unsafe.Pointer(&g.Pix[0])), C.int(b.Dx()), C.int(b.Dy()), C.int(g.Stride), C.int(levels)))
}

// liveObjects counts the detectors and shape predictors allocated in C++
// and not yet freed (for the leak tests).
func liveObjects() int { return int(C.fl_live_objects()) }

// heapInUse is the C heap's allocated bytes (for the leak tests).
func heapInUse() int { return int(C.fl_heap_in_use()) }
