package app

import (
	"context"
	"errors"
	"log/slog"

	"facelogin/recognition"
	"facelogin/recognition/decision"
	live "facelogin/recognition/liveness"
)

// loginInput is what a login decision is made from. It is a struct so the
// decision can take more evidence (a landmark track, a liveness score)
// without changing its callers.
type loginInput struct {
	// Claimed is the name typed for a 1:1 verification; "" identifies
	// (1:N).
	Claimed string
	// Descriptors are one per frame, of the same single face.
	Descriptors []recognition.Descriptor
	// Base is the decision policy's Base threshold: the settings' slider
	// (decision.Policy.WithBase). Each user's own threshold follows from
	// it and from who else is enrolled.
	Base float32
	// Liveness is what a liveness check said of the frames: the window
	// and the kiosk decide only after a passed challenge
	// (livenessPassed), or livenessNotChecked with the check turned off.
	Liveness liveness
	// Steps are the passed challenge's steps (Liveness livenessPassed),
	// for the audit log.
	Steps []live.Step
	// Adapt lets an accepted login that is also live store an adaptive
	// template (the setting, and --adaptive).
	Adapt bool
}

// loginDirectory is what a login uses of the users: the decision, the
// audit log and adaptive templates.
type loginDirectory interface {
	Decider
	Adapter
	LoginRecorder
}

// loginResult is a login decision as the window and the kiosk use it.
type loginResult struct {
	decision.Decision
	// Disabled: the face of a 1:N identification is a disabled user's;
	// refused, and nobody named.
	Disabled bool
	// Liveness is the input's: what a liveness check said of the frames.
	Liveness liveness
}

// liveness is the outcome of a liveness check (recognition/liveness) for a
// login attempt.
type liveness int

const (
	// livenessNotChecked: no challenge was run (the setting is off).
	livenessNotChecked liveness = iota
	livenessPassed              // a live person answered the challenge
	livenessFailed              // the challenge failed: a photo, a replay, or no answer
)

func (l liveness) String() string {
	switch l {
	case livenessPassed:
		return "passed"
	case livenessFailed:
		return "failed"
	}
	return "not checked"
}

// Accepted reports whether the person is let in.
func (r loginResult) Accepted() bool { return r.OK() && !r.Disabled }

// auditUser is the name the audit log and the log record: the user let in
// or the one claimed; never the candidate of a refused identification,
// which would name someone a stranger resembles.
func (r loginResult) auditUser(in loginInput) string {
	if r.Accepted() {
		return r.User
	}
	return in.Claimed
}

// auditLiveness is the audit log's account of the liveness check of a
// decided login: "liveness passed: blink,left" or "liveness not checked".
func (in loginInput) auditLiveness() string {
	if in.Liveness == livenessPassed {
		return "liveness passed: " + live.FormatSteps(in.Steps)
	}
	return "liveness " + in.Liveness.String()
}

// decideLogin decides a login through the directory's decision rules
// (recognition/decision: per-user thresholds, the lookalike margin, the
// median over frames); the window's login (1:N and 1:1) and the kiosk
// (1:N) both call it. An unknown or disabled claimed user is
// ErrUnknownUser; a disabled user recognised by 1:N is a refusal that
// names nobody (Disabled).
func decideLogin(g Decider, in loginInput) (loginResult, error) {
	if len(in.Descriptors) == 0 {
		return loginResult{}, errors.New("app: login decision without frames")
	}
	dec, err := g.Decide(in.Claimed, in.Descriptors, in.Base)
	res := loginResult{Decision: dec, Liveness: in.Liveness}
	if err != nil {
		if in.Claimed != "" || !errors.Is(err, ErrUnknownUser) {
			return res, err
		}
		res.Disabled = true
	}
	return res, nil
}

// logArgs are the decision's fields for the log at the default level:
// nothing that names the candidate of a refused identification.
func (r loginResult) logArgs(in loginInput) []any {
	return []any{"success", r.Accepted(), "user", r.auditUser(in), "distance", r.Distance,
		"threshold", r.Threshold.Value, "frames", r.Frames, "reason", r.reason()}
}

// reason names the decision for logs: decision.Reason's name, or
// "disabled".
func (r loginResult) reason() string {
	if r.Disabled {
		return "disabled"
	}
	return r.Reason.String()
}

// auditReason is the audit log's reason for a refusal that the distance
// does not explain: "user disabled" for a disabled user's face (nobody
// named; people at the camera are told what a stranger is told), "" else.
func (r loginResult) auditReason() string {
	if r.Disabled {
		return "user disabled"
	}
	return ""
}

// concludeLogin does what follows a decision, for the window's login and
// the kiosk alike: the audit log (through the directory, which marks where
// it happened), an adaptive template when the login was accepted, live and
// adapting is on, and the log lines. Only a Debug line names the candidate
// of a refused identification. The Info line is msg with head, the
// decision's fields, then tail. It returns the name the audit log
// recorded. A decision made is recorded even when ctx ends meanwhile (the
// window closing, SIGTERM): the writes get recordTimeout of their own.
// Background goroutine.
func concludeLogin(ctx context.Context, users loginDirectory, in loginInput, res loginResult, log *slog.Logger, msg string, head []any, tail ...any) string {
	ctx, cancel := recordContext(ctx)
	defer cancel()
	log.Info(msg, append(append(head, res.logArgs(in)...), tail...)...)
	log.Debug(msg+": candidate", "candidate", res.Candidate, "margin", res.Margin, "cohort", res.Threshold.Cohort)
	recorded := res.auditUser(in)
	if err := users.RecordLogin(ctx, recorded, res.Distance, res.Accepted(), res.auditReason(), in.auditLiveness()); err != nil {
		log.Error("record login", "user", recorded, "err", err)
	}
	if !res.Accepted() || !in.Adapt {
		return recorded
	}
	switch err := users.Adapt(ctx, res.Decision, in.Descriptors, in.Liveness == livenessPassed); {
	case err == nil:
		log.Info("adaptive template stored", "user", res.User, "distance", res.Distance)
	case errors.Is(err, decision.ErrNotAdapted):
		log.Debug("no adaptive template", "user", res.User, "why", err)
	default:
		log.Error("adaptive template", "user", res.User, "err", err)
	}
	return recorded
}
