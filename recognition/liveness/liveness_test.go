package liveness

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

const ms = time.Millisecond

// settle is the start of every synthetic attempt: a steady frontal face.
func settle(b *trackBuilder, h head) *trackBuilder { return b.hold(h, 600*ms) }

func run(t *testing.T, steps []Step, frames []Frame) Result {
	t.Helper()
	res, err := Run(Config{Steps: steps}, frames)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func wantLive(t *testing.T, res Result) {
	t.Helper()
	if !res.Live || res.Outcome != Live || res.Reason != nil {
		t.Fatalf("not live: %v: %v", res.Outcome, res.Reason)
	}
}

func wantReason(t *testing.T, res Result, o Outcome, reason error) {
	t.Helper()
	if res.Live || res.Outcome != o || !errors.Is(res.Reason, reason) {
		t.Fatalf("got %v: %v; want %v: %v", res.Outcome, res.Reason, o, reason)
	}
}

func TestEyeAspectRatio(t *testing.T) {
	// Soukupová & Čech's definition on a 30×9 eye: (9+9)/(2·30).
	eye := []Point{{X: 0, Y: 0}, {X: 10, Y: -4.5}, {X: 20, Y: -4.5}, {X: 30, Y: 0}, {X: 20, Y: 4.5}, {X: 10, Y: 4.5}}
	if got := EyeAspectRatio(eye); math.Abs(got-0.3) > 1e-9 {
		t.Errorf("EAR %v, want 0.3", got)
	}
	if got := EyeAspectRatio(make([]Point, 6)); got != 0 {
		t.Errorf("degenerate eye: %v, want 0", got)
	}
	// Size and in-plane rotation do not change it.
	h := frontal()
	r0, l0 := EARs(h.landmarks())
	h.Roll, h.Width = 25*deg, 120
	r1, l1 := EARs(h.landmarks())
	if math.Abs(r0-r1) > 0.005 || math.Abs(l0-l1) > 0.005 || math.Abs(r0-0.3) > 0.01 {
		t.Errorf("EAR %.3f/%.3f, rolled and smaller %.3f/%.3f, want 0.3", r0, l0, r1, l1)
	}
}

func TestYawRatioConvention(t *testing.T) {
	h := frontal()
	if r := YawRatio(h.landmarks()); math.Abs(r-0.5) > 1e-6 {
		t.Fatalf("frontal YawRatio %v, want 0.5", r)
	}
	// The person's own left: on an unmirrored camera image the nose moves
	// right, towards jaw point 16.
	h.Yaw = 20 * deg
	lm := h.landmarks()
	if r := YawRatio(lm); r < 0.6 {
		t.Errorf("turned 20° to the left: YawRatio %.3f, want > 0.6", r)
	}
	if lm[noseTip].X <= lm[27].X {
		t.Errorf("turned left: nose tip x %.1f not right of the nose root %.1f in the image", lm[noseTip].X, lm[27].X)
	}
	if TurnLeft.direction() != 1 || TurnLeft.Arrow() != ArrowLeft || TurnRight.Arrow() != ArrowRight {
		t.Error("left must be +YawRatio with a left arrow")
	}
	// Moving, rotating and scaling a picture in its plane changes nothing.
	flat := frontal()
	flat.Flat, flat.Roll, flat.Width, flat.X = true, -30*deg, 90, 100
	if r := YawRatio(flat.landmarks()); math.Abs(r-0.5) > 1e-6 {
		t.Errorf("picture rolled 30°: YawRatio %v, want 0.5", r)
	}
}

func TestHomographyFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	want := homography{1.1, 0.2, 30, -0.1, 0.9, 12, 0.0008, -0.0005, 1}
	var src, dst []vec
	for range 10 {
		p := vec{rng.Float64() * 300, rng.Float64() * 300}
		src, dst = append(src, p), append(dst, want.apply(p))
	}
	h, ok := fitHomography(src, dst)
	if !ok {
		t.Fatal("fit failed")
	}
	for i := range src {
		if d := h.apply(src[i]).distTo(dst[i]); d > 1e-6 {
			t.Fatalf("point %d off by %g", i, d)
		}
	}
	if _, ok := fitHomography(src[:3], dst[:3]); ok {
		t.Error("3 points determine no homography")
	}
	same := []vec{{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}}
	if _, ok := fitHomography(same, same); ok {
		t.Error("coincident points determine no homography")
	}
}

