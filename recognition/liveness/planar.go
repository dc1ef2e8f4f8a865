package liveness

import (
	"math"
	"sort"
)

// The photometric 3D check of a head turn.
//
// Every view of a flat picture — moved, rotated, scaled, tilted in
// perspective, held close or far — is the same picture under one
// homography (a plane seen by a pinhole camera: Hartley & Zisserman,
// "Multiple View Geometry in Computer Vision", 2nd ed., 2004, §13.1).
// Two views of a head are not: as it turns, the nose, the cheeks and the
// outline, at different depths, move across each other (parallax). Planar
// anti-spoofing checks build on this (De Marsico, Nappi, Riccio &
// Dugelay, "Moving face spoofing detection via 3D projective invariants",
// ICB 2012; Bao, Li, Li & Jiang, "A liveness detection method for face
// recognition based on optical flow field", IASP 2009).
//
// The check measures it on the pixels, not on the landmarks (the shape
// predictor's prior places the landmarks of a perspective-squeezed flat
// face as if the head had turned, so landmark depth cues cannot tell a
// small real turn from a tilted picture):
//
//  1. The face patch of the turned frame is aligned to the frontal
//     reference's with the homography that best maps the face around the
//     nose (inverse-compositional Lucas–Kanade, Baker & Matthews,
//     "Lucas-Kanade 20 Years On: A Unifying Framework", IJCV 56(3), 2004,
//     §3.2 and §4.2; coarse to fine over a 3-level pyramid, affine first;
//     started from the affine map of the landmarks; the light's gain and
//     bias normalised at every iteration as the enhanced correlation
//     coefficient does, Evangelidis & Psarakis, PAMI 30(10), 2008).
//  2. Small windows on a grid over the whole face are matched on their own
//     beyond that homography (Lucas–Kanade for a translation): each gives
//     one point correspondence between the two views, to a fraction of a
//     pixel.
//  3. One homography is fitted to all the correspondences, robustly
//     (iteratively reweighted least squares with Huber weights), and the
//     correspondences' distances from it are the non-planarity: for a
//     flat picture only matching noise is left, for a head the parallax of
//     the nose, cheeks and outline.
//
// NonPlanarity is the 70th percentile of those distances, in face widths.

// lkSmooth is the binomial kernel 1-4-6-4-1 (a Gaussian of σ ≈ 1 pixel)
// the pyramid levels are smoothed with: it widens the basin of
// convergence and averages the sensor noise.
var lkSmooth = [5]float32{1.0 / 16, 4.0 / 16, 6.0 / 16, 4.0 / 16, 1.0 / 16}

// level is one level of a patch's pyramid: n×n gray levels, each pixel
// scale patch pixels wide.
type level struct {
	pix   []float32
	n     int
	scale float64
}

// smooth returns pix (n×n) convolved with lkSmooth in both directions,
// the edges repeated.
func smooth(pix []float32, n int) []float32 {
	tmp := make([]float32, n*n)
	out := make([]float32, n*n)
	for y := range n {
		row := pix[y*n : (y+1)*n]
		for x := range n {
			var s float32
			for k, w := range lkSmooth {
				s += w * row[min(max(x+k-2, 0), n-1)]
			}
			tmp[y*n+x] = s
		}
	}
	for y := range n {
		for x := range n {
			var s float32
			for k, w := range lkSmooth {
				s += w * tmp[min(max(y+k-2, 0), n-1)*n+x]
			}
			out[y*n+x] = s
		}
	}
	return out
}

// pyramidLevels is the number of levels: 96, 48 and 24 pixels.
const pyramidLevels = 3

