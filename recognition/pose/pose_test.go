package pose

import (
	"slices"
	"testing"
	"time"
)

var straight = Cues{Yaw: 0.5, Pitch: 0.9, Smile: 0.8}

func posed(k Kind) Cues {
	c := straight
	switch k {
	case Left:
		c.Yaw += 0.12
	case Right:
		c.Yaw -= 0.12
	case Up:
		c.Pitch -= 0.1
	case Smile:
		c.Smile *= 1.25
	}
	return c
}

func TestReached(t *testing.T) {
	th := Default
	for k := Straight; k <= Smile; k++ {
		for j := Straight; j <= Smile; j++ {
			want := j == k || k == Straight
			if got := th.Reached(k, posed(j), straight); got != want {
				t.Errorf("%v asked, %v shown: reached %v, want %v", k, j, got, want)
			}
		}
	}
	// Mixed views: which steps each reaches.
	shift := func(c Cues, yaw, up float64) Cues { c.Yaw += yaw * th.Turn; c.Pitch -= up * th.Up; return c }
	for _, tc := range []struct {
		name string
		c    Cues
		want []Kind // besides Straight
	}{
		{"a turned smile", shift(posed(Smile), 1.5, 0), []Kind{Left}},
		{"a half-turned smile (mouth widened by the turn)", shift(posed(Smile), -0.6, 0), nil},
		{"a smile looking half up", shift(posed(Smile), 0, 0.6), nil},
		{"a smile looking down", shift(posed(Smile), 0, -1.2), []Kind{Smile}},
		{"looking up, nose swung right", shift(straight, -1.4, 3.2), []Kind{Up}},
		{"looking up a little, turned right", shift(straight, -1.5, 1.2), []Kind{Right}},
		{"turned left, head tipped down", shift(straight, 1.3, -1.1), []Kind{Left}},
		{"turned left, head tipped down more", shift(straight, 1.1, -1.3), nil},
	} {
		for k := Left; k <= Smile; k++ {
			if got := th.Reached(k, tc.c, straight); got != slices.Contains(tc.want, k) {
				t.Errorf("%s: %v reached %v, want %v", tc.name, k, got, !got)
			}
		}
	}
	if th.Moved(straight, straight) || !th.Moved(Cues{Yaw: 0.5 + th.Turn*0.6, Pitch: 0.9, Smile: 0.8}, straight) {
		t.Error("Moved")
	}
}

// frames makes a 10 fps stream: n frames of each cue given, OK unless
// the cue is zero.
func frames(start time.Duration, n int, cs ...Cues) []Frame {
	var out []Frame
	at := start
	for _, c := range cs {
		for range n {
			out = append(out, Frame{At: at, Cues: c, OK: c != (Cues{})})
			at += 100 * time.Millisecond
		}
	}
	return out
}

// TestWalk: a person who follows every prompt fills every step; one who
// never moves ends the registration after the first pose step times out;
// one who tries to turn left but cannot loses only that step. Every OK
// frame looked at, in pose or not, is a candidate template.
func TestWalk(t *testing.T) {
	steps := Steps(5)
	lens := func(r [][]int, _ []int) []int {
		var out []int
		for _, s := range r {
			out = append(out, len(s))
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		frames []Frame
		want   []int
		cands  int // OK frames looked at, in any pose
	}{
		// Each pose step also sees the 2 frames of the previous pose left
		// after that step's 3.
		{"follows", frames(0, 5, straight, posed(Left), posed(Right), posed(Up), posed(Smile)), []int{5, 3, 3, 3, 3}, 5 + 3 + 3*(2+3)},
		{"still", frames(0, 200, straight), []int{5, 0, 0, 0, 0}, 5 + 60},
		{"no face at first", frames(0, 5, Cues{}, straight, posed(Left)), []int{5, 3, 0, 0, 0}, 5 + 3 + 2},
	} {
		acc, cands := Default.Walk(steps, StepLimit, tc.frames)
		if got := lens(acc, cands); !slices.Equal(got, tc.want) || len(cands) != tc.cands {
			t.Errorf("%s: frames per step %v, want %v; %d candidates, want %d", tc.name, got, tc.want, len(cands), tc.cands)
		}
		for _, i := range cands {
			if !tc.frames[i].OK {
				t.Errorf("%s: frame %d is a candidate but not OK", tc.name, i)
			}
		}
	}
	// Trying to turn left (moving, never far enough) moves on to the next
	// steps after the limit, which are then done.
	try := Cues{Yaw: 0.5 + Default.Turn*0.6, Pitch: 0.9, Smile: 0.8}
	fs := frames(0, 5, straight)
	fs = append(fs, frames(500*time.Millisecond, 61, try)...)
	fs = append(fs, frames(500*time.Millisecond+61*100*time.Millisecond, 5, posed(Right), posed(Up), posed(Smile))...)
	if got := lens(Default.Walk(steps, StepLimit, fs)); !slices.Equal(got, []int{5, 0, 3, 3, 3}) {
		t.Errorf("tries to turn left: frames per step %v", got)
	}
}