// TestDepthSignals: a head turn shows nose parallax and little
// perspective; a flat picture tilted as far, none and much.
func TestDepthSignals(t *testing.T) {
	ref := frontal().landmarks()
	h := frontal()
	h.Yaw = 15 * deg
	lm := h.landmarks()
	p, ok := Parallax(ref, lm)
	dy := YawRatio(lm) - YawRatio(ref)
	dv := VerticalAsymmetry(lm) - VerticalAsymmetry(ref)
	if !ok || p < Default.MinParallax || -dv/dy > Default.MaxPerspective {
		t.Errorf("head turned 15°: parallax %.3f (ok %v), perspective %.2f of the turn", p, ok, -dv/dy)
	}
	for _, tilt := range []float64{-40, -20, 20, 40} {
		f := frontal()
		f.Flat, f.Width = true, 320
		fref := f.landmarks()
		f.Tilt = tilt * deg
		lm := f.landmarks()
		p, ok := Parallax(fref, lm)
		dy := YawRatio(lm) - YawRatio(fref)
		dv := VerticalAsymmetry(lm) - VerticalAsymmetry(fref)
		if !ok || math.Abs(p) > 1e-3 {
			t.Errorf("picture tilted %.0f°: parallax %.4f, want 0", tilt, p)
		}
		if -dv/dy < 1 {
			t.Errorf("picture tilted %.0f°: perspective %.2f of its apparent turn, want > 1", tilt, -dv/dy)
		}
	}
}

func TestSteps(t *testing.T) {
	got, err := ParseSteps(" Blink, left ,turn-right")
	if err != nil || FormatSteps(got) != "blink,left,right" {
		t.Fatalf("ParseSteps: %v %v", got, err)
	}
	for _, bad := range []string{"", "blink,,left", "up", "blink;left"} {
		if _, err := ParseSteps(bad); err == nil || !strings.Contains(err.Error(), "blink, left, right") {
			t.Errorf("ParseSteps(%q): %v, want an error naming the valid steps", bad, err)
		}
	}
	if _, err := RandomSteps(0); err == nil {
		t.Error("RandomSteps(0) must fail")
	}
	if _, err := RandomSteps(4); err == nil {
		t.Error("RandomSteps(4) must fail")
	}
	// 6 ordered pairs, each 1/6: 6000 draws put each within ±150 of 1000
	// with probability > 1 − 1e-5.
	count := map[[2]Step]int{}
	for range 6000 {
		s, err := RandomSteps(2)
		if err != nil {
			t.Fatal(err)
		}
		if s[0] == s[1] {
			t.Fatalf("repeated step %v", s)
		}
		count[[2]Step{s[0], s[1]}]++
	}
	if len(count) != 6 {
		t.Fatalf("%d distinct pairs, want 6: %v", len(count), count)
	}
	for p, n := range count {
		if n < 850 || n > 1150 {
			t.Errorf("pair %v drawn %d times of 6000", p, n)
		}
	}
}

func FuzzParseSteps(f *testing.F) {
	for _, s := range []string{"blink,left", "right", "", ",", "LEFT,Right,blink", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := ParseSteps(s)
		if err != nil {
			return
		}
		again, err := ParseSteps(FormatSteps(steps))
		if err != nil || FormatSteps(again) != FormatSteps(steps) {
			t.Fatalf("%q: round trip %v → %v (%v)", s, steps, again, err)
		}
	})
}

