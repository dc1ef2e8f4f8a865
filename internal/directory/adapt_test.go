package directory_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"sort"
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

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// openAt is a directory on a fresh SQLite store whose clock is c.
func openAt(t testing.TB, c *testkit.Clock) (*store.Store, *directory.Directory) {
	t.Helper()
	return dirtest.Open(t, store.Config{Clock: c.Now, Logger: discard})
}

// toward is the point dist from a in the direction of b.
func toward(a, b recognition.Descriptor, dist float32) recognition.Descriptor {
	ab := recognition.Distance(&a, &b)
	var p recognition.Descriptor
	for i := range p {
		p[i] = a[i] + (b[i]-a[i])*dist/ab
	}
	return p
}

// people is idols.json by person, in a fixed order.
func people(t testing.TB) ([]string, map[string][]recognition.Descriptor) {
	by := map[string][]recognition.Descriptor{}
	var ids []string
	for _, id := range testdata.Idols(t) {
		if by[id.ID] == nil {
			ids = append(ids, id.ID)
		}
		by[id.ID] = append(by[id.ID], id.Descriptor)
	}
	sort.Strings(ids)
	return ids, by
}

// TestAdapt: through the directory and the store, an accepted live login
// stores its median frame as an adaptive template — sealed, dated,
// audited, in the matcher at once — and every rule refuses what it must,
// writing nothing.
func TestAdapt(t *testing.T) {
	ctx := context.Background()
	c := testkit.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	st, d := openAt(t, c)
	ids, by := people(t)
	alice, bob := by[ids[0]], by[ids[1]]
	if _, err := d.Enroll(ctx, "alice", alice[:1], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Enroll(ctx, "bob", bob[:1], nil); err != nil {
		t.Fatal(err)
	}
	far := bob[0] // direction away from alice: her nearest other user
	login := func(dist ...float32) (decision.Decision, []recognition.Descriptor) {
		var fs []recognition.Descriptor
		for _, x := range dist {
			fs = append(fs, toward(alice[0], far, -x))
		}
		dec, err := d.Decide("", fs)
		if err != nil {
			t.Fatal(err)
		}
		return dec, fs
	}
	for _, tc := range []struct {
		name string
		dist []float32
		live bool
		want error
	}{
		{"not live", []float32{0.11, 0.12, 0.13}, false, decision.ErrNotLive},
		{"covered", []float32{0.03, 0.04, 0.05}, true, decision.ErrCovered},
		{"too far from the enrolment template", []float32{0.2, 0.21, 0.22}, true, decision.ErrDrift},
		{"refused login", []float32{0.5, 0.5, 0.5}, true, decision.ErrNotAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dec, fs := login(tc.dist...)
			if _, err := d.Adapt(ctx, dec, fs, tc.live); !errors.Is(err, tc.want) || !errors.Is(err, decision.ErrNotAdapted) {
				t.Fatalf("%v (decision %v at %.3f), want %v", err, dec.Reason, dec.Distance, tc.want)
			}
		})
	}
	if d.Templates() != 2 {
		t.Fatalf("%d templates after refusals", d.Templates())
	}
	dec, fs := login(0.11, 0.12, 0.13)
	a, err := d.Adapt(ctx, dec, fs, true)
	if err != nil || a.Adaptive != 1 || a.Replaced != 0 || math.Abs(float64(a.FromEnrolment-0.12)) > 1e-3 {
		t.Fatalf("adapt: %+v %v", a, err)
	}
	if d.Templates() != 3 {
		t.Fatalf("the matcher holds %d templates, want 3", d.Templates())
	}
	_, ts, err := st.Templates.ForUser(ctx, "alice", recognition.ModelID)
	if err != nil || len(ts) != 2 || ts[1].Kind != store.KindAdaptive || ts[1].Descriptor != fs[1] || !ts[1].Created.Equal(c.Now()) {
		t.Fatalf("alice's templates %+v %v", ts, err)
	}
	evs, err := st.Events.List(ctx, store.EventFilter{Kinds: []store.EventKind{store.EventTemplateAdapted}})
	if err != nil || len(evs) != 1 || evs[0].Username != "alice" || !evs[0].HasDistance {
		t.Fatalf("audit log %+v %v", evs, err)
	}
	t.Logf("audit: %s", evs[0].Detail)
	// The same day: the daily limit, nothing written.
	dec, fs = login(-0.11, -0.12, -0.13)
	if _, err := d.Adapt(ctx, dec, fs, true); !errors.Is(err, decision.ErrRateLimit) {
		t.Fatalf("second adaptive template on one day: %v", err)
	}
	// A disabled user's face is not accepted, so never adapts.
	if err := d.SetDisabled(ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	c.Advance(25 * time.Hour)
	if dec, err := d.Decide("", fs); !errors.Is(err, directory.ErrDisabled) {
		t.Fatalf("disabled alice: %v %v", dec.Reason, err)
	}
	_, err = st.Users.AddAdaptive(ctx, "alice", store.Adaptation{ModelID: recognition.ModelID, Descriptor: fs[1], Policy: decision.DefaultAdaptPolicy})
	if !errors.Is(err, decision.ErrNotAdapted) {
		t.Fatalf("adaptive template for a disabled user: %v", err)
	}
}

// walkResult is where an impostor's walk ended.
type walkResult struct {
	days, adapted int
	reach         float32 // farthest accepted point from the enrolment templates
	maxAnchor     float32 // farthest adaptive template from the enrolment templates
	targetIn      bool    // the target is accepted as the user at the end
	before, after int     // the impostor's photos accepted as the user before and after
	threshold     float32 // the user's threshold at the start
}

// walk simulates an impostor walking the templates of user, enrolled
// from own beside others: every day they log in, live, as close to target
// (their face) as they can in small steps of 0.02 along the line from the
// user's nearest enrolment template, and every accepted login is offered
// for adaptation. It ends after days days, or when the walker has been
// stuck (refused) for 5 days in a row. photos are the impostor's other
// photos, counted as accepted or not before and after.
func walk(t *testing.T, p decision.AdaptPolicy, dp decision.Policy, own []recognition.Descriptor, others map[string][]recognition.Descriptor, target recognition.Descriptor, photos []recognition.Descriptor, days int) walkResult {
	t.Helper()
	ctx := context.Background()
	c := testkit.NewClock(time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC))
	_, d := openAt(t, c)
	if err := d.SetAdaptPolicy(p); err != nil {
		t.Fatal(err)
	}
	if err := d.SetPolicy(dp, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Enroll(ctx, "user", own, nil); err != nil {
		t.Fatal(err)
	}
	for name, ds := range others {
		if _, err := d.Enroll(ctx, name, ds, nil); err != nil {
			t.Fatal(err)
		}
	}
	fromEnrolment := func(x *recognition.Descriptor) float32 {
		best := float32(math.Inf(1))
		for i := range own {
			best = min(best, recognition.Distance(x, &own[i]))
		}
		return best
	}
	accepted := func(ds []recognition.Descriptor) (n int) {
		for i := range ds {
			if dec, err := d.Decide("", ds[i:i+1]); err == nil && dec.OK() && dec.User == "user" {
				n++
			}
		}
		return n
	}
	// The line: from the enrolment template nearest the target towards it.
	goal, start := target, own[0]
	best := float32(math.Inf(1))
	for j := range own {
		if dist := recognition.Distance(&target, &own[j]); dist < best {
			best, start = dist, own[j]
		}
	}
	res := walkResult{before: accepted(photos)}
	th, _ := d.Threshold("user")
	res.threshold = th.Value
	pos, stuck := float32(0), 0
	for day := 0; day < days && stuck < 5; day++ {
		res.days = day + 1
		next := min(pos+0.02, best)
		x := toward(start, goal, next)
		frames := []recognition.Descriptor{x, x, x}
		dec, err := d.Decide("", frames)
		if err != nil {
			t.Fatal(err)
		}
		if !dec.OK() || dec.User != "user" {
			stuck++
			c.Advance(24 * time.Hour)
			continue
		}
		stuck, pos = 0, next
		res.reach = max(res.reach, fromEnrolment(&x))
		if _, err := d.Adapt(ctx, dec, frames, true); err == nil {
			res.adapted++
			res.maxAnchor = max(res.maxAnchor, fromEnrolment(&x))
		} else if !errors.Is(err, decision.ErrNotAdapted) {
			t.Fatal(err)
		}
		c.Advance(24 * time.Hour)
	}
	res.targetIn = accepted([]recognition.Descriptor{target}) == 1
	res.after = accepted(photos)
	return res
}

// TestAdaptiveWalk: an impostor who passes liveness walks a user's
// templates towards their own face in small steps, one login a day, every
// accepted login offered for adaptation — on real descriptors (idols.json:
// 134 people photographed on many occasions, a crowded population of
// lookalikes). The impostor's face is the photo of an unregistered person
// that comes nearest the user while still beyond Drift + Base + 0.05. With
// the shipped rules the walk stops within Drift + the user's threshold of
// the enrolment templates, the impostor's face is never accepted, and no
// more of the impostor's other photos are accepted than before the walk;
// with the anchoring removed (adaptive templates may drift any distance
// from the enrolment templates) the same walks reach the impostor. A walk
// towards a registered user stops too: the walker's own threshold tightens
// as it nears them and the margin rule refuses in between.
func TestAdaptiveWalk(t *testing.T) {
	ids, by := people(t)
	guarded := decision.DefaultAdaptPolicy
	unguarded := guarded
	unguarded.Drift, unguarded.Reach = 10, 0
	// Users: people with ≥ 4 photos, enrolled from 3; 12 of them are the
	// others enrolled beside each walked user (a cohort under MinCohort,
	// so every threshold is at most Base).
	var users []string
	for _, id := range ids {
		if len(by[id]) >= 4 {
			users = append(users, id)
		}
	}
	const walks, days = 10, 60
	if len(users) < walks+12 {
		t.Fatalf("test data: %d people with ≥ 4 photos", len(users))
	}
	others := map[string][]recognition.Descriptor{}
	for _, id := range users[len(users)-12:] {
		others[id] = by[id][:3]
	}
	limit := guarded.Drift + decision.DefaultPolicy.Base + 0.05
	fromOwn := func(own []recognition.Descriptor, x *recognition.Descriptor) float32 {
		best := float32(math.Inf(1))
		for i := range own {
			best = min(best, recognition.Distance(x, &own[i]))
		}
		return best
	}
	type tally struct {
		in, adapted, before, after, photos int
		reach                              []float32
	}
	var g, u tally
	add := func(tl *tally, r walkResult, photos int) {
		tl.adapted += r.adapted
		tl.before += r.before
		tl.after += r.after
		tl.photos += photos
		tl.reach = append(tl.reach, r.reach)
		if r.targetIn {
			tl.in++
		}
	}
	for _, user := range users[:walks] {
		own := by[user][:3]
		var target recognition.Descriptor
		impostor, targetDist := "", float32(math.Inf(1))
		for _, id := range ids {
			if _, enrolled := others[id]; id == user || enrolled {
				continue
			}
			for i := range by[id] {
				if dist := fromOwn(own, &by[id][i]); dist > limit && dist < targetDist {
					impostor, target, targetDist = id, by[id][i], dist
				}
			}
		}
		if impostor == "" {
			t.Fatalf("no impostor for %s", user)
		}
		photos := by[impostor]
		rg := walk(t, guarded, decision.DefaultPolicy, own, others, target, photos, days)
		ru := walk(t, unguarded, decision.DefaultPolicy, own, others, target, photos, days)
		t.Logf("%.8s → %.8s %.3f apart, threshold %.3f | guarded: %2d days, %d adaptive (farthest %.3f), reach %.3f, in %-5v, photos in %d→%d/%d | unguarded: %2d days, %2d adaptive, reach %.3f, in %-5v, photos in %d→%d/%d",
			user, impostor, targetDist, rg.threshold, rg.days, rg.adapted, rg.maxAnchor, rg.reach, rg.targetIn, rg.before, rg.after, len(photos),
			ru.days, ru.adapted, ru.reach, ru.targetIn, ru.before, ru.after, len(photos))
		if rg.targetIn {
			t.Errorf("%s: the impostor (%.3f away) got in after a guarded walk", user, targetDist)
		}
		if rg.after > rg.before {
			t.Errorf("%s: the guarded walk let %d more of the impostor's photos in", user, rg.after-rg.before)
		}
		if rg.maxAnchor > guarded.Drift+1e-4 || rg.reach > guarded.Drift+rg.threshold+1e-4 {
			t.Errorf("%s: guarded walk: adaptive template %.3f from the enrolment templates, reach %.3f: beyond Drift %.3f + threshold %.3f",
				user, rg.maxAnchor, rg.reach, guarded.Drift, rg.threshold)
		}
		if rg.adapted > rg.days*guarded.PerDay {
			t.Errorf("%s: %d adaptive templates in %d days", user, rg.adapted, rg.days)
		}
		add(&g, rg, len(photos))
		add(&u, ru, len(photos))
	}
	t.Logf("guarded (Drift %.2f): impostor in %d/%d walks, reach at most %.3f, %d adaptive templates, impostors' photos accepted %d → %d of %d",
		guarded.Drift, g.in, walks, slicesMax(g.reach), g.adapted, g.before, g.after, g.photos)
	t.Logf("unguarded (no anchoring): impostor in %d/%d walks, reach at most %.3f, %d adaptive templates, impostors' photos accepted %d → %d of %d",
		u.in, walks, slicesMax(u.reach), u.adapted, u.before, u.after, u.photos)
	if u.in == 0 {
		t.Errorf("without the anchoring no walk reached the impostor: the test does not show what the guard stops")
	}

	// Towards a registered user: the nearest other enrolled person's
	// photo that is not accepted as the walker at the start.
	for _, user := range users[:3] {
		own := by[user][:3]
		var target recognition.Descriptor
		victim, targetDist := "", float32(math.Inf(1))
		for id, ds := range others {
			for i := range ds {
				if dist := fromOwn(own, &ds[i]); dist > decision.DefaultPolicy.Base && dist < targetDist {
					victim, target, targetDist = id, ds[i], dist
				}
			}
		}
		for _, pc := range []struct {
			name string
			p    decision.AdaptPolicy
		}{{"guarded", guarded}, {"unguarded", unguarded}} {
			r := walk(t, pc.p, decision.DefaultPolicy, own, others, target, others[victim], days)
			t.Logf("%.8s → registered %.8s %.3f apart, %s: %d days, %d adaptive, reach %.3f, taken for the walker: %v",
				user, victim, targetDist, pc.name, r.days, r.adapted, r.reach, r.targetIn)
			if r.targetIn || r.after > 0 {
				t.Errorf("%s walk from %s: the registered user %s is taken for them", pc.name, user, victim)
			}
		}
	}
}

// TestAdaptiveWalkLoose: a user whose threshold rose to Max 0.45 (a cohort
// rule allows it; here MinCohort 0 and nobody else enrolled) and a
// lookalike impostor whose nearest photo is 0.46–0.54 from the user's
// enrolment templates — refused at the start, within LFW's 0.1%-FAR
// distance 0.54. With Drift 0.15 alone an adaptive template 0.15 out let
// faces in up to 0.60 from the enrolment templates, and the walk reached
// the impostor; with Reach 0.54 (DefaultAdaptPolicy) the user, whose
// threshold leaves only 0.09 of it, never adapts, and the impostor stays
// out. Real descriptors: idols.json.
func TestAdaptiveWalkLoose(t *testing.T) {
	ids, by := people(t)
	loose := decision.DefaultPolicy
	loose.MinCohort = 0
	guarded := decision.DefaultAdaptPolicy
	unbounded := guarded
	unbounded.Reach = 0
	walked := 0
	for _, user := range ids {
		if len(by[user]) < 4 || walked == 5 {
			continue
		}
		own := by[user][:3]
		var target recognition.Descriptor
		impostor, targetDist := "", float32(0)
		var photos []recognition.Descriptor
		for _, id := range ids {
			if id == user {
				continue
			}
			for i := range by[id] {
				dist := float32(math.Inf(1))
				for j := range own {
					dist = min(dist, recognition.Distance(&by[id][i], &own[j]))
				}
				// The farthest photo under 0.52: a lookalike just beyond 0.45.
				if dist > 0.46 && dist < 0.52 && dist > targetDist {
					impostor, target, targetDist, photos = id, by[id][i], dist, by[id]
				}
			}
		}
		if impostor == "" {
			continue
		}
		walked++
		rg := walk(t, guarded, loose, own, nil, target, photos, 60)
		ru := walk(t, unbounded, loose, own, nil, target, photos, 60)
		t.Logf("%.8s (threshold %.3f) → %.8s %.3f apart | Reach 0.54: %d adaptive, reach %.3f, in %v | no Reach: %d adaptive (farthest %.3f), reach %.3f, in %v",
			user, rg.threshold, impostor, targetDist, rg.adapted, rg.reach, rg.targetIn, ru.adapted, ru.maxAnchor, ru.reach, ru.targetIn)
		if rg.threshold < 0.45-1e-4 {
			t.Fatalf("%s: threshold %.3f, want Max 0.45", user, rg.threshold)
		}
		if rg.adapted != 0 || rg.targetIn || rg.reach > guarded.Reach+1e-4 {
			t.Errorf("%s: with Reach %.2f: %d adaptive, reach %.3f, impostor in %v", user, guarded.Reach, rg.adapted, rg.reach, rg.targetIn)
		}
		if !ru.targetIn {
			t.Errorf("%s: without Reach the walk did not reach the impostor (%.3f): the case shows nothing", user, targetDist)
		}
	}
	if walked < 5 {
		t.Fatalf("test data: %d users with a lookalike 0.46–0.52 away", walked)
	}
}

func slicesMax(xs []float32) float32 {
	m := float32(math.Inf(-1))
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// TestAddTemplates: `enrol --add` stores more enrolment templates for a
// user, never replacing any; a face of another user is refused and writes
// nothing.
func TestAddTemplates(t *testing.T) {
	ctx := context.Background()
	c := testkit.NewClock(time.Now())
	st, d := openAt(t, c)
	ids, by := people(t)
	ann, bob := by[ids[0]], by[ids[1]]
	if _, err := d.Enroll(ctx, "ann", ann[:1], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Enroll(ctx, "bob", bob[:1], nil); err != nil {
		t.Fatal(err)
	}
	check := store.DuplicateCheck{Threshold: recognition.DefaultThreshold}
	// ann's own photo within the threshold of her template is no duplicate.
	if _, err := d.AddTemplates(ctx, "ann", []recognition.Descriptor{ann[0], ann[1]}, nil, check); err != nil {
		t.Fatal(err)
	}
	_, err := d.AddTemplates(ctx, "ann", []recognition.Descriptor{ann[2], bob[0]}, nil, check)
	var de *store.DuplicateError
	if !errors.As(err, &de) || de.Username != "bob" {
		t.Fatalf("bob's face added to ann: %v", err)
	}
	_, ts, err := st.Templates.ForUser(ctx, "ann", recognition.ModelID)
	if err != nil || len(ts) != 3 || d.Templates() != 4 {
		t.Fatalf("ann holds %d templates (%v), the matcher %d; want 3 and 4", len(ts), err, d.Templates())
	}
	for _, tp := range ts {
		if tp.Kind != store.KindEnrolment {
			t.Fatalf("template %d is %s", tp.ID, tp.Kind)
		}
	}
	if _, err := d.AddTemplates(ctx, "nobody", ann[:1], nil, check); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("add to nobody: %v", err)
	}
}