// pyramid returns the patch smoothed (level 0) and halved twice, each
// level smoothed again.
func pyramid(p *Patch) [pyramidLevels]level {
	var ls [pyramidLevels]level
	pix := make([]float32, PatchSide*PatchSide)
	for i, v := range p.pix {
		pix[i] = float32(v)
	}
	ls[0] = level{smooth(pix, PatchSide), PatchSide, 1}
	for l := 1; l < len(ls); l++ {
		prev := ls[l-1]
		n := prev.n / 2
		half := make([]float32, n*n)
		for y := range n {
			for x := range n {
				i := 2*y*prev.n + 2*x
				half[y*n+x] = (prev.pix[i] + prev.pix[i+1] + prev.pix[i+prev.n] + prev.pix[i+prev.n+1]) / 4
			}
		}
		ls[l] = level{smooth(half, n), n, prev.scale * 2}
	}
	return ls
}

// patchNorm is half the patch's side: homographies are estimated in
// normalised coordinates, patch pixels relative to the patch's centre
// divided by patchNorm (the face spans about ±0.7), for well-conditioned
// fits.
const patchNorm = PatchSide / 2

// normalised maps a patch point to normalised coordinates.
func normalised(q vec) vec { return vec{(q.x - patchNorm) / patchNorm, (q.y - patchNorm) / patchNorm} }

// norm maps the pixel (x, y) of the level to normalised coordinates: its
// centre in patch pixels is scale·x + (scale−1)/2.
func (l *level) norm(x, y float64) vec {
	o := (l.scale - 1) / 2
	return vec{(l.scale*x + o - patchNorm) / patchNorm, (l.scale*y + o - patchNorm) / patchNorm}
}

// pixel is the inverse of norm.
func (l *level) pixel(v vec) vec {
	o := (l.scale - 1) / 2
	return vec{(v.x*patchNorm + patchNorm - o) / l.scale, (v.y*patchNorm + patchNorm - o) / l.scale}
}

// at samples the level bilinearly at (x, y), clamped to its edges.
func (l *level) at(x, y float64) float64 {
	n := l.n
	fn := float64(n - 1)
	// (NaN compares false: it reads as the first pixel.)
	if !(x > 0) {
		x = 0
	} else if x > fn {
		x = fn
	}
	if !(y > 0) {
		y = 0
	} else if y > fn {
		y = fn
	}
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, n-1), min(y0+1, n-1)
	fx, fy := x-float64(x0), y-float64(y0)
	p00, p10 := float64(l.pix[y0*n+x0]), float64(l.pix[y0*n+x1])
	p01, p11 := float64(l.pix[y1*n+x0]), float64(l.pix[y1*n+x1])
	top := p00 + (p10-p00)*fx
	bot := p01 + (p11-p01)*fx
	return top + (bot-top)*fy
}

// grad is the central-difference gradient of the level at the pixel
// (x, y), which must not be on its border.
func (l *level) grad(x, y int) (gx, gy float64) {
	i := y*l.n + x
	return float64(l.pix[i+1]-l.pix[i-1]) / 2, float64(l.pix[i+l.n]-l.pix[i-l.n]) / 2
}

// insidePolygon reports whether (x, y) lies inside the closed polygon.
func insidePolygon(poly []vec, x, y float64) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.y > y) != (b.y > y) && x < (b.x-a.x)*(y-a.y)/(b.y-a.y)+a.x {
			in = !in
		}
	}
	return in
}

// box is an axis-parallel rectangle in normalised coordinates.
type box struct{ lo, hi vec }

func (b box) contains(v vec) bool {
	return v.x >= b.lo.x && v.x <= b.hi.x && v.y >= b.lo.y && v.y <= b.hi.y
}

// boxAround is the bounding box of lm[first..last], widened by mx and my.
func boxAround(lm []vec, first, last int, mx, my float64) box {
	b := box{vec{math.Inf(1), math.Inf(1)}, vec{math.Inf(-1), math.Inf(-1)}}
	for i := first; i <= last; i++ {
		b.lo = vec{math.Min(b.lo.x, lm[i].x), math.Min(b.lo.y, lm[i].y)}
		b.hi = vec{math.Max(b.hi.x, lm[i].x), math.Max(b.hi.y, lm[i].y)}
	}
	b.lo, b.hi = b.lo.sub(vec{mx, my}), b.hi.add(vec{mx, my})
	return b
}

