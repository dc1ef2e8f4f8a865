package decision

import (
	"errors"
	"fmt"
	"math"
	"time"

	"facelogin/recognition"
)

// Adaptive templates keep a user recognisable while their face slowly
// changes (a haircut, glasses, a beard, the season's light): after a
// successful login that also passed liveness, the frame's descriptor is
// stored beside the enrolment templates and takes part in later decisions.
//
// The risk is an impostor walking the templates. Once a frame of someone
// else is stored, the next login is compared with it too, and a chain of
// small steps — each accepted, each stored — could pull a user's templates
// towards another face until that face gets in (Rattani, Marcialis and
// Roli, "Biometric template update: an experimental investigation on the
// relationship between update errors and performance degradation in face
// verification", SSPR 2008; Rattani et al., "Template update methods in
// adaptive biometric systems: a critical review", ICB 2009). AdaptPolicy
// bounds it:
//
//   - Only live logins adapt (a printed photo or a screen never does), and
//     never the command line's photo path.
//   - A stricter rule for updating than for accepting ("self-update with an
//     update threshold", Roli, Didaci and Marcialis, "Adaptive biometric
//     systems that can improve with use", Advances in Biometrics, 2008):
//     the login's distance lies between Lower and the user's threshold and
//     its margin to every other user is at least Margin.
//   - Anchoring: an adaptive template lies within Drift of the user's
//     nearest ENROLMENT template — measured from the enrolment templates,
//     never from adaptive ones, so adaptive templates cannot chain. After
//     any number of steps a face is accepted only within Drift + threshold
//     of the enrolment templates, and Drift is lowered for each user to
//     Reach − their threshold, so that sum never passes Reach (a user at
//     Max 0.45 has 0.09 left, under Lower: such a user never adapts).
//   - At most Max adaptive templates per user, the oldest replaced;
//     enrolment templates are never replaced.
//   - At most PerDay additions per user in any 24 hours, each in the audit
//     log: even the bounded walk takes days and leaves a trail.
//
// The user-specific threshold (Gallery.Threshold) is computed from all of
// a user's templates, adaptive ones included, so a walk towards another
// registered user also tightens the walker's threshold.
type AdaptPolicy struct {
	// Max is the number of adaptive templates kept per user.
	Max int
	// Lower: a login whose distance to the user's nearest template is
	// below Lower is already covered and adds nothing.
	Lower float32
	// Margin: the login's margin (distance to the nearest other user
	// minus distance to this one) must be at least Margin.
	Margin float32
	// Drift bounds the distance from an adaptive template to the user's
	// nearest enrolment template.
	Drift float32
	// PerDay is the number of adaptive templates a user may gain in any
	// 24 hours.
	PerDay int
	// Reach bounds how far from the enrolment templates a face may be
	// accepted once adaptive templates are stored: a user's Drift is at
	// most Reach − their threshold at the time of the login (0: no bound).
	Reach float32
}

// DefaultAdaptPolicy: Reach 0.54 is the distance up to which different
// people of Labeled Faces in the Wild are accepted at most 0.1% of the
// time (README, "Accuracy"); Drift 0.15 keeps Drift + Base (0.525) under
// it, and a user whose threshold rose above 0.39 gets less (at Max 0.45,
// 0.09: none, as Drift + Max would reach 0.60); Lower 0.10
// is below the median distance between frames of one person on video
// (~0.24), so drifted logins qualify and near-copies of a template do not;
// Margin 0.15 is the cohort margin m the thresholds keep from other
// identities. TestAdaptiveWalk measures the bound on real descriptors.
var DefaultAdaptPolicy = AdaptPolicy{
	Max:    3,
	Lower:  0.10,
	Margin: 0.15,
	Drift:  0.15,
	PerDay: 1,
	Reach:  0.54,
}

// Validate reports a policy that could never adapt or never stop.
func (p AdaptPolicy) Validate() error {
	switch {
	case p.Max < 1 || p.PerDay < 1:
		return fmt.Errorf("decision: adaptive policy needs Max ≥ 1 and PerDay ≥ 1, got %d and %d", p.Max, p.PerDay)
	case !(p.Lower >= 0 && p.Lower < p.Drift):
		return fmt.Errorf("decision: adaptive policy needs 0 ≤ Lower < Drift, got %.3f and %.3f", p.Lower, p.Drift)
	case p.Margin < 0 || p.Reach < 0:
		return fmt.Errorf("decision: adaptive policy margin %.3f and reach %.3f must not be negative", p.Margin, p.Reach)
	}
	return nil
}

// Why a login did not become an adaptive template. Every one wraps
// ErrNotAdapted: the login itself stands, nothing is stored.
var (
	ErrNotAdapted = errors.New("not adapted")
	// ErrNotLive: the login did not pass liveness (or had no liveness
	// check, like a photo).
	ErrNotLive = fmt.Errorf("%w: not a live login", ErrNotAdapted)
	// ErrNotAccepted: the decision refused the login.
	ErrNotAccepted = fmt.Errorf("%w: login not accepted", ErrNotAdapted)
	// ErrCovered: the login is nearer than Lower to a template of the
	// user.
	ErrCovered = fmt.Errorf("%w: face already covered by the templates", ErrNotAdapted)
	// ErrMargin: another user is nearer than Margin allows.
	ErrMargin = fmt.Errorf("%w: margin to other users too small", ErrNotAdapted)
	// ErrDrift: the frame is farther than Drift from every enrolment
	// template.
	ErrDrift = fmt.Errorf("%w: too far from the enrolment templates", ErrNotAdapted)
	// ErrRateLimit: the user gained PerDay adaptive templates in the last
	// 24 hours.
	ErrRateLimit = fmt.Errorf("%w: daily limit reached", ErrNotAdapted)
)

