package app

import (
	"facelogin/recognition/pose"
)

// The guided registration's rules live in recognition/pose (shared with
// the measurement of guided enrolment on the shared videos); these are the
// window's names for them.

// poseCues are the head pose and expression of one tracked face
// (pose.Cues).
type poseCues = pose.Cues

// poseKind is what one step of a guided registration asks for.
type poseKind = pose.Kind

const (
	poseStraight = pose.Straight
	poseLeft     = pose.Left
	poseRight    = pose.Right
	poseUp       = pose.Up
	poseSmile    = pose.Smile
)

// cuesOf measures lm (pose.CuesOf).
var cuesOf = pose.CuesOf

// medianCues is the pointwise median of cs (not empty).
var medianCues = pose.Median

// poseStep is one step of a guided registration: the prompt, how many
// accepted frames it takes, and whether the person may skip it.
type poseStep struct {
	kind     poseKind
	prompt   string // large, on screen while the step runs
	frames   int    // accepted frames that complete the step
	optional bool   // skippable, and ends by itself after the step limit
}

// reached reports whether cues, against the straight-ahead baseline,
// show the pose the step asks for (pose.Default).
func (s poseStep) reached(c, base poseCues) bool { return pose.Default.Reached(s.kind, c, base) }

// headMoved reports whether c shows the head on its way to any pose
// (pose.Thresholds.Moved).
func headMoved(c, base poseCues) bool { return pose.Default.Moved(c, base) }
