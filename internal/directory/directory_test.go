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
	"facelogin/recognition"
	"facelogin/store"
)

func openStore(t *testing.T, path string, key []byte) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DSN: "sqlite:" + path, Key: key, Station: "test"})
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
	key := make([]byte, 32)
	st := openStore(t, filepath.Join(t.TempDir(), "db.sqlite"), key)
	d, err := directory.Open(ctx, st, recognition.ModelID, 0)
	if err != nil {
		t.Fatal(err)
	}
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
	if _, err := d.Verify(ctx, "alice", &a); !errors.Is(err, directory.ErrDisabled) {
		t.Fatalf("verify disabled: %v", err)
	}
	if dist, err := d.Verify(ctx, "bob", &a); err != nil || dist != recognition.Distance(&a, &b) {
		t.Fatalf("verify bob with alice's face: %v %v", dist, err)
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
	if _, err := d.Verify(ctx, "robert", &b); !errors.Is(err, store.ErrNotFound) {
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
