// Package appdir adapts internal/directory (the store plus the in-memory
// matcher) to the window's and the kiosk's app.Directory: store errors
// become the app's errors for people, a disabled user's face is refused
// rather than passed on to the next most similar person, and login attempts
// go to the audit log marked with where they happened.
package appdir

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"facelogin/app"
	"facelogin/internal/directory"
	"facelogin/recognition"
	"facelogin/recognition/decision"
	"facelogin/store"
)

// Directory is an app.Directory on a directory.Directory. Safe for
// concurrent use.
type Directory struct {
	dir    *directory.Directory
	source string
}

// New adapts dir. source names the front end in the audit log ("window",
// "kiosk"): a login is recorded with detail "window", a refusal with
// "not recognised (window)".
func New(dir *directory.Directory, source string) *Directory {
	return &Directory{dir: dir, source: source}
}

var _ app.Directory = (*Directory)(nil)

// Err turns the store's and the directory's errors into the app's, keeping
// the original text: store.ErrExists is app.ErrNameTaken,
// store.ErrInvalidName app.ErrInvalidName, store.ErrNotFound and
// directory.ErrDisabled app.ErrUnknownUser, a *store.DuplicateError an
// *app.DuplicateFaceError.
func Err(err error) error {
	var dup *store.DuplicateError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &dup):
		return &app.DuplicateFaceError{User: dup.Username, Distance: dup.Distance, Threshold: dup.Threshold}
	case errors.Is(err, store.ErrExists):
		return fmt.Errorf("%w: %v", app.ErrNameTaken, err)
	case errors.Is(err, store.ErrInvalidName):
		return fmt.Errorf("%w: %v", app.ErrInvalidName, err)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, directory.ErrDisabled):
		return fmt.Errorf("%w: %v", app.ErrUnknownUser, err)
	}
	return err
}

func (a *Directory) CheckName(ctx context.Context, name string) error {
	return Err(a.dir.Store().Users.CheckName(ctx, name))
}

// Enroll registers name through directory.EnrollUnique: the look for the
// same face under another name and the insert are one transaction,
// serialised with every station sharing the database.
func (a *Directory) Enroll(ctx context.Context, name string, ds []recognition.Descriptor, q []float32, dup app.DuplicateCheck) error {
	_, _, err := a.dir.EnrollUnique(ctx, name, ds, q, store.DuplicateCheck{Threshold: dup.Threshold, Allow: dup.Allow})
	return Err(err)
}

// ReEnroll replaces name's templates through directory.ReEnrollUnique.
func (a *Directory) ReEnroll(ctx context.Context, name string, ds []recognition.Descriptor, q []float32, threshold float32) error {
	return Err(a.dir.ReEnrollUnique(ctx, name, ds, q, threshold))
}

// Identify refuses a disabled user's face instead of passing it on to the
// next most similar person.
func (a *Directory) Identify(d *recognition.Descriptor) app.Match {
	m := a.dir.Identify(d)
	if a.dir.Disabled(m.User) {
		inf := float32(math.Inf(1))
		return app.Match{Distance: inf, SecondDistance: inf}
	}
	return app.Match(m)
}

// Decide is the directory's decision with base as the policy's Base
// threshold (the settings' slider): store.ErrNotFound and
// directory.ErrDisabled become app.ErrUnknownUser.
func (a *Directory) Decide(claimed string, frames []recognition.Descriptor, base float32) (decision.Decision, error) {
	if err := a.dir.SetBase(base); err != nil {
		return decision.Decision{Frames: len(frames)}, err
	}
	dec, err := a.dir.Decide(claimed, frames)
	return dec, Err(err)
}

// Adapt stores an adaptive template when the directory's rules allow.
func (a *Directory) Adapt(ctx context.Context, dec decision.Decision, frames []recognition.Descriptor, live bool) error {
	_, err := a.dir.Adapt(ctx, dec, frames, live)
	return err
}

func (a *Directory) List(ctx context.Context) ([]app.UserInfo, error) {
	us, err := a.dir.Store().Users.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]app.UserInfo, len(us))
	for i, u := range us {
		out[i] = app.UserInfo{Name: u.Username, Templates: u.Templates, LastLogin: u.LastLogin}
	}
	return out, nil
}

func (a *Directory) Rename(ctx context.Context, oldName, newName string) error {
	_, err := a.dir.Rename(ctx, oldName, newName)
	return Err(err)
}

func (a *Directory) Delete(ctx context.Context, name string) error {
	return Err(a.dir.Delete(ctx, name))
}

// RecordLogin writes the attempt to the audit log. The store finds the
// user's ID from the name, so the users list's last login (joined by ID)
// sees it. The event's detail is, for a refusal, why — reason when given
// (a failed liveness check), else "not recognised" —, then what the
// liveness check said (check), then the front end: "liveness passed:
// blink,left (kiosk)", "not recognised; liveness not checked (window)".
func (a *Directory) RecordLogin(ctx context.Context, name string, dist float32, ok bool, reason, check string) error {
	at := store.LoginAttempt{Success: ok, Username: name, Distance: dist,
		HasDistance: name != "" && !math.IsInf(float64(dist), 0)}
	var parts []string
	if !ok {
		if reason == "" {
			reason = "not recognised"
		}
		parts = append(parts, reason)
	}
	if check != "" {
		parts = append(parts, check)
	}
	at.Detail = a.source
	if len(parts) > 0 {
		at.Detail = strings.Join(parts, "; ") + " (" + a.source + ")"
	}
	return a.dir.RecordLogin(ctx, at)
}

// Backend describes the database, for the settings screen.
func (a *Directory) Backend() string { return a.dir.Store().Describe() }

// Activity is the store's audit log as the window's app.ActivityLog: the
// Activity screen reads it and the on-login action records its results.
// A user filter that is not a valid name fails with app.ErrInvalidName.
// Safe for concurrent use.
type Activity struct{ ev *store.Events }

// NewActivity adapts the audit log of a store.
func NewActivity(ev *store.Events) *Activity { return &Activity{ev: ev} }

var _ app.ActivityLog = (*Activity)(nil)

func (a *Activity) Page(ctx context.Context, q store.EventQuery, after store.EventCursor, n int) (store.EventPage, error) {
	p, err := a.ev.Page(ctx, q, after, n)
	return p, Err(err)
}

func (a *Activity) Count(ctx context.Context, q store.EventQuery) (int64, error) {
	n, err := a.ev.Count(ctx, q)
	return n, Err(err)
}

func (a *Activity) DailySummary(ctx context.Context, q store.EventQuery, loc *time.Location, fn func(store.DaySummary) error) error {
	return Err(a.ev.DailySummary(ctx, q, loc, fn))
}

func (a *Activity) Each(ctx context.Context, q store.EventQuery, fn func(store.Event) error) error {
	return Err(a.ev.Each(ctx, q, fn))
}

// RecordKioskStart writes a kiosk_start event with detail.
func (a *Activity) RecordKioskStart(ctx context.Context, detail string) error {
	return a.ev.RecordKioskStart(ctx, detail)
}

// RecordOnLogin writes what the on-login action did after username's
// login (an on_login event with this station's name).
func (a *Activity) RecordOnLogin(ctx context.Context, username, detail string) error {
	return a.ev.RecordOnLogin(ctx, username, detail)
}
