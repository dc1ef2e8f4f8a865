package camera

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"facelogin/internal/testdata"
)

// facePhotos returns the test photos, faces/*.jpg of the shared testdata.
func facePhotos(t testing.TB) []string {
	t.Helper()
	faces := filepath.Join(testdata.Dir(t), "faces")
	photos, _ := filepath.Glob(filepath.Join(faces, "*.jpg"))
	if len(photos) < 4 {
		testdata.Require(t, "test photos", fmt.Errorf("%d photos in %s, want at least 4", len(photos), faces))
	}
	return photos
}

// testFrames loads n test photos (cycling) as 640x480 BGR Mats; the caller
// closes them.
func testFrames(t testing.TB, n int) []gocv.Mat {
	t.Helper()
	photos := facePhotos(t)
	frames := make([]gocv.Mat, 0, n)
	for i := range n {
		img := gocv.IMRead(photos[i%len(photos)], gocv.IMReadColor)
		if img.Empty() {
			img.Close()
			t.Fatalf("cannot read %s", photos[i%len(photos)])
		}
		m := gocv.NewMat()
		gocv.Resize(img, &m, image.Pt(640, 480), 0, 0, gocv.InterpolationArea)
		img.Close()
		frames = append(frames, m)
	}
	return frames
}

func closeAll(ms []gocv.Mat) {
	for i := range ms {
		ms[i].Close()
	}
}

// writeVideo writes n 640x480 frames made from the test photos into an MJPG
// .avi at fps.
func writeVideo(t testing.TB, path string, fps float64, n int) {
	t.Helper()
	frames := testFrames(t, n)
	defer closeAll(frames)
	w, err := gocv.VideoWriterFile(path, "MJPG", fps, 640, 480, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if !w.IsOpened() {
		t.Fatalf("cannot write %s", path)
	}
	for _, f := range frames {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
}

// writeSequence writes n 640x480 JPEGs named dir/000.jpg, dir/001.jpg, ...
// and returns the pattern.
func writeSequence(t testing.TB, dir string, n int) string {
	t.Helper()
	frames := testFrames(t, n)
	defer closeAll(frames)
	pattern := filepath.Join(dir, "%03d.jpg")
	for i, f := range frames {
		if name := fmt.Sprintf(pattern, i); !gocv.IMWrite(name, f) {
			t.Fatalf("cannot write %s", name)
		}
	}
	return pattern
}

func mustParse(t testing.TB, s string) Source {
	t.Helper()
	src, err := ParseSource(s)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// statusLog records every status a camera reports.
type statusLog struct {
	mu   sync.Mutex
	all  []Status
	wake chan struct{}
}

func newStatusLog() *statusLog { return &statusLog{wake: make(chan struct{}, 1)} }

func (l *statusLog) record(s Status) {
	l.mu.Lock()
	l.all = append(l.all, s)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *statusLog) states() []State {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]State, len(l.all))
	for i, s := range l.all {
		out[i] = s.State
	}
	return out
}

// waitFor waits until a recorded status after the first `from` satisfies ok,
// and returns it and its index.
func (l *statusLog) waitFor(t testing.TB, from int, d time.Duration, ok func(Status) bool) (Status, int) {
	t.Helper()
	deadline := time.After(d)
	for {
		l.mu.Lock()
		for i := from; i < len(l.all); i++ {
			if ok(l.all[i]) {
				s := l.all[i]
				l.mu.Unlock()
				return s, i
			}
		}
		l.mu.Unlock()
		select {
		case <-l.wake:
		case <-deadline:
			t.Fatalf("no matching status within %v; got %v", d, l.states())
		}
	}
}

func isState(st State) func(Status) bool { return func(s Status) bool { return s.State == st } }

// open opens s with a status log and closes it at the end of the test.
func open(t testing.TB, s string, opts Options) (*Camera, *statusLog) {
	t.Helper()
	log := newStatusLog()
	opts.OnStatus = log.record
	cam, err := Open(context.Background(), mustParse(t, s), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Close() })
	return cam, log
}

// waitGoroutines polls until at most n goroutines run, as goleak does.
func waitGoroutines(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want <= %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
