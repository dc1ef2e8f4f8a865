package liveness

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// A synthetic textured face for the photometric 3D check: a random
// texture (two octaves of value noise, so Lucas–Kanade has something to
// lock on everywhere) painted on a surface with the depth of a head — an
// ellipsoid for the face and a bump for the nose, in frame pixels for a
// face 200 pixels wide: as synth_test.go's head, the nose tip ~45 pixels
// in front of the eye corners and those ~30 in front of the jaw line's
// ends — and the synthetic head's landmarks painted on it.
type texturedFace struct {
	lm     []Point // the frontal landmarks
	coarse [][]float64
	fine   [][]float64
}

const (
	texCoarse = 20.0 // pixels between the coarse noise's nodes
	texFine   = 5.0  // and the fine noise's
)

func newTexturedFace() *texturedFace {
	rng := rand.New(rand.NewPCG(3, 4))
	grid := func(step float64) [][]float64 {
		g := make([][]float64, int(480/step)+3)
		for i := range g {
			g[i] = make([]float64, int(640/step)+3)
			for j := range g[i] {
				g[i][j] = rng.Float64()
			}
		}
		return g
	}
	return &texturedFace{lm: frontal().landmarks(), coarse: grid(texCoarse), fine: grid(texFine)}
}

// noise is bilinear value noise of grid g at (x, y).
func noise(g [][]float64, step, x, y float64) float64 {
	x, y = math.Max(0, x/step), math.Max(0, y/step)
	i, j := min(int(y), len(g)-2), min(int(x), len(g[0])-2)
	fy, fx := y-float64(i), x-float64(j)
	top := g[i][j] + (g[i][j+1]-g[i][j])*fx
	bot := g[i+1][j] + (g[i+1][j+1]-g[i+1][j])*fx
	return top + (bot-top)*fy
}

// texture is the face's gray level at the frontal frame point (x, y).
func (f *texturedFace) texture(x, y float64) float64 {
	return 40 + 120*noise(f.coarse, texCoarse, x, y) + 80*noise(f.fine, texFine, x, y)
}

// depth is the surface's height towards the camera at the frontal frame
// point (x, y), pixels.
func (f *texturedFace) depth(x, y float64) float64 {
	nose := 45 * math.Exp(-(sq(x-320)+sq(y-280))/(2*sq(18)))
	e := 1 - sq((x-320)/115) - sq((y-265)/150)
	return nose + 80*math.Sqrt(math.Max(0, e))
}

// render draws the frame whose pixel q shows the frontal point src(q).
func render(src func(q vec) vec, tex func(x, y float64) float64) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 640, 480))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	// Only around the face (the patch reaches 0.75 face widths, 150
	// pixels, from its centre).
	for y := 60; y < 460; y++ {
		for x := 120; x < 520; x++ {
			p := src(vec{float64(x), float64(y)})
			img.Pix[y*img.Stride+x] = uint8(math.Max(0, math.Min(255, tex(p.x, p.y))))
		}
	}
	return img
}

// frontalView is the face facing the camera.
func (f *texturedFace) frontalView() (*image.Gray, []Point) {
	return render(func(q vec) vec { return q }, f.texture), f.lm
}

// turnedView is the head turned by yaw about a vertical axis through the
// face's centre (orthographic: a point at depth z moves by z·sin yaw
// across the image, the parallax a flat picture lacks).
func (f *texturedFace) turnedView(yaw float64) (*image.Gray, []Point) {
	c, s := math.Cos(yaw), math.Sin(yaw)
	fwd := func(p vec) vec { return vec{320 + (p.x-320)*c + f.depth(p.x, p.y)*s, p.y} }
	back := func(q vec) vec {
		p := q
		for range 8 { // fixed point of fwd(p) = q (a contraction: |∂depth/∂x|·sin yaw < 1)
			p.x = 320 + (q.x-320-f.depth(p.x, p.y)*s)/c
		}
		return p
	}
	lm := make([]Point, len(f.lm))
	for i, p := range f.lm {
		q := fwd(pv(p))
		lm[i] = pt(q.x, q.y)
	}
	return render(back, f.texture), lm
}

// pictureView is a flat print of the frontal frame seen under the
// homography h (frontal frame → view).
func (f *texturedFace) pictureView(h homography) (*image.Gray, []Point) {
	inv, ok := invert3(h)
	if !ok {
		panic("singular homography")
	}
	lm := make([]Point, len(f.lm))
	for i, p := range f.lm {
		q := h.apply(pv(p))
		lm[i] = pt(q.x, q.y)
	}
	return render(func(q vec) vec { return inv.apply(q) }, f.texture), lm
}

