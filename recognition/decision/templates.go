package decision

import (
	"math"
	"slices"

	"facelogin/recognition"
)

// SelectDiverse chooses up to k of ds as enrolment templates that cover the
// face as widely as the frames allow, and returns their indexes in the
// order chosen. The first is the medoid (the frame with the smallest sum of
// distances to all others: a typical, usually frontal and neutral view);
// each next one is the frame farthest from all chosen so far (farthest-point
// sampling: Gonzalez, "Clustering to minimize the maximum intercluster
// distance", Theoretical Computer Science 38, 1985), which spreads the
// templates over poses and expressions instead of taking five
// near-identical frames in a row.
//
// Frames farther than maxSpread from the medoid are never chosen: at that
// distance a frame is more likely a mis-detection or another person than a
// new view (use the matching threshold; ≤ 0 disables the guard). ds are the
// descriptors of frames that already passed the quality gate. Cost: O(n²)
// distances for the medoid, fine for the tens of frames a registration
// collects.
func SelectDiverse(ds []recognition.Descriptor, k int, maxSpread float32) []int {
	n := len(ds)
	if n == 0 || k <= 0 {
		return nil
	}
	medoid, bestSum := 0, math.Inf(1)
	for i := range ds {
		var s float64
		for j := range ds {
			s += float64(recognition.Distance(&ds[i], &ds[j]))
		}
		if s < bestSum {
			medoid, bestSum = i, s
		}
	}
	// gap[i]: distance from frame i to the nearest chosen template; -1 once
	// chosen or excluded.
	gap := make([]float32, n)
	for i := range ds {
		gap[i] = recognition.Distance(&ds[i], &ds[medoid])
		if maxSpread > 0 && gap[i] > maxSpread {
			gap[i] = -1
		}
	}
	chosen := []int{medoid}
	gap[medoid] = -1
	for len(chosen) < k {
		far := -1
		for i, g := range gap {
			if g > 0 && (far < 0 || g > gap[far]) {
				far = i
			}
		}
		if far < 0 {
			break // every remaining frame is a duplicate or excluded
		}
		chosen = append(chosen, far)
		gap[far] = -1
		for i, g := range gap {
			if g > 0 {
				gap[i] = min(g, recognition.Distance(&ds[i], &ds[far]))
			}
		}
	}
	return chosen
}

// SelectCovering chooses up to k of ds as enrolment templates that cover
// the frames seen: each next template is the frame that most lowers the
// weighted sum, over all frames, of the distance from a frame to its
// nearest template (greedy k-medoids, the BUILD step of PAM: Kaufman and
// Rousseeuw, "Finding Groups in Data", Wiley 1990, ch. 2). weights[i] is
// how many frames ds[i] stands for (nil: one each). The first is the
// weighted medoid. If the frames of a login look like the frames of the
// registration, the sum is the expected distance from a login's frame to
// its nearest template, so the templates sit where the person's views are
// dense and reach every cluster of them (poses, expressions), instead of
// on the most extreme frames, as farthest-point sampling (SelectDiverse)
// puts them: measured on the shared videos, a login frame's distance to
// the nearest template fell (TestGuidedEnrolment).
//
// Frames farther than maxSpread from the medoid are neither chosen nor
// counted (≤ 0 disables the guard); a frame that would not lower the sum
// (an exact duplicate of a template) is never chosen, so fewer than k may
// come back. Indexes are returned in the order chosen. Cost: O(k·n²)
// distances, about 16,000 for the 40 candidates of a registration.
func SelectCovering(ds []recognition.Descriptor, weights []float64, k int, maxSpread float32) []int {
	n := len(ds)
	if n == 0 || k <= 0 {
		return nil
	}
	w := func(i int) float64 {
		if weights == nil {
			return 1
		}
		return weights[i]
	}
	dist := make([][]float64, n)
	for i := range ds {
		dist[i] = make([]float64, n)
		for j := range i {
			d := float64(recognition.Distance(&ds[i], &ds[j]))
			dist[i][j], dist[j][i] = d, d
		}
	}
	// near[j]: distance from frame j to its nearest template; the medoid
	// is the template that lowers the sum most from "no template" (+Inf
	// is replaced by a constant larger than any distance).
	near := make([]float64, n)
	for j := range near {
		near[j] = 4 // descriptors are unit-length-ish: distances stay below 2
	}
	counted := make([]bool, n)
	for i := range counted {
		counted[i] = true
	}
	var chosen []int
	for len(chosen) < k {
		best, gain := -1, 0.0
		for c := range ds {
			if !counted[c] {
				continue
			}
			var g float64
			for j := range ds {
				if counted[j] && dist[c][j] < near[j] {
					g += w(j) * (near[j] - dist[c][j])
				}
			}
			if g > gain+1e-9 {
				best, gain = c, g
			}
		}
		if best < 0 {
			break
		}
		if len(chosen) == 0 && maxSpread > 0 {
			for j := range ds {
				counted[j] = dist[best][j] <= float64(maxSpread)
			}
		}
		chosen = append(chosen, best)
		for j := range ds {
			near[j] = min(near[j], dist[best][j])
		}
	}
	return chosen
}

