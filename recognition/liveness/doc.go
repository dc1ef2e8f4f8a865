// Package liveness decides whether the face in front of the camera is a
// live person rather than a photo or a screen: an active challenge of two
// random steps — blink, turn the head to the left, turn it to the right —
// judged on the 68 face landmarks of one tracked face, frame by frame.
//
// It is pure Go (no cgo) and independent of the engine that produced the
// landmarks: it takes Frame values (capture time, faces with their
// landmarks, optional tracker IDs and descriptors) and computes no
// descriptors itself.
//
// Conventions: landmark indexes are the iBUG 300-W layout of dlib's
// 68-point shape predictor; left and right are the person's own; the
// camera image is not mirrored, so a person turning to their left moves
// their nose towards the right of the picture. Ratios of the eye aspect
// ratio are relative to the person's own open-eye baseline measured in the
// same session; turns are changes of YawRatio from the person's own
// frontal baseline.
//
// What each signal is, and where every threshold comes from, is in the
// docs of Default, EyeAspectRatio, YawRatio, Parallax, VerticalAsymmetry
// and OutlineWidth; README.md has the measured error rates and what the
// check does not stop.
package liveness
