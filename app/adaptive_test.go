package app

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestAdaptiveSetting: adaptive templates are on unless turned off; the
// check box applies at once and is kept for the next start; --adaptive=false
// (Options.NoAdaptive) turns them off for one run without changing the
// saved setting.
func TestAdaptiveSetting(t *testing.T) {
	a := test.NewTempApp(t)
	frame := loadPhoto(t, "joy.jpg")
	h := newHarnessOn(t, a, frame, newFakeEngine(), newFakeDirectory(), Options{})
	if !h.u.adapt.Load() || !h.u.adaptive.check.Checked {
		t.Fatal("adaptive templates off by default")
	}
	test.Tap(h.u.adaptive.check)
	if h.u.adapt.Load() || a.Preferences().Bool(PrefAdaptive) {
		t.Fatalf("unchecked: in force %v, saved %v", h.u.adapt.Load(), a.Preferences().Bool(PrefAdaptive))
	}
	h.u.stop()
	h2 := newHarnessOn(t, a, frame, newFakeEngine(), newFakeDirectory(), Options{})
	if h2.u.adapt.Load() || h2.u.adaptive.check.Checked {
		t.Fatal("turned off, then on again at the next start")
	}
	test.Tap(h2.u.adaptive.check)
	h2.u.stop()
	h3 := newHarnessOn(t, a, frame, newFakeEngine(), newFakeDirectory(), Options{NoAdaptive: true})
	if h3.u.adapt.Load() || h3.u.adaptive.check.Checked || !h3.u.adaptive.check.Disabled() {
		t.Fatalf("--adaptive=false: in force %v, checked %v, disabled %v", h3.u.adapt.Load(), h3.u.adaptive.check.Checked, h3.u.adaptive.check.Disabled())
	}
	if !a.Preferences().Bool(PrefAdaptive) {
		t.Error("--adaptive=false changed the saved setting")
	}
}
