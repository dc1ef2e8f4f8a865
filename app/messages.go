package app

import (
	"errors"
	"fmt"

	"facelogin/recognition/decision"
)

// rejectionAdvice tells a person what to do about a frame the quality gate
// refused.
func rejectionAdvice(err error) string {
	var pe *poseError
	switch {
	case errors.As(err, &pe):
		return pe.advice()
	case errors.Is(err, ErrNoFace):
		return "No face in view — look at the camera"
	case errors.Is(err, ErrSeveralFaces):
		return "Only one face please"
	case errors.Is(err, ErrFaceTooSmall):
		return "Move closer"
	case errors.Is(err, ErrFaceBlurred):
		return "Hold still"
	case errors.Is(err, ErrFaceCutOff):
		return "Move into the middle of the picture"
	case errors.Is(err, ErrFaceTurned):
		return "Look straight at the camera"
	case errors.Is(err, ErrTooDark):
		return "Too dark — add light"
	case errors.Is(err, ErrDifferentFace):
		return "Keep the same face in view"
	case errors.Is(err, ErrFaceUnclear):
		return "Look straight at the camera and hold still"
	case errors.Is(err, errTracker):
		return "Face detection failed — see the log"
	case errors.Is(err, errEngine):
		return "Face recognition failed — see the log"
	default:
		return "This frame can't be used — keep looking at the camera"
	}
}

// nameAdvice explains a refused username.
func nameAdvice(name string, err error) string {
	switch {
	case errors.Is(err, ErrNameTaken):
		return fmt.Sprintf("The name “%s” is taken — choose another", name)
	case errors.Is(err, ErrInvalidName):
		return "That name can't be used — use letters, digits, '.', '_' or '-' (no spaces), at most 64 characters"
	case errors.Is(err, ErrUnknownUser):
		return fmt.Sprintf("There is no user called “%s”", name)
	default:
		return "The user database is not working — see the log"
	}
}

// errTracker wraps a failure of the tracker inside a detection, and
// errEngine a failure to compute a descriptor, so they reach people as
// "detection failed" / "recognition failed" rather than as a bad frame.
var (
	errTracker = errors.New("app: face tracker")
	errEngine  = errors.New("app: recognition engine")
)

// refusalAdvice tells a person why a login was refused and what to do,
// naming nobody but the user they typed. The kiosk has no name box, so
// where the window says "type your name" it sends them to a member of
// staff. A face recognised as a disabled user's is refused with the words
// a stranger's face gets: saying "disabled" would tell whoever stands at
// the camera that the face is enrolled (the audit log and the log tell an
// administrator).
func refusalAdvice(res loginResult, claimed string, kiosk bool) string {
	if res.Disabled {
		res.Reason = decision.TooFar
	}
	switch {
	case res.Reason == decision.Ambiguous && kiosk:
		return "You look like more than one registered person — please ask a member of staff"
	case res.Reason == decision.TooFar && claimed != "":
		return fmt.Sprintf("This face does not match “%s”.", claimed)
	case res.Reason == decision.TooFar && kiosk:
		return "Please ask a member of staff"
	case res.Reason == decision.TooFar:
		return "Register first, or move into better light and try again."
	}
	return res.Reason.Message()
}
