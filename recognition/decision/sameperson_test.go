package decision_test

import (
	"maps"
	"math"
	"slices"
	"testing"

	"facelogin/recognition"
	"facelogin/recognition/decision"
)

// pairCounts counts the pairs of descriptors of one person (same) and of
// two people (diff), and of each how many lie within bound.
type pairCounts struct{ same, sameIn, diff, diffIn int }

func countPairs(users map[string][]recognition.Descriptor, bound float32) pairCounts {
	var c pairCounts
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	for i, u := range names {
		for j, v := range names[i:] {
			for a, x := range users[u] {
				for b, y := range users[v] {
					if j == 0 && b <= a {
						continue
					}
					in := recognition.Distance(&x, &y) <= bound
					switch {
					case j == 0:
						c.same++
						c.sameIn += b2i(in)
					default:
						c.diff++
						c.diffIn += b2i(in)
					}
				}
			}
		}
	}
	return c
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSamePersonBound measures the duplicate check's bound (Policy.
// SamePerson, 0.45 by default) on the shared reference descriptors
// (idols.json: 1,286 descriptors of 134 people, a population of
// lookalikes) and checks the figures README "Names and duplicate faces"
// states: how many same-person and different-person pairs lie within it
// and within the login threshold, how often a new user's photo lies
// within reach of another enrolled person, and what identification does with two
// accounts of one person 0.375–0.45 apart (the tester's bona/bona2 case)
// when a third photo of that person logs in.
func TestSamePersonBound(t *testing.T) {
	users := byUser(idols(t))
	p := decision.DefaultPolicy
	bound := p.SamePerson(recognition.DefaultThreshold)
	if bound != p.Max || p.SamePerson(0.5) != 0.5 {
		t.Fatalf("SamePerson(%.3f) = %.3f, SamePerson(0.5) = %.3f: want Max %.3f and a Base above Max", recognition.DefaultThreshold, bound, p.SamePerson(0.5), p.Max)
	}
	login := countPairs(users, recognition.DefaultThreshold)
	within := countPairs(users, bound)
	t.Logf("same-person pairs %d: within %.3f %d (%.1f%%), within %.3f %d (%.1f%%)", within.same,
		bound, within.sameIn, pct(within.sameIn, within.same), recognition.DefaultThreshold, login.sameIn, pct(login.sameIn, login.same))
	t.Logf("different-person pairs %d: within %.3f %d (%.1f%%), within %.3f %d (%.1f%%)", within.diff,
		bound, within.diffIn, pct(within.diffIn, within.diff), recognition.DefaultThreshold, login.diffIn, pct(login.diffIn, login.diff))
	want := [4]int{5614, 4454, 820641, 188046}
	got := [4]int{within.same, within.sameIn, within.diff, within.diffIn}
	if got != want || login.sameIn != 2310 || login.diffIn != 16955 {
		t.Errorf("pairs (same, same within %.3f, different, different within): %v, want %v; within %.3f: %d same, %d different, want 2310, 16955 (README, \"Names and duplicate faces\")",
			bound, got, want, recognition.DefaultThreshold, login.sameIn, login.diffIn)
	}

	// A new user (one photo) against each other enrolled person (all
	// their photos as templates): how often the check refuses them.
	names := slices.Sorted(maps.Keys(users))
	near := map[float32]int{}
	for _, u := range names {
		x := users[u][0]
		for _, v := range names {
			if v != u {
				d := nearestTo(x, users[v])
				near[recognition.DefaultThreshold] += b2i(d <= recognition.DefaultThreshold)
				near[bound] += b2i(d <= bound)
			}
		}
	}
	others := len(names) * (len(names) - 1)
	t.Logf("a new user's first photo within reach of another person's templates: %d/%d (%.1f%%) at %.3f, %d (%.1f%%) at %.3f",
		near[bound], others, pct(near[bound], others), bound, near[recognition.DefaultThreshold], pct(near[recognition.DefaultThreshold], others), recognition.DefaultThreshold)
	if near[bound] != 11173 || near[recognition.DefaultThreshold] != 2124 || others != 17822 {
		t.Errorf("new user near another person: %d, %d of %d, want 11173, 2124 of 17822 (README)", near[bound], near[recognition.DefaultThreshold], others)
	}

	// Two accounts of one person between the login threshold and the
	// bound lower each other's threshold to Min; a third photo of them is
	// mostly refused (too far or ambiguous), rarely named.
	outcome := map[decision.Reason]int{}
	for _, ds := range users {
		for a := range ds {
			for b := a + 1; b < len(ds); b++ {
				if d := recognition.Distance(&ds[a], &ds[b]); d <= recognition.DefaultThreshold || d > bound {
					continue
				}
				g := newGallery(t, []recognition.Template{{User: "first", Descriptor: ds[a]}, {User: "second", Descriptor: ds[b]}}, nil, p)
				for c := range ds {
					if c != a && c != b {
						outcome[g.Identify(ds[c:c+1]).Reason]++
					}
				}
			}
		}
	}
	total := outcome[decision.Accepted] + outcome[decision.TooFar] + outcome[decision.Ambiguous]
	t.Logf("third photo against two accounts %.3f–%.3f apart: %d logins, named %d (%.1f%%), too far %d (%.1f%%), ambiguous %d (%.1f%%)",
		recognition.DefaultThreshold, bound, total, outcome[decision.Accepted], pct(outcome[decision.Accepted], total),
		outcome[decision.TooFar], pct(outcome[decision.TooFar], total), outcome[decision.Ambiguous], pct(outcome[decision.Ambiguous], total))
	if total != 17188 || outcome[decision.Accepted] != 2728 || outcome[decision.Ambiguous] != 3340 {
		t.Errorf("third-photo logins %d, named %d, ambiguous %d: want 17188, 2728, 3340 (README, \"Names and duplicate faces\")",
			total, outcome[decision.Accepted], outcome[decision.Ambiguous])
	}
}

func nearestTo(x recognition.Descriptor, ds []recognition.Descriptor) float32 {
	best := float32(math.Inf(1))
	for i := range ds {
		best = min(best, recognition.Distance(&x, &ds[i]))
	}
	return best
}

func pct(n, of int) float64 { return 100 * float64(n) / float64(of) }
