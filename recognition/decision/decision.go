// Package decision turns the descriptors of a login's few frames into a
// decision: who is this (1:N identification), or is this the claimed user
// (1:1 verification). It is pure Go and shared by the window's login, the
// kiosk and the command line's identify and verify.
//
// Two rules sit on top of the nearest-template search of recognition.Matcher:
//
//   - User-specific thresholds (see Gallery.Threshold): a user whose
//     templates lie close to other people — other enrolled users and an
//     optional background set of descriptors of strangers — gets a stricter
//     acceptance distance, a user far from everybody a looser one, within
//     [Policy.Min, Policy.Max]. This is cohort-based, user-specific score
//     normalisation: Rosenberg et al., "The use of cohort normalized scores
//     for speaker verification", ICSLP 1992; Auckenthaler, Carey and
//     Lloyd-Thomas, "Score normalization for text-independent speaker
//     verification systems", Digital Signal Processing 10 (2000) (Z-norm:
//     each enrolled model is normalised by the impostor scores of a cohort);
//     Jain and Ross, "Learning user-specific parameters in a multibiometric
//     system", ICIP 2002 (user-specific thresholds). Doddington et al.,
//     "Sheep, goats, lambs and wolves", ICSLP 1998, showed why one global
//     threshold fails: some users ("lambs") are far easier to imitate.
//   - The margin rule (1:N): when the best user is within their threshold
//     but another registered user is within Policy.Delta of the same
//     distance, nobody is named. It is the ratio test of Lowe,
//     "Distinctive image features from scale-invariant keypoints", IJCV 2004,
//     in distance form, used as open-set identification does with the gap
//     between the first and second candidates (Grother and Phillips, "Models
//     of large population recognition performance", CVPR 2004).
//
// The constants of DefaultPolicy and the tables that justify them come from
// TestDecisionRules in recognition/dlib (see README, "Accuracy").
package decision

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"facelogin/recognition"
)

// Policy holds the constants of the rules. Distances are Euclidean, in
// dlib descriptor units.
type Policy struct {
	// Base is the threshold of a user whose cohort is too small to show
	// that their neighbourhood is empty (fewer than MinCohort identities):
	// such a threshold may be tightened below Base, never raised above it.
	Base float32
	// Min and Max bound every user-specific threshold.
	Min, Max float32
	// CohortMargin (m): a user's threshold is the distance from their
	// templates to the nearest other identity of the cohort, less m.
	CohortMargin float32
	// MinCohort is the number of cohort identities (other enrolled users
	// plus background identities) needed before a threshold may rise above
	// Base. If impostors come from the same population as the cohort, the
	// chance that a new one is nearer to a user than the nearest of N
	// cohort identities is 1/(N+1) (order statistics of exchangeable draws):
	// with 100 identities under 1%, before the margin m.
	MinCohort int
	// Delta (δ) is the lookalike margin: 1:N identification names nobody
	// when another user is within Delta of the best user's distance, and
	// 1:1 verification refuses when another user is nearer than the claimed
	// one by more than Delta.
	Delta float32
}

// DefaultPolicy is tuned on the labelled photos (../shared/testdata/faces
// and half of the LFW people) and checked on the other LFW half and on
// video; TestDecisionRules prints the tables and fails when the figures
// the README states no longer hold.
var DefaultPolicy = Policy{
	Base:         recognition.DefaultThreshold,
	Min:          0.35,
	Max:          0.45,
	CohortMargin: 0.15,
	MinCohort:    100,
	Delta:        0.08,
}

// Validate reports a policy whose bounds contradict each other.
func (p Policy) Validate() error {
	switch {
	case !(p.Min > 0 && p.Min <= p.Base && p.Base <= p.Max):
		return fmt.Errorf("decision: policy bounds must satisfy 0 < Min ≤ Base ≤ Max, got %.3f, %.3f, %.3f", p.Min, p.Base, p.Max)
	case p.CohortMargin < 0 || p.Delta < 0 || p.MinCohort < 0:
		return fmt.Errorf("decision: policy margins must not be negative (m %.3f, δ %.3f, cohort %d)", p.CohortMargin, p.Delta, p.MinCohort)
	}
	return nil
}

