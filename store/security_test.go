package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// samePerson returns two different descriptors of one person from
// idols.json (made by dlib's own model from two photos) within distance
// below of each other: another photo of an enrolled person.
func samePerson(t testing.TB, below float32) (a, b recognition.Descriptor, dist float32) {
	t.Helper()
	all := testIdols(t)
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if all[i].ID != all[j].ID {
				continue
			}
			if d := recognition.Distance(&all[i].Descriptor, &all[j].Descriptor); d > 0.05 && d < below {
				return all[i].Descriptor, all[j].Descriptor, d
			}
		}
	}
	t.Fatalf("no same-person pair below %.3f in idols.json", below)
	return
}

// TestDuplicateFace: another photo of an enrolled person does not enrol
// under a new name; an administrator's explicit Allow enrols it with a
// warning, an audit event and the match returned; a different person and a
// check with no threshold enrol as before.
func TestDuplicateFace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, log := openTest(t, dsn)
		ctx := ctxT(t)
		first, second, dist := samePerson(t, recognition.DefaultThreshold)
		check := DuplicateCheck{Threshold: recognition.DefaultThreshold}
		mustEnroll(t, s, "ann", []NewTemplate{{Descriptor: first}})

		_, err := s.Users.Enroll(ctx, Enrollment{Username: "ann2", ModelID: recognition.ModelID,
			Templates: []NewTemplate{{Descriptor: second}}, Duplicates: check})
		var de *DuplicateError
		if !errors.Is(err, ErrDuplicateFace) || !errors.As(err, &de) || de.Username != "ann" || de.Distance != dist {
			t.Fatalf("second photo of ann as ann2: %v, want a DuplicateError naming ann at %.3f", err, dist)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM users"); n != 1 {
			t.Fatalf("%d users after a refused duplicate", n)
		}

		var other recognition.Descriptor
		for _, idol := range testIdols(t) {
			if recognition.Distance(&idol.Descriptor, &first) > 0.6 {
				other = idol.Descriptor
				break
			}
		}
		if _, err := s.Users.Enroll(ctx, Enrollment{Username: "bob", ModelID: recognition.ModelID,
			Templates: []NewTemplate{{Descriptor: other}}, Duplicates: check}); err != nil {
			t.Fatalf("a different person: %v", err)
		}

		allow := check
		allow.Allow = true
		u, dups, err := s.Users.EnrollChecked(ctx, Enrollment{Username: "ann-twin", ModelID: recognition.ModelID,
			Templates: []NewTemplate{{Descriptor: second}}, Duplicates: allow})
		if err != nil || len(dups) != 1 || dups[0].Username != "ann" {
			t.Fatalf("allowed duplicate: %v, %+v", err, dups)
		}
		evs, err := s.Events.List(ctx, EventFilter{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range evs {
			found = found || e.Kind == EventDuplicateAllowed && strings.Contains(e.Detail, "ann")
		}
		if !found || !strings.Contains(log.String(), "duplicate allowed") {
			t.Fatalf("allowed duplicate not in the audit log (%+v) or the log", evs)
		}
	})
}

// enrolHelperEnv makes the test binary a station that enrols one user and
// exits (see TestMain): DSN, hex key, name, then the descriptor as hex.
const enrolHelperEnv = "FACELOGIN_TEST_ENROL"

func enrolHelper() int {
	f := strings.Split(os.Getenv(enrolHelperEnv), " ")
	key, _ := hex.DecodeString(f[1])
	raw, _ := hex.DecodeString(f[3])
	var d recognition.Descriptor
	for i := range d {
		d[i] = float32frombytes(raw[4*i:])
	}
	s, err := Open(context.Background(), Config{DSN: f[0], Key: key, Station: f[2], MaxEvents: -1})
	if err != nil {
		fmt.Println("open:", err)
		return 2
	}
	defer s.Close()
	// Start line: say ready, wait for the go file, so every station
	// enrols at the same moment.
	barrier := f[4]
	os.WriteFile(barrier+"."+f[2], nil, 0o600)
	for {
		if _, err := os.Stat(barrier); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	_, err = s.Users.Enroll(context.Background(), Enrollment{Username: f[2], ModelID: recognition.ModelID,
		Templates: []NewTemplate{{Descriptor: d}}, Duplicates: DuplicateCheck{Threshold: recognition.DefaultThreshold}})
	switch {
	case err == nil:
		fmt.Println("enrolled")
		return 0
	case errors.Is(err, ErrDuplicateFace):
		fmt.Println("duplicate")
		return 1
	}
	fmt.Println("enrol:", err)
	return 2
}

// TestDuplicateFaceAcrossProcesses: the field report's four parallel
// `enrol` runs of one photo under four names, as four processes sharing a
// database: exactly one account results, the others are refused as
// duplicates. Run twice over with photos of one person differing by up to
// the threshold.
func TestDuplicateFaceAcrossProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn) // migrated, key check written
		a, b, _ := samePerson(t, recognition.DefaultThreshold)
		for round, ds := range [][]recognition.Descriptor{{a, a, a, a}, {a, b, a, b}} {
			if round > 0 {
				if _, err := s.db.ExecContext(ctxT(t), "DELETE FROM users"); err != nil {
					t.Fatal(err)
				}
			}
			cmds := make([]*exec.Cmd, len(ds))
			outs := make([]*bytes.Buffer, len(ds))
			barrier := filepath.Join(t.TempDir(), "go")
			for i, d := range ds {
				name := fmt.Sprintf("station%d", i)
				cmds[i] = exec.Command(os.Args[0], "-test.run=^$")
				cmds[i].Env = append(os.Environ(), fmt.Sprintf("%s=%s %x %s %x %s", enrolHelperEnv, dsn, testKey, name, descriptorBytes(d), barrier))
				outs[i] = &bytes.Buffer{}
				cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
				if err := cmds[i].Start(); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(2 * time.Minute)
			for i := range ds {
				for {
					if _, err := os.Stat(fmt.Sprintf("%s.station%d", barrier, i)); err == nil {
						break
					}
					if time.Now().After(deadline) {
						for _, c := range cmds {
							c.Process.Kill()
						}
						t.Fatalf("station %d never got ready: %s", i, outs[i])
					}
					time.Sleep(time.Millisecond)
				}
			}
			if err := os.WriteFile(barrier, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			enrolled, dup := 0, 0
			for i, c := range cmds {
				err := c.Wait()
				out := strings.TrimSpace(outs[i].String())
				switch {
				case err == nil && out == "enrolled":
					enrolled++
				case out == "duplicate":
					dup++
				default:
					t.Errorf("station %d: %v: %s", i, err, out)
				}
			}
			if enrolled != 1 || dup != len(ds)-1 {
				t.Fatalf("round %d: %d enrolled, %d refused as duplicates; want 1 and %d", round, enrolled, dup, len(ds)-1)
			}
			if n := countRows(t, s, "SELECT COUNT(*) FROM users"); n != 1 {
				t.Fatalf("round %d: %d accounts for one face", round, n)
			}
		}
	})
}

func descriptorBytes(d recognition.Descriptor) []byte { return float32Bytes(d[:]) }

func float32frombytes(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }

func testIdols(t testing.TB) []testdata.Idol { return testdata.Idols(t) }
