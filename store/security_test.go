package store

import (
	"bytes"
	"context"
	"database/sql"
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
		a, b, d := samePerson(t, recognition.DefaultThreshold)
		t.Logf("two photos of one person %.3f apart", d)
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

// TestNamesThatLookAlike: the field report's names, and kinds like them:
// normalised (NFKC) to an existing name, refused for an invisible code
// point, or refused because their UTS #39 skeleton is an existing user's —
// at enrolment, at CheckName and at rename. Names that only resemble each
// other as words still enrol.
func TestNamesThatLookAlike(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		for i, n := range []string{"admin", "alice", "mm", "user0", "ivan"} {
			mustEnroll(t, s, n, newTemplates(t, 10*i, 1))
		}
		for _, tc := range []struct {
			name, typed string
			want        error
		}{
			{"Cyrillic а", "\u0430dmin", ErrConfusableName},
			{"Greek ο in admin", "adm\u0456n", ErrConfusableName},
			{"Cherokee Ꭺ (listed only in upper case)", "\u13aadmin", ErrConfusableName},
			{"fullwidth ａlice", "\uff41lice", ErrExists},
			{"fullwidth ＡＤＭＩＮ", "\uff21\uff24\uff2d\uff29\uff2e", ErrExists},
			{"alice + U+034F", "alice\u034f", ErrInvalidName},
			{"alice + U+3164 filler", "alice\u3164", ErrInvalidName},
			{"U+3164 fillers only", "\u3164\u3164\u3164", ErrInvalidName},
			{"U+FFA0 filler", "ali\uffa0ce", ErrInvalidName},
			{"zero-width joiner", "ali\u200dce", ErrInvalidName},
			{"soft hyphen", "ali\u00adce", ErrInvalidName},
			{"variation selector", "alice\ufe0f", ErrInvalidName},
			{"rn for m", "rnrn", ErrConfusableName},
			{"letter o for zero", "usero", ErrConfusableName},
			{"upper case", "ALICE", ErrExists},
			{"mathematical alice", "\U0001d41a\U0001d425\U0001d422\U0001d41c\U0001d41e", ErrExists},
			{"a distinct name", "alicia", nil},
			{"accented", "adm\u00edn", nil}, // admín: the accent shows
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := s.Users.CheckName(ctx, tc.typed)
				if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
					t.Fatalf("CheckName(%q) = %v, want %v", tc.typed, err, tc.want)
				}
				_, err = s.Users.Enroll(ctx, Enrollment{Username: tc.typed, ModelID: recognition.ModelID, Templates: newTemplates(t, 200, 1)})
				if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
					t.Fatalf("Enroll(%q) = %v, want %v", tc.typed, err, tc.want)
				}
				// Said once: not "looks like an existing one … looks like
				// the existing user … already exists".
				if tc.want == ErrConfusableName && (strings.Count(err.Error(), "looks like") != 1 || strings.Contains(err.Error(), "already exists")) {
					t.Fatalf("Enroll(%q): %q says it twice", tc.typed, err)
				}
				if tc.want == nil {
					if err := s.Users.Delete(ctx, tc.typed); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
		if _, err := s.Users.Rename(ctx, "mm", "\u0430dmin"); !errors.Is(err, ErrConfusableName) {
			t.Fatalf("rename to a lookalike: %v", err)
		}
		if _, err := s.Users.Rename(ctx, "admin", "Admin"); err != nil {
			t.Fatalf("rename to another case of one's own name: %v", err)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM users"); n != 5 {
			t.Fatalf("%d users, want the 5 first", n)
		}
	})
}