// WithBase returns p with Base set to base, and Min lowered or Max raised
// as far as needed to keep Min ≤ Base ≤ Max. It is what the settings'
// threshold slider and the command line's --threshold set: the acceptance
// distance of a user in a small installation, which a lookalike enrolled
// nearby still tightens; a Base above Max also lets cohort-raised
// thresholds go that high.
func (p Policy) WithBase(base float32) Policy {
	p.Base = base
	p.Min = min(p.Min, base)
	p.Max = max(p.Max, base)
	return p
}

// SamePerson is the same-person bound under a Base threshold base: the
// largest acceptance distance any user can get, Max of p.WithBase(base)
// (0.45 for DefaultPolicy at the default Base 0.375). `enrol` uses it
// twice: an enrolment's photos must lie within it of each other (the
// one-person rule), and a face beyond the duplicate check's threshold but
// within it of another user gets a note naming that user (it may be
// another photo of them: bona2.jpg is 0.421 from bona.jpg). It does not
// refuse such a face: on idols.json 22.9 % of different-person pairs lie
// within 0.45 (2.1 % within 0.375), and a new user's first photo lies
// within it of some other person's templates in 62.7 % of cases
// (TestSamePersonBound; README, "Names and duplicate faces").
func (p Policy) SamePerson(base float32) float32 { return p.WithBase(base).Max }

// Background is a fixed set of descriptors of people who are not users:
// the part of the cohort that does not depend on who is enrolled. Safe for
// concurrent use; build it once and share it between galleries.
type Background struct {
	m          *recognition.Matcher
	identities int
}

// NewBackground indexes ts; Template.User labels the identity each
// descriptor belongs to (several descriptors may share one).
func NewBackground(ts []recognition.Template) *Background {
	m := recognition.NewMatcher()
	m.Replace(ts)
	return &Background{m: m, identities: m.Users()}
}

// Identities is the number of distinct people in the background.
func (b *Background) Identities() int {
	if b == nil {
		return 0
	}
	return b.identities
}

// Gallery is the enrolled users' templates with the rules applied to them.
// It is immutable: when users change, build a new one (thresholds depend on
// every user). Safe for concurrent use.
type Gallery struct {
	policy     Policy
	users      *recognition.Matcher
	nUsers     int
	background *Background

	mu         sync.Mutex
	thresholds map[string]Threshold // computed on first use
}

// NewGallery indexes the templates of every enrolled user (disabled users
// included: their faces must be recognised, then refused by the caller,
// never taken for the next nearest user). background may be nil.
func NewGallery(ts []recognition.Template, background *Background, p Policy) (*Gallery, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	m := recognition.NewMatcher()
	m.Replace(ts)
	return &Gallery{policy: p, users: m, nUsers: m.Users(), background: background, thresholds: map[string]Threshold{}}, nil
}

// Policy is the gallery's policy.
func (g *Gallery) Policy() Policy { return g.policy }

// Users is the number of enrolled users.
func (g *Gallery) Users() int { return g.nUsers }

// Templates is the number of enrolled templates.
func (g *Gallery) Templates() int { return g.users.Len() }

// Match is the plain nearest-user search of one descriptor.
func (g *Gallery) Match(d *recognition.Descriptor) recognition.Match { return g.users.Match(d) }

// Threshold is a user's acceptance distance and where it came from.
type Threshold struct {
	// Value is the largest distance accepted as this user.
	Value float32
	// Nearest is the distance from the user's templates to the nearest
	// other identity of the cohort (+Inf with an empty cohort).
	Nearest float32
	// Cohort is the number of identities the cohort held: the other
	// enrolled users plus the background's identities.
	Cohort int
}

