package camera

import (
	"errors"
	"image"
	"strings"
	"testing"
	"time"
)

func TestParseSource(t *testing.T) {
	tests := []struct {
		in   string
		want Source
	}{
		{"0", Source{Kind: KindDevice, Index: 0}},
		{"12", Source{Kind: KindDevice, Index: 12}},
		{"/dev/video0", Source{Kind: KindDevice, Index: 0, Path: "/dev/video0"}},
		{"/dev/video10", Source{Kind: KindDevice, Index: 10, Path: "/dev/video10"}},
		{"/dev/v4l/by-id/usb-cam-video-index0", Source{Kind: KindDevice, Index: -1, Path: "/dev/v4l/by-id/usb-cam-video-index0"}},
		{"clip.avi", Source{Kind: KindFile, Index: -1, Path: "clip.avi"}},
		{"/tmp/demo video.mp4", Source{Kind: KindFile, Index: -1, Path: "/tmp/demo video.mp4"}},
		{"0.avi", Source{Kind: KindFile, Index: -1, Path: "0.avi"}},
		{"file:///tmp/a.avi", Source{Kind: KindFile, Index: -1, Path: "/tmp/a.avi"}},
		{"file:///tmp/f/%2503d.png", Source{Kind: KindSequence, Index: -1, Path: "/tmp/f/%03d.png"}},
		{"frames/%03d.jpg", Source{Kind: KindSequence, Index: -1, Path: "frames/%03d.jpg"}},
		{"img%d.png", Source{Kind: KindSequence, Index: -1, Path: "img%d.png"}},
		{"rtsp://cam.local:554/stream1", Source{Kind: KindStream, Index: -1, Path: "rtsp://cam.local:554/stream1"}},
		{"http://10.0.0.2:8080/video.mjpg", Source{Kind: KindStream, Index: -1, Path: "http://10.0.0.2:8080/video.mjpg"}},
		{"HTTPS://example.com/live.m3u8", Source{Kind: KindStream, Index: -1, Path: "HTTPS://example.com/live.m3u8"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSource(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseSourceRejects(t *testing.T) {
	tests := []struct{ in, why string }{
		{"", "empty"},
		{"   ", "empty"},
		{" 0", "space"},
		{"-1", "device index"},
		{"100", "device index"},
		{"99999999999999999999", "device index"},
		{"007", "leading zeros"},
		{"frames/%s.jpg", "%d"},
		{"frames/%03d_%03d.jpg", "exactly one"},
		{"frames/100%.jpg", "%d"},
		{"fr%03d/a.jpg", "file name"},
		{"frames/%0003d.jpg", "width"},
		{"frames/", "directory"},
		{"ftp://host/a.avi", "scheme"},
		{"rtsp:///stream", "host"},
		{"file://otherhost/a.avi", "remote host"},
		{"file://", "without a path"},
		{"/dev/video%d", "device path"},
		{"clip\x00.avi", "control"},
		{"clip\n.avi", "control"},
		{"\xff.avi", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseSource(tt.in)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrBadSource) || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("error %q: want ErrBadSource mentioning %q", err, tt.why)
			}
		})
	}
}

func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"0", "/dev/video2", "a.avi", "d/%03d.jpg", "rtsp://h/s", "file:///x", "", "-1", "x://y", "%", "/dev/", "file:///tmp/x://y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := ParseSource(s)
		if err != nil {
			if !errors.Is(err, ErrBadSource) {
				t.Fatalf("error %v does not wrap ErrBadSource", err)
			}
			return
		}
		if src.Kind < KindDevice || src.Kind > KindStream {
			t.Fatalf("kind %v", src.Kind)
		}
		if (src.Kind == KindDevice) != (src.Path == "" || strings.HasPrefix(src.Path, "/dev/")) {
			t.Fatalf("%q: kind %v with path %q", s, src.Kind, src.Path)
		}
		again, err := ParseSource(src.CommandLine())
		if err != nil || again != src {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, src, src.CommandLine(), again, err)
		}
	})
}

func TestFitInside(t *testing.T) {
	tests := []struct{ sz, box, want image.Point }{
		{image.Pt(640, 480), image.Pt(0, 0), image.Pt(640, 480)},
		{image.Pt(640, 480), image.Pt(640, 480), image.Pt(640, 480)},
		{image.Pt(320, 240), image.Pt(640, 480), image.Pt(320, 240)},
		{image.Pt(1920, 1080), image.Pt(640, 480), image.Pt(640, 360)},
		{image.Pt(1080, 1920), image.Pt(640, 480), image.Pt(270, 480)},
		{image.Pt(1280, 960), image.Pt(640, 480), image.Pt(640, 480)},
		{image.Pt(5000, 1), image.Pt(640, 480), image.Pt(640, 1)},
	}
	for _, tt := range tests {
		if got := fitInside(tt.sz, tt.box); got != tt.want {
			t.Errorf("fitInside(%v, %v) = %v, want %v", tt.sz, tt.box, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	c := &Camera{opts: Options{BackoffMin: 250 * time.Millisecond, BackoffMax: 2 * time.Second}}
	want := []time.Duration{250, 250, 500, 1000, 2000, 2000, 2000}
	for retries, w := range want {
		if got := c.backoff(retries); got != w*time.Millisecond {
			t.Errorf("backoff(%d) = %v, want %v", retries, got, w*time.Millisecond)
		}
	}
	if got := c.backoff(1 << 20); got != 2*time.Second {
		t.Errorf("backoff(huge) = %v", got)
	}
}

func TestStatusString(t *testing.T) {
	s := Status{State: StateReconnecting, Err: errors.New("camera: open device 0: no such file"), Retries: 2, RetryAt: time.Now().Add(2 * time.Second)}
	if got := s.String(); !strings.HasPrefix(got, "reconnecting in 2s (attempt 3): camera: open device 0") {
		t.Errorf("got %q", got)
	}
	if got := (Status{State: StateRunning, Size: image.Pt(640, 480), FPS: 30}).String(); got != "running 640x480 @ 30 fps" {
		t.Errorf("got %q", got)
	}
}
