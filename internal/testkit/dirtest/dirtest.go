// Package dirtest opens the user directory tests work on: a store and its
// directory.Directory. It is for tests only (nothing the binary links
// imports it) and lives apart from testkit because store's own tests import
// testkit, and a testkit that imported store would make a cycle.
package dirtest

import (
	"context"
	"path/filepath"
	"testing"

	"facelogin/internal/directory"
	"facelogin/recognition"
	"facelogin/store"
)

// Open opens the store cfg names and its directory (loaded now, never
// refreshed); both close when the test ends. Zero fields take test
// defaults: DSN a fresh SQLite file in t.TempDir(), Key 32 zero bytes,
// Station "test". Create is always on. Any error fails the test.
func Open(t testing.TB, cfg store.Config) (*store.Store, *directory.Directory) {
	t.Helper()
	if cfg.DSN == "" {
		cfg.DSN = "sqlite:" + filepath.Join(t.TempDir(), "f.db")
	}
	if cfg.Key == nil {
		cfg.Key = make([]byte, 32)
	}
	if cfg.Station == "" {
		cfg.Station = "test"
	}
	cfg.Create = true
	ctx := context.Background()
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d, err := directory.Open(ctx, st, recognition.ModelID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return st, d
}
