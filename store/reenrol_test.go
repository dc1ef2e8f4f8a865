package store

import (
	"errors"
	"testing"

	"facelogin/recognition"
)

// TestReplaceTemplatesChecked: a re-registration whose new face is within
// the threshold of ANOTHER user's template is refused, in the same
// transaction, and the user keeps the old templates; the user's own old
// templates never count against them; threshold 0 checks nothing.
func TestReplaceTemplatesChecked(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		annA, annB, dist := samePerson(t, recognition.DefaultThreshold)
		var bob recognition.Descriptor
		for _, idol := range testIdols(t) {
			if recognition.Distance(&idol.Descriptor, &annA) > 0.6 && recognition.Distance(&idol.Descriptor, &annB) > 0.6 {
				bob = idol.Descriptor
				break
			}
		}
		mustEnroll(t, s, "ann", []NewTemplate{{Descriptor: annA}})
		mustEnroll(t, s, "bob", []NewTemplate{{Descriptor: bob}})
		th := recognition.DefaultThreshold

		// bob re-enrolled with ann's face: refused, naming ann.
		err := s.Users.ReplaceTemplatesChecked(ctx, "bob", recognition.ModelID, []NewTemplate{{Descriptor: annB}}, th)
		var de *DuplicateError
		if !errors.Is(err, ErrDuplicateFace) || !errors.As(err, &de) || de.Username != "ann" || de.Distance != dist {
			t.Fatalf("bob with ann's face: %v", err)
		}
		_, ts, err := s.Templates.ForUser(ctx, "bob", recognition.ModelID)
		if err != nil || len(ts) != 1 || ts[0].Descriptor != bob {
			t.Fatalf("bob's templates after the refusal: %d, %v", len(ts), err)
		}
		// ann re-enrolled with her own new photo: her old templates do
		// not make it a duplicate.
		if err := s.Users.ReplaceTemplatesChecked(ctx, "ann", recognition.ModelID, []NewTemplate{{Descriptor: annB}}, th); err != nil {
			t.Fatalf("ann with her own new face: %v", err)
		}
		// No check: the old behaviour.
		if err := s.Users.ReplaceTemplatesChecked(ctx, "bob", recognition.ModelID, []NewTemplate{{Descriptor: annA}}, 0); err != nil {
			t.Fatalf("unchecked: %v", err)
		}
	})
}
