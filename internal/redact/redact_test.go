package redact

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		secrets  []string
	}{
		{"rtsp://admin:hunter2@192.168.1.20:554/stream1", "rtsp://admin:xxxxx@192.168.1.20:554/stream1", []string{"hunter2"}},
		{"rtsp://admin:p@ss:w0rd@cam.lan/live", "rtsp://admin:xxxxx@cam.lan/live", []string{"p@ss", "w0rd"}},
		{"http://cam.lan/video.cgi?user=admin&pwd=s3cret&res=hd", "http://cam.lan/video.cgi?pwd=xxxxx&res=hd&user=admin", []string{"s3cret"}},
		{"https://cam.example/mjpg?token=abc123", "https://cam.example/mjpg?token=xxxxx", []string{"abc123"}},
		{"rtmp://u:%zz@host/app", "rtmp://xxxxx@host/app", []string{"%zz"}}, // not parseable
		{"rtsp://viewer@cam.lan/stream", "rtsp://viewer@cam.lan/stream", nil},
		{"rtsp://cam.lan/stream", "rtsp://cam.lan/stream", nil},
		{"/dev/video0", "/dev/video0", nil},
		{"frames/%03d.jpg", "frames/%03d.jpg", nil},
		{"0", "0", nil},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := URL(tc.in)
			if got != tc.want {
				t.Fatalf("URL(%q) = %q, want %q", tc.in, got, tc.want)
			}
			for _, s := range tc.secrets {
				if strings.Contains(got, s) {
					t.Fatalf("%q still holds %q", got, s)
				}
			}
		})
	}
}

func FuzzURL(f *testing.F) {
	f.Add("rtsp://admin:hunter2@192.168.1.20:554/stream1")
	f.Add("http://cam/v?pwd=x")
	f.Fuzz(func(t *testing.T, s string) {
		got := URL(s)
		if !strings.Contains(s, "://") && got != s {
			t.Fatalf("a non-URL changed: %q → %q", s, got)
		}
	})
}
