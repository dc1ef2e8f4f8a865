package decision_test

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"facelogin/internal/testdata"
	"facelogin/recognition"
	"facelogin/recognition/decision"
)

// The rules' semantics on real dlib descriptors (idols.json: 1,286
// descriptors of 134 people). Their accuracy is measured on photos and
// video by TestDecisionRules in recognition/dlib.

func idols(t testing.TB) []recognition.Template {
	t.Helper()
	var ts []recognition.Template
	for _, id := range testdata.Idols(t) {
		ts = append(ts, recognition.Template{User: id.ID, Descriptor: id.Descriptor})
	}
	return ts
}

func byUser(ts []recognition.Template) map[string][]recognition.Descriptor {
	m := map[string][]recognition.Descriptor{}
	for _, t := range ts {
		m[t.User] = append(m[t.User], t.Descriptor)
	}
	return m
}

// between is the point a fraction f of the way from a to b: its distance
// to a is f·|ab| and to b (1−f)·|ab|.
func between(a, b recognition.Descriptor, f float32) recognition.Descriptor {
	var d recognition.Descriptor
	for i := range d {
		d[i] = a[i] + f*(b[i]-a[i])
	}
	return d
}

func newGallery(t testing.TB, ts []recognition.Template, bg *decision.Background, p decision.Policy) *decision.Gallery {
	t.Helper()
	g, err := decision.NewGallery(ts, bg, p)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func nearestOther(users map[string][]recognition.Descriptor, user string, extra []recognition.Descriptor) float32 {
	best := float32(math.Inf(1))
	for _, a := range users[user] {
		for u, ds := range users {
			if u == user {
				continue
			}
			for _, b := range ds {
				best = min(best, recognition.Distance(&a, &b))
			}
		}
		for _, b := range extra {
			best = min(best, recognition.Distance(&a, &b))
		}
	}
	return best
}

func clamp(x, lo, hi float32) float32 { return min(max(x, lo), hi) }

// TestThresholdFollowsCohort: every user's threshold is the nearest other
// identity less the cohort margin, within bounds — computed here the slow,
// obvious way — and rises above Base only with a large enough cohort.
func TestThresholdFollowsCohort(t *testing.T) {
	ts := idols(t)
	users := byUser(ts)
	p := decision.DefaultPolicy
	g := newGallery(t, ts, nil, p)
	if g.Users() != len(users) || g.Templates() != len(ts) {
		t.Fatalf("gallery holds %d users, %d templates; want %d, %d", g.Users(), g.Templates(), len(users), len(ts))
	}
	var raised, lowered int
	for u := range users {
		th, ok := g.Threshold(u)
		if !ok {
			t.Fatalf("%s: no threshold", u)
		}
		want := nearestOther(users, u, nil)
		if math.Abs(float64(th.Nearest-want)) > 1e-5 {
			t.Fatalf("%s: nearest other %.4f, want %.4f", u, th.Nearest, want)
		}
		if th.Cohort != len(users)-1 {
			t.Fatalf("%s: cohort %d, want %d", u, th.Cohort, len(users)-1)
		}
		if w := clamp(want-p.CohortMargin, p.Min, p.Max); math.Abs(float64(th.Value-w)) > 1e-5 {
			t.Fatalf("%s: threshold %.4f, want %.4f", u, th.Value, w)
		}
		if th.Value > p.Base {
			raised++
		}
		if th.Value < p.Base {
			lowered++
		}
	}
	// The idols are one crowded population: most thresholds go down.
	if lowered == 0 {
		t.Errorf("no threshold below Base among %d lookalike people", len(users))
	}
	t.Logf("%d users: %d thresholds raised, %d lowered", len(users), raised, lowered)

	// Five of them alone: a cohort of 4 may only tighten.
	var few []recognition.Template
	n := 0
	for u, ds := range users {
		if n == 5 {
			break
		}
		n++
		for _, d := range ds {
			few = append(few, recognition.Template{User: u, Descriptor: d})
		}
	}
	small := newGallery(t, few, nil, p)
	for u := range byUser(few) {
		th, _ := small.Threshold(u)
		if th.Value > p.Base || th.Cohort != 4 {
			t.Errorf("%s in a gallery of 5: threshold %.3f (cohort %d), want ≤ Base %.3f", u, th.Value, th.Cohort, p.Base)
		}
	}
	if _, ok := small.Threshold("nobody"); ok {
		t.Error("threshold for a user with no templates")
	}
}

// TestBackgroundTightens: a stranger's descriptor in the background near a
// user lowers that user's threshold, and its identities count in the
// cohort.
func TestBackgroundTightens(t *testing.T) {
	ts := idols(t)
	users := byUser(ts)
	var ids []string
	for u := range users {
		ids = append(ids, u)
	}
	a, b := ids[0], ids[1]
	gallery := []recognition.Template{{User: a, Descriptor: users[a][0]}}
	p := decision.DefaultPolicy
	p.MinCohort = 2
	alone := newGallery(t, gallery, nil, p)
	th0, _ := alone.Threshold(a)
	if !math.IsInf(float64(th0.Nearest), 1) || th0.Value != p.Base || th0.Cohort != 0 {
		t.Fatalf("a lone user: %+v, want nearest +Inf, threshold Base, cohort 0", th0)
	}
	// A stranger 0.40 from a's template, another far away: a's threshold
	// drops to the floor.
	ab := recognition.Distance(&users[a][0], &users[b][0])
	bg := decision.NewBackground([]recognition.Template{
		{User: "near", Descriptor: between(users[a][0], users[b][0], 0.40/ab)},
		{User: "far", Descriptor: between(users[a][0], users[b][0], 3)},
	})
	if bg.Identities() != 2 {
		t.Fatalf("background identities %d, want 2", bg.Identities())
	}
	with := newGallery(t, gallery, bg, p)
	th1, _ := with.Threshold(a)
	if math.Abs(float64(th1.Nearest-0.40)) > 1e-4 || th1.Cohort != 2 {
		t.Fatalf("with background: %+v, want nearest 0.40, cohort 2", th1)
	}
	if want := clamp(0.40-p.CohortMargin, p.Min, p.Max); th1.Value != want {
		t.Fatalf("with background: threshold %.3f, want %.3f", th1.Value, want)
	}
}

// pair returns two people of idols.json whose nearest templates are
// between lo and hi apart, with those two templates.
func pair(t *testing.T, users map[string][]recognition.Descriptor, lo, hi float32) (a, b string, da, db recognition.Descriptor) {
	t.Helper()
	for u, us := range users {
		for v, vs := range users {
			if u >= v {
				continue
			}
			for _, x := range us {
				for _, y := range vs {
					if d := recognition.Distance(&x, &y); d >= lo && d <= hi {
						return u, v, x, y
					}
				}
			}
		}
	}
	t.Fatalf("no two people %.2f–%.2f apart", lo, hi)
	return
}

// TestIdentify: the margin rule names nobody between two lookalikes, the
// threshold refuses a face far from everybody, and a clear face is named.
func TestIdentify(t *testing.T) {
	users := byUser(idols(t))
	a, b, da, db := pair(t, users, 0.55, 0.60)
	ab := recognition.Distance(&da, &db)
	p := decision.Policy{Base: 0.375, Min: 0.3, Max: 0.45, CohortMargin: 0, MinCohort: 0, Delta: 0.08}
	g := newGallery(t, []recognition.Template{{User: a, Descriptor: da}, {User: b, Descriptor: db}}, nil, p)
	at := func(dist float32) recognition.Descriptor { return between(da, db, dist/ab) }
	cases := []struct {
		name   string
		frames []recognition.Descriptor
		want   decision.Reason
		user   string
		dist   float32
	}{
		{"clearly a", []recognition.Descriptor{at(0.10), at(0.12), at(0.11)}, decision.Accepted, a, 0.11},
		// ~0.28 from a, ~0.30 from b: within threshold, margin 0.02 < δ.
		{"between the two", []recognition.Descriptor{at(ab/2 - 0.01)}, decision.Ambiguous, "", ab/2 - 0.01},
		{"one odd frame", []recognition.Descriptor{at(0.10), at(ab - 0.05), at(0.12)}, decision.Accepted, a, 0.12},
		{"no frames", nil, decision.NoFrames, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dec := g.Identify(c.frames)
			if dec.Reason != c.want || dec.User != c.user || math.Abs(float64(dec.Distance-c.dist)) > 1e-3 {
				t.Fatalf("got %v %q at %.3f (threshold %.3f, margin %.3f); want %v %q at %.3f", dec.Reason, dec.User, dec.Distance, dec.Threshold.Value, dec.Margin, c.want, c.user, c.dist)
			}
			if dec.Reason == decision.Ambiguous && dec.Reason.Message() == "" {
				t.Fatal("no message for a refusal")
			}
		})
	}
	// Far from both: beyond a's threshold.
	far := newGallery(t, []recognition.Template{{User: a, Descriptor: da}}, nil, p)
	if dec := far.Identify([]recognition.Descriptor{db}); dec.Reason != decision.TooFar || dec.OK() || dec.User != "" || dec.Candidate != a {
		t.Fatalf("a stranger %.3f away: %+v, want too far with candidate %s", ab, dec, a)
	}
	if dec := newGallery(t, nil, nil, p).Identify([]recognition.Descriptor{da}); dec.Reason != decision.NobodyEnrolled {
		t.Fatalf("empty gallery: %v", dec.Reason)
	}
}

