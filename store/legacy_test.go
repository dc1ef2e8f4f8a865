package store

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// legacyEncoding writes a descriptor as the demo did: 128 little-endian
// float64.
func legacyEncoding(d recognition.Descriptor) []byte {
	b := make([]byte, 0, legacyEncodingLen)
	for _, v := range d {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(v)))
	}
	return b
}

// legacySource makes the demo's users table, in MySQL (the demo's own
// database) or SQLite, and returns a DSN for OpenLegacy.
func legacySource(t *testing.T, backend string) (dsn string, db *sql.DB) {
	t.Helper()
	var err error
	switch backend {
	case "mysql":
		dsn = mysqlTestDB(t)
		db, err = sql.Open("mysql", dsn)
		if err == nil {
			_, err = db.Exec(`CREATE TABLE users (
				id INT AUTO_INCREMENT PRIMARY KEY,
				username VARCHAR(50) NOT NULL UNIQUE,
				encoding BLOB NOT NULL)`)
		}
	default:
		dsn = filepath.Join(t.TempDir(), "legacy.db")
		db, err = sql.Open("sqlite", dsn)
		if err == nil {
			_, err = db.Exec(`CREATE TABLE users (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				username VARCHAR(50) NOT NULL UNIQUE,
				encoding BLOB NOT NULL)`)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

func TestImportLegacy(t *testing.T) {
	seed := legacySeed(t)
	ann := idolDescriptors(t)[0]
	nan := legacyEncoding(idolDescriptors(t)[1])
	binary.LittleEndian.PutUint64(nan[80:], math.Float64bits(math.NaN()))
	rows := []struct {
		name string
		enc  []byte
	}{
		{"seed-user-1", seed},
		{"Ann", legacyEncoding(ann)},
		{"John Smith", legacyEncoding(idolDescriptors(t)[2])},
		{"short", legacyEncoding(idolDescriptors(t)[3])[:512]},
		{"nanny", nan},
		{"taken", legacyEncoding(idolDescriptors(t)[4])},
	}

	forEachBackend(t, func(t *testing.T, dsn string) {
		backend := "sqlite"
		if !strings.HasPrefix(dsn, "sqlite:") {
			backend = "mysql"
		}
		s, _ := openTest(t, dsn)
		ctx := ctxT(t)
		mustEnroll(t, s, "TAKEN", newTemplates(t, 50, 1)) // someone new already has the name

		srcDSN, src := legacySource(t, backend)
		for _, r := range rows {
			if _, err := src.Exec("INSERT INTO users (username, encoding) VALUES (?, ?)", r.name, r.enc); err != nil {
				t.Fatal(err)
			}
		}
		legacy, err := OpenLegacy(ctx, srcDSN, TLSConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer legacy.Close()

		wantSkip := map[string]string{
			"John Smith": "not allowed",
			"short":      "512 bytes",
			"nanny":      "NaN",
			"taken":      "already taken",
		}
		rep, err := s.ImportLegacy(ctx, legacy)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows != len(rows) || !slices.Equal(rep.Imported, []string{"seed-user-1", "Ann"}) || len(rep.Skipped) != len(wantSkip) {
			t.Fatalf("first import: %+v", rep)
		}
		for _, sk := range rep.Skipped {
			if !strings.Contains(sk.Reason, wantSkip[sk.Username]) {
				t.Errorf("%s skipped because %q, want %q", sk.Username, sk.Reason, wantSkip[sk.Username])
			}
		}

		// Safe to run twice: nothing new, the imported rows recognised, and
		// nothing changed.
		gen, _ := s.Generation(ctx)
		rep, err = s.ImportLegacy(ctx, legacy)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Imported) != 0 || len(rep.Skipped) != len(rows) {
			t.Fatalf("second import: %+v", rep)
		}
		for _, sk := range rep.Skipped[:2] {
			if sk.Reason != "already imported" {
				t.Errorf("second import: %s skipped because %q", sk.Username, sk.Reason)
			}
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM users"); n != 3 {
			t.Fatalf("%d users after two imports, want 3", n)
		}
		if gen2, _ := s.Generation(ctx); gen2 != gen {
			t.Fatalf("a re-run that imported nothing moved the generation %d -> %d", gen, gen2)
		}

		g, err := s.Templates.Load(ctx, recognition.ModelID)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := decodeLegacyEncoding(seed)
		found := 0
		for _, tp := range g.Templates {
			switch tp.Username {
			case "seed-user-1":
				found++
				if tp.Descriptor != want {
					t.Error("seed-user-1's descriptor changed on import")
				}
			case "Ann":
				found++
				if tp.Descriptor != ann {
					t.Error("Ann's descriptor did not survive float64 and back")
				}
			}
		}
		if found != 2 {
			t.Fatalf("%d imported templates in the gallery, want 2", found)
		}
		evs, _ := s.Events.List(ctx, EventFilter{Kinds: []EventKind{EventImport}})
		if len(evs) != 2 {
			t.Fatalf("%d import events, want 2", len(evs))
		}
	})
}

// OpenLegacy defaults to the demo's database name and says clearly when the
// legacy server is down.
func TestOpenLegacy(t *testing.T) {
	t.Run("default database", func(t *testing.T) {
		dsn := mysqlTestDB(t)
		root := dsn[:strings.LastIndex(dsn, "/")+1]
		if sharedMaria == nil {
			// It creates and drops the demo's database by its real name:
			// only on the server the tests start, never on a shared one.
			testdata.Require(t, "the tests' private MariaDB", errors.New("FACELOGIN_TEST_MYSQL names another server"))
		}
		if err := sharedMaria.Admin("CREATE DATABASE IF NOT EXISTS " + LegacyDatabase); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sharedMaria.Admin("DROP DATABASE " + LegacyDatabase) })
		db, err := OpenLegacy(ctxT(t), root, TLSConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var name string
		if err := db.QueryRow("SELECT DATABASE()").Scan(&name); err != nil || name != LegacyDatabase {
			t.Fatalf("connected to %q, %v", name, err)
		}
	})
	t.Run("down", func(t *testing.T) {
		_, err := OpenLegacy(ctxT(t), "root:pw@tcp(127.0.0.1:1)/", TLSConfig{})
		if !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "pw") {
			t.Fatalf("OpenLegacy = %v", err)
		}
	})
	t.Run("missing table", func(t *testing.T) {
		s, _ := openTest(t, "sqlite:"+filepath.Join(t.TempDir(), "f.db"))
		empty := filepath.Join(t.TempDir(), "empty.db")
		if err := os.WriteFile(empty, nil, 0o600); err != nil { // an empty SQLite database
			t.Fatal(err)
		}
		if _, err := OpenLegacy(ctxT(t), empty+".missing", TLSConfig{}); err == nil {
			t.Fatal("OpenLegacy created a missing file")
		}
		db, err := OpenLegacy(ctxT(t), empty, TLSConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := s.ImportLegacy(ctxT(t), db); err == nil || !strings.Contains(err.Error(), "legacy") {
			t.Fatalf("import from a database without users: %v", err)
		}
	})
}
