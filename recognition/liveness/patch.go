package liveness

import (
	"image"
	"image/color"
	"math"
)

// PatchFaceWidth is the width of the face (jaw point 0 to 16) in a Patch,
// pixels, and PatchSide the patch's side: 1.5 face widths, the face with
// its outline and a margin of background on either side.
const (
	PatchFaceWidth = 64
	PatchSide      = 96
)

// Patch is a small grayscale picture of one face, resampled from the
// camera frame into the face's own upright frame: PatchSide pixels square,
// the face PatchFaceWidth pixels wide, the eye line horizontal, the middle
// of the eyes and mouth at the centre. The 3D check of a head turn
// (Planarity) compares the patches of the frontal reference and of the
// turned face pixel by pixel, so it needs pixels, not only landmarks; a
// patch is what it keeps of a frame (9 KB).
//
// Build it with NewPatch from the frame and the landmarks found in it (the
// landmarks fix the face's position, size and roll; the pixels are the
// camera's).
type Patch struct {
	pix [PatchSide * PatchSide]uint8 // gray levels, row-major
	// frame → patch, a similarity: the frame point q goes to
	// R(−θ)·s·(q − c) + (PatchSide/2, PatchSide/2), where (cos θ, sin θ)
	// is the eye line's direction; (a, b) = s·(cos θ, sin θ).
	c    vec
	a, b float64
}

// NewPatch resamples the face whose 68 landmarks are lm (in img's
// coordinates) into a Patch. Each patch pixel averages four bilinear
// samples a quarter of its footprint apart (a box filter the size of a
// patch pixel, so the ~3× reduction of a webcam face does not alias).
// Pixels outside img read as the nearest edge pixel. It returns nil when
// lm is not a valid 68-point shape or img is nil or empty.
//
// Cost: ~37,000 bilinear samples; *image.RGBA, *image.NRGBA, *image.YCbCr
// and *image.Gray frames are read directly, any other image through its
// color model (several times slower).
func NewPatch(img image.Image, lm []Point) *Patch {
	if img == nil || img.Bounds().Empty() || !validShape(lm) {
		return nil
	}
	c, right, w := patchFrame(lm)
	if w <= 0 || !c.isFinite() || !right.isFinite() {
		return nil
	}
	s := PatchFaceWidth / w // patch pixels per frame pixel
	p := &Patch{c: c, a: s * right.x, b: s * right.y}
	src := newGraySampler(img)
	// patch → frame: the inverse similarity. One patch pixel is 1/s frame
	// pixels; taps at ±¼ of it.
	ia, ib := right.x/s, right.y/s
	const d = 0.25
	for v := 0; v < PatchSide; v++ {
		for u := 0; u < PatchSide; u++ {
			var sum float64
			for _, o := range [4][2]float64{{-d, -d}, {d, -d}, {-d, d}, {d, d}} {
				du, dv := float64(u)+o[0]-PatchSide/2, float64(v)+o[1]-PatchSide/2
				x := c.x + ia*du - ib*dv
				y := c.y + ib*du + ia*dv
				sum += src.at(x, y)
			}
			p.pix[v*PatchSide+u] = uint8(math.Min(255, sum/4+0.5))
		}
	}
	return p
}

// patchFrame is the centre of a face's patch (the middle of the eyes and
// the mouth), the unit vector of its eye line (the person's right eye to
// their left eye, to the right on an unmirrored picture) and its width
// (jaw 0–16), in frame pixels.
func patchFrame(lm []Point) (c, right vec, w float64) {
	var eyes, mouth vec
	for i := rightEye; i < leftEye+6; i++ {
		eyes = eyes.add(pv(lm[i]))
	}
	for i := 48; i < 60; i++ {
		mouth = mouth.add(pv(lm[i]))
	}
	c = eyes.scale(1.0 / 12).add(mouth.scale(1.0 / 12)).scale(0.5)
	right = mid(lm[leftEye], lm[leftEye+3]).sub(mid(lm[rightEye], lm[rightEye+3]))
	n := right.norm()
	if n == 0 {
		return c, vec{}, 0
	}
	return c, right.scale(1 / n), faceWidth(lm)
}

// toPatch maps a frame point into the patch.
func (p *Patch) toPatch(q vec) vec {
	d := q.sub(p.c)
	return vec{p.a*d.x + p.b*d.y + PatchSide/2, -p.b*d.x + p.a*d.y + PatchSide/2}
}

// Gray returns the patch as an image (for looking at it).
func (p *Patch) Gray() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, PatchSide, PatchSide))
	copy(g.Pix, p.pix[:])
	return g
}

// graySampler reads gray levels at fractional positions of an image.
type graySampler struct {
	img        image.Image
	r          image.Rectangle
	rgba       *image.RGBA
	nrgba      *image.NRGBA
	ycc        *image.YCbCr
	gray       *image.Gray
	maxX, maxY float64
}

func newGraySampler(img image.Image) *graySampler {
	g := &graySampler{img: img, r: img.Bounds()}
	g.maxX, g.maxY = float64(g.r.Dx()-1), float64(g.r.Dy()-1)
	switch m := img.(type) {
	case *image.RGBA:
		g.rgba = m
	case *image.NRGBA:
		g.nrgba = m
	case *image.YCbCr:
		g.ycc = m
	case *image.Gray:
		g.gray = m
	}
	return g
}

// at is the bilinear gray level (ITU-R BT.601 luma, 0–255) at (x, y), the
// pixel centres at whole coordinates, clamped to the image.
func (g *graySampler) at(x, y float64) float64 {
	x -= float64(g.r.Min.X)
	y -= float64(g.r.Min.Y)
	x = math.Max(0, math.Min(g.maxX, x))
	y = math.Max(0, math.Min(g.maxY, y))
	x0, y0 := int(x), int(y)
	fx, fy := x-float64(x0), y-float64(y0)
	x1, y1 := x0, y0
	if fx > 0 {
		x1++
	}
	if fy > 0 {
		y1++
	}
	p00, p10 := g.pixel(x0, y0), g.pixel(x1, y0)
	p01, p11 := g.pixel(x0, y1), g.pixel(x1, y1)
	top := p00 + (p10-p00)*fx
	bot := p01 + (p11-p01)*fx
	return top + (bot-top)*fy
}

// pixel is the gray level of the pixel (x, y) counted from the image's
// top-left corner.
func (g *graySampler) pixel(x, y int) float64 {
	switch {
	case g.rgba != nil:
		i := y*g.rgba.Stride + 4*x
		p := g.rgba.Pix[i : i+3 : i+3]
		return 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
	case g.nrgba != nil:
		i := y*g.nrgba.Stride + 4*x
		p := g.nrgba.Pix[i : i+4 : i+4]
		a := float64(p[3]) / 255
		return a * (0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2]))
	case g.ycc != nil:
		return float64(g.ycc.Y[y*g.ycc.YStride+x])
	case g.gray != nil:
		return float64(g.gray.Pix[y*g.gray.Stride+x])
	}
	c := color.GrayModel.Convert(g.img.At(g.r.Min.X+x, g.r.Min.Y+y)).(color.Gray)
	return float64(c.Y)
}

// pixels is the face's pixels in the frame being fed: its Patch, made at
// most once and only when a check asks for it.
type pixels struct {
	img  image.Image
	lm   []Point
	p    *Patch
	made bool
}

// patch is the face's patch, nil when the frame has no pixels.
func (px *pixels) patch() *Patch {
	if px == nil {
		return nil
	}
	if !px.made {
		px.made = true
		if px.p == nil && px.img != nil {
			px.p = NewPatch(px.img, px.lm)
		}
	}
	return px.p
}
