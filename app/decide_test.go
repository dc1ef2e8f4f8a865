package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"facelogin/internal/testkit"
	"facelogin/recognition"
	"facelogin/recognition/decision"
)

// at is a descriptor at x on the first axis: distances are differences of x.
func at(x float32) recognition.Descriptor {
	var d recognition.Descriptor
	d[0] = x
	return d
}

func frames(xs ...float32) []recognition.Descriptor {
	var ds []recognition.Descriptor
	for _, x := range xs {
		ds = append(ds, at(x))
	}
	return ds
}

// TestDecideLogin: the login decision is the decision rules' (per-user
// thresholds, the margin, the median over frames) through the directory;
// a refused identification names nobody in the audit log.
func TestDecideLogin(t *testing.T) {
	dir := newFakeDirectory()
	// ann and bob are 1 apart: with a cohort this small each threshold is
	// min(nearest − m, Base) = Base. cy is 0.6 from ann: a face halfway is
	// within both thresholds and within δ of both.
	dir.add("ann", at(0))
	dir.add("bob", at(1))
	dir.add("cy", at(-0.6))
	for _, tc := range []struct {
		name     string
		claimed  string
		frames   []float32
		reason   decision.Reason
		user     string // the user let in or claimed
		distance float32
	}{
		{"identified", "", []float32{0.1, 0.2, 0.15}, decision.Accepted, "ann", 0.15},
		{"one odd frame does not decide", "", []float32{0.1, 0.9, 0.2}, decision.Accepted, "ann", 0.2},
		{"majority of frames picks the candidate", "", []float32{0.6, 0.7, 0.45}, decision.TooFar, "", 0.4},
		{"too far from everyone", "", []float32{0.42, 0.45, 0.48}, decision.TooFar, "", 0.45},
		{"between two lookalikes", "", []float32{-0.29, -0.3, -0.31}, decision.Ambiguous, "", 0.3},
		{"typing the name resolves the lookalikes", "ann", []float32{-0.29, -0.3, -0.31}, decision.Accepted, "ann", 0.3},
		{"verified", "bob", []float32{0.8, 0.9, 0.7}, decision.Accepted, "bob", 0.2},
		{"verified against the claim, not the nearest", "bob", []float32{0.1, 0.1, 0.1}, decision.TooFar, "bob", 0.9},
		{"at the threshold is accepted", "", []float32{0.375, 0.375, 0.375}, decision.Accepted, "ann", 0.375},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := loginInput{Claimed: tc.claimed, Descriptors: frames(tc.frames...), Base: DefaultThreshold}
			res, err := decideLogin(dir, in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Reason != tc.reason || !near(res.Distance, tc.distance) || res.Frames != len(tc.frames) ||
				res.Accepted() != (tc.reason == decision.Accepted) {
				t.Errorf("got %v at %.3f from %d frames, want %v at %.3f", res.Reason, res.Distance, res.Frames, tc.reason, tc.distance)
			}
			if got := res.auditUser(in); got != tc.user {
				t.Errorf("audited as %q, want %q", got, tc.user)
			}
		})
	}
}

func TestDecideLoginRefusals(t *testing.T) {
	in := loginInput{Descriptors: frames(0), Base: DefaultThreshold}
	res, err := decideLogin(newFakeDirectory(), in)
	if err != nil || res.Accepted() || res.Reason != decision.NobodyEnrolled || res.auditUser(in) != "" {
		t.Errorf("nobody enrolled: %+v, %v", res, err)
	}
	dir := newFakeDirectory()
	dir.add("ann", at(0))
	in.Claimed = "zed"
	if res, err := decideLogin(dir, in); !errors.Is(err, ErrUnknownUser) || res.Accepted() {
		t.Errorf("unknown claimed user: %+v, %v", res, err)
	}
	if _, err := decideLogin(dir, loginInput{Base: DefaultThreshold}); err == nil {
		t.Error("a decision without frames")
	}
}

