package dlib_test

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"testing"

	xdraw "golang.org/x/image/draw"

	"facelogin/internal/testdata"
	"facelogin/recognition"
	"facelogin/recognition/dlib"
)

// groupPhoto is a w×h photo made of the labelled portraits: each one's
// face, with its surroundings, scaled so the face box is faceSide pixels
// wide and laid on a grey ground in a grid. It returns where each face
// should be found and the portrait's descriptor at full size.
type placedFace struct {
	want image.Rectangle
	desc recognition.Descriptor
	name string
}

func groupPhoto(t testing.TB, w, h, faceSide, n int) (*image.RGBA, []placedFace) {
	t.Helper()
	e := liveEngine(t)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.Gray{110}), image.Point{}, draw.Src)
	cols := 4
	rows := (n + cols - 1) / cols
	cellW, cellH := w/cols, h/rows
	var placed []placedFace
	for _, p := range testdata.Photos(t) {
		if len(placed) == n {
			break
		}
		if p.Person == "" {
			continue
		}
		src := load(t, p.File)
		faces, err := e.Recognize(src)
		if err != nil || len(faces) != 1 {
			continue // turned faces or background people: not this test's concern
		}
		f := faces[0]
		k := float64(faceSide) / float64(f.Rect.Dx())
		// The face with one face-width of context around it.
		crop := f.Rect.Inset(-f.Rect.Dx()).Intersect(src.Bounds())
		cw, ch := int(float64(crop.Dx())*k), int(float64(crop.Dy())*k)
		if cw > cellW || ch > cellH {
			t.Fatalf("cell %dx%d too small for %dx%d", cellW, cellH, cw, ch)
		}
		i := len(placed)
		origin := image.Pt((i%cols)*cellW+(cellW-cw)/2, (i/cols)*cellH+(cellH-ch)/2)
		xdraw.CatmullRom.Scale(dst, image.Rectangle{Min: origin, Max: origin.Add(image.Pt(cw, ch))}, src, crop, xdraw.Src, nil)
		at := func(q image.Point) image.Point {
			return origin.Add(image.Pt(int(float64(q.X-crop.Min.X)*k), int(float64(q.Y-crop.Min.Y)*k)))
		}
		placed = append(placed, placedFace{want: image.Rectangle{Min: at(f.Rect.Min), Max: at(f.Rect.Max)}, desc: f.Descriptor, name: filepath.Base(p.File)})
	}
	if len(placed) < n {
		t.Fatalf("only %d usable portraits", len(placed))
	}
	return dst, placed
}

// TestSmallFacesInLargePhotos: photo mode finds every face the detector can
// find at some scale. A 24 MP group photo with faces ~130 px wide (the
// coarse 2400-pixel pass shrinks them to 52 px, below HOG's 80) and a 3 MP
// photo with 52 px faces (found only when upsampled) give all their faces,
// each where it was placed and, for the 130 px faces, with a descriptor of
// the right person.
func TestSmallFacesInLargePhotos(t *testing.T) {
	e := engine(t)
	for _, tc := range []struct {
		w, h, face, n int
		maxDist       float32 // to the portrait's descriptor at full size
	}{
		{6000, 4000, 130, 8, 0.375},
		{2000, 1500, 52, 8, 0.6},
	} {
		t.Run(fmt.Sprintf("%dx%d/%dpx", tc.w, tc.h, tc.face), func(t *testing.T) {
			img, placed := groupPhoto(t, tc.w, tc.h, tc.face, tc.n)
			faces, err := e.Recognize(img)
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			for _, p := range placed {
				var hit *recognition.Face
				for i := range faces {
					c := faces[i].Rect.Min.Add(faces[i].Rect.Max).Div(2)
					if c.In(p.want.Inset(-p.want.Dx() / 4)) {
						hit = &faces[i]
					}
				}
				if hit == nil {
					t.Errorf("%s: face at %v not found", p.name, p.want)
					continue
				}
				found++
				d := recognition.Distance(&hit.Descriptor, &p.desc)
				t.Logf("%s: box %v (placed %v), %.3f from its portrait", p.name, hit.Rect, p.want, d)
				if d > tc.maxDist {
					t.Errorf("%s: descriptor %.3f from its portrait, want ≤ %.3f", p.name, d, tc.maxDist)
				}
			}
			if len(faces) != len(placed) {
				t.Errorf("%d faces found, %d placed", len(faces), len(placed))
			}
		})
	}
}

// BenchmarkPhotoMode: Recognize with PhotoOptions on the 24 MP group photo
// (8 faces of 130 px) and the 3 MP one (8 faces of 52 px, upsampled 2×):
// the time a photo costs in photo mode, bounded by FinePixels.
func BenchmarkPhotoMode(b *testing.B) {
	e := engine(b)
	for _, tc := range []struct{ w, h, face int }{{6000, 4000, 130}, {2000, 1500, 52}} {
		img, placed := groupPhoto(b, tc.w, tc.h, tc.face, 8)
		b.Run(fmt.Sprintf("%dMP", tc.w*tc.h/1_000_000), func(b *testing.B) {
			for b.Loop() {
				if faces, err := e.Recognize(img); err != nil || len(faces) != len(placed) {
					b.Fatalf("%d faces, %v", len(faces), err)
				}
			}
		})
	}
	_ = dlib.PhotoOptions
}

// TestPhoneOrientation: the field report's phone photo stored sideways
// with an Orientation tag, in all eight orientations, through the one photo
// decoder (LoadImageFile) and the photo engine: one face, its descriptor
// within 0.1 of the upright photo's (read as-is it was 0.72 away, a
// template that never matches its owner).
func TestPhoneOrientation(t *testing.T) {
	e := engine(t)
	up := load(t, filepath.Join(testdata.Dir(t), "faces", "joy.jpg"))
	u := image.NewRGBA(image.Rect(0, 0, up.Bounds().Dx(), up.Bounds().Dy()))
	draw.Draw(u, u.Bounds(), up, up.Bounds().Min, draw.Src)
	want, err := e.Recognize(u)
	if err != nil || len(want) != 1 {
		t.Fatalf("upright: %d faces, %v", len(want), err)
	}
	dir := t.TempDir()
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("phone-%d.jpg", o))
			if err := os.WriteFile(path, testdata.JPEGWithOrientation(t, testdata.StoredWithOrientation(u, o), o), 0o600); err != nil {
				t.Fatal(err)
			}
			img, err := recognition.LoadImageFile(path)
			if err != nil {
				t.Fatal(err)
			}
			faces, err := e.Recognize(img)
			if err != nil || len(faces) != 1 {
				t.Fatalf("%d faces, %v", len(faces), err)
			}
			if d := recognition.Distance(&faces[0].Descriptor, &want[0].Descriptor); d > 0.1 {
				t.Fatalf("descriptor %.3f from the upright photo's", d)
			}
		})
	}
}