// faceOutline is the polygon of the jaw line and the brows of a shape in
// normalised coordinates: the face.
func faceOutline(lm []vec) []vec {
	poly := make([]vec, 0, 27)
	poly = append(poly, lm[:17]...)
	for i := 26; i >= 17; i-- {
		poly = append(poly, lm[i])
	}
	return poly
}

// region is a set of pixels of one pyramid level with what
// Lucas–Kanade needs of the template there, precomputed once.
type region struct {
	at     []vec     // normalised coordinates of the pixels
	tv     []float64 // template values
	gx, gy []float64 // template gradients, per normalised unit
	mean   float64   // of tv
	varT   float64   // Σ (tv − mean)²
}

func (r *region) add(l *level, x, y int) {
	gx, gy := l.grad(x, y)
	g := patchNorm / l.scale // level pixels per normalised unit
	r.at = append(r.at, l.norm(float64(x), float64(y)))
	r.tv = append(r.tv, float64(l.pix[y*l.n+x]))
	r.gx = append(r.gx, gx*g)
	r.gy = append(r.gy, gy*g)
}

// done computes the template's mean and spread; false when it is flat.
func (r *region) done() bool {
	n := float64(len(r.tv))
	if n == 0 {
		return false
	}
	var s float64
	for _, v := range r.tv {
		s += v
	}
	r.mean = s / n
	r.varT = 0
	for _, v := range r.tv {
		r.varT += sq(v - r.mean)
	}
	return r.varT > 0
}

// normalisedResidual warps img by h over r and calls fn with each
// pixel's residual against the template after the image's gain and bias
// are normalised (both made zero-mean with the same spread, as the
// enhanced correlation coefficient does). It returns the RMS residual;
// ok is false when the image does not correlate with the template there.
// iv is scratch of len(r.at).
func (r *region) normalisedResidual(img *level, h homography, off vec, iv []float64, fn func(i int, e float64)) (rms float64, ok bool) {
	var si, sii, sit float64
	for i, p := range r.at {
		w := img.pixel(h.apply(p.add(off)))
		v := img.at(w.x, w.y)
		iv[i] = v
		si += v
		sii += v * v
		sit += v * r.tv[i]
	}
	n := float64(len(r.at))
	alpha := math.Sqrt((sii - si*si/n) / r.varT)
	if !(alpha > 0.05) || !finite(alpha) || sit-si*r.mean <= 0 {
		return 0, false
	}
	beta := si/n - alpha*r.mean
	var ss float64
	for i := range r.at {
		e := (iv[i]-beta)/alpha - r.tv[i]
		ss += e * e
		if fn != nil {
			fn(i, e)
		}
	}
	return math.Sqrt(ss / n), true
}

// steepestDescent is the steepest-descent images ∇T·∂W/∂p at p = 0 of
// the template over r and the Gauss–Newton Hessian of the first params
// parameters (the others held at 0 by a unit diagonal).
func (r *region) steepestDescent(params int) ([][8]float64, [8][8]float64) {
	sd := make([][8]float64, len(r.at))
	var hess [8][8]float64
	for i, u := range r.at {
		gx, gy := r.gx[i], r.gy[i]
		q := gx*u.x + gy*u.y
		s := [8]float64{gx * u.x, gx * u.y, gx, gy * u.x, gy * u.y, gy, -u.x * q, -u.y * q}
		sd[i] = s
		for a := range params {
			for b := a; b < params; b++ {
				hess[a][b] += s[a] * s[b]
			}
		}
	}
	for a := range 8 {
		for b := 0; b < a; b++ {
			hess[a][b] = hess[b][a]
		}
		if a >= params {
			hess[a][a] = 1 // the parameters not refined stay 0
		}
	}
	return sd, hess
}

