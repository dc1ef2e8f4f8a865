// Package activity is the audit log as people read it: the columns of the
// Activity screen's table and CSV export and of `facelogin events`, defined
// once, and writers that stream them as CSV, JSON or aligned text.
//
// Times are shown in a location the caller gives (time.Local for people);
// the store keeps them as UTC instants. CSV and JSON carry RFC 3339 times
// with the zone offset, so the hour that repeats when summer time ends is
// not ambiguous; text shows the wall clock only.
//
// # Spreadsheet formula injection
//
// Names, station names and details come from outside (an on-login
// command's error line, --station), and a CSV export is opened in a
// spreadsheet, which runs a cell that starts with "=" as a formula
// (=HYPERLINK(…), DDE's =cmd|…). The CSV writer therefore puts an
// apostrophe before every cell that starts with = + - @, a tab, a
// carriage return or a NUL — the characters OWASP's CSV Injection page and
// ASVS 5.0 requirement 1.2.10 name. Spreadsheets show such a cell as the
// text after the apostrophe; other CSV readers see the apostrophe. The
// values we write ourselves (ids, times, distances, counts) never start
// with one of them. JSON and text are written as they are.
package activity

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"facelogin/store"
)

// Format is how a Writer writes rows.
type Format int

const (
	// Text is aligned columns for a terminal, no header.
	Text Format = iota
	// CSV is RFC 4180 with a header row of column names.
	CSV
	// JSON is one array of objects, one object per line, keys the column
	// names in column order.
	JSON
)

// Column is one column of a table of the audit log.
type Column struct {
	Name  string // CSV header and JSON key
	Title string // heading in the window
	Width int    // text width in characters; 0 for the last column

	// text is the value as CSV writes it (and JSON, unless json is set),
	// show the value for people (nil: text).
	text, show func(row any, loc *time.Location) string
	json       func(row any, loc *time.Location) any
}

// Value is the column's value in row as CSV writes it: times in RFC 3339.
func (c Column) Value(row any, loc *time.Location) string { return c.text(row, loc) }

// Show is the column's value in row as people read it (the window's table,
// the text format): times as the wall clock in loc, "-" for nothing.
func (c Column) Show(row any, loc *time.Location) string {
	v := c.text(row, loc)
	if c.show != nil {
		v = c.show(row, loc)
	}
	if v == "" {
		return "-"
	}
	// A detail or name never breaks a line of the table.
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, v)
}

// TimeLayout is how CSV and JSON write times (RFC 3339 to the second, with
// the offset of the display location).
const TimeLayout = "2006-01-02T15:04:05Z07:00"

// textTimeLayout is how the text format and the window show times.
const textTimeLayout = "2006-01-02 15:04:05"

// EventColumns are the columns of one audit event: the window's table, its
// CSV export and `facelogin events` all use these, in this order.
func EventColumns() []Column {
	ev := func(f func(e store.Event, loc *time.Location) string) func(any, *time.Location) string {
		return func(row any, loc *time.Location) string { return f(row.(store.Event), loc) }
	}
	return []Column{
		{Name: "id", Title: "#", Width: 7,
			text: ev(func(e store.Event, _ *time.Location) string { return strconv.FormatInt(e.ID, 10) }),
			json: func(row any, _ *time.Location) any { return row.(store.Event).ID }},
		{Name: "time", Title: "Time", Width: 19,
			text: ev(func(e store.Event, loc *time.Location) string { return e.At.In(loc).Format(TimeLayout) }),
			show: ev(func(e store.Event, loc *time.Location) string { return e.At.In(loc).Format(textTimeLayout) })},
		{Name: "kind", Title: "Event", Width: 15,
			text: ev(func(e store.Event, _ *time.Location) string { return string(e.Kind) })},
		{Name: "user", Title: "User", Width: 16,
			text: ev(func(e store.Event, _ *time.Location) string { return e.Username })},
		{Name: "station", Title: "Station", Width: 12,
			text: ev(func(e store.Event, _ *time.Location) string { return e.Station })},
		{Name: "distance", Title: "Distance", Width: 8,
			text: ev(func(e store.Event, _ *time.Location) string { return Distance(e) }),
			json: func(row any, _ *time.Location) any {
				if d := Distance(row.(store.Event)); d != "" {
					return json.Number(d)
				}
				return nil
			}},
		{Name: "detail", Title: "Detail",
			text: ev(func(e store.Event, _ *time.Location) string { return e.Detail })},
	}
}

