package livenesstest

import (
	"fmt"
	"image"
	"iter"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"facelogin/internal/testdata"
	"facelogin/recognition/dlib"
	"facelogin/recognition/liveness"
)

// landmarker turns a sequence of frames, in order, into the check's input.
// It is given the frames one by one so that a tracker, which follows a face
// from frame to frame, can stand in for the per-frame detector: when the
// fast tracker lands, add it here and every real-data test runs on it.
type landmarker interface {
	Name() string
	Track(frames iter.Seq2[time.Duration, *image.RGBA]) ([]liveness.Frame, error)
}

// engineLandmarker runs today's engine (dlib HOG detector, 68-point shape
// predictor, ResNet descriptor through go-face) on every frame on its own.
// It has no tracker: Track IDs are 0.
type engineLandmarker struct{ e *dlib.Engine }

func (engineLandmarker) Name() string { return "engine" }

func (l engineLandmarker) Track(frames iter.Seq2[time.Duration, *image.RGBA]) ([]liveness.Frame, error) {
	var out []liveness.Frame
	for t, img := range frames {
		faces, err := l.e.Recognize(img)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", len(out), err)
		}
		f := liveness.Frame{Time: t}
		for _, x := range faces {
			f.Faces = append(f.Faces, liveness.Face{
				Box:        x.Rect,
				Landmarks:  liveness.FromImagePoints(x.Landmarks),
				Descriptor: append([]float32(nil), x.Descriptor[:]...),
			})
		}
		out = append(out, f)
	}
	return out, nil
}

var (
	engineOnce sync.Once
	engineVal  *dlib.Engine
	engineErr  error
)

// source is the landmark source of every real-data test.
func source(t testing.TB) landmarker {
	t.Helper()
	dir := testdata.ModelsDir(t)
	engineOnce.Do(func() { engineVal, engineErr = dlib.Open(dir, dlib.DefaultOptions) })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engineLandmarker{engineVal}
}

// videoPath is a shared video by name ("d6").
func videoPath(t testing.TB, name string) string {
	return filepath.Join(testdata.Dir(t), "video", name+".mp4")
}

// videoFrames yields frames [from, to) of a video file in order (to < 0:
// to the end), flipped left to right when mirrored, with timestamps index
// / frame rate (the shared videos have a constant rate). A decoding error
// is reported through *err after the loop.
func videoFrames(path string, from, to int, mirrored bool, errp *error) iter.Seq2[time.Duration, *image.RGBA] {
	return func(yield func(time.Duration, *image.RGBA) bool) {
		vc, err := gocv.VideoCaptureFile(path)
		if err != nil {
			*errp = fmt.Errorf("open %s: %w", path, err)
			return
		}
		defer vc.Close()
		fps := vc.Get(gocv.VideoCaptureFPS)
		if fps <= 0 {
			*errp = fmt.Errorf("%s: no frame rate", path)
			return
		}
		m, rgba := gocv.NewMat(), gocv.NewMat()
		defer m.Close()
		defer rgba.Close()
		for n := 0; to < 0 || n < to; n++ {
			if !vc.Read(&m) || m.Empty() {
				if n < to {
					*errp = fmt.Errorf("%s: ends at frame %d, before %d", path, n, to)
				}
				return
			}
			if n < from {
				continue
			}
			gocv.CvtColor(m, &rgba, gocv.ColorBGRToRGBA)
			b, err := rgba.DataPtrUint8()
			if err != nil {
				*errp = err
				return
			}
			img := image.NewRGBA(image.Rect(0, 0, rgba.Cols(), rgba.Rows()))
			copy(img.Pix, b)
			if mirrored {
				img = mirror(img)
			}
			if !yield(time.Duration(float64(n)/fps*float64(time.Second)), img) {
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
// tests (the engine takes ~40 ms a frame; the seven videos have 2,333
// frames). Nothing is cached on disk.
var (
	cacheMu    sync.Mutex
	trackCache = map[string][]liveness.Frame{}
)

// track is the landmark track of frames [from, to) of a shared video,
// mirrored or not. Each video is tracked once per run over the stretches
// the tests need (the genuine clips and the replay's opening seconds,
// merged where they touch), in order, as a camera session would be, and
// the clips are cut from those tracks.
func track(t testing.TB, name string, from, to int, mirrored bool) []liveness.Frame {
	t.Helper()
	src := source(t)
	for _, sp := range spans(name, mirrored) {
		if from >= sp[0] && to <= sp[1] {
			key := fmt.Sprintf("%s/%s/%d-%d/%v", src.Name(), name, sp[0], sp[1], mirrored)
			whole := cached(t, key, src, videoPath(t, name), sp[0], sp[1], mirrored)
			return whole[from-sp[0] : to-sp[0]]
		}
	}
	t.Fatalf("%s [%d,%d) mirrored=%v: not among the stretches the tests track", name, from, to, mirrored)
	return nil
}

// spans are the merged frame ranges of a video the tests need.
func spans(video string, mirrored bool) [][2]int {
	var rs [][2]int
	for _, c := range genuineClips(frameCount) {
		if c.Video == video && c.Mirrored == mirrored {
			rs = append(rs, [2]int{c.From, c.To})
		}
	}
	if !mirrored {
		rs = append(rs, [2]int{0, replayFrames(video)})
	}
	slices.SortFunc(rs, func(a, b [2]int) int { return a[0] - b[0] })
	var out [][2]int
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

func cached(t testing.TB, key string, src landmarker, path string, from, to int, mirrored bool) []liveness.Frame {
	t.Helper()
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if fr, ok := trackCache[key]; ok {
		return fr
	}
	var err error
	fr, terr := src.Track(videoFrames(path, from, to, mirrored, &err))
	if terr != nil {
		err = terr
	}
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	trackCache[key] = fr
	return fr
}
