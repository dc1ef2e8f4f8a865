package app

import (
	"image"
	"image/color"
	"image/draw"
	"sync"

	"fyne.io/fyne/v2/theme"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"facelogin/recognition"
)

// Overlay colours.
var (
	knownColor   = color.RGBA{0x22, 0xc5, 0x5e, 0xff} // recognised face: box and label
	unknownColor = color.RGBA{0xef, 0x44, 0x44, 0xff} // unknown face
	// faceColor boxes a face with no label: names off, the kiosk, or before
	// the labeler's first answer. Neither green nor red, which would tell
	// whoever stands at the camera whether a face is registered.
	faceColor     = color.RGBA{0x3b, 0x82, 0xf6, 0xff}
	landmarkColor = color.RGBA{0x00, 0xe5, 0xff, 0xff} // 68-point contours
	labelBack     = color.RGBA{0x10, 0x10, 0x10, 0xff}
	labelText     = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// faceLabel is what the overlay writes on one face.
type faceLabel struct {
	Text  string
	Known bool
}

// contour is a run of the 68-point landmarks drawn as one polyline.
type contour struct {
	from, to int // inclusive
	closed   bool
}

// contours68 are the iBUG 300-W groups: jaw, brows, nose bridge and base,
// eyes, outer and inner lips.
var contours68 = [...]contour{
	{0, 16, false},  // jaw
	{17, 21, false}, // right brow
	{22, 26, false}, // left brow
	{27, 30, false}, // nose bridge
	{31, 35, false}, // nose base
	{36, 41, true},  // right eye
	{42, 47, true},  // left eye
	{48, 59, true},  // outer lips
	{60, 67, true},  // inner lips
}

// copyFrame makes dst a copy of src (dst must have src's bounds). Frames from
// the camera are *image.RGBA, copied with one memmove.
func copyFrame(dst *image.RGBA, src image.Image) {
	if s, ok := src.(*image.RGBA); ok && s.Rect == dst.Rect && s.Stride == dst.Stride {
		copy(dst.Pix, s.Pix)
		return
	}
	draw.Draw(dst, dst.Rect, src, src.Bounds().Min, draw.Src)
}

// drawOverlay draws boxes, landmark contours and labels of faces onto dst.
// labels[i] belongs to faces[i]; a face without a label is boxed in
// faceColor with no text.
func drawOverlay(dst *image.RGBA, faces []recognition.Face, labels []faceLabel) {
	b := dst.Rect
	// Lines 2 px wide on a 640×480 frame, thicker on bigger ones.
	thick := max(1, min(b.Dx(), b.Dy())/240)
	for i := range faces {
		f := &faces[i]
		col := faceColor
		var lab faceLabel
		if i < len(labels) {
			lab = labels[i]
			col = unknownColor
			if lab.Known {
				col = knownColor
			}
		}
		drawRect(dst, f.Rect, col, thick)
		drawLandmarks(dst, f.Landmarks, thick)
		if lab.Text != "" {
			drawLabel(dst, f.Rect, lab.Text, col)
		}
	}
}

func drawLandmarks(dst *image.RGBA, pts []image.Point, thick int) {
	if len(pts) != 68 {
		// 5-point (or other) landmarks have no contours: dots only.
		for _, p := range pts {
			fillRect(dst, image.Rect(p.X-thick, p.Y-thick, p.X+thick+1, p.Y+thick+1), landmarkColor)
		}
		return
	}
	for _, c := range contours68 {
		for i := c.from; i < c.to; i++ {
			drawLine(dst, pts[i], pts[i+1], landmarkColor, thick)
		}
		if c.closed {
			drawLine(dst, pts[c.to], pts[c.from], landmarkColor, thick)
		}
	}
}

func drawRect(dst *image.RGBA, r image.Rectangle, col color.RGBA, thick int) {
	fillRect(dst, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+thick), col)
	fillRect(dst, image.Rect(r.Min.X, r.Max.Y-thick, r.Max.X, r.Max.Y), col)
	fillRect(dst, image.Rect(r.Min.X, r.Min.Y, r.Min.X+thick, r.Max.Y), col)
	fillRect(dst, image.Rect(r.Max.X-thick, r.Min.Y, r.Max.X, r.Max.Y), col)
}

