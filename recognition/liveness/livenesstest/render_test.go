package livenesstest

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// A camera filming a flat picture (a print or a phone screen) is a
// homography from the picture's pixels to the frame's: the rendering below
// is that homography, sampled bilinearly, with what prints, screens and
// webcams do to the pixels on top.

// pinhole is the simulated webcam: frame size and focal length in pixels.
// f = 560 at 640×480 is a ~60° horizontal field of view, an ordinary
// laptop webcam's.
type pinhole struct {
	W, H int
	F    float64
}

var webcam = pinhole{W: 640, H: 480, F: 560}

// pose places the picture in front of the camera.
type pose struct {
	X, Y  float64 // where the picture's centre appears in the frame, pixels
	Scale float64 // frame pixels per picture pixel, facing the camera
	Roll  float64 // in-plane rotation, radians
	Yaw   float64 // tilt about the picture's vertical axis, radians (+: its right edge away from the camera)
	Pitch float64 // tilt about its horizontal axis, radians
}

// h3 is a 3×3 matrix, row-major.
type h3 [9]float64

func (a h3) mul(b h3) h3 {
	var c h3
	for r := range 3 {
		for k := range 3 {
			for j := range 3 {
				c[3*r+k] += a[3*r+j] * b[3*j+k]
			}
		}
	}
	return c
}

func (a h3) inv() h3 {
	det := a[0]*(a[4]*a[8]-a[5]*a[7]) - a[1]*(a[3]*a[8]-a[5]*a[6]) + a[2]*(a[3]*a[7]-a[4]*a[6])
	return h3{
		(a[4]*a[8] - a[5]*a[7]) / det, (a[2]*a[7] - a[1]*a[8]) / det, (a[1]*a[5] - a[2]*a[4]) / det,
		(a[5]*a[6] - a[3]*a[8]) / det, (a[0]*a[8] - a[2]*a[6]) / det, (a[2]*a[3] - a[0]*a[5]) / det,
		(a[3]*a[7] - a[4]*a[6]) / det, (a[1]*a[6] - a[0]*a[7]) / det, (a[0]*a[4] - a[1]*a[3]) / det,
	}
}

// homography maps picture pixels (origin top-left, size sz) to frame
// pixels: the picture centred on its own origin, rotated in its plane,
// tilted in 3D, placed at the distance where it shows at Scale, and seen
// through the pinhole camera.
func (c pinhole) homography(p pose, sz image.Point) h3 {
	center := h3{1, 0, -float64(sz.X) / 2, 0, 1, -float64(sz.Y) / 2, 0, 0, 1}
	cr, sr := math.Cos(p.Roll), math.Sin(p.Roll)
	roll := h3{cr, -sr, 0, sr, cr, 0, 0, 0, 1}
	// 3D rotation (yaw about Y, then pitch about X) of the plane point
	// (u, v, 0), translated to depth Z0 = F/Scale: columns 1, 2 of R and t.
	cy, sy := math.Cos(p.Yaw), math.Sin(p.Yaw)
	cp, sp := math.Cos(p.Pitch), math.Sin(p.Pitch)
	// R = Rx(pitch)·Ry(yaw)
	r := [3][3]float64{
		{cy, 0, sy},
		{sp * sy, cp, -sp * cy},
		{-cp * sy, sp, cp * cy},
	}
	z0 := c.F / p.Scale
	plane := h3{r[0][0], r[0][1], 0, r[1][0], r[1][1], 0, r[2][0], r[2][1], z0}
	k := h3{c.F, 0, p.X, 0, c.F, p.Y, 0, 0, 1}
	return k.mul(plane).mul(roll).mul(center)
}

// render draws pic into a frame of the camera over bg (nil: a plain
// wall) with the pose's perspective, bilinear sampling.
func (c pinhole) render(pic *image.RGBA, p pose, bg *image.RGBA) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, c.W, c.H))
	if bg != nil {
		draw.Draw(dst, dst.Bounds(), bg, bg.Bounds().Min, draw.Src)
	} else {
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.RGBA{182, 176, 168, 255}), image.Point{}, draw.Src)
	}
	sz := pic.Bounds().Size()
	inv := c.homography(p, sz).inv()
	for y := range c.H {
		fy := float64(y)
		row := dst.Pix[y*dst.Stride:]
		for x := range c.W {
			fx := float64(x)
			w := inv[6]*fx + inv[7]*fy + inv[8]
			u := (inv[0]*fx + inv[1]*fy + inv[2]) / w
			v := (inv[3]*fx + inv[4]*fy + inv[5]) / w
			if u < 0 || v < 0 || u > float64(sz.X-1) || v > float64(sz.Y-1) {
				continue
			}
			x0, y0 := int(u), int(v)
			x1, y1 := min(x0+1, sz.X-1), min(y0+1, sz.Y-1)
			ax, ay := u-float64(x0), v-float64(y0)
			for ch := range 3 {
				p00 := float64(pic.Pix[y0*pic.Stride+4*x0+ch])
				p10 := float64(pic.Pix[y0*pic.Stride+4*x1+ch])
				p01 := float64(pic.Pix[y1*pic.Stride+4*x0+ch])
				p11 := float64(pic.Pix[y1*pic.Stride+4*x1+ch])
				top := p00 + (p10-p00)*ax
				bot := p01 + (p11-p01)*ax
				row[4*x+ch] = uint8(top + (bot-top)*ay + 0.5)
			}
		}
	}
	return dst
}

