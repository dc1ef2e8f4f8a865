package liveness

import "errors"

// Reasons a challenge ends without "live", checked with errors.Is on
// Result.Reason. Their texts are written for people and can be shown as
// they are; Result.Reason may wrap them with detail for logs.
//
// The first group are refusals (Outcome Refused): the check cannot judge
// this source, and says so rather than pass or blame the person.
var (
	ErrTooSlow     = errors.New("camera too slow for the liveness check")
	ErrNoMotion    = errors.New("the picture does not move — a photo cannot log in")
	ErrTooSmall    = errors.New("face too small for the liveness check: come closer")
	ErrNoLandmarks = errors.New("the face landmarks have no eye contours: the liveness check needs the 68-point model")
	ErrBadFrame    = errors.New("frames out of order")
)

// Failures (Outcome Failed): the check could judge, and the person did
// not pass.
var (
	ErrNoFace        = errors.New("no face in view")
	ErrManyFaces     = errors.New("more than one face: one person at a time")
	ErrFaceLost      = errors.New("the face was lost during the check")
	ErrFaceJumped    = errors.New("the face changed during the check")
	ErrNotFrontal    = errors.New("look straight at the camera")
	ErrTimeout       = errors.New("step not done in time")
	ErrWrongWay      = errors.New("turned the other way")
	ErrFlat          = errors.New("the head turn showed no depth, as a flat picture does")
	ErrNotBlink      = errors.New("the eyes closed too long or not completely to count as a blink")
	ErrPhotoBlink    = errors.New("the eyes changed without moving, as two alternated pictures do")
	ErrEyesUnchanged = errors.New("no blink seen: the eyes themselves did not close")
	ErrSlideshow     = errors.New("the face came back to exactly a shape it had shown, as photos shown in turn do")
	ErrNotSamePerson = errors.New("a different face at the end of the check")
	ErrNoDescriptor  = errors.New("no face descriptor to confirm the person")
)

// refusals are the reasons with Outcome Refused.
var refusals = []error{ErrTooSlow, ErrNoMotion, ErrTooSmall, ErrNoLandmarks, ErrBadFrame}

func isRefusal(err error) bool {
	for _, r := range refusals {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// Outcome is how a challenge ended.
type Outcome int

// Outcomes.
const (
	Pending Outcome = iota // not finished
	Live                   // every step passed: a live person
	Failed                 // the check judged and the person did not pass
	Refused                // the check could not judge this source (never a pass)
)

func (o Outcome) String() string {
	switch o {
	case Live:
		return "live"
	case Failed:
		return "failed"
	case Refused:
		return "refused"
	}
	return "pending"
}

// Reasons lists every Err* reason a Result can wrap, for ReasonText and for
// callers that word each one in their own language.
var Reasons = []error{ErrTooSlow, ErrNoMotion, ErrTooSmall, ErrNoLandmarks, ErrBadFrame, ErrNoFace,
	ErrManyFaces, ErrFaceLost, ErrFaceJumped, ErrNotFrontal, ErrTimeout, ErrWrongWay, ErrFlat,
	ErrNotBlink, ErrPhotoBlink, ErrEyesUnchanged, ErrSlideshow, ErrNotSamePerson, ErrNoDescriptor}
