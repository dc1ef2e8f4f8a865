package app

import (
	"fmt"
	"image"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"facelogin/internal/uitest"
	live "facelogin/recognition/liveness"
)

// screenSizes are the smallest screen the app supports and the testers'
// laptop window.
var screenSizes = []fyne.Size{{Width: 640, Height: 480}, {Width: 1280, Height: 800}}

// TestKioskFitsSmallScreen: on a 640×480 screen and at 1280×800, in
// English and Spanish, every kiosk line (the prompts with their arrows,
// the welcome with a long name, the refusals, the lockout) shows whole
// inside the window, and the Admin button lies inside it. The tester saw
// "Not recognise[d]", "Te damos la bienvenida, an[n]" and "Gira la cabeza
// hacia tu derec…" cut at the right edge and no Admin button at 640×480.
func TestKioskFitsSmallScreen(t *testing.T) {
	t.Cleanup(func() { useLanguage(languageEnglish) })
	for _, locale := range []string{"en_US.UTF-8", "es_ES.UTF-8"} {
		for _, size := range screenSizes {
			t.Run(locale+"/"+sizeName(size), func(t *testing.T) {
				t.Setenv("LC_ALL", locale) // the kiosk follows the system's language
				kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{Station: "front-door"}, false)
				k := kh.k
				c := k.Window().Canvas()
				k.Window().Resize(size)
				kh.settle(0)
				uitest.Paint(c)
				// The real driver makes the window at least as large as its
				// content's minimum size: beyond the screen, the right
				// edge and the Admin button were off it.
				if min := k.view.MinSize(); min.Width > size.Width || min.Height > size.Height || c.Size() != size {
					t.Fatalf("the kiosk's canvas is %v in a %v window; its minimum size %v", c.Size(), size, min)
				}
				inside(t, c, "the Admin button", k.adminButton)
				fits := func(root fyne.CanvasObject) {
					t.Helper()
					if min := k.view.MinSize(); min.Width > size.Width || min.Height > size.Height {
						t.Errorf("the kiosk's minimum size %v is larger than the %v window", min, size)
					}
					textsFit(t, c, root)
				}

				for _, p := range []string{promptLook, promptNext, promptOneAtATime} {
					k.setPrompt(lang.L(p), kioskText)
					fits(k.scan)
				}
				for _, st := range []live.Status{
					{Step: live.TurnLeft, Prompt: live.TurnLeft.Prompt(), Arrow: live.ArrowLeft},
					{Step: live.TurnRight, Prompt: live.TurnRight.Prompt(), Arrow: live.ArrowRight},
					{Step: live.Blink, Prompt: live.Blink.Prompt()},
				} {
					k.showChallenge(st)
					fits(k.scan)
					inside(t, c, "the Admin button", k.adminButton)
				}
				k.hideChallenge()

				for _, r := range [][2]string{
					{lang.L("Welcome, {{.Name}}", map[string]any{"Name": "Maximiliana Fernández-Villaverde"}), lang.L("Checked in at {{.Time}}", map[string]any{"Time": "08:15"})},
					{lang.L("Not recognised"), lang.L("Please ask a member of staff")},
					{lang.L("Not recognised"), lang.L("You look like more than one registered person — please ask a member of staff")},
					{lang.L("Not a live face"), capitalize(lang.L("the picture does not move — a photo cannot log in"))},
					{lang.L("Please wait"), lang.L("Too many failed attempts — try again in {{.Wait}}", map[string]any{"Wait": waitText(299e9)})},
				} {
					k.showResult(r[0], r[1], kioskRefused)
					fits(k.result)
					if k.resultTitle.TextSize < 20 {
						t.Errorf("title %q at %v px: too small to read", r[0], k.resultTitle.TextSize)
					}
				}
				k.hideResult()
			})
		}
	}
}

func sizeName(s fyne.Size) string {
	return fmt.Sprintf("%vx%v", s.Width, s.Height)
}

// inside fails t unless o lies wholly inside canvas c.
func inside(t *testing.T, c fyne.Canvas, what string, o fyne.CanvasObject) {
	t.Helper()
	insideAt(t, c, what, o, fyne.CurrentApp().Driver().AbsolutePositionForObject(o))
}

