package app

import (
	"image"
	"image/color"
	"image/draw"
	"io"
	"log/slog"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"facelogin/recognition"
)

// TestMirrorFrame: the mirror image has every pixel of the frame at the
// mirrored column, from an *image.RGBA camera frame and from any other
// image alike, and mirrorFaces puts every landmark and box corner on the
// mirrored pixel.
func TestMirrorFrame(t *testing.T) {
	photo := loadPhoto(t, "joy.jpg")
	// An odd width and an origin off zero catch off-by-one columns.
	src := photo.SubImage(image.Rect(3, 5, 3+301, 5+200)).(*image.RGBA)
	b := src.Rect
	ycc := image.NewNRGBA(b)
	draw.Draw(ycc, b, src, b.Min, draw.Src)
	for _, tc := range []struct {
		name string
		img  image.Image
	}{{"RGBA", src}, {"NRGBA", ycc}} {
		t.Run(tc.name, func(t *testing.T) {
			dst := image.NewRGBA(b)
			mirrorFrame(dst, tc.img)
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if got, want := dst.RGBAAt(b.Min.X+b.Max.X-1-x, y), src.RGBAAt(x, y); got != want {
						t.Fatalf("pixel (%d,%d) mirrored: %v, want %v", x, y, got, want)
					}
				}
			}
		})
	}

	r := image.Rect(b.Min.X+10, b.Min.Y+20, b.Min.X+110, b.Min.Y+140)
	faces := mirrorFaces([]recognition.Face{{Rect: r, Landmarks: syntheticLandmarks(r)}}, b)
	// Mark the face's pixels in a frame and mirror it: the marks land on
	// the mirrored landmarks and inside the mirrored box's corners.
	marked := image.NewRGBA(b)
	for _, p := range syntheticLandmarks(r) {
		marked.SetRGBA(p.X, p.Y, landmarkColor)
	}
	marked.SetRGBA(r.Min.X, r.Min.Y, knownColor)
	marked.SetRGBA(r.Max.X-1, r.Max.Y-1, knownColor)
	shown := image.NewRGBA(b)
	mirrorFrame(shown, marked)
	m := faces[0]
	for i, p := range m.Landmarks {
		if shown.RGBAAt(p.X, p.Y) != landmarkColor {
			t.Errorf("mirrored landmark %d at %v is not on the mirrored pixel", i, p)
		}
	}
	if m.Rect.Size() != r.Size() || shown.RGBAAt(m.Rect.Max.X-1, m.Rect.Min.Y) != knownColor ||
		shown.RGBAAt(m.Rect.Min.X, m.Rect.Max.Y-1) != knownColor {
		t.Errorf("mirrored box %v of %v does not cover the mirrored corners", m.Rect, r)
	}
}

// leftFaceFrame is a frame twice as wide as joy.jpg with the photo in
// its left half (a grey right half) and one face scripted on the photo:
// the face is on the frame's left.
func leftFaceFrame(t *testing.T, eng *fakeEngine, d recognition.Descriptor) (*image.RGBA, recognition.Face) {
	t.Helper()
	photo := loadPhoto(t, "joy.jpg")
	pb := photo.Rect
	frame := image.NewRGBA(image.Rect(0, 0, 2*pb.Dx(), pb.Dy()))
	draw.Draw(frame, frame.Rect, image.NewUniform(color.RGBA{0x80, 0x80, 0x80, 0xff}), image.Point{}, draw.Src)
	draw.Draw(frame, image.Rect(0, 0, pb.Dx(), pb.Dy()), photo, pb.Min, draw.Src)
	r := centreFace(frame.SubImage(image.Rect(0, 0, pb.Dx(), pb.Dy())))
	face := recognition.Face{Rect: r, Landmarks: syntheticLandmarks(r), Descriptor: d}
	eng.set(frame, face)
	return frame, face
}

// withMirror turns the mirrored preview on, as the Settings check box
// does, as a shell setup function.
func withMirror(s *shell) { s.mirror.check.SetChecked(true) }

// landmarkHalves counts the landmark-coloured pixels in the left and
// right halves of img.
func landmarkHalves(img *image.RGBA) (left, right int) {
	b := img.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y) != landmarkColor {
				continue
			}
			if x < b.Min.X+b.Dx()/2 {
				left++
			} else {
				right++
			}
		}
	}
	return left, right
}

