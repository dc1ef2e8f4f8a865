package app

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/testkit"
	"facelogin/internal/uitest"
	"facelogin/store"
)

// activityStore opens a fresh SQLite store: the real audit log, with its
// queries and indexes, behind the Activity screen. It returns the file.
func activityStore(tb testing.TB) (*store.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "activity.db")
	return openActivityStore(tb, "sqlite:"+path), path
}

// openActivityStore opens the store at dsn, created empty.
func openActivityStore(tb testing.TB, dsn string) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), store.Config{DSN: dsn, Key: make([]byte, 32), Station: "hall", MaxEvents: -1, Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// activityDB is a database the Activity screen's tests run on: open makes
// a fresh store and the function that seeds its audit log.
type activityDB func(testing.TB) (*store.Store, func([]store.Event))

// activityBackends runs test on SQLite and on MySQL — a private MariaDB
// of the test's own, as the store's tests use (skipped on a laptop
// without mariadb-server, failing when CI=true) — the two databases the
// screen's queries (keyset pages, local-day summary, streaming export)
// must agree on.
func activityBackends(t *testing.T, test func(*testing.T, activityDB)) {
	t.Run("sqlite", func(t *testing.T) { test(t, sqliteActivity) })
	t.Run("mysql", func(t *testing.T) {
		m := testkit.StartMariaDB(t)
		test(t, func(tb testing.TB) (*store.Store, func([]store.Event)) {
			dsn := m.NewDatabase(tb)
			return openActivityStore(tb, dsn), func(evs []store.Event) { seedEventsSQL(tb, "mysql", dsn, evs) }
		})
	})
}

// sqliteActivity is an activityDB on a fresh SQLite file.
func sqliteActivity(tb testing.TB) (*store.Store, func([]store.Event)) {
	st, path := activityStore(tb)
	return st, func(evs []store.Event) { seedEvents(tb, path, evs) }
}

// seedEvents writes evs, oldest first, into the audit log of the SQLite
// file as they are: their times, kinds, names and stations (the store's
// own writers stamp the time of writing). IDs follow the order.
func seedEvents(tb testing.TB, path string, evs []store.Event) {
	tb.Helper()
	seedEventsSQL(tb, "sqlite", path, evs)
}

// seedEventsSQL is seedEvents on the database dsn of the database/sql
// driver ("sqlite" or "mysql").
func seedEventsSQL(tb testing.TB, driver, dsn string, evs []store.Event) {
	tb.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	ins, err := tx.Prepare("INSERT INTO auth_events (at, kind, user_id, username, distance, station, detail) VALUES (?, ?, NULL, ?, ?, ?, ?)")
	if err != nil {
		tb.Fatal(err)
	}
	for _, ev := range evs {
		var dist any
		if ev.HasDistance {
			dist = float64(ev.Distance)
		}
		if _, err := ins.Exec(ev.At.UnixMicro(), string(ev.Kind), ev.Username, dist, ev.Station, ev.Detail); err != nil {
			tb.Fatal(err)
		}
	}
	if err := ins.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// activityWeek is a week of check-ins in Madrid, 24–30 November 2026: ann
// at the hall at 08:0d and 17:3d, bob at the door at 09:1d and 18:4d, one
// refused attempt at noon every day, their registrations on the first day,
// and an on-login result whose station and detail are formulas. Oldest
// first.
func activityWeek(loc *time.Location) []store.Event {
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, loc) }
	evs := []store.Event{
		{At: at(24, 7, 0), Kind: store.EventRegister, Username: "ann", Station: "hall"},
		{At: at(24, 7, 1), Kind: store.EventRegister, Username: "bob", Station: "door"},
	}
	login := func(t time.Time, user, station string) store.Event {
		return store.Event{At: t, Kind: store.EventLoginSuccess, Username: user, Station: station, Distance: 0.3, HasDistance: true, Detail: "kiosk"}
	}
	for d := 24; d <= 30; d++ {
		evs = append(evs,
			login(at(d, 8, d-20), "ann", "hall"),
			login(at(d, 9, d-10), "bob", "door"),
			store.Event{At: at(d, 12, 0), Kind: store.EventLoginFailure, Station: "hall", Detail: "not recognised (kiosk)"},
			login(at(d, 17, d), "ann", "hall"),
			login(at(d, 18, d+10), "bob", "door"),
		)
	}
	return append(evs, store.Event{At: at(30, 18, 45), Kind: store.EventOnLogin, Username: "bob",
		Station: "=HYPERLINK(\"http://evil.example\")", Detail: "exit 3: =cmd|' /C calc'!A0"})
}

