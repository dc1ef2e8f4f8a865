package convert

import (
	"fmt"

	"facelogin/recognition"
)

// ChipSize is the side of the aligned face chip dlib's ResNet takes.
const ChipSize = 150

// ProbeTolerance is the largest distance from ProbeReference a right model
// may have. The converted model gives ~0 (same weights, BLAS rounding only);
// dlib's original float model differs from it by the uint8 quantisation of
// face-api's weights: simulating it (every uint8 weight moved by up to half a
// quantisation step) moves the probe descriptor by 0.04-0.05, so 0.2 leaves
// a wide margin. A wrong network is far beyond it.
const ProbeTolerance = 0.2

// ProbeReference is the descriptor of ProbeChip computed by the ResNet
// converted from @vladmandic/face-api@1.7.15. It must be recomputed (see
// TestProbeReference) if the converter or the weights change.
var ProbeReference = recognition.Descriptor{
	-0.10149716, 0.028946105, 0.13022006, -0.037086792, -0.095881075, -0.09047664, -0.0665436, -0.08215404,
	0.09180239, -0.12460821, 0.12873133, -0.0317287, -0.17118627, 0.08250445, -0.038322315, 0.15652275,
	-0.103580505, -0.061332628, -0.14631926, -0.03469454, 0.0011220993, 0.03094528, -0.011495429, 0.028408594,
	-0.08039219, -0.25619164, -0.13369897, -0.0354985, -0.041860923, -0.0072103674, -0.015490214, 0.064467765,
	-0.14720024, -0.0191876, 0.022380315, 0.002251247, -0.06850494, -0.07243833, 0.18599218, 0.01866685,
	-0.24656333, 0.034250483, 0.09279221, 0.25295526, 0.2220889, 0.044806443, 0.046779905, -0.10631601,
	0.08063282, -0.327189, 0.09058414, 0.11240429, 0.06345294, 0.08042057, 0.08810572, -0.16286702,
	0.024976354, 0.086988136, -0.12089995, 0.0840722, 0.09803255, -0.055451818, -0.04086514, -0.11484352,
	0.24719256, 0.16389816, -0.13366279, -0.16751589, 0.1990917, -0.1638299, -0.06086238, 0.07977761,
	-0.11061337, -0.19430071, -0.2882704, 0.044466436, 0.41634482, 0.18182789, -0.14862859, 0.04028327,
	-0.14153609, -0.047411982, 0.016972365, 0.11153168, -0.04163982, -0.015137826, 0.0055686277, 0.02335105,
	0.26192972, -0.055078637, -0.0035062802, 0.25473893, 0.048174396, -0.06436391, -0.049767617, 0.0044632107,
	-0.08853348, -0.024286194, -0.16542552, -0.022569215, 0.03346006, -0.041965127, 0.029016422, 0.16461791,
	-0.2471473, 0.21381311, -0.04045045, -0.040973116, 0.02395922, 0.01732691, -0.11494548, -0.011163534,
	0.1629314, -0.20416188, 0.14228812, 0.14671028, 0.102876306, 0.09447898, 0.08725329, 0.10024335,
	0.032307647, 0.0027984786, -0.19716282, -0.03293391, 0.09037757, -0.033959404, 0.0029205596, 0.10084374,
}

// ProbeChip draws a deterministic synthetic 150x150 face-like chip (a skin
// ellipse with eyes and mouth on a gradient) with integer arithmetic only, so
// it is the same bytes on every machine.
func ProbeChip() []byte {
	rgb := make([]byte, ChipSize*ChipSize*3)
	inEllipse := func(x, y, cx, cy, rx, ry int) bool {
		dx, dy := x-cx, y-cy
		return dx*dx*ry*ry+dy*dy*rx*rx <= rx*rx*ry*ry
	}
	for y := 0; y < ChipSize; y++ {
		for x := 0; x < ChipSize; x++ {
			r, g, b := 60+x/2, 70+y/3, 90+(x+y)/4 // background gradient
			switch {
			case inEllipse(x, y, 52, 66, 9, 5) || inEllipse(x, y, 98, 66, 9, 5): // eyes
				r, g, b = 40, 30, 25
			case inEllipse(x, y, 52, 56, 14, 3) || inEllipse(x, y, 98, 56, 14, 3): // brows
				r, g, b = 70, 50, 40
			case inEllipse(x, y, 75, 114, 20, 6): // mouth
				r, g, b = 150, 70, 70
			case inEllipse(x, y, 75, 92, 6, 12): // nose, a little darker
				r, g, b = 190-(y-80), 145-(y-80), 120-(y-80)
			case inEllipse(x, y, 75, 82, 52, 66): // skin, shaded left to right
				r, g, b = 215-x/6, 170-x/8, 140-x/8
			}
			i := (y*ChipSize + x) * 3
			rgb[i], rgb[i+1], rgb[i+2] = byte(r), byte(g), byte(b)
		}
	}
	return rgb
}

// Probe loads the ResNet in resnetPath with dlib and returns its descriptor
// of ProbeChip. A descriptor farther than ProbeTolerance from ProbeReference
// is an ErrWrongOutput: the file is a network of the right shape with the
// wrong weights.
func Probe(resnetPath string) (recognition.Descriptor, error) {
	d, err := Describe(resnetPath, ProbeChip())
	if err != nil {
		return d, err
	}
	if dist := ProbeDistance(&d); dist > ProbeTolerance {
		return d, &ModelError{Path: resnetPath, Want: KindResNet, Got: Header{Kind: KindResNet},
			Err: fmt.Errorf("probe distance %.3f > %.3f: %w", dist, ProbeTolerance, ErrWrongOutput)}
	}
	return d, nil
}

// ProbeDistance is the Euclidean distance of d from ProbeReference.
func ProbeDistance(d *recognition.Descriptor) float32 {
	return recognition.Distance(d, &ProbeReference)
}
