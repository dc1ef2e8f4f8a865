// Package recognition holds the plain types of face recognition (faces,
// landmarks, descriptors), the pure-Go matcher and the registration quality
// gate. It has no cgo: the dlib engine lives in recognition/dlib, so app/,
// store/ and the matcher build and test with CGO_ENABLED=0.
package recognition

import (
	"image"
	"math"
)

// DescriptorLen is the length of a dlib ResNet face descriptor.
const DescriptorLen = 128

// Descriptor is a 128-d face embedding from dlib's ResNet. Two descriptors of
// the same person are close in Euclidean distance.
type Descriptor [DescriptorLen]float32

// ModelID names the descriptor space a template was made in. Descriptors of
// different models must never be compared. The ResNet rebuilt from the
// face-api weights reproduces the original dlib model's space (the identity
// test against idols.json proves it), so both share this ID, and so do
// descriptors imported from the old face_recognition demo.
const ModelID = "dlib_resnet_v1"

// Face is one face found in an image: its box, its landmarks (68 points with
// the 68-point predictor, 5 with dlib's 5-point one) and its descriptor, all
// in the coordinates of the image that was passed in.
type Face struct {
	Rect       image.Rectangle
	Landmarks  []image.Point
	Descriptor Descriptor
}

// Distance is the Euclidean distance between two descriptors.
func Distance(a, b *Descriptor) float32 {
	var s float32
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return float32(math.Sqrt(float64(s)))
}