// countingLog counts the queries of the screen.
type countingLog struct {
	ActivityLog
	pages, counts, summaries, walks atomic.Int32
}

func (c *countingLog) Page(ctx context.Context, q store.EventQuery, after store.EventCursor, n int) (store.EventPage, error) {
	c.pages.Add(1)
	return c.ActivityLog.Page(ctx, q, after, n)
}

func (c *countingLog) Count(ctx context.Context, q store.EventQuery) (int64, error) {
	c.counts.Add(1)
	return c.ActivityLog.Count(ctx, q)
}

func (c *countingLog) DailySummary(ctx context.Context, q store.EventQuery, loc *time.Location, fn func(store.DaySummary) error) error {
	c.summaries.Add(1)
	return c.ActivityLog.DailySummary(ctx, q, loc, fn)
}

func (c *countingLog) Each(ctx context.Context, q store.EventQuery, fn func(store.Event) error) error {
	c.walks.Add(1)
	return c.ActivityLog.Each(ctx, q, fn)
}

// storeLog is the store's audit log as the app reads it (internal/appdir
// does the same, but importing it here would be a cycle).
type storeLog struct{ *store.Events }

// activityFixture is a window on the test driver whose Activity screen
// reads a week of events from a real audit log (SQLite, or MySQL through
// newActivityFixtureOn), times shown in Madrid, pages of 10.
type activityFixture struct {
	*harness
	s   *activityScreen
	log *countingLog
	evs []store.Event // as seeded, with their IDs
	loc *time.Location
}

func newActivityFixture(t *testing.T) *activityFixture {
	t.Helper()
	return newActivityFixtureOn(t, sqliteActivity)
}

// newActivityFixtureOn is newActivityFixture on the database db.
func newActivityFixtureOn(t *testing.T, db activityDB) *activityFixture {
	t.Helper()
	st, seed := db(t)
	loc := testkit.Madrid(t)
	evs := activityWeek(loc)
	seed(evs)
	for i := range evs {
		evs[i].ID = int64(i + 1)
	}
	cl := &countingLog{ActivityLog: storeLog{st.Events}}
	h := newHarnessWith(t, test.NewTempApp(t), image.NewRGBA(image.Rect(0, 0, 640, 480)), newFakeEngine(), newFakeDirectory(),
		Options{Station: "hall"}, func(d *Deps) { d.Activity = cl })
	f := &activityFixture{harness: h, s: h.u.activity, log: cl, evs: evs, loc: loc}
	f.s.loc, f.s.pageSize = loc, 10
	return f
}

// open selects the Activity tab, paints the window (the date entries
// report changes only once they have a renderer), and shows the week.
func (f *activityFixture) open() {
	f.t.Helper()
	for _, it := range f.u.tabs.Items {
		if it.Text == "Activity" {
			f.u.tabs.Select(it)
		}
	}
	f.waitIdle()
	// Wide enough for every column of the table.
	f.u.win.Resize(fyne.NewSize(3600, 900))
	uitest.Paint(f.u.win.Canvas())
	first := time.Date(2026, 11, 24, 12, 0, 0, 0, f.loc)
	last := time.Date(2026, 11, 30, 12, 0, 0, 0, f.loc)
	f.s.from.SetDate(&first)
	f.s.to.SetDate(&last)
	f.waitIdle()
}

// waitIdle waits until no query of the screen is on its way.
func (f *activityFixture) waitIdle() {
	f.t.Helper()
	f.waitFor("the activity screen's queries", func() bool {
		return f.s.cancels[0] == nil && f.s.cancels[1] == nil && !f.s.exporting
	})
}

