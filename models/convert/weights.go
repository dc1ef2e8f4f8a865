package convert

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrWeights marks a face-api manifest or weights file that cannot be turned
// into dlib's ResNet: bad JSON, a missing, extra or misshapen tensor, or a
// weights file of the wrong length.
var ErrWeights = errors.New("bad face-api weights")

// tensorSpec is one tensor the converter needs, in the order dlib's network
// takes parameters (input side first).
type tensorSpec struct {
	name  string
	shape []int
}

// resnetSpec lists face-api's tensors in dlib's fill order: the first 7x7
// conv and its affine, the residual blocks from the input side (alevel4 to
// alevel0 in go-face's anet_type; conv1 is the strided conv of a _down block),
// then the fc_no_bias matrix.
var resnetSpec = buildSpec()

func buildSpec() []tensorSpec {
	var s []tensorSpec
	conv := func(prefix string, k, in, out int) {
		s = append(s,
			tensorSpec{prefix + "/conv/filters", []int{k, k, in, out}},
			tensorSpec{prefix + "/conv/bias", []int{out}},
			tensorSpec{prefix + "/scale/weights", []int{out}},
			tensorSpec{prefix + "/scale/biases", []int{out}},
		)
	}
	conv("conv32_down", 7, 3, 32)
	blocks := []struct {
		name    string
		in, out int
	}{
		{"conv32_1", 32, 32}, {"conv32_2", 32, 32}, {"conv32_3", 32, 32},
		{"conv64_down", 32, 64}, {"conv64_1", 64, 64}, {"conv64_2", 64, 64}, {"conv64_3", 64, 64},
		{"conv128_down", 64, 128}, {"conv128_1", 128, 128}, {"conv128_2", 128, 128},
		{"conv256_down", 128, 256}, {"conv256_1", 256, 256}, {"conv256_2", 256, 256},
		{"conv256_down_out", 256, 256},
	}
	for _, b := range blocks {
		conv(b.name+"/conv1", 3, b.in, b.out)
		conv(b.name+"/conv2", 3, b.out, b.out)
	}
	s = append(s, tensorSpec{"fc", []int{256, 128}})
	return s
}

// ParamCount is the number of float32 parameters of dlib's face ResNet.
var ParamCount = func() int {
	n := 0
	for _, t := range resnetSpec {
		n += elems(t.shape)
	}
	return n
}()

func elems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

type manifestGroup struct {
	Paths   []string         `json:"paths"`
	Weights []manifestTensor `json:"weights"`
}

type manifestTensor struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	Dtype        string        `json:"dtype"`
	Quantization *quantization `json:"quantization"`
}

type quantization struct {
	Dtype string  `json:"dtype"`
	Scale float64 `json:"scale"`
	Min   float64 `json:"min"`
}

// Params turns face-api's face_recognition_model-weights_manifest.json and
// face_recognition_model.bin into the flat parameter array dlib's ResNet is
// filled from: tensors reordered input side first, uint8 values dequantized
// (q*scale + min), conv filters transposed from TF.js HWIO to dlib's
// [out][in][row][col]. Any problem is an ErrWeights naming the tensor.
func Params(manifest, weights []byte) ([]float32, error) {
	var groups []manifestGroup
	if err := json.Unmarshal(manifest, &groups); err != nil {
		return nil, fmt.Errorf("convert: manifest is not face-api JSON: %v: %w", err, ErrWeights)
	}
	if len(groups) != 1 {
		return nil, fmt.Errorf("convert: manifest has %d weight groups, want 1: %w", len(groups), ErrWeights)
	}

	// Decode every tensor in manifest order: the .bin is their concatenation.
	decoded := make(map[string][]float32, len(resnetSpec))
	off := 0
	for _, t := range groups[0].Weights {
		want := slices.IndexFunc(resnetSpec, func(s tensorSpec) bool { return s.name == t.Name })
		if want < 0 {
			return nil, fmt.Errorf("convert: unexpected tensor %q in manifest: %w", t.Name, ErrWeights)
		}
		if _, dup := decoded[t.Name]; dup {
			return nil, fmt.Errorf("convert: tensor %q listed twice: %w", t.Name, ErrWeights)
		}
		if !slices.Equal(t.Shape, resnetSpec[want].shape) {
			return nil, fmt.Errorf("convert: tensor %q has shape %v, want %v: %w", t.Name, t.Shape, resnetSpec[want].shape, ErrWeights)
		}
		if t.Dtype != "float32" {
			return nil, fmt.Errorf("convert: tensor %q has dtype %q, want float32: %w", t.Name, t.Dtype, ErrWeights)
		}
		vals, n, err := decodeTensor(t, weights[off:])
		if err != nil {
			return nil, err
		}
		off += n
		decoded[t.Name] = vals
	}
	if off != len(weights) {
		return nil, fmt.Errorf("convert: weights file has %d bytes, manifest describes %d: %w", len(weights), off, ErrWeights)
	}

	out := make([]float32, 0, ParamCount)
	for _, s := range resnetSpec {
		vals, ok := decoded[s.name]
		if !ok {
			return nil, fmt.Errorf("convert: tensor %q missing from manifest: %w", s.name, ErrWeights)
		}
		if len(s.shape) == 4 {
			vals = hwioToOIHW(vals, s.shape)
		}
		out = append(out, vals...)
	}
	return out, nil
}

// decodeTensor reads tensor t from the start of weights and returns its
// values and the bytes it took. Values must be finite.
func decodeTensor(t manifestTensor, weights []byte) ([]float32, int, error) {
	n := elems(t.Shape)
	vals := make([]float32, n)
	var size int
	switch {
	case t.Quantization == nil:
		size = 4 * n
		if len(weights) < size {
			return nil, 0, fmt.Errorf("convert: weights end inside tensor %q (need %d more bytes): %w", t.Name, size-len(weights), ErrWeights)
		}
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(weights[4*i:]))
		}
	case t.Quantization.Dtype == "uint8":
		q := t.Quantization
		if math.IsNaN(q.Scale) || math.IsInf(q.Scale, 0) || math.IsNaN(q.Min) || math.IsInf(q.Min, 0) {
			return nil, 0, fmt.Errorf("convert: tensor %q has a non-finite quantization scale or min: %w", t.Name, ErrWeights)
		}
		size = n
		if len(weights) < size {
			return nil, 0, fmt.Errorf("convert: weights end inside tensor %q (need %d more bytes): %w", t.Name, size-len(weights), ErrWeights)
		}
		for i := range vals {
			vals[i] = float32(float64(weights[i])*q.Scale + q.Min)
		}
	default:
		return nil, 0, fmt.Errorf("convert: tensor %q uses quantization %q, only uint8 is supported: %w", t.Name, t.Quantization.Dtype, ErrWeights)
	}
	for _, v := range vals {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, 0, fmt.Errorf("convert: tensor %q holds a non-finite value: %w", t.Name, ErrWeights)
		}
	}
	return vals, size, nil
}

// hwioToOIHW reorders a TF.js conv filter [h][w][in][out] into dlib's
// [out][in][row][col]. Both frameworks correlate (no kernel flip).
func hwioToOIHW(src []float32, shape []int) []float32 {
	h, w, in, out := shape[0], shape[1], shape[2], shape[3]
	dst := make([]float32, len(src))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for i := 0; i < in; i++ {
				for o := 0; o < out; o++ {
					dst[((o*in+i)*h+y)*w+x] = src[((y*w+x)*in+i)*out+o]
				}
			}
		}
	}
	return dst
}