// TestSealBindsName: someone who can write the database swaps two users'
// names (both columns, or only the key). Neither then identifies nor
// verifies as the other: the templates are sealed to the name. A rename
// through the store re-seals in the same transaction, so templates keep
// opening under the new name.
func TestSealBindsName(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		ann := mustEnroll(t, s, "ann", newTemplates(t, 0, 2))
		bob := mustEnroll(t, s, "bob", newTemplates(t, 100, 2))
		if _, err := s.Users.Rename(ctx, "ann", "anna"); err != nil {
			t.Fatal(err)
		}
		g, err := s.Templates.Load(ctx, recognition.ModelID)
		if err != nil || len(g.Templates) != 4 || len(g.Skipped) != 0 {
			t.Fatalf("after rename: %d templates, %d skipped, %v", len(g.Templates), len(g.Skipped), err)
		}
		swap := func(col string) {
			t.Helper()
			tx, err := s.db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			var a, b string
			tx.QueryRowContext(ctx, "SELECT "+col+" FROM users WHERE id = ?", ann.ID).Scan(&a)
			tx.QueryRowContext(ctx, "SELECT "+col+" FROM users WHERE id = ?", bob.ID).Scan(&b)
			for _, st := range []struct {
				v  string
				id int64
			}{{"swap-tmp", ann.ID}, {a, bob.ID}, {b, ann.ID}} {
				if _, err := tx.ExecContext(ctx, "UPDATE users SET "+col+" = ? WHERE id = ?", st.v, st.id); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		swap("username")
		swap("username_key")
		g, err = s.Templates.Load(ctx, recognition.ModelID)
		if err != nil || len(g.Templates) != 0 || len(g.Skipped) != 4 {
			t.Fatalf("after swapping names: %d templates open, %d skipped, %v; want 0 and 4", len(g.Templates), len(g.Skipped), err)
		}
		for _, name := range []string{"anna", "bob"} {
			if _, ts, err := s.Templates.ForUser(ctx, name, recognition.ModelID); err != nil || len(ts) != 0 {
				t.Fatalf("verify as %s after the swap: %d templates open, %v", name, len(ts), err)
			}
		}
		// Only the keys swapped back: the rows disagree with themselves.
		swap("username_key")
		if _, _, err := s.Templates.ForUser(ctx, "anna", recognition.ModelID); !errors.Is(err, ErrTampered) {
			t.Fatalf("verify with a row whose name and key differ: %v, want ErrTampered", err)
		}
	})
}

// TestMigrateSealsToNames: a database from before names were bound
// (schema version 2, version-1 seals) opens with every template intact and
// re-sealed to its user's name; a version-1 seal copied in afterwards (from
// an old backup) no longer opens.
func TestMigrateSealsToNames(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		mustEnroll(t, s, "ann", newTemplates(t, 0, 2))
		mustEnroll(t, s, "bob", newTemplates(t, 50, 1))
		before, err := s.Templates.Load(ctx, recognition.ModelID)
		if err != nil || len(before.Templates) != 3 {
			t.Fatalf("%v", err)
		}
		// Make it the database an older facelogin left.
		v1 := map[int64][]byte{}
		for _, tp := range before.Templates {
			sealed, err := s.seal.seal(sealV1, float32Bytes(tp.Descriptor[:]), templateADv1(tp.UserID, recognition.ModelID))
			if err != nil {
				t.Fatal(err)
			}
			v1[tp.ID] = sealed
			if _, err := s.db.ExecContext(ctx, "UPDATE face_templates SET sealed = ? WHERE id = ?", sealed, tp.ID); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []string{"ALTER TABLE store_state DROP COLUMN seal_version", "DELETE FROM schema_migrations WHERE version = 3"} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		s.Close()

		s2, log := openTest(t, dsn)
		after, err := s2.Templates.Load(ctx, recognition.ModelID)
		if err != nil || len(after.Templates) != 3 || len(after.Skipped) != 0 {
			t.Fatalf("after the upgrade: %d templates, %d skipped, %v\n%s", len(after.Templates), len(after.Skipped), err, log)
		}
		for i := range after.Templates {
			if after.Templates[i].Descriptor != before.Templates[i].Descriptor || after.Templates[i].Username != before.Templates[i].Username {
				t.Fatalf("template %d changed in the upgrade", after.Templates[i].ID)
			}
		}
		if n := countRows(t, s2, "SELECT COUNT(*) FROM store_state WHERE seal_version = 2"); n != 1 {
			t.Fatal("seal_version not 2 after the upgrade")
		}
		// An old row put back is refused from now on, also after reopening.
		id := before.Templates[0].ID
		if _, err := s2.db.ExecContext(ctx, "UPDATE face_templates SET sealed = ? WHERE id = ?", v1[id], id); err != nil {
			t.Fatal(err)
		}
		s2.Close()
		s3, _ := openTest(t, dsn)
		g, err := s3.Templates.Load(ctx, recognition.ModelID)
		if err != nil || len(g.Templates) != 2 || len(g.Skipped) != 1 || g.Skipped[0].TemplateID != id {
			t.Fatalf("a version-1 seal after the upgrade: %d open, skipped %+v, %v", len(g.Templates), g.Skipped, err)
		}
	})
}

