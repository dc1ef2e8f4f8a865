package models

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"facelogin/internal/testdata"
	"facelogin/models/convert"
	"facelogin/recognition"
)

func TestDir(t *testing.T) {
	tests := []struct {
		name, flag, env, xdg, home, want string
	}{
		{"flag wins", "/opt/m", "/env/m", "/xdg", "/home/u", "/opt/m"},
		{"env next", "", "/env/m", "/xdg", "/home/u", "/env/m"},
		{"XDG data home", "", "", "/xdg", "/home/u", "/xdg/facelogin/models"},
		{"relative XDG ignored", "", "", "rel", "/home/u", "/home/u/.local/share/facelogin/models"},
		{"home default", "", "", "", "/home/u", "/home/u/.local/share/facelogin/models"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvDir, tt.env)
			t.Setenv("XDG_DATA_HOME", tt.xdg)
			t.Setenv("HOME", tt.home)
			if got := Dir(tt.flag); got != tt.want {
				t.Fatalf("Dir(%q) = %q, want %q", tt.flag, got, tt.want)
			}
		})
	}
}

func TestInstallOfflineThenVerify(t *testing.T) {
	dir := t.TempDir()
	opts := offlineOptions(t, dir)
	var steps []string
	opts.Progress = func(step string, done, total int64) {
		if len(steps) == 0 || steps[len(steps)-1] != step {
			steps = append(steps, step)
		}
	}
	start := time.Now()
	if err := Install(context.Background(), opts); err != nil {
		if opts.FaceAPITarball == "" {
			testdata.Require(t, "offline install (npm pack needs the npm registry)", err)
		}
		t.Fatal(err)
	}
	t.Logf("offline install: %v; steps %q", time.Since(start), steps)

	rep, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.LandmarkCount != 68 {
		t.Fatalf("report: %s", rep.String())
	}
	if rep.ProbeDistance < 0 || rep.ProbeDistance > 1e-4 {
		t.Errorf("probe distance %g, want ~0 for the converted model", rep.ProbeDistance)
	}
	t.Logf("%s", rep.String())
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("directory holds %d entries, want the 3 model files", len(entries))
	}

	// Idempotent: a second run keeps every file.
	before := map[string]time.Time{}
	for _, e := range entries {
		info, _ := e.Info()
		before[e.Name()] = info.ModTime()
	}
	steps = nil
	if err := Install(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil || !info.ModTime().Equal(before[e.Name()]) {
			t.Errorf("%s rewritten by a second install", e.Name())
		}
	}
	if len(steps) != 3 || !strings.Contains(steps[0], "already installed") {
		t.Errorf("second install steps %q, want three 'already installed'", steps)
	}
}

