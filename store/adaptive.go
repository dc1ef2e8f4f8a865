package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"facelogin/recognition"
	"facelogin/recognition/decision"
)

// Adaptation is the frame of a live, accepted login offered as an adaptive
// template (see decision.AdaptPolicy for the rules and the risk they bound).
type Adaptation struct {
	ModelID    string
	Descriptor recognition.Descriptor
	Quality    float32
	// Distance and Margin are the login decision's, for the audit log.
	Distance, Margin float32
	// Policy holds the rules checked against the stored templates.
	Policy decision.AdaptPolicy
}

// Adapted is a stored adaptive template.
type Adapted struct {
	TemplateID int64
	// Replaced is the adaptive template it replaced (0: none) and
	// ReplacedCreated when that one was stored.
	Replaced        int64
	ReplacedCreated time.Time
	// Adaptive is the number of adaptive templates the user now holds.
	Adaptive int
	// FromEnrolment is its distance to the nearest enrolment template.
	FromEnrolment float32
}

// AddAdaptive stores a.Descriptor as an adaptive template of username, in
// one transaction: it reads and opens the user's templates of a.ModelID,
// checks a.Policy.Admit against them (drift from the enrolment templates,
// novelty, the daily limit counted on the store's clock), deletes the
// oldest adaptive template when the user already holds Policy.Max, inserts
// the new one sealed to the user, its name, its kind and its time, and
// writes an EventTemplateAdapted audit event. Enrolment templates are
// never touched. A rule's refusal wraps decision.ErrNotAdapted and writes
// nothing; a disabled user is refused the same way; an unknown one is
// ErrNotFound.
func (u *Users) AddAdaptive(ctx context.Context, username string, a Adaptation) (Adapted, error) {
	if err := a.Policy.Validate(); err != nil {
		return Adapted{}, fmt.Errorf("store: add adaptive template: %w", err)
	}
	if err := checkTemplates(a.ModelID, []NewTemplate{{Descriptor: a.Descriptor}}); err != nil {
		return Adapted{}, fmt.Errorf("store: add adaptive template: %w", err)
	}
	s := u.s
	var res Adapted
	err := s.change(ctx, "add adaptive template", func(tx *sql.Tx) error {
		res = Adapted{}
		user, err := getUser(ctx, tx, username)
		if err != nil {
			return err
		}
		if user.Disabled {
			return fmt.Errorf("%w: user %s is disabled", decision.ErrNotAdapted, user.Username)
		}
		ts, err := s.userTemplates(ctx, tx, user, a.ModelID)
		if err != nil {
			return err
		}
		stored := make([]decision.StoredTemplate, len(ts))
		for i, t := range ts {
			stored[i] = decision.StoredTemplate{Descriptor: t.Descriptor, Adaptive: t.Kind == KindAdaptive, Created: t.Created}
		}
		at := s.now()
		adm, err := a.Policy.Admit(&a.Descriptor, stored, fromMicros(at))
		if err != nil {
			return err
		}
		res.FromEnrolment, res.Adaptive = adm.FromEnrolment, adm.Adaptive+1
		if adm.Replace >= 0 {
			old := ts[adm.Replace]
			if _, err := tx.ExecContext(ctx, "DELETE FROM face_templates WHERE id = ? AND kind = ?", old.ID, string(KindAdaptive)); err != nil {
				return err
			}
			res.Replaced, res.ReplacedCreated, res.Adaptive = old.ID, old.Created, adm.Adaptive
		}
		b := binding{userID: user.ID, nameKey: usernameKey(user.Username), modelID: a.ModelID, kind: KindAdaptive, created: at}
		if res.TemplateID, err = s.insertTemplate(ctx, tx, b, NewTemplate{Descriptor: a.Descriptor, Quality: a.Quality}, ""); err != nil {
			return err
		}
		detail := fmt.Sprintf("adaptive template from a live login at distance %.3f (margin %.3f), %.3f from the enrolment templates; %d adaptive",
			a.Distance, a.Margin, adm.FromEnrolment, res.Adaptive)
		if res.Replaced != 0 {
			detail += fmt.Sprintf(", replacing the one of %s", res.ReplacedCreated.Format(time.RFC3339))
		}
		return s.recordTx(ctx, tx, Event{Kind: EventTemplateAdapted, UserID: user.ID, Username: user.Username,
			Distance: a.Distance, HasDistance: true, Detail: detail})
	})
	if err != nil {
		return Adapted{}, err
	}
	if res.Replaced != 0 {
		s.scrub(ctx) // the replaced template's bytes
	}
	return res, nil
}

