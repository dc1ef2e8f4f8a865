package appdir

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"facelogin/app"
	"facelogin/internal/directory"
	"facelogin/internal/testdata"
	"facelogin/internal/testkit/dirtest"
	"facelogin/recognition"
	"facelogin/store"
)

// annEnrolled is the window's adapter on a fresh SQLite store with ann
// enrolled from the first idol photo's descriptor.
type annEnrolled struct {
	idols []testdata.Idol
	ann   recognition.Descriptor
	st    *store.Store
	d     *directory.Directory
	a     *Directory
}

func withAnn(t *testing.T) annEnrolled {
	t.Helper()
	f := annEnrolled{idols: testdata.Idols(t)}
	f.ann = f.idols[0].Descriptor
	f.st, f.d = dirtest.Open(t, store.Config{})
	f.a = New(f.d, "window")
	if err := f.a.Enroll(context.Background(), "ann", []recognition.Descriptor{f.ann}, nil, app.DuplicateCheck{}); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestErrorsForPeople: the store's errors reach the app as the errors it
// explains to people, keeping their text.
func TestErrorsForPeople(t *testing.T) {
	f := withAnn(t)
	ctx, a := context.Background(), f.a
	ann := []recognition.Descriptor{f.ann}
	for _, c := range []struct {
		name string
		err  error
		is   error
	}{
		{"taken", a.CheckName(ctx, "ANN"), app.ErrNameTaken},
		{"invalid", a.CheckName(ctx, "a b"), app.ErrInvalidName},
		{"enrol taken", a.Enroll(ctx, "ann", ann, nil, app.DuplicateCheck{}), app.ErrNameTaken},
		{"rename unknown", a.Rename(ctx, "zed", "zoe"), app.ErrUnknownUser},
		{"delete unknown", a.Delete(ctx, "zed"), app.ErrUnknownUser},
		{"re-enrol unknown", a.ReEnroll(ctx, "zed", ann, nil, 0), app.ErrUnknownUser},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !errors.Is(c.err, c.is) {
				t.Errorf("%v, want %v", c.err, c.is)
			}
		})
	}
	if _, err := a.Decide("zed", ann, app.DefaultThreshold); !errors.Is(err, app.ErrUnknownUser) {
		t.Errorf("verify unknown: %v", err)
	}
	if _, err := a.Decide("", ann, 0); err == nil {
		t.Error("a base threshold of 0 accepted")
	}
	if err := Err(errors.New("disk full")); errors.Is(err, app.ErrUnknownUser) || err.Error() != "disk full" {
		t.Errorf("other error: %v", err)
	}
}

// TestDisabledUserRefused: a disabled user's face is not recognised, and
// not passed on to the next most similar user either.
func TestDisabledUserRefused(t *testing.T) {
	f := withAnn(t)
	ctx, a, d := context.Background(), f.a, f.d
	if err := a.Enroll(ctx, "bob", []recognition.Descriptor{f.idols[len(f.idols)-1].Descriptor}, nil, app.DuplicateCheck{}); err != nil {
		t.Fatal(err)
	}
	probe := f.ann
	if m := a.Identify(&probe); m.User != "ann" || m.Distance != 0 {
		t.Fatalf("before: %+v", m)
	}
	if err := d.SetDisabled(ctx, "ann", true); err != nil {
		t.Fatal(err)
	}
	if m := a.Identify(&probe); m.User != "" {
		t.Fatalf("disabled ann identified as %+v", m)
	}
	for _, claimed := range []string{"", "ann"} {
		if dec, err := a.Decide(claimed, []recognition.Descriptor{probe}, app.DefaultThreshold); !errors.Is(err, app.ErrUnknownUser) || dec.User != "ann" {
			t.Fatalf("decide %q on disabled ann's face: %v %v", claimed, dec.Reason, err)
		}
	}
}

// TestDecideFollowsBase: the base threshold passed with each decision is
// the directory's policy Base from then on.
func TestDecideFollowsBase(t *testing.T) {
	f := withAnn(t)
	a, d := f.a, f.d
	for _, base := range []float32{0.3, 0.6, app.DefaultThreshold} {
		dec, err := a.Decide("", []recognition.Descriptor{f.ann}, base)
		if err != nil || !dec.OK() || dec.Threshold.Value != base || d.Policy().Base != base {
			t.Fatalf("base %.3f: %v %v, threshold %.3f, policy %+v", base, dec.Reason, err, dec.Threshold.Value, d.Policy())
		}
	}
}

