package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"facelogin/recognition"
)

// The conformance suite: every test here runs against SQLite and MySQL.

func TestEnrollAndLoad(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		gen0, err := s.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]NewTemplate{
			"Ann":    newTemplates(t, 0, 3),
			"bo.lee": newTemplates(t, 3, 5),
			"Zoë":    newTemplates(t, 8, 1),
			"李小龙":    newTemplates(t, 9, 2),
		}
		for name, ts := range want {
			u := mustEnroll(t, s, name, ts)
			if u.Username != name || u.DisplayName != name || u.Templates != len(ts) || u.ID == 0 {
				t.Fatalf("Enroll(%q) = %+v", name, u)
			}
		}
		// A template of another model never mixes in.
		if err := s.Users.AddTemplates(ctx, "ann", "other_model_v2", newTemplates(t, 20, 2)); err != nil {
			t.Fatal(err)
		}

		g, err := s.Templates.Load(ctx, recognition.ModelID)
		if err != nil {
			t.Fatal(err)
		}
		if g.Generation != gen0+5 {
			t.Errorf("generation %d, want %d", g.Generation, gen0+5)
		}
		if len(g.Skipped) != 0 || g.OtherModels != 2 {
			t.Errorf("skipped %v, other models %d; want none, 2", g.Skipped, g.OtherModels)
		}
		got := map[string][]recognition.Descriptor{}
		for _, tp := range g.Templates {
			got[tp.Username] = append(got[tp.Username], tp.Descriptor)
		}
		for name, ts := range want {
			if len(got[name]) != len(ts) {
				t.Fatalf("%s: %d templates loaded, want %d", name, len(got[name]), len(ts))
			}
			for i := range ts {
				if got[name][i] != ts[i].Descriptor {
					t.Fatalf("%s template %d differs after the round trip", name, i)
				}
			}
		}

		// Lookups ignore case; the stored spelling is kept.
		for _, q := range []string{"ANN", "ann", " Ann "} {
			u, err := s.Users.Get(ctx, q)
			if err != nil || u.Username != "Ann" || u.Templates != 5 {
				t.Fatalf("Get(%q) = %+v, %v", q, u, err)
			}
		}
		if _, err := s.Users.Get(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(nobody) = %v", err)
		}
		u, ts, err := s.Templates.ForUser(ctx, "BO.LEE", recognition.ModelID)
		if err != nil || u.Username != "bo.lee" || len(ts) != 5 || ts[4].Descriptor != want["bo.lee"][4].Descriptor {
			t.Fatalf("ForUser = %+v, %d templates, %v", u, len(ts), err)
		}
		users, err := s.Users.List(ctx)
		if err != nil || len(users) != 4 {
			t.Fatalf("List = %v, %v", users, err)
		}
		var names []string
		for _, u := range users {
			names = append(names, u.Username)
		}
		if strings.Join(names, ",") != "Ann,bo.lee,Zoë,李小龙" {
			t.Errorf("List order %v", names)
		}
	})
}

func TestUsernameRules(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		ts := newTemplates(t, 0, 1)
		mustEnroll(t, s, "Ann", ts)
		mustEnroll(t, s, "abc", ts)
		long := strings.Repeat("ж", MaxUsernameLen) // 64 characters, 128 bytes
		mustEnroll(t, s, long, ts)
		mustEnroll(t, s, "Zoë", ts)

		tests := []struct {
			name string
			want error
		}{
			{"Ann", ErrExists},
			{"ANN", ErrExists},
			{"  ann  ", ErrExists},
			{"Zoe\u0308", ErrExists}, // decomposed spelling of Zoë
			{"ZOË", ErrExists},
			{"", ErrInvalidName},
			{"   ", ErrInvalidName},
			{long + "ж", ErrInvalidName},
			{"robert'); DROP TABLE users;--", ErrInvalidName},
			{"ann' OR '1'='1", ErrInvalidName},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.Users.Enroll(ctx, Enrollment{Username: tc.name, ModelID: recognition.ModelID, Templates: ts})
				if !errors.Is(err, tc.want) {
					t.Fatalf("Enroll(%q) = %v, want %v", tc.name, err, tc.want)
				}
				if tc.want == ErrExists && !strings.Contains(err.Error(), "already exists") {
					t.Fatalf("message %q does not say the name is taken", err)
				}
				if err := s.Users.CheckName(ctx, tc.name); !errors.Is(err, tc.want) {
					t.Fatalf("CheckName(%q) = %v, want %v", tc.name, err, tc.want)
				}
			})
		}
		if err := s.Users.CheckName(ctx, "fresh"); err != nil {
			t.Fatalf("CheckName(fresh) = %v", err)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM users"); n != 4 {
			t.Fatalf("%d users after refused enrolments, want 4", n)
		}
		if u, err := s.Users.Get(ctx, long); err != nil || u.Username != long {
			t.Fatalf("64-character name read back as %q, %v", u.Username, err)
		}
	})
}

