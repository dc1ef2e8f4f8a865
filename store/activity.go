package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// EventQuery selects audit events for the Activity screen and `facelogin
// events`. The zero value selects every event.
type EventQuery struct {
	// From and To bound the time: From <= At < To. A zero bound is open.
	From, To time.Time
	// User selects one person's events. A name a user has now means that
	// user: the events tied to its id, including those from before a
	// rename, and not those another user recorded under the name before
	// (renamed or deleted since). A name no user has now means a deleted
	// user: the events recorded under it and tied to no user that still
	// exists. "" is anyone.
	User string
	// Station selects the events recorded by one station (exact name).
	Station string
	// Kinds selects events of any of these kinds; empty is every kind.
	Kinds []EventKind
}

// EventCursor is where a page of events ended. The zero value starts at the
// newest event.
type EventCursor struct {
	At time.Time
	ID int64
}

// Cursor returns the position just after ev in newest-first order.
func (ev Event) Cursor() EventCursor { return EventCursor{At: ev.At, ID: ev.ID} }

// EventPage is one page of events, newest first.
type EventPage struct {
	Events []Event
	Next   EventCursor // pass to Page for the following page
	More   bool        // there are older events
}

// MaxPageSize bounds Page's n.
const MaxPageSize = 1000

// Page returns up to n events (1..MaxPageSize) matching q that come after
// cursor, newest first: by time, then by id for events of the same
// microsecond. It reads n+1 rows through the time index (keyset paging, not
// OFFSET), so every page costs the same however deep it is.
func (e *Events) Page(ctx context.Context, q EventQuery, after EventCursor, n int) (EventPage, error) {
	if n <= 0 || n > MaxPageSize {
		return EventPage{}, fmt.Errorf("store: events page: size %d, want 1..%d", n, MaxPageSize)
	}
	var page EventPage
	err := e.query(ctx, "events page", q, after, n+1, func(ev Event) error {
		if len(page.Events) == n {
			page.More = true
			return errStopEvents
		}
		page.Events = append(page.Events, ev)
		return nil
	})
	if err != nil {
		return EventPage{}, err
	}
	if k := len(page.Events); k > 0 {
		page.Next = page.Events[k-1].Cursor()
	}
	return page, nil
}

// Each calls fn for every event matching q, newest first, reading rows from
// the database as it goes: the log is never held in memory. An error from fn
// stops the walk and is returned as it is.
func (e *Events) Each(ctx context.Context, q EventQuery, fn func(Event) error) error {
	return e.query(ctx, "read events", q, EventCursor{}, 0, fn)
}

// Count returns how many events match q. It reads every matching index
// entry; the Activity screen shows it beside the first page.
func (e *Events) Count(ctx context.Context, q EventQuery) (int64, error) {
	where, args, err := e.s.eventWhere(ctx, q, EventCursor{})
	if err != nil {
		return 0, err
	}
	var n int64
	if err := e.s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM auth_events"+where, args...).Scan(&n); err != nil {
		return 0, e.s.wrap("count events", err)
	}
	return n, nil
}

// Check returns the error Each, Page or DailySummary would return for q
// before reading any event: ErrInvalidName for a user name no user could
// have, or the database's error. Callers that stream output check first, so
// a bad query prints nothing but its error.
func (e *Events) Check(ctx context.Context, q EventQuery) error {
	_, _, err := e.s.eventWhere(ctx, q, EventCursor{})
	return err
}

// errStopEvents ends a walk early without an error.
var errStopEvents = errors.New("stop")

func (e *Events) query(ctx context.Context, op string, q EventQuery, after EventCursor, limit int, fn func(Event) error) error {
	where, args, err := e.s.eventWhere(ctx, q, after)
	if err != nil {
		return err
	}
	sqlText := "SELECT " + eventColumns + " FROM auth_events" + where + " ORDER BY at DESC, id DESC"
	if limit > 0 {
		sqlText += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := e.s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return e.s.wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return e.s.wrap(op, err)
		}
		if err := fn(ev); err != nil {
			if err == errStopEvents {
				return nil
			}
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return e.s.wrap(op, err)
	}
	return nil
}

// eventColumns are the columns scanEvent reads, in its order.
const eventColumns = "id, at, kind, user_id, username, distance, station, detail"

// kindsIn adds "kind IN (…)" for kinds to a WHERE clause being built.
func kindsIn(where []string, args []any, kinds []EventKind) ([]string, []any) {
	where = append(where, "kind IN (?"+strings.Repeat(", ?", len(kinds)-1)+")")
	for _, k := range kinds {
		args = append(args, string(k))
	}
	return where, args
}

func scanEvent(rows *sql.Rows) (Event, error) {
	var ev Event
	var at int64
	var kind string
	var userID sql.NullInt64
	var distance sql.NullFloat64
	if err := rows.Scan(&ev.ID, &at, &kind, &userID, &ev.Username, &distance, &ev.Station, &ev.Detail); err != nil {
		return Event{}, err
	}
	ev.At, ev.Kind, ev.UserID = fromMicros(at), EventKind(kind), userID.Int64
	ev.Distance, ev.HasDistance = float32(distance.Float64), distance.Valid
	return ev, nil
}