func TestGenuineSynthetic(t *testing.T) {
	h := frontal()
	cases := []struct {
		name  string
		steps []Step
		build func(b *trackBuilder)
	}{
		{"blink", []Step{Blink}, func(b *trackBuilder) { b.hold(h, 300*ms).blink(h, 100*ms).hold(h, 300*ms) }},
		{"slow blink", []Step{Blink}, func(b *trackBuilder) { b.hold(h, 300*ms).blink(h, 350*ms).hold(h, 300*ms) }},
		{"left", []Step{TurnLeft}, func(b *trackBuilder) { b.hold(h, 300*ms).turn(h, 20*deg).hold(h, 200*ms) }},
		{"right", []Step{TurnRight}, func(b *trackBuilder) { b.hold(h, 300*ms).turn(h, -20*deg).hold(h, 200*ms) }},
		// A glance the other way that leads straight into the asked turn
		// (the child of d11 does it) is no turn the other way.
		{"glance right, then left", []Step{TurnLeft}, func(b *trackBuilder) {
			glance, out := h, h
			glance.Yaw, out.Yaw = -13.5*deg, 25*deg
			b.hold(h, 300*ms).ramp(h, glance, 300*ms).hold(glance, 200*ms).ramp(glance, out, 500*ms).hold(out, 300*ms).ramp(out, h, 500*ms).hold(h, 200*ms)
		}},
		{"right, looking up", []Step{TurnRight}, func(b *trackBuilder) {
			up := h
			up.Pitch = 10 * deg
			b.ramp(h, up, 200*ms).turn(up, -18*deg).hold(up, 200*ms)
		}},
		{"blink then left", []Step{Blink, TurnLeft}, func(b *trackBuilder) {
			b.hold(h, 200*ms).blink(h, 80*ms).hold(h, 300*ms).turn(h, 25*deg).hold(h, 200*ms)
		}},
		{"right then blink, moving", []Step{TurnRight, Blink}, func(b *trackBuilder) {
			moved := h
			moved.X, moved.Width, moved.Roll = 360, 220, 8*deg
			b.ramp(h, moved, 300*ms).turn(moved, -22*deg).hold(moved, 300*ms).blink(moved, 120*ms).hold(moved, 200*ms)
		}},
	}
	for _, fps := range []float64{30, 15} {
		for _, c := range cases {
			t.Run(c.name+"/"+strings.TrimSuffix(time.Duration(float64(time.Second)/fps).String(), "ms")+"ms", func(t *testing.T) {
				b := newTrack(fps)
				settle(b, h)
				c.build(b)
				res := run(t, c.steps, b.frames)
				wantLive(t, res)
				for i, s := range res.Steps {
					if !s.Passed || s.Step != c.steps[i] || s.Took <= 0 || s.At < s.Took || s.Detail == "" {
						t.Errorf("step %d: %+v", i, s)
					}
				}
				if res.Frames > len(b.frames) || res.DescriptorDistance != -1 {
					t.Errorf("frames %d of %d, descriptor distance %v", res.Frames, len(b.frames), res.DescriptorDistance)
				}
			})
		}
	}
}

