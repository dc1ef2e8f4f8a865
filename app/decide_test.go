package app

import (
	"context"
	"errors"
	"testing"

	"facelogin/recognition"
)

// at is a descriptor at x on the first axis: distances are differences of x.
func at(x float32) recognition.Descriptor {
	var d recognition.Descriptor
	d[0] = x
	return d
}

func TestDecideLogin(t *testing.T) {
	dir := newFakeDirectory()
	dir.add("ann", at(0))
	dir.add("bob", at(1))
	for _, tc := range []struct {
		name     string
		claimed  string
		frames   []float32
		user     string
		distance float32
		accepted bool
		refusal  refusal
	}{
		{"identified", "", []float32{0.1, 0.2, 0.15}, "ann", 0.15, true, refusedNone},
		{"one odd frame does not decide", "", []float32{0.1, 0.9, 0.2}, "ann", 0.2, true, refusedNone},
		{"majority of frames picks the candidate", "", []float32{0.6, 0.7, 0.45}, "bob", 0.4, false, refusedTooFar},
		{"too far from everyone", "", []float32{0.42, 0.45, 0.48}, "ann", 0.45, false, refusedTooFar},
		{"verified", "bob", []float32{0.8, 0.9, 0.7}, "bob", 0.2, true, refusedNone},
		{"verified against the claim, not the nearest", "bob", []float32{0.1, 0.1, 0.1}, "bob", 0.9, false, refusedTooFar},
		{"at the threshold is accepted", "", []float32{0.375, 0.375, 0.375}, "ann", 0.375, true, refusedNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := loginInput{Claimed: tc.claimed, Threshold: 0.375}
			for _, x := range tc.frames {
				in.Descriptors = append(in.Descriptors, at(x))
			}
			res, err := decideLogin(context.Background(), dir, in)
			if err != nil {
				t.Fatal(err)
			}
			if res.User != tc.user || !near(res.Distance, tc.distance) || res.Accepted != tc.accepted || res.Refusal != tc.refusal || res.Frames != len(tc.frames) {
				t.Errorf("got %+v, want user %s distance %.3f accepted %v refusal %v", res, tc.user, tc.distance, tc.accepted, tc.refusal)
			}
			want := ""
			if tc.accepted {
				want = tc.user
			} else if tc.claimed != "" {
				want = tc.claimed
			}
			if got := res.auditUser(in); got != want {
				t.Errorf("audited as %q, want %q", got, want)
			}
		})
	}
}

func TestDecideLoginRefusals(t *testing.T) {
	ctx := context.Background()
	in := loginInput{Descriptors: []recognition.Descriptor{at(0)}, Threshold: 0.375}
	res, err := decideLogin(ctx, newFakeDirectory(), in)
	if err != nil || res.Accepted || res.Refusal != refusedNobodyEnrolled || res.User != "" {
		t.Errorf("nobody enrolled: %+v, %v", res, err)
	}
	dir := newFakeDirectory()
	dir.add("ann", at(0))
	in.Claimed = "zed"
	if res, err := decideLogin(ctx, dir, in); !errors.Is(err, ErrUnknownUser) || res.Accepted {
		t.Errorf("unknown claimed user: %+v, %v", res, err)
	}
	if _, err := decideLogin(ctx, dir, loginInput{Threshold: 0.375}); err == nil {
		t.Error("a decision without frames")
	}
}

func near(a, b float32) bool { return a-b < 1e-6 && b-a < 1e-6 }
