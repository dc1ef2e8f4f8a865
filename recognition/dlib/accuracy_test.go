package dlib_test

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// The operating point's error rates on ../shared/testdata/faces, as the
// README states them. The test fails if the engine or the threshold drift
// beyond them.
const (
	statedFAR = 0.0  // different-person pairs accepted at recognition.DefaultThreshold
	statedFRR = 0.15 // same-person pairs rejected at recognition.DefaultThreshold
)

type pair struct {
	a, b string
	same bool
	dist float32
}

func describeAll(t *testing.T) map[string]recognition.Descriptor {
	e := engine(t)
	out := map[string]recognition.Descriptor{}
	for _, p := range testdata.Photos(t) {
		if p.Faces != 1 {
			continue
		}
		faces, err := e.Recognize(load(t, p.File))
		if err != nil || len(faces) != 1 {
			t.Fatalf("%s: %d faces, %v", p.File, len(faces), err)
		}
		out[filepath.Base(p.File)] = faces[0].Descriptor
	}
	return out
}

// TestOperatingPoint computes the same/different-person distance table over
// every single-face photo and checks the default threshold's FAR and FRR.
// Run with -v to print the FAR/FRR table the README quotes.
func TestOperatingPoint(t *testing.T) {
	desc := describeAll(t)
	person := map[string]string{}
	for _, p := range testdata.Photos(t) {
		person[filepath.Base(p.File)] = p.Person
	}
	var names []string
	for n := range desc {
		names = append(names, n)
	}
	sort.Strings(names)
	var pairs []pair
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			a, b := desc[names[i]], desc[names[j]]
			pairs = append(pairs, pair{names[i], names[j], person[names[i]] == person[names[j]], recognition.Distance(&a, &b)})
		}
	}
	far, frr, nSame, nDiff := rates(pairs, recognition.DefaultThreshold)
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "%d photos, %d same-person pairs, %d different-person pairs\n", len(names), nSame, nDiff)
	fmt.Fprintf(&tbl, "| threshold | FAR (different accepted) | FRR (same rejected) |\n|---|---|---|\n")
	for th := float32(0.35); th < 0.651; th += 0.025 {
		fa, fr, _, _ := rates(pairs, th)
		fmt.Fprintf(&tbl, "| %.3f | %.1f%% (%d/%d) | %.1f%% (%d/%d) |\n", th, 100*fa, int(fa*float64(nDiff)+0.5), nDiff, 100*fr, int(fr*float64(nSame)+0.5), nSame)
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].dist < pairs[j].dist })
	var maxSame, minDiff pair
	minDiff.dist = 10
	for _, p := range pairs {
		if p.same && p.dist > maxSame.dist {
			maxSame = p
		}
		if !p.same && p.dist < minDiff.dist {
			minDiff = p
		}
	}
	fmt.Fprintf(&tbl, "largest same-person distance %.3f (%s, %s); smallest different-person distance %.3f (%s, %s)\n",
		maxSame.dist, maxSame.a, maxSame.b, minDiff.dist, minDiff.a, minDiff.b)
	t.Log("\n" + tbl.String())
	if nSame < 25 || nDiff < 400 {
		t.Fatalf("only %d same and %d different pairs: photos missing", nSame, nDiff)
	}
	if far > statedFAR || frr > statedFRR {
		t.Fatalf("at threshold %.3f: FAR %.3f (stated %.3f), FRR %.3f (stated %.3f)",
			recognition.DefaultThreshold, far, statedFAR, frr, statedFRR)
	}
}

func rates(pairs []pair, th float32) (far, frr float64, nSame, nDiff int) {
	var fa, fr int
	for _, p := range pairs {
		if p.same {
			nSame++
			if p.dist > th {
				fr++
			}
		} else {
			nDiff++
			if p.dist <= th {
				fa++
			}
		}
	}
	return float64(fa) / float64(nDiff), float64(fr) / float64(nSame), nSame, nDiff
}
