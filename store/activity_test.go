package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"facelogin/internal/testkit"
)

// seedEvent is an audit event written with a chosen time, as another station
// (or an earlier day) would have written it.
type seedEvent struct {
	at       time.Time
	kind     EventKind
	userID   int64
	user     string
	station  string
	distance float64 // < 0: none
}

func insertEvent(t testing.TB, s *Store, e seedEvent) int64 {
	t.Helper()
	var userID, dist any
	if e.userID != 0 {
		userID = e.userID
	}
	if e.distance >= 0 {
		dist = e.distance
	}
	res, err := s.db.ExecContext(ctxT(t), `INSERT INTO auth_events (at, kind, user_id, username, distance, station, detail)
		VALUES (?, ?, ?, ?, ?, ?, '')`, e.at.UnixMicro(), string(e.kind), userID, e.user, dist, e.station)
	if err != nil {
		t.Fatal(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// activityFixture is three days of check-ins around the end of summer time
// in Madrid (2026-10-25, 03:00 CEST becomes 02:00 CET, so 02:30 happens
// twice), by ann, bob (renamed robert since), a deleted user and nobody.
type activityFixture struct {
	s        *Store
	loc      *time.Location
	id       map[string]int64 // event label → id
	ann, bob User
}

func newActivityFixture(t *testing.T, dsn string) *activityFixture {
	s, _ := openTest(t, dsn)
	loc := testkit.Madrid(t)
	f := &activityFixture{s: s, loc: loc, id: map[string]int64{}}
	f.ann = mustEnroll(t, s, "ann", newTemplates(t, 0, 1))
	f.bob = mustEnroll(t, s, "bob", newTemplates(t, 1, 1))
	at := func(day, h, m, sec, us int) time.Time { return time.Date(2026, 10, day, h, m, sec, us*1000, loc) }
	cest := time.FixedZone("CEST", 2*3600)
	cet := time.FixedZone("CET", 3600)
	tie := at(26, 8, 0, 0, 0)
	for _, e := range []struct {
		label string
		seedEvent
	}{
		{"ann24a", seedEvent{at(24, 8, 59, 59, 0), EventLoginSuccess, f.ann.ID, "ann", "hall", 0.30}},
		{"bob24", seedEvent{at(24, 9, 30, 0, 0), EventLoginSuccess, f.bob.ID, "bob", "door", 0.28}},
		{"ann24b", seedEvent{at(24, 17, 45, 0, 0), EventLoginSuccess, f.ann.ID, "ann", "hall", 0.33}},
		{"annFail24", seedEvent{at(24, 23, 59, 59, 999999), EventLoginFailure, f.ann.ID, "ann", "hall", 0.50}},
		{"ann25", seedEvent{at(25, 0, 0, 0, 0), EventLoginSuccess, f.ann.ID, "ann", "door", 0.31}},
		{"bob25cest", seedEvent{time.Date(2026, 10, 25, 2, 30, 0, 0, cest), EventLoginSuccess, f.bob.ID, "bob", "hall", 0.29}},
		{"bob25cet", seedEvent{time.Date(2026, 10, 25, 2, 30, 0, 0, cet), EventLoginSuccess, f.bob.ID, "bob", "hall", 0.27}},
		{"noface25", seedEvent{at(25, 12, 0, 0, 0), EventLoginFailure, 0, "", "hall", -1}},
		{"ghost26", seedEvent{at(26, 7, 0, 0, 0), EventLoginSuccess, 999_999, "ghost", "door", 0.35}},
		{"ann26a", seedEvent{tie, EventLoginSuccess, f.ann.ID, "ann", "hall", 0.32}},
		{"ann26b", seedEvent{tie, EventLoginSuccess, f.ann.ID, "ann", "hall", 0.34}},
	} {
		f.id[e.label] = insertEvent(t, s, e.seedEvent)
	}
	if _, err := s.Users.Rename(ctxT(t), "bob", "robert"); err != nil {
		t.Fatal(err)
	}
	return f
}

// labels maps event ids back to the fixture's labels ("now" for the
// registration and rename events written at the time of the test).
func (f *activityFixture) labels(evs []Event) []string {
	byID := map[int64]string{}
	for l, id := range f.id {
		byID[id] = l
	}
	out := []string{}
	for _, ev := range evs {
		l, ok := byID[ev.ID]
		if !ok {
			l = "now:" + string(ev.Kind)
		}
		out = append(out, l)
	}
	return out
}

func collect(t *testing.T, s *Store, q EventQuery) []Event {
	t.Helper()
	var evs []Event
	if err := s.Events.Each(ctxT(t), q, func(ev Event) error { evs = append(evs, ev); return nil }); err != nil {
		t.Fatalf("Each(%+v): %v", q, err)
	}
	return evs
}

func TestEventQueries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		f := newActivityFixture(t, dsn)
		s, loc := f.s, f.loc
		day := func(d int) time.Time { return time.Date(2026, 10, d, 0, 0, 0, 0, loc) }
		oct := EventQuery{From: day(24), To: day(27)}
		with := func(mod func(q *EventQuery)) EventQuery { q := oct; mod(&q); return q }
		cases := []struct {
			name string
			q    EventQuery
			want []string
		}{
			{"three days, newest first, ties by id", oct,
				[]string{"ann26b", "ann26a", "ghost26", "noface25", "bob25cet", "bob25cest", "ann25", "annFail24", "ann24b", "bob24", "ann24a"}},
			{"one local day across the clock change", EventQuery{From: day(25), To: day(26)},
				[]string{"noface25", "bob25cet", "bob25cest", "ann25"}},
			{"everything", EventQuery{},
				[]string{"now:rename", "now:register", "now:register", "ann26b", "ann26a", "ghost26", "noface25", "bob25cet", "bob25cest", "ann25", "annFail24", "ann24b", "bob24", "ann24a"}},
			{"since a time", EventQuery{From: time.Date(2026, 10, 26, 7, 0, 0, 0, loc)},
				[]string{"now:rename", "now:register", "now:register", "ann26b", "ann26a", "ghost26"}},
			{"until a time (exclusive)", EventQuery{To: time.Date(2026, 10, 24, 9, 30, 0, 0, loc)}, []string{"ann24a"}},
			{"user by current name includes events before the rename", with(func(q *EventQuery) { q.User = "robert" }),
				[]string{"bob25cet", "bob25cest", "bob24"}},
			// "bob" is nobody's name now: it means a deleted bob, not robert.
			{"old name of a renamed user", with(func(q *EventQuery) { q.User = "bob" }), []string{}},
			{"user name case-insensitive for current users", with(func(q *EventQuery) { q.User = "ANN" }),
				[]string{"ann26b", "ann26a", "ann25", "annFail24", "ann24b", "ann24a"}},
			{"deleted user by recorded name", with(func(q *EventQuery) { q.User = "ghost" }), []string{"ghost26"}},
			{"unknown user", with(func(q *EventQuery) { q.User = "nobody" }), []string{}},
			{"station", with(func(q *EventQuery) { q.Station = "door" }), []string{"ghost26", "ann25", "bob24"}},
			{"unknown station", with(func(q *EventQuery) { q.Station = "roof" }), []string{}},
			{"kind", with(func(q *EventQuery) { q.Kinds = []EventKind{EventLoginFailure} }), []string{"noface25", "annFail24"}},
			{"kinds, station and user together", with(func(q *EventQuery) {
				q.Kinds, q.Station, q.User = []EventKind{EventLoginSuccess, EventDelete}, "hall", "ann"
			}), []string{"ann26b", "ann26a", "ann24b", "ann24a"}},
			{"registrations", EventQuery{Kinds: []EventKind{EventRegister}}, []string{"now:register", "now:register"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				evs := collect(t, s, c.q)
				if got := f.labels(evs); !reflect.DeepEqual(got, c.want) {
					t.Fatalf("Each = %v\nwant   %v", got, c.want)
				}
				n, err := s.Events.Count(ctxT(t), c.q)
				if err != nil || n != int64(len(c.want)) {
					t.Fatalf("Count = %d, %v; want %d", n, err, len(c.want))
				}
				// Pages of 3 put together are the same rows in the same order.
				var paged []Event
				var cur EventCursor
				for pages := 0; ; pages++ {
					p, err := s.Events.Page(ctxT(t), c.q, cur, 3)
					if err != nil {
						t.Fatal(err)
					}
					paged = append(paged, p.Events...)
					if !p.More {
						break
					}
					if len(p.Events) != 3 || pages > len(c.want) {
						t.Fatalf("page %d: %d events, More", pages, len(p.Events))
					}
					cur = p.Next
				}
				if got := f.labels(paged); !reflect.DeepEqual(got, c.want) {
					t.Fatalf("pages = %v\nwant    %v", got, c.want)
				}
			})
		}

		// The rows carry what was recorded; times are UTC instants.
		evs := collect(t, s, EventQuery{From: day(25), To: day(26), Station: "hall", Kinds: []EventKind{EventLoginSuccess}})
		if len(evs) != 2 {
			t.Fatalf("bob's two 02:30 check-ins: %v", f.labels(evs))
		}
		if e := evs[0]; e.UserID != f.bob.ID || e.Username != "bob" || !e.HasDistance || e.Distance < 0.2699 || e.Distance > 0.2701 ||
			e.At.Location() != time.UTC || !e.At.Equal(time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)) {
			t.Fatalf("event %+v", e)
		}
		if noFace := collect(t, s, with(func(q *EventQuery) { q.Kinds = []EventKind{EventLoginFailure} }))[0]; noFace.HasDistance || noFace.UserID != 0 {
			t.Fatalf("no-face event %+v", noFace)
		}

		if _, err := s.Events.Page(ctxT(t), oct, EventCursor{}, 0); err == nil {
			t.Fatal("Page of 0 events accepted")
		}
		if err := s.Events.Each(ctxT(t), EventQuery{User: "bad name!"}, func(Event) error { return nil }); !errors.Is(err, ErrInvalidName) {
			t.Fatalf("invalid user name: %v", err)
		}
		stop := errors.New("enough")
		n := 0
		err := s.Events.Each(ctxT(t), EventQuery{}, func(Event) error { n++; return stop })
		if err != stop || n != 1 {
			t.Fatalf("Each stops at the callback's error: %v after %d", err, n)
		}
		ctx, cancel := context.WithCancel(ctxT(t))
		cancel()
		if err := s.Events.Each(ctx, EventQuery{}, func(Event) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled context: %v", err)
		}
	})
}