// TestRefusedSynthetic: flat pictures, the wrong action, and attempts the
// check must not judge.
func TestRefusedSynthetic(t *testing.T) {
	h := frontal()
	flat := h
	flat.Flat = true
	cases := []struct {
		name    string
		steps   []Step
		build   func(b *trackBuilder)
		outcome Outcome
		reason  error
		own     bool // the case settles on its own (a picture from the start)
	}{
		{"nothing", []Step{Blink}, func(b *trackBuilder) { b.hold(h, 5*time.Second) }, Failed, ErrTimeout, false},
		{"picture tilted 40° and back, close", []Step{TurnLeft}, func(b *trackBuilder) {
			f := flat
			f.Width = 320
			settle(b, f)
			for range 3 {
				f2 := f
				f2.Tilt = 40 * deg
				b.ramp(f, f2, 500*ms).ramp(f2, f, 500*ms)
				f2.Tilt = -40 * deg
				b.ramp(f, f2, 500*ms).ramp(f2, f, 500*ms)
			}
		}, Failed, ErrTimeout, true},
		{"picture shaken in its plane", []Step{TurnRight}, func(b *trackBuilder) {
			for i := range 150 {
				f := flat
				f.X += 30 * math.Sin(float64(i)/3)
				f.Roll = 15 * deg * math.Sin(float64(i)/5)
				f.Width = 200 * (1 + 0.15*math.Sin(float64(i)/7))
				b.add(f)
			}
		}, Failed, ErrTimeout, true},
		{"squint held 1.5 s", []Step{Blink}, func(b *trackBuilder) {
			sq := h
			sq.Close = 0.5
			b.ramp(h, sq, 150*ms).hold(sq, 1500*ms).ramp(sq, h, 150*ms).hold(h, 3*time.Second)
		}, Failed, ErrNotBlink, false},
		{"eyes closed 1 s", []Step{Blink}, func(b *trackBuilder) { b.blink(h, time.Second).hold(h, 4*time.Second) }, Failed, ErrNotBlink, false},
		{"wink", []Step{Blink}, func(b *trackBuilder) {
			w := h
			w.CloseRight = 0.9
			b.ramp(h, w, 100*ms).hold(w, 100*ms).ramp(w, h, 150*ms).hold(h, 4*time.Second)
		}, Failed, ErrNotBlink, false},
		{"two pictures swapped, eyes open and closed", []Step{Blink}, func(b *trackBuilder) {
			shut := flat
			shut.Close = 0.85
			open := flat
			for range 4 {
				b.hold(open, 700*ms).hold(shut, 150*ms)
			}
			b.hold(open, 700*ms)
		}, Failed, ErrPhotoBlink, true},
		{"small turn", []Step{TurnLeft}, func(b *trackBuilder) { b.turn(h, 4*deg).hold(h, 4*time.Second) }, Failed, ErrTimeout, false},
		{"turned left, asked right", []Step{TurnRight}, func(b *trackBuilder) { b.turn(h, 25*deg).hold(h, time.Second) }, Failed, ErrWrongWay, false},
		// A smaller turn the other way (past the turn threshold, below
		// WrongWayYaw) and back to rest, then the asked turn: a recording
		// holding the steps in the other order.
		{"turned right and back, then left, asked left", []Step{TurnLeft}, func(b *trackBuilder) {
			b.turn(h, -13.5*deg).hold(h, 500*ms).turn(h, 25*deg).hold(h, time.Second)
		}, Failed, ErrWrongWay, false},
		{"turned right and stayed there, asked left", []Step{TurnLeft}, func(b *trackBuilder) {
			out := h
			out.Yaw = -13.5 * deg
			b.ramp(h, out, 400*ms).hold(out, 5*time.Second)
		}, Failed, ErrTimeout, false},
		{"turned and stayed", []Step{TurnLeft}, func(b *trackBuilder) {
			out := h
			out.Yaw = 20 * deg
			b.ramp(h, out, 400*ms).hold(out, 5*time.Second)
		}, Failed, ErrTimeout, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newTrack(30)
			if !c.own {
				settle(b, h)
			}
			c.build(b)
			wantReason(t, run(t, c.steps, b.frames), c.outcome, c.reason)
		})
	}
}

func BenchmarkFrameDigest(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for b.Loop() {
		frameDigest(img)
	}
}

func TestTiltedPictureSaysFlat(t *testing.T) {
	// A picture tilted 40° close to the camera without noise is a clean
	// case: the turn it fakes is reported as lacking depth.
	f := frontal()
	f.Flat, f.Width = true, 340
	b := newTrack(30)
	b.noise = 0
	// Jitter of ±0.5 px in the position keeps the source from being frozen.
	settle(b, f)
	for i := range b.frames {
		b.frames[i].Faces[0].Landmarks[0].X += float32(i % 2)
	}
	for range 3 {
		f2 := f
		f2.Tilt = 40 * deg
		b.ramp(f, f2, 400*ms).hold(f2, 200*ms).ramp(f2, f, 400*ms)
	}
	res := run(t, []Step{TurnLeft}, b.frames)
	wantReason(t, res, Failed, ErrTimeout)
	if !errors.Is(res.Reason, ErrFlat) && !strings.Contains(res.Reason.Error(), "no turn") {
		t.Errorf("reason %v", res.Reason)
	}
}

