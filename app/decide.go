package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"facelogin/recognition"
)

// loginInput is what a login decision is made from. It is a struct so the
// decision can take more evidence (a liveness result, a landmark track)
// without changing its callers.
type loginInput struct {
	// Claimed is the name typed for a 1:1 verification; "" identifies
	// (1:N).
	Claimed string
	// Descriptors are one per frame, of the same single face.
	Descriptors []recognition.Descriptor
	// Threshold is the largest median distance accepted.
	Threshold float32
}

// refusal says why a login was refused.
type refusal int

const (
	refusedNone           refusal = iota // accepted
	refusedNobodyEnrolled                // 1:N with nobody enrolled
	refusedTooFar                        // the candidate's median distance is above the threshold
)

// loginResult is a decision. More reasons to refuse (liveness, a margin
// between the two nearest users) grow it; callers show Refusal.
type loginResult struct {
	// User is who was recognised or checked: the claimed user, or the
	// candidate of a 1:N identification; "" when nobody is enrolled.
	User     string
	Distance float32 // median distance of the frames to User
	Accepted bool
	Refusal  refusal
	Frames   int
	// Liveness is what a liveness check said of the attempt; the zero
	// value is livenessNotChecked.
	Liveness liveness
}

// liveness is the outcome of a liveness check (recognition/liveness) for a
// login attempt.
type liveness int

const (
	// livenessNotChecked: no challenge was run. The window's login and the
	// kiosk do not run one yet, so every attempt is this today.
	livenessNotChecked liveness = iota
	livenessPassed              // a live person answered the challenge
	livenessFailed              // the challenge failed: a photo, a replay, or no answer
)

// auditUser is the name the audit log records: the user let in or the one
// claimed; never the nearest user of a refused identification, which would
// name a stranger's lookalike.
func (r loginResult) auditUser(in loginInput) string {
	if r.Accepted {
		return r.User
	}
	return in.Claimed
}

// decideLogin turns the descriptors of a few frames into a decision; the
// window's login (1:N and 1:1) and the kiosk (1:N) both call it. The
// candidate is the claimed user, or else the user nearest to most frames
// (ties to the nearer one); the decision uses the median distance to the
// candidate over the frames, so one odd frame neither lets someone in nor
// keeps them out. An unknown claimed user is ErrUnknownUser; a database
// failure during 1:1 comparisons is returned as is (nobody is let in).
func decideLogin(ctx context.Context, g gallery, in loginInput) (loginResult, error) {
	res := loginResult{Frames: len(in.Descriptors), User: in.Claimed}
	if len(in.Descriptors) == 0 {
		return res, errors.New("app: login decision without frames")
	}
	var dists []float32
	var err error
	if in.Claimed == "" {
		res.User, dists, err = identifyCandidate(ctx, g, in.Descriptors)
		if res.User == "" && err == nil {
			res.Refusal = refusedNobodyEnrolled
			return res, nil
		}
	} else {
		dists, err = verifyAll(ctx, g, in.Claimed, in.Descriptors)
	}
	if err != nil {
		res.Refusal = refusedTooFar
		return res, err
	}
	slices.Sort(dists)
	res.Distance = dists[len(dists)/2]
	res.Accepted = res.Distance <= in.Threshold
	if !res.Accepted {
		res.Refusal = refusedTooFar
	}
	return res, nil
}

// identifyCandidate votes for the user nearest to most frames and returns
// the distance of every frame to that user ("" when nobody is enrolled).
func identifyCandidate(ctx context.Context, g gallery, ds []recognition.Descriptor) (string, []float32, error) {
	matches := make([]Match, len(ds))
	votes := map[string]int{}
	nearest := map[string]float32{}
	for i := range ds {
		m := g.Identify(&ds[i])
		matches[i] = m
		if m.User == "" {
			continue
		}
		votes[m.User]++
		if d, seen := nearest[m.User]; !seen || m.Distance < d {
			nearest[m.User] = m.Distance
		}
	}
	user := ""
	for name, c := range votes {
		best := votes[user]
		if user == "" || c > best || (c == best && nearest[name] < nearest[user]) {
			user = name
		}
	}
	if user == "" {
		return "", nil, nil
	}
	dists := make([]float32, len(ds))
	for i, m := range matches {
		if m.User == user {
			dists[i] = m.Distance
			continue
		}
		d, err := g.Verify(ctx, user, &ds[i])
		if err != nil {
			return user, nil, err
		}
		dists[i] = d
	}
	return user, dists, nil
}

// verifyAll is the distance of every frame to user.
func verifyAll(ctx context.Context, g gallery, user string, ds []recognition.Descriptor) ([]float32, error) {
	dists := make([]float32, len(ds))
	for i := range ds {
		d, err := g.Verify(ctx, user, &ds[i])
		if err != nil {
			if errors.Is(err, ErrUnknownUser) {
				return nil, err
			}
			return nil, fmt.Errorf("verify %q: %w", user, err)
		}
		dists[i] = d
	}
	return dists, nil
}
