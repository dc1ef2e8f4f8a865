package recognition

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
)

// Reasons a frame is refused for registration, checked with errors.Is.
// The window turns each into advice for people ("move closer").
var (
	ErrNoFace       = errors.New("no face found")
	ErrManyFaces    = errors.New("more than one face")
	ErrFaceTooSmall = errors.New("face too small")
	ErrFaceCut      = errors.New("face not fully inside the frame")
	ErrBlurred      = errors.New("face blurred")
	ErrTooDark      = errors.New("face too dark")
)

// QualityOptions are the registration gate's thresholds.
type QualityOptions struct {
	MinFaceSide  int     // minimum face box side in pixels
	MinInside    float64 // fraction of the face box that must lie inside the frame
	MinSharpness float64 // minimum variance of the Laplacian of the contrast-normalised face
	// MinBrightness is the least mean luminance (0–255, sRGB luma) of the
	// face box: below it the face is refused as too dark, whatever its
	// sharpness.
	MinBrightness float64
}

// DefaultQuality is calibrated on ../shared/testdata/faces as 640×480
// frames (TestQualityGate, TestDarkIsNotBlurred). Sharpness is measured
// after the face's contrast is normalised, so a dim face is not taken for a
// blurred one: every sharp face there measures 165 or more, whether lit
// normally or darkened to a fifth of its light, the same frames under a
// Gaussian-like blur of radius 3 at most 50 (66 when also darkened to 30%).
// 80 leaves room for softer webcam optics. MinBrightness 40: a face
// darkened to 30% of its light (mean luma ~35–45) moves its descriptor by
// ~0.2, half the match threshold; darker faces drift further and are
// refused as too dark. 80 pixels is the smallest face dlib's HOG detector
// finds.
var DefaultQuality = QualityOptions{MinFaceSide: 80, MinInside: 0.95, MinSharpness: 80, MinBrightness: 40}

// Quality describes the single face of a frame that passed or failed the gate.
type Quality struct {
	FaceSide  int     // shorter side of the face box, pixels
	Inside    float64 // fraction of the face box inside the frame
	Sharpness float64 // variance of the Laplacian on the face scaled to 112×112, contrast-normalised
	// Brightness is the mean luminance of the face box, 0–255.
	Brightness float64
}

// Score is a 0..1 summary stored with a template.
func (q Quality) Score() float32 {
	s := q.Sharpness / 500
	if s > 1 {
		s = 1
	}
	return float32(s * q.Inside)
}

// CheckQuality decides whether a frame and the faces found in it make a
// good registration sample: exactly one face, large enough, inside the
// frame, lit, sharp. The error wraps one of the Err* reasons above; a dark
// face is ErrTooDark, never ErrBlurred.
func CheckQuality(img image.Image, faces []Face, opt QualityOptions) (Quality, error) {
	switch len(faces) {
	case 0:
		return Quality{}, ErrNoFace
	case 1:
	default:
		return Quality{}, fmt.Errorf("%w: %d faces in view", ErrManyFaces, len(faces))
	}
	f := faces[0]
	bounds := img.Bounds()
	q := Quality{FaceSide: min(f.Rect.Dx(), f.Rect.Dy())}
	in := f.Rect.Intersect(bounds)
	if area := f.Rect.Dx() * f.Rect.Dy(); area > 0 {
		q.Inside = float64(in.Dx()*in.Dy()) / float64(area)
	}
	q.Sharpness, q.Brightness = faceSharpness(img, in)
	if q.FaceSide < opt.MinFaceSide {
		return q, fmt.Errorf("%w: %d pixels, need %d", ErrFaceTooSmall, q.FaceSide, opt.MinFaceSide)
	}
	if q.Inside < opt.MinInside {
		return q, fmt.Errorf("%w: %.0f%% inside", ErrFaceCut, 100*q.Inside)
	}
	for _, p := range f.Landmarks {
		if !p.In(bounds) {
			return q, fmt.Errorf("%w: landmark at %v outside %v", ErrFaceCut, p, bounds)
		}
	}
	if q.Brightness < opt.MinBrightness {
		return q, fmt.Errorf("%w: brightness %.0f of 255, need %.0f", ErrTooDark, q.Brightness, opt.MinBrightness)
	}
	if q.Sharpness < opt.MinSharpness {
		return q, fmt.Errorf("%w: sharpness %.0f, need %.0f", ErrBlurred, q.Sharpness, opt.MinSharpness)
	}
	return q, nil
}

// sharpSide is the size faces are scaled to before measuring sharpness, so
// the measure does not depend on how far away the face is.
const sharpSide = 112

// normStd is the standard deviation a face's grey levels are scaled to
// before its sharpness is measured: a typical well-lit face's.
const normStd = 48

// Sharpness is the variance of the 4-neighbour Laplacian over region r of
// img, after scaling r to 112×112 grey by box averaging and stretching its
// grey levels to a standard deviation of 48. Blur removes the high
// frequencies the Laplacian responds to; the stretch makes the measure
// independent of exposure and contrast (a face at a quarter of the light has
// a sixteenth of the raw Laplacian variance, yet is no blurrier). A flat
// region measures 0.
func Sharpness(img image.Image, r image.Rectangle) float64 {
	s, _ := faceSharpness(img, r)
	return s
}

// faceSharpness returns Sharpness and the mean luminance of r.
func faceSharpness(img image.Image, r image.Rectangle) (sharpness, brightness float64) {
	if r.Empty() {
		return 0, 0
	}
	gray := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(gray, gray.Bounds(), img, r.Min, draw.Src)
	small := boxScale(gray, sharpSide)
	var gs, gs2 float64
	for _, v := range small {
		gs += v
		gs2 += v * v
	}
	brightness = gs / float64(len(small))
	std := math.Sqrt(max(0, gs2/float64(len(small))-brightness*brightness))
	if std < 0.5 {
		return 0, brightness // flat: nothing to judge
	}
	gain := normStd / std
	var sum, sum2 float64
	n := 0
	for y := 1; y < sharpSide-1; y++ {
		for x := 1; x < sharpSide-1; x++ {
			i := y*sharpSide + x
			l := 4*small[i] - small[i-1] - small[i+1] - small[i-sharpSide] - small[i+sharpSide]
			sum += l
			sum2 += l * l
			n++
		}
	}
	mean := sum / float64(n)
	return (sum2/float64(n) - mean*mean) * gain * gain, brightness
}

// boxScale resamples g to side×side by averaging the source pixels that
// fall in each destination pixel (nearest when upscaling).
func boxScale(g *image.Gray, side int) []float64 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := make([]float64, side*side)
	for y := range side {
		y0, y1 := y*h/side, max((y+1)*h/side, y*h/side+1)
		for x := range side {
			x0, x1 := x*w/side, max((x+1)*w/side, x*w/side+1)
			var s float64
			for yy := y0; yy < y1; yy++ {
				row := g.Pix[yy*g.Stride:]
				for xx := x0; xx < x1; xx++ {
					s += float64(row[xx])
				}
			}
			out[y*side+x] = s / float64((y1-y0)*(x1-x0))
		}
	}
	return out
}
