package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"strings"

	"facelogin/internal/directory"
	"facelogin/recognition"
	"facelogin/recognition/decision"
	"facelogin/recognition/liveness"
	"facelogin/store"
)

// verdict is what identify and verify print. A refused identification
// names nobody and says nothing about the user nearest to the face — no
// name, no distance — unless an administrator asks with --verbose: a
// stranger must not learn who is enrolled, or whom they resemble.
type verdict struct {
	Recognised bool `json:"recognised"`
	// User is the user let in, or the one claimed (verify).
	User string `json:"user,omitempty"`
	// Reason is decision.Reason's name ("accepted", "too far",
	// "ambiguous", "other user", "nobody enrolled") or "disabled". A face
	// identified as a disabled user's is "too far", as a stranger's face
	// is, unless an administrator asks with --verbose: "disabled" would
	// tell whoever holds the photo that the face is enrolled. After a
	// challenge that did not pass (--camera), the challenge's reason for
	// people, as `liveness` gives it, and nothing was decided.
	Reason string `json:"reason"`
	// Message says what happened, for people.
	Message string `json:"message,omitempty"`
	// Distance is the median distance to User's templates, Threshold
	// User's own threshold: given when someone is named (or --verbose).
	Distance  *float32 `json:"distance,omitempty"`
	Threshold *float32 `json:"threshold,omitempty"`

	// With --verbose only: the user the face was compared with (the
	// nearest, for identify), the margin to the nearest other user, and
	// who that is.
	Candidate    string   `json:"candidate,omitempty"`
	Margin       *float32 `json:"margin,omitempty"`
	NearestOther string   `json:"nearest_other,omitempty"`

	// Liveness is "not checked" for a photo — a photo can never prove
	// that a live person is in front of the camera — and the challenge's
	// outcome with --camera: "live", "failed", "refused".
	Liveness string `json:"liveness"`
	challengeReport
}

// challengeReport is the liveness challenge of identify and verify
// --camera (empty for a photo): live, each step, the frames read.
type challengeReport struct {
	Live *bool `json:"live,omitempty"`
	// ReasonCode is why the challenge did not pass, for scripts
	// (liveness.ReasonCode: "not_same_person" while every step passed);
	// absent when it passed.
	ReasonCode string         `json:"reason_code,omitempty"`
	Steps      []livenessStep `json:"steps,omitempty"`
	Frames     int            `json:"frames,omitempty"`
	DurationMS int64          `json:"duration_ms,omitempty"`
}

// finite is a pointer to x, or nil for ±Inf and NaN (JSON has neither).
func finite(x float32) *float32 {
	if math.IsInf(float64(x), 0) || math.IsNaN(float64(x)) {
		return nil
	}
	return &x
}

// newVerdict turns a decision into what is printed. claimed is the name
// typed ("" for identify); disabled says the accepted or claimed user is
// disabled.
func newVerdict(dec decision.Decision, claimed string, disabled bool) verdict {
	v := verdict{Recognised: dec.OK() && !disabled, Reason: dec.Reason.String()}
	switch {
	case v.Recognised:
		v.User = dec.User
	case claimed != "":
		v.User = claimed
	}
	if v.User != "" {
		v.Distance, v.Threshold = finite(dec.Distance), finite(dec.Threshold.Value)
	}
	switch {
	case disabled && claimed != "":
		v.Reason, v.Message = "disabled", claimed+" is disabled"
	case disabled:
		v.Reason, v.Message = "disabled", "the matching account is disabled"
	case dec.Reason == decision.Ambiguous:
		v.Message = "this face looks like more than one registered person: check one with `verify --user NAME`"
	case dec.Reason == decision.OtherUser:
		v.Message = "this face matches another registered person better than " + claimed
	case dec.Reason == decision.TooFar && claimed != "":
		v.Message = "this face does not match " + claimed
	case dec.Reason == decision.NobodyEnrolled:
		v.Message = "nobody is enrolled yet: use `facelogin enrol`"
	}
	return v
}

// explain adds what only an administrator's --verbose shows.
func (v *verdict) explain(dec decision.Decision, m recognition.Match) {
	v.Candidate = dec.Candidate
	v.Distance, v.Threshold, v.Margin = finite(dec.Distance), finite(dec.Threshold.Value), finite(dec.Margin)
	if m.User != "" && m.User != dec.Candidate {
		v.NearestOther = m.User
	} else {
		v.NearestOther = m.SecondUser
	}
}