func TestDailySummary(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		f := newActivityFixture(t, dsn)
		s := f.s
		mad := f.loc
		q := EventQuery{From: time.Date(2026, 10, 24, 0, 0, 0, 0, mad), To: time.Date(2026, 10, 27, 0, 0, 0, 0, mad)}
		summary := func(q EventQuery, loc *time.Location) []string {
			t.Helper()
			var out []string
			err := s.Events.DailySummary(ctxT(t), q, loc, func(d DaySummary) error {
				if d.Day.Location() != loc || d.First.Location() != loc || d.Day.Hour() != 0 {
					t.Errorf("summary not in %s: %+v", loc, d)
				}
				user := d.User
				if d.Deleted {
					user += "†"
				}
				out = append(out, fmt.Sprintf("%s %s %s-%s %d", d.Day.Format("01-02"), user,
					d.First.Format("15:04:05Z07"), d.Last.Format("15:04:05Z07"), d.CheckIns))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		want := []string{
			"10-26 ann 08:00:00+01-08:00:00+01 2",
			"10-26 ghost† 07:00:00+01-07:00:00+01 1",
			"10-25 ann 00:00:00+02-00:00:00+02 1",
			"10-25 robert 02:30:00+02-02:30:00+01 2",
			"10-24 ann 08:59:59+02-17:45:00+02 2", // the failure at 23:59 is not a check-in
			"10-24 robert 09:30:00+02-09:30:00+02 1",
		}
		if got := summary(q, mad); !reflect.DeepEqual(got, want) {
			t.Fatalf("Madrid summary:\n%v\nwant\n%v", got, want)
		}
		// The same events seen from UTC: ann's midnight check-in belongs to
		// the day before.
		wantUTC := []string{
			"10-26 ann 07:00:00Z-07:00:00Z 2",
			"10-26 ghost† 06:00:00Z-06:00:00Z 1",
			"10-25 robert 00:30:00Z-01:30:00Z 2",
			"10-24 ann 06:59:59Z-22:00:00Z 3",
			"10-24 robert 07:30:00Z-07:30:00Z 1",
		}
		if got := summary(q, time.UTC); !reflect.DeepEqual(got, wantUTC) {
			t.Fatalf("UTC summary:\n%v\nwant\n%v", got, wantUTC)
		}
		q.Station = "door"
		if got, want := summary(q, mad), []string{
			"10-26 ghost† 07:00:00+01-07:00:00+01 1",
			"10-25 ann 00:00:00+02-00:00:00+02 1",
			"10-24 robert 09:30:00+02-09:30:00+02 1",
		}; !reflect.DeepEqual(got, want) {
			t.Fatalf("door summary:\n%v\nwant\n%v", got, want)
		}
	})
}

// TestSummaryByIdentity: ann is renamed anna, a new person is enrolled as
// ann and cy is deleted. The check-ins are counted per user id under the
// name each user has now (cy's marked deleted), and the user filter means
// the person who has the name now, not whoever had it when an event was
// recorded.
func TestSummaryByIdentity(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		login := func(name string) {
			t.Helper()
			if err := s.Events.RecordLogin(ctx, LoginAttempt{Success: true, Username: name, Distance: 0.3, HasDistance: true}); err != nil {
				t.Fatal(err)
			}
		}
		mustEnroll(t, s, "ann", newTemplates(t, 0, 1))
		mustEnroll(t, s, "cy", newTemplates(t, 2, 1))
		login("ann")
		login("ann")
		login("cy")
		if _, err := s.Users.Rename(ctx, "ann", "anna"); err != nil {
			t.Fatal(err)
		}
		if err := s.Users.Delete(ctx, "cy"); err != nil {
			t.Fatal(err)
		}
		newAnn := mustEnroll(t, s, "ann", newTemplates(t, 1, 1))
		login("ann")

		var got []string
		err := s.Events.DailySummary(ctx, EventQuery{}, time.UTC, func(d DaySummary) error {
			got = append(got, fmt.Sprintf("%s deleted=%v %d", d.User, d.Deleted, d.CheckIns))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"ann deleted=false 1", "anna deleted=false 2", "cy deleted=true 1"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("summary %v, want %v", got, want)
		}

		logins := func(user string) []string {
			t.Helper()
			var out []string
			for _, ev := range collect(t, s, EventQuery{User: user, Kinds: []EventKind{EventLoginSuccess}}) {
				out = append(out, fmt.Sprintf("%d:%s", ev.UserID, ev.Username))
			}
			return out
		}
		if got := logins("ann"); len(got) != 1 || got[0] != fmt.Sprintf("%d:ann", newAnn.ID) {
			t.Fatalf("logins of the new ann: %v (anna's recorded as ann must not count)", got)
		}
		if got := logins("anna"); len(got) != 2 {
			t.Fatalf("logins of anna: %v, want her 2 from before the rename", got)
		}
		if got := logins("cy"); len(got) != 1 {
			t.Fatalf("logins of deleted cy: %v", got)
		}
	})
}

