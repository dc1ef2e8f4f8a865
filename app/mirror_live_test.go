//go:build cgo

package app

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	live "facelogin/recognition/liveness"
)

// TestPromptArrowAgreesWithMirror: d12 turns to their own left (frames
// 33–60) while the window asks "← Turn your head to your left". In both
// modes the arrow points to the screen's left, which is the person's own
// left as they face the screen, and the challenge passes: the liveness
// check gets the camera's own frames whatever the display shows. On the
// mirrored preview the face on screen turns the way the arrow points —
// the nose, where the overlay draws it, moves to the left of the middle
// of the jaw; on the raw preview it turns the other way, which is why
// the preview is mirrored by default.
func TestPromptArrowAgreesWithMirror(t *testing.T) {
	const leftPrompt = "← Turn your head to your left"
	for _, mirror := range []bool{true, false} {
		t.Run(fmt.Sprintf("mirror=%v", mirror), func(t *testing.T) {
			cam := genuineCamera(t, 160)
			h := newVideoHarness(t, cam, Options{}, withChallenge(live.TurnLeft), func(s *shell) {
				s.mirror.check.SetChecked(mirror)
				// Every frame is shown with its own landmarks, however
				// long the tracker takes.
				s.preview.overlayWait.Store(int64(time.Hour))
			})
			clickLogin(h)
			var prompts []string
			side := 0.0 // the nose's furthest offset on screen during the left prompt, in jaw widths (< 0: left)
			cam.play(h, "the welcome", loginDone(h), func() {
				l := h.u.login
				if !l.prompt.Visible() {
					return
				}
				if !slices.Contains(prompts, l.prompt.Text) {
					prompts = append(prompts, l.prompt.Text)
				}
				d := h.u.det.latest()
				if l.prompt.Text != leftPrompt || len(d.track.Faces) != 1 || d.seq != uint64(cam.at.Load()) {
					return
				}
				pts := d.track.Faces[0].Face().Landmarks
				if mirror {
					pts = mirrorFaces(d.faces[:1], d.frame.Bounds())[0].Landmarks
				}
				nose := pts[30]
				// The displayed frame shows the nose there.
				h.waitFor(fmt.Sprintf("the nose at %v on screen", nose), func() bool {
					img := h.shownFrame()
					return img != nil && img.RGBAAt(nose.X, nose.Y) == landmarkColor
				})
				jaw := math.Abs(float64(pts[16].X - pts[0].X))
				s := (float64(nose.X) - float64(pts[0].X+pts[16].X)/2) / jaw
				if math.Abs(s) > math.Abs(side) {
					side = s
				}
			})
			if l := h.u.login; l.result.Text != "Welcome, ann" {
				t.Fatalf("result %q, message %q; prompts %q", l.result.Text, l.message.Text, prompts)
			}
			if !slices.Contains(prompts, leftPrompt) {
				t.Fatalf("prompts %q: want %q, the arrow on the left", prompts, leftPrompt)
			}
			switch {
			case mirror && side > -0.1:
				t.Errorf("mirrored: the nose went to %+.2f jaw widths from the middle, want to the screen's left with the arrow", side)
			case !mirror && side < 0.1:
				t.Errorf("raw: the nose went to %+.2f jaw widths from the middle, want the screen's right (the camera's view)", side)
			}
			t.Logf("mirror=%v: nose furthest at %+.2f jaw widths", mirror, side)
		})
	}
}