// want is the seeded events that keep says, newest first.
func (f *activityFixture) want(keep func(store.Event) bool) []int64 {
	var ids []int64
	for i := len(f.evs) - 1; i >= 0; i-- {
		if keep(f.evs[i]) {
			ids = append(ids, f.evs[i].ID)
		}
	}
	return ids
}

// shownIDs are the IDs of the events on screen, in order.
func (f *activityFixture) shownIDs() []int64 {
	var ids []int64
	for _, r := range f.s.rows {
		ids = append(ids, r.(store.Event).ID)
	}
	return ids
}

// pages reads every page with Older, then comes back with Newer.
func (f *activityFixture) pages() []int64 {
	f.t.Helper()
	var ids []int64
	n := 1
	for {
		ids = append(ids, f.shownIDs()...)
		if f.s.older.Disabled() {
			break
		}
		test.Tap(f.s.older)
		f.waitIdle()
		n++
	}
	for range n - 1 {
		if f.s.newer.Disabled() {
			f.t.Fatal("Newer disabled before the first page")
		}
		test.Tap(f.s.newer)
		f.waitIdle()
	}
	if !f.s.newer.Disabled() {
		f.t.Error("Newer enabled on the first page")
	}
	return ids
}

// tableTexts are the texts of the table's cells on screen, as painted.
func tableTexts(tb *widget.Table) []string {
	uitest.Paint(fyne.CurrentApp().Driver().CanvasForObject(tb))
	var out []string
	for _, o := range uitest.Shown(tb) {
		if l, ok := o.(*widget.Label); ok && l.Text != "" {
			out = append(out, l.Text)
		}
	}
	return out
}

// TestActivityPagesNewestFirst: the week's 38 events in pages of 10,
// newest first, with the position and count; times in Madrid on screen.
func TestActivityPagesNewestFirst(t *testing.T) { activityBackends(t, testActivityPagesNewestFirst) }

func testActivityPagesNewestFirst(t *testing.T, db activityDB) {
	f := newActivityFixtureOn(t, db)
	f.open()
	all := f.want(func(store.Event) bool { return true })
	if got := f.shownIDs(); !slices.Equal(got, all[:10]) {
		t.Fatalf("first page %v, want %v", got, all[:10])
	}
	if got := f.s.position.Text; got != "Events 1–10 of 38" {
		t.Errorf("position %q", got)
	}
	if !f.s.newer.Disabled() || f.s.older.Disabled() {
		t.Error("on the first page Newer must be off and Older on")
	}
	texts := strings.Join(tableTexts(f.s.table), "|")
	// The newest event, the on-login result at 18:45 in Madrid (17:45 UTC).
	for _, want := range []string{"Time", "Event", "User", "Station", "2026-11-30 18:45:00", "On-login action", "exit 3: =cmd|' /C calc'!A0"} {
		if !strings.Contains(texts, want) {
			t.Errorf("table does not show %q: %s", want, texts)
		}
	}
	test.Tap(f.s.older)
	f.waitIdle()
	if got := f.s.position.Text; got != "Events 11–20 of 38" {
		t.Errorf("position on page 2 %q", got)
	}
	// The table shows the new page, not the cells of the old one.
	texts = strings.Join(tableTexts(f.s.table), "|")
	if want := f.evs[all[10]-1].At.In(f.loc).Format("2006-01-02 15:04:05"); !strings.Contains(texts, want) {
		t.Errorf("page 2 does not show %q: %s", want, texts)
	}
	if strings.Contains(texts, "2026-11-30 18:45:00") {
		t.Errorf("page 2 still shows the first page: %s", texts)
	}
	test.Tap(f.s.newer)
	f.waitIdle()
	if got := f.pages(); !slices.Equal(got, all) {
		t.Errorf("paging read %v, want %v", got, all)
	}
	if got := f.s.position.Text; got != "Events 1–10 of 38" {
		t.Errorf("position after coming back %q", got)
	}
}

