//go:build ignore

// Drawicon draws Face Login's application icon, assets/icon.png (512x512):
// a face outline inside the corner brackets of a camera's detection box, on
// a blue rounded square. Our own drawing, made from shapes in code so anyone
// can change and redraw it:
//
//	go run assets/drawicon.go
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

const (
	size = 512
	ss   = 4 // supersamples per axis, for anti-aliased edges
)

// shape reports whether the point (x, y), in units of the icon's side
// (0..1), is inside it.
type shape func(x, y float64) bool

type layer struct {
	in  shape
	col func(x, y float64) color.NRGBA
}

func solid(c color.NRGBA) func(x, y float64) color.NRGBA {
	return func(x, y float64) color.NRGBA { return c }
}

func roundedSquare(x0, y0, x1, y1, r float64) shape {
	return func(x, y float64) bool {
		if x < x0 || x > x1 || y < y0 || y > y1 {
			return false
		}
		cx := math.Max(x0+r, math.Min(x, x1-r))
		cy := math.Max(y0+r, math.Min(y, y1-r))
		return math.Hypot(x-cx, y-cy) <= r
	}
}

// ring is the band between two ellipses with the same centre.
func ring(cx, cy, rx, ry, width float64) shape {
	return func(x, y float64) bool {
		d := math.Hypot((x-cx)/rx, (y-cy)/ry)
		inner := math.Hypot((x-cx)/(rx-width), (y-cy)/(ry-width))
		return d <= 1 && inner >= 1
	}
}

func disc(cx, cy, r float64) shape {
	return func(x, y float64) bool { return math.Hypot(x-cx, y-cy) <= r }
}

// arc is a stroke of the given width along a circle, between two angles
// (radians, y pointing down).
func arc(cx, cy, r, width, from, to float64) shape {
	return func(x, y float64) bool {
		d := math.Hypot(x-cx, y-cy)
		if math.Abs(d-r) > width/2 {
			return false
		}
		a := math.Atan2(y-cy, x-cx)
		return a >= from && a <= to
	}
}

// bracket is one corner of a detection box: two bars of the given length
// and thickness meeting at (cx, cy), pointing along dx and dy (±1).
func bracket(cx, cy, dx, dy, length, thick float64) shape {
	bar := func(x0, y0, x1, y1 float64) shape {
		lx, hx := math.Min(x0, x1), math.Max(x0, x1)
		ly, hy := math.Min(y0, y1), math.Max(y0, y1)
		return roundedSquare(lx, ly, hx, hy, thick/2)
	}
	h := bar(cx, cy, cx+dx*length, cy+dy*thick)
	v := bar(cx, cy, cx+dx*thick, cy+dy*length)
	return func(x, y float64) bool { return h(x, y) || v(x, y) }
}

func union(shapes ...shape) shape {
	return func(x, y float64) bool {
		for _, s := range shapes {
			if s(x, y) {
				return true
			}
		}
		return false
	}
}

func main() {
	out := "assets/icon.png"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	green := color.NRGBA{0x6e, 0xe7, 0xb7, 0xff}
	layers := []layer{
		{ // background: a vertical blue gradient
			in: roundedSquare(0.03, 0.03, 0.97, 0.97, 0.18),
			col: func(x, y float64) color.NRGBA {
				top, bottom := [3]float64{0x3b, 0x82, 0xf6}, [3]float64{0x1e, 0x3a, 0x8a}
				var c [3]uint8
				for i := range c {
					c[i] = uint8(top[i] + (bottom[i]-top[i])*y)
				}
				return color.NRGBA{c[0], c[1], c[2], 0xff}
			},
		},
		{ // detection box corners
			in: union(
				bracket(0.17, 0.17, 1, 1, 0.2, 0.045),
				bracket(0.83, 0.17, -1, 1, 0.2, 0.045),
				bracket(0.17, 0.83, 1, -1, 0.2, 0.045),
				bracket(0.83, 0.83, -1, -1, 0.2, 0.045),
			),
			col: solid(green),
		},
		{ // the face: head, eyes, smile
			in: union(
				ring(0.5, 0.5, 0.23, 0.27, 0.04),
				disc(0.42, 0.45, 0.032),
				disc(0.58, 0.45, 0.032),
				arc(0.5, 0.5, 0.12, 0.035, 0.2*math.Pi, 0.8*math.Pi),
			),
			col: solid(white),
		},
	}

	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / size
					y := (float64(py) + (float64(sy)+0.5)/ss) / size
					// The topmost layer containing the sample colours it.
					for i := len(layers) - 1; i >= 0; i-- {
						if layers[i].in(x, y) {
							c := layers[i].col(x, y)
							r += float64(c.R)
							g += float64(c.G)
							b += float64(c.B)
							a += 255
							break
						}
					}
				}
			}
			if a == 0 {
				continue
			}
			// Colour averaged over covered samples (straight alpha), alpha over all.
			n := a / 255
			img.SetNRGBA(px, py, color.NRGBA{
				uint8(r/n + 0.5), uint8(g/n + 0.5), uint8(b/n + 0.5), uint8(a/(ss*ss) + 0.5),
			})
		}
	}

	f, err := os.Create(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "drawicon:", err)
		os.Exit(1)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		fmt.Fprintln(os.Stderr, "drawicon:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "drawicon:", err)
		os.Exit(1)
	}
}
