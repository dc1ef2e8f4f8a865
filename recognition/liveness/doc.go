// Package liveness decides whether the face in front of the camera is a
// live person rather than a photo or a screen: an active challenge of two
// random steps — blink, turn the head to the left, turn it to the right —
// judged on the 68 face landmarks of one tracked face, frame by frame,
// and on the face's pixels where landmarks cannot tell.
//
// It is pure Go (no cgo) and independent of the engine that produced the
// landmarks: it takes Frame values (capture time, faces with their
// landmarks, optional tracker IDs, descriptors and pixels) and computes no
// descriptors itself. The app feeds it the fast Tracker's output as it is
// (Point is recognition.Point; FromLandmarkFrame converts one frame).
//
// Conventions: landmark indexes are the iBUG 300-W layout of dlib's
// 68-point shape predictor; left and right are the person's own; the
// camera image is not mirrored, so a person turning to their left moves
// their nose towards the right of the picture. Ratios of the eye aspect
// ratio are relative to the person's own open-eye baseline measured in the
// same session; turns are changes of YawRatio from the person's own
// frontal baseline.
//
// The 3D check of a turn: with pixels (Frame.Image or Face.Patch) the
// turned face is compared with the frontal one pixel by pixel — every view
// of a flat picture is one homography of another, a head's are not
// (NonPlanarity, planar.go; Hartley & Zisserman 2004 §13.1, Baker &
// Matthews 2004). The shape predictor draws a tilted picture's landmarks
// as a turned head's, so landmark depth cues alone need a larger turn
// (ΔYawRatio 0.13, Thresholds.TurnYawLandmarks, against 0.08 with
// pixels) and are only the fallback without pixels.
// A blink with pixels must also change the eyes themselves
// (Thresholds.MaxEyeCorrelation).
//
// Measured on the seven shared videos of real people and on attacks
// rendered from shared photos and video frames (through the dlib Tracker,
// every frame with its pixels; go test -v -run
// 'TestGenuineClips|TestAttacks|TestTurnMargins|TestReplay|TestPassTime'
// ./recognition/liveness/livenesstest/, with FACELOGIN_MODELS set):
//
//   - APCER 0 for every attack type and step: still pictures 0/9, shaken
//     0/9, tilted ±40° at 25–50 cm 0/24, printed/screen-degraded (blur,
//     noise, gamma, moiré, JPEG) 0/15, two pictures alternated (eyes open,
//     closed) 0/12.
//   - BPCER: turns 0/10 (left 0/5, right 0/5: every turn in the videos,
//     as recorded and mirrored), blinks 1/15, all steps 1/25 (4%). The
//     refused blink (d10 221–225) closes in one frame with the face as
//     still as two swapped pictures (Thresholds.PhotoBlinkStill).
//   - The 3D check's margins (TestTurnMargins, NonPlanarity held over 3
//     frames): the attacks ≤ 0.0037 face widths, the genuine turns
//     0.0185–0.0539; Min3D 0.010 lies 2.7× above the one and 1.85× below
//     the other, and a threshold set with either video's turns left out
//     refuses none of that video's turns (0/10).
//   - Replays of the seven videos against 200 random challenges each:
//     11.1% accepted, chance from the recorded events 11.9%. Median time
//     to pass a two-step challenge 2.56 s.
//
// Where each threshold comes from is in the docs of Default; README.md has
// the full figures and what the check does not stop.
package liveness
