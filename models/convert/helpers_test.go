package convert

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"facelogin/internal/testdata"
)

const debianLandmarks = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

func landmarks68(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(debianLandmarks); err != nil {
		testdata.Require(t, "Debian libdlib-data", err)
	}
	return debianLandmarks
}

// faceAPITarball returns $FACELOGIN_FACEAPI_TGZ, or the tarball in the
// product's npm cache directory, fetching it with `npm pack` if needed.
func faceAPITarball(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("FACELOGIN_FACEAPI_TGZ"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		testdata.Require(t, "cache dir for the face-api tarball", err)
	}
	dir := filepath.Join(cache, "facelogin", "npm")
	tgz := filepath.Join(dir, "vladmandic-face-api-1.7.15.tgz")
	if sum, err := Integrity(tgz); err == nil && sum == FaceAPIIntegrity {
		return tgz
	}
	if _, err := exec.LookPath("npm"); err != nil {
		testdata.Require(t, "npm (FACELOGIN_FACEAPI_TGZ not set)", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("npm", "pack", FaceAPIPackage, "--pack-destination", dir, "--silent")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		testdata.Require(t, "npm pack "+FaceAPIPackage, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String())))
	}
	return tgz
}

// faceAPIWeights returns the ResNet manifest and weights from the tarball.
func faceAPIWeights(t testing.TB) (manifest, weights []byte) {
	t.Helper()
	manifest, weights, err := ReadTarball(faceAPITarball(t))
	if err != nil {
		t.Fatal(err)
	}
	return manifest, weights
}

// convertedResNet converts the real weights once per test binary.
var convertedPath string

func convertedResNet(t testing.TB) string {
	t.Helper()
	if convertedPath != "" {
		return convertedPath
	}
	m, w := faceAPIWeights(t)
	dir, err := os.MkdirTemp("", "convert-test-")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "dlib_face_recognition_resnet_model_v1.dat")
	if err := Convert(m, w, p); err != nil {
		t.Fatal(err)
	}
	convertedPath = p
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if convertedPath != "" {
		os.RemoveAll(filepath.Dir(convertedPath))
	}
	os.Exit(code)
}

// writeFile writes b into a new file in t's temp dir.
func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