// TestActivityFilters: day range (local days, the last one included), user,
// station and kind, alone and together, each read through every page.
func TestActivityFilters(t *testing.T) { activityBackends(t, testActivityFilters) }

func testActivityFilters(t *testing.T, db activityDB) {
	f := newActivityFixtureOn(t, db)
	f.open()
	day := func(d int) *time.Time { t := time.Date(2026, 11, d, 0, 0, 0, 0, f.loc); return &t }
	inDays := func(from, to int) func(store.Event) bool {
		return func(ev store.Event) bool {
			d := ev.At.In(f.loc).Day()
			return d >= from && d <= to
		}
	}
	and := func(a, b func(store.Event) bool) func(store.Event) bool {
		return func(ev store.Event) bool { return a(ev) && b(ev) }
	}
	cases := []struct {
		name       string
		from, to   int // 0: leave
		user, stat string
		kind       string
		keep       func(store.Event) bool
	}{
		{name: "days 26-27", from: 26, to: 27, kind: allKinds, keep: inDays(26, 27)},
		{name: "last day only", from: 30, to: 30, kind: allKinds, keep: inDays(30, 30)},
		{name: "ann", from: 24, to: 30, user: "ann", kind: allKinds,
			keep: func(ev store.Event) bool { return ev.Username == "ann" }},
		{name: "door", from: 24, to: 30, stat: "door", kind: allKinds,
			keep: func(ev store.Event) bool { return ev.Station == "door" }},
		{name: "refused", from: 24, to: 30, kind: kindTitle(store.EventLoginFailure),
			keep: func(ev store.Event) bool { return ev.Kind == store.EventLoginFailure }},
		{name: "bob's logins at the door on the 28th", from: 28, to: 28, user: "bob", stat: "door", kind: kindTitle(store.EventLoginSuccess),
			keep: and(inDays(28, 28), func(ev store.Event) bool { return ev.Username == "bob" && ev.Kind == store.EventLoginSuccess })},
		{name: "nobody", from: 24, to: 30, user: "zoe", kind: allKinds, keep: func(store.Event) bool { return false }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.s.from.SetDate(day(c.from))
			f.s.to.SetDate(day(c.to))
			f.s.user.SetText(c.user)
			f.s.station.SetText(c.stat)
			f.s.kind.SetSelected(c.kind)
			f.waitIdle()
			want := f.want(c.keep)
			if got := f.pages(); !slices.Equal(got, want) {
				t.Errorf("shown %v, want %v", got, want)
			}
			if len(want) == 0 {
				if f.s.message.Text != "No events match these filters." || f.s.position.Text != "No events" {
					t.Errorf("empty result says %q / %q", f.s.message.Text, f.s.position.Text)
				}
			} else if !strings.HasSuffix(f.s.position.Text, fmt.Sprintf(" of %d", len(want))) {
				t.Errorf("position %q, want a total of %d", f.s.position.Text, len(want))
			}
		})
	}

	// The stations seen are offered in the station filter.
	if got := f.s.stationNames(); !slices.Contains(got, "door") || !slices.Contains(got, "hall") {
		t.Errorf("station choices %q", got)
	}
	// A first day after the last day is explained, and nothing is read.
	f.s.from.SetDate(day(29))
	f.waitIdle()
	before := f.log.pages.Load()
	f.s.to.SetDate(day(25))
	f.waitIdle()
	if f.s.message.Text != "The first day is after the last day — change one of them. Export CSV is off until the filters are valid." || f.s.message.Importance != widget.WarningImportance {
		t.Errorf("reversed days say %q", f.s.message.Text)
	}
	if n := f.log.pages.Load() - before; n != 0 {
		t.Errorf("%d pages read with reversed days", n)
	}
	// A user filter that is no name says so.
	f.s.from.SetDate(day(24))
	f.s.to.SetDate(day(30))
	f.s.user.SetText("ann marie")
	f.waitIdle()
	if want := "“ann marie” is not a user name — pick one from the list or clear the user filter."; f.s.message.Text != want {
		t.Errorf("bad user says %q", f.s.message.Text)
	}
	if len(f.s.rows) != 0 {
		t.Errorf("rows shown for a bad user: %v", f.shownIDs())
	}
}

