package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"facelogin/internal/directory"
	"facelogin/recognition"
	"facelogin/recognition/decision"
	"facelogin/store"
)

// enrolAdd is `enrol --add`: more enrolment templates for an existing
// user, all photos or none, never replacing any. The photos must show one
// person (onePerson; near-copies are stored once), and each must be
// accepted as the user by the decision rules (within the user's own
// threshold, not nearer to another user): a photo the user's templates
// would not log in is refused, since once stored it lets that face in.
// With allow (an administrator's --allow-duplicate) such a photo is added
// anyway, each override in the audit log. A face within the threshold of
// ANOTHER user's template is always refused (one person, two accounts),
// checked in the same transaction as the insert.
func enrolAdd(e *env, c *common, user string, photos []string, allow bool) error {
	ctx := context.Background()
	s, err := openSession(ctx, e, c, true)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.dir.SetBase(float32(*c.threshold)); err != nil {
		return fail(exitUsage, err, "--threshold %.3f: %v", *c.threshold, err)
	}
	u, err := s.st.Users.Get(ctx, user)
	if err != nil {
		return explainStoreError(err)
	}
	ds, qs, err := s.photoFaces(photos, "added")
	if err != nil {
		return err
	}
	if ds, qs, photos, err = onePerson(e, photos, ds, qs, s.dir.Policy().Max, "added"); err != nil {
		return err
	}
	check := store.DuplicateCheck{Threshold: float32(*c.threshold)}
	var keepDs []recognition.Descriptor
	var keepQs []float32
	for i, path := range photos {
		dec, err := s.dir.Decide(u.Username, ds[i:i+1])
		if err != nil && !errors.Is(err, directory.ErrDisabled) {
			return explainStoreError(err)
		}
		if dec.OK() && dec.Distance < decision.DuplicateBound {
			fmt.Fprintf(e.stderr, "facelogin: %s is a copy of one of %s's templates (distance %.3f < %.3f): not stored twice\n",
				photoName(photos, i), u.Username, dec.Distance, decision.DuplicateBound)
			continue
		}
		if !dec.OK() {
			why := fmt.Sprintf("%s is %.3f from %s's templates (threshold %.3f; %s)", filepath.Base(path), dec.Distance, u.Username, dec.Threshold.Value, dec.Reason)
			if !allow {
				return fail(exitInput, errNotUser, "%s: it would not log in as %s, and once stored it would let that face in as %s; nothing was added\n"+
					"  use a photo that shows %s; an administrator sure it does can add it with --allow-duplicate (noted in the audit log)",
					why, u.Username, u.Username, u.Username)
			}
			fmt.Fprintf(e.stderr, "facelogin: warning: %s: added anyway (--allow-duplicate), noted in the audit log\n", why)
			check.Overrides = append(check.Overrides, store.Override{Distance: dec.Distance,
				Detail: "template added although " + why + ": --allow-duplicate"})
		}
		keepDs, keepQs = append(keepDs, ds[i]), append(keepQs, qs[i])
	}
	if len(keepDs) == 0 {
		if e.json {
			return e.printJSON(map[string]any{"user": u.Username, "id": u.ID, "added": 0, "templates": u.Templates})
		}
		fmt.Fprintf(e.stdout, "nothing added to %s: every photo is a copy of a template of theirs\n", u.Username)
		return nil
	}
	ds, qs = keepDs, keepQs
	if _, err := s.dir.AddTemplates(ctx, u.Username, ds, qs, check); err != nil {
		var dup *store.DuplicateError
		if errors.As(err, &dup) {
			// --add never takes another user's face, not even with
			// --allow-duplicate.
			return fail(exitInput, err, "a photo shows a face already enrolled under another name, %q (distance %.3f, threshold %.3f): nothing was added to %s",
				dup.Username, dup.Distance, dup.Threshold, u.Username)
		}
		return explainStoreError(err)
	}
	if e.json {
		return e.printJSON(map[string]any{"user": u.Username, "id": u.ID, "added": len(ds), "templates": u.Templates + len(ds)})
	}
	fmt.Fprintf(e.stdout, "added %d template(s) to %s (%d in all)\n", len(ds), u.Username, u.Templates+len(ds))
	return nil
}

