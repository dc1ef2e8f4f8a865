package liveness

import "errors"

// Reasons a challenge ends without "live", checked with errors.Is on
// Result.Reason. Their texts are written for people and can be shown as
// they are; Result.Reason may wrap them with detail for logs. Each also
// has a stable code for scripts (ReasonCode).
//
// The first group are refusals (Outcome Refused): the check cannot judge
// this source, and says so rather than pass or blame the person.
var (
	ErrTooSlow     = newReason("too_slow", "camera too slow for the liveness check")
	ErrNoMotion    = newReason("no_motion", "the picture does not move — a photo cannot log in")
	ErrTooSmall    = newReason("too_small", "face too small for the liveness check: come closer")
	ErrNoLandmarks = newReason("no_landmarks", "the face landmarks have no eye contours: the liveness check needs the 68-point model")
	ErrBadFrame    = newReason("bad_frame", "frames out of order")
)

// Failures (Outcome Failed): the check could judge, and the person did
// not pass.
var (
	ErrNoFace        = newReason("no_face", "no face in view")
	ErrManyFaces     = newReason("many_faces", "more than one face: one person at a time")
	ErrFaceLost      = newReason("face_lost", "the face was lost during the check")
	ErrFaceJumped    = newReason("face_jumped", "the face changed during the check")
	ErrNotFrontal    = newReason("not_frontal", "look straight at the camera")
	ErrTimeout       = newReason("timeout", "step not done in time")
	ErrWrongWay      = newReason("wrong_way", "turned the other way")
	ErrFlat          = newReason("flat", "the head turn showed no depth, as a flat picture does")
	ErrNotBlink      = newReason("not_blink", "the eyes closed too long or not completely to count as a blink")
	ErrPhotoBlink    = newReason("photo_blink", "the eyes changed without moving, as two alternated pictures do")
	ErrEyesUnchanged = newReason("eyes_unchanged", "no blink seen: the eyes themselves did not close")
	ErrSlideshow     = newReason("slideshow", "the face came back to exactly a shape it had shown, as photos shown in turn do")
	ErrNotSamePerson = newReason("not_same_person", "a different face at the end of the check")
	ErrNoDescriptor  = newReason("no_descriptor", "no face descriptor to confirm the person")
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

// reason is one of the Err* reasons: its text for people and its code.
type reason struct{ code, text string }

func newReason(code, text string) error { return &reason{code: code, text: text} }

func (r *reason) Error() string { return r.text }

// ReasonCode is the stable name of the Err* reason err wraps, for scripts
// and JSON output: "not_same_person" for ErrNotSamePerson, "eyes_unchanged"
// for ErrEyesUnchanged (lower case, words joined by "_"; see Reasons). ""
// for nil; "other" for an error that wraps none of them. Unlike the texts,
// the codes do not change with the wording or the language.
func ReasonCode(err error) string {
	if err == nil {
		return ""
	}
	var r *reason
	if errors.As(err, &r) {
		return r.code
	}
	return "other"
}