// TestDecideLoginFollowsBase: the settings' threshold is the policy's
// Base: raised, it lets a farther face in; a lookalike enrolled nearby
// still tightens that user's own threshold below it.
func TestDecideLoginFollowsBase(t *testing.T) {
	dir := newFakeDirectory()
	dir.add("ann", at(0))
	dir.add("bob", at(2))
	in := loginInput{Descriptors: frames(0.5, 0.5, 0.5), Base: DefaultThreshold}
	if res, _ := decideLogin(dir, in); res.Accepted() {
		t.Fatalf("0.5 away at base %.3f: accepted", in.Base)
	}
	in.Base = 0.6
	res, _ := decideLogin(dir, in)
	if !res.Accepted() || res.Threshold.Value != 0.6 {
		t.Fatalf("0.5 away at base 0.6: %v, threshold %.3f", res.Reason, res.Threshold.Value)
	}
	dir.add("cy", at(-0.6)) // 0.6 from ann: her threshold is at most 0.6 − m
	res, _ = decideLogin(dir, loginInput{Descriptors: frames(0.5, 0.5, 0.5), Base: 0.6})
	if res.Accepted() || res.Threshold.Value > 0.6-decision.DefaultPolicy.CohortMargin+1e-6 {
		t.Fatalf("a lookalike 0.7 from ann: %v, threshold %.3f", res.Reason, res.Threshold.Value)
	}
}

// concluded runs concludeLogin on a decision of in and returns the log.
func concluded(t *testing.T, dir *fakeDirectory, in loginInput) (loginResult, string) {
	t.Helper()
	res, err := decideLogin(dir, in)
	if err != nil {
		t.Fatal(err)
	}
	var buf testkit.LockedBuffer
	concludeLogin(context.Background(), dir, in, res, slog.New(slog.NewTextHandler(&buf, nil)), "login", nil)
	return res, buf.String()
}

// TestConcludeLoginAdapts: an accepted login that is live, with adapting
// on, stores the median frame as an adaptive template; a login that is not
// live, or with the setting off, or refused, never does; the daily limit,
// the drift bound and the cap of Max (oldest replaced) hold.
func TestConcludeLoginAdapts(t *testing.T) {
	dir := newFakeDirectory()
	dir.add("ann", at(0))
	dir.add("bob", at(1))
	dir.now = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	drifted := frames(0.11, 0.12, 0.13) // median 0.12: in [Lower, threshold], 0.12 from the enrolment template
	for _, tc := range []struct {
		name string
		in   loginInput
	}{
		{"not live", loginInput{Descriptors: drifted, Base: DefaultThreshold, Adapt: true}},
		{"setting off", loginInput{Descriptors: drifted, Base: DefaultThreshold, Liveness: livenessPassed}},
		{"refused", loginInput{Descriptors: frames(0.5, 0.5, 0.5), Base: DefaultThreshold, Liveness: livenessPassed, Adapt: true}},
		{"covered already", loginInput{Descriptors: frames(0.02, 0.03, 0.04), Base: DefaultThreshold, Liveness: livenessPassed, Adapt: true}},
		{"too far from the enrolment template", loginInput{Descriptors: frames(0.2, 0.21, 0.22), Base: DefaultThreshold, Liveness: livenessPassed, Adapt: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			concluded(t, dir, tc.in)
			if len(dir.adapted) != 0 || len(dir.user("ann").templates) != 1 {
				t.Fatalf("adapted %v, ann holds %d templates", dir.adapted, len(dir.user("ann").templates))
			}
		})
	}
	live := loginInput{Descriptors: drifted, Base: DefaultThreshold, Liveness: livenessPassed, Adapt: true}
	_, log := concluded(t, dir, live)
	if len(dir.adapted) != 1 || len(dir.user("ann").templates) != 2 || dir.user("ann").templates[1] != at(0.12) {
		t.Fatalf("live login 0.12 away: adapted %v, templates %v", dir.adapted, len(dir.user("ann").templates))
	}
	if !strings.Contains(log, "adaptive template stored") {
		t.Errorf("log:\n%s", log)
	}
	// The same day: the daily limit. The next days: up to Max, then the
	// oldest adaptive one goes; the enrolment template stays.
	concluded(t, dir, loginInput{Descriptors: frames(-0.12, -0.12, -0.12), Base: DefaultThreshold, Liveness: livenessPassed, Adapt: true})
	if len(dir.adapted) != 1 {
		t.Fatalf("a second adaptive template on the same day: %v", dir.adapted)
	}
	// Each 0.12 from the enrolment template and ≥ Lower from one another.
	next := []recognition.Descriptor{at(-0.12), on(1, 0.12), on(2, 0.12)}
	for i, d := range next {
		dir.now = dir.now.Add(25 * time.Hour)
		concluded(t, dir, loginInput{Descriptors: []recognition.Descriptor{d, d, d}, Base: DefaultThreshold, Liveness: livenessPassed, Adapt: true})
		if len(dir.adapted) != i+2 {
			t.Fatalf("day %d: adapted %v", i+2, dir.adapted)
		}
	}
	ann := dir.user("ann").templates
	want := append([]recognition.Descriptor{at(0)}, next...)
	if len(ann) != 1+decision.DefaultAdaptPolicy.Max || !equalDescriptors(ann, want) {
		t.Fatalf("after 4 adaptive templates ann holds %d templates, want the enrolment template and the newest %d", len(ann), decision.DefaultAdaptPolicy.Max)
	}
}