func TestSourceRefusals(t *testing.T) {
	h := frontal()
	t.Run("landmarks at 8 Hz", func(t *testing.T) {
		b := newTrack(8)
		settle(b, h).blink(h, 150*ms).hold(h, time.Second)
		wantReason(t, run(t, []Step{Blink}, b.frames), Refused, ErrTooSlow)
	})
	t.Run("12 Hz is judged", func(t *testing.T) {
		b := newTrack(12)
		settle(b, h).turn(h, 20*deg).hold(h, 300*ms)
		wantLive(t, run(t, []Step{TurnLeft}, b.frames))
	})
	t.Run("frozen picture", func(t *testing.T) {
		b := newTrack(30)
		b.noise = 0
		b.hold(h, 3*time.Second)
		wantReason(t, run(t, []Step{Blink}, b.frames), Refused, ErrNoMotion)
	})
	// A still photo played as a video: the landmarks jitter (the
	// predictor's noise), the pixels are the same picture every frame.
	// With sensor noise in every frame (a real camera) it is judged.
	still := func(noise bool) []Frame {
		b := newTrack(30)
		settle(b, h).hold(h, 3*time.Second)
		rng := rand.New(rand.NewPCG(1, 2))
		pic := image.NewRGBA(image.Rect(0, 0, 640, 480))
		for i := range pic.Pix {
			pic.Pix[i] = uint8(rng.IntN(256))
		}
		for i := range b.frames {
			img := pic
			if noise {
				img = image.NewRGBA(pic.Rect)
				copy(img.Pix, pic.Pix)
				for k := range 200 {
					img.Pix[(k*7919+i*104729)%len(img.Pix)] ^= 1
				}
			}
			b.frames[i].Image = img
		}
		return b.frames
	}
	t.Run("still picture, pixels repeated", func(t *testing.T) {
		wantReason(t, run(t, []Step{Blink}, still(false)), Refused, ErrNoMotion)
	})
	t.Run("still scene, sensor noise", func(t *testing.T) {
		wantReason(t, run(t, []Step{Blink}, still(true)), Failed, ErrTimeout)
	})
	t.Run("face too small", func(t *testing.T) {
		small := h
		small.Width = 70
		b := newTrack(30)
		b.hold(small, 5*time.Second)
		res := run(t, []Step{Blink}, b.frames)
		wantReason(t, res, Refused, ErrTooSmall)
		if !strings.Contains(res.Reason.Error(), "come closer") {
			t.Errorf("reason %q does not tell people what to do", res.Reason)
		}
	})
	t.Run("5-point landmarks", func(t *testing.T) {
		f := Frame{Faces: []Face{{Landmarks: make([]Point, 5)}}}
		wantReason(t, run(t, []Step{Blink}, []Frame{f}), Refused, ErrNoLandmarks)
	})
	t.Run("time goes back", func(t *testing.T) {
		b := newTrack(30)
		settle(b, h)
		b.frames[10].Time = b.frames[9].Time
		wantReason(t, run(t, []Step{Blink}, b.frames), Refused, ErrBadFrame)
	})
}

