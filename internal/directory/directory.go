// Package directory joins the store (users and sealed templates in the
// database) with the in-memory matcher, kept current as users change here or
// at another station sharing the database. The command line, the window and
// the kiosk all identify people through it.
package directory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"facelogin/recognition"
	"facelogin/recognition/decision"
	"facelogin/store"
)

// Directory is safe for concurrent use.
type Directory struct {
	st      *store.Store
	modelID string

	mu         sync.RWMutex
	gen        int64
	skipped    int
	disabled   map[string]bool
	templates  []recognition.Template // as last loaded, to rebuild the gallery
	policy     decision.Policy
	adapt      decision.AdaptPolicy
	background *decision.Background
	// gallery holds every template with the decision rules applied; it is
	// rebuilt whenever users change (thresholds depend on every user).
	gallery *decision.Gallery
}

// Open loads every template of modelID into a fresh matcher. With refresh
// > 0 it keeps it current until ctx ends: at once after changes made
// through this process, and within refresh for changes made elsewhere.
func Open(ctx context.Context, st *store.Store, modelID string, refresh time.Duration) (*Directory, error) {
	d := &Directory{st: st, modelID: modelID, policy: decision.DefaultPolicy, adapt: decision.DefaultAdaptPolicy}
	d.gallery, _ = decision.NewGallery(nil, nil, d.policy) // DefaultPolicy is valid
	if refresh <= 0 {
		g, err := st.Templates.Load(ctx, modelID)
		if err != nil {
			return nil, err
		}
		d.apply(g)
		return d, nil
	}
	g, err := st.Watch(ctx, modelID, refresh, d.apply)
	if err != nil {
		return nil, err
	}
	d.apply(g)
	return d, nil
}

func (d *Directory) apply(g *store.Gallery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if g.Generation < d.gen {
		return // an older load finished after a newer one
	}
	ts := make([]recognition.Template, 0, len(g.Templates))
	disabled := map[string]bool{}
	for _, t := range g.Templates {
		// A disabled user stays in the matcher: their face must be
		// recognised and refused, not mistaken for the next nearest user.
		if t.Disabled {
			disabled[t.Username] = true
		}
		ts = append(ts, recognition.Template{User: t.Username, Descriptor: t.Descriptor})
	}
	gal, err := decision.NewGallery(ts, d.background, d.policy)
	if err != nil {
		return // unreachable: the policy was validated by SetPolicy
	}
	d.gen, d.skipped, d.disabled, d.templates, d.gallery = g.Generation, len(g.Skipped), disabled, ts, gal
}

// SetPolicy replaces the decision rules' constants and the background set
// of strangers' descriptors (nil for none) and recomputes every threshold.
func (d *Directory) SetPolicy(p decision.Policy, background *decision.Background) error {
	gal, err := decision.NewGallery(nil, background, p)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.templates) > 0 {
		if gal, err = decision.NewGallery(d.templates, background, p); err != nil {
			return err
		}
	}
	d.policy, d.background, d.gallery = p, background, gal
	return nil
}

// SetBase sets the decision policy's Base threshold (the settings'
// slider, --threshold; see decision.Policy.WithBase) and recomputes every
// threshold; nothing happens when it is already base.
func (d *Directory) SetBase(base float32) error {
	d.mu.RLock()
	p, bg := d.policy, d.background
	d.mu.RUnlock()
	if p.Base == base {
		return nil
	}
	return d.SetPolicy(p.WithBase(base), bg)
}

// Policy is the decision policy in force.
func (d *Directory) Policy() decision.Policy {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.policy
}

// SetAdaptPolicy replaces the adaptive-template rules
// (decision.DefaultAdaptPolicy until then).
func (d *Directory) SetAdaptPolicy(p decision.AdaptPolicy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	d.mu.Lock()
	d.adapt = p
	d.mu.Unlock()
	return nil
}

func (d *Directory) current() *decision.Gallery {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.gallery
}

