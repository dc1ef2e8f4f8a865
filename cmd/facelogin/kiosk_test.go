package main

import (
	"bytes"
	"context"
	"image"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"facelogin/app"
	"facelogin/internal/directory"
	"facelogin/internal/testdata"
	"facelogin/recognition"
	"facelogin/store"
)

// kioskStill serves one frame as a live camera.
type kioskStill struct {
	img   image.Image
	start time.Time
}

func (c kioskStill) Latest() (image.Image, uint64, bool) {
	return c.img, 1 + uint64(time.Since(c.start)/(5*time.Millisecond)), true
}

func (c kioskStill) Status() app.CameraStatus {
	return app.CameraStatus{OK: true, Message: "still frame"}
}

// kioskOneFace finds the same face in every frame.
type kioskOneFace struct{ face recognition.Face }

func (e kioskOneFace) Recognize(image.Image) ([]recognition.Face, error) {
	return []recognition.Face{e.face}, nil
}

type kioskLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *kioskLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *kioskLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestKioskSharedDatabase: two stations share one database. A person the
// kiosk at station "hall" does not know is refused there; once enrolled at
// station "office" they are welcomed at "hall" within the refresh
// interval, and the audit log holds the kiosk's events with the station
// that made them.
func TestKioskSharedDatabase(t *testing.T) {
	idols := testdata.Idols(t)
	var carol []recognition.Descriptor
	for _, i := range idols {
		if i.ID == idols[10].ID {
			carol = append(carol, i.Descriptor)
		}
	}
	if len(carol) < 2 {
		t.Fatalf("test data: idol %s has %d descriptors", idols[10].ID, len(carol))
	}
	probe, templates := carol[0], carol[1:]

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "shared.sqlite")
	key := make([]byte, 32)
	const refresh = 200 * time.Millisecond
	open := func(station string) (*store.Store, *directory.Directory) {
		st, err := store.Open(ctx, store.Config{DSN: "sqlite:" + path, Key: key, Station: station})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		d, err := directory.Open(ctx, st, recognition.ModelID, refresh)
		if err != nil {
			t.Fatal(err)
		}
		return st, d
	}
	office, officeDir := open("office")
	hall, hallDir := open("hall")

	frame := image.NewRGBA(image.Rect(0, 0, 640, 480))
	logs := &kioskLog{}
	k := app.NewKiosk(test.NewTempApp(t), app.Deps{
		Camera: kioskStill{img: frame, start: time.Now()},
		Engine: kioskOneFace{recognition.Face{Rect: image.Rect(220, 140, 420, 340), Descriptor: probe}},
		Users:  kioskDirectory{&appDirectory{dir: hallDir}},
	}, app.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))}, app.KioskOptions{
		Station: hall.Station(), ResultFor: 100 * time.Millisecond, MaxFailures: 1000,
	})
	k.Start()
	defer k.Stop()

	events := func(kind store.EventKind) []store.Event {
		t.Helper()
		evs, err := office.Events.List(ctx, store.EventFilter{Kinds: []store.EventKind{kind}, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	waitEvent := func(kind store.EventKind, within time.Duration) (store.Event, time.Duration) {
		t.Helper()
		start := time.Now()
		for time.Since(start) < within {
			if evs := events(kind); len(evs) > 0 {
				return evs[len(evs)-1], time.Since(start)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no %s event within %v\nkiosk log:\n%s", kind, within, logs.String())
		return store.Event{}, 0
	}

	refused, _ := waitEvent(store.EventLoginFailure, 10*time.Second)
	if refused.Station != "hall" || refused.Detail != "not recognised (kiosk)" || refused.Username != "" {
		t.Fatalf("refusal recorded as %+v", refused)
	}
	if _, err := officeDir.Enroll(ctx, "carol", templates, nil); err != nil {
		t.Fatal(err)
	}
	welcomed, took := waitEvent(store.EventLoginSuccess, 10*time.Second)
	t.Logf("welcomed at hall %v after enrolment at office (refresh %v)", took, refresh)
	if welcomed.Station != "hall" || welcomed.Username != "carol" || welcomed.Detail != "kiosk" || !welcomed.HasDistance {
		t.Fatalf("welcome recorded as %+v", welcomed)
	}
	// Refresh interval, then at most one result screen, the steady frames
	// and a decision: well inside a second on any machine.
	if took > refresh+time.Second {
		t.Errorf("hall welcomed carol %v after her enrolment; the refresh interval is %v", took, refresh)
	}
	if !strings.Contains(logs.String(), `msg="kiosk identification" station=hall success=true user=carol`) {
		t.Errorf("kiosk log:\n%s", logs.String())
	}
}
