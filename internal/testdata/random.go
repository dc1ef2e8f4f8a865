package testdata

import (
	"fmt"
	"math/rand/v2"

	"facelogin/recognition"
)

// RandomPeople is n one-descriptor people that are no faces, for tests of
// what must refuse them: components drawn from N(0, sigma²) (seeded, the
// same every run), or every component 1e30 with huge. With sigma 0.125
// the norms (~1.41) are those of real dlib descriptors, yet the
// descriptors lie ~2.0 apart, where real different people lie 0.36–0.90.
func RandomPeople(n int, sigma float64, huge bool) []recognition.Template {
	r := rand.New(rand.NewPCG(1, 2))
	ts := make([]recognition.Template, n)
	for i := range ts {
		ts[i].User = fmt.Sprintf("p%03d", i)
		for k := range ts[i].Descriptor {
			ts[i].Descriptor[k] = float32(r.NormFloat64() * sigma)
			if huge {
				ts[i].Descriptor[k] = 1e30
			}
		}
	}
	return ts
}
