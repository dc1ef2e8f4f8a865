package models

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	face "github.com/Kagami/go-face"
)

// TestGoFaceIdentity is go-face's own identity test (face_test.go TestIdols)
// on a directory installed offline: the converted ResNet must put the 14
// photos next to their person's references, which the ORIGINAL dlib model
// computed, under go-face's vote over the 10 nearest.
func TestGoFaceIdentity(t *testing.T) {
	dir := installed(t)
	faces := filepath.Join(testdata(t), "faces")

	rec, err := face.NewRecognizer(dir)
	if err != nil {
		t.Fatalf("go-face cannot load the installed models: %v", err)
	}
	defer rec.Close()

	raw, err := os.ReadFile(filepath.Join(faces, "idols.json"))
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		Idols []struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			BandName string `json:"band_name"`
		} `json:"idols"`
		Faces []struct {
			Descriptor string `json:"descriptor"`
			IdolID     string `json:"idol_id"`
		} `json:"faces"`
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	idols := map[string]string{}
	for _, i := range data.Idols {
		idols[i.ID] = i.Name + ", " + i.BandName
	}
	// Categories as go-face's test builds them: a new one whenever idol_id changes.
	var samples []face.Descriptor
	var cats []int32
	var labels []string
	prev := ""
	for _, f := range data.Faces {
		b, err := base64.StdEncoding.DecodeString(f.Descriptor)
		if err != nil || len(b) != 128*4 {
			t.Fatalf("bad reference descriptor: %v (%d bytes)", err, len(b))
		}
		var d face.Descriptor
		for i := range d {
			d[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		if f.IdolID != prev {
			labels = append(labels, f.IdolID)
			prev = f.IdolID
		}
		samples = append(samples, d)
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
			if got := idols[labels[cat]]; got != tt.want {
				t.Fatalf("recognised as %s, want %s", got, tt.want)
			}
			right++
		})
	}
	t.Logf("go-face identity test: %d/%d", right, len(tests))
}
