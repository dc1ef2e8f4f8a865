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
	for _, choice := range []string{languageEnglish, languageSpanish} {
		t.Run(choice, func(t *testing.T) {
			h, _ := languageWindowAt(t, choice, fyne.NewSize(1280, 800))
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
				// The progress bar below starts under the prompt's last
				// line: a wrapped prompt gets the height of all its lines.
				pr, bar := h.u.login.prompt, h.u.login.steps
				if bottom := pr.Position().Y + pr.MinSize().Height; bar.Position().Y < bottom-0.5 {
					t.Errorf("prompt %q (%v high at %v) overlaps the progress bar at %v", pr.Text, pr.MinSize().Height, pr.Position().Y, bar.Position().Y)
				}
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

// TestLoginPromptWrapsAboveProgress: the first challenge prompt shown on
// Login, in Spanish, in the tester's window (1150×760; the pane beside the
// preview ~470 px), wraps to two lines; the progress bar below it starts
// under its last line, with no second layout pass (the real driver lays
// the pane out once when the prompt appears).
func TestLoginPromptWrapsAboveProgress(t *testing.T) {
	h, _ := languageWindowAt(t, languageSpanish, fyne.NewSize(1150, 760))
	h.u.tabs.SelectIndex(0)
	h.settle(0)
	uitest.Paint(h.u.win.Canvas())
	h.u.login.showChallenge(live.Status{Step: live.TurnRight, Prompt: live.TurnRight.Prompt(), Arrow: live.ArrowRight})
	// One layout pass of the column, as the driver makes when a child's
	// minimum size changed.
	h.u.login.content.Refresh()
	pr, bar := h.u.login.prompt, h.u.login.steps
	line := fyne.MeasureText("Gira", pr.size(), fyne.TextStyle{Bold: true}).Height
	if pr.Size().Height < 1.8*line {
		t.Fatalf("prompt %q is %v high in a %v pane: one line of %v, want it wrapped", pr.Text, pr.Size().Height, pr.Size().Width, line)
	}
	if bottom := pr.Position().Y + pr.MinSize().Height; bar.Position().Y < bottom-0.5 {
		t.Errorf("prompt %q (%v high at %v) overlaps the progress bar at %v", pr.Text, pr.MinSize().Height, pr.Position().Y, bar.Position().Y)
	}
}