// fillRect paints r∩dst with col.
func fillRect(dst *image.RGBA, r image.Rectangle, col color.RGBA) {
	r = r.Intersect(dst.Rect)
	if r.Empty() {
		return
	}
	px := [4]byte{col.R, col.G, col.B, col.A}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := dst.Pix[dst.PixOffset(r.Min.X, y):dst.PixOffset(r.Max.X, y)]
		for x := 0; x < len(row); x += 4 {
			copy(row[x:x+4], px[:])
		}
	}
}

// drawLine draws a line thick pixels wide with Bresenham's algorithm, each
// step a thick×thick square.
func drawLine(dst *image.RGBA, a, b image.Point, col color.RGBA, thick int) {
	dx, dy := abs(b.X-a.X), -abs(b.Y-a.Y)
	sx, sy := 1, 1
	if a.X > b.X {
		sx = -1
	}
	if a.Y > b.Y {
		sy = -1
	}
	lo := thick / 2
	hi := thick - lo
	e := dx + dy
	x, y := a.X, a.Y
	for {
		if thick == 1 {
			if (image.Point{x, y}).In(dst.Rect) {
				o := dst.PixOffset(x, y)
				dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = col.R, col.G, col.B, col.A
			}
		} else {
			fillRect(dst, image.Rect(x-lo, y-lo, x+hi, y+hi), col)
		}
		if x == b.X && y == b.Y {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x += sx
		}
		if e2 <= dx {
			e += dx
			y += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// labelFont is the overlay labels' typeface: the window's own bold font
// (Fyne's theme), drawn anti-aliased.
var labelFont = sync.OnceValues(func() (*opentype.Font, error) {
	return opentype.Parse(theme.DefaultTextBoldFont().Content())
})

// labelFaces holds labelFont per pixel size, each with its glyph cache. A
// face is not safe for concurrent use: labels are drawn under mu.
var labelFaces struct {
	mu     sync.Mutex
	bySize map[int]font.Face
}

// labelFace is labelFont at px pixels. Call with labelFaces.mu held.
func labelFace(px int) (font.Face, error) {
	if f, ok := labelFaces.bySize[px]; ok {
		return f, nil
	}
	f, err := labelFont()
	if err != nil {
		return nil, err
	}
	ff, err := opentype.NewFace(f, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	if labelFaces.bySize == nil {
		labelFaces.bySize = map[int]font.Face{}
	}
	labelFaces.bySize[px] = ff
	return ff, nil
}

// drawLabel writes text in a filled box on the top edge of the face box (or
// under it when the face touches the top of the frame), kept inside the
// frame. The text is 1/28 of the frame's height (17 px on 480 lines), at
// least 13 px.
func drawLabel(dst *image.RGBA, face image.Rectangle, text string, col color.RGBA) {
	px := max(13, dst.Rect.Dy()/28)
	labelFaces.mu.Lock()
	defer labelFaces.mu.Unlock()
	ff, err := labelFace(px)
	if err != nil {
		// The embedded font is part of Fyne: it parses. Without it the
		// box and landmarks still show.
		return
	}
	m := ff.Metrics()
	pad := px / 4
	w := font.MeasureString(ff, text).Ceil() + 2*pad
	h := (m.Ascent + m.Descent).Ceil() + 2*pad
	at := image.Pt(face.Min.X, face.Min.Y-h)
	if at.Y < dst.Rect.Min.Y {
		at.Y = face.Max.Y
	}
	at.X = max(dst.Rect.Min.X, min(at.X, dst.Rect.Max.X-w))
	box := image.Rectangle{at, at.Add(image.Pt(w, h))}
	fillRect(dst, box, col)
	fillRect(dst, box.Inset(max(1, pad/3)), labelBack)
	d := font.Drawer{
		Dst:  dst,
		Src:  image.NewUniform(labelText),
		Face: ff,
		Dot:  fixed.P(at.X+pad, at.Y+pad+m.Ascent.Ceil()),
	}
	d.DrawString(text)
}
