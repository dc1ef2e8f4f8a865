package dlib_test

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	xdraw "golang.org/x/image/draw"

	"facelogin/internal/testdata"
	"facelogin/recognition"
	"facelogin/recognition/dlib"
)

func modelsDir(t testing.TB) string { return testdata.ModelsDir(t) }

var (
	shared     *dlib.Engine
	sharedErr  error
	sharedOnce sync.Once
)

var (
	live     *dlib.Engine
	liveErr  error
	liveOnce sync.Once
)

// liveEngine has the options of the live window: no CNN fallback.
func liveEngine(t testing.TB) *dlib.Engine {
	t.Helper()
	dir := modelsDir(t)
	liveOnce.Do(func() { live, liveErr = dlib.Open(dir, dlib.DefaultOptions) })
	if liveErr != nil {
		t.Fatal(liveErr)
	}
	return live
}

// engine loads the models once for all tests (loading takes ~1 s), with
// the options for photos.
func engine(t testing.TB) *dlib.Engine {
	t.Helper()
	dir := modelsDir(t)
	sharedOnce.Do(func() {
		shared, sharedErr = dlib.Open(dir, dlib.PhotoOptions)
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

func load(t testing.TB, path string) image.Image {
	t.Helper()
	img, err := recognition.LoadImageFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var (
	photoFacesOnce sync.Once
	photoFacesMap  map[string][]recognition.Face
	photoFacesErr  error
)

// photoFaces runs the engine once over every labelled photo (~40 s) and
// shares the result between tests.
func photoFaces(t *testing.T) map[string][]recognition.Face {
	t.Helper()
	e := engine(t)
	photos := testdata.Photos(t)
	photoFacesOnce.Do(func() {
		photoFacesMap = map[string][]recognition.Face{}
		for _, p := range photos {
			img, err := recognition.LoadImageFile(p.File)
			if err != nil {
				photoFacesErr = err
				return
			}
			faces, err := e.Recognize(img)
			if err != nil {
				photoFacesErr = fmt.Errorf("%s: %w", p.File, err)
				return
			}
			photoFacesMap[filepath.Base(p.File)] = faces
		}
	})
	if photoFacesErr != nil {
		t.Fatal(photoFacesErr)
	}
	return photoFacesMap
}

// largest is the face a portrait is of: photos of one person sometimes show
// a second, smaller face behind them.
func largest(faces []recognition.Face) recognition.Face {
	best := faces[0]
	for _, f := range faces[1:] {
		if f.Rect.Dx()*f.Rect.Dy() > best.Rect.Dx()*best.Rect.Dy() {
			best = f
		}
	}
	return best
}

// TestFaceCounts: the group photo yields its 10 faces, every portrait its
// person (eunseo.jpg and jimin3.jpg, turned away, only through the CNN
// fallback); every face has 68 landmarks inside its image and around its
// box, and a descriptor of dlib's scale.
func TestFaceCounts(t *testing.T) {
	all := photoFaces(t)
	for _, p := range testdata.Photos(t) {
		t.Run(filepath.Base(p.File), func(t *testing.T) {
			faces := all[filepath.Base(p.File)]
			if p.Person == "" && len(faces) != p.Faces || p.Person != "" && len(faces) == 0 {
				t.Fatalf("found %d faces, want %d", len(faces), p.Faces)
			}
			img := load(t, p.File)
			for _, f := range faces {
				if len(f.Landmarks) != 68 {
					t.Fatalf("%d landmarks, want 68", len(f.Landmarks))
				}
				// dlib extrapolates the landmarks of a face cut by the
				// border (jimin4.jpg) a little beyond the image.
				grown := f.Rect.Inset(-f.Rect.Dx() / 2)
				for _, pt := range f.Landmarks {
					if !pt.In(img.Bounds().Inset(-f.Rect.Dx()/4)) || !pt.In(grown) {
						t.Fatalf("landmark %v outside image %v or face %v", pt, img.Bounds(), f.Rect)
					}
				}
				var norm float32
				for _, v := range f.Descriptor {
					norm += v * v
				}
				if norm < 0.1 || norm > 10 {
					t.Fatalf("descriptor norm² %.3f is not a dlib descriptor", norm)
				}
			}
		})
	}
}

// TestRecognizeTranslatesCoordinates: a face found in a sub-image and in a
// scaled image is reported in the caller's coordinates.
func TestRecognizeTranslatesCoordinates(t *testing.T) {
	e := engine(t)
	img := load(t, filepath.Join(testdata.Dir(t), "faces", "elkie.jpg")) // 1500×1000, downscaled inside
	full, err := e.Recognize(img)
	if err != nil || len(full) != 1 {
		t.Fatalf("full image: %d faces, %v", len(full), err)
	}
	// The same pixels behind a non-zero origin.
	off := image.NewRGBA(image.Rect(100, 50, 1600, 1050))
	draw.Draw(off, off.Bounds(), img, img.Bounds().Min, draw.Src)
	moved, err := e.Recognize(off)
	if err != nil || len(moved) != 1 {
		t.Fatalf("offset image: %d faces, %v", len(moved), err)
	}
	d := moved[0].Rect.Min.Sub(full[0].Rect.Min.Add(image.Pt(100, 50)))
	if abs(d.X) > 2 || abs(d.Y) > 2 {
		t.Fatalf("offset box %v, want %v + (100,50)", moved[0].Rect, full[0].Rect)
	}
	if dist := recognition.Distance(&full[0].Descriptor, &moved[0].Descriptor); dist > 0.02 {
		t.Fatalf("same pixels, descriptor moved by %.3f", dist)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestPNGWithAlpha(t *testing.T) {
	e := engine(t)
	src := load(t, filepath.Join(testdata.Dir(t), "faces", "elkie.jpg"))
	// A transparent border around an opaque photo, as a cut-out PNG would be.
	b := src.Bounds()
	nrgba := image.NewNRGBA(b.Inset(-100))
	draw.Draw(nrgba, b, src, b.Min, draw.Src)
	faces, err := e.Recognize(recognition.Opaque(nrgba))
	if err != nil || len(faces) != 1 {
		t.Fatalf("PNG with alpha: %d faces, %v", len(faces), err)
	}
	if faces[0].Rect.Min.X < b.Min.X {
		t.Fatalf("face %v in the transparent border", faces[0].Rect)
	}
}

func TestBadInput(t *testing.T) {
	e := engine(t)
	for _, tc := range []struct {
		name string
		img  image.Image
		want error
	}{
		{"nil", nil, recognition.ErrEmptyImage},
		{"1x1", image.NewRGBA(image.Rect(0, 0, 1, 1)), recognition.ErrImageTooSmall},
		{"huge", image.NewGray(image.Rect(0, 0, 20000, 3)), recognition.ErrImageTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.Recognize(tc.img); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("blank", func(t *testing.T) {
		img := image.NewRGBA(image.Rect(0, 0, 640, 480))
		draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{128}), image.Point{}, draw.Src)
		if faces, err := e.Recognize(img); err != nil || len(faces) != 0 {
			t.Fatalf("blank frame: %d faces, %v", len(faces), err)
		}
	})
	t.Run("corrupt jpeg bytes", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(testdata.Dir(t), "faces", "elkie.jpg"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.RecognizeJPEG(raw[:len(raw)/3]); err == nil {
			t.Fatal("truncated JPEG accepted")
		}
		if _, err := e.RecognizeJPEG(nil); err == nil {
			t.Fatal("empty JPEG accepted")
		}
	})
}

// TestModelErrors: a missing or truncated model is a clear error, never a
// crash of the process.
func TestModelErrors(t *testing.T) {
	good := modelsDir(t)
	link := func(t *testing.T, skip string) string {
		dir := t.TempDir()
		for _, f := range recognition.ModelFiles() {
			if f != skip {
				if err := os.Symlink(filepath.Join(good, f), filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
			}
		}
		return dir
	}
	t.Run("missing", func(t *testing.T) {
		_, err := dlib.Open(link(t, recognition.ResNetFile), dlib.Options{})
		if !errors.Is(err, dlib.ErrModels) || !strings.Contains(err.Error(), recognition.ResNetFile+" is missing") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		dir := link(t, recognition.ResNetFile)
		raw, err := os.ReadFile(filepath.Join(good, recognition.ResNetFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, recognition.ResNetFile), raw[:len(raw)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = dlib.Open(dir, dlib.Options{})
		if !errors.Is(err, dlib.ErrModels) || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		dir := link(t, recognition.LandmarksFile)
		if err := os.WriteFile(filepath.Join(dir, recognition.LandmarksFile), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := dlib.Open(dir, dlib.Options{}); !errors.Is(err, dlib.ErrModels) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestClosedEngine(t *testing.T) {
	e, err := dlib.Open(modelsDir(t), dlib.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	e.Close()
	if _, err := e.Recognize(image.NewRGBA(image.Rect(0, 0, 64, 64))); !errors.Is(err, dlib.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// frame640 makes a 640×480 camera-like frame from a labelled photo: scaled
// to fit, letterboxed on grey.
func frame640(t testing.TB, name string) *image.RGBA {
	t.Helper()
	src := load(t, filepath.Join(testdata.Dir(t), "faces", name))
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.Gray{90}), image.Point{}, draw.Src)
	b := src.Bounds()
	s := min(640/float64(b.Dx()), 480/float64(b.Dy()))
	w, h := int(float64(b.Dx())*s), int(float64(b.Dy())*s)
	r := image.Rect((640-w)/2, (480-h)/2, (640-w)/2+w, (480-h)/2+h)
	xdraw.CatmullRom.Scale(dst, r, src, b, xdraw.Src, nil)
	return dst
}

func TestConcurrentRecognize(t *testing.T) {
	e := engine(t)
	frame := frame640(t, "elkie.jpg")
	want, err := e.Recognize(frame)
	if err != nil || len(want) != 1 {
		t.Fatalf("%d faces, %v", len(want), err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			got, err := e.Recognize(frame)
			switch {
			case err != nil:
				errs <- err
			case len(got) != 1 || got[0].Descriptor != want[0].Descriptor:
				errs <- fmt.Errorf("concurrent result differs: %d faces", len(got))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