// TestReasonCodes: every reason a Result can wrap has its own code for
// scripts, in one form (lower case words joined by "_"), found through
// the detail a Result wraps it with; a challenge's own result carries it.
func TestReasonCodes(t *testing.T) {
	form := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := map[string]error{}
	for _, r := range Reasons {
		code := ReasonCode(fmt.Errorf("detail for logs: %w", r))
		if !form.MatchString(code) {
			t.Errorf("%q: code %q", r, code)
		}
		if prev, dup := seen[code]; dup {
			t.Errorf("%q and %q share the code %q", prev, r, code)
		}
		seen[code] = r
	}
	if len(seen) != len(Reasons) {
		t.Errorf("%d codes for %d reasons", len(seen), len(Reasons))
	}
	if c := ReasonCode(ErrNotSamePerson); c != "not_same_person" {
		t.Errorf("ErrNotSamePerson: %q", c)
	}
	if c := ReasonCode(nil); c != "" {
		t.Errorf("nil: %q", c)
	}
	if c := ReasonCode(errors.New("camera unplugged")); c != "other" {
		t.Errorf("an error that is no reason: %q", c)
	}
	b := newTrack(30)
	b.noise = 0
	b.hold(frontal(), 3*time.Second)
	res := run(t, []Step{Blink}, b.frames)
	if ReasonCode(res.Reason) != "no_motion" {
		t.Errorf("a frozen picture: %v, code %q", res.Reason, ReasonCode(res.Reason))
	}
	// Durations in reasons are for people: to the millisecond at most,
	// not a 30 fps frame time's nanoseconds.
	if res.Reason == nil || regexp.MustCompile(`\.\d{4,}`).MatchString(res.Reason.Error()) {
		t.Errorf("a frozen picture's reason: %v", res.Reason)
	}
}

func TestOneFaceThroughout(t *testing.T) {
	h := frontal()
	t.Run("second face", func(t *testing.T) {
		b := newTrack(30)
		settle(b, h).hold(h, 300*ms)
		other := h
		other.X = 500
		b.frames[len(b.frames)-1].Faces = append(b.frames[len(b.frames)-1].Faces, Face{Landmarks: other.landmarks()})
		b.blink(h, 100*ms).hold(h, 300*ms)
		wantReason(t, run(t, []Step{Blink}, b.frames), Failed, ErrManyFaces)
	})
	t.Run("face lost", func(t *testing.T) {
		b := newTrack(30)
		settle(b, h)
		for range 10 { // 330 ms without a face
			b.frames = append(b.frames, Frame{Time: b.t})
			b.t += b.dt
		}
		b.blink(h, 100*ms).hold(h, 300*ms)
		wantReason(t, run(t, []Step{Blink}, b.frames), Failed, ErrFaceLost)
	})
	t.Run("short gap tolerated", func(t *testing.T) {
		b := newTrack(30)
		settle(b, h)
		for range 4 { // 130 ms: a missed detection or two
			b.frames = append(b.frames, Frame{Time: b.t})
			b.t += b.dt
		}
		b.blink(h, 100*ms).hold(h, 300*ms)
		wantLive(t, run(t, []Step{Blink}, b.frames))
	})
	t.Run("face jumps", func(t *testing.T) {
		b := newTrack(30)
		settle(b, h)
		far := h
		far.X = 520
		b.hold(far, 200*ms).blink(far, 100*ms).hold(far, 300*ms)
		wantReason(t, run(t, []Step{Blink}, b.frames), Failed, ErrFaceJumped)
	})
	t.Run("another track", func(t *testing.T) {
		b := newTrack(30)
		settle(b, h)
		b.track = 2
		b.blink(h, 100*ms).hold(h, 300*ms)
		wantReason(t, run(t, []Step{Blink}, b.frames), Failed, ErrFaceJumped)
	})
	t.Run("settling starts over after trouble", func(t *testing.T) {
		b := newTrack(30)
		b.hold(h, 200*ms)
		b.frames = append(b.frames, Frame{Time: b.t, Faces: []Face{{Landmarks: h.landmarks()}, {Landmarks: h.landmarks()}}})
		b.t += b.dt
		settle(b, h).blink(h, 100*ms).hold(h, 300*ms)
		wantLive(t, run(t, []Step{Blink}, b.frames))
	})
	t.Run("no face at all", func(t *testing.T) {
		var fr []Frame
		for i := range 150 {
			fr = append(fr, Frame{Time: time.Duration(i) * 33 * ms})
		}
		wantReason(t, run(t, []Step{Blink}, fr), Failed, ErrNoFace)
	})
	t.Run("not frontal", func(t *testing.T) {
		side := h
		side.Yaw = 30 * deg
		b := newTrack(30)
		b.hold(side, 5*time.Second)
		wantReason(t, run(t, []Step{Blink}, b.frames), Failed, ErrNotFrontal)
	})
}