// TestEventIndexMigrationRerun cuts migration 2 off after its indexes were
// made but before it was recorded (MySQL commits DDL at once): the next
// start must finish it, not fail on "duplicate key name".
func TestEventIndexMigrationRerun(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		indexes := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('auth_events_station', 'auth_events_kind', 'auth_events_username')"
		if s.Backend() == MySQL {
			indexes = `SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE()
				AND table_name = 'auth_events' AND index_name IN ('auth_events_station', 'auth_events_kind', 'auth_events_username')`
		}
		if n := countRows(t, s, indexes); n != 3 {
			t.Fatalf("%d of the 3 filter indexes", n)
		}
		if _, err := s.db.ExecContext(ctxT(t), "DELETE FROM schema_migrations WHERE version = 2"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s, _ = openTest(t, dsn)
		if n := countRows(t, s, "SELECT COUNT(*) FROM schema_migrations WHERE version = 2"); n != 1 {
			t.Fatalf("migration 2 recorded %d times after the re-run", n)
		}
		if n := countRows(t, s, indexes); n != 3 {
			t.Fatalf("%d of the 3 filter indexes after the re-run", n)
		}
	})
}

func TestRecordOnLogin(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		ann := mustEnroll(t, s, "Ann", newTemplates(t, 0, 1))
		long := strings.Repeat("ü", 600)
		if err := s.Events.RecordOnLogin(ctx, "ann", "exit 3: "+long); err != nil {
			t.Fatal(err)
		}
		evs := collect(t, s, EventQuery{Kinds: []EventKind{EventOnLogin}})
		if len(evs) != 1 {
			t.Fatalf("%d on-login events", len(evs))
		}
		e := evs[0]
		if e.UserID != ann.ID || e.Station != "test-station" || e.HasDistance || !strings.HasPrefix(e.Detail, "exit 3: üü") || utf8.RuneCountInString(e.Detail) != 500 {
			t.Fatalf("event %+v (%d characters)", e, utf8.RuneCountInString(e.Detail))
		}
		if evs := collect(t, s, EventQuery{User: "ANN", Kinds: []EventKind{EventOnLogin}}); len(evs) != 1 {
			t.Fatalf("the action's event is not among ann's: %d", len(evs))
		}
	})
}

// TestAuditDetailSingular: one template is "1 template" in the audit log's
// details (registration, templates added, deletion), not "1 templates".
func TestAuditDetailSingular(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		mustEnroll(t, s, "ann", newTemplates(t, 0, 1))
		if err := s.Users.Delete(ctx, "ann"); err != nil {
			t.Fatal(err)
		}
		var details []string
		for _, ev := range collect(t, s, EventQuery{Kinds: []EventKind{EventRegister, EventDelete}}) {
			details = append(details, ev.Detail)
			if strings.Contains(ev.Detail, "1 templates") || !strings.Contains(ev.Detail, "1 template") {
				t.Errorf("%s detail %q", ev.Kind, ev.Detail)
			}
		}
		if len(details) != 2 {
			t.Fatalf("details %q", details)
		}
	})
}
