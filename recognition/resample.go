package recognition

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// ScaleInto resamples region sr of src into all of dst with the
// Catmull-Rom kernel, its support widened by the scale factor when
// shrinking (the filter and weights of golang.org/x/image/draw.CatmullRom,
// so a photo scaled down keeps no aliasing for the ResNet to see).
//
// Memory is what sets it apart from x/image/draw: that package's Kernel
// scaler keeps one float64 RGBA value per destination column and source
// row (32·dw·sh bytes: 384 MB to bring an 8000×5000 photo to 2400 pixels,
// more than the decoded photo). ScaleInto works down the rows and keeps
// only the source rows one destination row needs, resampled horizontally:
// 16·dw·(taps+1) bytes, under 2 MB for any photo DecodeImage accepts.
// Channels are premultiplied, as in image.RGBA. It panics if sr is empty
// or not inside src.Bounds().
func ScaleInto(dst *image.RGBA, src image.Image, sr image.Rectangle) {
	if sr.Empty() || !sr.In(src.Bounds()) {
		panic("recognition: ScaleInto: source rectangle outside the image")
	}
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	sw, sh := sr.Dx(), sr.Dy()
	hor, ver := newTaps(dw, sw), newTaps(dh, sh)
	rows := newRowReader(src, sr)
	// ring holds the horizontally resampled source rows the current
	// destination row reads; a row's slot is its index modulo len(ring).
	ring := make([][]float32, ver.maxTaps+1)
	held := make([]int, len(ring))
	for i := range ring {
		ring[i] = make([]float32, 4*dw)
		held[i] = -1
	}
	acc := make([]float32, 4*dw)
	for y := range dh {
		clear(acc)
		for _, c := range ver.of(y) {
			slot := c.coord % len(ring)
			if held[slot] != c.coord {
				hor.apply(ring[slot], rows.row(c.coord))
				held[slot] = c.coord
			}
			for i, v := range ring[slot] {
				acc[i] += c.weight * v
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*dw]
		for i, v := range acc {
			out[i] = clamp8(v)
		}
	}
}

func clamp8(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// taps are, for every destination column (or row), the source columns
// that contribute to it and their normalised weights.
type taps struct {
	start   []int // of each destination index, into c
	c       []tap
	maxTaps int
}

type tap struct {
	coord  int
	weight float32
}

func (t *taps) of(i int) []tap { return t.c[t.start[i]:t.start[i+1]] }

// newTaps distributes sw source columns over dw destination columns as
// x/image/draw's Kernel does: the kernel centred on (x+0.5)·scale−0.5,
// its support 2 (Catmull-Rom) times the scale when shrinking, weights
// that fall outside the source left out and the rest normalised.
func newTaps(dw, sw int) taps {
	scale := float64(sw) / float64(dw)
	half, argScale := 2.0, 1.0
	if scale > 1 {
		half *= scale
		argScale = 1 / scale
	}
	t := taps{start: make([]int, dw+1)}
	for x := range dw {
		center := (float64(x)+0.5)*scale - 0.5
		lo := max(0, int(math.Floor(center-half)))
		hi := min(sw, int(math.Ceil(center+half)))
		first, total := len(t.c), 0.0
		for coord := lo; coord < hi; coord++ {
			w := catmullRom(math.Abs((center - float64(coord)) * argScale))
			if w == 0 {
				continue
			}
			total += w
			t.c = append(t.c, tap{coord, float32(w)})
		}
		for i := first; i < len(t.c); i++ {
			t.c[i].weight = float32(float64(t.c[i].weight) / total)
		}
		t.start[x+1] = len(t.c)
		t.maxTaps = max(t.maxTaps, len(t.c)-first)
	}
	return t
}

// catmullRom is the kernel of x/image/draw.CatmullRom (B=0, C=0.5).
func catmullRom(t float64) float64 {
	switch {
	case t < 1:
		return (1.5*t-2.5)*t*t + 1
	case t < 2:
		return ((-0.5*t+2.5)*t-4)*t + 2
	}
	return 0
}

// apply resamples one source row (RGBA bytes) into out (4 floats a
// destination column).
func (t *taps) apply(out []float32, row []uint8) {
	for x := range len(out) / 4 {
		var r, g, b, a float32
		for _, c := range t.of(x) {
			p := row[4*c.coord : 4*c.coord+4 : 4*c.coord+4]
			r += c.weight * float32(p[0])
			g += c.weight * float32(p[1])
			b += c.weight * float32(p[2])
			a += c.weight * float32(p[3])
		}
		out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = r, g, b, a
	}
}

// rowReader hands the rows of region sr of an image as premultiplied RGBA
// bytes, one row at a time, without converting the whole image.
type rowReader struct {
	src image.Image
	sr  image.Rectangle
	buf *image.RGBA
	pal []color.RGBA // of a paletted image, which image/draw has no fast path for
}

func newRowReader(src image.Image, sr image.Rectangle) *rowReader {
	r := &rowReader{src: src, sr: sr, buf: image.NewRGBA(image.Rect(0, 0, sr.Dx(), 1))}
	if p, ok := src.(*image.Paletted); ok {
		r.pal = make([]color.RGBA, 256)
		for i, c := range p.Palette {
			r.pal[i] = color.RGBAModel.Convert(c).(color.RGBA)
		}
	}
	return r
}

// row returns row y of the region (0 is sr.Min.Y); valid until the next call.
func (r *rowReader) row(y int) []uint8 {
	sy := r.sr.Min.Y + y
	switch src := r.src.(type) {
	case *image.RGBA:
		i := src.PixOffset(r.sr.Min.X, sy)
		return src.Pix[i : i+4*r.sr.Dx()]
	case *image.Paletted:
		i := src.PixOffset(r.sr.Min.X, sy)
		for x, idx := range src.Pix[i : i+r.sr.Dx()] {
			c := r.pal[idx]
			r.buf.Pix[4*x], r.buf.Pix[4*x+1], r.buf.Pix[4*x+2], r.buf.Pix[4*x+3] = c.R, c.G, c.B, c.A
		}
		return r.buf.Pix
	}
	draw.Draw(r.buf, r.buf.Rect, r.src, image.Pt(r.sr.Min.X, sy), draw.Src)
	return r.buf.Pix
}
