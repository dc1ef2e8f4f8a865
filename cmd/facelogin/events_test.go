package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"facelogin/internal/activity"
	"facelogin/internal/testdata"
	"facelogin/recognition"
	"facelogin/store"
)

// eventsFixture is a SQLite database with ann enrolled (her registration is
// written now) and five events on three days some 40 days ago, local time.
type eventsFixture struct {
	*cli
	day time.Time        // local midnight of the first day
	id  map[string]int64 // label → event id
	at  map[int64]time.Time
}

func newEventsFixture(t *testing.T) *eventsFixture {
	c := newCLI(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "events.db")
	t.Setenv("FACELOGIN_DB", dsn)
	t.Setenv("FACELOGIN_KEY", strings.Repeat("ab", 32))
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DSN: dsn, Station: "office", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	idol := testdata.Idols(t)[0]
	if _, err := st.Users.Enroll(ctx, store.Enrollment{Username: "ann", ModelID: recognition.ModelID,
		Templates: []store.NewTemplate{{Descriptor: idol.Descriptor, Quality: 0.9}}}); err != nil {
		t.Fatal(err)
	}
	u, err := st.Users.Get(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	db, err := sql.Open("sqlite", strings.TrimPrefix(dsn, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	y, m, d := time.Now().AddDate(0, 0, -40).Date()
	f := &eventsFixture{cli: c, day: time.Date(y, m, d, 0, 0, 0, 0, time.Local), id: map[string]int64{}, at: map[int64]time.Time{}}
	var regID int64
	if err := db.QueryRow("SELECT id FROM auth_events WHERE kind = 'register'").Scan(&regID); err != nil {
		t.Fatal(err)
	}
	f.id["reg"] = regID
	for _, e := range []struct {
		label, kind string
		day, hour   int
		userID      any
		user        string
		station     string
		distance    any
		detail      string
	}{
		{"e1", "login_success", 0, 8, u.ID, "ann", "hall", 0.3, "window"},
		{"e2", "login_success", 0, 9, nil, "bob", "door", 0.28, "window"},
		{"e3", "login_failure", 1, 7, u.ID, "ann", "hall", 0.5, "not recognised (window)"},
		{"e4", "login_failure", 1, 12, nil, "", "door", nil, "no face, \"really\"\nsecond line"},
		{"e5", "login_success", 2, 18, u.ID, "ann", "door", 0.31, "kiosk"},
	} {
		at := time.Date(y, m, d+e.day, e.hour, 0, 0, 0, time.Local)
		res, err := db.Exec(`INSERT INTO auth_events (at, kind, user_id, username, distance, station, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			at.UnixMicro(), e.kind, e.userID, e.user, e.distance, e.station, e.detail)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		f.id[e.label], f.at[id] = id, at
	}
	return f
}

// date is the fixture's first day plus n days, as --from/--to take it.
func (f *eventsFixture) date(n int) string { return f.day.AddDate(0, 0, n).Format(time.DateOnly) }

// labels runs `facelogin events --json ARGS` and names the events printed.
func (f *eventsFixture) labels(t *testing.T, args ...string) []string {
	t.Helper()
	out, errOut := f.want(exitOK, append([]string{"events", "--json"}, args...)...)
	var rows []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("events --json: %v\n%s", err, out)
	}
	byID := map[int64]string{}
	for l, id := range f.id {
		byID[id] = l
	}
	got := []string{}
	for _, r := range rows {
		got = append(got, byID[r.ID])
	}
	if !strings.Contains(errOut, strconv.Itoa(len(rows))+" event(s)") {
		t.Fatalf("stderr does not count %d events: %s", len(rows), errOut)
	}
	return got
}

func TestEventsFilters(t *testing.T) {
	f := newEventsFixture(t)
	all := []string{"reg", "e5", "e4", "e3", "e2", "e1"}
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"everything, newest first", nil, all},
		{"one day", []string{"--from", f.date(1), "--to", f.date(1)}, []string{"e4", "e3"}},
		{"from a local time on", []string{"--from", f.date(1) + " 12:00"}, []string{"reg", "e5", "e4"}},
		{"to a day, that day included", []string{"--to", f.date(0)}, []string{"e2", "e1"}},
		{"to a time, excluded", []string{"--to", f.date(0) + "T09:00"}, []string{"e1"}},
		{"RFC 3339", []string{"--from", f.at[f.id["e2"]].Format(time.RFC3339), "--to", f.date(0)}, []string{"e2"}},
		{"since 24h", []string{"--since", "24h"}, []string{"reg"}},
		{"since 45 days", []string{"--since", "45d"}, all},
		{"since 37 days", []string{"--since", "37d"}, []string{"reg"}},
		{"user", []string{"--user", "ann"}, []string{"reg", "e5", "e3", "e1"}},
		{"user, another spelling", []string{"--user", "ANN"}, []string{"reg", "e5", "e3", "e1"}},
		{"user known only by name", []string{"--user", "bob"}, []string{"e2"}},
		{"nobody", []string{"--user", "zed"}, []string{}},
		{"station", []string{"--station", "door"}, []string{"e5", "e4", "e2"}},
		{"kind", []string{"--kind", "login_failure"}, []string{"e4", "e3"}},
		{"kinds, comma-separated", []string{"--kind", "login_success,register"}, []string{"reg", "e5", "e2", "e1"}},
		{"kinds, flag repeated", []string{"--kind", "login_success", "--kind", "register"}, []string{"reg", "e5", "e2", "e1"}},
		{"all filters", []string{"--user", "ann", "--station", "hall", "--kind", "login_success", "--from", f.date(0), "--to", f.date(2)}, []string{"e1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := f.labels(t, c.args...); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("events %s = %v, want %v", strings.Join(c.args, " "), got, c.want)
			}
		})
	}
}

func TestEventsBadCommandLine(t *testing.T) {
	f := newEventsFixture(t)
	for _, c := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"--from", "2026-13-01"}, exitUsage, `--from: "2026-13-01" is not a date: use YYYY-MM-DD`},
		{[]string{"--to", "2026-02-30"}, exitUsage, `--to: "2026-02-30" is not a date`},
		{[]string{"--from", "yesterday"}, exitUsage, `"yesterday" is not a date`},
		{[]string{"--from", "30/11/2026"}, exitUsage, "is not a date"},
		{[]string{"--from", f.date(2), "--to", f.date(1)}, exitUsage, "is not before --to"},
		{[]string{"--since", "24h", "--from", f.date(1)}, exitUsage, "--since or --from/--to, not both"},
		{[]string{"--since", "-5h"}, exitUsage, "want a positive duration such as 90m, 24h or 7d"},
		{[]string{"--since", "a week"}, exitUsage, "want a positive duration"},
		{[]string{"--since", "0d"}, exitUsage, "want a positive duration"},
		{[]string{"--kind", "logins"}, exitUsage, `unknown kind "logins" (one of register,`},
		{[]string{"--csv", "--json"}, exitUsage, "--csv or --json, not both"},
		{[]string{"--summary", "--kind", "register"}, exitUsage, "--kind does not apply"},
		{[]string{"extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"--user", "bad name!"}, exitInput, "invalid name"},
		{[]string{"--db", "mysql://facelogin:x@127.0.0.1:1/facelogin"}, exitDatabase, "cannot reach the database"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, errOut := f.want(c.code, append([]string{"events"}, c.args...)...)
			if !strings.Contains(errOut, c.say) {
				t.Fatalf("stderr %q does not say %q", errOut, c.say)
			}
			if out != "" {
				t.Fatalf("a refused command printed %q", out)
			}
		})
	}
}

func TestEventsCSV(t *testing.T) {
	f := newEventsFixture(t)
	out, _ := f.want(exitOK, "events", "--csv", "--from", f.date(0), "--to", f.date(2))
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, out)
	}
	cols := activity.EventColumns()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	if !reflect.DeepEqual(rows[0], names) || !reflect.DeepEqual(names, []string{"id", "time", "kind", "user", "station", "distance", "detail"}) {
		t.Fatalf("header %v, columns %v", rows[0], names)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want header + 5", len(rows))
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[0]] = r
		id, _ := strconv.ParseInt(r[0], 10, 64)
		at, err := time.Parse(time.RFC3339, r[1])
		if err != nil || !at.Equal(f.at[id]) {
			t.Fatalf("time %q of event %d: %v, want %v", r[1], id, err, f.at[id])
		}
		if _, off := at.Zone(); off != func() int { _, o := f.at[id].In(time.Local).Zone(); return o }() {
			t.Fatalf("time %q is not in the local zone", r[1])
		}
	}
	e4 := byID[strconv.FormatInt(f.id["e4"], 10)]
	if want := []string{"login_failure", "", "door", "", "no face, \"really\"\nsecond line"}; !reflect.DeepEqual(e4[2:], want) {
		t.Fatalf("e4 = %q, want %q", e4[2:], want)
	}
	if e1 := byID[strconv.FormatInt(f.id["e1"], 10)]; e1[3] != "ann" || e1[4] != "hall" || e1[5] != "0.3000" {
		t.Fatalf("e1 = %q", e1)
	}

	// An empty result still names its columns.
	out, _ = f.want(exitOK, "events", "--csv", "--user", "zed")
	if out != strings.Join(names, ",")+"\n" {
		t.Fatalf("empty CSV = %q", out)
	}
}

func TestEventsJSON(t *testing.T) {
	f := newEventsFixture(t)
	out, _ := f.want(exitOK, "events", "--json", "--station", "door")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rows) != 3 || strings.Count(out, "\n") != 5 {
		t.Fatalf("want 3 objects, one per line:\n%s", out)
	}
	// Keys in column order, as in the CSV header.
	first := strings.Split(out, "\n")[1]
	last := -1
	for _, c := range activity.EventColumns() {
		i := strings.Index(first, strconv.Quote(c.Name)+":")
		if i < last {
			t.Fatalf("key %q out of order in %s", c.Name, first)
		}
		last = i
	}
	e4 := rows[1]
	if e4["id"] != float64(f.id["e4"]) || e4["distance"] != nil || e4["user"] != "" || e4["detail"] != "no face, \"really\"\nsecond line" {
		t.Fatalf("e4 = %v", e4)
	}
	if e5 := rows[0]; e5["distance"] != 0.31 || e5["kind"] != "login_success" {
		t.Fatalf("e5 = %v", e5)
	}
	out, _ = f.want(exitOK, "events", "--json", "--user", "zed")
	if strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty JSON = %q", out)
	}
	// An invalid user is refused before anything is printed: the error
	// object is the one JSON value on stdout, with no empty array before it.
	for _, args := range [][]string{{"--user", "=x"}, {"--user", "=x", "--summary"}} {
		out, _ = f.want(exitInput, append([]string{"events", "--json"}, args...)...)
		dec := json.NewDecoder(strings.NewReader(out))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%v: not JSON: %v\n%s", args, err, out)
		}
		if obj, ok := v.(map[string]any); !ok || obj["error"] == nil {
			t.Fatalf("%v: first JSON value %v, want the error object", args, v)
		}
		if dec.More() || strings.TrimSpace(out[dec.InputOffset():]) != "" {
			t.Fatalf("%v: more than one JSON value on stdout:\n%s", args, out)
		}
	}
	// A bad flag before --json: the flag package stops there, and the
	// refusal is still the JSON error object.
	out, _ = f.want(exitUsage, "events", "--kind", "bogus", "--json")
	var obj map[string]any
	if err := json.Unmarshal([]byte(out), &obj); err != nil || !strings.Contains(fmt.Sprint(obj["error"]), `unknown kind "bogus"`) || obj["exit"] != float64(exitUsage) {
		t.Fatalf("--kind bogus --json: %v, stdout:\n%s", err, out)
	}
}

func TestEventsText(t *testing.T) {
	f := newEventsFixture(t)
	out, errOut := f.want(exitOK, "events", "--from", f.date(0), "--to", f.date(2))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 || errOut == "" || !strings.HasSuffix(errOut, "5 event(s)\n") {
		t.Fatalf("text output:\n%s\nstderr: %s", out, errOut)
	}
	e4 := lines[1]
	want := f.at[f.id["e4"]].Format("2006-01-02 15:04:05")
	if !strings.Contains(e4, want) || !strings.Contains(e4, "no face, \"really\" second line") {
		t.Fatalf("e4 line %q: want local time %s and the detail on one line", e4, want)
	}
	// Columns line up: the kind starts at the same place on every line.
	col := strings.Index(lines[0], "login_")
	for _, l := range lines {
		if strings.Index(l, "login_") != col {
			t.Fatalf("columns do not line up:\n%s", out)
		}
	}
}

func TestEventsSummary(t *testing.T) {
	f := newEventsFixture(t)
	out, errOut := f.want(exitOK, "events", "--summary", "--csv", "--from", f.date(0), "--to", f.date(2))
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	at := func(label string) string { return f.at[f.id[label]].Format(activity.TimeLayout) }
	want := [][]string{
		{"day", "user", "first", "last", "check_ins"},
		{f.date(2), "ann", at("e5"), at("e5"), "1"},
		{f.date(0), "ann", at("e1"), at("e1"), "1"},
		{f.date(0), "bob", at("e2"), at("e2"), "1"},
	}
	if !reflect.DeepEqual(rows, want) || !strings.Contains(errOut, "3 user-day(s)") {
		t.Fatalf("summary:\n%q\nwant\n%q\n%s", rows, want, errOut)
	}
}

// TestEventsSummaryAfterRename: ann is renamed anna and a new person is
// enrolled as ann. The summary credits the old check-ins to anna (by user
// id, under her name now), and --user ann means the new ann only.
func TestEventsSummaryAfterRename(t *testing.T) {
	f := newEventsFixture(t)
	f.want(exitOK, "users", "rename", "ann", "anna")
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DSN: os.Getenv("FACELOGIN_DB"), Station: "office"})
	if err != nil {
		t.Fatal(err)
	}
	idol := testdata.Idols(t)[1]
	newAnn, err := st.Users.Enroll(ctx, store.Enrollment{Username: "ann", ModelID: recognition.ModelID,
		Templates: []store.NewTemplate{{Descriptor: idol.Descriptor, Quality: 0.9}}})
	if err == nil {
		err = st.Events.RecordLogin(ctx, store.LoginAttempt{Success: true, UserID: newAnn.ID, Username: "ann", Distance: 0.3, HasDistance: true})
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	out, _ := f.want(exitOK, "events", "--summary", "--csv", "--from", f.date(0), "--to", f.date(2))
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, r := range rows[1:] {
		users = append(users, r[0]+" "+r[1])
	}
	if want := []string{f.date(2) + " anna", f.date(0) + " anna", f.date(0) + " bob"}; !reflect.DeepEqual(users, want) {
		t.Fatalf("summary after the rename: %q, want %q", users, want)
	}
	for _, l := range f.labels(t, "--user", "ann") {
		if l == "e1" || l == "e3" || l == "e5" {
			t.Fatalf("--user ann lists anna's event %s from before the rename", l)
		}
	}
	if got := f.labels(t, "--user", "anna", "--kind", "login_success"); !reflect.DeepEqual(got, []string{"e5", "e1"}) {
		t.Fatalf("--user anna: %v, want her check-ins e5, e1", got)
	}
}

func TestEventRange(t *testing.T) {
	mad, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 15, 0, 0, 0, mad)
	for _, c := range []struct {
		since, from, to string
		wantFrom        time.Time
		wantTo          time.Time
	}{
		{since: "90m", wantFrom: now.Add(-90 * time.Minute)},
		{since: "7d", wantFrom: now.Add(-7 * 24 * time.Hour)},
		// The day summer time ends has 25 hours; --to takes all of them.
		{from: "2026-10-25", to: "2026-10-25", wantFrom: time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), wantTo: time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC)},
		{from: "2026-10-25 12:30", wantFrom: time.Date(2026, 10, 25, 11, 30, 0, 0, time.UTC)},
		{from: "2026-10-24 12:30:15", wantFrom: time.Date(2026, 10, 24, 10, 30, 15, 0, time.UTC)},
		{to: "2026-11-01T10:00:00Z", wantTo: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
	} {
		from, to, err := eventRange(c.since, c.from, c.to, now, mad)
		if err != nil || !from.Equal(c.wantFrom) || !to.Equal(c.wantTo) {
			t.Errorf("eventRange(%q, %q, %q) = %v, %v, %v; want %v, %v", c.since, c.from, c.to, from, to, err, c.wantFrom, c.wantTo)
		}
	}
}
