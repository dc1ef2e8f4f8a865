// Package testdata finds and reads the shared, read-only test material that
// lives beside the repository in ../shared/testdata (real face photos with
// labels, reference descriptors, the CNN detector model). Nothing of it is
// copied into the repository.
package testdata

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"facelogin/recognition"
)

// Dir returns the shared testdata directory. When it is missing the test is
// skipped on a developer's laptop and fails in CI (CI=true).
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := Find()
	if err != nil {
		Require(t, "shared testdata", err)
	}
	return dir
}

// Require skips (or, under CI=true, fails) a test whose dependency is
// unavailable. A skipped integration test proves nothing in CI.
func Require(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s unavailable in CI: %v", what, err)
	}
	t.Skipf("%s unavailable: %v", what, err)
}

// Find returns the shared testdata directory: $FACELOGIN_TESTDATA, else
// ../shared/testdata beside the repository root (the first directory above
// the working directory that holds go.mod). It is for tests that treat
// missing test data as a failure everywhere; most tests want Dir.
func Find() (string, error) {
	if d := os.Getenv("FACELOGIN_TESTDATA"); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			td := filepath.Join(dir, "..", "shared", "testdata")
			if _, err := os.Stat(filepath.Join(td, "faces", "labels.csv")); err != nil {
				return "", fmt.Errorf("no ../shared/testdata beside the repository: %w", err)
			}
			return filepath.Clean(td), nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}

// Photo is one row of faces/labels.csv.
type Photo struct {
	File   string // absolute path
	Person string // "" for group photos
	Faces  int    // expected face count; 1 unless the CSV says otherwise
}

// Photos reads faces/labels.csv.
func Photos(t testing.TB) []Photo {
	t.Helper()
	dir := Dir(t)
	f, err := os.Open(filepath.Join(dir, "faces", "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []Photo
	for _, r := range rows[1:] {
		p := Photo{File: filepath.Join(dir, "faces", r[0]), Person: r[1], Faces: 1}
		if r[2] != "" {
			if p.Faces, err = strconv.Atoi(r[2]); err != nil {
				t.Fatalf("labels.csv: %v", err)
			}
		}
		out = append(out, p)
	}
	return out
}

// LFW reads lfw/labels.csv: 4 photos each of 122 people from Labeled Faces
// in the Wild (250×250, taken on different occasions), a population unlike
// the lookalike portraits of faces/.
func LFW(t testing.TB) []Photo {
	t.Helper()
	dir := Dir(t)
	f, err := os.Open(filepath.Join(dir, "lfw", "labels.csv"))
	if err != nil {
		t.Fatalf("lfw: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("lfw/labels.csv: %v", err)
	}
	if len(rows) < 2 {
		t.Fatal("lfw/labels.csv: no photos")
	}
	out := make([]Photo, 0, len(rows)-1)
	for _, r := range rows[1:] {
		out = append(out, Photo{File: filepath.Join(dir, "lfw", r[0]), Person: r[1], Faces: 1})
	}
	return out
}

// Videos lists the shared test videos, video/*.mp4: seven people talking
// to the camera (480–512 px square, 25–30 fps).
func Videos(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(Dir(t), "video", "*.mp4"))
	if err == nil && len(paths) == 0 {
		err = fmt.Errorf("no video/*.mp4 in %s", Dir(t))
	}
	if err != nil {
		Require(t, "test videos", err)
	}
	return paths
}

// Idol is a reference descriptor made by the original dlib model.
type Idol struct {
	ID, Name, Band string
	Descriptor     recognition.Descriptor
}

// Idols reads faces/idols.json: 1,286 descriptors of 552 people.
func Idols(t testing.TB) []Idol {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(Dir(t), "faces", "idols.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
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
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("idols.json: %v", err)
	}
	byID := map[string]int{}
	for i, idol := range doc.Idols {
		byID[idol.ID] = i
	}
	out := make([]Idol, 0, len(doc.Faces))
	for _, f := range doc.Faces {
		b, err := base64.StdEncoding.DecodeString(f.Descriptor)
		if err != nil || len(b) != 4*recognition.DescriptorLen {
			t.Fatalf("idols.json: bad descriptor for %s (%d bytes, %v)", f.IdolID, len(b), err)
		}
		i, ok := byID[f.IdolID]
		if !ok {
			t.Fatalf("idols.json: unknown idol %q", f.IdolID)
		}
		var d recognition.Descriptor
		for k := range d {
			d[k] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*k:]))
		}
		out = append(out, Idol{ID: f.IdolID, Name: doc.Idols[i].Name, Band: doc.Idols[i].BandName, Descriptor: d})
	}
	return out
}

// CNNDetector is the path of dlib's CNN face detector,
// models/mmod_human_face_detector.dat in the shared testdata. A test fails
// when the file is missing though the testdata directory is there.
func CNNDetector(t testing.TB) string {
	t.Helper()
	p := filepath.Join(Dir(t), "models", recognition.CNNDetectorFile)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("CNN detector model: %v", err)
	}
	return p
}

// ModelsDir is where `make models` installed the three dlib models:
// $FACELOGIN_MODELS, else the default ~/.local/share/facelogin/models. When
// a file is missing the test skips on a laptop and fails in CI.
func ModelsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("FACELOGIN_MODELS")
	if dir == "" {
		data := os.Getenv("XDG_DATA_HOME")
		if data == "" {
			home, _ := os.UserHomeDir()
			data = filepath.Join(home, ".local", "share")
		}
		dir = filepath.Join(data, "facelogin", "models")
	}
	for _, f := range recognition.ModelFiles() {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			Require(t, "models (run `make models`)", err)
		}
	}
	return dir
}
