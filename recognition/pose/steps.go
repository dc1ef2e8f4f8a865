package pose

import (
	"math"
	"time"
)

// Kind is what one step of a guided registration asks for.
type Kind int

const (
	Straight Kind = iota // look straight at the camera: the baseline
	Left                 // turn the head slightly to one's own left
	Right                // … to one's own right
	Up                   // tilt the head slightly up
	Smile                // smile, facing the camera
)

var kindNames = [...]string{"straight", "left", "right", "up", "smile"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Thresholds say when a face shows a pose, as changes from the person's own
// cues while looking straight (the median of the straight step's frames).
// The straight step asks for no particular yaw: portraits that pass the
// quality gate range over YawRatio 0.16–0.77 (the photos of
// ../shared/testdata/faces), and a person who habitually holds the head a
// little turned registers with that as their straight view.
type Thresholds struct {
	// Turn is the |ΔYaw| that counts as "slightly left/right".
	Turn float64
	// Up is the fall of Pitch that counts as "slightly up".
	Up float64
	// Smile is the relative widening of the mouth (Smile over the
	// baseline's, minus 1) that counts as a smile.
	Smile float64
}

// Default are the thresholds measured on the landmark tracks of the shared
// videos (TestPoseThresholds in recognition/dlib prints the table and
// lists the frames): each lies above every frame where the person looks
// straight with a still face (and, for Up, above a held open mouth) and
// below every frame where they hold the pose.
//   - Turn 0.08: still faces moved Yaw by at most 0.04, turns by 0.10–0.18
//     (the liveness check's TurnYaw is the same 0.08).
//   - Up 0.07: still faces moved Pitch by at most 0.02 upwards, an open
//     mouth by 0.05, a look up by 0.09–0.22.
//   - Smile 0.15: still faces widened the mouth by at most 12 %, smiles by
//     17–43 %.
var Default = Thresholds{Turn: 0.08, Up: 0.07, Smile: 0.15}

// Reached reports whether c, against the straight-ahead baseline base,
// shows pose k. Any view is the straight one (its frames are the baseline).
//   - A turn needs the yaw change to reach Turn and to dominate the pitch
//     change (each over its own threshold): looking up swings the nose tip
//     sideways too (on the shared videos by up to 1.4 Turn while the pitch
//     changed by 3.2 Up), and must not count as a turn.
//   - A look up needs the pitch to fall by Up and to dominate the yaw
//     change likewise.
//   - A smile counts only with the head still in its straight pose: yaw and
//     upward pitch changes below half their thresholds (what Moved does not
//     count as moving). A turned head widens the mouth against the eye
//     corners in the landmarks (left turns of the shared videos by +0.17,
//     more than the smile threshold), so a turn must not count as a smile.
//     Looking down is allowed: a smile's raised cheeks move the eyes' points
//     up and raise Pitch by up to 1.2 Up on the shared videos.
func (th Thresholds) Reached(k Kind, c, base Cues) bool {
	yaw := (c.Yaw - base.Yaw) / th.Turn // > 0 to the person's left
	up := (base.Pitch - c.Pitch) / th.Up
	switch k {
	case Straight:
		return true
	case Left:
		return yaw >= 1 && yaw > math.Abs(up)
	case Right:
		return -yaw >= 1 && -yaw > math.Abs(up)
	case Up:
		return up >= 1 && up > math.Abs(yaw)
	case Smile:
		return c.Smile >= base.Smile*(1+th.Smile) && math.Abs(yaw) < stillShare && up < stillShare
	}
	return false
}

// Moved reports whether c shows the head on its way to any pose: half of
// any threshold, in any direction. A step that ends by its time limit with
// no frame that moved is one the person is not following.
func (th Thresholds) Moved(c, base Cues) bool {
	return math.Abs(c.Yaw-base.Yaw) >= stillShare*th.Turn || math.Abs(c.Pitch-base.Pitch) >= stillShare*th.Up ||
		math.Abs(c.Smile/base.Smile-1) >= stillShare*th.Smile
}

// stillShare is the share of a pose's threshold below which a change is
// no movement: Moved counts from it, and a smile needs the head's yaw and
// upward pitch below it.
const stillShare = 0.5

// Step is one step of a guided registration: the pose, how many accepted
// frames complete it, and whether the person may skip it (an optional step
// also ends by itself after StepLimit).
type Step struct {
	Kind     Kind
	Frames   int
	Optional bool
}

// Guided registration's constants.
const (
	// PoseFrames is how many accepted frames complete a pose step.
	PoseFrames = 3
	// StepLimit is how long a pose step waits for the person before it
	// moves on by itself: time to read the prompt and turn.
	StepLimit = 6 * time.Second
)

// Steps are the poses a registration asks for: looking straight (required:
// it takes minimum frames, the least a registration stores, and measures
// the person's own straight-ahead cues), then slightly left, slightly
// right, slightly up and a smile, each optional and PoseFrames long.
func Steps(minimum int) []Step {
	return []Step{
		{Kind: Straight, Frames: minimum},
		{Kind: Left, Frames: PoseFrames, Optional: true},
		{Kind: Right, Frames: PoseFrames, Optional: true},
		{Kind: Up, Frames: PoseFrames, Optional: true},
		{Kind: Smile, Frames: PoseFrames, Optional: true},
	}
}

// Frame is one tracked frame offered to a guided registration.
type Frame struct {
	At   time.Duration // the camera's time
	Cues Cues          // zero when the frame has no single face
	// OK: one face, its cues measured, and the registration's quality gate
	// passed (the frame could become a template).
	OK bool
}

// Walk runs frames, in order, through steps as the window's guided
// registration does (app/guide.go): the straight step takes the first
// steps[0].Frames OK frames and their median cues become the baseline;
// each optional step then takes OK frames that reach its pose until it has
// its Frames or limit of camera time has passed since its first frame; a
// step that timed out with the face in view but not a single frame that
// Moved ends the registration there (the person is not following the
// prompts). It returns the indices of the frames each step accepted
// (steps never started are empty) and of every OK frame looked at, in any
// pose: the registration's candidate templates (the window keeps them in a
// decision.Candidates and chooses its templates from them). Frames after
// the last step are not looked at.
func (th Thresholds) Walk(steps []Step, limit time.Duration, frames []Frame) (accepted [][]int, candidates []int) {
	out := make([][]int, len(steps))
	var base Cues
	i := 0
	for s, st := range steps {
		if i >= len(frames) {
			break
		}
		start := frames[i].At
		seen, moved := false, false
		var cues []Cues
		for ; i < len(frames) && len(out[s]) < st.Frames; i++ {
			f := frames[i]
			if st.Optional && f.At-start >= limit {
				break
			}
			if s > 0 && f.Cues != (Cues{}) {
				seen = true
				moved = moved || th.Moved(f.Cues, base)
			}
			if !f.OK {
				continue
			}
			candidates = append(candidates, i)
			if th.Reached(st.Kind, f.Cues, base) {
				out[s] = append(out[s], i)
				cues = append(cues, f.Cues)
			}
		}
		if !st.Optional {
			if len(cues) < st.Frames {
				break // the registration fails: too few straight frames
			}
			base = Median(cues)
		} else if len(out[s]) < st.Frames && seen && !moved && i < len(frames) {
			break // timed out with the head still
		}
	}
	return out, candidates
}