func TestInjectionStoredLiterally(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		ts := newTemplates(t, 0, 1)
		mustEnroll(t, s, "abc", ts)
		evil := []string{
			`Robert'); DROP TABLE users;--`,
			`x' OR '1'='1`,
			`%_\%\_ "quoted" \' ; --`,
			`</td><script>alert(1)</script>`,
		}
		for i, display := range evil {
			name := fmt.Sprintf("a_c%d", i)
			if _, err := s.Users.Enroll(ctx, Enrollment{Username: name, DisplayName: display, ModelID: recognition.ModelID, Templates: ts}); err != nil {
				t.Fatal(err)
			}
			u, err := s.Users.Get(ctx, name)
			if err != nil || u.DisplayName != display {
				t.Fatalf("display name read back as %q, %v; want %q", u.DisplayName, err, display)
			}
		}
		// "_" is a LIKE wildcard; lookups must not treat it as one.
		if _, err := s.Users.Get(ctx, "a_c"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(a_c) = %v, want ErrNotFound (abc must not match)", err)
		}
		mustEnroll(t, s, "a.c", ts) // '.' is no wildcard either
		if n := countRows(t, s, "SELECT COUNT(*) FROM users"); n != 2+len(evil) {
			t.Fatalf("%d users, want %d", n, 2+len(evil))
		}
		if _, err := s.Users.Enroll(ctx, Enrollment{Username: "ctl", DisplayName: "bell\a", ModelID: recognition.ModelID, Templates: ts}); !errors.Is(err, ErrInvalidName) {
			t.Fatalf("control character in display name: %v", err)
		}
	})
}

func TestBadTemplatesRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		nan := newTemplates(t, 0, 2)
		nan[1].Descriptor[5] = float32(math.NaN())
		tests := []struct {
			name string
			e    Enrollment
		}{
			{"no templates", Enrollment{Username: "a", ModelID: recognition.ModelID}},
			{"no model", Enrollment{Username: "a", Templates: newTemplates(t, 0, 1)}},
			{"too many", Enrollment{Username: "a", ModelID: recognition.ModelID, Templates: newTemplates(t, 0, MaxTemplatesPerCall+1)}},
			{"NaN in the second template", Enrollment{Username: "a", ModelID: recognition.ModelID, Templates: nan}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := s.Users.Enroll(ctx, tc.e); !errors.Is(err, ErrBadTemplate) {
					t.Fatalf("Enroll = %v, want ErrBadTemplate", err)
				}
			})
		}
		// The NaN case failed after the user row was written: nothing stays.
		if n := countRows(t, s, "SELECT COUNT(*) FROM users") + countRows(t, s, "SELECT COUNT(*) FROM face_templates"); n != 0 {
			t.Fatalf("%d rows left behind", n)
		}
	})
}

func TestRenameDisableDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		ann := mustEnroll(t, s, "ann", newTemplates(t, 0, 3))
		mustEnroll(t, s, "bob", newTemplates(t, 3, 2))

		if _, err := s.Users.Rename(ctx, "ann", "BOB"); !errors.Is(err, ErrExists) {
			t.Fatalf("rename onto bob: %v", err)
		}
		if _, err := s.Users.Rename(ctx, "nobody", "x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("rename nobody: %v", err)
		}
		if _, err := s.Users.Rename(ctx, "ann", "bad name"); !errors.Is(err, ErrInvalidName) {
			t.Fatalf("rename to bad name: %v", err)
		}
		u, err := s.Users.Rename(ctx, "ann", "Ann")
		if err != nil || u.Username != "Ann" {
			t.Fatalf("rename to another spelling: %+v, %v", u, err)
		}
		if u, err = s.Users.Rename(ctx, "ANN", "anna.k"); err != nil || u.ID != ann.ID {
			t.Fatalf("rename: %+v, %v", u, err)
		}
		// Templates are bound to the id, so they still open.
		_, ts, err := s.Templates.ForUser(ctx, "anna.k", recognition.ModelID)
		if err != nil || len(ts) != 3 {
			t.Fatalf("templates after rename: %d, %v", len(ts), err)
		}

		if err := s.Users.SetDisabled(ctx, "anna.k", true); err != nil {
			t.Fatal(err)
		}
		g, err := s.Templates.Load(ctx, recognition.ModelID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range g.Templates {
			if tp.Disabled != (tp.Username == "anna.k") {
				t.Fatalf("template of %s disabled=%v", tp.Username, tp.Disabled)
			}
		}
		if err := s.Users.SetDisabled(ctx, "anna.k", false); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.Users.Get(ctx, "anna.k"); u.Disabled {
			t.Fatal("still disabled")
		}

		if err := s.Users.ReplaceTemplates(ctx, "bob", recognition.ModelID, newTemplates(t, 100, 4)); err != nil {
			t.Fatal(err)
		}
		if _, ts, _ := s.Templates.ForUser(ctx, "bob", recognition.ModelID); len(ts) != 4 || ts[0].Descriptor != idolDescriptors(t)[100] {
			t.Fatalf("after ReplaceTemplates: %d templates", len(ts))
		}

		if err := s.Users.Delete(ctx, "ANNA.K"); err != nil {
			t.Fatal(err)
		}
		if err := s.Users.Delete(ctx, "anna.k"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM face_templates WHERE user_id = ?", ann.ID); n != 0 {
			t.Fatalf("%d templates left after delete", n)
		}
		evs, err := s.Events.List(ctx, EventFilter{UserID: ann.ID})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range evs {
			kinds = append(kinds, string(e.Kind))
			if e.Station != "test-station" {
				t.Errorf("event station %q", e.Station)
			}
		}
		if got := strings.Join(kinds, " "); got != "delete enable disable rename rename register" {
			t.Fatalf("audit log of ann, newest first: %s", got)
		}
		if evs[0].Username != "anna.k" || evs[0].Detail != "3 templates deleted" {
			t.Fatalf("delete event %+v", evs[0])
		}
	})
}

func TestAuditLog(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		ann := mustEnroll(t, s, "ann", newTemplates(t, 0, 1))
		attempts := []LoginAttempt{
			{Success: true, UserID: ann.ID, Username: "ann", Distance: 0.31, HasDistance: true},
			{Success: false, Username: "", Distance: 0.72, HasDistance: true, Detail: "not recognised"},
			{Success: false, Detail: "no face"},
			{Success: true, UserID: ann.ID, Username: "ann", Distance: 0.28, HasDistance: true},
		}
		for _, a := range attempts {
			if err := s.Events.RecordLogin(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := s.Events.List(ctx, EventFilter{Kinds: []EventKind{EventLoginSuccess, EventLoginFailure}})
		if err != nil || len(evs) != 4 {
			t.Fatalf("List = %d events, %v", len(evs), err)
		}
		if e := evs[2]; e.Kind != EventLoginFailure || e.UserID != 0 || !e.HasDistance || e.Distance < 0.7199 || e.Distance > 0.7201 || e.Detail != "not recognised" {
			t.Fatalf("failure event %+v", e)
		}
		if e := evs[1]; e.HasDistance {
			t.Fatalf("no-face event has a distance: %+v", e)
		}
		u, err := s.Users.Get(ctx, "ann")
		if err != nil || u.LastLogin.IsZero() || !u.LastLogin.Equal(evs[0].At) {
			t.Fatalf("last login %v, want %v (%v)", u.LastLogin, evs[0].At, err)
		}

		total := countRows(t, s, "SELECT COUNT(*) FROM auth_events")
		n, err := s.Events.Prune(ctx, time.Time{}, 2)
		if err != nil || n != int64(total-2) {
			t.Fatalf("Prune(keep 2) = %d, %v; want %d", n, err, total-2)
		}
		left, _ := s.Events.List(ctx, EventFilter{})
		if len(left) != 2 || left[0].ID != evs[0].ID {
			t.Fatalf("after prune: %+v", left)
		}
		if n, err := s.Events.Prune(ctx, time.Now().Add(time.Minute), 0); err != nil || n != 2 {
			t.Fatalf("Prune(before now) = %d, %v", n, err)
		}
	})
}