// TestMirroredPreview: with the mirror on, a face on the left half of the
// camera frame is shown on the right half, its landmarks and box on the
// mirrored pixels, in the displayed frame and in the window's painted
// canvas; the tracker and the labeler still get the camera's own frame
// (the face on the left, recognised). Turning the setting off shows the
// next frames as the camera sees them.
func TestMirroredPreview(t *testing.T) {
	elkie := idol(t, loadIdols(t), "Elkie (CLC)")
	eng := newFakeEngine()
	frame, face := leftFaceFrame(t, eng, elkie[3])
	dir := newFakeDirectory()
	dir.add("elkie", elkie[:3]...)
	h := newHarnessCam(t, test.NewTempApp(t), newFakeCamera(frame), eng, dir, Options{}, withMirror)
	sx := frame.Rect.Dx()
	mirrored := func(p image.Point) image.Point { return image.Pt(sx-1-p.X, p.Y) }

	h.waitFor("the mirrored frame with its labelled overlay", func() bool {
		img := h.shownFrame()
		if img == nil {
			return false
		}
		p := mirrored(face.Landmarks[8])
		top := image.Pt(sx-1-(face.Rect.Min.X+face.Rect.Dx()/3), face.Rect.Min.Y)
		return img.RGBAAt(p.X, p.Y) == landmarkColor && img.RGBAAt(top.X, top.Y) == knownColor
	})
	img := h.shownFrame()
	for i, p := range face.Landmarks {
		if m := mirrored(p); img.RGBAAt(m.X, m.Y) != landmarkColor {
			t.Errorf("landmark %d at %v: mirrored pixel %v is %v, want %v", i, p, m, img.RGBAAt(m.X, m.Y), landmarkColor)
		}
	}
	if left, right := landmarkHalves(img); left != 0 || right < 200 {
		t.Errorf("landmark pixels: %d on the left half, %d on the right; want all on the right", left, right)
	}
	// The picture itself: a corner of the photo away from the overlay.
	if got, want := img.RGBAAt(sx-1-4, 4), frame.RGBAAt(4, 4); got != want {
		t.Errorf("top-left camera pixel shown top-right as %v, want %v", got, want)
	}
	// Recognition ran on the camera's own frame: the tracker's face is on
	// the left and carries the known label.
	if lf := eng.trackedFrame(t, frame); len(lf.Faces) != 1 || lf.Faces[0].Face().Rect != face.Rect {
		t.Fatalf("tracked %+v, want the face on the left as the camera sees it", lf.Faces)
	}
	if l := h.u.det.latest().labels; len(l) != 1 || !l[0].Known {
		t.Errorf("labels %+v, want elkie", l)
	}

	// The painted window: the preview's landmarks lie right of its middle.
	h.u.win.Resize(fyne.NewSize(1100, 640))
	shot := h.u.win.Canvas().Capture()
	scale := float32(shot.Bounds().Dx()) / h.u.win.Canvas().Size().Width
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(h.u.preview.image)
	mid := int((pos.X + h.u.preview.image.Size().Width/2) * scale)
	var left, right int
	sb := shot.Bounds()
	for y := sb.Min.Y; y < sb.Max.Y; y++ {
		for x := sb.Min.X; x < sb.Max.X; x++ {
			if c := color.RGBAModel.Convert(shot.At(x, y)).(color.RGBA); c.R < 90 && c.G > 170 && c.B > 200 {
				if x < mid {
					left++
				} else {
					right++
				}
			}
		}
	}
	if right < 50 || left > right/10 {
		t.Errorf("window capture: %d cyan pixels left of the preview's middle, %d right; want them on the right", left, right)
	}

	// Off: the next frames are the camera's own.
	test.Tap(h.u.mirror.check)
	h.waitFor("an unmirrored frame", func() bool {
		img := h.shownFrame()
		p := face.Landmarks[8]
		return img != nil && img.RGBAAt(p.X, p.Y) == landmarkColor
	})
	if left, right := landmarkHalves(h.shownFrame()); left < 200 || right != 0 {
		t.Errorf("mirror off: landmark pixels %d on the left half, %d on the right; want all on the left", left, right)
	}
}

// TestKioskMirroredPreview: the kiosk shows the same mirrored preview.
func TestKioskMirroredPreview(t *testing.T) {
	kh := newKioskHarnessLive(t, nil, KioskOptions{}, false, 0, nil, withMirror)
	frame, face := leftFaceFrame(t, kh.eng, recognition.Descriptor{})
	kh.cam.show(frame)
	p := face.Landmarks[30]
	kh.waitFor("the mirrored nose in the kiosk", func() bool {
		img, _ := kh.k.s.preview.image.Image.(*image.RGBA)
		return img != nil && img.Rect == frame.Rect && img.RGBAAt(frame.Rect.Dx()-1-p.X, p.Y) == landmarkColor
	})
	img := kh.k.s.preview.image.Image.(*image.RGBA)
	if left, right := landmarkHalves(img); left != 0 || right < 200 {
		t.Errorf("kiosk landmark pixels: %d on the left half, %d on the right; want all on the right", left, right)
	}
}

// TestMirrorSetting: the preview is mirrored unless the person turns it
// off in Settings; the choice is kept for the next start.
func TestMirrorSetting(t *testing.T) {
	a := test.NewTempApp(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := newMirrorSetting(a.Preferences(), log)
	if !s.on.Load() || !s.check.Checked {
		t.Fatal("preview not mirrored by default")
	}
	test.Tap(s.check)
	if s.on.Load() || a.Preferences().BoolWithFallback(PrefMirror, true) {
		t.Fatal("unchecked, still mirrored or not saved")
	}
	if s2 := newMirrorSetting(a.Preferences(), log); s2.on.Load() || s2.check.Checked {
		t.Fatal("turned off, mirrored again at the next start")
	}
	// The shell's Settings tab holds the check and the preview follows it.
	h := newHarnessCam(t, a, newFakeCamera(loadPhoto(t, "joy.jpg")), newFakeEngine(), newFakeDirectory(), Options{})
	if h.u.preview.mirror != h.u.mirror.on || h.u.preview.mirror.Load() {
		t.Fatal("the preview does not follow the saved setting")
	}
	test.Tap(h.u.mirror.check)
	if !h.u.preview.mirror.Load() || !a.Preferences().Bool(PrefMirror) {
		t.Fatal("checked in Settings: the preview is not mirrored or the choice not saved")
	}
}
