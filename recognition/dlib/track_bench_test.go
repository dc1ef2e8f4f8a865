package dlib_test

import (
	"image"
	"syscall"
	"testing"
	"time"

	"facelogin/recognition"
	"facelogin/recognition/decision"
	"facelogin/recognition/dlib"
)

// benchFrames are the first 60 frames of d18.mp4 (a person talking, moving
// her head a little) as 640×480 frames with the picture scaled to side×side
// pixels: side 480 gives a face box of ~240 px, 320 one of ~160 px.
func benchFrames(b *testing.B, side int) []*image.RGBA {
	b.Helper()
	var out []*image.RGBA
	for _, f := range loadFrames(b, video(b, "d18.mp4"), 60) {
		out = append(out, placed(f.Image, side, 0))
	}
	return out
}

// BenchmarkTrack: the fast path's cost per 640×480 frame with one face,
// replaying 60 real frames in a loop (ms/op):
//   - follow: frames where the face is only followed (shape predictor in
//     the box of the previous landmarks, refitted while it moves, and the
//     HOG check in a small region around it). Target ≤ 5 ms.
//   - redetect: every frame a full re-detection (HOG on the whole frame
//     scaled by 0.9, shape predictor in each box) after following. Target
//     ≤ 12 ms.
//   - default: the defaults' mix, a re-detection every third frame.
//   - redetect-min100, -min120: re-detection for a smallest face of 100
//     or 120 px instead of the quality gate's 80 (frames scaled by 0.72
//     or 0.6 instead of 0.9 before the detector scans them).
//   - redetect-dlib: redetect with dlib's own HOG detector instead of
//     hogscan.cc's (the Tracker as it was before), for comparison in the
//     same run.
//
// go test -run '^$' -bench 'Track$' -count 5 ./recognition/dlib/
func BenchmarkTrack(b *testing.B) {
	for _, c := range []struct {
		name      string
		every     int
		min       int
		reference bool
	}{
		{"follow", 1 << 30, 0, false}, {"redetect", 1, 0, false}, {"default", 0, 0, false},
		{"redetect-min100", 1, 100, false}, {"redetect-min120", 1, 120, false}, {"redetect-dlib", 1, 0, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			for _, side := range []int{480, 320} {
				frames := benchFrames(b, side)
				b.Run(map[int]string{480: "face240", 320: "face160"}[side], func(b *testing.B) {
					tr := newTracker(b, dlib.TrackerOptions{DetectEvery: c.every, MinFaceSide: c.min})
					if c.reference {
						tr.UseReferenceDetector()
					}
					i := 0
					defer reportCPU(b)()
					for b.Loop() {
						lf, err := tr.Track(frames[i%len(frames)], time.Duration(i)*time.Second/30)
						if err != nil || len(lf.Faces) != 1 {
							b.Fatalf("frame %d: %d faces, %v", i, len(lf.Faces), err)
						}
						i++
					}
				})
			}
		})
	}
}

// BenchmarkDescribeTracked: the descriptor of one tracked face on demand
// (go-face on the region around it: HOG, 68 landmarks, aligned chip,
// ResNet), for faces of ~240 and ~160 px in a 640×480 frame, with
// OpenBLAS's default threads (blas-default) and on one thread (blas-1, as
// the window sets it: SetBLASThreads). Compare with BenchmarkPipeline
// (Recognize on the whole frame).
func BenchmarkDescribeTracked(b *testing.B) {
	e := liveEngine(b)
	threads := dlib.BLASThreads()
	b.Cleanup(func() { dlib.SetBLASThreads(threads) })
	for _, side := range []int{480, 320} {
		frames := benchFrames(b, side)
		for _, blas := range []int{threads, 1} {
			name := map[int]string{480: "face240", 320: "face160"}[side] + map[bool]string{true: "/blas-1", false: "/blas-default"}[blas == 1]
			b.Run(name, func(b *testing.B) {
				dlib.SetBLASThreads(blas)
				benchDescribe(b, e, frames)
			})
		}
	}
}