// TestActivitySummary: each user's first and last check-in per local day,
// newest day first, users by name; the user filter applies, the kind
// filter does not.
func TestActivitySummary(t *testing.T) { activityBackends(t, testActivitySummary) }

func testActivitySummary(t *testing.T, db activityDB) {
	f := newActivityFixtureOn(t, db)
	f.open()
	f.s.kind.SetSelected(kindTitle(store.EventLoginFailure))
	f.waitIdle()
	f.s.view.SetSelected(viewSummary)
	f.waitIdle()
	if !f.s.kind.Disabled() {
		t.Error("kind filter enabled in the summary")
	}
	if len(f.s.rows) != 14 {
		t.Fatalf("%d summary rows, want 7 days × 2 users", len(f.s.rows))
	}
	for i, r := range f.s.rows {
		d := r.(store.DaySummary)
		day := 30 - i/2
		user, first, last := "ann", time.Date(2026, 11, day, 8, day-20, 0, 0, f.loc), time.Date(2026, 11, day, 17, day, 0, 0, f.loc)
		if i%2 == 1 {
			user, first, last = "bob", time.Date(2026, 11, day, 9, day-10, 0, 0, f.loc), time.Date(2026, 11, day, 18, day+10, 0, 0, f.loc)
		}
		if d.User != user || !d.First.Equal(first) || !d.Last.Equal(last) || d.CheckIns != 2 ||
			d.Day.Format(time.DateOnly) != fmt.Sprintf("2026-11-%d", day) {
			t.Errorf("row %d: %s %s first %v last %v ×%d; want %s day %d %v %v", i, d.Day.Format(time.DateOnly), d.User,
				d.First, d.Last, d.CheckIns, user, day, first, last)
		}
	}
	if got := f.s.position.Text; got != "14 people-days over 7 days" {
		t.Errorf("position %q", got)
	}
	texts := strings.Join(tableTexts(f.s.table), "|")
	for _, want := range []string{"First check-in", "2026-11-30", "2026-11-30 08:10:00", "2026-11-30 17:30:00"} {
		if !strings.Contains(texts, want) {
			t.Errorf("summary table does not show %q: %s", want, texts)
		}
	}

	f.s.user.SetText("bob")
	f.waitIdle()
	if len(f.s.rows) != 7 {
		t.Fatalf("%d rows for bob", len(f.s.rows))
	}
	for _, r := range f.s.rows {
		if r.(store.DaySummary).User != "bob" {
			t.Errorf("row of %s with the user filter bob", r.(store.DaySummary).User)
		}
	}
	if !f.s.newer.Disabled() || !f.s.older.Disabled() {
		t.Error("paging buttons on in the summary")
	}
	// Back to the events, the kind filter applies again: bob has no
	// refused logins (a refused attempt names nobody).
	f.s.view.SetSelected(viewEvents)
	f.waitIdle()
	if f.s.kind.Disabled() || len(f.s.rows) != 0 {
		t.Errorf("back to events: kind disabled %v, %d rows", f.s.kind.Disabled(), len(f.s.rows))
	}
}

