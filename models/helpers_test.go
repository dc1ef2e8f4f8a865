package models

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// offlineOptions installs like `make models` does on this machine.
func offlineOptions(t testing.TB, dir string) Options {
	t.Helper()
	if _, err := os.Stat(DefaultLandmarksPath); err != nil {
		testdata.Require(t, "Debian libdlib-data", err)
	}
	return Options{
		Dir:             dir,
		FaceAPITarball:  os.Getenv(EnvFaceAPITarball), // else npm pack into NPMCacheDir()
		CNNDetectorPath: testdata.CNNDetector(t),
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
			testdata.Require(t, "offline install (npm pack needs the npm registry)", installErr)
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
	for _, name := range []string{recognition.LandmarksFile, recognition.ResNetFile, recognition.CNNDetectorFile} {
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
