// Package livenesstest holds the real-data tests of package liveness:
// genuine challenge steps cut from the shared videos of real people,
// photo attacks rendered from the shared photos and video frames, replays
// of whole videos and the margins of the 3D turn check, all turned into
// the check's input by the product's fast landmark path (a dlib Tracker on
// every frame, each face with its pixel Patch; cgo). It has no code of
// its own outside its tests.
package livenesstest
