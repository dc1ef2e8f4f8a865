package liveness

import (
	"image"
	"math"
	"math/rand/v2"
	"time"

	"facelogin/recognition"
)

// A synthetic face for the unit tests: the 68 points of the iBUG layout
// on a 3D head (x right, y down, z towards the camera; the face outline's
// ends at x = ±1, so one unit is ~7 cm), drawn with a pinhole camera. The
// shape is drawn from the layout's curves, with depths from facial
// anthropometry: the nose tip 0.45 units (~3 cm) in front of the eye
// corners, the ends of the jaw line 0.35 units behind them (where the predictor puts
// the outline of a turning head: its silhouette, nearer than the ears).
type head struct {
	EAR        float64 // open-eye aspect ratio of both eyes
	Close      float64 // 0 open … 1 closed, both eyes
	CloseRight float64 // extra closure of the right eye only (a wink)
	Yaw, Pitch float64 // radians; Yaw > 0 turns the head to the person's left
	Roll       float64 // radians, in the image plane
	Flat       bool    // a photo of the frontal face: every depth 0
	Tilt       float64 // with Flat: the picture turned about its vertical axis, radians
	X, Y       float64 // where the face centre appears, pixels
	Width      float64 // face width (jaw 0–16) facing the camera, pixels
	Focal      float64 // camera focal length in pixels (560: a 60° webcam at 640×480)
}

func frontal() head {
	return head{EAR: 0.3, X: 320, Y: 240, Width: 200, Focal: 560}
}

// model returns the 3D points of the head at rest.
func (h head) model() [NumLandmarks][3]float64 {
	var p [NumLandmarks][3]float64
	for i := 0; i <= 16; i++ { // jaw, from the person's right ear round the chin
		a := math.Pi * float64(i) / 16
		p[i] = [3]float64{-math.Cos(a), 1.15 * math.Sin(a), -0.35 + 0.25*math.Sin(a)}
	}
	for i := 0; i < 5; i++ { // brows
		x := -0.8 + 0.15*float64(i)
		y := -0.38 - 0.08*math.Sin(math.Pi*float64(i)/4)
		p[17+i] = [3]float64{x, y, 0.05 + 0.05*float64(i)}
		p[26-i] = [3]float64{-x, y, 0.05 + 0.05*float64(i)}
	}
	for i := 0; i < 4; i++ { // nose bridge to the tip
		p[27+i] = [3]float64{0, -0.2 + 0.2*float64(i), 0.15 + 0.1*float64(i)}
	}
	for i := 0; i < 5; i++ { // nose base
		x := -0.18 + 0.09*float64(i)
		p[31+i] = [3]float64{x, 0.45 + 0.04*math.Cos(math.Pi*(float64(i)-2)/4), 0.32 - 0.5*x*x}
	}
	eye := func(first int, cx float64, outerFirst bool, close float64) {
		hh := h.EAR / 5 * (1 - close) // EAR = 4·hh / (2·0.4)
		xs := [6]float64{cx - 0.2, cx - 0.07, cx + 0.07, cx + 0.2, cx + 0.07, cx - 0.07}
		ys := [6]float64{-0.1, -0.1 - hh, -0.1 - hh, -0.1, -0.1 + hh, -0.1 + hh}
		if !outerFirst { // the left eye starts at its inner corner
			xs = [6]float64{cx - 0.2, cx - 0.07, cx + 0.07, cx + 0.2, cx + 0.07, cx - 0.07}
		}
		for k := range 6 {
			z := -0.1 * math.Abs(xs[k]) // outer corners further back
			p[first+k] = [3]float64{xs[k], ys[k], z}
		}
	}
	eye(36, -0.45, true, math.Min(1, h.Close+h.CloseRight))
	eye(42, 0.45, false, h.Close)
	mouth := func(first, n int, w, hTop, hBot float64) {
		for k := range n {
			a := 2 * math.Pi * float64(k) / float64(n)
			x := -w * math.Cos(a)
			y := 0.78
			if s := math.Sin(a); s > 0 {
				y -= hTop * s
			} else {
				y -= hBot * s
			}
			p[first+k] = [3]float64{x, y, 0.1 - 0.3*x*x}
		}
	}
	mouth(48, 12, 0.36, 0.07, 0.1)
	mouth(60, 8, 0.26, 0.02, 0.02)
	if h.Flat {
		for i := range p {
			p[i][2] = 0
		}
	}
	return p
}

