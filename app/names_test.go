package app

import (
	"log/slog"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestPreviewNamesOffByDefault: the window's preview names nobody unless
// its owner turns Settings → Show names on the preview on — a stranger at
// the desktop would learn who is enrolled. Off (the default), a
// registered face in view gets its box and landmarks and no label, and the
// labeler computes no descriptor; on, the face is named at once; off
// again, the name goes.
func TestPreviewNamesOffByDefault(t *testing.T) {
	if newPreviewNamesSetting(test.NewTempApp(t).Preferences(), slog.Default()).on.Load() {
		t.Fatal("names on the preview are on in a fresh install")
	}
	idols := loadIdols(t)
	elkie := idol(t, idols, "Elkie (CLC)")
	frame := loadPhoto(t, "elkie.jpg")
	a := test.NewTempApp(t)
	a.Preferences().SetBool(PrefPreviewNames, false) // a fresh install's value (above)
	h := newHarnessOn(t, a, frame, newFakeEngine(), newFakeDirectory(), Options{})
	faces := h.eng.script(frame, elkie[3])
	h.dir.add("elkie", elkie[:3]...)
	pts, r := faces[0].Landmarks, faces[0].Rect
	h.waitFor("the landmarks on screen and 10 detections past the labeler", func() bool {
		img := h.shownFrame()
		return img != nil && img.Rect == frame.Rect && img.RGBAAt(pts[8].X, pts[8].Y) == landmarkColor &&
			h.u.det.labels.seen.Load() >= 10
	})
	if l := h.u.det.latest().labels; len(l) != 0 {
		t.Errorf("names off: labels %+v", l)
	}
	if n := len(h.eng.describeCalls()); n != 0 {
		t.Errorf("names off: the labeler computed %d descriptors", n)
	}
	if got := h.shownFrame().RGBAAt(r.Min.X+r.Dx()/3, r.Min.Y); got != faceColor {
		t.Errorf("names off: the box is %v, want the colour of any face %v (green or red would tell whether it is registered)", got, faceColor)
	}

	test.Tap(h.u.names.check)
	h.waitFor("elkie named", func() bool {
		l := h.u.det.latest().labels
		return len(l) == 1 && l[0].Known && strings.HasPrefix(l[0].Text, "elkie 0.")
	})
	if !a.Preferences().Bool(PrefPreviewNames) {
		t.Error("the setting was not saved")
	}
	test.Tap(h.u.names.check)
	h.waitFor("no names", func() bool { return len(h.u.det.latest().labels) == 0 })
}