// AddTemplatesChecked stores more enrolment templates for an existing user
// (`enrol --add`), all or nothing, never replacing any. With
// check.Threshold > 0 a template within it of ANOTHER user's template is
// refused as one person, two accounts (*DuplicateError), or with
// check.Allow stored and the matches returned, logged and written to the
// audit log, as for EnrollChecked. The look and the insert are one
// transaction.
func (u *Users) AddTemplatesChecked(ctx context.Context, username, modelID string, ts []NewTemplate, check DuplicateCheck) ([]Duplicate, error) {
	if err := checkTemplates(modelID, ts); err != nil {
		return nil, fmt.Errorf("store: add templates: %w", err)
	}
	s := u.s
	var dups []Duplicate
	err := s.change(ctx, "add templates", func(tx *sql.Tx) error {
		user, err := getUser(ctx, tx, username)
		if err != nil {
			return err
		}
		if dups, err = s.findDuplicates(ctx, tx, modelID, ts, check.Threshold, user.ID); err != nil {
			return err
		}
		if len(dups) > 0 && !check.Allow {
			return &DuplicateError{Duplicate: dups[0], Threshold: check.Threshold}
		}
		if err := s.insertTemplates(ctx, tx, user.ID, user.Username, modelID, "", ts, s.now()); err != nil {
			return err
		}
		for _, d := range dups {
			detail := fmt.Sprintf("templates added although the face is %.3f from existing user %s (threshold %.3f): duplicate allowed", d.Distance, d.Username, check.Threshold)
			s.log.Warn("store: "+detail, "user", user.Username)
			if err := s.recordTx(ctx, tx, Event{Kind: EventDuplicateAllowed, UserID: user.ID, Username: user.Username, Distance: d.Distance, HasDistance: true, Detail: detail}); err != nil {
				return err
			}
		}
		for _, o := range check.Overrides {
			s.log.Warn("store: "+o.Detail, "user", user.Username)
			if err := s.recordTx(ctx, tx, Event{Kind: EventDuplicateAllowed, UserID: user.ID, Username: user.Username, Distance: o.Distance, HasDistance: true, Detail: o.Detail}); err != nil {
				return err
			}
		}
		return s.recordTx(ctx, tx, Event{Kind: EventTemplatesAdded, UserID: user.ID, Username: user.Username,
			Detail: fmt.Sprintf("%s added, model %s", templatesN(len(ts)), modelID)})
	})
	if err != nil {
		return nil, err
	}
	return dups, nil
}

// TemplateInfo describes a stored template without its descriptor: what
// `facelogin users show` lists.
type TemplateInfo struct {
	ID      int64
	Kind    TemplateKind
	ModelID string
	Quality float32
	Source  string // "" or where an import came from
	Created time.Time
}

// List returns what is known about username's templates, oldest first,
// without opening them: never a descriptor.
func (t *Templates) List(ctx context.Context, username string) (User, []TemplateInfo, error) {
	s := t.s
	var user User
	var out []TemplateInfo
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		if user, err = getUser(ctx, tx, username); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, model_id, quality, source, created_at FROM face_templates
			WHERE user_id = ? ORDER BY created_at, id`, user.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ti TemplateInfo
			var kind string
			var created int64
			if err := rows.Scan(&ti.ID, &kind, &ti.ModelID, &ti.Quality, &ti.Source, &created); err != nil {
				return err
			}
			ti.Kind, ti.Created = TemplateKind(kind), fromMicros(created)
			out = append(out, ti)
		}
		return rows.Err()
	})
	if err != nil {
		return User{}, nil, s.wrap("list templates", err)
	}
	return user, out, nil
}
