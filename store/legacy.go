package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"facelogin/recognition"
)

// LegacyDatabase is the old Flask demo's database name, used when a legacy
// MySQL DSN names none.
const LegacyDatabase = "face_recognition_db"

// legacyEncodingLen is the demo's encoding BLOB: 128 little-endian float64.
const legacyEncodingLen = recognition.DescriptorLen * 8

// LegacyReport says what ImportLegacy did with each row of the old table.
type LegacyReport struct {
	Rows     int
	Imported []string
	Skipped  []LegacySkip
}

// LegacySkip is a legacy row left out, and why.
type LegacySkip struct {
	Username string
	Reason   string
}

// OpenLegacy connects to the old demo's database: a MySQL DSN in any form
// Open accepts (the database defaults to face_recognition_db), or a SQLite
// file holding the same users table.
func OpenLegacy(ctx context.Context, dsn string, tlsOpt TLSConfig) (*sql.DB, error) {
	if dsn == "" {
		return nil, errors.New("store: legacy: empty dsn")
	}
	tgt, err := parseDSN(dsn, tlsOpt)
	if err != nil {
		return nil, err
	}
	var db *sql.DB
	switch tgt.backend {
	case SQLite:
		if _, err := os.Stat(tgt.path); err != nil {
			return nil, fmt.Errorf("store: legacy: %w", err)
		}
		db, err = sql.Open("sqlite", tgt.path+"?_pragma=query_only(1)")
		if err != nil {
			return nil, fmt.Errorf("store: legacy: %w", err)
		}
	case MySQL:
		if tgt.mysql.DBName == "" {
			tgt.mysql.DBName = LegacyDatabase
		}
		db, err = openMySQL(tgt.mysql)
		if err != nil {
			return nil, fmt.Errorf("store: legacy: %w", err)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: legacy: connect to %s: %w: %w", tgt.describe(), ErrUnavailable, err)
	}
	return db, nil
}

// ImportLegacy copies the users of the old demo's `users(username, encoding)`
// table into this store: one user with one template (model
// recognition.ModelID, quality 0: unknown) per row, each in its own
// transaction. Rows whose name breaks today's rules, whose encoding is not
// 128 finite float64, or whose name is already taken are skipped with the
// reason. Running it twice imports nothing new: a row already imported is
// recognised by a hash of its encoding.
func (s *Store) ImportLegacy(ctx context.Context, src *sql.DB) (*LegacyReport, error) {
	rows, err := src.QueryContext(ctx, "SELECT username, encoding FROM users ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: legacy: read users: %w", err)
	}
	type legacyRow struct {
		name string
		enc  []byte
	}
	var all []legacyRow
	for rows.Next() {
		var name, enc []byte
		if err := rows.Scan(&name, &enc); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: legacy: read users: %w", err)
		}
		all = append(all, legacyRow{string(name), enc})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: legacy: read users: %w", err)
	}

	rep := &LegacyReport{Rows: len(all)}
	for _, r := range all {
		shown := r.name
		if !utf8.ValidString(shown) {
			shown = strings.ToValidUTF8(shown, "\uFFFD")
		}
		skip := func(reason string) { rep.Skipped = append(rep.Skipped, LegacySkip{Username: shown, Reason: reason}) }
		name, err := normalizeUsername(r.name)
		if err != nil {
			skip(err.Error())
			continue
		}
		d, err := decodeLegacyEncoding(r.enc)
		if err != nil {
			skip(err.Error())
			continue
		}
		sum := sha256.Sum256(r.enc)
		source := "legacy:" + hex.EncodeToString(sum[:16])
		imported, reason, err := s.importOne(ctx, name, source, d)
		if err != nil {
			return rep, err
		}
		if imported {
			rep.Imported = append(rep.Imported, name)
		} else {
			skip(reason)
		}
	}
	return rep, nil
}

func (s *Store) importOne(ctx context.Context, name, source string, d recognition.Descriptor) (imported bool, reason string, err error) {
	const taken = "username already taken by another user"
	// Look first, so a re-run that imports nothing changes nothing (no
	// generation bump, no matcher reloads).
	var id int64
	err = s.db.QueryRowContext(ctx, "SELECT id FROM users WHERE username_key = ?", usernameKey(name)).Scan(&id)
	if err == nil {
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM face_templates WHERE user_id = ? AND source = ?", id, source).Scan(&n); err != nil {
			return false, "", s.wrap("import legacy user", err)
		}
		if n > 0 {
			return false, "already imported", nil
		}
		return false, taken, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, "", s.wrap("import legacy user", err)
	}
	err = s.change(ctx, "import legacy user", func(tx *sql.Tx) error {
		t := s.now()
		id, err := insertUser(ctx, tx, name, name, t)
		if err != nil {
			return err
		}
		if err := s.insertTemplates(ctx, tx, id, name, recognition.ModelID, source, []NewTemplate{{Descriptor: d}}, t); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, Event{Kind: EventImport, UserID: id, Username: name, Detail: "from the Flask demo"})
	})
	switch {
	case errors.Is(err, ErrExists): // taken between the look and the insert
		return false, taken, nil
	case err != nil:
		return false, "", err
	}
	return true, "", nil
}

// decodeLegacyEncoding converts the demo's 128 little-endian float64 to a
// descriptor, refusing anything that cannot be a dlib descriptor.
func decodeLegacyEncoding(b []byte) (recognition.Descriptor, error) {
	var d recognition.Descriptor
	if len(b) != legacyEncodingLen {
		return d, fmt.Errorf("encoding is %d bytes, want %d (128 float64)", len(b), legacyEncodingLen)
	}
	var norm float64
	for i := range d {
		v := math.Float64frombits(binary.LittleEndian.Uint64(b[i*8:]))
		// dlib descriptor components lie well inside ±1.
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 4 {
			return d, fmt.Errorf("encoding value %d is %v, not a face descriptor", i, v)
		}
		d[i] = float32(v)
		norm += v * v
	}
	if norm == 0 {
		return d, errors.New("encoding is all zeros")
	}
	return d, nil
}
