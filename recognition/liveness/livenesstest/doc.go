// Package livenesstest holds the real-data tests of package liveness:
// genuine challenge steps cut from the shared videos of real people,
// photo attacks rendered from the shared photos and video frames, replays
// of whole videos, all turned into landmark tracks by the dlib engine (cgo).
// It has no code of its own outside its tests.
package livenesstest