// lkHomography refines h, the homography from the template's normalised
// coordinates to the image's, so that img warped by it matches the
// template over r: inverse-compositional Lucas–Kanade (Baker & Matthews
// 2004, §3.2, the homography's Jacobian of their §4.2), a step halved
// while it does not lower the residual (Gauss–Newton overshoots far from
// the minimum). With params 6 only the affine part is refined. It returns
// the refined homography and the RMS of the normalised residual over r;
// ok is false when the image does not correlate with the template or the
// system is singular.
func lkHomography(img *level, r *region, h homography, params, iters int) (homography, float64, bool) {
	n := len(r.at)
	if n < 50 {
		return h, 0, false
	}
	sd, hess := r.steepestDescent(params)
	iv := make([]float64, n)
	var b [8]float64
	accumulate := func(i int, e float64) {
		for a := range params {
			b[a] += sd[i][a] * e
		}
	}
	b = [8]float64{}
	rms, ok := r.normalisedResidual(img, h, vec{}, iv, accumulate)
	if !ok {
		return h, 0, false
	}
	for range iters {
		dp, ok := solve8(hess, b)
		if !ok {
			break
		}
		// W(x; p) ← W(x; p) ∘ W(x; Δp)⁻¹
		improved := false
		for try := 0; try < 4 && !improved; try++ {
			dh := homography{1 + dp[0], dp[1], dp[2], dp[3], 1 + dp[4], dp[5], dp[6], dp[7], 1}
			if inv, ok := invert3(dh); ok {
				next := normalize3(mul3(h, inv))
				saved := b
				b = [8]float64{}
				if rr, ok := r.normalisedResidual(img, next, vec{}, iv, accumulate); ok && rr < rms {
					h, rms, improved = next, rr, true
				} else {
					b = saved
				}
			}
			for k := range dp {
				dp[k] /= 2
			}
		}
		var step float64
		for _, v := range dp {
			step += v * v
		}
		if !improved || step < 1e-12 {
			break
		}
	}
	return h, rms, true
}

// lkShift finds the translation d (normalised units) of r beyond h: the
// image at h(x + d) matches the template at x (inverse-compositional
// Lucas–Kanade for a translation, gain and bias normalised). ok is false
// when the window has no texture in some direction or does not correlate.
func lkShift(img *level, r *region, h homography, iters int, iv []float64) (d vec, ok bool) {
	var hxx, hxy, hyy float64
	for i := range r.at {
		hxx += r.gx[i] * r.gx[i]
		hxy += r.gx[i] * r.gy[i]
		hyy += r.gy[i] * r.gy[i]
	}
	det := hxx*hyy - hxy*hxy
	if !(det > 0) {
		return vec{}, false
	}
	for range iters {
		var bx, by float64
		_, ok := r.normalisedResidual(img, h, d, iv, func(i int, e float64) {
			bx += r.gx[i] * e
			by += r.gy[i] * e
		})
		if !ok {
			return d, false
		}
		step := vec{(hyy*bx - hxy*by) / det, (hxx*by - hxy*bx) / det}
		d = d.sub(step)
		if step.dot(step) < 1e-10 {
			break
		}
	}
	return d, true
}

// invert3 inverts a homography.
func invert3(a homography) (homography, bool) {
	det := a[0]*(a[4]*a[8]-a[5]*a[7]) - a[1]*(a[3]*a[8]-a[5]*a[6]) + a[2]*(a[3]*a[7]-a[4]*a[6])
	if det == 0 || !finite(det) {
		return homography{}, false
	}
	return homography{
		(a[4]*a[8] - a[5]*a[7]) / det, (a[2]*a[7] - a[1]*a[8]) / det, (a[1]*a[5] - a[2]*a[4]) / det,
		(a[5]*a[6] - a[3]*a[8]) / det, (a[0]*a[8] - a[2]*a[6]) / det, (a[2]*a[3] - a[0]*a[5]) / det,
		(a[3]*a[7] - a[4]*a[6]) / det, (a[1]*a[6] - a[0]*a[7]) / det, (a[0]*a[4] - a[1]*a[3]) / det,
	}, true
}

