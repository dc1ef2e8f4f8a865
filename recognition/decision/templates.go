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

// Candidates are the frames a registration may keep as templates: every
// frame that passed the enrolment's quality gate, in whatever pose, held
// in a bounded buffer. When it reaches its limit it is thinned to half by
// the same farthest-point sampling (SelectDiverse, topped up in order),
// so memory stays at limit items while the kept ones still span the views
// seen; Choose then picks the templates from what is left. The window's
// guided registration (app/guide.go) and its measurement on the shared
// videos (TestGuidedEnrolment in recognition/dlib) both use it.
type Candidates[T any] struct {
	limit  int
	spread float32
	items  []T
	ds     []recognition.Descriptor
}

// CandidateLimit is how many candidates a registration holds at most; in
// the window each holds its camera frame, so this bounds the memory a
// registration takes at 40 frames however long its steps run. On reaching
// it the buffer is thinned to half.
const CandidateLimit = 40

// NewCandidates holds at most limit (≥ 2) candidates; spread is
// SelectDiverse's maxSpread.
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
}

// Len is how many candidates are held.
func (c *Candidates[T]) Len() int { return len(c.items) }

// Choose returns up to k of the candidates by SelectDiverse, topped up in
// the order taken to at least atLeast (SelectDiverse leaves out exact
// duplicates and frames beyond the spread).
func (c *Candidates[T]) Choose(k, atLeast int) []T {
	idx := c.pick(k, atLeast)
	out := make([]T, len(idx))
	for n, i := range idx {
		out[n] = c.items[i]
	}
	return out
}

// pick is the indexes SelectDiverse chooses, then the first others until
// there are atLeast.
func (c *Candidates[T]) pick(k, atLeast int) []int {
	idx := SelectDiverse(c.ds, k, c.spread)
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

// keep keeps the candidates at idx, in the order they were taken.
func (c *Candidates[T]) keep(idx []int) {
	slices.Sort(idx)
	items, ds := make([]T, len(idx)), make([]recognition.Descriptor, len(idx))
	for n, i := range idx {
		items[n], ds[n] = c.items[i], c.ds[i]
	}
	c.items, c.ds = items, ds
}