func TestInstallRepairsBadFile(t *testing.T) {
	dir := copyDir(t, installed(t))
	res := filepath.Join(dir, recognition.ResNetFile)
	b, err := os.ReadFile(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(res, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	opts := offlineOptions(t, dir)
	if err := Install(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(dir); err != nil {
		t.Fatalf("after repair: %v", err)
	}
}

func TestInstallErrors(t *testing.T) {
	good := installed(t)
	tgz := os.Getenv(EnvFaceAPITarball)
	if tgz == "" {
		tgz = filepath.Join(NPMCacheDir(), "vladmandic-face-api-1.7.15.tgz")
	}
	tgzBytes, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(t.TempDir(), "face-api.tgz")
	tgzBytes[len(tgzBytes)/3] ^= 0x55
	if err := os.WriteFile(corrupt, tgzBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		modify func(*Options)
		want   error  // errors.Is target, or nil to check words only
		words  string // must appear in the message
	}{
		{"landmarks path is the CNN detector", func(o *Options) { o.LandmarksPath = testdata.CNNDetector(t) }, convert.ErrWrongModel, "wrong model: this is a CNN face detector"},
		{"landmarks path missing", func(o *Options) { o.LandmarksPath = "/nonexistent/sp.dat" }, fs.ErrNotExist, "no such file"},
		{"CNN detector path is the 68-point predictor", func(o *Options) { o.CNNDetectorPath = DefaultLandmarksPath }, convert.ErrWrongModel, "wrong model: this is a landmark shape predictor"},
		{"no CNN detector source", func(o *Options) { o.CNNDetectorPath = ""; t.Setenv(EnvCNNDetector, "") }, nil, "no source"},
		{"face-api tarball corrupt", func(o *Options) { o.FaceAPITarball = corrupt }, convert.ErrIntegrity, "does not match the npm integrity"},
		{"5-point offline without path", func(o *Options) { o.FivePoint = true }, nil, "not packaged by Debian"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// Files other steps need are in place, so each case fails in its own step.
			for _, name := range []string{recognition.LandmarksFile, recognition.ResNetFile, recognition.CNNDetectorFile} {
				copyFile(t, filepath.Join(good, name), filepath.Join(dir, name))
			}
			opts := offlineOptions(t, dir)
			opts.Force = true
			tt.modify(&opts)
			err := Install(context.Background(), opts)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.words) {
				t.Errorf("error %q does not say %q", err, tt.words)
			}
			// No half or temporary files, and the good files survive.
			entries, _ := os.ReadDir(dir)
			if len(entries) != 3 {
				t.Errorf("directory holds %d entries after a failure", len(entries))
			}
			if _, err := Verify(dir); err != nil {
				t.Errorf("a failed install damaged the directory: %v", err)
			}
		})
	}
}

func TestInstallFromBzip2(t *testing.T) {
	if _, err := exec.LookPath("bzip2"); err != nil {
		testdata.Require(t, "bzip2", err)
	}
	src := filepath.Join(t.TempDir(), recognition.CNNDetectorFile)
	copyFile(t, testdata.CNNDetector(t), src)
	if out, err := exec.Command("bzip2", src).CombinedOutput(); err != nil {
		t.Fatalf("bzip2: %v: %s", err, out)
	}
	dir := copyDir(t, installed(t))
	opts := offlineOptions(t, dir)
	opts.Force = true
	opts.CNNDetectorPath = src + ".bz2"
	if err := Install(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(dir); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyBadFiles(t *testing.T) {
	good := installed(t)
	cut := func(name string) func(string) {
		return func(dir string) {
			p := filepath.Join(dir, name)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b[:len(b)/2], 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	swap := func(from, to string) func(string) {
		return func(dir string) { copyFile(t, filepath.Join(dir, from), filepath.Join(dir, to)) }
	}
	tests := []struct {
		name   string
		break_ func(dir string)
		bad    string // the file reported bad
		want   error
		words  string
	}{
		{"ResNet missing", func(d string) { os.Remove(filepath.Join(d, recognition.ResNetFile)) }, recognition.ResNetFile, fs.ErrNotExist, "missing"},
		{"landmarks missing", func(d string) { os.Remove(filepath.Join(d, recognition.LandmarksFile)) }, recognition.LandmarksFile, fs.ErrNotExist, "missing"},
		{"ResNet cut in half", cut(recognition.ResNetFile), recognition.ResNetFile, convert.ErrTruncated, "truncated or damaged"},
		{"landmarks cut in half", cut(recognition.LandmarksFile), recognition.LandmarksFile, convert.ErrTruncated, "truncated or damaged"},
		{"CNN detector cut in half", cut(recognition.CNNDetectorFile), recognition.CNNDetectorFile, convert.ErrTruncated, "truncated or damaged"},
		{"landmarks where the ResNet should be", swap(recognition.LandmarksFile, recognition.ResNetFile), recognition.ResNetFile, convert.ErrWrongModel, "wrong model: this is a landmark shape predictor (68 landmarks), expected a face recognition ResNet"},
		{"ResNet where the CNN detector should be", swap(recognition.ResNetFile, recognition.CNNDetectorFile), recognition.CNNDetectorFile, convert.ErrWrongModel, "wrong model: this is a face recognition ResNet"},
		{"directory instead of a file", func(d string) {
			os.Remove(filepath.Join(d, recognition.LandmarksFile))
			os.Mkdir(filepath.Join(d, recognition.LandmarksFile), 0o755)
		}, recognition.LandmarksFile, nil, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, good)
			tt.break_(dir)
			rep, err := Verify(dir)
			if err == nil || rep.OK() {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.words) || !strings.Contains(msg, tt.bad) {
				t.Errorf("error %q does not say %q about %s", msg, tt.words, tt.bad)
			}
			if strings.Contains(msg, "dlib::") || strings.Contains(msg, "ERROR") || strings.Contains(msg, "\n\n") {
				t.Errorf("error %q leaks dlib's message", msg)
			}
			for _, f := range rep.Files() {
				if (f.Name == tt.bad) != (f.Err != nil) {
					t.Errorf("%s: err %v (only %s should be bad)", f.Name, f.Err, tt.bad)
				}
			}
			t.Logf("%s", rep.String())
		})
	}
}

func TestInstallCancelled(t *testing.T) {
	dir := t.TempDir()
	opts := offlineOptions(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Install(ctx, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("cancelled install left %d files", len(entries))
	}
}