// Threshold returns user's acceptance distance:
//
//	t = clamp(nearest − m, Min, Max)   with a cohort of ≥ MinCohort identities
//	t = clamp(min(nearest − m, Base), Min, Max)   with a smaller one
//
// where nearest is the distance from any of the user's templates to any
// descriptor of another enrolled user or of the background. ok is false
// for a user with no templates. The first call per user scans the gallery
// once per template of theirs (BenchmarkThreshold: ~35 ms for 5 templates
// among 100,000); later calls are a map look-up.
func (g *Gallery) Threshold(user string) (Threshold, bool) {
	g.mu.Lock()
	th, ok := g.thresholds[user]
	g.mu.Unlock()
	if ok {
		return th, true
	}
	own := g.users.UserTemplates(user)
	if len(own) == 0 {
		return Threshold{}, false
	}
	nearest := float32(math.Inf(1))
	for i := range own {
		m := g.users.Match(&own[i])
		other := m.Distance
		if m.User == user {
			other = m.SecondDistance
		}
		nearest = min(nearest, other)
		if g.background != nil && g.background.identities > 0 {
			nearest = min(nearest, g.background.m.Match(&own[i]).Distance)
		}
	}
	th = Threshold{Nearest: nearest, Cohort: g.nUsers - 1 + g.background.Identities()}
	p := g.policy
	th.Value = nearest - p.CohortMargin
	if th.Cohort < p.MinCohort {
		th.Value = min(th.Value, p.Base)
	}
	th.Value = min(max(th.Value, p.Min), p.Max)
	g.mu.Lock()
	g.thresholds[user] = th
	g.mu.Unlock()
	return th, true
}

// Reason says why a decision was taken.
type Reason int

const (
	// Accepted: Decision.User is the person in front of the camera.
	Accepted Reason = iota
	// NoFrames: no descriptor was given.
	NoFrames
	// NobodyEnrolled: the gallery is empty.
	NobodyEnrolled
	// UnknownUser: verification of a name that holds no template.
	UnknownUser
	// TooFar: the nearest (or claimed) user is beyond their threshold.
	TooFar
	// Ambiguous: identification found the best user within threshold but
	// another user within δ of the same distance; nobody is named.
	Ambiguous
	// OtherUser: verification found another registered user nearer than
	// the claimed one by more than δ.
	OtherUser
)