// TestRecordLogin: attempts are audited with where they happened, and a
// success sets the user's last login.
func TestRecordLogin(t *testing.T) {
	f := withAnn(t)
	ctx, st, d := context.Background(), f.st, f.d
	if err := New(d, "kiosk").RecordLogin(ctx, "ann", 0.2, true, "", "liveness passed: blink,left"); err != nil {
		t.Fatal(err)
	}
	if err := New(d, "window").RecordLogin(ctx, "", 0.7, false, "", "liveness not checked"); err != nil {
		t.Fatal(err)
	}
	// A failed liveness check: its reason instead of "not recognised",
	// no distance.
	if err := New(d, "kiosk").RecordLogin(ctx, "", float32(math.Inf(1)), false, "liveness failed: step not done in time", ""); err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events.List(ctx, store.EventFilter{Kinds: []store.EventKind{store.EventLoginSuccess, store.EventLoginFailure}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("events %+v", evs)
	}
	details := map[string]store.Event{}
	for _, ev := range evs {
		details[ev.Detail] = ev
	}
	if ev, ok := details["liveness passed: blink,left (kiosk)"]; !ok || ev.Username != "ann" || ev.UserID == 0 || !ev.HasDistance {
		t.Errorf("kiosk success recorded as %+v", evs)
	}
	if ev, ok := details["not recognised; liveness not checked (window)"]; !ok || ev.Username != "" || ev.HasDistance {
		t.Errorf("window refusal recorded as %+v", evs)
	}
	if ev, ok := details["liveness failed: step not done in time (kiosk)"]; !ok || ev.Kind != store.EventLoginFailure || ev.HasDistance {
		t.Errorf("failed liveness check recorded as %+v", evs)
	}
	users, err := New(d, "window").List(ctx)
	if err != nil || len(users) != 1 || users[0].LastLogin.IsZero() {
		t.Fatalf("users %+v, %v: want ann with a last login", users, err)
	}
}

// TestDuplicateAcrossStations: the window's Register and re-enrolment go
// through the store's atomic check, not the in-memory matcher: station
// "hall", whose matcher has not seen ann (no refresh), still refuses her
// face under another name, with the error the window explains; an
// administrator's Allow registers it and writes duplicate_allowed to the
// audit log; bob re-enrolled with ann's face is refused and keeps his
// templates.
func TestDuplicateAcrossStations(t *testing.T) {
	idols := testdata.Idols(t)
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "shared.db")
	station := func(name string) (*store.Store, *Directory) {
		st, d := dirtest.Open(t, store.Config{DSN: dsn, Station: name})
		return st, New(d, "window")
	}
	_, office := station("office")
	hallStore, hall := station("hall") // its matcher is loaded now, empty, and never refreshed
	ann, bob := idols[0].Descriptor, idols[len(idols)-1].Descriptor
	var annAgain recognition.Descriptor // another descriptor of the same person
	for _, i := range idols[1:] {
		if i.ID == idols[0].ID {
			annAgain = i.Descriptor
			break
		}
	}
	th := recognition.DefaultThreshold
	if d := recognition.Distance(&ann, &annAgain); d > th {
		t.Fatalf("test data: %s's descriptors are %.3f apart", idols[0].ID, d)
	}
	if err := office.Enroll(ctx, "ann", []recognition.Descriptor{ann}, nil, app.DuplicateCheck{Threshold: th}); err != nil {
		t.Fatal(err)
	}
	if m := hall.Identify(&annAgain); m.User != "" {
		t.Fatalf("test setup: hall's matcher already knows %q", m.User)
	}

	err := hall.Enroll(ctx, "ann2", []recognition.Descriptor{annAgain}, nil, app.DuplicateCheck{Threshold: th})
	var dup *app.DuplicateFaceError
	if !errors.Is(err, app.ErrDuplicateFace) || !errors.As(err, &dup) || dup.User != "ann" || dup.Threshold != th {
		t.Fatalf("ann's face as ann2 at another station: %v", err)
	}
	if err := hall.Enroll(ctx, "bob", []recognition.Descriptor{bob}, nil, app.DuplicateCheck{Threshold: th}); err != nil {
		t.Fatalf("someone else: %v", err)
	}
	err = hall.ReEnroll(ctx, "bob", []recognition.Descriptor{annAgain}, nil, th)
	if !errors.As(err, &dup) || dup.User != "ann" {
		t.Fatalf("bob re-enrolled with ann's face: %v", err)
	}
	if dec, err := hall.Decide("bob", []recognition.Descriptor{bob}, th); err != nil || !dec.OK() || dec.Distance != 0 {
		t.Fatalf("bob's templates changed: %+v, %v", dec, err)
	}
	if err := hall.Enroll(ctx, "ann2", []recognition.Descriptor{annAgain}, nil, app.DuplicateCheck{Threshold: th, Allow: true}); err != nil {
		t.Fatalf("allowed duplicate: %v", err)
	}
	evs, err := hallStore.Events.List(ctx, store.EventFilter{Kinds: []store.EventKind{store.EventDuplicateAllowed}, Limit: 10})
	if err != nil || len(evs) != 1 || evs[0].Username != "ann2" || evs[0].Station != "hall" {
		t.Fatalf("duplicate_allowed events %+v, %v", evs, err)
	}
}