func TestAuditLogCap(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		cfg := testConfig(dsn, &logBuf{})
		cfg.MaxEvents = 100
		s, err := Open(ctxT(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i := 0; i < pruneEvery; i++ {
			if err := s.Events.RecordLogin(ctxT(t), LoginAttempt{Detail: "no face"}); err != nil {
				t.Fatal(err)
			}
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM auth_events"); n != 100 {
			t.Fatalf("%d events after %d logins with a cap of 100", n, pruneEvery)
		}
	})
}

// TestOpenDoesNotPrune: a log over its cap is left whole by Open (reading
// the log — `facelogin events`, the Activity screen — opens the store), and
// cut to the cap at the first login recorded, a write.
func TestOpenDoesNotPrune(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		cfg := testConfig(dsn, &logBuf{})
		s, err := Open(ctxT(t), cfg) // no cap
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 30; i++ {
			if err := s.Events.RecordLogin(ctxT(t), LoginAttempt{Detail: "no face"}); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()

		log := &logBuf{}
		cfg = testConfig(dsn, log)
		cfg.MaxEvents = 10
		s, err = Open(ctxT(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Events.Each(ctxT(t), EventQuery{}, func(Event) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM auth_events"); n != 30 {
			t.Fatalf("%d events after opening and reading a log of 30 with a cap of 10: reading deleted events", n)
		}
		if err := s.Events.RecordLogin(ctxT(t), LoginAttempt{Detail: "no face"}); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM auth_events"); n != 10 {
			t.Fatalf("%d events after a login with a cap of 10", n)
		}
		if !strings.Contains(log.String(), "deleted=21") {
			t.Errorf("the pruning is not logged with its count:\n%s", log.String())
		}
	})
}

// 50 people enrol at once, and 10 more race for one name: exactly one of the
// 10 wins, and no template is lost or left without its user.
func TestParallelEnrolment(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		const distinct, racers, per = 50, 10, 3
		var wg sync.WaitGroup
		errs := make([]error, distinct+racers)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("user%02d", i)
				if i >= distinct {
					name = []string{"Racer", "racer", "RACER"}[i%3]
				}
				_, errs[i] = s.Users.Enroll(ctx, Enrollment{Username: name, ModelID: recognition.ModelID, Templates: newTemplates(t, i*per, per)})
			}()
		}
		wg.Wait()
		for i, err := range errs[:distinct] {
			if err != nil {
				t.Errorf("user%02d: %v", i, err)
			}
		}
		wins := 0
		for _, err := range errs[distinct:] {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ErrExists):
				t.Errorf("racer: %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d racers won, want exactly 1", wins)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM users"); n != distinct+1 {
			t.Fatalf("%d users, want %d", n, distinct+1)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM face_templates"); n != (distinct+1)*per {
			t.Fatalf("%d templates, want %d", n, (distinct+1)*per)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM face_templates t LEFT JOIN users u ON u.id = t.user_id WHERE u.id IS NULL"); n != 0 {
			t.Fatalf("%d orphaned templates", n)
		}
		g, err := s.Templates.Load(ctx, recognition.ModelID)
		if err != nil || len(g.Templates) != (distinct+1)*per || len(g.Skipped) != 0 {
			t.Fatalf("Load: %d templates, %d skipped, %v", len(g.Templates), len(g.Skipped), err)
		}
		// Every template opens under its own user: none went to a racer
		// that lost.
		for _, tp := range g.Templates {
			if tp.Username == "" {
				t.Fatalf("template %d has no user", tp.ID)
			}
		}
	})
}

