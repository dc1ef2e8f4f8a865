package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"facelogin/recognition"
	"facelogin/store"
)

// enrolAdd is `enrol --add`: more enrolment templates for an existing
// user, all photos or none, never replacing any. A face within the
// threshold of ANOTHER user's template is refused (one person, two
// accounts), checked in the same transaction as the insert; a photo far
// from the user's own templates is stored with a warning.
func enrolAdd(e *env, c *common, user string, photos []string) error {
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
	var ds []recognition.Descriptor
	var qs []float32
	for _, path := range photos {
		f, q, err := s.oneFace(path)
		if err != nil {
			return err
		}
		if dec, err := s.dir.Decide(u.Username, []recognition.Descriptor{f.Descriptor}); err == nil && !dec.OK() {
			fmt.Fprintf(e.stderr, "warning: %s is %.3f from %s's templates (threshold %.3f): make sure it shows %s\n",
				filepath.Base(path), dec.Distance, u.Username, dec.Threshold.Value, u.Username)
		}
		ds, qs = append(ds, f.Descriptor), append(qs, q.Score())
	}
	if _, err := s.dir.AddTemplates(ctx, u.Username, ds, qs, store.DuplicateCheck{Threshold: float32(*c.threshold)}); err != nil {
		var dup *store.DuplicateError
		if errors.As(err, &dup) {
			// --add never takes another user's face, not even with
			// --allow-duplicate (a usage error with --add).
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
