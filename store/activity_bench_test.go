package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Audit-log benchmarks: FACELOGIN_BENCH_EVENTS events (default 100,000, the
// log's cap) over 90 days, 300 users, three stations, on both backends.
//
//	go test ./store -run '^$' -bench Events -benchtime 20x

func benchEventCount() int {
	if n, err := strconv.Atoi(os.Getenv("FACELOGIN_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return DefaultMaxEvents
}

const (
	benchEventUsers = 300
	benchEventDays  = 90
)

// benchEventsEnd is the time of the newest benchmark event.
var benchEventsEnd = time.Now().Truncate(time.Second)

// populateEvents writes n events, oldest first, ending at benchEventsEnd:
// 85% check-ins, 13% failures, 2% registrations, 20 deletions; users
// user000..user299 (enrolled, picked at random) and "ghost" (deleted: its
// name only, 50 events); stations hall (60%), door and roof (0.1%).
func populateEvents(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	t0 := s.now()
	err := s.inTx(ctx, "populate users", func(tx *sql.Tx) error {
		for u := 0; u < benchEventUsers; u++ {
			name := fmt.Sprintf("user%03d", u)
			if _, err := tx.ExecContext(ctx, "INSERT INTO users (id, username, username_key, display_name, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
				u+1, name, usernameKey(name), name, t0, t0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	span := int64(benchEventDays * 24 * time.Hour / time.Microsecond)
	end := benchEventsEnd.UnixMicro()
	rnd := rand.New(rand.NewPCG(13, 100_000))
	const batch = 1000
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		err := s.inTx(ctx, "populate events", func(tx *sql.Tx) error {
			var sb strings.Builder
			args := make([]any, 0, 7*(hi-lo))
			for i := lo; i < hi; i++ {
				if i > lo {
					sb.WriteString(",")
				}
				sb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
				at := end - span*int64(n-1-i)/int64(n)
				u := rnd.IntN(benchEventUsers)
				var userID, dist any = int64(u + 1), 0.25 + rnd.Float64()/5
				name := fmt.Sprintf("user%03d", u)
				kind := EventLoginSuccess
				switch r := rnd.IntN(n); {
				case r < 20:
					kind, dist = EventDelete, nil
				case r < 70:
					userID, name = nil, "ghost"
				case r < n*2/100:
					kind, dist = EventRegister, nil
				case r < n*15/100:
					kind = EventLoginFailure
				}
				station := "door"
				switch r := rnd.IntN(1000); {
				case r == 0:
					station = "roof"
				case r < 600:
					station = "hall"
				}
				args = append(args, at, string(kind), userID, name, dist, station, "window")
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO auth_events (at, kind, user_id, username, distance, station, detail) VALUES "+sb.String(), args...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// InnoDB refreshes its index statistics in the background once a tenth
	// of a table has changed; a log that grew over weeks has them. Right
	// after a bulk load it has not, and MariaDB would sort the whole table
	// instead of reading the time index backwards.
	if s.Backend() == MySQL {
		if _, err := s.db.ExecContext(ctx, "ANALYZE TABLE auth_events"); err != nil {
			b.Fatal(err)
		}
	}
}

// eventsBenchStore opens (once per backend and process) a store holding n
// events.
func eventsBenchStore(b *testing.B, backend backendCase, n int) *Store {
	b.Helper()
	key := "events/" + backend.name
	if s := benchStores[key]; s != nil {
		return s
	}
	s := openBench(b, backend, "events")
	populateEvents(b, s, n)
	benchStores[key] = s
	return s
}

// onEventLogs runs fn as a sub-benchmark on each backend's log of
// benchEventCount events; sub names a variant ("" for none).
func onEventLogs(b *testing.B, sub string, fn func(b *testing.B, s *Store, n int)) {
	n := benchEventCount()
	for _, backend := range backendCases {
		name := fmt.Sprintf("%s/events=%d", backend.name, n)
		if sub != "" {
			name += "/" + sub
		}
		b.Run(name, func(b *testing.B) { fn(b, eventsBenchStore(b, backend, n), n) })
	}
}

// BenchmarkEventsFirstPage is the Activity screen opening: the first 50
// rows of the log, newest first, under each filter the screen offers.
func BenchmarkEventsFirstPage(b *testing.B) {
	end := benchEventsEnd
	day := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.Local).AddDate(0, 0, -30)
	queries := []struct {
		name string
		q    EventQuery
	}{
		{"all", EventQuery{}},
		{"since=24h", EventQuery{From: end.Add(-24 * time.Hour)}},
		{"one-day-a-month-ago", EventQuery{From: day, To: day.AddDate(0, 0, 1)}},
		{"user", EventQuery{User: "user042"}},
		{"deleted-user", EventQuery{User: "ghost"}},
		{"station", EventQuery{Station: "door"}},
		{"rare-station", EventQuery{Station: "roof"}},
		{"kind=login_failure", EventQuery{Kinds: []EventKind{EventLoginFailure}}},
		{"rare-kind=delete", EventQuery{Kinds: []EventKind{EventDelete}}},
		{"user+station+kind+30days", EventQuery{User: "user042", Station: "hall", Kinds: []EventKind{EventLoginSuccess}, From: end.AddDate(0, 0, -30)}},
	}
	for _, qc := range queries {
		onEventLogs(b, qc.name, func(b *testing.B, s *Store, _ int) {
			var p EventPage
			for b.Loop() {
				var err error
				if p, err = s.Events.Page(context.Background(), qc.q, EventCursor{}, 50); err != nil {
					b.Fatal(err)
				}
			}
			if len(p.Events) == 0 {
				b.Fatalf("%s: empty first page", qc.name)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/page")
		})
	}
}

// BenchmarkEventsStream reads the whole log, as `facelogin events --csv`
// does, and reports the live heap while streaming (sampled after a GC every
// 10,000 rows, outside the timed loop).
func BenchmarkEventsStream(b *testing.B) {
	onEventLogs(b, "", func(b *testing.B, s *Store, n int) {
		for b.Loop() {
			rows := 0
			if err := s.Events.Each(context.Background(), EventQuery{}, func(Event) error { rows++; return nil }); err != nil {
				b.Fatal(err)
			}
			if rows != n {
				b.Fatalf("%d rows, want %d", rows, n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/event")
		b.ReportMetric(float64(streamLiveHeap(b, s))/1024, "live-heap-KiB")
	})
}

// streamLiveHeap is the largest growth of the live heap during one full
// walk of the log.
func streamLiveHeap(b *testing.B, s *Store) uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	rows := 0
	err := s.Events.Each(context.Background(), EventQuery{}, func(Event) error {
		if rows++; rows%10_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return peak - base
}

// BenchmarkEventsDailySummary is the summary of the last 30 days.
func BenchmarkEventsDailySummary(b *testing.B) {
	onEventLogs(b, "30days", func(b *testing.B, s *Store, _ int) {
		q := EventQuery{From: benchEventsEnd.AddDate(0, 0, -30)}
		for b.Loop() {
			days := 0
			if err := s.Events.DailySummary(context.Background(), q, time.Local, func(DaySummary) error { days++; return nil }); err != nil {
				b.Fatal(err)
			}
			if days == 0 {
				b.Fatal("empty summary")
			}
		}
	})
}

// BenchmarkEventsCount counts the whole log (the Activity screen's row
// count without a filter).
func BenchmarkEventsCount(b *testing.B) {
	onEventLogs(b, "", func(b *testing.B, s *Store, _ int) {
		for b.Loop() {
			if _, err := s.Events.Count(context.Background(), EventQuery{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEventsRecordLogin is the write a login adds to a full log, with
// the filter indexes of migration 2 to keep up to date.
func BenchmarkEventsRecordLogin(b *testing.B) {
	onEventLogs(b, "", func(b *testing.B, s *Store, _ int) {
		a := LoginAttempt{Success: true, Username: "user042", Distance: 0.3, HasDistance: true, Detail: "benchmark"}
		for b.Loop() {
			if err := s.Events.RecordLogin(context.Background(), a); err != nil {
				b.Fatal(err)
			}
		}
	})
}