// toRGBA copies any image into a zero-origin RGBA.
func toRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}

// A degradation changes a frame's pixels in place (print, screen, camera).
type degradation func(img *image.RGBA, rng *rand.Rand)

// gaussianBlur blurs with a separable Gaussian of the given sigma
// (defocus, a soft print, motion of the hand).
func gaussianBlur(sigma float64) degradation {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		x := float64(i - r)
		k[i] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return func(img *image.RGBA, _ *rand.Rand) {
		w, h := img.Rect.Dx(), img.Rect.Dy()
		a := make([]float64, w*h*3)
		for y := range h {
			for x := range w {
				for ch := range 3 {
					a[(y*w+x)*3+ch] = float64(img.Pix[y*img.Stride+4*x+ch])
				}
			}
		}
		b := make([]float64, len(a))
		blur1D(a, b, w, h, k, 1, 0)
		blur1D(b, a, w, h, k, 0, 1)
		for y := range h {
			for x := range w {
				for ch := range 3 {
					img.Pix[y*img.Stride+4*x+ch] = clamp8(a[(y*w+x)*3+ch])
				}
			}
		}
	}
}

// blur1D convolves the w×h RGB float image src with kernel k along
// (dx, dy) into dst, repeating the edge pixels.
func blur1D(src, dst []float64, w, h int, k []float64, dx, dy int) {
	r := len(k) / 2
	for y := range h {
		for x := range w {
			for ch := range 3 {
				var s float64
				for i, kv := range k {
					xx := min(max(x+(i-r)*dx, 0), w-1)
					yy := min(max(y+(i-r)*dy, 0), h-1)
					s += kv * src[(yy*w+xx)*3+ch]
				}
				dst[(y*w+x)*3+ch] = s
			}
		}
	}
}

// sensorNoise adds fresh Gaussian noise of the given sigma (grey levels)
// to every pixel: a webcam's noise, different in every frame.
func sensorNoise(sigma float64) degradation {
	return func(img *image.RGBA, rng *rand.Rand) {
		for i := 0; i < len(img.Pix); i += 4 {
			n := rng.NormFloat64() * sigma
			for ch := range 3 {
				img.Pix[i+ch] = clamp8(float64(img.Pix[i+ch]) + n + rng.NormFloat64()*sigma/2)
			}
		}
	}
}

// gamma maps every channel through v^g (a print's or screen's tone curve).
func gamma(g float64) degradation {
	var lut [256]uint8
	for i := range lut {
		lut[i] = clamp8(255 * math.Pow(float64(i)/255, g))
	}
	return func(img *image.RGBA, _ *rand.Rand) {
		for i := 0; i < len(img.Pix); i += 4 {
			for ch := range 3 {
				img.Pix[i+ch] = lut[img.Pix[i+ch]]
			}
		}
	}
}

// moire multiplies the picture by a fine oblique sinusoidal grating of the
// given period (pixels) and depth: the interference of a screen's pixel
// grid, or a printer's halftone, with the camera's.
func moire(period, depth float64) degradation {
	return func(img *image.RGBA, _ *rand.Rand) {
		w, h := img.Rect.Dx(), img.Rect.Dy()
		for y := range h {
			for x := range w {
				m := 1 + depth*math.Sin(2*math.Pi*(0.8*float64(x)+0.6*float64(y))/period)
				for ch := range 3 {
					i := y*img.Stride + 4*x + ch
					img.Pix[i] = clamp8(float64(img.Pix[i]) * m)
				}
			}
		}
	}
}

// jpegRoundTrip compresses and decompresses at the given quality.
func jpegRoundTrip(quality int) degradation {
	return func(img *image.RGBA, _ *rand.Rand) {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			panic(err)
		}
		dec, err := jpeg.Decode(&buf)
		if err != nil {
			panic(err)
		}
		draw.Draw(img, img.Rect, dec, dec.Bounds().Min, draw.Src)
	}
}

func clamp8(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
