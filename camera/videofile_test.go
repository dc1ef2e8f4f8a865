package camera

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"facelogin/internal/testdata"
)

// ffprobeTimes lists the presentation times of every video frame of path as
// FFmpeg's own ffprobe reports them: the reference VideoFile must match.
func ffprobeTimes(t *testing.T, path string) []time.Duration {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		testdata.Require(t, "ffprobe (Debian package ffmpeg)", err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "frame=pts_time", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var times []time.Duration
	for _, line := range strings.Fields(string(out)) {
		line = strings.TrimSuffix(line, ",")
		s, err := strconv.ParseFloat(line, 64)
		if err != nil {
			t.Fatalf("ffprobe %s: %q: %v", path, line, err)
		}
		times = append(times, time.Duration(s*float64(time.Second)))
	}
	return times
}

// TestVideoFileEveryFrame: every frame of each real video arrives once, in
// order, at the file's size, with the presentation time ffprobe reports
// (within a millisecond).
func TestVideoFileEveryFrame(t *testing.T) {
	for _, path := range testdata.Videos(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := ffprobeTimes(t, path)
			v, err := OpenVideoFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if v.FPS() < 20 || v.FPS() > 60 {
				t.Errorf("FPS %v", v.FPS())
			}
			if v.FrameCount() != len(want) {
				t.Errorf("FrameCount %d, ffprobe counts %d frames", v.FrameCount(), len(want))
			}
			var size int
			n := 0
			for ; ; n++ {
				f, err := v.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if f.Index != n {
					t.Fatalf("frame %d has Index %d", n, f.Index)
				}
				b := f.Image.Bounds()
				if n == 0 {
					size = b.Dx()
					if b.Dx() < 400 || b.Dy() < 400 {
						t.Fatalf("frame size %v", b)
					}
				} else if b.Dx() != size {
					t.Fatalf("frame %d: size %v changed", n, b)
				}
				if n < len(want) && absDur(f.Time-want[n]) > time.Millisecond {
					t.Fatalf("frame %d at %v, ffprobe says %v", n, f.Time, want[n])
				}
			}
			if n != len(want) {
				t.Fatalf("%d frames read, ffprobe counts %d", n, len(want))
			}
			if _, err := v.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("Next after the end: %v, want io.EOF", err)
			}
		})
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func TestVideoFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenVideoFile(filepath.Join(dir, "missing.mp4")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	text := filepath.Join(dir, "notes.mp4")
	os.WriteFile(text, []byte("not a video"), 0o644)
	if _, err := OpenVideoFile(text); !errors.Is(err, ErrCannotOpen) {
		t.Errorf("text file: %v, want ErrCannotOpen", err)
	}

	v, err := OpenVideoFile(testdata.Videos(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Next(); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := v.Next(); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close: %v, want ErrClosed", err)
	}
}

// TestReadVideoFile: the callback sees each frame once and its error stops
// the reading and comes back unchanged.
func TestReadVideoFile(t *testing.T) {
	path := testdata.Videos(t)[0]
	var times []time.Duration
	if err := ReadVideoFile(path, func(f VideoFrame) error {
		times = append(times, f.Time)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(times); i++ {
		if times[i] <= times[i-1] {
			t.Fatalf("frame %d at %v after %v", i, times[i], times[i-1])
		}
	}
	if d := times[len(times)-1] - times[0]; math.Abs(d.Seconds()) < 1 {
		t.Errorf("%d frames span %v", len(times), d)
	}
	stop := errors.New("enough")
	n := 0
	err := ReadVideoFile(path, func(VideoFrame) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("stopped after %d frames with %v", n, err)
	}
}

// TestOpenRecordingSequence: an image sequence is read as a recording —
// every image once, in order, 1/30 s apart — and a missing sequence or a
// device is refused.
func TestOpenRecordingSequence(t *testing.T) {
	dir := t.TempDir()
	const n = 12
	src := mustParse(t, writeSequence(t, dir, n))
	v, err := OpenRecording(src)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for i := 0; ; i++ {
		f, err := v.Next()
		if errors.Is(err, io.EOF) {
			if i != n {
				t.Errorf("%d frames read, want %d", i, n)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Duration(i) * time.Second / 30; f.Index != i || absDur(f.Time-want) > time.Millisecond || f.Image.Bounds().Empty() {
			t.Errorf("frame %d: index %d at %v, want %v", i, f.Index, f.Time, want)
		}
	}
	if _, err := OpenRecording(mustParse(t, filepath.Join(dir, "none%03d.jpg"))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing sequence: %v, want fs.ErrNotExist", err)
	}
	if _, err := OpenRecording(mustParse(t, "0")); !errors.Is(err, ErrBadSource) {
		t.Errorf("a device: %v, want ErrBadSource", err)
	}
}