// TestVerify: the claimed user is accepted within their threshold, even
// when a lookalike is nearly as close (typing the name resolves the margin
// rule's refusal), but not when another user is clearly nearer.
func TestVerify(t *testing.T) {
	users := byUser(idols(t))
	a, b, da, db := pair(t, users, 0.55, 0.60)
	ab := recognition.Distance(&da, &db)
	p := decision.Policy{Base: 0.375, Min: 0.3, Max: 0.45, MinCohort: 0, Delta: 0.08}
	g := newGallery(t, []recognition.Template{{User: a, Descriptor: da}, {User: b, Descriptor: db}}, nil, p)
	at := func(dist float32) []recognition.Descriptor { return []recognition.Descriptor{between(da, db, dist/ab)} }
	for _, c := range []struct {
		name   string
		claim  string
		frames []recognition.Descriptor
		want   decision.Reason
	}{
		{"a as a", a, at(0.1), decision.Accepted},
		{"ambiguous face typing a", a, at(ab/2 + 0.01), decision.Accepted},
		{"ambiguous face typing b", b, at(ab/2 - 0.01), decision.Accepted},
		{"b's face typing a", a, at(ab - 0.17), decision.OtherUser},
		{"a's face typing b", b, at(0.05), decision.TooFar},
		{"unknown name", "nobody", at(0.1), decision.UnknownUser},
		{"no frames", a, nil, decision.NoFrames},
	} {
		t.Run(c.name, func(t *testing.T) {
			dec := g.Verify(c.claim, c.frames)
			if dec.Reason != c.want || dec.User != c.claim {
				t.Fatalf("got %v for %q (distance %.3f, threshold %.3f, margin %.3f); want %v", dec.Reason, dec.User, dec.Distance, dec.Threshold.Value, dec.Margin, c.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := decision.DefaultPolicy.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []decision.Policy{
		{Base: 0.375, Min: 0.4, Max: 0.45},
		{Base: 0.5, Min: 0.3, Max: 0.45},
		{Base: 0.375, Min: 0, Max: 0.45},
		{Base: 0.375, Min: 0.3, Max: 0.45, Delta: -0.1},
	} {
		if _, err := decision.NewGallery(nil, nil, p); err == nil {
			t.Errorf("policy %+v accepted", p)
		}
	}
}

// personAndStranger are the descriptors of a person of idols.json with at
// least 10, and one of someone more than 0.5 from every one of them.
func personAndStranger(t *testing.T) ([]recognition.Descriptor, recognition.Descriptor) {
	t.Helper()
	users := byUser(idols(t))
	// In name order: the tests that share this pair are the same on every
	// run (map order chose a different person each time).
	names := slices.Sorted(maps.Keys(users))
	var person []recognition.Descriptor
	for _, n := range names {
		if len(users[n]) >= 10 {
			person = users[n]
			break
		}
	}
	for _, n := range names {
		for _, d := range users[n] {
			if nearestOther(map[string][]recognition.Descriptor{"s": {d}, "p": person}, "s", nil) > 0.5 {
				return person, d
			}
		}
	}
	t.Fatal("no stranger 0.5 from the person")
	return nil, recognition.Descriptor{}
}

// TestSelectDiverse: the medoid first, then each time the frame farthest
// from those chosen; an outlier beyond maxSpread and exact duplicates never.
func TestSelectDiverse(t *testing.T) {
	person, stranger := personAndStranger(t)
	frames := append([]recognition.Descriptor{}, person...)
	frames = append(frames, person[0], stranger) // a duplicate and a stranger
	strangerAt := len(frames) - 1
	medoid, best := -1, math.Inf(1)
	for i := range frames {
		var s float64
		for j := range frames {
			s += float64(recognition.Distance(&frames[i], &frames[j]))
		}
		if s < best {
			medoid, best = i, s
		}
	}
	got := decision.SelectDiverse(frames, 5, 0.45)
	if len(got) != 5 || got[0] != medoid {
		t.Fatalf("chose %v, want 5 starting with the medoid %d", got, medoid)
	}
	// The reference: medoid, then farthest point, computed plainly.
	inSpread := func(i int) bool { return recognition.Distance(&frames[i], &frames[got[0]]) <= 0.45 }
	for k := 1; k < len(got); k++ {
		gap := func(i int) float32 {
			m := float32(math.Inf(1))
			for _, c := range got[:k] {
				m = min(m, recognition.Distance(&frames[i], &frames[c]))
			}
			return m
		}
		for i := range frames {
			if inSpread(i) && gap(i) > gap(got[k])+1e-6 {
				t.Fatalf("pick %d is %d (gap %.3f) but %d is farther (%.3f)", k, got[k], gap(got[k]), i, gap(i))
			}
		}
	}
	seen := map[int]bool{}
	for _, i := range got {
		if seen[i] || i == strangerAt {
			t.Fatalf("chose %v: duplicate or the stranger (%d)", got, strangerAt)
		}
		seen[i] = true
	}
	if all := decision.SelectDiverse(frames, 100, 0.45); len(all) > len(person) {
		t.Fatalf("asked for all: %d chosen of %d distinct frames of the person", len(all), len(person))
	}
	if decision.SelectDiverse(nil, 5, 0) != nil {
		t.Fatal("chose from nothing")
	}
}

// TestSelectCovering: each pick is the frame that most lowers the weighted
// sum of distances from every frame to its nearest template (checked
// against a plain recomputation); the first is the weighted medoid, so
// weights move it; an outlier beyond maxSpread and exact duplicates are
// never chosen.
func TestSelectCovering(t *testing.T) {
	person, stranger := personAndStranger(t)
	frames := append([]recognition.Descriptor{}, person...)
	frames = append(frames, person[0], stranger)
	strangerAt := len(frames) - 1
	weights := make([]float64, len(frames))
	for i := range weights {
		weights[i] = float64(1 + i%3)
	}
	got := decision.SelectCovering(frames, weights, 5, 0.45)
	if len(got) != 5 {
		t.Fatalf("chose %v, want 5", got)
	}
	counted := func(i int) bool { return recognition.Distance(&frames[i], &frames[got[0]]) <= 0.45 }
	cost := func(chosen []int) float64 {
		var s float64
		for j := range frames {
			if !counted(j) {
				continue
			}
			near := math.Inf(1)
			for _, c := range chosen {
				near = min(near, float64(recognition.Distance(&frames[j], &frames[c])))
			}
			s += weights[j] * near
		}
		return s
	}
	for k := range got {
		for i := range frames {
			if (k > 0 && !counted(i)) || slices.Contains(got[:k], i) {
				continue
			}
			if k == 0 {
				// the weighted medoid over all frames
				var si, sg float64
				for j := range frames {
					si += weights[j] * float64(recognition.Distance(&frames[i], &frames[j]))
					sg += weights[j] * float64(recognition.Distance(&frames[got[0]], &frames[j]))
				}
				if si < sg-1e-6 {
					t.Fatalf("first pick %d (weighted sum %.4f) but %d has %.4f", got[0], sg, i, si)
				}
				continue
			}
			with := append(slices.Clone(got[:k]), i)
			if cost(with) < cost(got[:k+1])-1e-6 {
				t.Fatalf("pick %d is %d (cost %.4f) but %d gives %.4f", k, got[k], cost(got[:k+1]), i, cost(with))
			}
		}
	}
	if slices.Contains(got, strangerAt) || slices.Contains(got, strangerAt-1) && slices.Contains(got, 0) {
		t.Fatalf("chose %v: the stranger (%d) or both copies of frame 0", got, strangerAt)
	}
	if all := decision.SelectCovering(frames, nil, 100, 0.45); len(all) > len(person) {
		t.Fatalf("asked for all: %d chosen of %d distinct frames of the person", len(all), len(person))
	}
	// A frame standing for many frames becomes the first template.
	heavy := slices.Repeat([]float64{1}, len(person))
	heavy[len(person)-1] = 1000
	if first := decision.SelectCovering(person, heavy, 1, 0); !slices.Equal(first, []int{len(person) - 1}) {
		t.Errorf("weight 1000 on frame %d: chose %v", len(person)-1, first)
	}
	if decision.SelectCovering(nil, nil, 5, 0) != nil {
		t.Fatal("chose from nothing")
	}
}

// The first threshold of a user scans the gallery once per template; later
// ones are a look-up. Identify is three matcher scans plus that.
func BenchmarkThreshold(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		ts := growTemplates(idols(b), n)
		b.Run(fmt.Sprintf("templates=%d", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				g := newGallery(b, ts, nil, decision.DefaultPolicy)
				b.StartTimer()
				g.Threshold(ts[0].User)
			}
		})
	}
}

func BenchmarkIdentify(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		ts := growTemplates(idols(b), n)
		g := newGallery(b, ts, nil, decision.DefaultPolicy)
		frames := []recognition.Descriptor{ts[3].Descriptor, ts[4].Descriptor, ts[5].Descriptor}
		g.Identify(frames) // thresholds cached, as in a running app
		b.Run(fmt.Sprintf("templates=%d", n), func(b *testing.B) {
			for b.Loop() {
				g.Identify(frames)
			}
		})
	}
}

// BenchmarkCandidatesAdd: the bookkeeping a guided registration does per
// described frame: Add to a Candidates of CandidateLimit, whose thinning
// (SelectCovering of 20 among 40, every 20th frame) is included,
// amortized; and Choose's 10 templates at the end.
func BenchmarkCandidatesAdd(b *testing.B) {
	// One person's frames: a real descriptor jittered by σ 0.02 per
	// dimension, ~0.3 apart from each other, as frames of one face are.
	r := rand.New(rand.NewPCG(3, 4))
	face := idols(b)[0].Descriptor
	frames := make([]recognition.Descriptor, 1000)
	for i := range frames {
		frames[i] = face
		for k := range frames[i] {
			frames[i][k] += float32(r.NormFloat64() * 0.02)
		}
	}
	b.Run("add", func(b *testing.B) {
		c := decision.NewCandidates[int](decision.CandidateLimit, decision.DefaultPolicy.Max)
		i := 0
		for b.Loop() {
			c.Add(i, frames[i%len(frames)])
			i++
		}
	})
	b.Run("choose", func(b *testing.B) {
		c := decision.NewCandidates[int](decision.CandidateLimit, decision.DefaultPolicy.Max)
		for i := range decision.CandidateLimit {
			c.Add(i, frames[i])
		}
		for b.Loop() {
			c.Choose(10, 5)
		}
	})
}

// growTemplates makes n templates in groups of 5 per user from jittered
// real descriptors.
func growTemplates(src []recognition.Template, n int) []recognition.Template {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]recognition.Template, n)
	for i := range out {
		d := src[(i/5)%len(src)].Descriptor
		for k := range d {
			d[k] += float32(r.NormFloat64() * 0.02)
		}
		out[i] = recognition.Template{User: fmt.Sprintf("u%d", i/5), Descriptor: d}
	}
	return out
}

