package livenesstest

import (
	"testing"
	"time"

	"facelogin/recognition/liveness"
)

// BenchmarkFeedRealTrack is the check's own cost per frame, on top of the
// landmarks: Challenge.Feed over a real landmark track (the opening of
// d12, a person talking, blinking and turning), restarted when it ends.
// Target ≤ 0.5 ms a frame.
func BenchmarkFeedRealTrack(b *testing.B) {
	frames := track(b, "d12", 0, replayFrames("d12"), false)
	b.ReportAllocs()
	b.ResetTimer()
	var c *liveness.Challenge
	n := 0
	for i := 0; i < b.N; i++ {
		if c == nil || n == len(frames) {
			b.StopTimer()
			c, _ = liveness.New(liveness.Config{Steps: []liveness.Step{liveness.TurnLeft, liveness.Blink, liveness.TurnRight}, StepTimeout: time.Hour})
			n = 0
			b.StartTimer()
		}
		c.Feed(frames[n])
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/frame")
}
