package camera

import (
	"fmt"
	"image"

	"gocv.io/x/gocv"
)

// toRGBA converts an 8-bit BGR, BGRA or gray Mat into a new *image.RGBA.
// OpenCV converts the colours into tmp (reused from frame to frame) and one
// copy moves the pixels into Go memory: ~10x faster than gocv's per-pixel
// Mat.ToImage. The result shares nothing with the Mats.
func toRGBA(src gocv.Mat, tmp *gocv.Mat) (*image.RGBA, error) {
	var code gocv.ColorConversionCode
	switch src.Type() {
	case gocv.MatTypeCV8UC3:
		code = gocv.ColorBGRToRGBA
	case gocv.MatTypeCV8UC4:
		code = gocv.ColorBGRAToRGBA
	case gocv.MatTypeCV8UC1:
		code = gocv.ColorGrayToBGRA // gray has no channel order: BGRA == RGBA
	default:
		return nil, fmt.Errorf("camera: convert frame: unsupported Mat type %v", src.Type())
	}
	gocv.CvtColor(src, tmp, code)
	w, h := tmp.Cols(), tmp.Rows()
	pix, err := tmp.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("camera: convert frame: %w", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	if len(pix) != len(img.Pix) {
		return nil, fmt.Errorf("camera: convert frame: %d bytes for %dx%d RGBA", len(pix), w, h)
	}
	copy(img.Pix, pix)
	return img, nil
}

// fitInside returns the largest size with sz's aspect ratio that fits in
// box, or sz itself when it already fits or box is unset. Frames are only
// ever scaled down.
func fitInside(sz, box image.Point) image.Point {
	if box.X <= 0 || box.Y <= 0 || (sz.X <= box.X && sz.Y <= box.Y) {
		return sz
	}
	// Compare box.X/sz.X with box.Y/sz.Y without floating point.
	if box.X*sz.Y <= box.Y*sz.X {
		return image.Pt(box.X, max(1, sz.Y*box.X/sz.X))
	}
	return image.Pt(max(1, sz.X*box.Y/sz.Y), box.Y)
}