// SummaryColumns are the columns of the per-day summary of check-ins.
func SummaryColumns() []Column {
	sum := func(f func(d store.DaySummary) string) func(any, *time.Location) string {
		return func(row any, _ *time.Location) string { return f(row.(store.DaySummary)) }
	}
	return []Column{
		{Name: "day", Title: "Day", Width: 10, text: sum(func(d store.DaySummary) string { return d.Day.Format(time.DateOnly) })},
		{Name: "user", Title: "User", Width: 16, text: sum(SummaryUser)},
		{Name: "first", Title: "First check-in", Width: 19,
			text: sum(func(d store.DaySummary) string { return d.First.Format(TimeLayout) }),
			show: sum(func(d store.DaySummary) string { return d.First.Format(textTimeLayout) })},
		{Name: "last", Title: "Last check-in", Width: 19,
			text: sum(func(d store.DaySummary) string { return d.Last.Format(TimeLayout) }),
			show: sum(func(d store.DaySummary) string { return d.Last.Format(textTimeLayout) })},
		{Name: "check_ins", Title: "Check-ins",
			text: sum(func(d store.DaySummary) string { return strconv.Itoa(d.CheckIns) }),
			json: func(row any, _ *time.Location) any { return row.(store.DaySummary).CheckIns }},
	}
}

// SummaryUser is the user column of a per-day summary row: the user's
// current name, or the recorded name marked "(deleted)" for a user who no
// longer exists.
func SummaryUser(d store.DaySummary) string {
	if d.Deleted {
		return d.User + " (deleted)"
	}
	return d.User
}

// Distance is an event's descriptor distance with four decimals, or "" when
// it has none.
func Distance(e store.Event) string {
	if !e.HasDistance {
		return ""
	}
	return strconv.FormatFloat(float64(e.Distance), 'f', 4, 32)
}

// Values returns the text of each column for row (a store.Event for
// EventColumns, a store.DaySummary for SummaryColumns), times in loc.
func Values(cols []Column, row any, loc *time.Location) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.text(row, loc)
	}
	return out
}

// SpreadsheetSafe returns v as the CSV writer writes a cell: with an
// apostrophe in front when v starts with a character that makes a
// spreadsheet read the cell as a formula (= + - @, tab, carriage return,
// NUL; see the package comment), otherwise unchanged.
func SpreadsheetSafe(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r', 0:
		return "'" + v
	}
	return v
}

// Writer streams rows of one table to an output. Call Close at the end: it
// finishes the JSON array and flushes.
type Writer struct {
	cols   []Column
	format Format
	loc    *time.Location
	w      *bufio.Writer
	csv    *csv.Writer
	rows   int
	line   []byte
}

// NewWriter writes rows with cols (EventColumns or SummaryColumns) to w,
// times in loc. A CSV header is written at once, so an empty result still
// names its columns.
func NewWriter(w io.Writer, cols []Column, format Format, loc *time.Location) (*Writer, error) {
	if loc == nil {
		loc = time.Local
	}
	wr := &Writer{cols: cols, format: format, loc: loc, w: bufio.NewWriterSize(w, 64<<10)}
	switch format {
	case CSV:
		wr.csv = csv.NewWriter(wr.w)
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Name
		}
		if err := wr.csv.Write(names); err != nil {
			return nil, err
		}
	case JSON:
		if _, err := wr.w.WriteString("["); err != nil {
			return nil, err
		}
	case Text:
	default:
		return nil, fmt.Errorf("activity: unknown format %d", format)
	}
	return wr, nil
}

// Write writes one row: a store.Event or a store.DaySummary, matching the
// columns.
func (w *Writer) Write(row any) error {
	w.rows++
	switch w.format {
	case CSV:
		vs := Values(w.cols, row, w.loc)
		for i, v := range vs {
			vs[i] = SpreadsheetSafe(v)
		}
		return w.csv.Write(vs)
	case JSON:
		return w.writeJSON(row)
	}
	return w.writeText(row)
}

func (w *Writer) writeJSON(row any) error {
	b := w.line[:0]
	if w.rows > 1 {
		b = append(b, ',')
	}
	b = append(b, "\n{"...)
	for i, c := range w.cols {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, c.Name)
		b = append(b, ": "...)
		var v any
		if c.json != nil {
			v = c.json(row, w.loc)
		} else {
			v = c.text(row, w.loc)
		}
		enc, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("activity: %s: %w", c.Name, err)
		}
		b = append(b, enc...)
	}
	b = append(b, '}')
	w.line = b
	_, err := w.w.Write(b)
	return err
}

func (w *Writer) writeText(row any) error {
	b := w.line[:0]
	for i, c := range w.cols {
		v := c.Show(row, w.loc)
		b = append(b, v...)
		if i < len(w.cols)-1 {
			for n := utf8.RuneCountInString(v); n < c.Width; n++ {
				b = append(b, ' ')
			}
			b = append(b, "  "...)
		}
	}
	b = append(b, '\n')
	w.line = b
	_, err := w.w.Write(b)
	return err
}

// Rows is how many rows were written.
func (w *Writer) Rows() int { return w.rows }

// Close ends the output and flushes it.
func (w *Writer) Close() error {
	switch w.format {
	case CSV:
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			return err
		}
	case JSON:
		if w.rows > 0 {
			w.w.WriteString("\n")
		}
		w.w.WriteString("]\n")
	}
	return w.w.Flush()
}