// tiltHomography is the picture (in the frontal frame, the face 200
// pixels wide at 560 pixels focal length: ~40 cm away) turned by a about
// its vertical axis through (320, 240), then shifted and rolled in the
// image plane.
func tiltHomography(a, roll, dx float64) homography {
	const f, cx, cy = 560.0, 320.0, 240.0
	c, s := math.Cos(a), math.Sin(a)
	// A picture point (X, Y, 0) relative to the centre, at distance f:
	// rotated to (X c, Y, −X s), projected: f·(X c)/(f − X s) …
	h := homography{
		c, 0, 0,
		0, 1, 0,
		-s / f, 0, 1,
	}
	toC := homography{1, 0, -cx, 0, 1, -cy, 0, 0, 1}
	cr, sr := math.Cos(roll), math.Sin(roll)
	fromC := homography{cr, -sr, cx + dx, sr, cr, cy, 0, 0, 1}
	return normalize3(mul3(fromC, mul3(h, toC)))
}

// TestNonPlanarity: the measure the 3D check thresholds. A flat picture,
// however it is tilted (up to 40°), rolled and moved, is one homography
// of the frontal view: what is left is matching noise, well below Min3D.
// A surface with a head's depth turned by 12–20° shows the parallax of
// its nose and cheeks above it (this synthetic head: ~0.001 per degree,
// so turns under ~10° stay below Min3D; real faces, with more relief than
// an ellipsoid, give more: 0.018–0.062 on the turns of TestGenuineClips).
func TestNonPlanarity(t *testing.T) {
	f := newTexturedFace()
	img0, lm0 := f.frontalView()
	ref := newFaceRef(NewPatch(img0, lm0), lm0, false)
	if ref == nil {
		t.Fatal("no reference from the textured frontal face")
	}
	measure := func(img *image.Gray, lm []Point) float64 {
		t.Helper()
		np, ok := ref.nonPlanarity(NewPatch(img, lm), lm)
		if !ok {
			t.Fatal("the views could not be aligned")
		}
		return np
	}
	if np := measure(img0, lm0); np > 0.001 {
		t.Errorf("the frontal view against itself: non-planarity %.4f, want ~0", np)
	}
	for _, tc := range []struct{ tilt, roll, dx float64 }{
		{20 * deg, 0, 0}, {-20 * deg, 0, 0}, {40 * deg, 0, 0}, {-40 * deg, 5 * deg, 20}, {30 * deg, -8 * deg, -25},
	} {
		np := measure(f.pictureView(tiltHomography(tc.tilt, tc.roll, tc.dx)))
		t.Logf("picture tilted %+.0f°, rolled %+.0f°, moved %+.0f px: non-planarity %.4f face widths", tc.tilt/deg, tc.roll/deg, tc.dx, np)
		if np >= Default.Min3D/2 {
			t.Errorf("picture tilted %+.0f°: non-planarity %.4f, want < %.4f (half of Min3D)", tc.tilt/deg, np, Default.Min3D/2)
		}
	}
	for _, yaw := range []float64{12 * deg, -12 * deg, 20 * deg, -20 * deg} {
		np := measure(f.turnedView(yaw))
		t.Logf("head turned %+.0f°: non-planarity %.4f face widths", yaw/deg, np)
		if np <= Default.Min3D {
			t.Errorf("head turned %+.0f°: non-planarity %.4f, want > Min3D %.4f", yaw/deg, np, Default.Min3D)
		}
	}
}