// TestKeyCheckTampered: with the key check removed while templates exist,
// no key is accepted — neither the right one nor another — and the key
// check is not rewritten; a database without templates gets one as before.
func TestKeyCheckTampered(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		mustEnroll(t, s, "ann", newTemplates(t, 0, 2))
		if _, err := s.db.ExecContext(ctx, "UPDATE store_state SET key_check = NULL WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		for _, key := range [][]byte{testKey, bytes.Repeat([]byte{7}, KeySize)} {
			cfg := testConfig(dsn, &logBuf{})
			cfg.Key = key
			s, err := Open(ctx, cfg)
			if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "key check is missing") {
				if s != nil {
					s.Close()
				}
				t.Fatalf("Open with key %x…: %v, want ErrTampered", key[:2], err)
			}
		}
		raw := rawDB(t, dsn)
		var kc []byte
		if err := raw.QueryRowContext(ctx, "SELECT key_check FROM store_state WHERE id = 1").Scan(&kc); err != nil || kc != nil {
			t.Fatalf("key check rewritten over existing templates: %x, %v", kc, err)
		}
		// Once the templates are gone (restored or re-enrolled), a key
		// check is written again.
		if _, err := raw.ExecContext(ctx, "DELETE FROM face_templates"); err != nil {
			t.Fatal(err)
		}
		s, _ = openTest(t, dsn)
		if n := countRows(t, s, "SELECT COUNT(*) FROM store_state WHERE key_check IS NOT NULL"); n != 1 {
			t.Fatal("no key check written into a database without templates")
		}
	})
}

// TestKeyCheckCopied: a key check copied in from another database (made
// with another key) does not hand this one to that key: templates exist and
// none opens with it, so Open refuses as altered, and nothing is written.
func TestKeyCheckCopied(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		mustEnroll(t, s, "ann", newTemplates(t, 0, 2))
		s.Close()
		other := bytes.Repeat([]byte{7}, KeySize)
		raw := rawDB(t, dsn)
		setKeyCheck(t, raw, keyCheckOf(t, other))
		cfg := testConfig(dsn, &logBuf{})
		cfg.Key = other
		if s, err := Open(ctx, cfg); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "none of its 2 face templates") {
			if s != nil {
				s.Close()
			}
			t.Fatalf("Open with the copied key check's key: %v, want ErrTampered", err)
		}
		var n int
		if err := raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM face_templates").Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d templates after the refusal (%v), want 2", n, err)
		}
	})
}