// A corrupted row, a row moved to another user and a row relabelled with
// another model are skipped with a logged reason; the rest loads.
func TestCorruptTemplateRows(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, log := openTest(t, dsn)
		ctx := ctxT(t)
		ann := mustEnroll(t, s, "ann", newTemplates(t, 0, 3))
		bob := mustEnroll(t, s, "bob", newTemplates(t, 3, 3))
		var ids []int64
		rows, err := s.db.QueryContext(ctx, "SELECT id FROM face_templates WHERE user_id = ? ORDER BY id", ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"UPDATE face_templates SET sealed = ? WHERE id = ?", []any{[]byte("garbage"), ids[0]}},
			{"UPDATE face_templates SET user_id = ? WHERE id = ?", []any{bob.ID, ids[1]}}, // copied to bob
		} {
			if _, err := s.db.ExecContext(ctx, q.sql, q.args...); err != nil {
				t.Fatal(err)
			}
		}
		var sealed []byte
		s.db.QueryRowContext(ctx, "SELECT sealed FROM face_templates WHERE id = ?", ids[2]).Scan(&sealed)
		sealed[len(sealed)-1] ^= 0x80
		s.db.ExecContext(ctx, "UPDATE face_templates SET sealed = ? WHERE id = ?", sealed, ids[2])

		g, err := s.Templates.Load(ctx, recognition.ModelID)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Templates) != 3 || len(g.Skipped) != 3 {
			t.Fatalf("loaded %d, skipped %d; want 3 and 3", len(g.Templates), len(g.Skipped))
		}
		for _, tp := range g.Templates {
			if tp.Username != "bob" {
				t.Fatalf("a template of %s loaded", tp.Username)
			}
		}
		for _, sk := range g.Skipped {
			if !strings.Contains(log.String(), fmt.Sprintf("template=%d", sk.TemplateID)) || sk.Reason == "" {
				t.Fatalf("skip of template %d not logged with a reason:\n%s", sk.TemplateID, log)
			}
		}
		if _, ts, err := s.Templates.ForUser(ctx, "bob", recognition.ModelID); err != nil || len(ts) != 3 {
			t.Fatalf("ForUser(bob) = %d templates, %v; the moved row must not open", len(ts), err)
		}
	})
}

func TestKeyHandling(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := ctxT(t)
		keyFile := filepath.Join(t.TempDir(), "cfg", "template.key")
		t.Setenv(KeyEnv, "")
		cfg := Config{DSN: dsn, KeyFile: keyFile, MaxEvents: -1, Create: true}

		// First run: a key file is made, 0600.
		s, err := Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s.KeySource(), "new key file") {
			t.Fatalf("key source %q", s.KeySource())
		}
		mustEnroll(t, s, "ann", newTemplates(t, 0, 2))
		s.Close()
		if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v %v", fi.Mode(), err)
		}

		// Second run: the same key, templates open.
		s, err = Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if g, err := s.Templates.Load(ctx, recognition.ModelID); err != nil || len(g.Templates) != 2 {
			t.Fatalf("reopen: %v", err)
		}
		s.Close()

		// The key given as FACELOGIN_KEY works too.
		raw, _ := os.ReadFile(keyFile)
		t.Setenv(KeyEnv, strings.TrimSpace(string(raw)))
		s, err = Open(ctx, Config{DSN: dsn, KeyFile: "/nonexistent/key", MaxEvents: -1})
		if err != nil || s.KeySource() != KeyEnv {
			t.Fatalf("key from env: %v", err)
		}
		s.Close()
		t.Setenv(KeyEnv, "")

		tests := []struct {
			name string
			cfg  Config
			env  string
			want error
		}{
			{"wrong key", Config{Key: testKey}, "", ErrWrongKey},
			{"wrong env key", Config{}, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", ErrWrongKey},
			{"malformed env key", Config{}, "not-a-key", ErrBadKey},
			{"missing key file", Config{KeyFile: filepath.Join(t.TempDir(), "gone.key")}, "", ErrKeyMissing},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Setenv(KeyEnv, tc.env)
				c := tc.cfg
				c.DSN, c.MaxEvents = dsn, -1
				if c.KeyFile == "" {
					c.KeyFile = keyFile
				}
				s, err := Open(ctx, c)
				if !errors.Is(err, tc.want) {
					if s != nil {
						s.Close()
					}
					t.Fatalf("Open = %v, want %v", err, tc.want)
				}
				if tc.want == ErrKeyMissing {
					if _, err := os.Stat(c.KeyFile); err == nil {
						t.Fatal("a new key file was created for a database with templates")
					}
				}
			})
		}
	})
}

