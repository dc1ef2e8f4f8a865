package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"facelogin/internal/testdata"
	"facelogin/internal/testkit"
)

// The MySQL half of the conformance suite runs against a real MariaDB that
// the tests start as a private process (own datadir, loopback port, no
// system service), as ../shared/FACTS.md describes. FACELOGIN_TEST_MYSQL may
// instead name a server as a DSN whose user can create databases, e.g.
// "root:pw@tcp(127.0.0.1:3306)/". Without either, MySQL tests skip on a
// laptop and fail when CI=true.

// testMySQLUser and testMySQLPass are the private server's TCP account.
const (
	testMySQLUser = testkit.MariaDBUser
	testMySQLPass = testkit.MariaDBPassword
)

var (
	sharedMaria     *testkit.MariaDB
	sharedMariaErr  error
	sharedMariaOnce sync.Once
	dbCounter       atomic.Int64
)

// mysqlServer returns a DSN prefix factory for a fresh database on the shared
// test server, or skips (fails in CI) when there is none.
func mysqlTestDB(t testing.TB) string {
	t.Helper()
	return mysqlDB(t, true)
}

// mysqlDB makes a fresh database; with drop false it outlives the test (the
// private server's datadir goes at the end of the run).
func mysqlDB(t testing.TB, drop bool) string {
	t.Helper()
	name := fmt.Sprintf("fl_test_%d_%d", os.Getpid(), dbCounter.Add(1))
	if env := os.Getenv("FACELOGIN_TEST_MYSQL"); env != "" {
		if !strings.HasSuffix(env, "/") {
			t.Fatalf("FACELOGIN_TEST_MYSQL must end in '/' (no database named)")
		}
		db, err := sql.Open("mysql", env)
		if err != nil {
			t.Fatalf("FACELOGIN_TEST_MYSQL: %v", err)
		}
		t.Cleanup(func() {
			if drop {
				db.Exec("DROP DATABASE " + name)
			}
			db.Close()
		})
		if _, err := db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
			testdata.Require(t, "FACELOGIN_TEST_MYSQL", err)
		}
		return env + name
	}
	sharedMariaOnce.Do(func() { sharedMaria, sharedMariaErr = testkit.NewMariaDB() })
	if sharedMariaErr != nil {
		testdata.Require(t, "MySQL", sharedMariaErr)
	}
	if err := sharedMaria.Admin("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	if drop {
		t.Cleanup(func() { sharedMaria.Admin("DROP DATABASE " + name) })
	}
	return sharedMaria.DSN(name)
}

// privateMariaDB starts a server of the test's own, for tests that kill it.
func privateMariaDB(t testing.TB, extra ...string) *testkit.MariaDB {
	t.Helper()
	return testkit.StartMariaDB(t, extra...)
}

func TestMain(m *testing.M) {
	if os.Getenv(enrolHelperEnv) != "" {
		os.Exit(enrolHelper()) // a station enrolling, for TestDuplicateFaceAcrossProcesses
	}
	code := m.Run()
	for _, s := range benchStores {
		s.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	if sharedMaria != nil {
		sharedMaria.Stop()
	}
	os.Exit(code)
}

// ctxT is a test context that ends with the test.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
