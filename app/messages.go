package app

import (
	"errors"

	"fyne.io/fyne/v2/lang"

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
		return lang.L("No face in view — look at the camera")
	case errors.Is(err, ErrSeveralFaces):
		return lang.L("Only one face please")
	case errors.Is(err, ErrFaceTooSmall):
		return lang.L("Move closer")
	case errors.Is(err, ErrFaceBlurred):
		return lang.L("Hold still")
	case errors.Is(err, ErrFaceCutOff):
		return lang.L("Move into the middle of the picture")
	case errors.Is(err, ErrFaceTurned):
		return lang.L("Look straight at the camera")
	case errors.Is(err, ErrTooDark):
		return lang.L("Too dark — add light")
	case errors.Is(err, ErrDifferentFace):
		return lang.L("Keep the same face in view")
	case errors.Is(err, ErrFaceUnclear):
		return lang.L("Look straight at the camera and hold still")
	case errors.Is(err, errTracker):
		return lang.L("Face detection failed — see the log")
	case errors.Is(err, errEngine):
		return lang.L("Face recognition failed — see the log")
	default:
		return lang.L("This frame can't be used — keep looking at the camera")
	}
}

// nameAdvice explains a refused username.
func nameAdvice(name string, err error) string {
	switch {
	case errors.Is(err, ErrNameTaken):
		return lang.L("The name “{{.Name}}” is taken — choose another", map[string]any{"Name": name})
	case errors.Is(err, ErrInvalidName):
		return lang.L("That name can't be used — use letters, digits, '.', '_' or '-' (no spaces), at most 64 characters")
	case errors.Is(err, ErrUnknownUser):
		return lang.L("There is no user called “{{.Name}}”", map[string]any{"Name": name})
	default:
		return lang.L("The user database is not working — see the log")
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
		return lang.L("You look like more than one registered person — please ask a member of staff")
	case res.Reason == decision.TooFar && claimed != "":
		return lang.L("This face does not match “{{.Name}}”.", map[string]any{"Name": claimed})
	case res.Reason == decision.TooFar && kiosk:
		return lang.L("Please ask a member of staff")
	case res.Reason == decision.TooFar:
		return lang.L("Register first, or move into better light and try again.")
	}
	return reasonMessage(res.Reason)
}

// reasonMessage is decision.Reason.Message in the window's language.
func reasonMessage(r decision.Reason) string {
	switch r {
	case decision.Accepted:
		return ""
	case decision.NoFrames:
		return lang.L("No face was seen. Look at the camera and try again.")
	case decision.NobodyEnrolled:
		return lang.L("Nobody is registered yet.")
	case decision.UnknownUser:
		return lang.L("No registered person has that name.")
	case decision.Ambiguous:
		return lang.L("You look like more than one registered person — type your name to log in.")
	case decision.OtherUser:
		return lang.L("This face matches another registered person better than the name typed.")
	default:
		return lang.L("Not recognised. Move into better light and try again, or register first.")
	}
}
