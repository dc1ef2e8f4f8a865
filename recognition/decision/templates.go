package decision

import (
	"math"

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
