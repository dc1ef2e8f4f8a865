package models

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// need skips a test whose outside data is missing on a laptop and fails it
// under CI, where a skipped test would prove nothing.
func need(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// testdata returns ../shared/testdata next to the repository root.
func testdata(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	td := filepath.Join(dir, "..", "shared", "testdata")
	if _, err := os.Stat(td); err != nil {
		need(t, "test data missing: %v", err)
	}
	return td
}

func cnnDetectorPath(t testing.TB) string {
	return filepath.Join(testdata(t), "models", CNNDetectorFile)
}

// offlineOptions installs like `make models` does on this machine.
func offlineOptions(t testing.TB, dir string) Options {
	t.Helper()
	if _, err := os.Stat(DefaultLandmarksPath); err != nil {
		need(t, "Debian libdlib-data not installed: %v", err)
	}
	return Options{
		Dir:             dir,
		FaceAPITarball:  os.Getenv(EnvFaceAPITarball), // else npm pack into NPMCacheDir()
		CNNDetectorPath: cnnDetectorPath(t),
	}
}

var (
	installOnce sync.Once
	installDir  string
	installErr  error
)

// installed returns a models directory installed offline once per test
// binary. Tests must not modify it: copy it with copyDir first.
func installed(t testing.TB) string {
	t.Helper()
	opts := offlineOptions(t, "")
	installOnce.Do(func() {
		installDir, installErr = os.MkdirTemp("", "models-test-")
		if installErr != nil {
			return
		}
		opts.Dir = installDir
		installErr = Install(context.Background(), opts)
	})
	if installErr != nil {
		if os.Getenv(EnvFaceAPITarball) == "" {
			need(t, "offline install (npm pack needs the npm registry): %v", installErr)
		}
		t.Fatal(installErr)
	}
	return installDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if installDir != "" {
		os.RemoveAll(installDir)
	}
	os.Exit(code)
}

// copyDir copies the three model files of src into a new temp dir.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range []string{LandmarksFile, ResNetFile, CNNDetectorFile} {
		copyFile(t, filepath.Join(src, name), filepath.Join(dst, name))
	}
	return dst
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
