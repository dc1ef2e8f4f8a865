package app

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"facelogin/store"
)

// The Activity screen on an audit log at its cap (store.DefaultMaxEvents,
// 100,000 events over 90 days, 300 users, 3 stations, 85% check-ins) in a
// real SQLite file: from asking for the first page to the page painted in
// the window, the way the screen loads it (query on a tracked goroutine,
// rows put on screen on the UI goroutine, the window painted by the test
// driver's software renderer). ms-to-rows is the query and the table
// update alone; cpu-ms-to-first-page the process's CPU time over the same
// span (the count query running meanwhile included).
//
//	go test -run '^$' -bench ActivityFirstPage -benchtime 20x ./app/

// processCPU is the CPU time (user + system) this process has used: on a
// machine shared with other jobs, the first page's CPU time says what it
// costs, where its wall time also says how busy the machine was.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchActivityLog writes n events ending now, oldest first.
func benchActivityLog(b *testing.B, n int) []store.Event {
	end := time.Now().Truncate(time.Second)
	span := 90 * 24 * time.Hour
	rnd := rand.New(rand.NewPCG(13, 2026))
	stations := []string{"hall", "hall", "hall", "door", "door", "roof"}
	evs := make([]store.Event, n)
	for i := range evs {
		ev := store.Event{At: end.Add(-span / time.Duration(n) * time.Duration(n-1-i)), Kind: store.EventLoginSuccess,
			Username: fmt.Sprintf("user%03d", rnd.IntN(300)), Station: stations[rnd.IntN(len(stations))],
			Distance: 0.25 + rnd.Float32()/5, HasDistance: true, Detail: "kiosk"}
		switch r := rnd.IntN(100); {
		case r < 13:
			ev.Kind, ev.Username, ev.Detail = store.EventLoginFailure, "", "not recognised (kiosk)"
		case r < 15:
			ev.Kind, ev.HasDistance, ev.Detail = store.EventRegister, false, ""
		}
		evs[i] = ev
	}
	return evs
}

func BenchmarkActivityFirstPage(b *testing.B) {
	st, path := activityStore(b)
	seedEvents(b, path, benchActivityLog(b, store.DefaultMaxEvents))
	for _, c := range []struct {
		name    string
		filters func(s *activityScreen)
	}{
		{"last-7-days", func(*activityScreen) {}},
		{"all-days", func(s *activityScreen) { s.from.SetDate(nil); s.to.SetDate(nil) }},
		{"user+station+kind+30-days", func(s *activityScreen) {
			first := time.Now().AddDate(0, 0, -29)
			s.from.SetDate(&first)
			s.user.SetText("user042")
			s.station.SetText("door")
			s.kind.SetSelected(kindTitle(store.EventLoginSuccess))
		}},
		{"one-station", func(s *activityScreen) { s.from.SetDate(nil); s.to.SetDate(nil); s.station.SetText("roof") }},
	} {
		b.Run(c.name, func(b *testing.B) {
			a := test.NewTempApp(b)
			q := make(chan func(), 64)
			tk := newTasks(func(f func()) { q <- f })
			b.Cleanup(tk.stop)
			w := a.NewWindow("activity")
			s := newActivityScreen(tk, storeLog{st.Events}, nil, "hall", w, slog.New(slog.DiscardHandler))
			w.SetContent(s.content)
			w.Resize(fyne.NewSize(1280, 800))
			c.filters(s)
			canvas := w.Canvas().(test.WindowlessCanvas)
			// drain runs the UI work until the slot's query is shown.
			drain := func(slot int) {
				for s.cancels[slot] != nil {
					(<-q)()
				}
			}
			var counted, rows, cpu time.Duration
			b.ResetTimer()
			for range b.N {
				start, cpu0 := time.Now(), processCPU(b)
				s.load()
				drain(0)
				rows += time.Since(start)
				canvas.Capture()
				cpu += processCPU(b) - cpu0
				b.StopTimer()
				if len(s.rows) == 0 {
					b.Fatal("no events on the first page")
				}
				drain(1)
				counted += time.Since(start)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms-to-first-page")
			b.ReportMetric(float64(counted.Microseconds())/1000/float64(b.N), "ms-to-count")
			b.ReportMetric(float64(rows.Microseconds())/1000/float64(b.N), "ms-to-rows")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms-to-first-page")
			b.ReportMetric(float64(s.total), "events-matching")
		})
	}
}
