package liveness

import (
	"errors"
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
