package camera

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"facelogin/internal/testkit"
)

// TestSourceRedacted: a camera URL's credentials never reach a log line, a
// status line or an error: String, every fmt verb, slog, ParseSource's
// errors, and the statuses and log of a camera failing to open such a
// stream. CommandLine keeps them for reopening.
func TestSourceRedacted(t *testing.T) {
	secrets := []string{"hunter2", "t0ken"}
	clean := func(t *testing.T, what, s string) {
		t.Helper()
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				t.Fatalf("%s shows the secret: %s", what, s)
			}
		}
	}
	for _, in := range []string{
		"rtsp://admin:hunter2@192.168.1.20:554/stream1",
		"http://cam.lan/video.cgi?user=admin&pwd=hunter2",
		"https://cam.example/live.mjpg?token=t0ken",
		"rtsps://u:hunter2@cam.lan/a?key=t0ken",
	} {
		t.Run(in, func(t *testing.T) {
			src, err := ParseSource(in)
			if err != nil {
				t.Fatal(err)
			}
			if src.CommandLine() != in {
				t.Fatalf("CommandLine = %q", src.CommandLine())
			}
			var logged bytes.Buffer
			slog.New(slog.NewTextHandler(&logged, nil)).Info("camera", "source", src, "again", src.String())
			for verb, s := range map[string]string{
				"String": src.String(), "%s": fmt.Sprintf("%s", src), //lint:ignore S1025 the test checks what each fmt verb prints
				"%v":  fmt.Sprintf("%v", src),
				"%+v": fmt.Sprintf("%+v", src), "%#v": fmt.Sprintf("%#v", src), "slog": logged.String(),
			} {
				clean(t, verb, s)
			}
		})
	}
	for _, bad := range []string{"rtsp://admin:hunter2@", "ftp://admin:hunter2@host/x"} {
		if _, err := ParseSource(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		} else {
			clean(t, "ParseSource error", err.Error())
		}
	}

	// A stream that refuses connections: the camera retries, with the
	// reason in its status, and logs.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logged testkit.LockedBuffer
	log := newStatusLog()
	cam, err := Open(context.Background(), mustParse(t, "rtsp://admin:hunter2@"+addr+"/stream?token=t0ken"),
		Options{OnStatus: log.record, Logger: slog.New(slog.NewTextHandler(&logged, nil)), BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	if err != nil {
		clean(t, "Open error", err.Error())
		return
	}
	defer cam.Close()
	st, _ := log.waitFor(t, 0, time.Minute, func(s Status) bool { return s.Err != nil })
	t.Logf("status: %s", st)
	clean(t, "status", st.String())
	clean(t, "status error", st.Err.Error())
	clean(t, "camera log", logged.String())
	if !strings.Contains(st.String(), "xxxxx") && !strings.Contains(logged.String(), "xxxxx") {
		t.Logf("status %q, log %q: no source shown", st, logged.String())
	}
}
