package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"facelogin/recognition"
)

// DuplicateCheck says how Enroll treats a face that is already enrolled
// under another name (one person, two accounts).
type DuplicateCheck struct {
	// Threshold > 0: a new template within this Euclidean distance of
	// another user's template of the same model is the same person (use
	// the matcher's threshold, recognition.DefaultThreshold). 0 checks
	// nothing.
	Threshold float32
	// Allow enrols anyway (an administrator's explicit choice): the match
	// is logged as a warning, written to the audit log
	// (EventDuplicateAllowed) and returned by EnrollChecked.
	Allow bool
	// Overrides are an administrator's reasons for adding templates
	// although a check outside the store refused them (`enrol --add
	// --allow-duplicate` of a photo beyond the user's own threshold):
	// AddTemplatesChecked writes each to the audit log as an
	// EventDuplicateAllowed event, in the insert's transaction.
	Overrides []Override
}

// Override is one refusal an administrator overrode, for the audit log.
type Override struct {
	Distance float32
	Detail   string
}

// Duplicate is an existing user a face being enrolled matched.
type Duplicate struct {
	UserID   int64
	Username string
	Distance float32 // nearest template of theirs to any new template
}

// DuplicateError is Enroll's refusal of a face already enrolled; it wraps
// ErrDuplicateFace.
type DuplicateError struct {
	Duplicate
	Threshold float32
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%v: matches user %q at distance %.3f (threshold %.3f)", ErrDuplicateFace, e.Username, e.Distance, e.Threshold)
}

func (e *DuplicateError) Unwrap() error { return ErrDuplicateFace }

// findDuplicates compares the new templates with every stored template of
// modelID, inside the enrolment's transaction, and returns the users within
// threshold, nearest first. On MySQL the rows are read with a shared lock,
// so they are the latest committed ones whatever the transaction's snapshot.
//
// self (0: none) is the user the templates are for: their own templates
// are not duplicates (`enrol --add`).
func (s *Store) findDuplicates(ctx context.Context, tx *sql.Tx, modelID string, ts []NewTemplate, threshold float32, self int64) ([]Duplicate, error) {
	if threshold <= 0 {
		return nil, nil
	}
	q := `SELECT t.id, t.user_id, u.username, t.kind, t.created_at, t.sealed FROM face_templates t JOIN users u ON u.id = t.user_id
		WHERE t.model_id = ? AND t.user_id <> ?`
	if s.tgt.backend == MySQL {
		q += " LOCK IN SHARE MODE"
	}
	rows, err := tx.QueryContext(ctx, q, modelID, self)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	best := map[int64]*Duplicate{}
	var sealed []byte
	for rows.Next() {
		var tp Template
		var name string
		b, err := scanTemplateRow(rows, &tp, "", modelID, &sealed, &tp.ID, &tp.UserID, &name)
		if err != nil {
			return nil, err
		}
		userID := tp.UserID
		b.userID, b.nameKey = userID, usernameKey(name)
		d, err := s.seal.openFor(sealed, b)
		if err != nil {
			continue // unusable already; Load logs it
		}
		for i := range ts {
			dist := recognition.Distance(&d, &ts[i].Descriptor)
			if dist > threshold {
				continue
			}
			if b, ok := best[userID]; !ok || dist < b.Distance {
				best[userID] = &Duplicate{UserID: userID, Username: name, Distance: dist}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Duplicate, 0, len(best))
	for _, d := range best {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Distance < out[j].Distance })
	return out, nil
}