// TestKeyCheckDamaged: a key check that is overwritten, damaged or
// replaced, or a store_state row or table that is gone, is an altered
// database (ErrTampered, "restore it from a backup"), not a wrong key
// ("use the key file … this database was created with"): with the right key the templates open, and a
// damaged key check does not have the shape of one. A sound key check made
// by another key is still a wrong key for that other key's holder.
func TestKeyCheckDamaged(t *testing.T) {
	other := bytes.Repeat([]byte{7}, KeySize)
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*151 + 89) // first byte 89: not a seal version
		}
		return b
	}
	for _, tc := range []struct {
		name  string
		alter func(t *testing.T, raw *sql.DB, kc []byte)
		key   []byte
		want  error
		says  string
	}{
		{"60 random bytes", func(t *testing.T, raw *sql.DB, _ []byte) { setKeyCheck(t, raw, random(60)) }, testKey, ErrTampered, "key check is damaged (60 bytes"},
		{"48 random bytes", func(t *testing.T, raw *sql.DB, _ []byte) { setKeyCheck(t, raw, random(keyCheckLen)) }, testKey, ErrTampered, "key check is damaged (48 bytes"},
		{"60 random bytes, another key", func(t *testing.T, raw *sql.DB, _ []byte) { setKeyCheck(t, raw, random(60)) }, other, ErrTampered, "key check is damaged"},
		{"one byte of the tag flipped", func(t *testing.T, raw *sql.DB, kc []byte) {
			kc = append([]byte(nil), kc...)
			kc[len(kc)-1] ^= 1
			setKeyCheck(t, raw, kc)
		}, testKey, ErrTampered, "the key check was altered"},
		{"another key's key check, the right key", func(t *testing.T, raw *sql.DB, _ []byte) { setKeyCheck(t, raw, keyCheckOf(t, other)) }, testKey, ErrTampered, "the key check was altered"},
		{"row deleted", func(t *testing.T, raw *sql.DB, _ []byte) { execRaw(t, raw, "DELETE FROM store_state") }, testKey, ErrTampered, "store_state row"},
		{"table dropped", func(t *testing.T, raw *sql.DB, _ []byte) { execRaw(t, raw, "DROP TABLE store_state") }, testKey, ErrTampered, "store_state row"},
		{"untouched, another key", func(*testing.T, *sql.DB, []byte) {}, other, ErrWrongKey, "key from Config.Key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, dsn string) {
				s, _ := openTest(t, dsn)
				mustEnroll(t, s, "ann", newTemplates(t, 0, 2))
				kc := make([]byte, 0)
				if err := s.db.QueryRowContext(ctxT(t), "SELECT key_check FROM store_state WHERE id = 1").Scan(&kc); err != nil {
					t.Fatal(err)
				}
				s.Close()
				raw := rawDB(t, dsn)
				tc.alter(t, raw, kc)
				cfg := testConfig(dsn, &logBuf{})
				cfg.Key = tc.key
				s, err := Open(ctxT(t), cfg)
				if s != nil {
					s.Close()
				}
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
					t.Fatalf("Open: %v, want %v saying %q", err, tc.want, tc.says)
				}
				if tc.want == ErrTampered && errors.Is(err, ErrWrongKey) {
					t.Fatalf("Open: %v is also ErrWrongKey", err)
				}
			})
		})
	}
}

