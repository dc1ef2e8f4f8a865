package convert

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParamCountMatchesDlib(t *testing.T) {
	if got := resnetParamCount(); got != ParamCount {
		t.Fatalf("go-face's anet_type has %d parameters, the tensor spec %d", got, ParamCount)
	}
}

func TestHWIOToOIHW(t *testing.T) {
	// shape h=1, w=2, in=2, out=3: src index ((y*w+x)*in+i)*out+o.
	src := make([]float32, 12)
	for i := range src {
		src[i] = float32(i)
	}
	got := hwioToOIHW(src, []int{1, 2, 2, 3})
	// dst [o][i][y][x]: o=0,i=0: x=0 -> src[0], x=1 -> src[6]; o=0,i=1: src[3], src[9]; ...
	want := []float32{0, 6, 3, 9, 1, 7, 4, 10, 2, 8, 5, 11}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("hwioToOIHW = %v, want %v", got, want)
		}
	}
}

func TestParamsRealWeights(t *testing.T) {
	m, w := faceAPIWeights(t)
	p, err := Params(m, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != ParamCount {
		t.Fatalf("got %d parameters, want %d", len(p), ParamCount)
	}
	// The first tensor is conv32_down/conv/filters [7,7,3,32] (uint8):
	// dlib's first value is filter 0, channel 0, row 0, col 0 = HWIO index 0.
	var groups []manifestGroup
	if err := json.Unmarshal(m, &groups); err != nil {
		t.Fatal(err)
	}
	q := groups[0].Weights[0].Quantization
	if want := float32(float64(w[0])*q.Scale + q.Min); p[0] != want {
		t.Errorf("first parameter %v, want %v", p[0], want)
	}
	// HWIO index of (h=0,w=1,i=0,o=0) is 3*32 = 96; in dlib it is index 1.
	if want := float32(float64(w[96])*q.Scale + q.Min); p[1] != want {
		t.Errorf("second parameter %v, want %v (transpose)", p[1], want)
	}
	// The fc matrix [256,128] is the last block, unchanged.
	last := groups[0].Weights[len(groups[0].Weights)-1]
	if last.Name != "fc" {
		t.Fatalf("last tensor %q, want fc", last.Name)
	}
	if want := float32(float64(w[len(w)-1])*last.Quantization.Scale + last.Quantization.Min); p[len(p)-1] != want {
		t.Errorf("last parameter %v, want %v", p[len(p)-1], want)
	}
}

// editManifest applies f to the decoded real manifest and re-encodes it.
func editManifest(t *testing.T, m []byte, f func([]manifestTensor) []manifestTensor) []byte {
	t.Helper()
	var groups []manifestGroup
	if err := json.Unmarshal(m, &groups); err != nil {
		t.Fatal(err)
	}
	groups[0].Weights = f(groups[0].Weights)
	b, err := json.Marshal(groups)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParamsBadInput(t *testing.T) {
	m, w := faceAPIWeights(t)
	index := func(ws []manifestTensor, name string) int {
		for i := range ws {
			if ws[i].Name == name {
				return i
			}
		}
		t.Fatalf("no tensor %q", name)
		return -1
	}
	tests := []struct {
		name     string
		manifest []byte
		weights  []byte
		want     string // must appear in the error
	}{
		{"manifest not JSON", []byte("{not json"), w, "manifest is not face-api JSON"},
		{"manifest empty", []byte("[]"), w, "0 weight groups"},
		{"manifest of another model", []byte(`[{"paths":["x.bin"],"weights":[{"name":"dense0/conv0/filters","shape":[3,3,3,32],"dtype":"float32"}]}]`), w, `unexpected tensor "dense0/conv0/filters"`},
		{"weights cut in half", m, w[:len(w)/2], "weights end inside tensor"},
		{"weights empty", m, nil, `weights end inside tensor "conv32_down/conv/filters"`},
		{"weights too long", m, append(append([]byte{}, w...), 0, 0, 0, 0), "manifest describes"},
		{"tensor missing", editManifest(t, m, func(ws []manifestTensor) []manifestTensor {
			i := index(ws, "fc")
			return append(ws[:i:i], ws[i+1:]...)
		}), w[:len(w)-256*128], `tensor "fc" missing`},
		{"tensor listed twice", editManifest(t, m, func(ws []manifestTensor) []manifestTensor {
			return append(ws, ws[0])
		}), w, `tensor "conv32_down/conv/filters" listed twice`},
		{"wrong shape", editManifest(t, m, func(ws []manifestTensor) []manifestTensor {
			ws[index(ws, "conv128_1/conv1/conv/filters")].Shape = []int{3, 3, 64, 128}
			return ws
		}), w, `tensor "conv128_1/conv1/conv/filters" has shape [3 3 64 128], want [3 3 128 128]`},
		{"unsupported quantization", editManifest(t, m, func(ws []manifestTensor) []manifestTensor {
			ws[index(ws, "fc")].Quantization.Dtype = "float16"
			return ws
		}), w, `tensor "fc" uses quantization "float16"`},
		{"wrong dtype", editManifest(t, m, func(ws []manifestTensor) []manifestTensor {
			ws[index(ws, "conv32_1/conv2/scale/weights")].Dtype = "int32"
			return ws
		}), w, `tensor "conv32_1/conv2/scale/weights" has dtype "int32"`},
		{"float tensor holds NaN", m, func() []byte {
			b := append([]byte{}, w...)
			// conv64_down/conv1/conv/filters is plain float32; find its offset.
			var groups []manifestGroup
			json.Unmarshal(m, &groups)
			off := 0
			for _, x := range groups[0].Weights {
				if x.Name == "conv64_down/conv1/conv/filters" {
					break
				}
				n := elems(x.Shape)
				if x.Quantization == nil {
					n *= 4
				}
				off += n
			}
			copy(b[off:], []byte{0, 0, 0xc0, 0x7f}) // NaN
			return b
		}(), `tensor "conv64_down/conv1/conv/filters" holds a non-finite value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Params(tt.manifest, tt.weights)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrWeights) {
				t.Errorf("error %q is not ErrWeights", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestReadTarballIntegrity(t *testing.T) {
	good := readFile(t, faceAPITarball(t))
	bad := append([]byte{}, good...)
	bad[len(bad)/2] ^= 0xff
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"published tarball", good, nil},
		{"one byte changed", bad, ErrIntegrity},
		{"cut in half", good[:len(good)/2], ErrIntegrity},
		{"empty", nil, ErrIntegrity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadTarball(writeFile(t, "face-api.tgz", tt.data))
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzParams feeds arbitrary manifests and weights to the parser: it must
// return an error or the full parameter set, never panic.
func FuzzParams(f *testing.F) {
	f.Add([]byte(`[{"paths":["a.bin"],"weights":[{"name":"fc","shape":[256,128],"dtype":"float32","quantization":{"dtype":"uint8","scale":1,"min":0}}]}]`), make([]byte, 256*128))
	f.Add([]byte(`[{"weights":[{"name":"fc","shape":[-1,128],"dtype":"float32"}]}]`), []byte{1, 2, 3})
	f.Add([]byte(`[{"weights":[{"name":"fc","shape":[65536,65536,65536,65536],"dtype":"float32"}]}]`), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, manifest, weights []byte) {
		p, err := Params(manifest, weights)
		if err == nil && len(p) != ParamCount {
			t.Fatalf("no error but %d parameters", len(p))
		}
	})
}