// hideDisabled makes a refused identification of a disabled user's face
// read as a stranger's ("not recognised", reason "too far"). The audit
// log still says "user disabled", and --verbose shows it.
func (v *verdict) hideDisabled() {
	if v.Reason == "disabled" && v.User == "" {
		v.Reason, v.Message = decision.TooFar.String(), ""
	}
}

// auditDetail is the audit log's detail for a decision made here, with
// the liveness check's result: "identify; liveness passed: blink,left
// (command line)", "not recognised: too far; liveness not checked
// (command line)".
func (v verdict) auditDetail(mode string) string {
	what := "not recognised: " + v.Reason
	switch {
	case v.Recognised:
		what = mode
	case v.Reason == "disabled":
		what = "user disabled"
	}
	return what + "; " + v.auditLiveness() + " (command line)"
}

// auditLiveness is the liveness part of a decision's audit detail: the
// steps of the passed challenge, or "liveness not checked" for a photo.
// A challenge that did not pass is refused before any decision
// (refuseLive), with its reason.
func (v verdict) auditLiveness() string {
	if v.Live == nil {
		return "liveness " + livenessNotChecked
	}
	names := make([]string, len(v.Steps))
	for i, s := range v.Steps {
		names[i] = s.Step
	}
	return "liveness passed: " + strings.Join(names, ",")
}

// decideFlags are the flags identify and verify share.
type decideFlags struct {
	*common
	*cameraFlags
	fs      *flag.FlagSet
	verbose *bool
}

func newDecideFlags(e *env, name string) *decideFlags {
	fs := newFlags(e, name)
	f := &decideFlags{common: addCommon(e, fs), cameraFlags: addCameraFlags(fs), fs: fs}
	f.verbose = fs.Bool("verbose", false, "for administrators: also name the users nearest to a refused face, with distances and margin")
	return f
}

// decidePhoto opens the session, sets the base threshold and describes
// the photo's one face.
func decidePhoto(ctx context.Context, e *env, f *decideFlags, path string) (*session, []recognition.Descriptor, error) {
	if err := photoOnly(f.fs); err != nil {
		return nil, nil, err
	}
	s, err := openSession(ctx, e, f.common, true)
	if err != nil {
		return nil, nil, err
	}
	if err := s.dir.SetBase(float32(*f.threshold)); err != nil {
		s.Close()
		return nil, nil, fail(exitUsage, err, "--threshold %.3f: %v", *f.threshold, err)
	}
	face, _, err := s.oneFace(path)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, []recognition.Descriptor{face.Descriptor}, nil
}

func cmdIdentify(e *env, args []string) error {
	f := newDecideFlags(e, "identify")
	if err := parse(f.fs, args); err != nil {
		return err
	}
	if *f.camera != "" {
		return decideLive(e, f, "", "identify")
	}
	if f.fs.NArg() != 1 {
		return fail(exitUsage, nil, "identify: give one photo")
	}
	ctx := context.Background()
	s, frames, err := decidePhoto(ctx, e, f, f.fs.Arg(0))
	if err != nil {
		return err
	}
	defer s.Close()
	if s.dir.Templates() == 0 {
		return fail(exitNoMatch, nil, "nobody is enrolled yet: use `facelogin enrol`")
	}
	dec, err := s.dir.Decide("", frames)
	disabled := errors.Is(err, directory.ErrDisabled)
	if err != nil && !disabled {
		return explainStoreError(err)
	}
	return conclude(ctx, e, s, f, dec, "", disabled, frames, "identify", challengeReport{})
}

func cmdVerify(e *env, args []string) error {
	f := newDecideFlags(e, "verify")
	user := f.fs.String("user", "", "the user the photo claims to show")
	if err := parse(f.fs, args); err != nil {
		return err
	}
	if *user != "" && *f.camera != "" {
		return decideLive(e, f, *user, "verify")
	}
	if *user == "" || f.fs.NArg() != 1 {
		return fail(exitUsage, nil, "verify: give --user NAME and one photo (or --camera SRC)")
	}
	ctx := context.Background()
	s, frames, err := decidePhoto(ctx, e, f, f.fs.Arg(0))
	if err != nil {
		return err
	}
	defer s.Close()
	if err := checkClaim(ctx, s, *user); err != nil {
		return err
	}
	dec, err := s.dir.Decide(*user, frames)
	disabled := errors.Is(err, directory.ErrDisabled)
	if errors.Is(err, store.ErrNotFound) {
		return explainUnknownClaim(ctx, s, *user, err)
	}
	if err != nil && !disabled {
		return explainStoreError(err)
	}
	return conclude(ctx, e, s, f, dec, *user, disabled, frames, "verify", challengeReport{})
}

