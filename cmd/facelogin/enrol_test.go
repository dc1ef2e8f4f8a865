package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"facelogin/internal/testdata"
)

// TestEnrolDuplicateFace: `enrol` refuses a face already enrolled under
// another name — the same photo, another photo of the person (bona3.jpg,
// 0.339 from bona.jpg), one such photo among others of her — naming the user (the
// command line is an administrator's) and the flag that overrides it;
// --allow-duplicate (or --force) enrols with a warning and a
// duplicate_allowed audit event per existing user it matched.
// TestEnrolNearUser: another photo of an enrolled person beyond the
// duplicate threshold (bona2.jpg, 0.421 from bona.jpg) enrols — lookalikes
// lie that near too often to refuse (TestSamePersonBound) — but enrol says
// so, naming the near user and how to add the photos to her instead.
func TestEnrolNearUser(t *testing.T) {
	c := newCLI(t)
	c.want(exitOK, "enrol", "--user", "bona", c.photo("bona.jpg"))
	_, errOut := c.want(exitOK, "enrol", "--user", "bona.two", c.photo("bona2.jpg"))
	for _, want := range []string{`note: this face is 0.42`, `from the existing user "bona"`, "within the same-person bound 0.450", `delete "bona.two"`, "enrol --add --user bona"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	_, errOut = c.want(exitOK, "enrol", "--user", "bona.three", "--allow-duplicate", c.photo("bona3.jpg"))
	if strings.Contains(errOut, "note:") {
		t.Errorf("an allowed duplicate also got the near-user note:\n%s", errOut)
	}
}

func TestEnrolDuplicateFace(t *testing.T) {
	c := newCLI(t)
	c.want(exitOK, "enrol", "--user", "bona", c.photo("bona.jpg"))
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"same photo", []string{"--user", "again", c.photo("bona.jpg")}, exitInput, `already enrolled as "bona" (distance 0.000`},
		{"another photo of her", []string{"--user", "bona.three", c.photo("bona3.jpg")}, exitInput, `already enrolled as "bona" (distance 0.3`},
		{"among other photos", []string{"--user", "mixed", c.photo("bona2.jpg"), c.photo("bona3.jpg")}, exitInput, `already enrolled as "bona"`},
		{"someone else", []string{"--user", "joy", c.photo("joy.jpg")}, exitOK, ""},
		{"allowed", []string{"--user", "bona.twin", "--allow-duplicate", c.photo("bona3.jpg")}, exitOK, `warning: this face is 0.3`},
		{"allowed with --force", []string{"--user", "bona.again", "--force", c.photo("bona.jpg")}, exitOK, `from the existing user "bona"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut := c.want(tc.code, append([]string{"enrol"}, tc.args...)...)
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, errOut)
			}
			if tc.code == exitInput && !strings.Contains(errOut, "--allow-duplicate") {
				t.Errorf("the refusal does not say how to override it:\n%s", errOut)
			}
		})
	}
	out, _ := c.want(exitOK, "users", "list", "--json")
	var users []userRow
	if err := json.Unmarshal([]byte(out), &users); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	if got := strings.Join(names, ","); got != "bona,bona.again,bona.twin,joy" {
		t.Fatalf("users %s", got)
	}
	evs := duplicateEvents(t, c)
	// One event per existing user the allowed face matched: bona.twin
	// matched bona; bona.again matched bona and bona.twin.
	per := map[string]int{}
	for _, ev := range evs {
		per[ev.User]++
		if !strings.Contains(ev.Detail, "from existing user bona") {
			t.Errorf("event detail %q", ev.Detail)
		}
	}
	if len(evs) != 3 || per["bona.twin"] != 1 || per["bona.again"] != 2 {
		t.Fatalf("duplicate_allowed events %+v", evs)
	}
}

// TestEnrolAtOnce: four `enrol` processes started together with one
// person's face under four names, against one database, end with one
// account; the other three are refused naming it. Before the atomic check
// each process compared the face with the users it loaded at start — nobody
// — and all four enrolled. Both backends (MariaDB: a private server; skips
// on a laptop without it, fails when CI=true).
func TestEnrolAtOnce(t *testing.T) {
	models := testdata.ModelsDir(t)
	faces := filepath.Join(testdata.Dir(t), "faces")
	bin := buildBinary(t)
	for _, backend := range []string{"sqlite", "mariadb"} {
		t.Run(backend, func(t *testing.T) {
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "shared.db")
			if backend == "mariadb" {
				dsn = kioskMariaDB(t)
			}
			env := append(appEnv(t, "", models), "FACELOGIN_KEY="+strings.Repeat("cd", 32), "FACELOGIN_DB="+dsn)
			runBin(t, env, bin, "users", "list", "--create")
			// The same photo twice, and two photos of one person 0.331
			// apart; each process enrols two of them.
			photos := [][]string{
				{"bona.jpg", "bona3.jpg"}, {"bona3.jpg", "bona.jpg"}, {"bona.jpg", "bona.jpg"}, {"bona3.jpg", "bona3.jpg"},
			}
			type result struct {
				code   int
				stderr string
			}
			results := make([]result, len(photos))
			var wg sync.WaitGroup
			for i, ps := range photos {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
					defer cancel()
					args := []string{"enrol", "--user", fmt.Sprintf("person%d", i)}
					for _, p := range ps {
						args = append(args, filepath.Join(faces, p))
					}
					cmd := exec.CommandContext(ctx, bin, args...)
					cmd.Env = env
					out, err := cmd.CombinedOutput()
					results[i].stderr = string(out)
					var xe *exec.ExitError
					if errors.As(err, &xe) {
						results[i].code = xe.ExitCode()
					} else if err != nil {
						results[i].code = -1
					}
				}()
			}
			wg.Wait()
			var winner string
			for i, r := range results {
				switch r.code {
				case exitOK:
					if winner != "" {
						t.Errorf("person%d enrolled as well as %s", i, winner)
					}
					winner = fmt.Sprintf("person%d", i)
				case exitInput:
					if !strings.Contains(r.stderr, "already enrolled as") {
						t.Errorf("person%d refused for another reason:\n%s", i, r.stderr)
					}
				default:
					t.Errorf("person%d: exit %d\n%s", i, r.code, r.stderr)
				}
			}
			out := runBin(t, env, bin, "users", "list", "--json")
			var users []userRow
			if err := json.Unmarshal([]byte(out), &users); err != nil {
				t.Fatal(err)
			}
			if len(users) != 1 || users[0].Name != winner {
				t.Fatalf("users %+v, want only %s", users, winner)
			}
			for i, r := range results {
				if r.code == exitInput && !strings.Contains(r.stderr, `"`+winner+`"`) {
					t.Errorf("person%d's refusal does not name %s:\n%s", i, winner, r.stderr)
				}
			}
		})
	}
}

// runBin runs the binary with env and returns its standard output.
func runBin(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	return string(cliJSON(t, bin, env, args...))
}

// TestEnrolOnePerson: the photos of one enrolment must show one person.
// Three different people (bona, joy, elkie) under one name are refused,
// naming the photos that differ, their distance and the same-person bound
// with its source, and nothing is enrolled; so are two photos of two people
// (both named: neither is more typical). The same photo three times is
// stored once, saying so. Before the check both enrolled silently, the
// first as one account of three people.
func TestEnrolOnePerson(t *testing.T) {
	c := newCLI(t)
	_, errOut := c.want(exitInput, "enrol", "--user", "mix", c.photo("bona.jpg"), c.photo("joy.jpg"), c.photo("elkie.jpg"))
	for _, want := range []string{"do not show one person", "same-person bound 0.450", "decision rules' Max", "nothing was enrolled"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("three people: stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := strings.Count(errOut, ".jpg is 0."); n != 2 {
		t.Errorf("three people: %d photos named as differing, want 2:\n%s", n, errOut)
	}
	_, errOut = c.want(exitInput, "enrol", "--user", "pair", c.photo("bona.jpg"), c.photo("elkie.jpg"))
	if !strings.Contains(errOut, "bona.jpg is 0.598 from elkie.jpg") || !strings.Contains(errOut, "elkie.jpg is 0.598 from bona.jpg") {
		t.Errorf("two people: %s", errOut)
	}
	out, _ := c.want(exitOK, "users", "list", "--json")
	if strings.TrimSpace(out) != "[]" {
		t.Fatalf("refused enrolments left users: %s", out)
	}
	out, errOut = c.want(exitOK, "enrol", "--user", "bona", c.photo("bona.jpg"), c.photo("bona.jpg"), c.photo("bona.jpg"))
	if out != "enrolled bona with 1 template(s)\n" || strings.Count(errOut, "is a copy of bona.jpg (photo 1) (distance 0.000 < 0.100)") != 2 {
		t.Errorf("the same photo three times: %q\n%s", out, errOut)
	}
	// Two photos of one person across occasions (0.421 apart) stay two.
	out, _ = c.want(exitOK, "enrol", "--user", "chaeyeon", c.photo("chaeyeon.jpg"), c.photo("chaeyeon3.jpg"))
	if out != "enrolled chaeyeon with 2 template(s)\n" {
		t.Errorf("one person, two photos: %q", out)
	}
}

// TestEnrolAddOthersFace: `enrol --add` refuses a photo its user's
// templates would not accept at login — bona.jpg is 0.430 from chaeyeon's
// only template, beyond her threshold 0.375 — instead of warning and adding
// it, after which bona's photo identified as chaeyeon. Near-copies within
// one call, or of a stored template, are not stored twice. An
// administrator's --allow-duplicate adds a far photo (chaeyeon2.jpg, her
// own, 0.431 away) with a warning and a duplicate_allowed audit line.
func TestEnrolAddOthersFace(t *testing.T) {
	c := newCLI(t)
	c.want(exitOK, "enrol", "--user", "chaeyeon", c.photo("chaeyeon.jpg"))
	_, errOut := c.want(exitInput, "enrol", "--add", "--user", "chaeyeon", c.photo("bona.jpg"))
	for _, want := range []string{"bona.jpg is 0.430 from chaeyeon's templates (threshold 0.375; too far)", "nothing was added", "--allow-duplicate"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if v, _ := loginJSON(t, c, exitNoMatch, "identify", c.photo("bona.jpg")); v.User != "" {
		t.Errorf("bona's photo identified as %q", v.User)
	}
	out, errOut := c.want(exitOK, "enrol", "--add", "--user", "chaeyeon", c.photo("chaeyeon3.jpg"), c.photo("chaeyeon3.jpg"))
	if out != "added 1 template(s) to chaeyeon (2 in all)\n" || !strings.Contains(errOut, "chaeyeon3.jpg (photo 2) is a copy of chaeyeon3.jpg (photo 1)") {
		t.Errorf("one photo twice: %q\n%s", out, errOut)
	}
	out, errOut = c.want(exitOK, "enrol", "--add", "--user", "chaeyeon", c.photo("chaeyeon3.jpg"))
	if !strings.HasPrefix(out, "nothing added to chaeyeon") || !strings.Contains(errOut, "is a copy of one of chaeyeon's templates (distance 0.000") {
		t.Errorf("a stored photo again: %q\n%s", out, errOut)
	}
	out, errOut = c.want(exitOK, "enrol", "--add", "--allow-duplicate", "--user", "chaeyeon", c.photo("chaeyeon2.jpg"))
	if out != "added 1 template(s) to chaeyeon (3 in all)\n" || !strings.Contains(errOut, "added anyway (--allow-duplicate)") {
		t.Errorf("override: %q\n%s", out, errOut)
	}
	evs := duplicateEvents(t, c)
	if len(evs) != 1 || evs[0].User != "chaeyeon" || !strings.Contains(evs[0].Detail, "chaeyeon2.jpg is 0.4") || !strings.Contains(evs[0].Detail, "--allow-duplicate") {
		t.Fatalf("duplicate_allowed events %+v", evs)
	}
}

// TestDisabledAmbiguous: a disabled user's face that is also close to
// another enrolled user — an identification the margin rule refuses as
// ambiguous — reads as a stranger's ("too far", no message), as the face of
// a disabled user alone does, in `identify --json` as in the window (both
// decide through Directory.Decide). Before, it said "ambiguous": that the
// face is close to enrolled people. The same photo is enrolled twice (an
// administrator's --allow-duplicate), so the two users are 0.000 apart and
// either may be the candidate; both are disabled.
func TestDisabledAmbiguous(t *testing.T) {
	c := newCLI(t)
	c.want(exitOK, "enrol", "--user", "bona", c.photo("bona.jpg"))
	c.want(exitOK, "enrol", "--user", "twin", "--allow-duplicate", c.photo("bona.jpg"))
	if v, _ := loginJSON(t, c, exitNoMatch, "identify", c.photo("bona.jpg")); v.Reason != "ambiguous" {
		t.Fatalf("two users 0.000 apart: reason %q, want ambiguous", v.Reason)
	}
	c.want(exitOK, "users", "disable", "bona")
	c.want(exitOK, "users", "disable", "twin")
	v, out := loginJSON(t, c, exitNoMatch, "identify", c.photo("bona.jpg"))
	if v.Reason != "too far" || v.Message != "" || v.User != "" || v.Candidate != "" || strings.Contains(out, "disabled") {
		t.Fatalf("a disabled user's ambiguous face: %s", out)
	}
}

// auditEvent is a line of `events --json`, as these tests read it.
type auditEvent struct {
	User   string `json:"user"`
	Detail string `json:"detail"`
}

// duplicateEvents are the duplicate_allowed lines of the audit log.
func duplicateEvents(t *testing.T, c *cli) []auditEvent {
	t.Helper()
	out, _ := c.want(exitOK, "events", "--kind", "duplicate_allowed", "--json")
	var evs []auditEvent
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatalf("events: %v\n%s", err, out)
	}
	return evs
}
