package main

import (
	"context"
	"image"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facelogin/app"
	"facelogin/internal/appdir"
	"facelogin/internal/directory"
	"facelogin/internal/testdata"
	"facelogin/internal/testkit"
	"facelogin/internal/uitest"
	"facelogin/recognition"
	"facelogin/store"
)

// kioskStill serves one frame as a live camera.
type kioskStill struct {
	img   image.Image
	start time.Time
}

func (c kioskStill) Latest() (app.Frame, bool) {
	seq := 1 + uint64(time.Since(c.start)/(5*time.Millisecond))
	return app.Frame{Image: c.img, Seq: seq, Time: c.start.Add(time.Duration(seq) * 5 * time.Millisecond)}, true
}

func (c kioskStill) Status() app.CameraStatus {
	return app.CameraStatus{OK: true, Message: "still frame"}
}

// kioskOneFace finds the same face in every frame, as one track, and
// describes it.
type kioskOneFace struct{ face recognition.Face }

func (e kioskOneFace) Track(img image.Image, at time.Duration) (recognition.LandmarkFrame, error) {
	return recognition.LandmarkFrame{Time: at, Size: img.Bounds().Size(),
		Faces: []recognition.TrackedFace{{ID: 1, Rect: e.face.Rect, Detected: true}}}, nil
}

func (e kioskOneFace) Describe(image.Image, recognition.TrackedFace) (recognition.Face, error) {
	return e.face, nil
}

// TestKioskSharedSQLite: two stations on one SQLite file (see
// kioskSharedDatabase).
func TestKioskSharedSQLite(t *testing.T) {
	kioskSharedDatabase(t, "sqlite:"+filepath.Join(t.TempDir(), "shared.sqlite"))
}

// TestKioskSharedMySQL: two stations on one MariaDB, a private server the
// test starts (socket only, own datadir). Skips on a laptop without
// mariadb-server; fails when CI=true.
func TestKioskSharedMySQL(t *testing.T) {
	kioskSharedDatabase(t, kioskMariaDB(t))
}

// kioskMariaDB starts a private MariaDB and returns a DSN for a fresh
// database "kiosk" as root over the server's unix socket
// ("root@unix(SOCK)/kiosk"). Skips on a laptop without mariadb-server,
// fails when CI=true.
func kioskMariaDB(t *testing.T) string {
	t.Helper()
	m := testkit.StartMariaDB(t)
	if err := m.Admin("CREATE DATABASE kiosk CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	return "root@unix(" + m.Socket() + ")/kiosk"
}

// kioskSharedDatabase: two stations share the database dsn. A person the
// kiosk at station "hall" does not know is refused there; once enrolled at
// station "office" they are welcomed at "hall" (the directory's refresh
// picks the enrolment up; how long that took is logged, not asserted, as it
// depends on the machine's load), and the audit log holds the kiosk's
// events with the station that made them.
func kioskSharedDatabase(t *testing.T, dsn string) {
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
	key := make([]byte, 32)
	const refresh = 200 * time.Millisecond
	open := func(station string) (*store.Store, *directory.Directory) {
		st, err := store.Open(ctx, store.Config{DSN: dsn, Key: key, Station: station, Create: true})
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
	logs := &testkit.LockedBuffer{}
	k := app.NewKiosk(uitest.SerialApp(t), app.Deps{ // UI work one at a time, as the real driver runs it (the test driver runs fyne.Do on the caller)
		Camera:  kioskStill{img: frame, start: time.Now()},
		Tracker: kioskOneFace{recognition.Face{Rect: image.Rect(220, 140, 420, 340), Descriptor: probe}},
		Engine:  kioskOneFace{recognition.Face{Rect: image.Rect(220, 140, 420, 340), Descriptor: probe}},
		Users:   appdir.New(hallDir, "kiosk"),
	}, app.Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), NoLiveness: true}, app.KioskOptions{ // a still frame: no challenge
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

	refused, _ := waitEvent(store.EventLoginFailure, time.Minute)
	if refused.Station != "hall" || refused.Detail != "not recognised; liveness not checked (kiosk)" || refused.Username != "" {
		t.Fatalf("refusal recorded as %+v", refused)
	}
	if _, err := officeDir.Enroll(ctx, "carol", templates, nil); err != nil {
		t.Fatal(err)
	}
	welcomed, took := waitEvent(store.EventLoginSuccess, time.Minute)
	t.Logf("welcomed at hall %v after enrolment at office (refresh %v)", took, refresh)
	if welcomed.Station != "hall" || welcomed.Username != "carol" || welcomed.Detail != "liveness not checked (kiosk)" || !welcomed.HasDistance {
		t.Fatalf("welcome recorded as %+v", welcomed)
	}
	if !strings.Contains(logs.String(), `msg="kiosk identification" station=hall success=true user=carol`) {
		t.Errorf("kiosk log:\n%s", logs.String())
	}
}
