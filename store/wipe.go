package store

import (
	"context"
	"database/sql"
	"time"
)

// scrub makes deleted template bytes unrecoverable from the SQLite files
// after a change that removed or re-sealed templates. secure_delete (set on
// every connection) overwrites deleted cells and freed pages with zeros,
// but in WAL mode the pages as they were stay in the -wal file until a
// checkpoint copies the new ones over, and old frames stay in the file
// until it is truncated: wal_checkpoint(TRUNCATE) does both. A checkpoint
// held up by a reader (another process reading) is retried for a few
// seconds and then logged; the next change's checkpoint finishes it.
//
// MySQL (InnoDB) keeps deleted rows in its pages until purge and page reuse,
// and in the redo and undo logs; the README says what an administrator runs.
func (s *Store) scrub(ctx context.Context) {
	if s.tgt.backend != SQLite {
		return
	}
	ctx = context.WithoutCancel(ctx)
	delay := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		var busy, logFrames, done int
		err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done)
		if err == nil && busy == 0 {
			return
		}
		if attempt == 8 {
			s.log.Warn("store: deleted templates may stay in the WAL file until the next checkpoint", "busy", busy, "err", err)
			return
		}
		time.Sleep(delay)
		delay *= 2
	}
}

// upgradeSeals re-seals version-1 templates (bound to the user id only) as
// version 2 (bound to the user's name too), all in one transaction, once:
// store_state.seal_version then says 2 and version-1 seals never open
// again, so a row an attacker copies in from an old backup stays
// unusable. Rows that do not open are left as they are (they were unusable
// already) and logged. On SQLite the database is then vacuumed, so bytes of
// templates deleted before secure_delete was on are gone too.
func (s *Store) upgradeSeals(ctx context.Context) error {
	var v int
	if err := s.db.QueryRowContext(ctx, "SELECT seal_version FROM store_state WHERE id = 1").Scan(&v); err != nil {
		return s.wrap("read seal version", err)
	}
	if v >= sealV2 {
		return nil
	}
	resealed := 0
	err := s.change(ctx, "upgrade template seals", func(tx *sql.Tx) error {
		resealed = 0
		if err := tx.QueryRowContext(ctx, "SELECT seal_version FROM store_state WHERE id = 1").Scan(&v); err != nil {
			return err
		}
		if v >= sealV2 {
			return nil // another station did it first
		}
		rs, err := readSealed(ctx, tx, "")
		if err != nil {
			return err
		}
		for _, r := range rs {
			d, err := s.seal.openDescriptorV1(r.sealed, r.user, r.model)
			if err != nil {
				s.log.Warn("store: upgrade: template left as it was", "template", r.id, "user", r.user, "reason", err)
				continue
			}
			sealed, err := s.seal.sealFor(&d, r.binding())
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE face_templates SET sealed = ? WHERE id = ?", sealed, r.id); err != nil {
				return err
			}
			resealed++
		}
		_, err = tx.ExecContext(ctx, "UPDATE store_state SET seal_version = ? WHERE id = 1", sealV2)
		return err
	})
	if err != nil {
		return err
	}
	if resealed > 0 {
		s.log.Info("store: templates re-sealed with their user's name", "templates", resealed)
		if s.tgt.backend == SQLite {
			if _, err := s.db.ExecContext(ctx, "VACUUM"); err != nil {
				s.log.Warn("store: vacuum after re-sealing", "err", err)
			}
		}
	}
	s.scrub(ctx)
	return nil
}

// sealedRow is a template row with what its seal is bound to.
type sealedRow struct {
	id, user int64
	name     string // the users row's name
	model    string
	kind     TemplateKind
	created  int64
	sealed   []byte
}

// binding is what the row's version-2 seal is bound to under its users
// row's name.
func (r sealedRow) binding() binding {
	return binding{userID: r.user, nameKey: usernameKey(r.name), modelID: r.model, kind: r.kind, created: r.created}
}

// readSealed reads template rows (all, or those matching where, a condition
// on t and u with args) into memory, so the caller can update them in the
// same transaction.
func readSealed(ctx context.Context, tx *sql.Tx, where string, args ...any) ([]sealedRow, error) {
	q := `SELECT t.id, t.user_id, u.username, t.model_id, t.kind, t.created_at, t.sealed FROM face_templates t JOIN users u ON u.id = t.user_id`
	if where != "" {
		q += " WHERE " + where
	}
	rows, err := tx.QueryContext(ctx, q+" ORDER BY t.id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []sealedRow
	for rows.Next() {
		var r sealedRow
		var kind string
		if err := rows.Scan(&r.id, &r.user, &r.name, &r.model, &kind, &r.created, &r.sealed); err != nil {
			return nil, err
		}
		r.kind = TemplateKind(kind)
		rs = append(rs, r)
	}
	return rs, rows.Err()
}