func TestMigrations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := ctxT(t)
		// Stations starting at once migrate once.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(ctx, testConfig(dsn, &logBuf{}))
				if err == nil {
					s.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		s, _ := openTest(t, dsn)
		if n := countRows(t, s, "SELECT COUNT(*) FROM schema_migrations"); n != SchemaVersion() {
			t.Fatalf("%d migrations recorded, want %d", n, SchemaVersion())
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM store_state"); n != 1 {
			t.Fatalf("%d state rows", n)
		}
		if _, err := s.db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)"); err != nil {
			t.Fatal(err)
		}
		if s2, err := Open(ctx, testConfig(dsn, &logBuf{})); !errors.Is(err, ErrSchemaTooNew) {
			if s2 != nil {
				s2.Close()
			}
			t.Fatalf("Open on a newer schema = %v, want ErrSchemaTooNew", err)
		}
	})
}

// Watch follows changes made by this process at once, and those of another
// station through the generation counter.
func TestWatch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		other, _ := openTest(t, dsn) // a second station on the same database
		ctx, cancel := context.WithCancel(ctxT(t))
		defer cancel()
		mustEnroll(t, s, "ann", newTemplates(t, 0, 2))

		got := make(chan *Gallery, 16)
		g, err := s.Watch(ctx, recognition.ModelID, 50*time.Millisecond, func(g *Gallery) { got <- g })
		if err != nil || len(g.Templates) != 2 {
			t.Fatalf("Watch: %v", err)
		}
		waitFor := func(what string, n int) {
			t.Helper()
			deadline := time.After(time.Minute)
			for {
				select {
				case g := <-got:
					if len(g.Templates) == n {
						return
					}
				case <-deadline:
					t.Fatalf("watch never saw %s (%d templates)", what, n)
				}
			}
		}
		mustEnroll(t, s, "bob", newTemplates(t, 2, 3))
		waitFor("a local enrolment", 5)
		mustEnroll(t, other, "cy", newTemplates(t, 5, 1))
		waitFor("another station's enrolment", 6)
		if err := other.Users.Delete(ctx, "ann"); err != nil {
			t.Fatal(err)
		}
		waitFor("another station's deletion", 4)
	})
}

// The database is unreachable at start: a clear error naming it.
func TestDatabaseDownAtStart(t *testing.T) {
	t.Run("mysql", func(t *testing.T) {
		// A port nobody listens on.
		cfg := testConfig("facelogin:pw@tcp(127.0.0.1:1)/facelogin", &logBuf{})
		cfg.ConnectTimeout = 3 * time.Second
		start := time.Now()
		_, err := Open(ctxT(t), cfg)
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), ":pw@") {
			t.Fatalf("Open = %v", err)
		}
		// It gives up after the connect timeout instead of hanging; the
		// slack is for a loaded machine, not a measurement.
		if d := time.Since(start); d > cfg.ConnectTimeout+30*time.Second {
			t.Fatalf("took %v to give up", d)
		}
		t.Log(err)
	})
	t.Run("mysql no such database", func(t *testing.T) {
		dsn := mysqlTestDB(t)
		dsn = dsn[:strings.LastIndex(dsn, "/")+1] + "does_not_exist"
		_, err := Open(ctxT(t), testConfig(dsn, &logBuf{}))
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "CREATE DATABASE does_not_exist") {
			t.Fatalf("Open = %v", err)
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		_, err := Open(ctxT(t), testConfig("sqlite:/etc/passwd/sub/facelogin.db", &logBuf{}))
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "/etc/passwd/sub") {
			t.Fatalf("Open = %v", err)
		}
	})
}