// benchDescribe describes the face tracked in the 10th of frames.
func benchDescribe(b *testing.B, e *dlib.Engine, frames []*image.RGBA) {
	tr := newTracker(b, dlib.TrackerOptions{})
	var lf recognition.LandmarkFrame
	for i, f := range frames[:10] {
		var err error
		if lf, err = tr.Track(f, time.Duration(i)); err != nil || len(lf.Faces) != 1 {
			b.Fatalf("%d faces, %v", len(lf.Faces), err)
		}
	}
	frame := frames[9]
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := e.Describe(frame, lf.Faces[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU adds the process's CPU time per operation (cpu-ms/op) to a
// benchmark's figures: on a machine shared with other jobs the wall time
// per operation grows with their load, while the CPU time of this
// single-threaded work stays close to what a quiet machine's wall time
// would be. Call as defer reportCPU(b)() before the loop.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(cpuMillisSince(b, start), "cpu-ms/op") }
}

// cpuMillisSince is the process's CPU time since start per operation, in
// milliseconds.
func cpuMillisSince(b *testing.B, start time.Duration) float64 {
	return float64((cpuTime() - start).Microseconds()) / 1000 / float64(b.N)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGuidedFrame: what describing every gated frame costs a guided
// registration (app/guide.go): each frame that passes the quality gate,
// in the asked pose or not, is described (Engine.Describe on the tracked
// face, OpenBLAS on one thread as the window runs it) and offered to the
// registration's decision.Candidates (CandidateLimit, thinned by
// farthest-point sampling when full), over 60 real frames of d18.mp4 with
// a face of ~160 px (face160) and ~240 px (face240):
//   - describe+candidates: the work the registration adds per frame; its
//     frames/s is the most frames a registration can describe on one core.
//   - track+describe+candidates: the same plus the Tracker's own work on
//     the frame (default re-detection mix), all on one core: the frame
//     rate a registration keeps when nothing runs beside it.
//
// go test -run '^$' -bench GuidedFrame -count 3 ./recognition/dlib/
func BenchmarkGuidedFrame(b *testing.B) {
	e := liveEngine(b)
	threads := dlib.BLASThreads()
	b.Cleanup(func() { dlib.SetBLASThreads(threads) })
	dlib.SetBLASThreads(1)
	for _, side := range []int{320, 480} {
		frames := benchFrames(b, side)
		tr := newTracker(b, dlib.TrackerOptions{})
		tracked := make([]recognition.LandmarkFrame, len(frames))
		for i, f := range frames {
			lf, err := tr.Track(f, time.Duration(i)*time.Second/30)
			if err != nil || len(lf.Faces) != 1 {
				b.Fatalf("frame %d: %d faces, %v", i, len(lf.Faces), err)
			}
			tracked[i] = lf
		}
		size := map[int]string{480: "face240", 320: "face160"}[side]
		for _, withTrack := range []bool{false, true} {
			name := size + map[bool]string{false: "/describe+candidates", true: "/track+describe+candidates"}[withTrack]
			b.Run(name, func(b *testing.B) {
				tr := newTracker(b, dlib.TrackerOptions{})
				cands := decision.NewCandidates[int](decision.CandidateLimit, decision.DefaultPolicy.Max)
				i := 0
				defer reportFrameRate(b)()
				for b.Loop() {
					n := i % len(frames)
					lf := tracked[n]
					if withTrack {
						var err error
						if lf, err = tr.Track(frames[n], time.Duration(i)*time.Second/30); err != nil || len(lf.Faces) != 1 {
							b.Fatalf("frame %d: %d faces, %v", i, len(lf.Faces), err)
						}
					}
					f, err := e.Describe(frames[n], lf.Faces[0])
					if err != nil {
						b.Fatal(err)
					}
					cands.Add(i, f.Descriptor)
					i++
				}
			})
		}
	}
}

// reportFrameRate is reportCPU plus the frames per second one core
// sustains at that CPU time per frame.
func reportFrameRate(b *testing.B) func() {
	start := cpuTime()
	return func() {
		ms := cpuMillisSince(b, start)
		b.ReportMetric(ms, "cpu-ms/op")
		b.ReportMetric(1000/ms, "frames/s")
	}
}