// normalize3 scales a homography to h[8] = 1.
func normalize3(h homography) homography {
	if h[8] == 0 {
		return h
	}
	for i := range h {
		h[i] /= h[8]
	}
	return h
}

// fitAffine is the least-squares affine map taking src[i] to dst[i], as a
// homography; false when the points are degenerate.
func fitAffine(src, dst []vec) (homography, bool) {
	if len(src) < 3 || len(src) != len(dst) {
		return homography{}, false
	}
	var cs, cd vec
	for i := range src {
		cs, cd = cs.add(src[i]), cd.add(dst[i])
	}
	n := float64(len(src))
	cs, cd = cs.scale(1/n), cd.scale(1/n)
	var sxx, sxy, syy, uxx, uxy, vxx, vxy float64
	for i := range src {
		p, q := src[i].sub(cs), dst[i].sub(cd)
		sxx += p.x * p.x
		sxy += p.x * p.y
		syy += p.y * p.y
		uxx += q.x * p.x
		uxy += q.x * p.y
		vxx += q.y * p.x
		vxy += q.y * p.y
	}
	det := sxx*syy - sxy*sxy
	if !(det > 1e-12) {
		return homography{}, false
	}
	a := (uxx*syy - uxy*sxy) / det
	b := (uxy*sxx - uxx*sxy) / det
	c := (vxx*syy - vxy*sxy) / det
	d := (vxy*sxx - vxx*sxy) / det
	return homography{a, b, cd.x - a*cs.x - b*cs.y, c, d, cd.y - c*cs.x - d*cs.y, 0, 0, 1}, true
}

// Grid of the matched windows: 9×9 pixels of pyramid level 1 (18 patch
// pixels, 0.28 face widths), every 8 patch pixels, wholly inside the face.
const (
	gridStep    = 8
	gridLevel   = 1
	gridHalf    = 4
	lkIters     = 15
	shiftIters  = 10
	maxShift    = 0.2 // normalised units (0.15 face widths): beyond it a window lost its match
	minWindows  = 12
	planarQuant = 0.7
)

// faceRef is the frontal reference of the 3D check (or the open-eyed
// frame a blink is compared with): its pyramid, the region the face's
// homography is fitted to, and the windows matched one by one.
type faceRef struct {
	pyr     [pyramidLevels]level
	lm      [NumLandmarks]vec // landmarks, normalised patch coordinates
	fit     [pyramidLevels]region
	windows []region
	eyes    [2]box // the eyes' boxes, for the blink's eye check
}

// newFaceRef prepares the reference from its patch and landmarks. With
// noEyes the homography is fitted without the eyes (which close in a
// blink). nil when the face has too little texture to be aligned.
func newFaceRef(p *Patch, lm []Point, noEyes bool) *faceRef {
	r := &faceRef{pyr: pyramid(p)}
	for i := range r.lm {
		r.lm[i] = normalised(p.toPatch(pv(lm[i])))
	}
	poly := faceOutline(r.lm[:])
	fw := float64(PatchFaceWidth) / patchNorm // a face width in normalised units
	nose := boxAround(r.lm[:], 27, 35, 0.1*fw, 0.05*fw)
	r.eyes = [2]box{boxAround(r.lm[:], rightEye, rightEye+5, 0.08*fw, 0.1*fw), boxAround(r.lm[:], leftEye, leftEye+5, 0.08*fw, 0.1*fw)}
	for l := range r.pyr {
		if !r.fitRegion(l, poly, nose, noEyes) {
			return nil
		}
	}
	r.gridWindows(poly)
	return r
}