// explainUnknownClaim words a claimed name the matcher does not know. The
// name may be enrolled with no template that opens: the templates are
// sealed to their owner's name, so a name changed outside facelogin (an
// edit of the database swapping two users' names, say) leaves the user
// listed but unverifiable. "No such user" would send them to `users list`,
// which shows them.
func explainUnknownClaim(ctx context.Context, s *session, name string, err error) error {
	u, gerr := s.st.Users.Get(ctx, name)
	if errors.Is(gerr, store.ErrTampered) {
		return explainAlteredClaim(name, gerr)
	}
	if gerr != nil {
		return explainStoreError(err)
	}
	return fail(exitDatabase, err, "%q is enrolled, but none of their face templates opens: the templates are sealed to their owner's name, "+
		"and this user's name or templates were changed outside facelogin (the warnings above name the templates)\n"+
		"  restore the database from a backup, or re-enrol the user: `facelogin users delete %s`, then `facelogin enrol --user %s PHOTO`", u.Username, u.Username, u.Username)
}

// checkClaim refuses a claimed name whose record was altered outside
// facelogin: its stored name and the key it is filed under (derived from
// the name) disagree, as when only the keys of two users were swapped. The
// templates may still open under the stored name, so without this check
// the claim would be judged against another person's templates and end in
// "does not match".
func checkClaim(ctx context.Context, s *session, name string) error {
	if _, err := s.st.Users.Get(ctx, name); errors.Is(err, store.ErrTampered) {
		return explainAlteredClaim(name, err)
	}
	return nil
}

// explainAlteredClaim words ErrTampered for a claimed name.
func explainAlteredClaim(name string, err error) error {
	return fail(exitDatabase, err, "the record of %q was altered outside facelogin (%v), so it is not used\n"+
		"  restore the database from a backup (see README, \"Backing up the key\"), or re-enrol the user", name, err)
}

// conclude records the decision in the audit log (a refused identification
// under no name) and prints it; ch is the passed challenge before it
// (--camera), empty for a photo.
func conclude(ctx context.Context, e *env, s *session, f *decideFlags, dec decision.Decision, claimed string, disabled bool, frames []recognition.Descriptor, mode string, ch challengeReport) error {
	v := newVerdict(dec, claimed, disabled)
	v.Liveness, v.challengeReport = livenessNotChecked, ch
	if ch.Live != nil {
		v.Liveness = liveness.Live.String()
	}
	attempt := store.LoginAttempt{Success: v.Recognised, Username: v.User, Detail: v.auditDetail(mode)}
	if v.Distance != nil {
		attempt.Distance, attempt.HasDistance = *v.Distance, true
	}
	if err := s.dir.RecordLogin(ctx, attempt); err != nil {
		return explainStoreError(err)
	}
	if *f.verbose {
		v.explain(dec, s.dir.Identify(&frames[0]))
	} else {
		v.hideDisabled()
	}
	return report(e, v)
}

func report(e *env, v verdict) error {
	if v.Live != nil && !e.json {
		printSteps(e, v.Steps)
	}
	switch {
	case e.json:
		if err := e.printJSON(v); err != nil {
			return err
		}
	case v.Live != nil && !*v.Live:
		fmt.Fprintf(e.stdout, "not live: %s\n", v.Reason)
	case v.Recognised && v.Live == nil:
		fmt.Fprintf(e.stdout, "%s (distance %.3f, threshold %.3f; liveness not checked: a photo cannot prove it)\n", v.User, *v.Distance, *v.Threshold)
	case v.Recognised:
		fmt.Fprintf(e.stdout, "%s (distance %.3f, threshold %.3f)\n", v.User, *v.Distance, *v.Threshold)
	case v.Message != "":
		fmt.Fprintf(e.stdout, "not recognised: %s%s\n", v.Message, v.verboseText())
	default:
		fmt.Fprintf(e.stdout, "not recognised%s\n", v.verboseText())
	}
	if !v.Recognised {
		return &exitError{code: exitNoMatch}
	}
	return nil
}

// verboseText is --verbose's addition to a refusal's line.
func (v verdict) verboseText() string {
	if v.Candidate == "" {
		return ""
	}
	t := fmt.Sprintf(" (candidate %s", v.Candidate)
	if v.Distance != nil && v.Threshold != nil {
		t += fmt.Sprintf(" at %.3f, threshold %.3f", *v.Distance, *v.Threshold)
	}
	if v.Margin != nil {
		t += fmt.Sprintf(", margin %.3f", *v.Margin)
	}
	if v.NearestOther != "" {
		t += ", nearest other " + v.NearestOther
	}
	return t + ")"
}