func TestSamePersonHook(t *testing.T) {
	h := frontal()
	desc := func(v float32) []float32 {
		d := make([]float32, 128)
		for i := range d {
			d[i] = v
		}
		return d
	}
	attempt := func(t *testing.T, before, after []float32) (Result, []Status) {
		b := newTrack(30)
		settle(b, h).blink(h, 100*ms).hold(h, 500*ms)
		c, err := New(Config{Steps: []Step{Blink}, MaxDescriptorDistance: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		var sts []Status
		for _, f := range b.frames {
			st := c.Status()
			sts = append(sts, st)
			if st.NeedDescriptor {
				// The caller computes a descriptor only when asked.
				if c.phase == settling {
					f.Faces[0].Descriptor = before
				} else {
					f.Faces[0].Descriptor = after
				}
			}
			if c.Feed(f).Done {
				break
			}
		}
		return c.End(), sts
	}
	t.Run("same", func(t *testing.T) {
		res, sts := attempt(t, desc(0.1), desc(0.12))
		wantLive(t, res)
		if math.Abs(res.DescriptorDistance-0.02*math.Sqrt(128)) > 1e-3 {
			t.Errorf("distance %v", res.DescriptorDistance)
		}
		asked := 0
		for _, s := range sts {
			if s.NeedDescriptor {
				asked++
			}
		}
		if asked < 2 || asked > 4 {
			t.Errorf("asked for a descriptor on %d frames, want one before and one after", asked)
		}
	})
	t.Run("swapped", func(t *testing.T) {
		res, _ := attempt(t, desc(0.1), desc(0.2))
		wantReason(t, res, Failed, ErrNotSamePerson)
	})
	t.Run("never given", func(t *testing.T) {
		res, _ := attempt(t, nil, nil)
		wantReason(t, res, Failed, ErrNoDescriptor)
	})
}

// TestStatus follows what the screen shows through a two-step challenge.
func TestStatus(t *testing.T) {
	h := frontal()
	b := newTrack(30)
	settle(b, h).turn(h, 22*deg).hold(h, 200*ms).blink(h, 100*ms).hold(h, 300*ms)
	c, err := New(Config{Steps: []Step{TurnLeft, Blink}})
	if err != nil {
		t.Fatal(err)
	}
	first := c.Status()
	if first.Prompt != "Look at the camera" || first.Count != 2 || first.Done || first.Step != 0 {
		t.Errorf("before any frame: %+v", first)
	}
	var prompts []string
	var leftProgress []float64
	lastOverall := 0.0
	for _, f := range b.frames {
		st := c.Feed(f)
		if n := len(prompts); n == 0 || prompts[n-1] != st.Prompt {
			prompts = append(prompts, st.Prompt)
		}
		if st.Step == TurnLeft {
			if st.Arrow != ArrowLeft || st.Index != 0 {
				t.Errorf("turn left: %+v", st)
			}
			leftProgress = append(leftProgress, st.Progress)
		}
		if st.Overall < lastOverall-0.2 || st.Overall > 1 || st.Progress < 0 || st.Progress > 1 {
			t.Errorf("progress %v overall %v after %v", st.Progress, st.Overall, lastOverall)
		}
		if st.Remaining < 0 || st.Remaining > 4*time.Second {
			t.Errorf("remaining %v", st.Remaining)
		}
		lastOverall = st.Overall
		if st.Done {
			break
		}
	}
	want := []string{"Look at the camera", "Turn your head to your left", "Blink", "Done"}
	if strings.Join(prompts, "|") != strings.Join(want, "|") {
		t.Errorf("prompts %q, want %q", prompts, want)
	}
	if peak := slicesMax(leftProgress); peak < 0.9 {
		t.Errorf("turn progress peaked at %.2f", peak)
	}
	res := c.End()
	wantLive(t, res)
	if c.Feed(Frame{Time: b.t + time.Hour}).Done != true || c.End().Frames != res.Frames {
		t.Error("frames after the end must be ignored")
	}
}

func slicesMax(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = math.Max(m, x)
	}
	return m
}

func TestEndEarly(t *testing.T) {
	h := frontal()
	c, err := New(Config{Steps: []Step{TurnRight}})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Result(); r.Outcome != Pending || r.Live {
		t.Errorf("before any frame: %+v", r)
	}
	b := newTrack(30)
	settle(b, h)
	for _, f := range b.frames {
		c.Feed(f)
	}
	res := c.End()
	wantReason(t, res, Failed, ErrTimeout)
	if !res.Settled {
		t.Error("a steady frontal face was shown: settled")
	}
	if len(res.Steps) != 1 || res.Steps[0].Passed || res.Steps[0].Step != TurnRight {
		t.Errorf("steps %+v", res.Steps)
	}
	if st := c.Status(); !st.Done || st.Prompt != ErrTimeout.Error() {
		t.Errorf("status after failing: %+v", st)
	}
	// No frames at all.
	c2, _ := New(Config{})
	if r := c2.End(); r.Settled {
		t.Error("no frames: not settled")
	} else {
		wantReason(t, r, Failed, ErrNoFace)
	}
}

func TestConfig(t *testing.T) {
	c, err := New(Config{})
	if err != nil || len(c.Steps()) != 2 {
		t.Fatalf("default config: %v %v", c, err)
	}
	c, err = New(Config{NumSteps: 3})
	if err != nil || len(c.Steps()) != 3 {
		t.Fatalf("3 steps: %v", err)
	}
	for _, bad := range []Config{{NumSteps: 4}, {Steps: []Step{0}}, {Steps: []Step{Blink, 7}}, {StepTimeout: -1}, {MaxDescriptorDistance: -1}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) must fail", bad)
		}
	}
	th := Default
	th.TurnYawLandmarks = 0.5 // unreachable (the synthetic track has no pixels)
	h := frontal()
	b := newTrack(30)
	settle(b, h).turn(h, 20*deg).hold(h, 4*time.Second)
	res, _ := Run(Config{Steps: []Step{TurnLeft}, Thresholds: &th, StepTimeout: 2 * time.Second}, b.frames)
	wantReason(t, res, Failed, ErrTimeout)
	if !strings.Contains(res.Reason.Error(), "2s") {
		t.Errorf("reason %q does not name the step time", res.Reason)
	}
}