// AdaptFrame checks the rules an accepted login must meet to become an
// adaptive template and picks the frame to keep: the frame whose distance
// to the user is the decision's (the median), so one odd frame is never
// stored. live says whether the login passed liveness. The rules that need
// the user's stored templates and their dates are Admit's, checked where
// the template is written. Errors wrap ErrNotAdapted.
func (g *Gallery) AdaptFrame(dec Decision, frames []recognition.Descriptor, live bool, p AdaptPolicy) (int, error) {
	switch {
	case !dec.OK() || dec.User == "" || len(frames) == 0:
		return -1, ErrNotAccepted
	case !live:
		return -1, ErrNotLive
	case dec.Distance < p.Lower:
		return -1, fmt.Errorf("%w (distance %.3f < %.3f)", ErrCovered, dec.Distance, p.Lower)
	case dec.Margin < p.Margin:
		return -1, fmt.Errorf("%w (margin %.3f < %.3f)", ErrMargin, dec.Margin, p.Margin)
	case p.Reach > 0 && p.Reach-dec.Threshold.Value <= p.Lower:
		return -1, fmt.Errorf("%w (threshold %.3f leaves %.3f of reach %.3f, not above Lower %.3f)", ErrDrift,
			dec.Threshold.Value, p.Reach-dec.Threshold.Value, p.Reach, p.Lower)
	}
	best, bestGap := -1, float32(math.Inf(1))
	for i := range frames {
		d, ok := g.users.UserDistance(dec.User, &frames[i])
		if !ok {
			return -1, ErrNotAccepted
		}
		if gap := float32(math.Abs(float64(d - dec.Distance))); gap < bestGap {
			best, bestGap = i, gap
		}
	}
	return best, nil
}

// StoredTemplate is one of a user's stored templates, as Admit sees it.
type StoredTemplate struct {
	Descriptor recognition.Descriptor
	Adaptive   bool      // false: an enrolment template
	Created    time.Time // when it was stored
}

// Admission is what Admit found for a new adaptive template.
type Admission struct {
	// Replace is the index of the adaptive template the new one replaces
	// (the oldest, once the user holds Max), or -1.
	Replace int
	// FromEnrolment is the distance from the new template to the user's
	// nearest enrolment template (at most Drift).
	FromEnrolment float32
	// Adaptive is the number of adaptive templates the user holds before
	// the new one is stored.
	Adaptive int
}

// Admit checks the rules that depend on what is stored — the drift from
// the enrolment templates, the novelty against every template, the daily
// limit — for a new adaptive template d of a user whose stored templates
// (of d's model) are ts, at time now. The caller reads ts and writes d in
// one transaction, so stations sharing a database cannot both pass the
// daily limit. Errors wrap ErrNotAdapted.
func (p AdaptPolicy) Admit(d *recognition.Descriptor, ts []StoredTemplate, now time.Time) (Admission, error) {
	a := Admission{Replace: -1, FromEnrolment: float32(math.Inf(1))}
	today := 0
	for i := range ts {
		t := &ts[i]
		if !t.Adaptive {
			a.FromEnrolment = min(a.FromEnrolment, recognition.Distance(d, &t.Descriptor))
			continue
		}
		a.Adaptive++
		if now.Sub(t.Created) < 24*time.Hour {
			today++
		}
		if a.Replace < 0 || t.Created.Before(ts[a.Replace].Created) {
			a.Replace = i
		}
	}
	switch {
	case today >= p.PerDay:
		return a, fmt.Errorf("%w (%d in the last 24 h)", ErrRateLimit, today)
	case math.IsInf(float64(a.FromEnrolment), 1):
		return a, fmt.Errorf("%w (the user has no enrolment template)", ErrDrift)
	case a.FromEnrolment > p.Drift:
		return a, fmt.Errorf("%w (%.3f > %.3f)", ErrDrift, a.FromEnrolment, p.Drift)
	}
	if a.Adaptive < p.Max {
		a.Replace = -1
	}
	for i := range ts {
		if i == a.Replace {
			continue
		}
		if dist := recognition.Distance(d, &ts[i].Descriptor); dist < p.Lower {
			return a, fmt.Errorf("%w (%.3f from a stored template)", ErrCovered, dist)
		}
	}
	return a, nil
}

// ForThreshold is p for a user whose threshold is t: Drift lowered to
// Reach − t when Reach is set, so an adaptive template never lets a face
// in farther than Reach from the enrolment templates. AdaptFrame refuses
// a login before when no room is left (Reach − t ≤ Lower).
func (p AdaptPolicy) ForThreshold(t float32) AdaptPolicy {
	if p.Reach > 0 {
		p.Drift = max(min(p.Drift, p.Reach-t), p.Lower+1e-6)
	}
	return p
}
