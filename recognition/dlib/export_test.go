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