// fitRegion collects the pixels of pyramid level l the face's homography
// is fitted to: inside the face outline poly, outside the nose box (and
// the eyes, with noEyes). false when they have no texture.
func (r *faceRef) fitRegion(l int, poly []vec, nose box, noEyes bool) bool {
	lv := &r.pyr[l]
	for y := 1; y < lv.n-1; y++ {
		for x := 1; x < lv.n-1; x++ {
			v := lv.norm(float64(x), float64(y))
			if !insidePolygon(poly, v.x, v.y) || nose.contains(v) {
				continue
			}
			if noEyes && (r.eyes[0].contains(v) || r.eyes[1].contains(v)) {
				continue
			}
			r.fit[l].add(lv, x, y)
		}
	}
	return r.fit[l].done()
}

// gridWindows lays the matched windows on the grid, those wholly inside
// the face outline poly and with texture.
func (r *faceRef) gridWindows(poly []vec) {
	lv := &r.pyr[gridLevel]
	for cy := gridStep / 2; cy < PatchSide; cy += gridStep {
		for cx := gridStep / 2; cx < PatchSide; cx += gridStep {
			x, y := cx>>gridLevel, cy>>gridLevel
			if x-gridHalf < 1 || y-gridHalf < 1 || x+gridHalf >= lv.n-1 || y+gridHalf >= lv.n-1 {
				continue
			}
			inside := true
			for _, o := range [4][2]int{{-1, -1}, {1, -1}, {-1, 1}, {1, 1}} {
				v := lv.norm(float64(x+o[0]*gridHalf), float64(y+o[1]*gridHalf))
				inside = inside && insidePolygon(poly, v.x, v.y)
			}
			if !inside {
				continue
			}
			var w region
			for yy := y - gridHalf; yy <= y+gridHalf; yy++ {
				for xx := x - gridHalf; xx <= x+gridHalf; xx++ {
					w.add(lv, xx, yy)
				}
			}
			if w.done() {
				r.windows = append(r.windows, w)
			}
		}
	}
}

// align is the homography from the reference's normalised patch
// coordinates to cur's: the affine map of the landmarks around the nose,
// refined on the pixels coarse to fine (the coarsest level affine only).
func (r *faceRef) align(cur *[pyramidLevels]level, curPatch *Patch, curLm []Point) (homography, bool) {
	var src, dst []vec
	for i := 17; i < NumLandmarks; i++ {
		if i >= 27 && i <= 35 {
			continue // the nose stands out of the face
		}
		src = append(src, r.lm[i])
		dst = append(dst, normalised(curPatch.toPatch(pv(curLm[i]))))
	}
	h, ok := fitAffine(src, dst)
	for l := pyramidLevels - 1; l >= 0 && ok; l-- {
		params := 8
		if l == pyramidLevels-1 {
			params = 6
		}
		h, _, ok = lkHomography(&cur[l], &r.fit[l], h, params, lkIters)
	}
	return h, ok
}

// NonPlanarity is how far the face in cur (its patch and landmarks) is
// from being a homography of the reference face, as the 3D check measures
// it (see the comment at the top of planar.go): the 70th percentile of
// the distances of the window correspondences from the one homography
// that fits them best, in face widths. ~0.001–0.007 for flat pictures
// however they are held (the rendered attacks of TestAttacks), ~0.02–0.07
// for real heads turned by 10–20° (TestGenuineClips). ok is false when
// the faces cannot be aligned or too few windows match.
func (r *faceRef) nonPlanarity(cur *Patch, curLm []Point) (float64, bool) {
	pyr := pyramid(cur)
	h, ok := r.align(&pyr, cur, curLm)
	if !ok {
		return 0, false
	}
	iv := make([]float64, (2*gridHalf+1)*(2*gridHalf+1))
	src := make([]vec, 0, len(r.windows))
	dst := make([]vec, 0, len(r.windows))
	for i := range r.windows {
		w := &r.windows[i]
		d, ok := lkShift(&pyr[gridLevel], w, h, shiftIters, iv)
		if !ok || d.norm() > maxShift {
			continue
		}
		c := w.at[len(w.at)/2]
		src = append(src, c)
		dst = append(dst, h.apply(c.add(d)))
	}
	if len(src) < minWindows {
		return 0, false
	}
	res, ok := robustHomographyResiduals(src, dst)
	if !ok {
		return 0, false
	}
	sort.Float64s(res)
	q := res[int(planarQuant*float64(len(res)-1)+0.5)]
	return q * patchNorm / PatchFaceWidth, true
}

