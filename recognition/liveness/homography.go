package liveness

import "math"

// homography is a 3×3 projective transform with h[8] = 1, row-major: it
// maps (x, y) to ((h0x+h1y+h2)/w, (h3x+h4y+h5)/w), w = h6x+h7y+1. Every
// view of a flat picture — moved, rotated, scaled, tilted in perspective —
// is such a transform of any other view of it.
type homography [9]float64

func (h *homography) apply(p vec) vec {
	w := h[6]*p.x + h[7]*p.y + h[8]
	return vec{(h[0]*p.x + h[1]*p.y + h[2]) / w, (h[3]*p.x + h[4]*p.y + h[5]) / w}
}

// normalizer is Hartley's conditioning ("In defense of the eight-point
// algorithm", 1997): points moved to their centroid and scaled to a mean
// distance of √2 from it.
type normalizer struct {
	c vec
	s float64
}

func newNormalizer(pts []vec) normalizer {
	var c vec
	for _, p := range pts {
		c = c.add(p)
	}
	c = c.scale(1 / float64(len(pts)))
	var d float64
	for _, p := range pts {
		d += p.distTo(c)
	}
	d /= float64(len(pts))
	if d == 0 {
		d = 1
	}
	return normalizer{c, math.Sqrt2 / d}
}

func (n normalizer) to(p vec) vec { return p.sub(n.c).scale(n.s) }

// fitHomography returns the least-squares (algebraic, on Hartley-normalised
// coordinates) homography taking src[i] to dst[i], and false when the
// points do not determine one (fewer than 4, or degenerate).
func fitHomography(src, dst []vec) (homography, bool) {
	return fitHomographyW(src, dst, nil)
}

// fitHomographyW is fitHomography with a weight per pair (nil: all 1).
func fitHomographyW(src, dst []vec, wt []float64) (homography, bool) {
	if len(src) < 4 || len(src) != len(dst) {
		return homography{}, false
	}
	ns, nd := newNormalizer(src), newNormalizer(dst)
	// Normal equations AᵀA h = Aᵀb of the 8 unknowns, two rows per pair:
	//   [x y 1 0 0 0 −xu −yu] h = u,  [0 0 0 x y 1 −xv −yv] h = v.
	var ata [8][8]float64
	var atb [8]float64
	for i := range src {
		s, d := ns.to(src[i]), nd.to(dst[i])
		rows := [2][8]float64{
			{s.x, s.y, 1, 0, 0, 0, -s.x * d.x, -s.y * d.x},
			{0, 0, 0, s.x, s.y, 1, -s.x * d.y, -s.y * d.y},
		}
		rhs := [2]float64{d.x, d.y}
		w := 1.0
		if wt != nil {
			w = wt[i]
		}
		for r := range rows {
			for j := range 8 {
				if rows[r][j] == 0 {
					continue
				}
				for k := range 8 {
					ata[j][k] += w * rows[r][j] * rows[r][k]
				}
				atb[j] += w * rows[r][j] * rhs[r]
			}
		}
	}
	x, ok := solve8(ata, atb)
	if !ok {
		return homography{}, false
	}
	hn := homography{x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], 1}
	// Undo the normalisations: H = Tdst⁻¹ · Hn · Tsrc.
	ts := homography{ns.s, 0, -ns.s * ns.c.x, 0, ns.s, -ns.s * ns.c.y, 0, 0, 1}
	tdInv := homography{1 / nd.s, 0, nd.c.x, 0, 1 / nd.s, nd.c.y, 0, 0, 1}
	h := mul3(tdInv, mul3(hn, ts))
	if h[8] == 0 || !finite(h[8]) {
		return homography{}, false
	}
	for i := range h {
		h[i] /= h[8]
		if !finite(h[i]) {
			return homography{}, false
		}
	}
	return h, true
}

func mul3(a, b homography) homography {
	var c homography
	for r := range 3 {
		for k := range 3 {
			for j := range 3 {
				c[3*r+k] += a[3*r+j] * b[3*j+k]
			}
		}
	}
	return c
}

// solve8 solves a·x = b by Gaussian elimination with partial pivoting; false
// when a is (numerically) singular.
func solve8(a [8][8]float64, b [8]float64) ([8]float64, bool) {
	var scale float64
	for i := range 8 {
		scale = math.Max(scale, math.Abs(a[i][i]))
	}
	if scale == 0 {
		return b, false
	}
	for col := range 8 {
		p := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		if math.Abs(a[p][col]) < 1e-12*scale {
			return b, false
		}
		a[col], a[p] = a[p], a[col]
		b[col], b[p] = b[p], b[col]
		for r := col + 1; r < 8; r++ {
			f := a[r][col] / a[col][col]
			for k := col; k < 8; k++ {
				a[r][k] -= f * a[col][k]
			}
			b[r] -= f * b[col]
		}
	}
	var x [8]float64
	for r := 7; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < 8; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}
