package directory_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"facelogin/internal/directory"
	"facelogin/internal/testdata"
	"facelogin/internal/testkit"
	"facelogin/internal/testkit/dirtest"
	"facelogin/recognition"
	"facelogin/recognition/decision"
	"facelogin/store"
)

func openStore(t *testing.T, path string, key []byte) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DSN: "sqlite:" + path, Key: key, Station: "test", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestDirectory: what is enrolled is identified at once; a disabled user is
// still matched (so callers can refuse them) and flagged; deletion and
// renaming reach the matcher; verification is 1:1.
func TestDirectory(t *testing.T) {
	idols := testdata.Idols(t)
	ctx := context.Background()
	_, d := dirtest.Open(t, store.Config{})
	a, b := idols[0].Descriptor, idols[1].Descriptor
	if _, err := d.Enroll(ctx, "alice", []recognition.Descriptor{a}, []float32{0.9}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Enroll(ctx, "bob", []recognition.Descriptor{b}, nil); err != nil {
		t.Fatal(err)
	}
	if m := d.Identify(&a); m.User != "alice" || m.Distance != 0 || m.SecondUser != "bob" {
		t.Fatalf("identify alice: %+v", m)
	}
	if err := d.SetDisabled(ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	if m := d.Identify(&a); m.User != "alice" || !d.Disabled("alice") {
		t.Fatalf("disabled alice must still match and be flagged: %+v %v", m, d.Disabled("alice"))
	}
	if _, err := d.Decide("alice", []recognition.Descriptor{a}); !errors.Is(err, directory.ErrDisabled) {
		t.Fatalf("verify disabled: %v", err)
	}
	if dec, err := d.Decide("bob", []recognition.Descriptor{a}); err != nil || dec.OK() || dec.Distance != recognition.Distance(&a, &b) {
		t.Fatalf("verify bob with alice's face: %+v %v", dec, err)
	}
	if _, err := d.Rename(ctx, "bob", "robert"); err != nil {
		t.Fatal(err)
	}
	if m := d.Identify(&b); m.User != "robert" {
		t.Fatalf("after rename: %+v", m)
	}
	if err := d.Delete(ctx, "robert"); err != nil {
		t.Fatal(err)
	}
	if m := d.Identify(&b); m.User == "robert" || d.Templates() != 1 {
		t.Fatalf("after delete: %+v, %d templates", m, d.Templates())
	}
	if _, err := d.Decide("robert", []recognition.Descriptor{b}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("verify deleted user: %v", err)
	}
}

// TestTwoStations: two stations share one database; a user enrolled at one
// is identified at the other within the refresh interval.
func TestTwoStations(t *testing.T) {
	idols := testdata.Idols(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "shared.sqlite")
	key := make([]byte, 32)
	one, err := directory.Open(ctx, openStore(t, path, key), recognition.ModelID, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	two, err := directory.Open(ctx, openStore(t, path, key), recognition.ModelID, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	desc := idols[3].Descriptor
	if _, err := one.Enroll(ctx, "carol", []recognition.Descriptor{desc}, nil); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "station two to see carol", time.Minute, func() bool { return two.Identify(&desc).User == "carol" })
}

// TestDecide: the login decision through the directory — thresholds are
// recomputed when users change (a lookalike enrolling tightens the user it
// resembles), disabled and unknown users are errors, and the policy and
// background can be replaced.
func TestDecide(t *testing.T) {
	idols := testdata.Idols(t)
	ctx := context.Background()
	_, d := dirtest.Open(t, store.Config{})
	if dec, err := d.Decide("", []recognition.Descriptor{idols[0].Descriptor}); err != nil || dec.Reason != decision.NobodyEnrolled {
		t.Fatalf("empty directory: %v %v", dec.Reason, err)
	}
	// alice: every descriptor of the first idol; carol: the nearest other
	// idol's descriptor to alice's first.
	var alice []recognition.Descriptor
	carol, carolDist := recognition.Descriptor{}, float32(10)
	for _, id := range idols {
		if id.ID == idols[0].ID {
			alice = append(alice, id.Descriptor)
		} else if dist := recognition.Distance(&idols[0].Descriptor, &id.Descriptor); dist < carolDist {
			carol, carolDist = id.Descriptor, dist
		}
	}
	if _, err := d.Enroll(ctx, "alice", alice[1:], nil); err != nil {
		t.Fatal(err)
	}
	probe := []recognition.Descriptor{alice[0]}
	before, _ := d.Threshold("alice")
	dec, err := d.Decide("", probe)
	if err != nil || dec.Candidate != "alice" || dec.Threshold != before {
		t.Fatalf("alice alone: %+v %v", dec, err)
	}
	if _, err := d.Enroll(ctx, "carol", []recognition.Descriptor{carol}, nil); err != nil {
		t.Fatal(err)
	}
	after, _ := d.Threshold("alice")
	if after.Cohort != 1 || after.Nearest >= before.Nearest || after.Value > before.Value {
		t.Fatalf("carol (%.3f from alice's probe) enrolled: alice's threshold %+v, before %+v", carolDist, after, before)
	}
	if _, err := d.Decide("nobody", probe); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown name: %v", err)
	}
	if err := d.SetDisabled(ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	if dec, err := d.Decide("alice", probe); !errors.Is(err, directory.ErrDisabled) || dec.User != "alice" {
		t.Fatalf("disabled alice: %+v %v", dec, err)
	}
	if err := d.SetPolicy(decision.Policy{Base: 0.4, Min: 0.5, Max: 0.6}, nil); err == nil {
		t.Fatal("invalid policy accepted")
	}
	bg := decision.NewBackground([]recognition.Template{{User: "stranger", Descriptor: alice[1]}})
	if err := d.SetPolicy(decision.DefaultPolicy, bg); err != nil {
		t.Fatal(err)
	}
	if th, _ := d.Threshold("alice"); th.Nearest != 0 || th.Value != decision.DefaultPolicy.Min || th.Cohort != 2 {
		t.Fatalf("a background descriptor on alice's template: %+v", th)
	}
}

// TestEnrollUnique: the same face under a second name is refused with the
// existing user named; with Allow it enrols and reports the match; the
// matcher sees only what was stored.
func TestEnrollUnique(t *testing.T) {
	idols := testdata.Idols(t)
	ctx := context.Background()
	_, d := dirtest.Open(t, store.Config{})
	a := idols[0].Descriptor
	check := store.DuplicateCheck{Threshold: recognition.DefaultThreshold}
	if _, _, err := d.EnrollUnique(ctx, "alice", []recognition.Descriptor{a}, nil, check); err != nil {
		t.Fatal(err)
	}
	_, _, err := d.EnrollUnique(ctx, "alice2", []recognition.Descriptor{a}, nil, check)
	var de *store.DuplicateError
	if !errors.Is(err, store.ErrDuplicateFace) || !errors.As(err, &de) || de.Username != "alice" {
		t.Fatalf("same face, second name: %v", err)
	}
	if d.Templates() != 1 {
		t.Fatalf("%d templates in the matcher after a refusal", d.Templates())
	}
	check.Allow = true
	_, dups, err := d.EnrollUnique(ctx, "alice2", []recognition.Descriptor{a}, nil, check)
	if err != nil || len(dups) != 1 || dups[0].Username != "alice" || d.Templates() != 2 {
		t.Fatalf("allowed duplicate: %v %+v, %d templates", err, dups, d.Templates())
	}
}