// The connection dies in the middle of an enrolment and of a deletion:
// nothing is half-written, and the same call works once the database is back.
func TestDatabaseDownMidOperation(t *testing.T) {
	t.Run("mysql", func(t *testing.T) {
		m := privateMariaDB(t)
		if err := m.Admin("CREATE DATABASE facelogin"); err != nil {
			t.Fatal(err)
		}
		s, _ := openTest(t, m.DSN("facelogin"))
		ctx := ctxT(t)
		mustEnroll(t, s, "bob", newTemplates(t, 10, 4))
		restart := func() {
			if err := m.Start(); err != nil {
				t.Fatal(err)
			}
		}

		s.testHookInTx = m.Kill // the server dies after the first row
		_, err := s.Users.Enroll(ctx, Enrollment{Username: "ann", ModelID: recognition.ModelID, Templates: newTemplates(t, 0, 3)})
		s.testHookInTx = nil
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Enroll with the server killed = %v, want ErrUnavailable", err)
		}
		t.Log(err)
		_, err = s.Users.Get(ctx, "ann")
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Get while down = %v", err)
		}
		restart()
		if _, err := s.Users.Get(ctx, "ann"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("half-written user: %v", err)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM face_templates"); n != 4 {
			t.Fatalf("%d templates, want bob's 4", n)
		}
		mustEnroll(t, s, "ann", newTemplates(t, 0, 3)) // the retry works

		s.testHookInTx = m.Kill // dies after bob's templates were deleted
		err = s.Users.Delete(ctx, "bob")
		s.testHookInTx = nil
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Delete with the server killed = %v", err)
		}
		restart()
		if _, ts, err := s.Templates.ForUser(ctx, "bob", recognition.ModelID); err != nil || len(ts) != 4 {
			t.Fatalf("bob after the failed delete: %d templates, %v", len(ts), err)
		}
		if err := s.Users.Delete(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		g, err := s.Templates.Load(ctx, recognition.ModelID)
		if err != nil || len(g.Templates) != 3 || g.Templates[0].Username != "ann" {
			t.Fatalf("final gallery: %v", err)
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		// SQLite has no server to lose; the nearest fault is the operation
		// being cut off (context cancelled) between two statements.
		s, _ := openTest(t, "sqlite:"+filepath.Join(t.TempDir(), "f.db"))
		mustEnroll(t, s, "bob", newTemplates(t, 10, 4))
		ctx, cancel := context.WithCancel(ctxT(t))
		s.testHookInTx = cancel
		_, err := s.Users.Enroll(ctx, Enrollment{Username: "ann", ModelID: recognition.ModelID, Templates: newTemplates(t, 0, 3)})
		if err == nil {
			t.Fatal("Enroll succeeded after being cut off")
		}
		ctx, cancel = context.WithCancel(ctxT(t))
		defer cancel()
		s.testHookInTx = cancel
		err = s.Users.Delete(ctx, "bob")
		s.testHookInTx = nil
		if err == nil {
			t.Fatal("Delete succeeded after being cut off")
		}
		if _, err := s.Users.Get(ctxT(t), "ann"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("half-written user: %v", err)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM face_templates"); n != 4 {
			t.Fatalf("%d templates, want bob's 4", n)
		}
		mustEnroll(t, s, "ann", newTemplates(t, 0, 3))
	})
}

// With no DSN and no key, the first run creates a private SQLite file in the
// data directory and a key file in the config directory; the second run
// finds both.
func TestFirstRunDefaults(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv(KeyEnv, "")
	t.Setenv(DBEnv, "")
	dsn, source := ResolveDSN("", "")
	if dsn != "" || source != "default" {
		t.Fatalf("ResolveDSN = %q, %q", dsn, source)
	}
	for run := 1; run <= 2; run++ {
		s, err := Open(ctxT(t), Config{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		mustEnroll(t, s, fmt.Sprintf("user%d", run), newTemplates(t, run, 1))
		db := filepath.Join(home, "data", "facelogin", "facelogin.db")
		key := filepath.Join(home, "config", "facelogin", "template.key")
		if s.Describe() != "SQLite "+db {
			t.Errorf("Describe = %q", s.Describe())
		}
		wantKey := "key file " + key
		if run == 1 {
			wantKey = "new key file " + key
		}
		if s.KeySource() != wantKey {
			t.Errorf("run %d: KeySource = %q, want %q", run, s.KeySource(), wantKey)
		}
		if g, err := s.Templates.Load(ctxT(t), recognition.ModelID); err != nil || len(g.Templates) != run {
			t.Fatalf("run %d: %v", run, err)
		}
		s.Close()
		for _, p := range []string{db, key} {
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("%s: %v, %v; want mode 0600", p, fi.Mode(), err)
			}
		}
	}
	if k, err := GenerateKey(); err != nil || len(k) != 44 {
		t.Fatalf("GenerateKey = %q, %v", k, err)
	}
}