// landmarks draws the head with the camera.
func (h head) landmarks() []Point {
	pts := h.model()
	// The head at ~7 cm per unit sits where the face is Width pixels wide.
	dist := h.Focal * 2 / h.Width // camera distance in units
	cy, sy := math.Cos(h.Yaw+h.Tilt), math.Sin(h.Yaw+h.Tilt)
	cp, sp := math.Cos(h.Pitch), math.Sin(h.Pitch)
	cr, sr := math.Cos(h.Roll), math.Sin(h.Roll)
	out := make([]Point, NumLandmarks)
	for i, q := range pts {
		x, y, z := q[0], q[1], q[2]
		// Turn about the vertical axis through the neck (0.9 units behind
		// the eyes) for a head, through the picture itself for a photo;
		// yaw > 0 brings the nose towards +x, the person's left.
		pivot := 0.9
		if h.Flat {
			pivot = 0
		}
		z += pivot
		x, z = cy*x+sy*z, -sy*x+cy*z
		z -= pivot
		y, z = cp*y-sp*z, sp*y+cp*z
		// Camera looks along −z at the face from dist: the image x grows
		// towards the person's left, as on an unmirrored camera.
		depth := dist - z
		u, v := h.Focal*x/depth, h.Focal*y/depth
		u, v = cr*u-sr*v, sr*u+cr*v
		out[i] = pt(h.X+u, h.Y+v)
	}
	return out
}

// trackBuilder makes a timed synthetic track.
type trackBuilder struct {
	t      time.Duration
	dt     time.Duration
	frames []Frame
	rng    *rand.Rand
	noise  float64 // landmark noise, pixels (σ)
	track  recognition.TrackID
}

func newTrack(fps float64) *trackBuilder {
	return &trackBuilder{
		dt:    time.Duration(float64(time.Second) / fps),
		rng:   rand.New(rand.NewPCG(1, 2)),
		noise: 0.4,
		track: 1,
	}
}

// add appends one frame with h, returning the builder.
func (b *trackBuilder) add(h head) *trackBuilder {
	lm := h.landmarks()
	for i := range lm {
		lm[i].X += float32(b.rng.NormFloat64() * b.noise)
		lm[i].Y += float32(b.rng.NormFloat64() * b.noise)
	}
	box := image.Rect(int(h.X-h.Width/2), int(h.Y-h.Width/2), int(h.X+h.Width/2), int(h.Y+h.Width/2))
	b.frames = append(b.frames, Frame{Time: b.t, Faces: []Face{{Track: b.track, Box: box, Landmarks: lm}}})
	b.t += b.dt
	return b
}

// hold appends frames of h for d.
func (b *trackBuilder) hold(h head, d time.Duration) *trackBuilder {
	for end := b.t + d; b.t < end; {
		b.add(h)
	}
	return b
}

// ramp appends frames moving from a to b over d (linear in every field).
func (b *trackBuilder) ramp(from, to head, d time.Duration) *trackBuilder {
	n := max(1, int(d/b.dt))
	for i := 1; i <= n; i++ {
		f := float64(i) / float64(n)
		b.add(mix(from, to, f))
	}
	return b
}

func mix(a, b head, f float64) head {
	m := a
	m.EAR = lerp(a.EAR, b.EAR, f)
	m.Close = lerp(a.Close, b.Close, f)
	m.CloseRight = lerp(a.CloseRight, b.CloseRight, f)
	m.Yaw = lerp(a.Yaw, b.Yaw, f)
	m.Pitch = lerp(a.Pitch, b.Pitch, f)
	m.Roll = lerp(a.Roll, b.Roll, f)
	m.Tilt = lerp(a.Tilt, b.Tilt, f)
	m.X = lerp(a.X, b.X, f)
	m.Y = lerp(a.Y, b.Y, f)
	m.Width = lerp(a.Width, b.Width, f)
	return m
}

// blink appends a natural blink: the lids close in ~100 ms, stay closed
// for closed and reopen in ~200 ms (the opening is the slower half).
func (b *trackBuilder) blink(h head, closed time.Duration) *trackBuilder {
	shut := h
	shut.Close = 0.85
	b.ramp(h, shut, 100*time.Millisecond)
	b.hold(shut, closed)
	return b.ramp(shut, h, 200*time.Millisecond)
}

// turn appends a head turn to yaw (radians) and back, ~0.5 s each way,
// holding 0.3 s.
func (b *trackBuilder) turn(h head, yaw float64) *trackBuilder {
	out := h
	out.Yaw = yaw
	b.ramp(h, out, 500*time.Millisecond)
	b.hold(out, 300*time.Millisecond)
	return b.ramp(out, h, 500*time.Millisecond)
}

const deg = math.Pi / 180
