package liveness

import (
	"errors"
	"image"
	"slices"
	"testing"
	"time"
)

// TestSlideshowSynthetic: stills of the synthetic head shown in turn, each
// held 4 frames with fresh landmark noise (a slideshow, issue 10) — a turn
// (frontal, part-turned, turned, part-turned, frontal), at 30 and 15 fps —
// are refused as ErrSlideshow, while the same motion made smoothly passes
// (TestGenuineSynthetic). Not asserted: the synthetic blink slideshow
// (open, half-closed, closed, half-closed, open, even with 6–12° of pitch
// between the stills) passes: its nearest held return, 0.023, is above
// RecurMax (README, what is not defended).
func TestSlideshowSynthetic(t *testing.T) {
	h := frontal()
	part, turned := h, h
	part.Yaw, turned.Yaw = 12*deg, 25*deg
	cases := []struct {
		name  string
		step  Step
		shows []head
	}{
		{"left", TurnLeft, []head{part, turned, part, h}},
	}
	for _, fps := range []float64{30, 15} {
		for _, c := range cases {
			b := newTrack(fps)
			settle(b, h)
			b.hold(h, 300*ms)
			for _, s := range c.shows {
				b.hold(s, time.Duration(3.5*float64(time.Second)/fps)) // 4 frames
			}
			b.hold(h, 600*ms)
			res := run(t, []Step{c.step}, b.frames)
			if !errors.Is(res.Reason, ErrSlideshow) {
				t.Errorf("%s slideshow at %.0f fps: %v: %v (recurrences %d, nearest %.4f), want %v",
					c.name, fps, res.Outcome, res.Reason, res.Recurrences, res.NearestRecurrence, ErrSlideshow)
			}
		}
	}
}

// TestExactRepeats: the same still pictures shown again (an image
// sequence of a few files, a screen replaying them) come back to exactly
// a picture or landmark shape the face had left, which a camera's frames
// never do (Result.ExactRepeats); RecurFrames of them fail the check as
// ErrSlideshow:
//   - the textured head's turn rendered without sensor noise, so that each
//     view of the way back is the very picture of the way out (with σ 1
//     grey level of noise it passes: TestTurnOnPixels; the held-return
//     rule does not catch this smooth turn);
//   - a synthetic blink slideshow (closure 0.25, 0.5, 0.85, 0.5, 0.25 with
//     3–12° of pitch, 4 frames each) whose way back has the way out's
//     landmarks to the bit, as a tracker's fit of the same files in the
//     same order can give them, and no pixels (with fresh noise the
//     held-return rule catches it too; here the count is what is tested).
func TestExactRepeats(t *testing.T) {
	f := newTexturedFace()
	front, lm0 := f.frontalView()
	clean := pixelTrackNoise(front, lm0, func(x float64) (*image.Gray, []Point) { return f.turnedView(20 * deg * x) }, 0)
	res, err := Run(Config{Steps: []Step{TurnLeft}}, clean)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res.Reason, ErrSlideshow) || res.ExactRepeats < Default.RecurFrames {
		t.Errorf("the same rendered views shown again: %v: %v (exact repeats %d)", res.Outcome, res.Reason, res.ExactRepeats)
	}

	h := frontal()
	part, half, shut := h, h, h
	part.Close, half.Close, shut.Close = 0.25, 0.5, 0.85
	part.Pitch, half.Pitch, shut.Pitch = 3*deg, 6*deg, 12*deg
	b := newTrack(30)
	settle(b, h)
	b.hold(h, 300*ms)
	shown := map[head][][]Point{}
	for _, s := range []head{part, half, shut, half, part} {
		again := shown[s] != nil
		for i := range 4 {
			b.add(s)
			lm := b.frames[len(b.frames)-1].Faces[0].Landmarks
			if again {
				copy(lm, shown[s][i])
			} else {
				shown[s] = append(shown[s], slices.Clone(lm))
			}
		}
	}
	b.hold(h, 600*ms)
	res = run(t, []Step{Blink}, b.frames)
	if !errors.Is(res.Reason, ErrSlideshow) || res.ExactRepeats < Default.RecurFrames {
		t.Errorf("a blink slideshow with repeated landmarks: %v: %v (exact repeats %d, recurrences %d, nearest %.4f)",
			res.Outcome, res.Reason, res.ExactRepeats, res.Recurrences, res.NearestRecurrence)
	}
}
