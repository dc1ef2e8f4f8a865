package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facelogin/internal/testkit"
	"facelogin/recognition"
	"facelogin/recognition/decision"
)

func openAt(t testing.TB, dsn string, c *testkit.Clock) *Store {
	t.Helper()
	cfg := testConfig(dsn, &logBuf{})
	cfg.Clock = c.Now
	s, err := Open(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// step is the descriptor dist from a towards b.
func step(a, b recognition.Descriptor, dist float32) recognition.Descriptor {
	ab := recognition.Distance(&a, &b)
	var p recognition.Descriptor
	for i := range p {
		p[i] = a[i] + (b[i]-a[i])*dist/ab
	}
	return p
}

// TestAddAdaptive: adaptive templates are stored under the rules in one
// transaction on both backends — at most PerDay a day on the store's
// clock, never beyond Drift from the enrolment templates, at most Max kept
// with the oldest replaced and the enrolment templates untouched, each in
// the audit log; a refusal writes nothing, not even a generation.
func TestAddAdaptive(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := ctxT(t)
		c := testkit.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		s := openAt(t, dsn, c)
		ds := idolDescriptors(t)
		enrol := ds[0]
		mustEnroll(t, s, "ann", []NewTemplate{{Descriptor: enrol, Quality: 0.9}})
		p := decision.DefaultAdaptPolicy
		// Four directions away from ann's template, each 0.12 out.
		var frames []recognition.Descriptor
		for _, k := range []int{100, 300, 500, 700} {
			frames = append(frames, step(enrol, ds[k], 0.12))
		}
		add := func(d recognition.Descriptor) (Adapted, error) {
			return s.Users.AddAdaptive(ctx, "ann", Adaptation{ModelID: recognition.ModelID, Descriptor: d, Distance: 0.12, Margin: 0.3, Policy: p})
		}
		gen := func() int64 {
			g, err := s.Generation(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		refused := func(what string, d recognition.Descriptor, want error) {
			t.Helper()
			before := gen()
			if _, err := add(d); !errors.Is(err, want) || !errors.Is(err, decision.ErrNotAdapted) {
				t.Fatalf("%s: %v, want %v", what, err, want)
			}
			if gen() != before {
				t.Fatalf("%s: the refusal moved the generation", what)
			}
		}
		refused("beyond Drift", step(enrol, ds[100], p.Drift+0.02), decision.ErrDrift)
		refused("a near copy of the enrolment template", step(enrol, ds[100], p.Lower/2), decision.ErrCovered)
		var ids []int64
		var oldest []byte // the sealed bytes of the first adaptive template
		for day, f := range frames {
			if day == p.Max {
				if err := s.db.QueryRowContext(ctx, "SELECT sealed FROM face_templates WHERE id = ?", ids[0]).Scan(&oldest); err != nil {
					t.Fatal(err)
				}
			}
			a, err := add(f)
			if err != nil {
				t.Fatalf("day %d: %v", day, err)
			}
			ids = append(ids, a.TemplateID)
			if day == 0 {
				refused("the same day", frames[1], decision.ErrRateLimit)
			}
			if want := min(day+1, p.Max); a.Adaptive != want {
				t.Fatalf("day %d: %d adaptive, want %d", day, a.Adaptive, want)
			}
			if day == p.Max && (a.Replaced != ids[0] || !a.ReplacedCreated.Equal(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))) {
				t.Fatalf("day %d: replaced %d (%v), want the oldest, %d", day, a.Replaced, a.ReplacedCreated, ids[0])
			}
			c.Advance(24 * time.Hour)
		}
		if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
			// Replaced means gone from the files, as for deletions; the
			// newest is there, so the search can see templates.
			var newest, all []byte
			if err := s.db.QueryRowContext(ctx, "SELECT sealed FROM face_templates WHERE id = ?", ids[len(ids)-1]).Scan(&newest); err != nil {
				t.Fatal(err)
			}
			for _, suffix := range []string{"", "-wal", "-shm"} {
				b, _ := os.ReadFile(path + suffix)
				all = append(append(all, b...), 0xFF, 0xFE)
			}
			if bytes.Contains(all, oldest[13:45]) || !bytes.Contains(all, newest[13:45]) {
				t.Fatalf("in %s and its -wal/-shm: replaced template found %v, newest found %v", filepath.Base(path),
					bytes.Contains(all, oldest[13:45]), bytes.Contains(all, newest[13:45]))
			}
		}
		u, ts, err := s.Templates.List(ctx, "ann")
		if err != nil || u.Username != "ann" || len(ts) != 1+p.Max {
			t.Fatalf("templates %+v %v", ts, err)
		}
		if ts[0].Kind != KindEnrolment || ts[0].Quality != 0.9 {
			t.Fatalf("the enrolment template: %+v", ts[0])
		}
		for i, ti := range ts[1:] {
			if ti.Kind != KindAdaptive || ti.ID != ids[i+1] || !ti.Created.Equal(time.Date(2026, 5, 2+i, 9, 0, 0, 0, time.UTC)) {
				t.Fatalf("adaptive template %d: %+v, want id %d", i, ti, ids[i+1])
			}
		}
		g, err := s.Templates.Load(ctx, recognition.ModelID)
		if err != nil || len(g.Templates) != 1+p.Max || len(g.Skipped) != 0 || g.Templates[p.Max].Descriptor != frames[3] {
			t.Fatalf("load: %d templates, %d skipped, %v", len(g.Templates), len(g.Skipped), err)
		}
		evs, err := s.Events.List(ctx, EventFilter{Kinds: []EventKind{EventTemplateAdapted}})
		if err != nil || len(evs) != len(frames) {
			t.Fatalf("audit: %d events, %v", len(evs), err)
		}
		if ev := evs[0]; ev.Username != "ann" || !ev.HasDistance || !ev.At.Equal(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)) {
			t.Fatalf("newest audit event %+v", ev)
		}
		if _, err := s.Users.AddAdaptive(ctx, "zed", Adaptation{ModelID: recognition.ModelID, Descriptor: frames[0], Policy: p}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		// A re-registration replaces every template, adaptive ones too.
		if err := s.Users.ReplaceTemplates(ctx, "ann", recognition.ModelID, newTemplates(t, 2, 2)); err != nil {
			t.Fatal(err)
		}
		if _, ts, _ := s.Templates.List(ctx, "ann"); len(ts) != 2 || ts[0].Kind != KindEnrolment || ts[1].Kind != KindEnrolment {
			t.Fatalf("after re-registration: %+v", ts)
		}
	})
}

