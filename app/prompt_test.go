package app

import (
	"testing"

	"fyne.io/fyne/v2"

	"facelogin/internal/uitest"
	live "facelogin/recognition/liveness"
)

// TestPromptKeepsPreviewSize: in the tester's 1280×800 window, in English
// and in Spanish, every Register prompt (the pose steps, the no-movement
// note) and every Login challenge prompt wraps inside its pane: the
// preview keeps the size it has with no prompt, and the prompt is not cut.
// A canvas.Text prompt (one line, as wide as its text) widened the tabs
// and shrank the preview with "Gira la cabeza un poco hacia tu derecha".
func TestPromptKeepsPreviewSize(t *testing.T) {
	t.Cleanup(func() { useLanguage(languageEnglish) })
	for _, choice := range []string{languageEnglish, languageSpanish} {
		t.Run(choice, func(t *testing.T) {
			h, _ := languageWindow(t, choice)
			defer h.stopNow()
			h.u.win.Resize(fyne.NewSize(1280, 800))
			c := h.u.win.Canvas()
			check := func(prompt fyne.CanvasObject, text string, want fyne.Size) {
				t.Helper()
				relayout(h.u.win)
				if got := h.u.preview.content.Size(); got != want {
					t.Errorf("prompt %q: the preview is %v, %v without a prompt", text, got, want)
				}
				if min, size := prompt.MinSize(), prompt.Size(); min.Width > size.Width+0.5 || min.Height > size.Height+0.5 {
					t.Errorf("prompt %q is cut: %v of %v", text, size, min)
				}
			}

			h.u.tabs.SelectIndex(1)
			h.settle(0)
			uitest.Paint(c)
			want := h.u.preview.content.Size()
			g := h.u.register.guide
			prompts := []string{stillNote()}
			for _, s := range g.steps {
				prompts = append(prompts, s.prompt)
			}
			for _, p := range prompts {
				g.prompt.Text = p
				g.prompt.Refresh()
				check(g.prompt, p, want)
			}

			h.u.tabs.SelectIndex(0)
			h.settle(0)
			relayout(h.u.win)
			if got := h.u.preview.content.Size(); got != want {
				t.Fatalf("the preview is %v on Login, %v on Register", got, want)
			}
			for _, st := range []live.Status{
				{Step: live.TurnLeft, Prompt: live.TurnLeft.Prompt(), Arrow: live.ArrowLeft},
				{Step: live.TurnRight, Prompt: live.TurnRight.Prompt(), Arrow: live.ArrowRight},
				{Step: live.Blink, Prompt: live.Blink.Prompt()},
				{Prompt: "Liveness check failed"},
			} {
				h.u.login.showChallenge(st)
				check(h.u.login.prompt, h.u.login.prompt.Text, want)
			}
			t.Logf("preview %v", want)
		})
	}
}

// relayout lays the window out again, as the real driver does when a
// minimum size changed (the test canvas does not).
func relayout(w fyne.Window) {
	size := w.Canvas().Size()
	w.Resize(size.AddWidthHeight(1, 0))
	w.Resize(size)
	uitest.Paint(w.Canvas())
}
