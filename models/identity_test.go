package models

import (
	"path/filepath"
	"testing"

	face "github.com/Kagami/go-face"

	"facelogin/internal/testdata"
)

// TestGoFaceIdentity is go-face's own identity test (face_test.go TestIdols)
// on a directory installed offline: the converted ResNet must put the 14
// photos next to their person's references, which the ORIGINAL dlib model
// computed, under go-face's vote over the 10 nearest.
func TestGoFaceIdentity(t *testing.T) {
	dir := installed(t)
	faces := filepath.Join(testdata.Dir(t), "faces")

	rec, err := face.NewRecognizer(dir)
	if err != nil {
		t.Fatalf("go-face cannot load the installed models: %v", err)
	}
	defer rec.Close()

	// Categories as go-face's test builds them: a new one whenever idol_id changes.
	var samples []face.Descriptor
	var cats []int32
	var labels []string // "Name, Band" of each category
	prev := ""
	for _, idol := range testdata.Idols(t) {
		if idol.ID != prev {
			labels = append(labels, idol.Name+", "+idol.Band)
			prev = idol.ID
		}
		samples = append(samples, face.Descriptor(idol.Descriptor))
		cats = append(cats, int32(len(labels)-1))
	}
	rec.SetSamples(samples, cats)

	tests := []struct{ file, want string }{
		{"elkie.jpg", "Elkie, CLC"},
		{"chaeyoung.jpg", "Chaeyoung, Twice"},
		{"chaeyoung2.jpg", "Chaeyoung, Twice"},
		{"sejeong.jpg", "Sejeong, Gugudan"},
		{"jimin.jpg", "Jimin, AOA"},
		{"jimin2.jpg", "Jimin, AOA"},
		{"jimin4.jpg", "Jimin, AOA"},
		{"meiqi.jpg", "Mei Qi, WJSN"},
		{"chaeyeon.jpg", "Chaeyeon, DIA"},
		{"chaeyeon3.jpg", "Chaeyeon, DIA"},
		{"tzuyu2.jpg", "Tzuyu, Twice"},
		{"nayoung.jpg", "Nayoung, PRISTIN"},
		{"luda2.jpg", "Luda, WJSN"},
		{"joy.jpg", "Joy, Red Velvet"},
	}
	right := 0
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := rec.RecognizeSingleFile(filepath.Join(faces, tt.file))
			if err != nil || f == nil {
				t.Fatalf("no single face: %v", err)
			}
			if len(f.Shapes) != 68 {
				t.Errorf("%d landmarks, want 68", len(f.Shapes))
			}
			cat := rec.Classify(f.Descriptor)
			if cat < 0 {
				t.Fatalf("not recognised, want %s", tt.want)
			}
			if got := labels[cat]; got != tt.want {
				t.Fatalf("recognised as %s, want %s", got, tt.want)
			}
			right++
		})
	}
	t.Logf("go-face identity test: %d/%d", right, len(tests))
}
