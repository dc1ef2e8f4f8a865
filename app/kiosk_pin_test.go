package app

import (
	"image"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestKioskPINCheckShowsProgress: the PIN check (argon2id, ~0.5 s on an
// idle kiosk, seconds on a busy one) runs off the UI goroutine — the tap
// returns and the UI goes on while the check is still running — and
// shows that it is checking: "Checking PIN…", the indicator turning, the
// entry and both buttons disabled. The answer puts them back, for a wrong
// PIN and for the right one.
func TestKioskPINCheckShowsProgress(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pin      string
		unlocked bool
	}{
		{"wrong PIN", "135790", false},
		{"right PIN", testPIN, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started, release := make(chan string, 1), make(chan struct{})
			kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{CheckPIN: func(pin string) (bool, error) {
				started <- pin
				<-release // the check holds until the test has seen the panel
				return pin == testPIN, nil
			}}, false)
			k, p := kh.k, kh.k.pin
			test.Tap(k.adminButton)
			test.Type(p.entry, tc.pin)
			test.Tap(p.ok) // returns while the check is held: it is not on the UI goroutine
			var got string
			kh.waitFor("the check to start", func() bool {
				select {
				case got = <-started:
					return true
				default:
					return false
				}
			})
			if got != tc.pin {
				t.Fatalf("checked %q, want %q", got, tc.pin)
			}
			if !k.pinChecking || p.message.Text != "Checking PIN…" || !p.busy.Visible() ||
				!p.entry.Disabled() || !p.ok.Disabled() || !p.cancel.Disabled() {
				t.Fatalf("during the check: checking %v, message %q, indicator %v, entry/OK/Cancel disabled %v/%v/%v",
					k.pinChecking, p.message.Text, p.busy.Visible(), p.entry.Disabled(), p.ok.Disabled(), p.cancel.Disabled())
			}
			test.Tap(p.ok)
			test.Tap(p.cancel) // disabled: neither a second check nor closing the panel
			if len(started) != 0 || !p.content.Visible() {
				t.Fatal("OK or Cancel acted during the check")
			}
			close(release)
			kh.waitFor("the answer", func() bool { return !k.pinChecking })
			if p.busy.Visible() || p.cancel.Disabled() || p.message.Text == "Checking PIN…" || k.unlocked != tc.unlocked {
				t.Fatalf("after the answer: indicator %v, Cancel disabled %v, message %q, unlocked %v (want %v)",
					p.busy.Visible(), p.cancel.Disabled(), p.message.Text, k.unlocked, tc.unlocked)
			}
			if !tc.unlocked && (p.message.Importance != widget.DangerImportance || !p.content.Visible()) {
				t.Fatalf("wrong PIN: message %q, panel shown %v", p.message.Text, p.content.Visible())
			}
		})
	}
}