// eventWhere builds the WHERE clause (with a leading space) of q and of the
// keyset position after.
func (s *Store) eventWhere(ctx context.Context, q EventQuery, after EventCursor) (string, []any, error) {
	var where []string
	var args []any
	if !q.From.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		where = append(where, "at < ?")
		args = append(args, q.To.UnixMicro())
	}
	if !after.At.IsZero() || after.ID != 0 {
		// The redundant "at <= ?" lets both databases range-scan the time
		// index; the OR alone would not.
		at := after.At.UnixMicro()
		where = append(where, "at <= ?", "(at < ? OR id < ?)")
		args = append(args, at, at, after.ID)
	}
	if q.User != "" {
		name, err := normalizeUsername(q.User)
		if err != nil {
			return "", nil, fmt.Errorf("store: events of %q: %w", q.User, err)
		}
		u, err := getUser(ctx, s.db, name)
		switch {
		case err == nil:
			where = append(where, "user_id = ?")
			args = append(args, u.ID)
		case errors.Is(err, ErrNotFound):
			where = append(where, "username = ? AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = auth_events.user_id)")
			args = append(args, name)
		default:
			return "", nil, s.wrap("events: find user", err)
		}
	}
	if q.Station != "" {
		where = append(where, "station = ?")
		args = append(args, q.Station)
	}
	if len(q.Kinds) > 0 {
		where, args = kindsIn(where, args, q.Kinds)
	}
	if len(where) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(where, " AND "), args, nil
}

// DaySummary is one user's check-ins (successful logins) on one day.
type DaySummary struct {
	Day    time.Time // midnight that starts the day, in the summary's location
	UserID int64     // 0 for events tied to no user
	// User is the user's name now, whatever name the check-ins were
	// recorded under; for a deleted user the name of the day's last
	// check-in, with Deleted set; for events tied to no user (written
	// before users had ids) the recorded name.
	User     string
	Deleted  bool
	First    time.Time // first check-in of the day
	Last     time.Time // last check-in of the day
	CheckIns int
}

// DailySummary calls fn with the first and last check-in of every user on
// every day, days in loc (time.Local for display), newest day first and
// users by name within a day. Check-ins are login_success events, grouped by
// the user's id (a renamed user's check-ins stay together under the current
// name; a new user given an old name is someone else). q's Kinds is
// ignored, its other fields filter as for Each. Events are streamed and only
// one day's users (and the current names seen) are held at a time.
func (e *Events) DailySummary(ctx context.Context, q EventQuery, loc *time.Location, fn func(DaySummary) error) error {
	if loc == nil {
		loc = time.Local
	}
	q.Kinds = []EventKind{EventLoginSuccess}
	type key struct {
		id   int64
		name string // for events tied to no user
	}
	var day time.Time
	users := map[key]*DaySummary{}
	names := map[int64]string{} // user id → current name, "" for deleted
	flush := func() error {
		out := make([]*DaySummary, 0, len(users))
		for _, d := range users {
			out = append(out, d)
		}
		sort.Slice(out, func(i, j int) bool {
			if a, b := usernameKey(out[i].User), usernameKey(out[j].User); a != b {
				return a < b
			}
			return out[i].UserID < out[j].UserID
		})
		for _, d := range out {
			if err := fn(*d); err != nil {
				return err
			}
		}
		clear(users)
		return nil
	}
	err := e.query(ctx, "daily summary", q, EventCursor{}, 0, func(ev Event) error {
		t := ev.At.In(loc)
		y, m, d := t.Date()
		if evDay := time.Date(y, m, d, 0, 0, 0, 0, loc); !evDay.Equal(day) {
			if err := flush(); err != nil {
				return err
			}
			day = evDay
		}
		k := key{id: ev.UserID}
		if k.id == 0 {
			k.name = ev.Username
		}
		if s := users[k]; s != nil {
			// Newest first: each event is earlier than those seen.
			s.First = t
			s.CheckIns++
			return nil
		}
		row := &DaySummary{Day: day, UserID: ev.UserID, User: ev.Username, First: t, Last: t, CheckIns: 1}
		if ev.UserID != 0 {
			cur, ok := names[ev.UserID]
			if !ok {
				var err error
				if cur, err = e.s.currentName(ctx, ev.UserID); err != nil {
					return err
				}
				names[ev.UserID] = cur
			}
			if cur != "" {
				row.User = cur
			} else {
				row.Deleted = true
			}
		}
		users[k] = row
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// EventKinds lists every kind of audit event, for filters that offer them.
func EventKinds() []EventKind {
	return []EventKind{EventRegister, EventTemplatesAdded, EventReRegister, EventLoginSuccess, EventLoginFailure,
		EventRename, EventDisable, EventEnable, EventDelete, EventImport, EventOnLogin, EventDuplicateAllowed,
		EventTemplateAdapted, EventKioskStart}
}

// RecordKioskStart writes that a kiosk started, with detail ("liveness
// check off (--liveness=false)"); the store adds the station.
func (e *Events) RecordKioskStart(ctx context.Context, detail string) error {
	return e.s.inTx(ctx, "record kiosk start", func(tx *sql.Tx) error {
		return e.s.recordTx(ctx, tx, Event{Kind: EventKioskStart, Detail: detail})
	})
}

// RecordOnLogin writes what the on-login action did after username's login
// (internal/onlogin's Result.Detail: "exit 0", "exit 3: relay offline", …).
func (e *Events) RecordOnLogin(ctx context.Context, username, detail string) error {
	return e.s.inTx(ctx, "record on-login action", func(tx *sql.Tx) error {
		ev := Event{Kind: EventOnLogin, Username: username, Detail: detail}
		if u, err := getUser(ctx, tx, username); err == nil {
			ev.UserID = u.ID
		}
		return e.s.recordTx(ctx, tx, ev)
	})
}

// currentName is the name user id has now, "" if it was deleted.
func (s *Store) currentName(ctx context.Context, id int64) (string, error) {
	var name string
	err := s.db.QueryRowContext(ctx, "SELECT username FROM users WHERE id = ?", id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", s.wrap("daily summary: find user", err)
	}
	return name, nil
}
