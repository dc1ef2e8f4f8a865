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

// Refit fits the landmarks again in the box the detector would draw around
// pts (one tracking step on the same frame).
func (l *Landmarker) Refit(img image.Image, pts []recognition.Point) []recognition.Point {
	f, err := newFrame(img, nil)
	if err != nil {
		panic(err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	out, err := l.fit(f, l.boxFromLandmarks(pts), nil)
	if err != nil {
		panic(err)
	}
	return out
}

