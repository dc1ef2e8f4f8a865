package camera

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"facelogin/internal/testdata"
	"facelogin/internal/testkit"
)

// fastRetry makes reconnect tests quick.
var fastRetry = Options{BackoffMin: 20 * time.Millisecond, BackoffMax: 80 * time.Millisecond}

func TestVideoPlaysAtItsFrameRate(t *testing.T) {
	video := filepath.Join(t.TempDir(), "clip.avi")
	writeVideo(t, video, 30, 15)
	cam, log := open(t, video, Options{})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first, err := cam.Wait(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if first.Image.Rect.Size() != image.Pt(640, 480) {
		t.Fatalf("frame size %v", first.Image.Rect.Size())
	}
	const window = 2 * time.Second
	last := first
	for last.Time.Sub(first.Time) < window {
		f, err := cam.Wait(ctx, last.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq <= last.Seq || f.Time.Before(last.Time) {
			t.Fatalf("frame %d at %v after frame %d at %v", f.Seq, f.Time, last.Seq, last.Time)
		}
		last = f
	}
	frames := float64(last.Seq - first.Seq)
	fps := frames / last.Time.Sub(first.Time).Seconds()
	t.Logf("%.0f frames in %v: %.1f fps (15-frame clip, so it looped %d times)", frames, last.Time.Sub(first.Time), fps, int(frames)/15)
	// Never faster than the source (the frame times are the capture's own
	// publication times, so this holds however late this goroutine reads).
	// How much slower depends on the machine's load, so it is not asserted.
	if fps > 31.5 {
		t.Errorf("%.1f fps from a 30 fps file", fps)
	}
	st := cam.Status()
	if st.State != StateRunning || st.FPS != 30 || st.Size != image.Pt(640, 480) || st.Err != nil {
		t.Errorf("status %+v", st)
	}
	if got := log.states(); len(got) != 1 || got[0] != StateRunning {
		t.Errorf("status changes %v, want just running (looping is not a reconnect)", got)
	}
}

func TestLatestIsNewestForSlowConsumer(t *testing.T) {
	video := filepath.Join(t.TempDir(), "clip.avi")
	writeVideo(t, video, 30, 10)
	cam, _ := open(t, video, Options{})
	if _, ok := cam.Latest(); ok {
		// Possible but unlikely so soon; not an error.
		t.Log("a frame arrived before the first Latest")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := cam.Wait(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		time.Sleep(200 * time.Millisecond) // a consumer far slower than 30 fps
		asked := time.Now()
		f, ok := cam.Latest()
		if !ok {
			t.Fatal("no frame")
		}
		// Latest gave the newest frame, not the next one of a queue: the
		// frame after it was published (Frame.Time) only after we asked.
		// Exact whatever the machine's load, unlike counting frames.
		next, err := cam.Wait(ctx, f.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if !next.Time.After(asked) {
			t.Errorf("frame %d was published %v before Latest returned %d: a backlog", next.Seq, asked.Sub(next.Time), f.Seq)
		}
		if next.Seq <= f.Seq {
			t.Errorf("Wait(%d) gave %d", f.Seq, next.Seq)
		}
	}
}

// frameHash identifies a frame's pixels.
func frameHash(img *image.RGBA) uint64 {
	h := fnv.New64a()
	h.Write(img.Pix)
	return h.Sum64()
}

// TestVideoLoops: frame s and frame s+k·n of an n-frame file show the same
// picture, and frames from different positions in the file differ. A slow
// consumer misses frames, so the test takes whichever frames it gets: any
// n+1 of them hold a pair one or more loops apart (n positions), so it
// waits for n+1 frames, not for a number of frames per second.
func TestVideoLoops(t *testing.T) {
	const n = 8
	video := filepath.Join(t.TempDir(), "clip.avi")
	writeVideo(t, video, 30, n)
	cam, log := open(t, video, Options{FPS: 60})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seen := map[uint64]uint64{} // seq → hash
	var seq uint64
	for len(seen) <= n {
		f, err := cam.Wait(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		seq = f.Seq
		seen[seq] = frameHash(f.Image)
	}
	pairs := 0
	for a, ha := range seen {
		for b, hb := range seen {
			if a >= b {
				continue
			}
			sameSpot := (b-a)%n == 0
			if sameSpot {
				pairs++
			}
			if sameSpot != (ha == hb) {
				t.Errorf("frames %d and %d (%d apart in a %d-frame loop): same picture %v", a, b, b-a, n, ha == hb)
			}
		}
	}
	if pairs == 0 {
		t.Fatalf("no two of %d frames one loop apart: %v", len(seen), seen)
	}
	if got := log.states(); len(got) != 1 {
		t.Errorf("status changes %v", got)
	}
}

func TestNoLoopEnds(t *testing.T) {
	dir := t.TempDir()
	video := filepath.Join(dir, "clip.avi")
	writeVideo(t, video, 30, 6)
	seqDir := filepath.Join(dir, "seq")
	os.Mkdir(seqDir, 0o755)
	pattern := writeSequence(t, seqDir, 5)

	for _, tt := range []struct {
		src    string
		frames uint64
	}{{video, 6}, {pattern, 5}} {
		t.Run(filepath.Base(tt.src), func(t *testing.T) {
			cam, log := open(t, tt.src, Options{NoLoop: true, FPS: -1})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// Unpaced and unread, frames pile up in nothing: only the last one is kept.
			log.waitFor(t, 0, time.Minute, isState(StateEnded))
			f, ok := cam.Latest()
			if !ok || f.Seq != tt.frames {
				t.Fatalf("last frame %d (%v), want %d", f.Seq, ok, tt.frames)
			}
			if _, err := cam.Wait(ctx, f.Seq); !errors.Is(err, ErrEnded) {
				t.Fatalf("Wait after the end: %v", err)
			}
			if f2, err := cam.Wait(ctx, 0); err != nil || f2.Seq != f.Seq {
				t.Fatalf("Wait(0) after the end: %d, %v", f2.Seq, err)
			}
			cam.Close()
			if got := log.states(); len(got) != 3 || got[0] != StateRunning || got[1] != StateEnded || got[2] != StateClosed {
				t.Fatalf("status changes %v", got)
			}
			if _, err := cam.Wait(ctx, f.Seq); !errors.Is(err, ErrClosed) {
				t.Fatalf("Wait after Close: %v", err)
			}
		})
	}
}

func TestImageSequence(t *testing.T) {
	pattern := writeSequence(t, t.TempDir(), 5)
	cam, _ := open(t, pattern, Options{Width: 320, Height: 320})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var f Frame
	start := time.Now()
	for f.Seq < 15 { // three times round
		var err error
		if f, err = cam.Wait(ctx, f.Seq); err != nil {
			t.Fatal(err)
		}
		// 640x480 scaled down to fit 320x320, keeping the aspect ratio.
		if f.Image.Rect.Size() != image.Pt(320, 240) {
			t.Fatalf("frame size %v", f.Image.Rect.Size())
		}
	}
	// Sequences have no frame rate of their own: 30 fps by default.
	if el := time.Since(start); el < 400*time.Millisecond {
		t.Errorf("15 frames in %v: not paced", el)
	}
	if st := cam.Status(); st.State != StateRunning || st.FPS != 30 || st.Size != image.Pt(320, 240) {
		t.Errorf("status %+v", st)
	}
}

func TestOpenFails(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.avi")
	os.WriteFile(text, []byte("not a video at all\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "clips.avi"), 0o755)
	tests := []struct {
		name, src string
		is        error
		says      string
	}{
		{"missing file", filepath.Join(dir, "nope.avi"), fs.ErrNotExist, "camera: open file " + filepath.Join(dir, "nope.avi")},
		{"missing sequence", filepath.Join(dir, "nope", "%03d.jpg"), fs.ErrNotExist, "camera: open sequence"},
		{"empty sequence", filepath.Join(dir, "%03d.jpg"), fs.ErrNotExist, "camera: open sequence"},
		{"not a video", text, ErrCannotOpen, "camera: open file " + text + ": opencv cannot open it"},
		{"directory", filepath.Join(dir, "clips.avi"), nil, "a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			cam, err := Open(context.Background(), mustParse(t, tt.src), Options{})
			if err == nil {
				cam.Close()
				t.Fatal("opened")
			}
			if (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %q, want %v mentioning %q", err, tt.is, tt.says)
			}
			waitGoroutines(t, before)
		})
	}
	t.Run("bad options", func(t *testing.T) {
		_, err := Open(context.Background(), Source{Kind: KindDevice}, Options{BackoffMin: time.Second, BackoffMax: time.Millisecond})
		if err == nil {
			t.Fatal("opened")
		}
		if _, err := Open(context.Background(), Source{}, Options{}); !errors.Is(err, ErrBadSource) {
			t.Fatalf("zero Source: %v", err)
		}
	})
}

func TestMissingDeviceReconnects(t *testing.T) {
	// The first device from /dev/video63 on that is not there stands for
	// one unplugged (a machine with cameras has them at the low numbers).
	n := 63
	for ; n <= maxDeviceIndex; n++ {
		if _, err := os.Stat(fmt.Sprintf("/dev/video%d", n)); errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if n > maxDeviceIndex {
		t.Fatalf("/dev/video63 to /dev/video%d all exist: no missing device to open", maxDeviceIndex)
	}
	missing := fmt.Sprintf("/dev/video%d", n)
	cam, log := open(t, missing, fastRetry)
	st, _ := log.waitFor(t, 0, time.Minute, func(s Status) bool { return s.State == StateReconnecting && s.Retries >= 3 })
	if !errors.Is(st.Err, fs.ErrNotExist) || !strings.Contains(st.Err.Error(), missing) {
		t.Errorf("error %v", st.Err)
	}
	if _, ok := cam.Latest(); ok {
		t.Error("a frame from nowhere")
	}
	t.Logf("status: %v", st)

	// With MaxRetries it gives up, and Wait says why.
	opts := fastRetry
	opts.MaxRetries = 2
	cam2, log2 := open(t, strconv.Itoa(n), opts)
	st, _ = log2.waitFor(t, 0, time.Minute, isState(StateFailed))
	if st.Retries != 2 || !errors.Is(st.Err, fs.ErrNotExist) {
		t.Errorf("failed status %+v", st)
	}
	if _, err := cam2.Wait(context.Background(), 0); !errors.Is(err, ErrFailed) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Wait: %v", err)
	}
}

// TestSourceDiesAndRecovers breaks a playing source (its files removed, or
// the video truncated to nothing) and mends it: the camera must report
// reconnecting with the reason, keep retrying, and resume.
func TestSourceDiesAndRecovers(t *testing.T) {
	dir := t.TempDir()
	seqDir := filepath.Join(dir, "seq")
	os.Mkdir(seqDir, 0o755)
	pattern := writeSequence(t, seqDir, 10)
	video := filepath.Join(dir, "clip.avi")
	writeVideo(t, video, 30, 10)
	hidden := filepath.Join(dir, "hidden")
	move := func(from, to string) func(t *testing.T) {
		return func(t *testing.T) {
			if err := os.Rename(from, to); err != nil {
				t.Fatal(err)
			}
		}
	}
	saved, err := os.ReadFile(video)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src  string
		kill, mend func(t *testing.T)
		is         error
	}{
		{"video deleted", video, move(video, hidden), move(hidden, video), fs.ErrNotExist},
		{"video truncated", video, func(t *testing.T) {
			if err := os.Truncate(video, 0); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T) {
			if err := os.WriteFile(video, saved, 0o644); err != nil {
				t.Fatal(err)
			}
		}, ErrCannotOpen},
		{"sequence deleted", pattern, move(seqDir, hidden), move(hidden, seqDir), fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cam, log := open(t, tt.src, fastRetry)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			before, err := cam.Wait(ctx, 12) // running, and looped once
			if err != nil {
				t.Fatal(err)
			}

			tt.kill(t)
			st, i := log.waitFor(t, 0, time.Minute, func(s Status) bool { return s.State == StateReconnecting && s.Retries >= 3 })
			if !errors.Is(st.Err, tt.is) {
				t.Errorf("reconnecting because of %v, want %v", st.Err, tt.is)
			}
			t.Logf("while broken: %v", st)
			stalled, _ := cam.Latest()

			tt.mend(t)
			log.waitFor(t, i, time.Minute, isState(StateRunning))
			after, err := cam.Wait(ctx, stalled.Seq)
			if err != nil {
				t.Fatal(err)
			}
			if after.Seq <= before.Seq || cam.Status().Retries != 0 || cam.Status().Err != nil {
				t.Errorf("after recovery: frame %d (before %d), status %+v", after.Seq, before.Seq, cam.Status())
			}
		})
	}
}

func TestCloseIsIdempotentAndLeavesNoGoroutines(t *testing.T) {
	video := filepath.Join(t.TempDir(), "clip.avi")
	writeVideo(t, video, 30, 5)
	before := runtime.NumGoroutine()

	for _, s := range []string{video, "/dev/video63", "rtsp://127.0.0.1:1/none"} {
		log := newStatusLog()
		cam, err := Open(context.Background(), mustParse(t, s), Options{OnStatus: log.record, BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() { cam.Close() })
		}
		wg.Wait()
		cam.Close()
		if st := cam.Status(); st.State != StateClosed {
			t.Errorf("%s: status after Close %v", s, st)
		}
		if got := log.states(); got[len(got)-1] != StateClosed || strings.Count(stateString(got), "closed") != 1 {
			t.Errorf("%s: status changes %v", s, got)
		}
		if _, err := cam.Wait(context.Background(), 1<<60); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: Wait after Close: %v", s, err)
		}
	}
	waitGoroutines(t, before)
}

func stateString(states []State) string {
	var b strings.Builder
	for _, s := range states {
		b.WriteString(s.String() + " ")
	}
	return b.String()
}

func TestContextCancelStops(t *testing.T) {
	video := filepath.Join(t.TempDir(), "clip.avi")
	writeVideo(t, video, 30, 5)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	log := newStatusLog()
	cam, err := Open(ctx, mustParse(t, video), Options{OnStatus: log.record})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cam.Wait(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	cancel()
	log.waitFor(t, 0, time.Minute, isState(StateClosed))
	if _, err := cam.Wait(context.Background(), 1<<60); !errors.Is(err, ErrClosed) {
		t.Errorf("Wait: %v", err)
	}
	cam.Close()
	waitGoroutines(t, before)

	waitCtx, stop := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer stop()
	cam2, _ := open(t, "/dev/video63", fastRetry)
	if _, err := cam2.Wait(waitCtx, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait with a deadline: %v", err)
	}
	if _, err := Open(ctx, mustParse(t, video), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context: %v", err)
	}
}

// TestConcurrentConsumers runs a preview-like and a recognition-like
// consumer at once, for the race detector.
func TestConcurrentConsumers(t *testing.T) {
	video := filepath.Join(t.TempDir(), "clip.avi")
	writeVideo(t, video, 30, 5)
	cam, _ := open(t, video, Options{FPS: 120})
	// Each consumer runs until all have done their share: a count of
	// rounds, not a time window, so a busy machine only takes longer.
	const rounds = 20
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for _, name := range []string{"preview", "recognition", "status"} {
		wg.Go(func() {
			var seq uint64
			for n := 0; n < rounds && ctx.Err() == nil; n++ {
				switch name {
				case "preview":
					f, err := cam.Wait(ctx, seq)
					if err != nil {
						continue
					}
					seq = f.Seq
					_ = f.Image.Pix[len(f.Image.Pix)-1]
				case "recognition":
					f, err := cam.Wait(ctx, seq)
					if err != nil {
						continue
					}
					seq = f.Seq
					// Read across the image while capture goes on (a full
					// hash is too slow under -race on a busy machine).
					var sum byte
					for i := 0; i < len(f.Image.Pix); i += 997 {
						sum += f.Image.Pix[i]
					}
					_ = sum
					l, _ := cam.Latest()
					_ = l.Image.Pix[0]
				case "status":
					_ = cam.Status().String()
					time.Sleep(time.Millisecond)
				}
				mu.Lock()
				counts[name]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("%v", counts)
	for name, n := range counts {
		if n != rounds {
			t.Errorf("%s did %d of %d rounds before the deadline: %v", name, n, rounds, counts)
		}
	}
}

// serveMJPEG streams video over HTTP as multipart MJPEG (what IP cameras
// serve) with ffmpeg, in real time, until stopped.
func serveMJPEG(t *testing.T, video, url string) (stop func()) {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", video,
		"-c", "copy", "-f", "mpjpeg", "-listen", "1", url)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(stop)
	return stop
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestStreamDiesAndRecovers plays a live MJPEG stream, kills its server
// mid-stream (the camera-unplugged case: reads fail on an open capture),
// and starts it again.
func TestStreamDiesAndRecovers(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		testdata.Require(t, "ffmpeg", err)
	}
	video := filepath.Join(t.TempDir(), "clip.avi")
	writeVideo(t, video, 30, 10)
	url := fmt.Sprintf("http://127.0.0.1:%d/cam.mjpg", freePort(t))

	// The stream is down when the camera opens: that is not an error.
	cam, log := open(t, url, fastRetry)
	log.waitFor(t, 0, time.Minute, func(s Status) bool { return s.State == StateReconnecting && s.Retries >= 2 })
	stop := serveMJPEG(t, video, url)
	_, i := log.waitFor(t, 0, time.Minute, isState(StateRunning))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before, err := cam.Wait(ctx, 15) // live frames beyond one loop of the clip
	if err != nil {
		t.Fatal(err)
	}
	if st := cam.Status(); st.Size != image.Pt(640, 480) {
		t.Errorf("status %+v", st)
	}

	stop()
	st, j := log.waitFor(t, i, time.Minute, isState(StateReconnecting))
	if !errors.Is(st.Err, ErrNoFrame) || st.Retries != 0 {
		t.Errorf("first status after the stream died: %+v", st)
	}
	st, _ = log.waitFor(t, j, time.Minute, func(s Status) bool { return s.State == StateReconnecting && s.Retries >= 2 })
	t.Logf("while down: %v", st)
	stalled, _ := cam.Latest()

	serveMJPEG(t, video, url)
	log.waitFor(t, j, time.Minute, isState(StateRunning))
	after, err := cam.Wait(ctx, stalled.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if after.Seq <= before.Seq {
		t.Errorf("frame %d after recovery, %d before", after.Seq, before.Seq)
	}
}

// TestCloseDoesNotHangOnAStalledStream opens a stream whose server accepts
// the connection and never answers: FFmpeg blocks inside OpenCV for 30 s.
// Close must return promptly anyway, and the goroutine must still end.
func TestCloseDoesNotHangOnAStalledStream(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	before := runtime.NumGoroutine()
	log := newStatusLog()
	cam, err := Open(context.Background(), mustParse(t, "http://"+l.Addr().String()+"/cam.mjpg"), Options{OnStatus: log.record})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until FFmpeg has connected: the capture goroutine is then stuck
	// in the open.
	testkit.WaitFor(t, "FFmpeg to connect", time.Minute, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(conns) > 0
	})
	start := time.Now()
	err = cam.Close()
	// closeWait, and slack for a loaded machine: far below FFmpeg's 30 s.
	if el := time.Since(start); !errors.Is(err, ErrCloseTimeout) || el > closeWait+10*time.Second {
		t.Fatalf("Close after %v: %v", el, err)
	}
	if _, err := cam.Wait(context.Background(), 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Wait after Close: %v", err)
	}
	if err2 := cam.Close(); err2 != err {
		t.Errorf("second Close: %v", err2)
	}
	log.waitFor(t, 0, 2*time.Minute, isState(StateClosed))
	waitGoroutines(t, before+1) // +1: the accept loop
}