// NonPlanarity is the 3D check's measure between two views of a face
// (see the comment at the top of planar.go): how far the face in cur
// (its Patch and 68 landmarks, frame pixels) is from being a homography
// of the face in ref, in face widths — the 70th percentile of the
// distances of the windows matched on an 8-pixel grid over the face from
// the one homography that fits them best. ok is false when ref has too
// little texture, the views cannot be aligned or too few windows match.
// The challenge compares each turned frame with the frontal frame that
// began the step; this function is for measuring margins.
func NonPlanarity(ref *Patch, refLm []Point, cur *Patch, curLm []Point) (float64, bool) {
	if ref == nil || cur == nil || !validShape(refLm) || !validShape(curLm) {
		return 0, false
	}
	r := newFaceRef(ref, refLm, false)
	if r == nil {
		return 0, false
	}
	return r.nonPlanarity(cur, curLm)
}

// robustHomographyResiduals fits one homography to the correspondences by
// iteratively reweighted least squares with Huber weights (the threshold
// 1.5 times the median distance, at least 0.002 normalised units) and
// returns each correspondence's distance from it, normalised units.
func robustHomographyResiduals(src, dst []vec) ([]float64, bool) {
	wt := make([]float64, len(src))
	for i := range wt {
		wt[i] = 1
	}
	res := make([]float64, len(src))
	tmp := make([]float64, len(src))
	for range 5 {
		h, ok := fitHomographyW(src, dst, wt)
		if !ok {
			return nil, false
		}
		for i := range src {
			res[i] = h.apply(src[i]).distTo(dst[i])
		}
		copy(tmp, res)
		k := math.Max(1.5*median(tmp), 0.002)
		for i := range wt {
			wt[i] = 1
			if res[i] > k {
				wt[i] = k / res[i]
			}
		}
	}
	return res, true
}

// eyeCorrelation is how alike the eyes of cur are to the reference's once
// the faces are aligned (the homography fitted without the eyes): the
// smaller of the two eyes' normalised cross-correlations. ~1 when the
// eyes did not change (a picture), ≤ 0.6 between open and closed eyes.
func (r *faceRef) eyeCorrelation(cur *Patch, curLm []Point) (float64, bool) {
	pyr := pyramid(cur)
	h, ok := r.align(&pyr, cur, curLm)
	if !ok {
		return 0, false
	}
	lv := &r.pyr[0]
	worst := 1.0
	for _, e := range r.eyes {
		// The best correlation over shifts of up to 2 patch pixels: a
		// slightly misaligned eye still matches itself, a closed eye never
		// matches an open one.
		best := -1.0
		lo, hi := lv.pixel(e.lo), lv.pixel(e.hi)
		for sy := -2; sy <= 2; sy++ {
			for sx := -2; sx <= 2; sx++ {
				var a0, b0, aa, bb, ab, n float64
				for y := max(0, int(lo.y)); y <= min(lv.n-1, int(hi.y)); y++ {
					for x := max(0, int(lo.x)); x <= min(lv.n-1, int(hi.x)); x++ {
						a := float64(lv.pix[y*lv.n+x])
						q := pyr[0].pixel(h.apply(lv.norm(float64(x+sx), float64(y+sy))))
						b := pyr[0].at(q.x, q.y)
						a0, b0, aa, bb, ab, n = a0+a, b0+b, aa+a*a, bb+b*b, ab+a*b, n+1
					}
				}
				den := (aa - a0*a0/n) * (bb - b0*b0/n)
				if den > 0 {
					best = math.Max(best, (ab-a0*b0/n)/math.Sqrt(den))
				}
			}
		}
		worst = math.Min(worst, best)
	}
	return worst, true
}
