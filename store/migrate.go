package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// alreadyApplied reports a MySQL error that says an ALTER TABLE was done
// before: duplicate column (1060) or duplicate key name (1061).
func alreadyApplied(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1060 || me.Number == 1061)
}

//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	stmts   []string
}

// migrations lists the backend's migrations in order. Files are named
// NNNN_what.sql; statements end with ";" at the end of a line.
func migrations(b Backend) ([]migration, error) {
	dir := path.Join("migrations", string(b))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), stmts: splitSQL(string(body))})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d", m.name, m.version, i+1)
		}
	}
	return ms, nil
}

// splitSQL splits a migration into statements, dropping "--" comment lines.
func splitSQL(body string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		stmts = append(stmts, strings.TrimSpace(cur.String()))
	}
	return stmts
}

// SchemaVersion is the schema version this program migrates to.
func SchemaVersion() int {
	ms, _ := migrations(SQLite)
	return len(ms)
}

// migrate applies pending migrations. On SQLite each migration is one
// transaction and BEGIN IMMEDIATE keeps two processes from migrating at once.
// MySQL commits DDL implicitly, so a named lock serialises stations and every
// statement is written to be re-runnable (IF NOT EXISTS, INSERT IGNORE) in
// case a migration was cut off half-way.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations(s.tgt.backend)
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	if s.tgt.backend == MySQL {
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK('facelogin.migrate', 60)").Scan(&got); err != nil {
			return err
		}
		if got.Int64 != 1 {
			return fmt.Errorf("another station has been migrating the schema for 60 s")
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK('facelogin.migrate')")
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER      NOT NULL PRIMARY KEY,
		name       VARCHAR(200) NOT NULL,
		applied_at BIGINT       NOT NULL)`); err != nil {
		return err
	}
	for _, m := range ms {
		if err := s.applyMigration(ctx, conn, m, len(ms)); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m migration, known int) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var latest sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&latest); err != nil {
		return err
	}
	if int(latest.Int64) > known {
		return fmt.Errorf("%w: database is at version %d, this program knows %d; upgrade facelogin",
			ErrSchemaTooNew, latest.Int64, known)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, st := range m.stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			if s.tgt.backend == MySQL && alreadyApplied(err) {
				continue // MySQL commits DDL at once: a cut-off run did this
			}
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, s.now()); err != nil {
		return err
	}
	return tx.Commit()
}
