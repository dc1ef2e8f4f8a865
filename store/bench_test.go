package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"facelogin/recognition"
)

// Benchmarks at scale: FACELOGIN_BENCH_USERS users (default 100,000) with one
// template each, on both backends.
//
//	go test ./store -run '^$' -bench . -benchtime 5x

func benchUsers() int {
	if n, err := strconv.Atoi(os.Getenv("FACELOGIN_BENCH_USERS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// populate writes n users with one sealed template each, in batches: the
// same rows Enroll writes, faster. Descriptors are the real idols ones,
// nudged so each is distinct.
func populate(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	ds := idolDescriptors(b)
	const batch = 500
	t := s.now()
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		err := s.inTx(ctx, "populate", func(tx *sql.Tx) error {
			var us, ts strings.Builder
			var uargs, targs []any
			for i := lo; i < hi; i++ {
				id := int64(i + 1)
				name := fmt.Sprintf("user%06d", i)
				if i > lo {
					us.WriteString(",")
					ts.WriteString(",")
				}
				us.WriteString("(?, ?, ?, ?, 0, ?, ?)")
				uargs = append(uargs, id, name, usernameKey(name), name, t, t)
				d := ds[i%len(ds)]
				d[i%recognition.DescriptorLen] += float32(i/len(ds)) * 1e-3
				sealed, err := s.seal.sealDescriptor(&d, id, usernameKey(name), recognition.ModelID)
				if err != nil {
					return err
				}
				ts.WriteString("(?, ?, 0.9, '', ?, ?)")
				targs = append(targs, id, recognition.ModelID, sealed, t)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO users (id, username, username_key, display_name, disabled, created_at, updated_at) VALUES "+us.String(), uargs...); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO face_templates (user_id, model_id, quality, source, sealed, created_at) VALUES "+ts.String(), targs...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.db.ExecContext(ctx, "UPDATE store_state SET generation = generation + 1 WHERE id = 1"); err != nil {
		b.Fatal(err)
	}
}

var (
	benchStores = map[string]*Store{}
	benchDir    string
)

// benchStore opens (once per backend and process) a store holding n users.
func benchStore(b *testing.B, backend backendCase, n int) *Store {
	b.Helper()
	if s := benchStores[backend.name]; s != nil {
		return s
	}
	s := openBench(b, backend, "bench")
	populate(b, s, n)
	benchStores[backend.name] = s
	return s
}

// openBench opens a fresh database that lives until the end of the test
// binary (TestMain closes it): a SQLite file NAME.db in benchDir, or a new
// database on the test MariaDB.
func openBench(b *testing.B, backend backendCase, name string) *Store {
	b.Helper()
	var dsn string
	if backend.name == "sqlite" {
		if benchDir == "" {
			dir, err := os.MkdirTemp("", "fl-bench-")
			if err != nil {
				b.Fatal(err)
			}
			benchDir = dir
		}
		dsn = "sqlite:" + benchDir + "/" + name + ".db"
	} else {
		dsn = mysqlDB(b, false)
	}
	s, err := Open(context.Background(), testConfig(dsn, &logBuf{}))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkLoad(b *testing.B) {
	n := benchUsers()
	for _, backend := range backendCases {
		b.Run(fmt.Sprintf("%s/users=%d", backend.name, n), func(b *testing.B) {
			s := benchStore(b, backend, n)
			ctx := context.Background()
			var before, after runtime.MemStats
			var g *Gallery
			for b.Loop() {
				b.StopTimer()
				g = nil
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				var err error
				g, err = s.Templates.Load(ctx, recognition.ModelID)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.StartTimer()
			}
			if len(g.Templates) != n {
				b.Fatalf("loaded %d templates, want %d", len(g.Templates), n)
			}
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/template")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n)*1000, "ns/template")
			runtime.KeepAlive(g)
		})
	}
}

// BenchmarkLoadAndMatch is the start of a station: load every template, hand
// them to the matcher, identify one face.
func BenchmarkLoadAndMatch(b *testing.B) {
	n := benchUsers()
	for _, backend := range backendCases {
		b.Run(fmt.Sprintf("%s/users=%d", backend.name, n), func(b *testing.B) {
			s := benchStore(b, backend, n)
			ctx := context.Background()
			probe := idolDescriptors(b)[7]
			m := recognition.NewMatcher()
			for b.Loop() {
				g, err := s.Templates.Load(ctx, recognition.ModelID)
				if err != nil {
					b.Fatal(err)
				}
				ts := make([]recognition.Template, len(g.Templates))
				for i, tp := range g.Templates {
					ts[i] = recognition.Template{User: tp.Username, Descriptor: tp.Descriptor}
				}
				m.Replace(ts)
				if r := m.Match(&probe); r.User == "" {
					b.Fatal("no match")
				}
			}
		})
	}
}

// BenchmarkMatch is one identification against the loaded gallery.
func BenchmarkMatch(b *testing.B) {
	n := benchUsers()
	backend := backendCases[0]
	s := benchStore(b, backend, n)
	g, err := s.Templates.Load(context.Background(), recognition.ModelID)
	if err != nil {
		b.Fatal(err)
	}
	ts := make([]recognition.Template, len(g.Templates))
	for i, tp := range g.Templates {
		ts[i] = recognition.Template{User: tp.Username, Descriptor: tp.Descriptor}
	}
	m := recognition.NewMatcher()
	m.Replace(ts)
	probe := idolDescriptors(b)[7]
	b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
		for b.Loop() {
			m.Match(&probe)
		}
	})
}

// BenchmarkGeneration is the periodic check of a shared database.
func BenchmarkGeneration(b *testing.B) {
	for _, backend := range backendCases {
		b.Run(backend.name, func(b *testing.B) {
			s, _ := openTest(b, backend.dsn(b))
			ctx := context.Background()
			for b.Loop() {
				if _, err := s.Generation(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEnroll is one registration: a user with 5 templates, one
// transaction.
func BenchmarkEnroll(b *testing.B) {
	for _, backend := range backendCases {
		b.Run(backend.name, func(b *testing.B) {
			s, _ := openTest(b, backend.dsn(b))
			ctx := context.Background()
			ts := newTemplates(b, 0, 5)
			i := 0
			for b.Loop() {
				i++
				if _, err := s.Users.Enroll(ctx, Enrollment{Username: fmt.Sprintf("u%d", i), ModelID: recognition.ModelID, Templates: ts}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEnrollChecked: an enrolment with the duplicate-face check and the
// confusable-name check, both inside the write transaction, at
// FACELOGIN_BENCH_USERS users: how long other writers wait behind it.
func BenchmarkEnrollChecked(b *testing.B) {
	n := benchUsers()
	for _, backend := range backendCases {
		b.Run(fmt.Sprintf("%s/users=%d", backend.name, n), func(b *testing.B) {
			s := benchStore(b, backend, n)
			ctx := context.Background()
			var far recognition.Descriptor
			for i := range far {
				far[i] = 0.5 // far from every real descriptor
			}
			for b.Loop() {
				if _, _, err := s.Users.EnrollChecked(ctx, Enrollment{Username: "bench-new", ModelID: recognition.ModelID,
					Templates: []NewTemplate{{Descriptor: far}}, Duplicates: DuplicateCheck{Threshold: recognition.DefaultThreshold}}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Users.Delete(ctx, "bench-new"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
