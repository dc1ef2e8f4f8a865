package decision_test

import (
	"testing"

	"facelogin/recognition"
	"facelogin/recognition/decision"
)

// TestCheckOnePerson, on real descriptors (idols.json): two photos of one
// person and a copy of one pass, the copy dropped; a third person's photo
// beyond the bound is the outlier, measured from the medoid; two photos of
// two people are both outliers.
func TestCheckOnePerson(t *testing.T) {
	person, stranger := personAndStranger(t) // stranger > 0.5 from every photo of person
	a, b := -1, -1
	for i := range person {
		for j := range i {
			if d := recognition.Distance(&person[i], &person[j]); d > decision.DuplicateBound && d < 0.4 {
				a, b = j, i
			}
		}
	}
	if a < 0 {
		t.Fatal("test data: no two photos of the person 0.10–0.40 apart")
	}
	bound := decision.DefaultPolicy.Max
	ds := []recognition.Descriptor{person[a], person[b], person[a]}
	r := decision.CheckOnePerson(ds, bound, decision.DuplicateBound)
	if len(r.Outliers) != 0 || len(r.Keep) != 2 || len(r.Duplicates) != 1 || r.Duplicates[0].Index != 2 || r.Duplicates[0].Of != 0 {
		t.Errorf("one person and a copy: %+v", r)
	}
	ds = append(ds, stranger)
	r = decision.CheckOnePerson(ds, bound, decision.DuplicateBound)
	if len(r.Outliers) != 1 || r.Outliers[0].Index != 3 || r.Outliers[0].Distance <= 0.5 || r.Medoid == 3 {
		t.Errorf("a stranger among them: %+v", r)
	}
	r = decision.CheckOnePerson([]recognition.Descriptor{person[a], stranger}, bound, decision.DuplicateBound)
	if len(r.Outliers) != 2 || r.Outliers[0].Index != 0 || r.Outliers[1].Index != 1 || r.Outliers[0].Of != 1 {
		t.Errorf("two people: %+v", r)
	}
	if r := decision.CheckOnePerson(nil, bound, decision.DuplicateBound); len(r.Keep) != 0 || len(r.Outliers) != 0 {
		t.Errorf("no photos: %+v", r)
	}
}