// FuzzFeed: any landmarks, any times — never a panic, and never live from
// noise.
func FuzzFeed(f *testing.F) {
	f.Add(uint64(1), 30.0, 5.0)
	f.Add(uint64(2), 1000.0, 0.0)
	f.Add(uint64(3), 1e9, -1e9)
	f.Fuzz(func(t *testing.T, seed uint64, scale, shift float64) {
		rng := rand.New(rand.NewPCG(seed, 1))
		c, err := New(Config{Steps: []Step{Blink, TurnLeft}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			lm := make([]Point, NumLandmarks)
			for k := range lm {
				lm[k] = pt(rng.Float64()*scale+shift, rng.Float64()*scale+shift)
			}
			fr := Frame{Time: time.Duration(i) * 33 * ms}
			if rng.IntN(10) > 0 {
				fr.Faces = []Face{{Landmarks: lm}}
			}
			c.Feed(fr)
		}
		if r := c.End(); r.Live {
			t.Fatalf("random landmarks passed: %+v", r)
		}
	})
}

func BenchmarkFeed(b *testing.B) {
	h := frontal()
	tb := newTrack(30)
	settle(tb, h)
	for range 10 {
		tb.turn(h, 20*deg).blink(h, 100*ms).turn(h, -20*deg)
	}
	frames := tb.frames
	b.ReportAllocs()
	b.ResetTimer()
	var c *Challenge
	n := 0
	for i := 0; i < b.N; i++ {
		if c == nil || n == len(frames) {
			b.StopTimer()
			c, _ = New(Config{Steps: []Step{TurnLeft, TurnRight, Blink, TurnLeft, TurnRight, Blink}, StepTimeout: time.Hour})
			n = 0
			b.StartTimer()
		}
		c.Feed(frames[n])
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/frame")
}