// on is a descriptor at x on axis i.
func on(i int, x float32) recognition.Descriptor {
	var d recognition.Descriptor
	d[i] = x
	return d
}

func equalDescriptors(a, b []recognition.Descriptor) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestConcludeLoginNamesNobody: for a refused identification — a stranger,
// a lookalike of two users, a disabled user's face — the log at the
// default level and the audit log name nobody; only a Debug line names the
// candidate.
func TestConcludeLoginNamesNobody(t *testing.T) {
	dir := newFakeDirectory()
	dir.add("annabel", at(0))
	dir.add("bertrand", at(1))
	dir.add("cyprian", at(-0.6))
	for _, tc := range []struct {
		name   string
		frames []float32
		reason string
	}{
		{"stranger", []float32{0.45, 0.45, 0.45}, "too far"},
		{"lookalike of two", []float32{-0.3, -0.3, -0.3}, "ambiguous"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(dir.loginLog())
			res, log := concluded(t, dir, loginInput{Descriptors: frames(tc.frames...), Base: DefaultThreshold})
			if res.Accepted() || res.Candidate == "" {
				t.Fatalf("%+v", res)
			}
			for _, name := range []string{"annabel", "bertrand", "cyprian"} {
				if strings.Contains(log, name) {
					t.Errorf("the log names %s:\n%s", name, log)
				}
			}
			if !strings.Contains(log, "reason=\""+tc.reason+"\"") && !strings.Contains(log, "reason="+tc.reason) {
				t.Errorf("the log lacks the reason %q:\n%s", tc.reason, log)
			}
			if l := dir.loginLog()[before:]; len(l) != 1 || l[0].user != "" || l[0].success {
				t.Errorf("audit log %+v, want one anonymous failure", l)
			}
		})
	}
	// At Debug level an administrator sees the candidate.
	in := loginInput{Descriptors: frames(0.45), Base: DefaultThreshold}
	res, err := decideLogin(dir, in)
	if err != nil {
		t.Fatal(err)
	}
	var buf testkit.LockedBuffer
	concludeLogin(context.Background(), dir, in, res,
		slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), "login", nil)
	if !strings.Contains(buf.String(), "candidate=annabel") {
		t.Errorf("debug log lacks the candidate:\n%s", buf.String())
	}
}

func TestRefusalAdvice(t *testing.T) {
	for _, tc := range []struct {
		res     loginResult
		claimed string
		kiosk   bool
		want    string
	}{
		{loginResult{Decision: decision.Decision{Reason: decision.Ambiguous}}, "", false, "You look like more than one registered person — type your name to log in."},
		{loginResult{Decision: decision.Decision{Reason: decision.Ambiguous}}, "", true, "You look like more than one registered person — please ask a member of staff"},
		{loginResult{Decision: decision.Decision{Reason: decision.TooFar}}, "", false, "Register first, or move into better light and try again."},
		{loginResult{Decision: decision.Decision{Reason: decision.TooFar}}, "", true, "Please ask a member of staff"},
		{loginResult{Decision: decision.Decision{Reason: decision.TooFar}}, "zoe", false, "This face does not match “zoe”."},
		{loginResult{Decision: decision.Decision{Reason: decision.OtherUser}}, "zoe", false, "This face matches another registered person better than the name typed."},
		{loginResult{Decision: decision.Decision{Reason: decision.NobodyEnrolled}}, "", false, "Nobody is registered yet."},
		// A disabled user's face gets a stranger's words.
		{loginResult{Decision: decision.Decision{Reason: decision.Accepted, User: "zoe"}, Disabled: true}, "", true, "Please ask a member of staff"},
		{loginResult{Decision: decision.Decision{Reason: decision.Accepted, User: "zoe"}, Disabled: true}, "", false, "Register first, or move into better light and try again."},
	} {
		if got := refusalAdvice(tc.res, tc.claimed, tc.kiosk); got != tc.want {
			t.Errorf("%v (claimed %q, kiosk %v): %q, want %q", tc.res.Reason, tc.claimed, tc.kiosk, got, tc.want)
		}
	}
}

func near(a, b float32) bool { return a-b < 1e-6 && b-a < 1e-6 }