// TestPatch: NewPatch refuses what it cannot resample, reads the common
// image types alike, and puts the face upright at the patch's scale.
func TestPatch(t *testing.T) {
	f := newTexturedFace()
	img, lm := f.frontalView()
	if NewPatch(nil, lm) != nil || NewPatch(image.NewGray(image.Rect(0, 0, 0, 0)), lm) != nil {
		t.Error("a patch from no pixels")
	}
	if NewPatch(img, lm[:5]) != nil {
		t.Error("a patch from 5 landmarks")
	}
	p := NewPatch(img, lm)
	if p == nil {
		t.Fatal("no patch")
	}
	// The same pixels as RGBA and YCbCr give the same patch.
	rgba := image.NewRGBA(img.Bounds())
	ycc := image.NewYCbCr(img.Bounds(), image.YCbCrSubsampleRatio444)
	for i, v := range img.Pix {
		rgba.Pix[4*i], rgba.Pix[4*i+1], rgba.Pix[4*i+2], rgba.Pix[4*i+3] = v, v, v, 255
		ycc.Y[i], ycc.Cb[i], ycc.Cr[i] = v, 128, 128
	}
	for name, q := range map[string]*Patch{"RGBA": NewPatch(rgba, lm), "YCbCr": NewPatch(ycc, lm)} {
		var worst int
		for i := range p.pix {
			worst = max(worst, absInt(int(p.pix[i])-int(q.pix[i])))
		}
		if worst > 1 {
			t.Errorf("%s patch differs from the Gray one by up to %d gray levels", name, worst)
		}
	}
	// The jaw's ends land PatchFaceWidth apart on a horizontal line.
	a, b := p.toPatch(pv(lm[jawRight])), p.toPatch(pv(lm[jawLeft]))
	if w := a.distTo(b); math.Abs(w-PatchFaceWidth) > 0.01 || math.Abs(a.y-b.y) > 0.01 {
		t.Errorf("jaw ends at %v and %v in the patch, want %d apart on one row", a, b, PatchFaceWidth)
	}
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// pixelTrack is a synthetic challenge of one turn to the person's left
// at 30 fps with the frames' pixels (Frame.Image): 0.6 s facing the
// camera, then view(f) for f rising from 0 to 1 over 0.5 s, held 0.3 s,
// and back. The landmarks carry the tracker's noise (σ 0.3 pixels), the
// pixels a camera's sensor noise (σ 1 grey level): a rendered view shown
// twice without it is the same picture shown again, as a slideshow of the
// same files is (recurrence's exact repeats).
func pixelTrack(front *image.Gray, lm0 []Point, view func(f float64) (*image.Gray, []Point)) []Frame {
	return pixelTrackNoise(front, lm0, view, 1)
}

// pixelTrackNoise is pixelTrack with pixel noise of σ sigma grey levels
// (0: each view's rendered picture as it is, the same every time).
func pixelTrackNoise(front *image.Gray, lm0 []Point, view func(f float64) (*image.Gray, []Point), sigma float64) []Frame {
	rng := rand.New(rand.NewPCG(5, 6))
	var fr []Frame
	add := func(img *image.Gray, lm []Point) {
		noisy := make([]Point, len(lm))
		for i, p := range lm {
			noisy[i] = Point{X: p.X + float32(0.3*rng.NormFloat64()), Y: p.Y + float32(0.3*rng.NormFloat64())}
		}
		shot := image.NewGray(img.Rect)
		for i, v := range img.Pix {
			shot.Pix[i] = uint8(min(255, max(0, float64(v)+sigma*rng.NormFloat64()+0.5)))
		}
		t := time.Duration(len(fr)) * time.Second / 30
		fr = append(fr, Frame{Time: t, Faces: []Face{{Track: 1, Landmarks: noisy}}, Image: shot})
	}
	for range 18 {
		add(front, lm0)
	}
	var fs []float64
	for i := 1; i <= 15; i++ {
		fs = append(fs, float64(i)/15)
	}
	for range 9 {
		fs = append(fs, 1)
	}
	for i := 14; i >= 0; i-- {
		fs = append(fs, float64(i)/15)
	}
	for range 6 {
		fs = append(fs, 0)
	}
	for _, f := range fs {
		if f == 0 {
			add(front, lm0)
			continue
		}
		add(view(f))
	}
	return fr
}

// TestTurnOnPixels: the challenge fed frames with their pixels judges a
// turn by the 3D check. A textured head turning 20° to the person's left
// passes. A flat picture of it tilted 40° passes the landmark gate (its
// landmarks are moved as the shape predictor moves a tilted picture's:
// the nose a tenth of a face width further than the plane takes it, so
// the yaw ratio "turns") but shows no depth: ErrFlat.
func TestTurnOnPixels(t *testing.T) {
	f := newTexturedFace()
	front, lm0 := f.frontalView()
	cfg := Config{Steps: []Step{TurnLeft}}

	head := pixelTrack(front, lm0, func(x float64) (*image.Gray, []Point) { return f.turnedView(20 * deg * x) })
	res, err := Run(cfg, head)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Live {
		t.Fatalf("a textured head turning 20° left: %v: %v", res.Outcome, res.Reason)
	}
	t.Logf("head: %s", res.Steps[0].Detail)

	picture := pixelTrack(front, lm0, func(x float64) (*image.Gray, []Point) {
		img, lm := f.pictureView(tiltHomography(-40*deg*x, 0, 0))
		for i := 27; i <= 35; i++ { // the nose, "turned" by the predictor
			lm[i].X += float32(20 * x)
		}
		return img, lm
	})
	res, err = Run(cfg, picture)
	if err != nil {
		t.Fatal(err)
	}
	if res.Live || !errors.Is(res.Reason, ErrFlat) {
		t.Fatalf("a flat picture tilted 40° with a turning nose: %v: %v, want ErrFlat", res.Outcome, res.Reason)
	}
	t.Logf("picture: %v", res.Reason)
	// The same landmarks without pixels go by the landmark cues alone.
	for i := range picture {
		picture[i].Image = nil
	}
	res, _ = Run(cfg, picture)
	t.Logf("picture without pixels: %v: %v", res.Outcome, res.Reason)
}

// BenchmarkNewPatch is the cost of resampling a face (200 pixels wide in
// a 640×480 Gray frame) into its Patch: made once per frame the check
// compares pixels on.
func BenchmarkNewPatch(b *testing.B) {
	img, lm := newTexturedFace().frontalView()
	b.ReportAllocs()
	for b.Loop() {
		NewPatch(img, lm)
	}
}

// BenchmarkNonPlanarity is the cost of the 3D check on one turned frame
// against a prepared frontal reference (the check runs it only on frames
// turned past TurnYaw, a few per turn).
func BenchmarkNonPlanarity(b *testing.B) {
	f := newTexturedFace()
	img0, lm0 := f.frontalView()
	ref := newFaceRef(NewPatch(img0, lm0), lm0, false)
	img, lm := f.turnedView(15 * deg)
	cur := NewPatch(img, lm)
	b.ReportAllocs()
	for b.Loop() {
		ref.nonPlanarity(cur, lm)
	}
}
