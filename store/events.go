package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// EventKind says what an audit event records.
type EventKind string

// The kinds of audit events.
const (
	EventRegister       EventKind = "register"
	EventTemplatesAdded EventKind = "templates_added"
	EventReRegister     EventKind = "re_register"
	EventLoginSuccess   EventKind = "login_success"
	EventLoginFailure   EventKind = "login_failure"
	EventRename         EventKind = "rename"
	EventDisable        EventKind = "disable"
	EventEnable         EventKind = "enable"
	EventDelete         EventKind = "delete"
	EventImport         EventKind = "import"
	EventOnLogin        EventKind = "on_login" // the on-login action ran (internal/onlogin)
	// EventDuplicateAllowed: a face within the duplicate threshold of an
	// existing user was enrolled under a new name because an administrator
	// allowed it (Enrollment.Duplicates.Allow).
	EventDuplicateAllowed EventKind = "duplicate_allowed"
	// EventTemplateAdapted: a live login's frame was stored as an adaptive
	// template (Users.AddAdaptive).
	EventTemplateAdapted EventKind = "template_adapted"
	// EventKioskStart: a kiosk started with something an auditor must
	// know (the liveness check off: Events.RecordKioskStart).
	EventKioskStart EventKind = "kiosk_start"
)

// Event is one line of the audit log.
type Event struct {
	ID          int64
	At          time.Time
	Kind        EventKind
	UserID      int64  // 0 when no user was identified
	Username    string // the name at the time, kept after deletion
	Distance    float32
	HasDistance bool
	Station     string
	Detail      string
}

// LoginAttempt is what the login screen or `facelogin identify/verify`
// reports. For a failure, UserID and Username name the nearest or claimed
// user if there was one.
type LoginAttempt struct {
	Success     bool
	UserID      int64
	Username    string
	Distance    float32
	HasDistance bool
	Detail      string // e.g. "no face", "not recognised", "user disabled"
}

// Events reads and writes the audit log.
type Events struct{ s *Store }

// pruneEvery is how many events a process records between two checks of the
// audit log's cap.
const pruneEvery = 512

// RecordLogin writes a login success or failure. The log is capped at
// Config.MaxEvents: after the process's first recorded login and every
// pruneEvery-th after it, the oldest events beyond the cap are deleted.
// Logins are the writes that make the log grow; reading never prunes.
func (e *Events) RecordLogin(ctx context.Context, a LoginAttempt) error {
	kind := EventLoginFailure
	if a.Success {
		kind = EventLoginSuccess
	}
	ev := Event{Kind: kind, UserID: a.UserID, Username: a.Username, Distance: a.Distance, HasDistance: a.HasDistance, Detail: a.Detail}
	err := e.s.inTx(ctx, "record login", func(tx *sql.Tx) error {
		// Callers that know only the name (the matcher holds names) still
		// get the event tied to the user, so the last login shows.
		if ev.UserID == 0 && ev.Username != "" {
			if u, err := getUser(ctx, tx, ev.Username); err == nil {
				ev.UserID = u.ID
			}
		}
		return e.s.recordTx(ctx, tx, ev)
	})
	if err != nil {
		return err
	}
	if n := e.s.events.Add(1); e.s.maxEvents > 0 && (n == 1 || n%pruneEvery == 0) {
		if n, err := e.Prune(ctx, time.Time{}, e.s.maxEvents); err != nil {
			e.s.log.Warn("store: prune audit log", "err", err)
		} else if n > 0 {
			e.s.log.Info("store: oldest audit events deleted: the log is capped", "deleted", n, "cap", e.s.maxEvents)
		}
	}
	return nil
}

func (s *Store) recordTx(ctx context.Context, tx *sql.Tx, ev Event) error {
	var userID, distance any
	if ev.UserID != 0 {
		userID = ev.UserID
	}
	if ev.HasDistance {
		distance = ev.Distance
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_events (at, kind, user_id, username, distance, station, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, s.now(), string(ev.Kind), userID, truncate(ev.Username, 64), distance,
		s.station, truncate(ev.Detail, 500))
	return err
}

// EventFilter selects audit events. The zero value selects the newest 100.
type EventFilter struct {
	UserID int64       // 0: any
	Kinds  []EventKind // empty: any
	Since  time.Time   // zero: any
	Limit  int         // 0: 100
}

// List returns audit events, newest first.
func (e *Events) List(ctx context.Context, f EventFilter) ([]Event, error) {
	var where []string
	var args []any
	if f.UserID != 0 {
		where = append(where, "user_id = ?")
		args = append(args, f.UserID)
	}
	if len(f.Kinds) > 0 {
		where, args = kindsIn(where, args, f.Kinds)
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, f.Since.UnixMicro())
	}
	q := "SELECT " + eventColumns + " FROM auth_events"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := e.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, e.s.wrap("list events", err)
	}
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, e.s.wrap("list events", err)
		}
		evs = append(evs, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, e.s.wrap("list events", err)
	}
	return evs, nil
}

// Prune deletes audit events older than before (if not zero) and all but the
// newest keep events (if keep > 0). It returns how many it deleted.
func (e *Events) Prune(ctx context.Context, before time.Time, keep int) (int64, error) {
	var total int64
	err := e.s.inTx(ctx, "prune events", func(tx *sql.Tx) error {
		total = 0
		if !before.IsZero() {
			res, err := tx.ExecContext(ctx, "DELETE FROM auth_events WHERE at < ?", before.UnixMicro())
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		if keep > 0 {
			var cut int64
			err := tx.QueryRowContext(ctx, "SELECT id FROM auth_events ORDER BY id DESC LIMIT 1 OFFSET ?", keep).Scan(&cut)
			if err == sql.ErrNoRows {
				return nil
			}
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, "DELETE FROM auth_events WHERE id <= ?", cut)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return total, err
}