// TestCandidates: the buffer never holds more than its limit; thinning
// keeps the distinct views seen early however many near-identical frames
// follow them; exact duplicates are topped up to the minimum asked for.
func TestCandidates(t *testing.T) {
	users := byUser(idols(t))
	var views []recognition.Descriptor // distinct views of one person, within 0.4 of the first
	for _, ds := range users {
		if len(ds) < 6 {
			continue
		}
		views = ds[:1]
		for _, d := range ds[1:] {
			if recognition.Distance(&d, &ds[0]) < 0.4 && recognition.Distance(&d, &ds[0]) > 0.2 {
				views = append(views, d)
			}
		}
		if len(views) >= 4 {
			views = views[:4]
			break
		}
	}
	if len(views) < 4 {
		t.Fatal("test data: no person with 4 distinct views")
	}
	c := decision.NewCandidates[int](10, 0.45)
	for i, d := range views {
		c.Add(i, d)
	}
	for i := range 100 { // the person then holds still
		c.Add(100+i, between(views[0], views[1], 0.001*float32(i%7)))
		if c.Len() > 10 {
			t.Fatalf("%d candidates held, limit 10", c.Len())
		}
	}
	got := c.Choose(5, 0)
	for i := 1; i < len(views); i++ {
		if !slices.Contains(got, i) {
			t.Errorf("chose %v: view %d lost to the still frames", got, i)
		}
	}
	same := decision.NewCandidates[int](4, 0)
	for i := range 10 {
		same.Add(i, views[0])
	}
	if n := same.Len(); n > 4 {
		t.Errorf("%d duplicates held, limit 4", n)
	}
	if got := same.Choose(10, 3); len(got) != 3 {
		t.Errorf("duplicates: chose %v, want 3 (topped up)", got)
	}
	// Without near-copies: the still frames (within 0.006 of one view)
	// give one template, the distinct views one each, whatever the top-up.
	got, copies := c.ChooseDistinct(10, 5, decision.DuplicateBound)
	still := 0
	for _, i := range got {
		if i >= 100 || i == 0 {
			still++
		}
	}
	if still != 1 || len(got) != len(views) || copies == 0 {
		t.Errorf("distinct: chose %v (%d copies dropped), want the 4 views with one of view 0 and its still frames", got, copies)
	}
	if got, copies := same.ChooseDistinct(10, 3, decision.DuplicateBound); len(got) != 1 || copies != 2 {
		t.Errorf("duplicates, distinct: chose %v, %d copies dropped; want 1 of the 3 topped up, 2 dropped", got, copies)
	}
}

