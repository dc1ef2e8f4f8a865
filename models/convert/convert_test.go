package convert

import (
	"errors"
	"io/fs"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"encoding/json"

	"facelogin/internal/testdata"
)

func TestConvertReproducesProbeReference(t *testing.T) {
	m, w := faceAPIWeights(t)
	out := filepath.Join(t.TempDir(), "dlib_face_recognition_resnet_model_v1.dat")
	start := time.Now()
	if err := Convert(m, w, out); err != nil {
		t.Fatal(err)
	}
	t.Logf("conversion (parse, build, serialize, probe): %v", time.Since(start))
	d, err := Probe(out)
	if err != nil {
		t.Fatal(err)
	}
	// Same weights, same code: only BLAS rounding may differ.
	if dist := ProbeDistance(&d); dist > 1e-4 {
		t.Errorf("probe distance %g from the committed reference; if the converter changed on purpose, update ProbeReference to %#v", dist, d)
	}
	if h, err := SniffFile(out); err != nil || h.Kind != KindResNet {
		t.Errorf("converted file sniffs as %v, %v", h, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// TestProbeToleranceCoversQuantisation measures the justification of
// ProbeTolerance: dlib's original float weights differ from face-api's by
// up to half a uint8 quantisation step. Moving every weight by such noise
// must stay well inside the tolerance.
func TestProbeToleranceCoversQuantisation(t *testing.T) {
	m, w := faceAPIWeights(t)
	var groups []manifestGroup
	if err := json.Unmarshal(m, &groups); err != nil {
		t.Fatal(err)
	}
	scale := map[string]float64{}
	for _, x := range groups[0].Weights {
		if x.Quantization != nil {
			scale[x.Name] = x.Quantization.Scale
		}
	}
	base, err := Params(m, w)
	if err != nil {
		t.Fatal(err)
	}
	for seed := int64(1); seed <= 2; seed++ {
		r := rand.New(rand.NewSource(seed))
		p := append([]float32{}, base...)
		off := 0
		for _, s := range resnetSpec {
			n := elems(s.shape)
			for i := off; i < off+n; i++ {
				p[i] += float32((r.Float64() - 0.5) * scale[s.name])
			}
			off += n
		}
		out := filepath.Join(t.TempDir(), "noisy.dat")
		if err := build(p, out); err != nil {
			t.Fatal(err)
		}
		d, err := Probe(out)
		if err != nil {
			t.Fatal(err)
		}
		dist := ProbeDistance(&d)
		t.Logf("seed %d: quantisation-sized noise moves the probe by %.4f (tolerance %.2f)", seed, dist, ProbeTolerance)
		if dist > ProbeTolerance/2 {
			t.Errorf("quantisation-sized noise moves the probe by %.4f, more than half the tolerance", dist)
		}
	}
}

func TestProbeRejectsWrongWeights(t *testing.T) {
	m, w := faceAPIWeights(t)
	p, err := Params(m, w)
	if err != nil {
		t.Fatal(err)
	}
	// A network of the right shape with other weights: swap the first two
	// residual blocks' convolutions (same shapes, plausible values).
	start, n := 0, 0
	for _, s := range resnetSpec {
		if s.name == "conv32_1/conv1/conv/filters" {
			n = elems(s.shape)
			break
		}
		start += elems(s.shape)
	}
	other := start + 4*32 + n + 3*32 // conv32_1/conv2/conv/filters
	for i := 0; i < n; i++ {
		p[start+i], p[other+i] = p[other+i], p[start+i]
	}
	out := filepath.Join(t.TempDir(), "dlib_face_recognition_resnet_model_v1.dat")
	if err := build(p, out); err != nil {
		t.Fatal(err)
	}
	d, err := Probe(out)
	if !errors.Is(err, ErrWrongOutput) {
		t.Fatalf("probe of a wrong network: %v, want ErrWrongOutput", err)
	}
	t.Logf("wrong network: probe distance %.3f; error: %v", ProbeDistance(&d), err)
	if !strings.Contains(err.Error(), "computes wrong descriptors") {
		t.Errorf("error %q not in plain words", err)
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name      string
		head      []byte
		want      Kind
		landmarks int
	}{
		{"68-point predictor", readFile(t, landmarks68(t))[:64], KindShapePredictor, 68},
		{"5-point predictor header", []byte{0x01, 0x01, 0x81, 0x0a, 0x81, 0x01, 0x03}, KindShapePredictor, 5},
		{"CNN detector", readFile(t, testdata.CNNDetector(t))[:64], KindCNNDetector, 0},
		{"ResNet", readFile(t, convertedResNet(t))[:64], KindResNet, 0},
		{"bzip2", []byte("BZh91AY&SY"), KindBzip2, 0},
		{"gzip", []byte{0x1f, 0x8b, 8, 0}, KindGzip, 0},
		{"empty", nil, KindEmpty, 0},
		{"JPEG", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F'}, KindUnknown, 0},
		{"text", []byte("hello world"), KindUnknown, 0},
		{"one byte", []byte{1}, KindUnknown, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Sniff(tt.head)
			if h.Kind != tt.want || h.Landmarks != tt.landmarks {
				t.Fatalf("Sniff = %+v, want kind %v, %d landmarks", h, tt.want, tt.landmarks)
			}
		})
	}
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte{0x01, 0x01, 0x81, 0x88, 0x81, 0x01})
	f.Add([]byte("\x01\x01\x01\x0dloss_metric_2"))
	f.Add([]byte{0x0f, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		h := Sniff(b)
		if h.Landmarks < 0 {
			t.Fatalf("negative landmarks %d", h.Landmarks)
		}
	})
}

// TestModelChecks runs each loader on good and bad files: each bad file is a
// distinct sentinel, a plain-words message, and no crash.
func TestModelChecks(t *testing.T) {
	resnet := readFile(t, convertedResNet(t))
	lm := readFile(t, landmarks68(t))
	cnn := readFile(t, testdata.CNNDetector(t))
	random := make([]byte, 1<<16)
	rand.New(rand.NewSource(1)).Read(random)

	type check struct {
		name string
		run  func(string) error
		good []byte
	}
	checks := []check{
		{"landmarks", func(p string) error {
			n, err := Landmarks(p)
			if err == nil && n != 68 {
				t.Errorf("Landmarks = %d, want 68", n)
			}
			return err
		}, lm},
		{"resnet", func(p string) error { _, err := Probe(p); return err }, resnet},
		{"cnn", CheckCNNDetector, cnn},
	}
	others := map[string][]byte{"landmarks": lm, "resnet": resnet, "cnn": cnn}

	for _, c := range checks {
		variants := []struct {
			name  string
			data  []byte // nil: no file
			want  error  // nil: must pass
			words string
		}{
			{"good", c.good, nil, ""},
			{"missing", nil, fs.ErrNotExist, "missing"},
			{"empty", []byte{}, ErrTruncated, "truncated or damaged"},
			{"cut in half", c.good[:len(c.good)/2], ErrTruncated, "truncated or damaged"},
			{"cut after header", c.good[:100], ErrTruncated, "truncated or damaged"},
			{"last byte missing", c.good[:len(c.good)-1], ErrTruncated, "truncated or damaged"},
			{"random bytes", random, ErrNotModel, "not a dlib model"},
			{"bzip2", append([]byte("BZh91AY&SY"), random[:100]...), ErrCompressed, "compressed"},
		}
		for name, b := range others {
			if name != c.name {
				variants = append(variants, struct {
					name  string
					data  []byte
					want  error
					words string
				}{"wrong model " + name, b, ErrWrongModel, "wrong model"})
			}
		}
		for _, v := range variants {
			t.Run(c.name+"/"+v.name, func(t *testing.T) {
				p := filepath.Join(t.TempDir(), "model.dat")
				if v.data != nil {
					if err := os.WriteFile(p, v.data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				err := c.run(p)
				if v.want == nil {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				if !errors.Is(err, v.want) {
					t.Fatalf("error %v, want %v", err, v.want)
				}
				msg := err.Error()
				if !strings.Contains(msg, v.words) || strings.ContainsAny(msg, "\n") ||
					strings.Contains(msg, "dlib::") || strings.Contains(msg, "ERROR") {
					t.Errorf("error %q is not plain words saying %q", msg, v.words)
				}
				var me *ModelError
				if !errors.As(err, &me) || me.Path != p {
					t.Errorf("error %v does not name the file", err)
				}
			})
		}
	}
}

func TestDescribeChipSize(t *testing.T) {
	if _, err := Describe(convertedResNet(t), make([]byte, 10)); err == nil {
		t.Fatal("no error for a 10-byte chip")
	}
}

func TestProbeChipDeterministic(t *testing.T) {
	a, b := ProbeChip(), ProbeChip()
	if string(a) != string(b) || len(a) != ChipSize*ChipSize*3 {
		t.Fatal("ProbeChip is not deterministic")
	}
	var sum float64
	for _, v := range a {
		sum += float64(v)
	}
	if mean := sum / float64(len(a)); math.Abs(mean-128) > 60 {
		t.Errorf("chip mean %.1f: too dark or bright to be a useful probe", mean)
	}
}