// errNotUser: a photo `enrol --add` was given is not accepted as the user.
var errNotUser = errors.New("photo not accepted as the user")

// showUser is `users show NAME`: the user and their templates by kind and
// date — never the descriptors.
func showUser(ctx context.Context, e *env, s *session, name string) error {
	u, ts, err := s.st.Templates.List(ctx, name)
	if err != nil {
		return explainStoreError(err)
	}
	if e.json {
		type tmpl struct {
			ID      int64     `json:"id"`
			Kind    string    `json:"kind"`
			Model   string    `json:"model"`
			Quality float32   `json:"quality"`
			Source  string    `json:"source,omitempty"`
			Created time.Time `json:"created"`
		}
		out := struct {
			Name      string     `json:"name"`
			Disabled  bool       `json:"disabled"`
			Created   time.Time  `json:"created"`
			LastLogin *time.Time `json:"last_login,omitempty"`
			Templates []tmpl     `json:"templates"`
		}{Name: u.Username, Disabled: u.Disabled, Created: u.Created, Templates: []tmpl{}}
		if !u.LastLogin.IsZero() {
			out.LastLogin = &u.LastLogin
		}
		for _, t := range ts {
			out.Templates = append(out.Templates, tmpl{t.ID, string(t.Kind), t.ModelID, t.Quality, t.Source, t.Created})
		}
		return e.printJSON(out)
	}
	state := ""
	if u.Disabled {
		state = ", disabled"
	}
	fmt.Fprintf(e.stdout, "%s: registered %s%s, %d template(s)\n", u.Username, u.Created.Local().Format("2006-01-02 15:04"), state, len(ts))
	for _, t := range ts {
		line := fmt.Sprintf("  %-9s  %s  quality %.2f  model %s", t.Kind, t.Created.Local().Format("2006-01-02 15:04:05"), t.Quality, t.ModelID)
		if t.Source != "" {
			line += "  from " + t.Source
		}
		fmt.Fprintln(e.stdout, line)
	}
	return nil
}

// photoName names the i-th photo of a command line for people: its file
// name, with its position when another photo has the same name.
func photoName(photos []string, i int) string {
	name := filepath.Base(photos[i])
	for j := range photos {
		if j != i && filepath.Base(photos[j]) == name {
			return fmt.Sprintf("%s (photo %d)", name, i+1)
		}
	}
	return name
}

// onePerson checks that the descriptors ds of an enrolment's photos show
// one person (decision.CheckOnePerson, within bound of the photo most like
// the others) and drops near-copies, saying so on stderr. It returns the
// descriptors, qualities and photos to store, or an error for people
// naming the photos that differ, their distance, the bound and its source.
//
// done is what did not happen on a refusal: "enrolled" or "added".
func onePerson(e *env, photos []string, ds []recognition.Descriptor, qs []float32, bound float32, done string) ([]recognition.Descriptor, []float32, []string, error) {
	r := decision.CheckOnePerson(ds, bound, decision.DuplicateBound)
	if len(r.Outliers) > 0 {
		var parts []string
		for _, o := range r.Outliers {
			parts = append(parts, fmt.Sprintf("%s is %.3f from %s", photoName(photos, o.Index), o.Distance, photoName(photos, o.Of)))
		}
		return nil, nil, nil, fail(exitInput, decision.ErrNotOnePerson,
			"the photos do not show one person: %s (same-person bound %.3f: the largest acceptance distance any user gets, the decision rules' Max; README, \"Accuracy and the decision rules\")\n"+
				"  nothing was %s: enrol each person under their own name, or leave out the photo(s) of someone else (or of the same person with a very different expression or pose)",
			strings.Join(parts, "; "), bound, done)
	}
	for _, d := range r.Duplicates {
		fmt.Fprintf(e.stderr, "facelogin: %s is a copy of %s (distance %.3f < %.3f): not stored twice\n",
			photoName(photos, d.Index), photoName(photos, d.Of), d.Distance, decision.DuplicateBound)
	}
	var kds []recognition.Descriptor
	var kqs []float32
	var kps []string
	for _, i := range r.Keep {
		kds, kqs, kps = append(kds, ds[i]), append(kqs, qs[i]), append(kps, photos[i])
	}
	return kds, kqs, kps, nil
}
