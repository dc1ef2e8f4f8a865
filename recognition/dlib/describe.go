package dlib

import (
	"fmt"
	"image"
	"math"

	"facelogin/recognition"
)

// describeMargin is how much of the frame around a tracked face Describe
// hands to go-face, in face box sides on each side: enough for go-face's
// HOG detector to find the face again after it moved a little, little
// enough that a neighbour's face rarely comes along.
const describeMargin = 0.5

// describeMinSide is the face side, in pixels, below which Describe
// enlarges the region first: go-face does not upsample, and its HOG
// detector finds no face below HOGMinFaceSide.
const describeMinSide = 100

// Describe computes the descriptor of one tracked face in the frame it was
// tracked in: go-face (the same detector, 68 landmarks, aligned chip and
// ResNet as Recognize) runs on the region around face.Rect only, so it
// costs one descriptor and a detection over a small region instead of the
// whole frame. The result is go-face's face, in img's coordinates: its
// detector's box, landmarks and descriptor (matching what Recognize gives
// for the same face; TestDescribeMatchesRecognize measures the distance).
//
// Errors: recognition.CheckImage's for a bad image; ErrClosed; and
// recognition.ErrNoFace (wrapped) when go-face's detector does not find
// the face in its region, as happens for a strongly turned or blurred
// face that the tracker still follows — ask again on a later frame.
func (e *Engine) Describe(img image.Image, face recognition.TrackedFace) (recognition.Face, error) {
	if err := recognition.CheckImage(img); err != nil {
		return recognition.Face{}, err
	}
	want := boxOf(face.Rect)
	side := want.side()
	if !(side > 0) {
		return recognition.Face{}, fmt.Errorf("recognition: describe track %d: empty face box %v", face.ID, face.Rect)
	}
	m := describeMargin * side
	b := img.Bounds()
	region := image.Rect(int(math.Floor(want.l-m)), int(math.Floor(want.t-m)), int(math.Ceil(want.r+m))+1, int(math.Ceil(want.b+m))+1).
		Intersect(b)
	if region.Dx() < recognition.MinImageSide || region.Dy() < recognition.MinImageSide {
		return recognition.Face{}, fmt.Errorf("recognition: describe track %d: face box %v is outside the frame %v: %w",
			face.ID, face.Rect, b, recognition.ErrNoFace)
	}
	scale := 1.0
	switch longest := float64(max(region.Dx(), region.Dy())); {
	case side < describeMinSide:
		scale = describeMinSide / side
	case longest > float64(e.opt.MaxSide):
		scale = float64(e.opt.MaxSide) / longest // as Recognize scales large images
	default:
		// Unscaled, the region starts on the frame's 16-pixel JPEG blocks,
		// so that after the JPEG round trip its pixels are those Recognize
		// sees.
		region.Min.X -= mod(region.Min.X-b.Min.X, 16)
		region.Min.Y -= mod(region.Min.Y-b.Min.Y, 16)
	}
	faces, err := e.recognizeScaled(subImage(img, region), scale, false)
	if err != nil {
		return recognition.Face{}, err
	}
	best, bestIoU := -1, 0.3 // below this overlap go-face found someone else
	for i, f := range faces {
		if o := iou(want, boxOf(f.Rect)); o > bestIoU {
			best, bestIoU = i, o
		}
	}
	if best < 0 {
		return recognition.Face{}, fmt.Errorf("recognition: describe track %d: go-face's detector found no face at %v: %w",
			face.ID, face.Rect, recognition.ErrNoFace)
	}
	return faces[best], nil
}

// mod is x modulo m, in [0, m).
func mod(x, m int) int { return ((x % m) + m) % m }

// subImage returns the part r of img, sharing its pixels when img can.
func subImage(img image.Image, r image.Rectangle) image.Image {
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	return &cropped{img, r}
}

// cropped is img seen through the window r.
type cropped struct {
	image.Image
	r image.Rectangle
}

func (c *cropped) Bounds() image.Rectangle { return c.r }