// reload brings the matcher up to date now, after a change through this
// directory, so the next Identify sees it even without a watcher.
func (d *Directory) reload(ctx context.Context) error {
	g, err := d.st.Templates.Load(ctx, d.modelID)
	if err != nil {
		return err
	}
	d.apply(g)
	return nil
}

// Store is the underlying store.
func (d *Directory) Store() *store.Store { return d.st }

// Templates is the number of templates the matcher holds.
func (d *Directory) Templates() int { return d.current().Templates() }

// Skipped is the number of template rows the last load could not open.
func (d *Directory) Skipped() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.skipped
}

// Disabled reports whether user is disabled; Identify still matches a
// disabled user's face, and callers refuse it.
func (d *Directory) Disabled(user string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.disabled[user]
}

// Identify finds the nearest user of desc, in memory.
func (d *Directory) Identify(desc *recognition.Descriptor) recognition.Match {
	return d.current().Match(desc)
}

// Threshold is user's acceptance distance under the decision rules.
func (d *Directory) Threshold(user string) (decision.Threshold, bool) {
	return d.current().Threshold(user)
}

// Decide is the login decision on the descriptors of a few frames: who is
// this (claimed == "", 1:N) or is this claimed (1:1), under the user-specific
// thresholds and the lookalike margin of package decision, in memory. A
// recognised or claimed user who is disabled, or a disabled candidate of an
// identification refused as ambiguous, gets the decision with ErrDisabled; an unknown claimed name gets store.ErrNotFound. Callers show
// people dec.Reason.Message() for a refusal and never name the candidate of
// a refused identification.
func (d *Directory) Decide(claimed string, frames []recognition.Descriptor) (decision.Decision, error) {
	g := d.current()
	var dec decision.Decision
	if claimed == "" {
		dec = g.Identify(frames)
	} else {
		dec = g.Verify(claimed, frames)
		if dec.Reason == decision.UnknownUser {
			return dec, fmt.Errorf("%w: %s", store.ErrNotFound, claimed)
		}
	}
	// A refused ambiguous identification names nobody, but its candidate
	// may be disabled: that face gets the stranger's words too, not
	// "ambiguous", which would tell that it is close to enrolled people.
	who := dec.User
	if claimed == "" && dec.Reason == decision.Ambiguous {
		who = dec.Candidate
	}
	if who != "" && d.Disabled(who) {
		return dec, fmt.Errorf("%w: %s", ErrDisabled, who)
	}
	return dec, nil
}

// ErrDisabled: the claimed user exists but is disabled.
var ErrDisabled = errors.New("user disabled")

// Enroll stores a new user with templates and refreshes the matcher.
func (d *Directory) Enroll(ctx context.Context, username string, ds []recognition.Descriptor, quality []float32) (store.User, error) {
	u, err := d.st.Users.Enroll(ctx, store.Enrollment{Username: username, ModelID: d.modelID, Templates: newTemplates(ds, quality)})
	if err != nil {
		return store.User{}, err
	}
	return u, d.reload(ctx)
}

// EnrollUnique stores a new user unless their face is already enrolled
// under another name: any descriptor within check.Threshold of another
// user's template (recognition.DefaultThreshold is the matcher's) fails
// with a *store.DuplicateError (store.ErrDuplicateFace). The look and the
// insert are one transaction, serialised with every other change to the
// database, so the same face enrolling at two stations at once ends with
// one account. With check.Allow (an administrator's explicit choice) the
// user is enrolled anyway and the matches are returned, logged and written
// to the audit log.
func (d *Directory) EnrollUnique(ctx context.Context, username string, ds []recognition.Descriptor, quality []float32, check store.DuplicateCheck) (store.User, []store.Duplicate, error) {
	u, dups, err := d.st.Users.EnrollChecked(ctx, store.Enrollment{Username: username, ModelID: d.modelID,
		Templates: newTemplates(ds, quality), Duplicates: check})
	if err != nil {
		return store.User{}, nil, err
	}
	return u, dups, d.reload(ctx)
}

