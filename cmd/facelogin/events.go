package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"facelogin/internal/activity"
	"facelogin/store"
)

// cmdEvents prints the audit log, newest first, streaming it from the
// database: the same columns as the window's CSV export.
func cmdEvents(e *env, args []string) error {
	fs := newFlags(e, "events")
	db := addDBFlags(fs)
	since := fs.String("since", "", "only events of the last DURATION: 90m, 24h, 7d")
	from := fs.String("from", "", "first day (YYYY-MM-DD, local time) or time (YYYY-MM-DD HH:MM[:SS], RFC 3339)")
	to := fs.String("to", "", "last day, included (YYYY-MM-DD), or time, excluded")
	user := fs.String("user", "", "only this user's events (their current name, or the name a deleted user had)")
	station := fs.String("station", "", "only events of this station")
	var kinds []store.EventKind
	fs.Func("kind", "only events of these kinds (comma-separated, or the flag repeated): "+kindList(), func(v string) error {
		for _, k := range strings.Split(v, ",") {
			kind := store.EventKind(strings.TrimSpace(k))
			if !slices.Contains(store.EventKinds(), kind) {
				return fmt.Errorf("unknown kind %q (one of %s)", k, kindList())
			}
			kinds = append(kinds, kind)
		}
		return nil
	})
	asCSV := fs.Bool("csv", false, "print CSV with a header row")
	fs.BoolVar(&e.json, "json", false, "print a JSON array")
	summary := fs.Bool("summary", false, "print each user's first and last check-in per day instead of the events")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fail(exitUsage, nil, "events: unexpected argument %q", fs.Arg(0))
	}
	if *asCSV && e.json {
		e.json = false // neither format was chosen: nothing on standard output
		return fail(exitUsage, nil, "events: give --csv or --json, not both")
	}
	q := store.EventQuery{User: *user, Station: *station, Kinds: kinds}
	var err error
	if q.From, q.To, err = eventRange(*since, *from, *to, time.Now(), time.Local); err != nil {
		return fail(exitUsage, err, "events: %v", err)
	}
	if *summary && len(kinds) > 0 {
		return fail(exitUsage, nil, "events: --summary counts check-ins (login_success); --kind does not apply")
	}

	return printEvents(e, q, db, *asCSV, *summary)
}

// printEvents streams the events (or the per-day summary) matching q to
// stdout in the chosen format, and their count to stderr.
func printEvents(e *env, q store.EventQuery, db *dbOptions, asCSV, summary bool) error {
	format := activity.Text
	switch {
	case asCSV:
		format = activity.CSV
	case e.json:
		format = activity.JSON
	}
	cols := activity.EventColumns()
	if summary {
		cols = activity.SummaryColumns()
	}
	ctx := context.Background()
	st, err := openStore(ctx, e, &common{db: db, station: new(string)})
	if err != nil {
		return err
	}
	defer st.Close()
	// A bad query (--user '=x') prints its error alone: never an empty
	// result and then the error, two JSON values.
	if err := st.Events.Check(ctx, q); err != nil {
		return explainStoreError(err)
	}
	w, err := activity.NewWriter(e.stdout, cols, format, time.Local)
	if err != nil {
		return err
	}
	// Output errors are told apart from the database's.
	var writeErr error
	write := func(row any) error {
		if err := w.Write(row); err != nil {
			writeErr = err
			return err
		}
		return nil
	}
	if summary {
		err = st.Events.DailySummary(ctx, q, time.Local, func(d store.DaySummary) error { return write(d) })
	} else {
		err = st.Events.Each(ctx, q, func(ev store.Event) error { return write(ev) })
	}
	if err != nil && w.Rows() == 0 {
		// Nothing was written yet (the writer buffers): leave the output
		// to the error alone rather than print an empty result before it.
		return explainStoreError(err)
	}
	if cerr := w.Close(); writeErr == nil {
		writeErr = cerr
	}
	if writeErr != nil {
		return fail(exitInternal, writeErr, "events: write: %v", writeErr)
	}
	if err != nil {
		return explainStoreError(err)
	}
	what := "event(s)"
	if summary {
		what = "user-day(s)"
	}
	fmt.Fprintf(e.stderr, "%d %s\n", w.Rows(), what)
	return nil
}

func kindList() string {
	ks := store.EventKinds()
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// eventRange turns --since or --from/--to into [from, to) in loc, relative
// to now. A date alone names the whole local day, so --to 2026-11-30 takes
// in all of that day.
func eventRange(since, from, to string, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	if since != "" {
		if from != "" || to != "" {
			return time.Time{}, time.Time{}, errors.New("give --since or --from/--to, not both")
		}
		d, err := parseSince(since)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		return now.Add(-d), time.Time{}, nil
	}
	var start, end time.Time
	if from != "" {
		t, _, err := parseWhen(from, loc)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--from: %w", err)
		}
		start = t
	}
	if to != "" {
		t, day, err := parseWhen(to, loc)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--to: %w", err)
		}
		if day {
			t = t.AddDate(0, 0, 1)
		}
		end = t
	}
	if !start.IsZero() && !end.IsZero() && !start.Before(end) {
		return time.Time{}, time.Time{}, fmt.Errorf("--from %s is not before --to %s", from, to)
	}
	return start, end, nil
}

// parseSince reads a Go duration (90m, 24h) or a number of days (7d).
func parseSince(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		days, err = strconv.Atoi(n)
		d = time.Duration(days) * 24 * time.Hour
		if days > 100_000 {
			err = errors.New("too long")
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--since %q: want a positive duration such as 90m, 24h or 7d", s)
	}
	return d, nil
}

// parseWhen reads a date (day true: the start of that day in loc), a local
// date and time, or an RFC 3339 time.
func parseWhen(s string, loc *time.Location) (t time.Time, day bool, err error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, true, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, false, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, false, nil
	}
	return time.Time{}, false, fmt.Errorf("%q is not a date: use YYYY-MM-DD (local time), YYYY-MM-DD HH:MM or RFC 3339", s)
}