// TestSameFaceWithin: the before-descriptor rule of a liveness login
// (Decision.SameFaceWithin at liveness's bound 0.5), on two idols 0.55–0.60
// apart: a frame of the user beyond their threshold but within the bound
// lets the login stand when nobody else is nearer; a frame nearer the
// other user does not, even when Verify reports it as TooFar first; nor
// a frame beyond the bound, nor an unknown user.
func TestSameFaceWithin(t *testing.T) {
	users := byUser(idols(t))
	a, b, da, db := pair(t, users, 0.55, 0.60)
	ab := recognition.Distance(&da, &db)
	p := decision.Policy{Base: 0.375, Min: 0.3, Max: 0.45, MinCohort: 0, Delta: 0.08}
	both := newGallery(t, []recognition.Template{{User: a, Descriptor: da}, {User: b, Descriptor: db}}, nil, p)
	alone := newGallery(t, []recognition.Template{{User: a, Descriptor: da}}, nil, p)
	at := func(dist float32) []recognition.Descriptor { return []recognition.Descriptor{between(da, db, dist/ab)} }
	const bound = 0.5
	for _, c := range []struct {
		name  string
		g     *decision.Gallery
		claim string
		frame []recognition.Descriptor
		want  bool
	}{
		{"a's frame", both, a, at(0.1), true},
		{"beyond a's threshold, a alone enrolled", alone, a, at(0.48), true},
		{"beyond the bound, a alone enrolled", alone, a, at(0.52), false},
		{"nearer b, beyond a's threshold (TooFar first)", both, a, at(0.42), false},
		{"b's frame", both, a, at(ab - 0.05), false},
		{"unknown user", both, "nobody", at(0.1), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dec := c.g.Verify(c.claim, c.frame)
			if got := dec.SameFaceWithin(bound, p.Delta); got != c.want {
				t.Fatalf("got %v (%v, distance %.3f, threshold %.3f, margin %.3f); want %v", got, dec.Reason, dec.Distance, dec.Threshold.Value, dec.Margin, c.want)
			}
		})
	}
}
