package decision

import (
	"errors"
	"slices"

	"facelogin/recognition"
)

// DuplicateBound is the distance under which two enrolment templates are
// near-copies of one view (the same photo, or the same photo re-encoded:
// JPEG and quantisation move a descriptor by ~0.04): the second adds
// nothing to the first and is dropped. It is DefaultAdaptPolicy.Lower, the
// distance under which an adaptive template adds nothing either.
var DuplicateBound = DefaultAdaptPolicy.Lower

// OnePerson is what CheckOnePerson found in the descriptors of one
// enrolment's photos.
type OnePerson struct {
	// Medoid is the index of the photo with the smallest sum of distances
	// to the others: the photo most like the rest, which the others are
	// measured from.
	Medoid int
	// Outliers are the photos farther than the same-person bound from the
	// medoid, with their distance to it (in the order of the photos).
	Outliers []Outlier
	// Keep are the indexes of the photos to store: every photo but the
	// near-duplicates, in order.
	Keep []int
	// Duplicates are the photos dropped as near-copies of a kept one.
	Duplicates []Outlier
}

// Outlier is one photo of an enrolment and its distance to another one
// (Of): the medoid for an outlier, the kept photo it copies for a
// duplicate.
type Outlier struct {
	Index, Of int
	Distance  float32
}

// CheckOnePerson checks that the descriptors ds of one enrolment's photos
// show one person: every photo lies within bound of the medoid (the photo
// with the smallest sum of distances to the others, as SelectCovering
// starts from), and photos within dup of an earlier kept photo are
// near-copies to drop. With two photos farther apart than bound, both are
// outliers (neither is more typical than the other). The bound an
// enrolment uses is DefaultPolicy.Max, the largest acceptance distance any
// user gets (and SelectCovering's spread in the window's registration): a
// photo beyond it from the others would not be accepted as them at login.
func CheckOnePerson(ds []recognition.Descriptor, bound, dup float32) OnePerson {
	var r OnePerson
	if len(ds) == 0 {
		return r
	}
	best := float32(-1)
	for i := range ds {
		var s float32
		for j := range ds {
			s += recognition.Distance(&ds[i], &ds[j])
		}
		if best < 0 || s < best {
			r.Medoid, best = i, s
		}
	}
	for i := range ds {
		if d := recognition.Distance(&ds[i], &ds[r.Medoid]); d > bound {
			r.Outliers = append(r.Outliers, Outlier{Index: i, Of: r.Medoid, Distance: d})
		}
	}
	if len(ds) == 2 && len(r.Outliers) == 1 {
		r.Outliers = slices.Insert(r.Outliers, 0, Outlier{Index: r.Medoid, Of: r.Outliers[0].Index, Distance: r.Outliers[0].Distance})
		slices.SortFunc(r.Outliers, func(a, b Outlier) int { return a.Index - b.Index })
	}
	r.Keep, r.Duplicates = DropNearCopies(ds, dup)
	return r
}

// DropNearCopies goes through ds in order and keeps each descriptor that
// is not within dup (DuplicateBound) of an earlier kept one: keep are the
// indexes kept, copies the ones dropped with the kept one each copies.
// `enrol` drops repeated photos by it, and the window's guided
// registration its near-identical frames.
func DropNearCopies(ds []recognition.Descriptor, dup float32) (keep []int, copies []Outlier) {
	for i := range ds {
		copyOf := -1
		for _, k := range keep {
			if d := recognition.Distance(&ds[i], &ds[k]); d < dup {
				copyOf = k
				copies = append(copies, Outlier{Index: i, Of: k, Distance: d})
				break
			}
		}
		if copyOf < 0 {
			keep = append(keep, i)
		}
	}
	return keep, copies
}

// ErrNotOnePerson: the photos of one enrolment show more than one person.
var ErrNotOnePerson = errors.New("decision: the photos do not show one person")
