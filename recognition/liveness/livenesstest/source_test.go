package livenesstest

import (
	"errors"
	"fmt"
	"image"
	"io"
	"iter"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"facelogin/camera"
	"facelogin/internal/testdata"
	"facelogin/recognition/dlib"
	"facelogin/recognition/liveness"
)

// The landmark source of every real-data test is the product's fast path:
// a dlib Tracker (HOG detector, 68-point shape predictor with sub-pixel
// points, track IDs) on every frame of the stream, in order, with the
// stream's own timestamps, each frame turned into the check's input by
// liveness.FromLandmarkFrame (landmarks and the face's Patch) — exactly
// what the app feeds the check.

var (
	modelsOnce sync.Once
	lmVal      *dlib.Landmarker
	lmErr      error
	engineOnce sync.Once
	engineVal  *dlib.Engine
	engineErr  error
)

// landmarker is the shared shape predictor and detector (one per test
// binary; every stream gets its own Tracker).
func landmarker(t testing.TB) *dlib.Landmarker {
	t.Helper()
	dir := testdata.ModelsDir(t)
	modelsOnce.Do(func() { lmVal, lmErr = dlib.OpenLandmarker(dir) })
	if lmErr != nil {
		t.Fatal(lmErr)
	}
	return lmVal
}

// engine is the descriptor engine, for the identity check only.
func engine(t testing.TB) *dlib.Engine {
	t.Helper()
	dir := testdata.ModelsDir(t)
	engineOnce.Do(func() { engineVal, engineErr = dlib.Open(dir, dlib.DefaultOptions) })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engineVal
}

// trackStream runs a new Tracker over frames, in order, and returns the
// check's input for each. The frames are not kept (thousands of them
// would not fit): each face carries the Patch the check would make of the
// frame (liveness.NewPatch, as Challenge.Feed does from Frame.Image).
func trackStream(t testing.TB, frames iter.Seq2[time.Duration, *image.RGBA]) ([]liveness.Frame, error) {
	t.Helper()
	return trackStreamKeep(t, frames, false)
}

// trackStreamKeep is trackStream that keeps each frame's pixels
// (Frame.Image) when keep is set, as the app and the CLI hand them to the
// check (trackStream drops them to keep the cached tracks small).
func trackStreamKeep(t testing.TB, frames iter.Seq2[time.Duration, *image.RGBA], keep bool) ([]liveness.Frame, error) {
	t.Helper()
	tr, err := landmarker(t).NewTracker(dlib.TrackerOptions{})
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	var out []liveness.Frame
	for at, img := range frames {
		lf, err := tr.Track(img, at)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", len(out), err)
		}
		f := liveness.FromLandmarkFrame(lf, img)
		for i := range f.Faces {
			f.Faces[i].Patch = liveness.NewPatch(img, f.Faces[i].Landmarks)
		}
		if !keep {
			f.Image = nil
		}
		out = append(out, f)
	}
	return out, nil
}

// videoPath is a shared video by name ("d6").
func videoPath(t testing.TB, name string) string {
	return filepath.Join(testdata.Dir(t), "video", name+".mp4")
}

// videoFrames yields frames [from, to) of a video file in order (to < 0:
// to the end), read by camera.VideoFile with the file's own timestamps,
// flipped left to right when mirrored. A decoding error is reported
// through *errp after the loop.
func videoFrames(path string, from, to int, mirrored bool, errp *error) iter.Seq2[time.Duration, *image.RGBA] {
	return func(yield func(time.Duration, *image.RGBA) bool) {
		v, err := camera.OpenVideoFile(path)
		if err != nil {
			*errp = err
			return
		}
		defer v.Close()
		for n := 0; to < 0 || n < to; n++ {
			f, err := v.Next()
			if errors.Is(err, io.EOF) {
				if to >= 0 {
					*errp = fmt.Errorf("%s: ends at frame %d, before %d", path, n, to)
				}
				return
			}
			if err != nil {
				*errp = err
				return
			}
			if n < from {
				continue
			}
			img := f.Image
			if mirrored {
				img = mirror(img)
			}
			if !yield(f.Time, img) {
				return
			}
		}
	}
}

// videoFrame decodes one frame of a shared video.
func videoFrame(t testing.TB, name string, n int) *image.RGBA {
	t.Helper()
	var err error
	for _, img := range videoFrames(videoPath(t, name), n, n+1, false, &err) {
		return img
	}
	t.Fatalf("%s frame %d: %v", name, n, err)
	return nil
}

// mirror flips a frame left to right: a person turning to their left in
// the original turns to their right in the mirrored video.
func mirror(img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	w := b.Dx()
	for y := range b.Dy() {
		src := img.Pix[y*img.Stride:]
		dst := out.Pix[y*out.Stride:]
		for x := range w {
			copy(dst[4*x:4*x+4], src[4*(w-1-x):4*(w-1-x)+4])
		}
	}
	return out
}

// Landmark tracks are computed once per test binary run and shared by all
// tests: each video whole, from its first frame, as a camera session
// would see it (and mirrored, for the videos with turns); the clips are
// cut from those tracks. Nothing is cached on disk.
var (
	cacheMu    sync.Mutex
	trackCache = map[string][]liveness.Frame{}
)

// cachedTrack returns the cached track under key, computing it with make
// the first time.
func cachedTrack(t testing.TB, key string, make func() ([]liveness.Frame, error)) []liveness.Frame {
	t.Helper()
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if fr, ok := trackCache[key]; ok {
		return fr
	}
	fr, err := make()
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	trackCache[key] = fr
	return fr
}

// videoTrack is the landmark track of a whole shared video, mirrored or
// not.
func videoTrack(t testing.TB, name string, mirrored bool) []liveness.Frame {
	t.Helper()
	path := videoPath(t, name)
	return cachedTrack(t, fmt.Sprintf("video/%s/%v", name, mirrored), func() ([]liveness.Frame, error) {
		var err error
		fr, terr := trackStream(t, videoFrames(path, 0, -1, mirrored, &err))
		if terr != nil {
			return nil, terr
		}
		return fr, err
	})
}

// track is frames [from, to) of the landmark track of a shared video.
func track(t testing.TB, name string, from, to int, mirrored bool) []liveness.Frame {
	t.Helper()
	whole := videoTrack(t, name, mirrored)
	if from < 0 || to > len(whole) || from >= to {
		t.Fatalf("%s [%d,%d): the track has %d frames", name, from, to, len(whole))
	}
	return whole[from:to]
}