var reasonNames = [...]string{"accepted", "no frames", "nobody enrolled", "unknown user", "too far", "ambiguous", "other user"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Message is the sentence a person sees for a refusal (English; it names
// nobody). Empty for Accepted.
func (r Reason) Message() string {
	switch r {
	case Accepted:
		return ""
	case NoFrames:
		return "No face was seen. Look at the camera and try again."
	case NobodyEnrolled:
		return "Nobody is registered yet."
	case UnknownUser:
		return "No registered person has that name."
	case Ambiguous:
		return "You look like more than one registered person — type your name to log in."
	case OtherUser:
		return "This face matches another registered person better than the name typed."
	default:
		return "Not recognised. Move into better light and try again, or register first."
	}
}

// Decision is the outcome of one login attempt.
type Decision struct {
	Reason Reason
	// User is the accepted user, or the claimed user of a verification.
	// A refused identification names nobody here.
	User string
	// Candidate is the user the frames were compared with: the user
	// nearest to most frames, or the claimed user. For logs and the
	// distance gauge; a refused identification must not show it to people.
	Candidate string
	// Distance is the median over the frames of the distance to
	// Candidate's nearest template; Threshold is Candidate's threshold.
	Distance  float32
	Threshold Threshold
	// Margin is the median over the frames of (distance to the nearest
	// other user) − (distance to Candidate): +Inf with one user enrolled.
	Margin float32
	// Frames is the number of descriptors decided from.
	Frames int
}

// OK reports whether the decision accepts the user.
func (d Decision) OK() bool { return d.Reason == Accepted }

// SameFaceWithin reports whether d, the 1:1 decision of one descriptor
// taken before a liveness challenge against the user a login then decided
// on (Verify of that user), lets the login stand: the descriptor lies
// within bound, or within the user's own threshold if that is larger (an
// administrator's raised Base), of the user's nearest template, and no
// other registered user is nearer by more than delta (Policy.Delta; the
// margin rule of OtherUser, checked here also when the descriptor is
// beyond the user's threshold, where Verify reports TooFar first). A
// descriptor merely beyond the user's threshold on this one frame is
// allowed up to bound: one frame at the end of settling is farther from
// the templates than the frames a login decides on. Any other refusal
// (unknown user, no frames) does not let it stand. liveness.BeforeUserDistance
// is the bound and its measurement (TestBeforeCheckOnClips).
func (d Decision) SameFaceWithin(bound, delta float32) bool {
	return (d.Reason == Accepted || d.Reason == TooFar || d.Reason == OtherUser) &&
		d.Distance <= max(bound, d.Threshold.Value) && d.Margin >= -delta
}

// Identify decides who the person of frames is (1:N). The candidate is
// the user nearest to most frames (ties: the nearer one); the distance and
// the margin are medians over the frames, so one odd frame neither lets
// someone in nor keeps them out.
func (g *Gallery) Identify(frames []recognition.Descriptor) Decision {
	dec := Decision{Frames: len(frames), Margin: float32(math.Inf(1))}
	if len(frames) == 0 {
		dec.Reason = NoFrames
		return dec
	}
	if g.nUsers == 0 {
		dec.Reason = NobodyEnrolled
		return dec
	}
	matches := make([]recognition.Match, len(frames))
	votes := map[string]int{}
	nearest := map[string]float32{}
	for i := range frames {
		m := g.users.Match(&frames[i])
		matches[i] = m
		votes[m.User]++
		if d, seen := nearest[m.User]; !seen || m.Distance < d {
			nearest[m.User] = m.Distance
		}
	}
	for name, c := range votes {
		best := votes[dec.Candidate]
		if dec.Candidate == "" || c > best || (c == best && nearest[name] < nearest[dec.Candidate]) {
			dec.Candidate = name
		}
	}
	g.measure(&dec, frames, matches)
	switch {
	case dec.Distance > dec.Threshold.Value:
		dec.Reason = TooFar
	case dec.Margin < g.policy.Delta:
		dec.Reason = Ambiguous
	default:
		dec.Reason, dec.User = Accepted, dec.Candidate
	}
	return dec
}

// Verify decides whether the person of frames is user (1:1). It accepts
// when the median distance is within user's threshold, unless another
// registered user is nearer by more than δ: a lookalike who types the name
// of the person they resemble is refused, while a person the margin rule
// refused by name-less identification gets in by typing their own.
func (g *Gallery) Verify(user string, frames []recognition.Descriptor) Decision {
	dec := Decision{User: user, Candidate: user, Frames: len(frames), Margin: float32(math.Inf(1))}
	if len(frames) == 0 {
		dec.Reason = NoFrames
		return dec
	}
	if len(g.users.UserTemplates(user)) == 0 {
		dec.Reason = UnknownUser
		return dec
	}
	matches := make([]recognition.Match, len(frames))
	for i := range frames {
		matches[i] = g.users.Match(&frames[i])
	}
	g.measure(&dec, frames, matches)
	switch {
	case dec.Distance > dec.Threshold.Value:
		dec.Reason = TooFar
	case dec.Margin < -g.policy.Delta:
		dec.Reason = OtherUser
	default:
		dec.Reason = Accepted
	}
	return dec
}

// measure fills the candidate's median distance, threshold and margin.
func (g *Gallery) measure(dec *Decision, frames []recognition.Descriptor, matches []recognition.Match) {
	dists := make([]float32, len(frames))
	margins := make([]float32, len(frames))
	for i, m := range matches {
		var d, other float32
		switch m.User {
		case dec.Candidate:
			d, other = m.Distance, m.SecondDistance
		default:
			d, _ = g.users.UserDistance(dec.Candidate, &frames[i])
			other = m.Distance
		}
		dists[i], margins[i] = d, other-d
	}
	dec.Distance, dec.Margin = median(dists), median(margins)
	dec.Threshold, _ = g.Threshold(dec.Candidate)
}

// median is the middle value (the upper one of an even count).
func median(xs []float32) float32 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}