func insideAt(t *testing.T, c fyne.Canvas, what string, o fyne.CanvasObject, pos fyne.Position) {
	t.Helper()
	end := pos.Add(o.Size())
	if !o.Visible() || pos.X < -0.5 || pos.Y < -0.5 || end.X > c.Size().Width+0.5 || end.Y > c.Size().Height+0.5 {
		t.Errorf("%s is at %v–%v (visible %v), outside the %v window", what, pos, end, o.Visible(), c.Size())
	}
}

// textsFit fails t for every visible text under root (laid out in canvas
// c, root at the canvas's origin) that is wider or taller than its place
// or lies partly outside the window.
func textsFit(t *testing.T, c fyne.Canvas, root fyne.CanvasObject) {
	t.Helper()
	walkVisible(root, fyne.NewPos(0, 0), func(o fyne.CanvasObject, pos fyne.Position) {
		txt, ok := o.(*canvas.Text)
		if !ok || txt.Text == "" {
			return
		}
		need := fyne.MeasureText(txt.Text, txt.TextSize, txt.TextStyle)
		if need.Width > txt.Size().Width+0.5 || need.Height > txt.Size().Height+0.5 {
			t.Errorf("%q at %v px needs %v, has %v", txt.Text, txt.TextSize, need, txt.Size())
		}
		insideAt(t, c, "text "+txt.Text, txt, pos)
	})
}

// walkVisible calls f on every visible object under o (o at pos), with
// its position in the canvas, through containers and widgets' renderers.
func walkVisible(o fyne.CanvasObject, pos fyne.Position, f func(fyne.CanvasObject, fyne.Position)) {
	if !o.Visible() {
		return
	}
	f(o, pos)
	var children []fyne.CanvasObject
	switch v := o.(type) {
	case *fyne.Container:
		children = v.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(v).Objects()
	}
	for _, ch := range children {
		walkVisible(ch, pos.Add(ch.Position()), f)
	}
}

// TestKioskAdminFitsSmallScreen: after the PIN, on a 640×480 screen and
// at 1280×800, in English and Spanish, with each tab selected, the admin
// screens' minimum size fits the window and the header's Back to kiosk and
// Exit kiosk buttons lie inside it. The tester saw the header pushed above
// the top edge at 640×480: the administrator could not leave the kiosk.
func TestKioskAdminFitsSmallScreen(t *testing.T) {
	t.Cleanup(func() { useLanguage(languageEnglish) })
	for _, locale := range []string{"en_US.UTF-8", "es_ES.UTF-8"} {
		for _, size := range screenSizes {
			t.Run(locale+"/"+sizeName(size), func(t *testing.T) {
				t.Setenv("LC_ALL", locale)
				kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{Station: "front-door"}, false)
				k := kh.k
				c := k.Window().Canvas()
				k.Window().Resize(size)
				kh.settle(0)
				k.unlock()
				k.Window().Resize(size)
				back := findButton(t, k.admin, lang.L("Back to kiosk"))
				exit := findButton(t, k.admin, lang.L("Exit kiosk"))
				for i, tab := range kh.u.tabs.Items {
					kh.u.tabs.SelectIndex(i)
					kh.settle(0)
					uitest.Paint(c)
					if min := k.admin.MinSize(); min.Width > size.Width || min.Height > size.Height {
						t.Errorf("tab %q: the admin screens' minimum size %v is larger than the %v window", tab.Text, min, size)
					}
					inside(t, c, "the Back to kiosk button", back)
					inside(t, c, "the Exit kiosk button", exit)
				}
			})
		}
	}
}

// TestKioskFailedStepWorded: a challenge that failed shows its reason on
// the kiosk's heading (the liveness package's status carries it as the
// prompt) worded and capitalised, in English and Spanish. The tester saw
// "step not done in time" there, behind the PIN panel.
func TestKioskFailedStepWorded(t *testing.T) {
	t.Cleanup(func() { useLanguage(languageEnglish) })
	for _, locale := range []string{"en_US.UTF-8", "es_ES.UTF-8"} {
		t.Run(locale, func(t *testing.T) {
			t.Setenv("LC_ALL", locale)
			kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{}, false)
			for _, why := range []error{live.ErrTimeout, live.ErrWrongWay, live.ErrNoMotion} {
				kh.k.showChallenge(live.Status{Done: true, Prompt: live.ReasonText(why)})
				if got, want := kh.k.prompt.Text, capitalize(liveReason(why)); got != want || got == live.ReasonText(why) {
					t.Errorf("the failed step %q shows as %q, want %q", live.ReasonText(why), got, want)
				}
			}
		})
	}
}
