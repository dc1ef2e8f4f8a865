package recognition_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// naive is the obviously-correct reference: every template, true distance.
func naive(ts []recognition.Template, d *recognition.Descriptor) recognition.Match {
	best := map[string]float32{}
	for i := range ts {
		dist := recognition.Distance(d, &ts[i].Descriptor)
		if cur, ok := best[ts[i].User]; !ok || dist < cur {
			best[ts[i].User] = dist
		}
	}
	inf := float32(math.Inf(1))
	m := recognition.Match{Distance: inf, SecondDistance: inf}
	for u, dist := range best {
		switch {
		case dist < m.Distance:
			m.SecondUser, m.SecondDistance = m.User, m.Distance
			m.User, m.Distance = u, dist
		case dist < m.SecondDistance:
			m.SecondUser, m.SecondDistance = u, dist
		}
	}
	return m
}

func idolTemplates(t testing.TB) []recognition.Template {
	idols := testdata.Idols(t)
	ts := make([]recognition.Template, len(idols))
	for i, idol := range idols {
		ts[i] = recognition.Template{User: idol.ID, Descriptor: idol.Descriptor}
	}
	return ts
}

func near(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-5 }

// TestMatcherAgreesWithNaive checks the pruned, parallel search against the
// plain definition on the 1,286 real dlib descriptors of idols.json: every
// descriptor is a probe against all the others (leave one out).
func TestMatcherAgreesWithNaive(t *testing.T) {
	ts := idolTemplates(t)
	if len(ts) < 1000 {
		t.Fatalf("idols.json has %d descriptors, want 1286", len(ts))
	}
	for _, n := range []int{len(ts), 60000} { // 60000 exercises the parallel path
		all := ts
		if n > len(ts) {
			all = grow(ts, n, 1)
		}
		for i := 0; i < len(ts); i += 7 {
			rest := append(append([]recognition.Template{}, all[:i]...), all[i+1:]...)
			m := recognition.NewMatcher()
			m.Replace(rest)
			got, want := m.Match(&all[i].Descriptor), naive(rest, &all[i].Descriptor)
			// idols.json holds a few identical descriptors under two names,
			// so a different user is right only on an exact tie.
			if !near(got.Distance, want.Distance) || !near(got.SecondDistance, want.SecondDistance) ||
				(got.User != want.User && got.Distance != got.SecondDistance) ||
				(got.SecondUser != want.SecondUser && got.Distance != got.SecondDistance) {
				t.Fatalf("n=%d probe %d: got %+v, want %+v", n, i, got, want)
			}
			if n > len(ts) {
				break // one probe of the large set is enough; the build is slow
			}
		}
	}
}

func TestMatcherEdits(t *testing.T) {
	ts := idolTemplates(t)[:50]
	m := recognition.NewMatcher()
	if got := m.Match(&ts[0].Descriptor); got.User != "" || got.Accepted(10) {
		t.Fatalf("empty matcher matched %+v", got)
	}
	m.Add("alice", ts[0].Descriptor, ts[1].Descriptor)
	m.Add("bob", ts[2].Descriptor)
	if got := m.Match(&ts[1].Descriptor); got.User != "alice" || got.Distance != 0 || got.SecondUser != "bob" {
		t.Fatalf("after add: %+v", got)
	}
	if !m.Match(&ts[1].Descriptor).Accepted(0.4) {
		t.Fatal("exact template not accepted")
	}
	m.Rename("alice", "carol")
	if got := m.Match(&ts[0].Descriptor); got.User != "carol" {
		t.Fatalf("after rename: %+v", got)
	}
	m.Remove("carol")
	if got := m.Match(&ts[0].Descriptor); got.User != "bob" || m.Len() != 1 || got.SecondUser != "" {
		t.Fatalf("after remove: %+v len %d", got, m.Len())
	}
	m.Add("carol", ts[3].Descriptor)
	if got := m.Match(&ts[3].Descriptor); got.User != "carol" || got.Distance != 0 {
		t.Fatalf("re-added: %+v", got)
	}
}

// TestMatcherPerUser checks the per-user queries the decision rules use
// against the plain definition on the real descriptors of idols.json.
func TestMatcherPerUser(t *testing.T) {
	ts := idolTemplates(t)
	m := recognition.NewMatcher()
	m.Replace(ts)
	own := map[string][]recognition.Descriptor{}
	for _, x := range ts {
		own[x.User] = append(own[x.User], x.Descriptor)
	}
	if m.Users() != len(own) {
		t.Fatalf("Users() = %d, want %d", m.Users(), len(own))
	}
	probe := &ts[0].Descriptor
	for user, ds := range own {
		if got := m.UserTemplates(user); len(got) != len(ds) || got[0] != ds[0] || got[len(got)-1] != ds[len(ds)-1] {
			t.Fatalf("%s: %d templates, want %d in order", user, len(got), len(ds))
		}
		want := float32(math.Inf(1))
		for i := range ds {
			want = min(want, recognition.Distance(probe, &ds[i]))
		}
		if got, ok := m.UserDistance(user, probe); !ok || !near(got, want) {
			t.Fatalf("%s: UserDistance %.5f, %v; want %.5f", user, got, ok, want)
		}
	}
	m.Remove(ts[0].User)
	if m.Users() != len(own)-1 || m.UserTemplates(ts[0].User) != nil {
		t.Fatal("removed user still has templates")
	}
	if _, ok := m.UserDistance(ts[0].User, probe); ok {
		t.Fatal("distance to a removed user")
	}
	if _, ok := m.UserDistance("nobody", probe); ok {
		t.Fatal("distance to an unknown user")
	}
}

// grow makes n templates from the real descriptors: each copy is a real
// descriptor plus Gaussian noise of the size seen between two photos of one
// person, owned by a fresh user, so the set has the density of a real
// population rather than of uniform random vectors.
func grow(ts []recognition.Template, n int, seed uint64) []recognition.Template {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]recognition.Template, n)
	for i := range out {
		src := &ts[i%len(ts)]
		out[i].User = src.User
		if i >= len(ts) {
			out[i].User = src.User + "#" + itoa(i/len(ts))
			for k := range out[i].Descriptor {
				out[i].Descriptor[k] = src.Descriptor[k] + float32(r.NormFloat64()*0.03)
			}
		} else {
			out[i].Descriptor = src.Descriptor
		}
	}
	return out
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{digits[i%10]}, b...)
	}
	return string(b)
}

// BenchmarkMatch measures one identification against n templates; it
// reports ns per template and the matcher's resident bytes per template.
func BenchmarkMatch(b *testing.B) {
	base := idolTemplates(b)
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(itoa(n), func(b *testing.B) {
			ts := grow(base, n, 2)
			probe := base[5].Descriptor
			probe[0] += 0.01
			m := recognition.NewMatcher()
			m.Replace(ts)
			ts = nil
			b.ResetTimer()
			for b.Loop() {
				m.Match(&probe)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/template")
			// Resident size: the heap with the matcher minus without it.
			var with, without runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&with)
			runtime.KeepAlive(m)
			m = nil
			runtime.GC()
			runtime.ReadMemStats(&without)
			b.ReportMetric(float64(int64(with.HeapAlloc)-int64(without.HeapAlloc))/float64(n), "B/template")
		})
	}
}