// exportFile runs the screen's export into path, as the save dialog's
// callback does, and waits for it to finish.
func (f *activityFixture) exportFile(path string) {
	f.t.Helper()
	w, err := storage.Writer(storage.NewFileURI(path))
	if err != nil {
		f.t.Fatal(err)
	}
	f.s.exportTo(w)
	if !f.s.export.Disabled() {
		f.t.Error("Export enabled while exporting")
	}
	f.waitIdle()
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestActivityExport: the rows matching the filters — all of them, not the
// page on screen — stream from the log to the file, times in the screen's
// zone with their offset, formulas defused; the summary exports too.
func TestActivityExport(t *testing.T) { activityBackends(t, testActivityExport) }

func testActivityExport(t *testing.T, db activityDB) {
	f := newActivityFixtureOn(t, db)
	f.open()
	f.s.station.SetText("door")
	f.waitIdle()
	walks := f.log.walks.Load()
	path := filepath.Join(t.TempDir(), "door.csv")
	f.exportFile(path)
	recs := readCSV(t, path)
	want := f.want(func(ev store.Event) bool { return ev.Station == "door" })
	if len(recs) != len(want)+1 || len(f.s.rows) != 10 {
		t.Fatalf("%d CSV rows for %d events (%d on screen)", len(recs)-1, len(want), len(f.s.rows))
	}
	if f.log.walks.Load() != walks+1 {
		t.Error("the export did not stream from the log")
	}
	if !slices.Equal(recs[0], []string{"id", "time", "kind", "user", "station", "distance", "detail"}) {
		t.Errorf("header %q", recs[0])
	}
	for i, id := range want {
		if recs[i+1][0] != fmt.Sprint(id) || recs[i+1][4] != "door" {
			t.Errorf("row %d: %q, want event %d", i+1, recs[i+1], id)
		}
	}
	// bob's last check-in, 30 November 18:40 in Madrid.
	if got := recs[1][1]; got != "2026-11-30T18:40:00+01:00" {
		t.Errorf("time %q", got)
	}
	if got := f.s.message.Text; got != fmt.Sprintf("Exported %d events to door.csv.", len(want)) || f.s.message.Importance != widget.SuccessImportance {
		t.Errorf("message %q", got)
	}
	if f.s.export.Disabled() {
		t.Error("Export still disabled")
	}

	// Formulas in names, stations and details never reach a spreadsheet
	// as formulas.
	f.s.station.SetText("")
	f.s.kind.SetSelected(kindTitle(store.EventOnLogin))
	f.waitIdle()
	path = filepath.Join(t.TempDir(), "onlogin.csv")
	f.exportFile(path)
	recs = readCSV(t, path)
	if len(recs) != 2 || recs[1][4] != `'=HYPERLINK("http://evil.example")` || recs[1][6] != `exit 3: =cmd|' /C calc'!A0` {
		t.Errorf("on-login export %q", recs)
	}

	// The summary: one row per user and day.
	f.s.kind.SetSelected(allKinds)
	f.s.view.SetSelected(viewSummary)
	f.waitIdle()
	path = filepath.Join(t.TempDir(), "summary.csv")
	f.exportFile(path)
	recs = readCSV(t, path)
	if len(recs) != 15 || !slices.Equal(recs[0], []string{"day", "user", "first", "last", "check_ins"}) ||
		!slices.Equal(recs[1], []string{"2026-11-30", "ann", "2026-11-30T08:10:00+01:00", "2026-11-30T17:30:00+01:00", "2"}) {
		t.Errorf("summary export %q", recs)
	}
}

// brokenFile is a file the export cannot write to.
type brokenFile struct {
	fyne.URIWriteCloser
	writes int
}

func (b *brokenFile) Write(p []byte) (int, error) {
	b.writes++
	return 0, errors.New("no space left on device")
}

// TestActivityExportFailure: a file that cannot be written is removed and
// the person is told; so is an export whose query fails.
func TestActivityExportFailure(t *testing.T) {
	f := newActivityFixture(t)
	f.open()
	path := filepath.Join(t.TempDir(), "full.csv")
	w, err := storage.Writer(storage.NewFileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	bw := &brokenFile{URIWriteCloser: w}
	f.s.exportTo(bw)
	f.waitIdle()
	if want := "full.csv could not be written (no space left on device). Nothing was saved — try another place."; f.s.message.Text != want {
		t.Errorf("message %q, want %q", f.s.message.Text, want)
	}
	if bw.writes == 0 {
		t.Error("nothing was written")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed export is still there: %v", err)
	}

	// Exporting for a user filter that is no name.
	f.s.user.SetText("a b")
	f.waitIdle()
	path = filepath.Join(t.TempDir(), "bad.csv")
	f.exportFile(path)
	if !strings.HasSuffix(f.s.message.Text, "Nothing was saved.") || !strings.Contains(f.s.message.Text, "“a b” is not a user name") {
		t.Errorf("message %q", f.s.message.Text)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed export is still there: %v", err)
	}
}

// TestActivityExportCSVDirect: exportCSV on its own, as the dialog's
// callback uses it, with progress.
func TestActivityExportCSVDirect(t *testing.T) {
	st, path := activityStore(t)
	loc := testkit.Madrid(t)
	evs := activityWeek(loc)
	seedEvents(t, path, evs)
	var b strings.Builder
	var progress []int
	n, err := exportCSV(context.Background(), storeLog{st.Events}, store.EventQuery{}, false, time.UTC, &b, func(n int) { progress = append(progress, n) })
	if err != nil || n != len(evs) {
		t.Fatalf("exported %d (%v), want %d", n, err, len(evs))
	}
	if len(progress) != 0 {
		t.Errorf("progress %v for %d rows", progress, n)
	}
	recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[1][1]; got != "2026-11-30T17:45:00Z" {
		t.Errorf("UTC time %q", got)
	}
}

// TestActivityTabInWindow: the window has an Activity tab that reads the
// log when shown, and none without an audit log.
func TestActivityTabInWindow(t *testing.T) {
	f := newActivityFixture(t)
	var names []string
	for _, it := range f.u.tabs.Items {
		names = append(names, it.Text)
	}
	if !slices.Equal(names, []string{"Login", "Register", "Users", "Activity", "Settings"}) {
		t.Errorf("tabs %q", names)
	}
	if f.log.pages.Load() != 0 {
		t.Error("the log was read before the tab was shown")
	}
	f.open()
	if f.log.pages.Load() == 0 || len(f.s.rows) == 0 {
		t.Error("the tab shows nothing")
	}
	// A login elsewhere in the window refreshes the first page.
	pages := f.log.pages.Load()
	f.u.events.publish(userEvent{kind: userLoggedIn, user: "ann"})
	f.waitIdle()
	if f.log.pages.Load() != pages+1 {
		t.Error("a login did not refresh the first page")
	}

	h := newHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), Options{})
	if h.u.activity != nil || len(h.u.tabs.Items) != 4 {
		t.Errorf("without an audit log: %d tabs", len(h.u.tabs.Items))
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567", -4321: "-4,321"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestActivityFitsRightPane: the Activity screen, the widest of the tabs,
// leaves the window's preview its share: at the window's first size the
// tabs fit in the right pane of the split (the e2e tests click the tabs
// where that layout puts them).
func TestActivityFitsRightPane(t *testing.T) {
	st, _ := activityStore(t)
	h := newHarnessWith(t, test.NewTempApp(t), image.NewRGBA(image.Rect(0, 0, 640, 480)), newFakeEngine(), newFakeDirectory(),
		Options{}, func(d *Deps) { d.Activity = storeLog{st.Events} })
	if h.u.activity == nil {
		t.Fatal("no Activity screen")
	}
	win := h.u.win.Canvas().Size().Width
	if win < 1000 {
		t.Fatalf("window width %.0f", win)
	}
	pane := win*(1-0.62) - theme.Padding()*2
	if w := h.u.tabs.MinSize().Width; w > pane {
		t.Errorf("the tabs need %.0f px, the right pane has %.0f: the split moves and the preview shrinks", w, pane)
	}
}

// TestActivityBadDate: a typed day that is not a date is not taken as a
// filter (Fyne's date entry keeps its last good date and says nothing):
// the screen names the format beside the days, keeps the rows of the last
// good filters, and applies the day once it is a date.
func TestActivityBadDate(t *testing.T) {
	f := newActivityFixture(t)
	f.open()
	week := f.shownIDs()
	format, example := dateFormat()
	for _, bad := range []string{"99/99/9999", "2026-13-40", "yesterday"} {
		t.Run(bad, func(t *testing.T) {
			f.s.from.SetText(bad)
			f.waitIdle()
			msg := f.s.dateError.Text
			if !f.s.dateError.Visible() || !strings.Contains(msg, "“"+bad+"”") || !strings.Contains(msg, format) || !strings.Contains(msg, example) {
				t.Errorf("beside the days: %q (shown %v); want %q and the format %s", msg, f.s.dateError.Visible(), bad, format)
			}
			if got := f.shownIDs(); !slices.Equal(got, week) || f.s.q.From.Day() != 24 {
				t.Errorf("rows %v from %v; want the week's %v", got, f.s.q.From, week)
			}
		})
	}
	last := time.Date(2026, 11, 30, 0, 0, 0, 0, f.loc)
	f.s.from.SetDate(&last)
	f.waitIdle()
	if f.s.dateError.Visible() {
		t.Errorf("a good date still shows %q", f.s.dateError.Text)
	}
	if want := f.want(func(ev store.Event) bool { return ev.At.In(f.loc).Day() == 30 }); !slices.Equal(f.shownIDs(), want) {
		t.Errorf("30 November: %v, want %v", f.shownIDs(), want)
	}
	t.Logf("format %s, example %s", format, example)
}

// TestActivityExportInvalidFilter: while the filters are not a query (the
// first day after the last, a day that is not a date) the table still shows
// the last good filters' rows, so Export is off and the message says so;
// an export whose file was chosen before the filters went bad writes
// nothing. Fixing the filters turns Export back on.
func TestActivityExportInvalidFilter(t *testing.T) {
	f := newActivityFixture(t)
	f.open()
	if f.s.export.Disabled() {
		t.Fatal("Export off with good filters")
	}
	first, last := time.Date(2026, 11, 30, 0, 0, 0, 0, f.loc), time.Date(2026, 11, 25, 0, 0, 0, 0, f.loc)
	f.s.from.SetDate(&first)
	f.s.to.SetDate(&last)
	f.waitIdle()
	if !f.s.export.Disabled() || !strings.Contains(f.s.message.Text, "Export CSV is off") {
		t.Fatalf("first day after the last: Export disabled %v, message %q", f.s.export.Disabled(), f.s.message.Text)
	}
	path := filepath.Join(t.TempDir(), "bad.csv")
	w, err := storage.Writer(storage.NewFileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	f.s.exportTo(w) // the file was chosen before the filters went bad
	f.waitIdle()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("an export with invalid filters left %s (%v): the previous filter's rows", path, err)
	}

	f.s.from.SetText("99/99/9999")
	f.waitIdle()
	if !f.s.export.Disabled() || !strings.Contains(f.s.dateError.Text, "Export CSV is off") {
		t.Fatalf("a day that is not a date: Export disabled %v, beside the days %q", f.s.export.Disabled(), f.s.dateError.Text)
	}
	f.s.from.SetDate(&last)
	f.waitIdle()
	if f.s.export.Disabled() {
		t.Fatal("Export still off after the filters were fixed")
	}
}

// TestActivityExportRefreshes: after an export, the table shows the log as
// it is then — an event written meanwhile (a login at another station)
// included — and the export's message stays.
func TestActivityExportRefreshes(t *testing.T) {
	var seed func([]store.Event)
	f := newActivityFixtureOn(t, func(tb testing.TB) (*store.Store, func([]store.Event)) {
		st, s := sqliteActivity(tb)
		seed = s
		return st, s
	})
	f.open()
	seed([]store.Event{{At: time.Date(2026, 11, 30, 19, 0, 0, 0, f.loc), Kind: store.EventLoginSuccess, Username: "ann",
		Station: "door", Distance: 0.3, HasDistance: true}})
	newest := int64(len(f.evs) + 1)
	f.exportFile(filepath.Join(t.TempDir(), "week.csv"))
	f.waitIdle()
	if ids := f.shownIDs(); len(ids) == 0 || ids[0] != newest {
		t.Errorf("after the export the table shows %v; want event %d first", ids, newest)
	}
	if want := fmt.Sprintf("Exported %d events to week.csv.", newest); f.s.message.Text != want || f.s.message.Importance != widget.SuccessImportance {
		t.Errorf("message %q, want %q", f.s.message.Text, want)
	}
}