// TestAdaptiveKindSealed: an adaptive template's kind and time are bound
// into its seal. Relabelled as an enrolment template in the database — to
// anchor the next drift on it — or back-dated — to pass the daily limit —
// it no longer opens, and neither does an enrolment template relabelled as
// adaptive; a rename re-seals adaptive templates like the others.
func TestAdaptiveKindSealed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := ctxT(t)
		c := testkit.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		s := openAt(t, dsn, c)
		ds := idolDescriptors(t)
		mustEnroll(t, s, "ann", []NewTemplate{{Descriptor: ds[0]}})
		a, err := s.Users.AddAdaptive(ctx, "ann", Adaptation{ModelID: recognition.ModelID, Descriptor: step(ds[0], ds[100], 0.12), Policy: decision.DefaultAdaptPolicy})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Users.Rename(ctx, "ann", "anna"); err != nil {
			t.Fatal(err)
		}
		g, err := s.Templates.Load(ctx, recognition.ModelID)
		if err != nil || len(g.Templates) != 2 || len(g.Skipped) != 0 || g.Templates[1].Kind != KindAdaptive {
			t.Fatalf("after rename: %d open, %d skipped, %v", len(g.Templates), len(g.Skipped), err)
		}
		enrolID := g.Templates[0].ID
		for _, tc := range []struct {
			name, update, undo string
			id                 int64
		}{
			{"adaptive relabelled enrolment", "UPDATE face_templates SET kind = 'enrolment' WHERE id = ?", "UPDATE face_templates SET kind = 'adaptive' WHERE id = ?", a.TemplateID},
			{"adaptive back-dated", "UPDATE face_templates SET created_at = created_at - 86400000000 WHERE id = ?", "UPDATE face_templates SET created_at = created_at + 86400000000 WHERE id = ?", a.TemplateID},
			{"enrolment relabelled adaptive", "UPDATE face_templates SET kind = 'adaptive' WHERE id = ?", "UPDATE face_templates SET kind = 'enrolment' WHERE id = ?", enrolID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := s.db.ExecContext(ctx, tc.update, tc.id); err != nil {
					t.Fatal(err)
				}
				g, err := s.Templates.Load(ctx, recognition.ModelID)
				if err != nil || len(g.Templates) != 1 || len(g.Skipped) != 1 || g.Skipped[0].TemplateID != tc.id {
					t.Fatalf("%d open, skipped %+v, %v", len(g.Templates), g.Skipped, err)
				}
				if _, err := s.db.ExecContext(ctx, tc.undo, tc.id); err != nil {
					t.Fatal(err)
				}
				if g, err := s.Templates.Load(ctx, recognition.ModelID); err != nil || len(g.Templates) != 2 {
					t.Fatalf("undone: %d open, %v", len(g.Templates), err)
				}
			})
		}
	})
}

// TestMigrateTemplateKind: a database from before template kinds (schema
// version 3) gets the kind column with every existing template an
// enrolment template, and every template still opens.
func TestMigrateTemplateKind(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		mustEnroll(t, s, "ann", newTemplates(t, 0, 2))
		mustEnroll(t, s, "bob", newTemplates(t, 50, 1))
		for _, q := range []string{"ALTER TABLE face_templates DROP COLUMN kind", "DELETE FROM schema_migrations WHERE version = 4"} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		s.Close()
		s2, log := openTest(t, dsn)
		g, err := s2.Templates.Load(ctx, recognition.ModelID)
		if err != nil || len(g.Templates) != 3 || len(g.Skipped) != 0 {
			t.Fatalf("after the migration: %d templates, %d skipped, %v\n%s", len(g.Templates), len(g.Skipped), err, log)
		}
		for _, tp := range g.Templates {
			if tp.Kind != KindEnrolment {
				t.Fatalf("template %d is %q", tp.ID, tp.Kind)
			}
		}
		if n := countRows(t, s2, "SELECT COUNT(*) FROM schema_migrations WHERE version = 4"); n != 1 {
			t.Fatal("migration 4 not recorded")
		}
	})
}
