package app

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/uitest"
	live "facelogin/recognition/liveness"
)

// TestPromptsStayAboveAtScreenSizes: at 640×480 and 1280×800, in English
// and Spanish, every Login challenge prompt and every Register prompt
// shows whole, above the progress bar, and what lies below the prompt
// does not move as the prompt changes: the progress bar on Login, the
// Skip and Finish buttons and the status line on Register. Nothing lays
// the window out again after a change (the real driver lays a column out
// only when a child's minimum size changed): the tester saw the second
// line of "← Turn your head to your left" under the progress bar at
// 1280×800, and "Finish now" between y≈240 and 277.
func TestPromptsStayAboveAtScreenSizes(t *testing.T) {
	for _, choice := range []string{languageEnglish, languageSpanish} {
		for _, size := range screenSizes {
			t.Run(choice+"/"+sizeName(size), func(t *testing.T) {
				h, _ := languageWindowAt(t, choice, size)
				c := h.u.win.Canvas()

				h.u.tabs.SelectIndex(0)
				h.settle(0)
				uitest.Paint(c)
				l := h.u.login
				var barY float32
				for i, st := range []live.Status{
					{Step: live.Blink, Prompt: live.Blink.Prompt()},
					{Step: live.TurnLeft, Prompt: live.TurnLeft.Prompt(), Arrow: live.ArrowLeft},
					{Step: live.TurnRight, Prompt: live.TurnRight.Prompt(), Arrow: live.ArrowRight},
					{},
					{Step: live.TurnLeft, Prompt: live.TurnLeft.Prompt(), Arrow: live.ArrowLeft}, // shown again
					{Prompt: "Done"},
				} {
					if st.Prompt == "" {
						l.hideChallenge()
						continue
					}
					l.showChallenge(st)
					uitest.Paint(c)
					stacked(t, l.content.(*fyne.Container))
					inside(t, c, "the Login progress bar", l.steps)
					if i == 0 {
						barY = l.steps.Position().Y
					} else if y := l.steps.Position().Y; y != barY {
						t.Errorf("prompt %q: the progress bar moved from y=%v to %v", l.prompt.Text, barY, y)
					}
				}
				l.hideChallenge()

				h.u.tabs.SelectIndex(1)
				h.settle(0)
				uitest.Paint(c)
				r, g := h.u.register, h.u.register.guide
				prompts := []string{""}
				for _, s := range g.steps {
					prompts = append(prompts, s.prompt)
				}
				prompts = append(prompts, stillNote())
				finishY := float32(-1)
				for _, p := range prompts {
					r.say(rejectionAdvice(errNotInPose), widget.WarningImportance) // a warning line, as a refused frame shows
					g.setPrompt(p)
					uitest.Paint(c)
					stacked(t, r.content.(*fyne.Container))
					stacked(t, g.content.(*fyne.Container))
					inside(t, c, "the Finish button", g.finishBtn)
					y := fyne.CurrentApp().Driver().AbsolutePositionForObject(g.finishBtn).Y
					if finishY < 0 {
						finishY = y
					} else if y != finishY {
						t.Errorf("prompt %q: the Finish button moved from y=%v to %v", p, finishY, y)
					}
					if p != "" && r.message.Text != "Follow the prompt above" && r.message.Text != "Sigue la indicación de arriba" {
						t.Errorf("prompt %q: the status line still says %q", p, r.message.Text)
					}
				}
			})
		}
	}
}

// stacked fails t when a visible object of box is cut (smaller than its
// minimum size) or reaches into the next visible one.
func stacked(t *testing.T, box *fyne.Container) {
	t.Helper()
	var prev fyne.CanvasObject
	for _, o := range box.Objects {
		if !o.Visible() {
			continue
		}
		if min, size := o.MinSize(), o.Size(); min.Width > size.Width+0.5 || min.Height > size.Height+0.5 {
			t.Errorf("%s is cut: %v of %v", describe(o), size, min)
		}
		if prev != nil && prev.Position().Y+prev.MinSize().Height > o.Position().Y+0.5 {
			t.Errorf("%s (%v high at y=%v) overlaps %s at y=%v", describe(prev), prev.MinSize().Height, prev.Position().Y, describe(o), o.Position().Y)
		}
		prev = o
	}
}

func describe(o fyne.CanvasObject) string {
	switch v := o.(type) {
	case *promptLabel:
		return "prompt " + v.Text
	case *widget.Label:
		return fmt.Sprintf("label %q", v.Text)
	case interface{ String() string }:
		return v.String()
	}
	return fmt.Sprintf("%T", o)
}
