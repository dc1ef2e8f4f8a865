package dlib

import (
	"image"

	"facelogin/recognition"
)

// EncodeJPEGForTest exposes the libjpeg-turbo encoder to the benchmarks.
func EncodeJPEGForTest(img *image.RGBA, quality int) int {
	data, free, err := encodeJPEG(img, quality)
	if err != nil {
		return 0
	}
	defer free()
	return len(data)
}

// LiveObjects counts the C++ detectors and shape predictors not yet freed.
func LiveObjects() int { return liveObjects() }

// HeapInUse is the C heap's allocated bytes over all malloc arenas.
func HeapInUse() int { return heapInUse() }

// PyramidMismatches counts the pixels where hogscan.cc's image pyramid of
// g differs from dlib's over levels levels (-1: a level's size differs).
var PyramidMismatches = pyramidMismatches

// ShapeReference runs dlib's own shape_predictor from path on g in box r.
var ShapeReference = shapeReference

// FitInBox runs the landmarker's shape predictor on img in the box r
// (dlib's convention, as Face.Rect).
func (l *Landmarker) FitInBox(img image.Image, r image.Rectangle) ([]recognition.Point, error) {
	f, unlock, err := l.lockFrame(img)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return l.fit(f, boxOf(r.Sub(f.origin)), nil)
}

// ScanHit is one face the HOG detector found in a whole-frame scan.
type ScanHit struct {
	Rect   image.Rectangle
	Score  float64
	Filter int // which of the detector's 5 filters found it
}

// Scan runs the whole-frame HOG scan that Detect and a Tracker's detection
// frames use, on img scaled so that faces of minFaceSide pixels are found:
// with hogscan.cc's scan, or with dlib's own object_detector (reference).
func (l *Landmarker) Scan(img image.Image, minFaceSide int, reference bool) ([]ScanHit, error) {
	f, unlock, err := l.lockDetector(img)
	if err != nil {
		return nil, err
	}
	defer unlock()
	useReference(l.hog, reference)
	defer useReference(l.hog, false)
	var gray []byte
	hits, err := scan(l.hog, f, image.Rect(0, 0, f.w, f.h), detectScale(minFaceSide), 0, 0, &gray)
	if err != nil {
		return nil, err
	}
	out := make([]ScanHit, len(hits))
	for i, h := range hits {
		out[i] = ScanHit{Rect: h.box.rect().Add(f.origin), Score: h.score, Filter: h.filter}
	}
	return out, nil
}

// UseReferenceDetector makes t's HOG scans (whole-frame and confirming)
// run dlib's own object_detector: the Tracker as it was before hogscan.cc.
func (t *Tracker) UseReferenceDetector() { useReference(t.hog, true) }
