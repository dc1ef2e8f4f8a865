package dlib

import "image"

// EncodeJPEGForTest exposes the libjpeg-turbo encoder to the benchmarks.
func EncodeJPEGForTest(img *image.RGBA, quality int) int {
	data, free, err := encodeJPEG(img, quality)
	if err != nil {
		return 0
	}
	defer free()
	return len(data)
}
