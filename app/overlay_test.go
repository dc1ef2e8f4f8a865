package app

import (
	"image"
	"image/color"
	"testing"

	"facelogin/recognition"
)

func mid(a, b image.Point) image.Point { return a.Add(b).Div(2) }

func TestOverlayDrawsLandmarkContours(t *testing.T) {
	frame := loadPhoto(t, "elkie.jpg")
	r := centreFace(frame)
	pts := syntheticLandmarks(r)
	dst := image.NewRGBA(frame.Rect)
	copyFrame(dst, frame)
	drawOverlay(dst, []recognition.Face{{Rect: r, Landmarks: pts}}, []faceLabel{{Text: "elkie 0.31", Known: true}})

	at := func(p image.Point) color.RGBA { return dst.RGBAAt(p.X, p.Y) }
	// near: a landmark-coloured pixel within 1 px of p (a 2 px line covers
	// one side of its centre).
	near := func(p image.Point) bool {
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if at(p.Add(image.Pt(dx, dy))) == landmarkColor {
					return true
				}
			}
		}
		return false
	}
	t.Run("every landmark", func(t *testing.T) {
		for i, p := range pts {
			if got := at(p); got != landmarkColor {
				t.Errorf("landmark %d at %v: colour %v, want %v", i, p, got, landmarkColor)
			}
		}
	})
	t.Run("contours connected", func(t *testing.T) {
		for _, c := range contours68 {
			for i := c.from; i < c.to; i++ {
				if p := mid(pts[i], pts[i+1]); !near(p) {
					t.Errorf("no line between landmarks %d and %d (at %v: %v)", i, i+1, p, at(p))
				}
			}
			if p := mid(pts[c.to], pts[c.from]); c.closed && !near(p) {
				t.Errorf("contour %d-%d not closed (at %v: %v)", c.from, c.to, p, at(p))
			}
		}
	})
	t.Run("separate contours not joined", func(t *testing.T) {
		for _, pair := range [][2]int{{21, 22}, {26, 27}, {35, 36}} {
			if p := mid(pts[pair[0]], pts[pair[1]]); near(p) {
				t.Errorf("line drawn between landmarks %d and %d (at %v)", pair[0], pair[1], p)
			}
		}
	})
	t.Run("box in the recognised colour", func(t *testing.T) {
		for _, p := range []image.Point{
			{r.Min.X + r.Dx()/3, r.Min.Y}, {r.Min.X + r.Dx()/3, r.Max.Y - 1},
			{r.Min.X, r.Min.Y + r.Dy()/3}, {r.Max.X - 1, r.Min.Y + r.Dy()/3},
		} {
			if got := at(p); got != knownColor {
				t.Errorf("box edge at %v: %v, want %v", p, got, knownColor)
			}
		}
	})
	t.Run("label above the box", func(t *testing.T) {
		var text, back int
		for y := r.Min.Y - 19; y < r.Min.Y; y++ {
			for x := r.Min.X; x < r.Min.X+80; x++ {
				switch at(image.Pt(x, y)) {
				case labelText:
					text++
				case labelBack:
					back++
				}
			}
		}
		if text < 40 || back < 200 {
			t.Errorf("label area has %d text and %d background pixels, want a written label", text, back)
		}
	})
	t.Run("rest of the frame untouched", func(t *testing.T) {
		for _, p := range []image.Point{{2, frame.Rect.Max.Y - 3}, {frame.Rect.Max.X - 3, 2}} {
			if at(p) != frame.RGBAAt(p.X, p.Y) {
				t.Errorf("pixel %v changed", p)
			}
		}
	})
}

func TestOverlayUnknownFaceIsRed(t *testing.T) {
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	r := image.Rect(200, 120, 440, 360)
	drawOverlay(dst, []recognition.Face{{Rect: r}, {Rect: r.Add(image.Pt(0, 100))}}, []faceLabel{{Text: "unknown"}})
	if got := dst.RGBAAt(300, r.Min.Y+100); got != faceColor {
		t.Errorf("face without a label: %v, want the neutral %v", got, faceColor)
	}
	if got := dst.RGBAAt(300, r.Min.Y); got != unknownColor {
		t.Errorf("unknown face box: %v, want %v", got, unknownColor)
	}
}

func TestOverlayClipsAtFrameEdges(t *testing.T) {
	dst := image.NewRGBA(image.Rect(0, 0, 64, 48))
	r := image.Rect(-40, -30, 100, 90) // bigger than the frame
	drawOverlay(dst, []recognition.Face{{Rect: r, Landmarks: syntheticLandmarks(r)}}, []faceLabel{{Text: "x", Known: true}})
}

func TestOverlayFivePointLandmarks(t *testing.T) {
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	pts := []image.Point{{250, 200}, {300, 200}, {390, 200}, {340, 200}, {320, 280}}
	drawOverlay(dst, []recognition.Face{{Rect: image.Rect(200, 120, 440, 360), Landmarks: pts}}, nil)
	for _, p := range pts {
		if dst.RGBAAt(p.X, p.Y) != landmarkColor {
			t.Errorf("5-point landmark %v not drawn", p)
		}
	}
	if dst.RGBAAt(275, 200) == landmarkColor {
		t.Error("5-point landmarks joined by a line")
	}
}

// benchFrame is a 640×480 camera frame with one face.
func benchFrame(b testing.TB) (*image.RGBA, []recognition.Face, []faceLabel) {
	photo := loadPhoto(b, "elkie.jpg")
	frame := image.NewRGBA(image.Rect(0, 0, 640, 480))
	copyFrame(frame, photo.SubImage(photo.Rect).(*image.RGBA)) // size differs: the draw path
	r := image.Rect(220, 120, 420, 340)
	return frame, []recognition.Face{{Rect: r, Landmarks: syntheticLandmarks(r)}}, []faceLabel{{Text: "elkie 0.31", Known: true}}
}

// BenchmarkOverlay is the per-displayed-frame cost of the preview: copy the
// camera frame and draw one face's box, contours and label on it.
func BenchmarkOverlay(b *testing.B) {
	frame, faces, labels := benchFrame(b)
	dst := image.NewRGBA(frame.Rect)
	b.ReportAllocs()
	for b.Loop() {
		copyFrame(dst, frame)
		drawOverlay(dst, faces, labels)
	}
}

// BenchmarkOverlayMirrored is BenchmarkOverlay on the mirrored preview
// (the default): the frame flipped while copied, the faces flipped.
func BenchmarkOverlayMirrored(b *testing.B) {
	frame, faces, labels := benchFrame(b)
	dst := image.NewRGBA(frame.Rect)
	b.ReportAllocs()
	for b.Loop() {
		mirrorFrame(dst, frame)
		drawOverlay(dst, mirrorFaces(faces, dst.Rect), labels)
	}
}

// BenchmarkOverlayDrawOnly leaves out the frame copy.
func BenchmarkOverlayDrawOnly(b *testing.B) {
	frame, faces, labels := benchFrame(b)
	b.ReportAllocs()
	for b.Loop() {
		drawOverlay(frame, faces, labels)
	}
}
