package livenesstest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"facelogin/recognition/liveness"
)

// heldNonPlanarity is what the turn check compares with Min3D on a track:
// against the frontal reference frame ref, every frame turned by at least
// TurnYaw (|ΔYawRatio|) is measured (liveness.NonPlanarity), and the
// largest median of TurnHold consecutive such frames is returned (0 when
// the track never turns that far for that long).
func heldNonPlanarity(fr []liveness.Frame, ref, from, to int) float64 {
	th := liveness.Default
	r := fr[ref].Faces[0]
	yaw0 := liveness.YawRatio(r.Landmarks)
	var best float64
	var run []float64
	for i := from; i < to && i < len(fr); i++ {
		if len(fr[i].Faces) != 1 {
			run = run[:0]
			continue
		}
		f := fr[i].Faces[0]
		if math.Abs(liveness.YawRatio(f.Landmarks)-yaw0) < th.TurnYaw {
			run = run[:0]
			continue
		}
		v, ok := liveness.NonPlanarity(r.Patch, r.Landmarks, f.Patch, f.Landmarks)
		if !ok {
			v = 0 // as the check counts it: no evidence of depth
		}
		run = append(run, v)
		if len(run) > th.TurnHold {
			run = run[1:]
		}
		if len(run) == th.TurnHold {
			best = math.Max(best, median(run))
		}
	}
	return best
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// TestTurnMargins: the margins of the 3D check's threshold (Min3D) on
// both sides, measured as the check measures them: the held
// NonPlanarity of every genuine turn in the shared videos (as recorded
// and mirrored; the reference is the frame where a challenge's step would
// begin, the end of settling) and of every rendered attack (the reference
// is its frame at the end of settling; every frame turned by TurnYaw
// counts, in either direction). Min3D must lie between the two, and the
// leave-one-video-out check asks: had the threshold been set from the
// attacks and the other video's turns only (the geometric midpoint of the
// largest attack and the smallest genuine value, as Default's Min3D is),
// would the left-out video's turns pass?
func TestTurnMargins(t *testing.T) {
	const settle = 12 // frames of settling (0.4 s at 30 fps) before a step begins
	type val struct {
		name, video string
		v           float64
	}
	var genuine, attacked []val
	for _, tr := range turns {
		for _, m := range []bool{false, true} {
			fr := videoTrack(t, tr.Video, m)
			from := max(0, tr.Act0-lead)
			v := heldNonPlanarity(fr, from+settle, tr.Act0-5, tr.Act1+1)
			name := fmt.Sprintf("%s mirrored=%v %d–%d", tr.Video, m, tr.Act0, tr.Act1)
			genuine = append(genuine, val{name, tr.Video, v})
		}
	}
	for _, a := range attacks(t) {
		fr := attackTrack(t, a)
		attacked = append(attacked, val{a.Name, "", heldNonPlanarity(fr, settle, settle, len(fr))})
	}
	var w strings.Builder
	minG, maxA := math.Inf(1), 0.0
	for _, g := range genuine {
		fmt.Fprintf(&w, "  genuine %-32s %.4f\n", g.name, g.v)
		minG = math.Min(minG, g.v)
	}
	for _, a := range attacked {
		fmt.Fprintf(&w, "  attack  %-42s %.4f\n", a.name, a.v)
		maxA = math.Max(maxA, a.v)
	}
	min3D := liveness.Default.Min3D
	t.Logf("held non-planarity (face widths):\n%s", w.String())
	t.Logf("largest attack %.4f, smallest genuine turn %.4f; Min3D %.4f: %.2f× above the attacks, %.2f× below the genuine turns (geometric midpoint %.4f)",
		maxA, minG, min3D, min3D/maxA, minG/min3D, math.Sqrt(maxA*minG))
	if maxA >= min3D {
		t.Errorf("an attack's held non-planarity %.4f reaches Min3D %.4f", maxA, min3D)
	}
	if minG <= min3D {
		t.Errorf("a genuine turn's held non-planarity %.4f is at or below Min3D %.4f", minG, min3D)
	}
	// Leave one video out.
	videos := map[string]bool{}
	for _, g := range genuine {
		videos[g.video] = true
	}
	refused, total := 0, 0
	for v := range videos {
		minOther := math.Inf(1)
		for _, g := range genuine {
			if g.video != v {
				minOther = math.Min(minOther, g.v)
			}
		}
		th := math.Sqrt(maxA * minOther)
		n := 0
		for _, g := range genuine {
			if g.video == v {
				total++
				if g.v < th {
					n++
				}
			}
		}
		refused += n
		t.Logf("leave %s out: threshold %.4f from the attacks and the other turns, %d of %s's turns below it", v, th, n, v)
	}
	t.Logf("leave-one-video-out turn BPCER of the 3D check: %d/%d", refused, total)
}

// TestRecurrenceMargins measures the slideshow rule (liveness's recurrence:
// Thresholds.RecurMax, RecurHeld, RecurFrames) on both sides and logs the
// distributions with -v: for every genuine clip (its own step, as
// TestGenuineClips runs it) and every slideshow (TestSlideshowAttacks's,
// against every step) the number of frames held back at a shape the face
// had left (Result.Recurrences) and the nearest such return
// (Result.NearestRecurrence, inter-ocular distances), and the frames that
// showed exactly a picture or landmark shape left before
// (Result.ExactRepeats). Genuine clips must stay below RecurFrames and
// have no exact repeat (a decoded video, like a camera, never shows the
// same frame again after others).
func TestRecurrenceMargins(t *testing.T) {
	th := liveness.Default
	var gen []float64
	var w strings.Builder
	for _, r := range runClips(t) {
		gen = append(gen, r.res.NearestRecurrence)
		fmt.Fprintf(&w, "  genuine   %-45s recurrences %d, nearest %.4f, exact repeats %d\n", r.clip, r.res.Recurrences, r.res.NearestRecurrence, r.res.ExactRepeats)
		if r.res.Recurrences >= th.RecurFrames || r.res.ExactRepeats > 0 {
			t.Errorf("%s: %d recurring frames (nearest %.4f), %d exact repeats: a genuine clip taken for a slideshow",
				r.clip, r.res.Recurrences, r.res.NearestRecurrence, r.res.ExactRepeats)
		}
	}
	var att []float64
	for _, a := range append(slideshows(t), testerSlideshows(t)...) {
		fr := attackTrack(t, a)
		for _, step := range liveness.AllSteps {
			res, err := liveness.Run(liveness.Config{Steps: []liveness.Step{step}}, fr)
			if err != nil {
				t.Fatal(err)
			}
			att = append(att, res.NearestRecurrence)
			fmt.Fprintf(&w, "  slideshow %-45s %-5s recurrences %d, nearest %.4f, exact repeats %d: %v\n",
				a.Name, step, res.Recurrences, res.NearestRecurrence, res.ExactRepeats, res.Reason)
		}
	}
	slices.Sort(gen)
	slices.Sort(att)
	t.Logf("recurrence per attempt:\n%s", w.String())
	t.Logf("nearest recurrence, genuine (sorted): %.4f", gen)
	t.Logf("nearest recurrence, slideshows (sorted): %.4f", att)
}