// keyCheckOf is the key check key makes.
func keyCheckOf(t *testing.T, key []byte) []byte {
	t.Helper()
	sl, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := sl.keyCheck()
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

func setKeyCheck(t *testing.T, raw *sql.DB, kc []byte) {
	t.Helper()
	if _, err := raw.ExecContext(ctxT(t), "UPDATE store_state SET key_check = ? WHERE id = 1", kc); err != nil {
		t.Fatal(err)
	}
}

func execRaw(t *testing.T, raw *sql.DB, query string) {
	t.Helper()
	if _, err := raw.ExecContext(ctxT(t), query); err != nil {
		t.Fatal(err)
	}
}

// rawDB opens a test database with no store around it.
func rawDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	tgt, err := parseDSN(dsn, TLSConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var db *sql.DB
	if tgt.backend == SQLite {
		db, err = sql.Open("sqlite", tgt.path)
	} else {
		db, err = openMySQL(tgt.mysql)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestDeletedTemplatesGone: after a user is deleted, or their templates
// replaced, the sealed bytes of the old templates are nowhere in the SQLite
// database files (main file, -wal, -shm), not even in part, while another
// station keeps the database open.
func TestDeletedTemplatesGone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "facelogin.db")
	s, _ := openTest(t, "sqlite:"+path)
	other, _ := openTest(t, "sqlite:"+path) // a second station with the file open
	ctx := ctxT(t)
	sealedOf := func(name string) [][]byte {
		t.Helper()
		rows, err := s.db.QueryContext(ctx, "SELECT t.sealed FROM face_templates t JOIN users u ON u.id = t.user_id WHERE u.username = ?", name)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out [][]byte
		for rows.Next() {
			var b []byte
			rows.Scan(&b)
			out = append(out, b)
		}
		if len(out) == 0 {
			t.Fatalf("%s has no templates", name)
		}
		return out
	}
	for i := range 30 { // enough rows for several pages and WAL frames
		mustEnroll(t, s, fmt.Sprintf("user%02d", i), newTemplates(t, 3*i, 3))
	}
	if _, err := other.Templates.Load(ctx, recognition.ModelID); err != nil {
		t.Fatal(err)
	}
	gone := sealedOf("user07")
	if err := s.Users.Delete(ctx, "user07"); err != nil {
		t.Fatal(err)
	}
	gone = append(gone, sealedOf("user08")...)
	if err := s.Users.ReplaceTemplates(ctx, "user08", recognition.ModelID, newTemplates(t, 500, 2)); err != nil {
		t.Fatal(err)
	}
	gone = append(gone, sealedOf("user09")...)
	if _, err := s.Users.Rename(ctx, "user09", "nine"); err != nil {
		t.Fatal(err)
	}
	kept := sealedOf("user10")
	var files []string
	var all []byte
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(path + suffix)
		if err == nil {
			files = append(files, fmt.Sprintf("%s%s (%d bytes)", filepath.Base(path), suffix, len(b)))
			all = append(all, b...)
			all = append(all, 0xFF, 0xFE, 0xFD) // no match across files
		}
	}
	if !bytes.Contains(all, kept[0][13:45]) {
		t.Fatalf("the test cannot see a kept template in %v", files)
	}
	for i, b := range gone {
		// The whole blob, and any 16-byte piece of its ciphertext.
		for off := 13; off+16 <= len(b); off += 16 {
			if bytes.Contains(all, b[off:off+16]) {
				t.Fatalf("removed template %d: bytes %d–%d still in %v", i, off, off+16, files)
			}
		}
	}
}

// TestDatabaseFileMode: a database file (and WAL) others may read is
// narrowed to 0600 at Open, and people are told.
func TestDatabaseFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "facelogin.db")
	s, _ := openTest(t, "sqlite:"+path)
	mustEnroll(t, s, "ann", newTemplates(t, 0, 1))
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+"-wal", nil, 0o644); err != nil { // as a copy with cp would leave it
		t.Fatal(err)
	}
	if err := os.Chmod(path+"-wal", 0o644); err != nil {
		t.Fatal(err)
	}
	s2, log := openTest(t, "sqlite:"+path)
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o after Open, want 0600", p, fi.Mode().Perm())
		}
	}
	n := strings.Join(s2.Notices(), "\n")
	if !strings.Contains(n, "0644") || !strings.Contains(n, "0600") || !strings.Contains(log.String(), "0644") {
		t.Fatalf("not told: notices %q", n)
	}
}

// TestMistypedPathNotCreated: a SQLite path that does not exist is refused,
// creating neither the file nor its directories, unless Create is set; the
// default location is created (TestFirstRunDefaults).
func TestMistypedPathNotCreated(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "facelgoin", "facelogin.db")
	cfg := testConfig("sqlite:"+typo, &logBuf{})
	cfg.Create = false
	if s, err := Open(ctxT(t), cfg); !errors.Is(err, ErrNoDatabase) || !strings.Contains(err.Error(), "--create") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open(mistyped path) = %v, want ErrNoDatabase naming --create", err)
	}
	if _, err := os.Stat(filepath.Dir(typo)); !os.IsNotExist(err) {
		t.Fatalf("the mistyped path's directory was created: %v", err)
	}
	cfg.Create = true
	s, err := Open(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, err := os.Stat(typo); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("created: %v, %v", fi, err)
	}
	cfg.Create = false // it exists now
	if s, err = Open(ctxT(t), cfg); err != nil {
		t.Fatal(err)
	}
	s.Close()
}
