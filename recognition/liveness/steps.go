package liveness

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
)

// Step is one action of a challenge.
type Step int

// The steps. Left and right are the person's OWN left and right. The
// camera image is not mirrored: turning to their left moves the person's
// nose towards the RIGHT of the camera picture. A prompt arrow drawn on a
// screen the person faces points the same way for them whether or not the
// preview is shown mirrored: an arrow to the screen's left is to their left.
const (
	Blink     Step = iota + 1 // close and reopen both eyes once
	TurnLeft                  // turn the head to the person's own left and back
	TurnRight                 // turn the head to the person's own right and back
)

// AllSteps lists the steps a random challenge draws from.
var AllSteps = []Step{Blink, TurnLeft, TurnRight}

// String is the step's name on command lines and in JSON: "blink", "left",
// "right".
func (s Step) String() string {
	switch s {
	case Blink:
		return "blink"
	case TurnLeft:
		return "left"
	case TurnRight:
		return "right"
	}
	return fmt.Sprintf("Step(%d)", int(s))
}

// Prompt is the instruction shown to people for the step.
func (s Step) Prompt() string {
	switch s {
	case Blink:
		return "Blink"
	case TurnLeft:
		return "Turn your head to your left"
	case TurnRight:
		return "Turn your head to your right"
	}
	return ""
}

// Arrow is the direction of the step's prompt arrow on a screen the person
// faces: ArrowLeft points to the screen's (and the person's) left.
func (s Step) Arrow() Arrow {
	switch s {
	case TurnLeft:
		return ArrowLeft
	case TurnRight:
		return ArrowRight
	}
	return ArrowNone
}

// direction is +1 for a turn that increases YawRatio (to the person's
// left), −1 for the other way, 0 for a blink.
func (s Step) direction() float64 {
	switch s {
	case TurnLeft:
		return 1
	case TurnRight:
		return -1
	}
	return 0
}

// Arrow is a prompt arrow's direction on a screen the person faces.
type Arrow int

// Arrows.
const (
	ArrowNone Arrow = iota
	ArrowLeft
	ArrowRight
)

func (a Arrow) String() string {
	switch a {
	case ArrowLeft:
		return "left"
	case ArrowRight:
		return "right"
	}
	return "none"
}

// ParseSteps reads a comma-separated list of steps ("blink,left"), as given
// to --challenge. Names are case-insensitive; "turn-left" and "turn-right"
// are accepted too. Errors name the bad word and the valid ones.
func ParseSteps(s string) ([]Step, error) {
	var out []Step
	for _, w := range strings.Split(s, ",") {
		w = strings.ToLower(strings.TrimSpace(w))
		switch w {
		case "blink":
			out = append(out, Blink)
		case "left", "turn-left", "turnleft":
			out = append(out, TurnLeft)
		case "right", "turn-right", "turnright":
			out = append(out, TurnRight)
		default:
			return nil, fmt.Errorf("liveness: unknown challenge step %q (use blink, left, right separated by commas)", w)
		}
	}
	return out, nil
}

// FormatSteps is the inverse of ParseSteps.
func FormatSteps(steps []Step) string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.String()
	}
	return strings.Join(names, ",")
}

// RandomSteps draws n distinct steps in random order from AllSteps with
// crypto/rand, so a recording cannot be prepared for the sequence: with
// n = 2 each of the 6 ordered pairs has probability 1/6, and every pair
// contains at least one head turn, the step a flat picture cannot fake.
// n must be 1..3.
func RandomSteps(n int) ([]Step, error) {
	if n < 1 || n > len(AllSteps) {
		return nil, fmt.Errorf("liveness: %d steps requested, need 1..%d", n, len(AllSteps))
	}
	pool := append([]Step(nil), AllSteps...)
	out := make([]Step, 0, n)
	for range n {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(pool))))
		if err != nil {
			return nil, fmt.Errorf("liveness: random challenge: %w", err)
		}
		i := int(k.Int64())
		out = append(out, pool[i])
		pool = append(pool[:i], pool[i+1:]...)
	}
	return out, nil
}
