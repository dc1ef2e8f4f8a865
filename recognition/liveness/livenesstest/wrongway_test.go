package livenesstest

import (
	"errors"
	"testing"

	"facelogin/recognition/liveness"
)

// TestWrongWayOnClips: a recording that holds the turns in the other
// order fails on the first turn, as a turn the other way — d12 [9,119)
// turns left (33–60), rests in front, then turns right (74–104): asked
// right then left it fails at once, and so does its mirror asked left
// then right — while a glance the other way that leads straight into the
// asked turn (d11 196–210, before the left turn 208–222) is no wrong turn:
// that clip passes, as it is and mirrored.
func TestWrongWayOnClips(t *testing.T) {
	rl := []liveness.Step{liveness.TurnRight, liveness.TurnLeft}
	for _, c := range []struct {
		mirrored bool
		steps    []liveness.Step
	}{{false, rl}, {true, []liveness.Step{liveness.TurnLeft, liveness.TurnRight}}} {
		res, err := liveness.Run(liveness.Config{Steps: c.steps}, track(t, "d12", 9, 119, c.mirrored))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("d12 mirrored=%v %v: %v %v", c.mirrored, liveness.FormatSteps(c.steps), res.Outcome, res.Reason)
		if res.Live || !errors.Is(res.Reason, liveness.ErrWrongWay) || res.Steps[0].Passed {
			t.Errorf("d12 mirrored=%v asked %v: %v %v, want the first step failed as a turn the other way", c.mirrored, liveness.FormatSteps(c.steps), res.Outcome, res.Reason)
		}
	}
	for _, mirrored := range []bool{false, true} {
		step := liveness.TurnLeft
		if mirrored {
			step = liveness.TurnRight
		}
		res, err := liveness.Run(liveness.Config{Steps: []liveness.Step{step}}, track(t, "d11", 184, 225, mirrored))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Live {
			t.Errorf("d11 [184,225) mirrored=%v, a glance then %v: %v %v", mirrored, step, res.Outcome, res.Reason)
		}
	}
}