// Candidates are the frames a registration may keep as templates: every
// frame that passed the enrolment's quality gate, in whatever pose, held
// in a bounded buffer. When it reaches its limit it is thinned to half by
// SelectCovering (topped up in order), and each frame let go adds its
// weight to the nearest frame kept, so the buffer stays a weighted summary
// of every frame seen (a coreset): a view held for long counts for as
// much as it was held, a brief one is still there. Memory stays at limit
// items however long the registration runs; Choose then picks the
// templates from what is left by the same rule. The window's guided
// registration (app/guide.go) and its measurement on the shared videos
// (TestGuidedEnrolment in recognition/dlib) both use it.
type Candidates[T any] struct {
	limit  int
	spread float32
	items  []T
	ds     []recognition.Descriptor
	w      []float64 // how many frames each item stands for
}

// CandidateLimit is how many candidates a registration holds at most; in
// the window each holds its camera frame, so this bounds the memory a
// registration takes at 40 frames however long its steps run. On reaching
// it the buffer is thinned to half.
const CandidateLimit = 40

// NewCandidates holds at most limit (≥ 2) candidates; spread is
// SelectCovering's maxSpread.
func NewCandidates[T any](limit int, spread float32) *Candidates[T] {
	return &Candidates[T]{limit: max(limit, 2), spread: spread}
}

// Add takes item, whose face has descriptor d.
func (c *Candidates[T]) Add(item T, d recognition.Descriptor) {
	if len(c.items) >= c.limit {
		c.keep(c.pick(c.limit/2, c.limit/2))
	}
	c.items = append(c.items, item)
	c.ds = append(c.ds, d)
	c.w = append(c.w, 1)
}

// Len is how many candidates are held.
func (c *Candidates[T]) Len() int { return len(c.items) }

// Choose returns up to k of the candidates by SelectCovering, topped up in
// the order taken to at least atLeast (SelectCovering leaves out exact
// duplicates and frames beyond the spread).
func (c *Candidates[T]) Choose(k, atLeast int) []T {
	idx := c.pick(k, atLeast)
	out := make([]T, len(idx))
	for n, i := range idx {
		out[n] = c.items[i]
	}
	return out
}

// ChooseDistinct is Choose without near-copies: the candidates in
// SelectCovering's order (topped up to atLeast as Choose does), each
// within dup of an earlier kept one dropped (DropNearCopies, the rule
// `enrol` applies to repeated photos), then the first k of the rest.
// copies is how many it dropped. A person who never moves gives one
// template or a few, not k copies of one view.
func (c *Candidates[T]) ChooseDistinct(k, atLeast int, dup float32) (chosen []T, copies int) {
	idx := c.pick(len(c.ds), atLeast)
	ds := make([]recognition.Descriptor, len(idx))
	for n, i := range idx {
		ds[n] = c.ds[i]
	}
	keep, dropped := DropNearCopies(ds, dup)
	for _, n := range keep[:min(k, len(keep))] {
		chosen = append(chosen, c.items[idx[n]])
	}
	return chosen, len(dropped)
}

// pick is the indexes SelectCovering chooses, then the first others until
// there are atLeast.
func (c *Candidates[T]) pick(k, atLeast int) []int {
	idx := SelectCovering(c.ds, c.w, k, c.spread)
	taken := make([]bool, len(c.ds))
	for _, i := range idx {
		taken[i] = true
	}
	for i := 0; i < len(c.ds) && len(idx) < atLeast; i++ {
		if !taken[i] {
			idx, taken[i] = append(idx, i), true
		}
	}
	return idx
}

// keep keeps the candidates at idx, in the order they were taken; each
// other one adds its weight to the nearest kept.
func (c *Candidates[T]) keep(idx []int) {
	slices.Sort(idx)
	w := make([]float64, len(idx))
	for n, i := range idx {
		w[n] = c.w[i]
	}
	for i := range c.ds {
		if _, kept := slices.BinarySearch(idx, i); kept {
			continue
		}
		nearest, best := 0, float32(math.Inf(1))
		for n, j := range idx {
			if d := recognition.Distance(&c.ds[i], &c.ds[j]); d < best {
				nearest, best = n, d
			}
		}
		w[nearest] += c.w[i]
	}
	items, ds := make([]T, len(idx)), make([]recognition.Descriptor, len(idx))
	for n, i := range idx {
		items[n], ds[n] = c.items[i], c.ds[i]
	}
	c.items, c.ds, c.w = items, ds, w
}