// AddTemplates stores more enrolment templates for the existing user
// username, never replacing any (`enrol --add`); a face within
// check.Threshold of ANOTHER user's template is refused as in
// EnrollUnique, in the same transaction as the insert.
func (d *Directory) AddTemplates(ctx context.Context, username string, ds []recognition.Descriptor, quality []float32, check store.DuplicateCheck) ([]store.Duplicate, error) {
	dups, err := d.st.Users.AddTemplatesChecked(ctx, username, d.modelID, newTemplates(ds, quality), check)
	if err != nil {
		return nil, err
	}
	return dups, d.reload(ctx)
}

// Adapt stores a frame of an accepted login as an adaptive template of
// dec.User when the rules of the adaptive policy allow it (see
// decision.AdaptPolicy): live says the login passed liveness; frames are
// the descriptors dec was decided from. The frame whose distance is the
// decision's is kept. A login the rules refuse gives an error wrapping
// decision.ErrNotAdapted (nothing stored; the login stands); anything else
// is a database failure.
func (d *Directory) Adapt(ctx context.Context, dec decision.Decision, frames []recognition.Descriptor, live bool) (store.Adapted, error) {
	d.mu.RLock()
	p := d.adapt
	d.mu.RUnlock()
	i, err := d.current().AdaptFrame(dec, frames, live, p)
	if err != nil {
		return store.Adapted{}, err
	}
	p = p.ForThreshold(dec.Threshold.Value)
	a, err := d.st.Users.AddAdaptive(ctx, dec.User, store.Adaptation{ModelID: d.modelID, Descriptor: frames[i],
		Distance: dec.Distance, Margin: dec.Margin, Policy: p})
	if err != nil {
		return store.Adapted{}, err
	}
	return a, d.reload(ctx)
}

// ReEnroll replaces every template of username (of this model) with ds.
func (d *Directory) ReEnroll(ctx context.Context, username string, ds []recognition.Descriptor, quality []float32) error {
	return d.ReEnrollUnique(ctx, username, ds, quality, 0)
}

// ReEnrollUnique is ReEnroll that refuses, with a *store.DuplicateError
// (store.ErrDuplicateFace), a face within threshold of another user's
// template, atomically with the swap (store.Users.ReplaceTemplatesChecked).
func (d *Directory) ReEnrollUnique(ctx context.Context, username string, ds []recognition.Descriptor, quality []float32, threshold float32) error {
	if err := d.st.Users.ReplaceTemplatesChecked(ctx, username, d.modelID, newTemplates(ds, quality), threshold); err != nil {
		return err
	}
	return d.reload(ctx)
}

func newTemplates(ds []recognition.Descriptor, quality []float32) []store.NewTemplate {
	ts := make([]store.NewTemplate, len(ds))
	for i := range ds {
		ts[i].Descriptor = ds[i]
		if i < len(quality) {
			ts[i].Quality = quality[i]
		}
	}
	return ts
}

// Rename renames a user; their templates follow.
func (d *Directory) Rename(ctx context.Context, oldName, newName string) (store.User, error) {
	u, err := d.st.Users.Rename(ctx, oldName, newName)
	if err != nil {
		return store.User{}, err
	}
	return u, d.reload(ctx)
}

// Delete removes a user and every template of theirs.
func (d *Directory) Delete(ctx context.Context, username string) error {
	if err := d.st.Users.Delete(ctx, username); err != nil {
		return err
	}
	return d.reload(ctx)
}

// SetDisabled disables or enables a user; a disabled user never matches.
func (d *Directory) SetDisabled(ctx context.Context, username string, disabled bool) error {
	if err := d.st.Users.SetDisabled(ctx, username, disabled); err != nil {
		return err
	}
	return d.reload(ctx)
}

// RecordLogin writes a login attempt to the audit log.
func (d *Directory) RecordLogin(ctx context.Context, a store.LoginAttempt) error {
	return d.st.Events.RecordLogin(ctx, a)
}
