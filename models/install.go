package models

import (
	"bytes"
	"compress/bzip2"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"facelogin/models/convert"
	"facelogin/recognition"
)

// Options configure Install. The zero value installs offline into Dir("")
// from Debian's predictor, face-api fetched with npm and $FACELOGIN_CNN_MODEL.
type Options struct {
	// Dir is the models directory; empty means Dir("").
	Dir string
	// Online downloads dlib's official bz2 files from dlib.net instead of
	// building them from packages.
	Online bool
	// FivePoint installs dlib's 5-point predictor instead of the 68-point
	// one (its licence allows commercial use; faces then carry 5
	// landmarks). Online only: offline, give its path in LandmarksPath.
	FivePoint bool
	// Force reinstalls files that are already present and valid.
	Force bool
	// FaceAPITarball is a local @vladmandic/face-api@1.7.15 tarball
	// (checked against the npm integrity); empty means
	// $FACELOGIN_FACEAPI_TGZ, else `npm pack` into NPMCacheDir.
	FaceAPITarball string
	// NPMCacheDir keeps the tarball npm fetched; empty means NPMCacheDir().
	NPMCacheDir string
	// LandmarksPath is the predictor to install under the 5-point name
	// (.dat or .dat.bz2); empty means DefaultLandmarksPath.
	LandmarksPath string
	// CNNDetectorPath is mmod_human_face_detector.dat (or .dat.bz2) to
	// copy; empty means $FACELOGIN_CNN_MODEL.
	CNNDetectorPath string
	// Progress, if set, is called as work advances: step names the file or
	// action, done and total count bytes (total <= 0: unknown).
	Progress func(step string, done, total int64)
}

// dlibFiles is where Online downloads from. sha256 is of the decompressed
// file; only the CNN detector's is pinned (measured on the copy in the test
// data). dlib.net was unreachable when this was written, so the others are
// checked by loading them with dlib (landmark count, ResNet probe) instead.
var dlibFiles = map[string]struct{ url, sha256 string }{
	recognition.LandmarksFile:               {"https://dlib.net/files/shape_predictor_5_face_landmarks.dat.bz2", ""},
	"shape_predictor_68_face_landmarks.dat": {"https://dlib.net/files/shape_predictor_68_face_landmarks.dat.bz2", ""},
	recognition.ResNetFile:                  {"https://dlib.net/files/dlib_face_recognition_resnet_model_v1.dat.bz2", ""},
	recognition.CNNDetectorFile:             {"https://dlib.net/files/mmod_human_face_detector.dat.bz2", "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6"},
}

// Install puts the three model files go-face needs into the models
// directory. Files already present and valid are kept (unless Force). Every
// file is written to a temporary name, checked with dlib and renamed, so a
// failure never leaves a half file under a real name.
func Install(ctx context.Context, opts Options) error {
	in := installer{Options: opts}
	if in.Dir == "" {
		in.Dir = Dir("")
	}
	if in.Progress == nil {
		in.Progress = func(string, int64, int64) {}
	}
	if err := os.MkdirAll(in.Dir, 0o755); err != nil {
		return fmt.Errorf("models: install: %w", err)
	}
	for _, step := range []func(context.Context) error{in.landmarks, in.resnet, in.cnnDetector} {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("models: install: %w", err)
		}
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

type installer struct{ Options }

func (in *installer) landmarks(ctx context.Context) error {
	dst := filepath.Join(in.Dir, recognition.LandmarksFile)
	check := func(p string) error {
		n, err := convert.Landmarks(p)
		if err == nil && in.FivePoint && n != 5 {
			return fmt.Errorf("models: %s: has %d landmarks, want the 5-point model", p, n)
		}
		return err
	}
	if in.keep(dst, check) {
		return nil
	}
	if in.Online {
		name := "shape_predictor_68_face_landmarks.dat"
		if in.FivePoint {
			name = recognition.LandmarksFile
		}
		return in.download(ctx, name, dst, check)
	}
	src := in.LandmarksPath
	if src == "" {
		if in.FivePoint {
			return errors.New("models: install: the 5-point predictor is not packaged by Debian: download shape_predictor_5_face_landmarks.dat.bz2 and give its path, or install online")
		}
		src = DefaultLandmarksPath
	}
	return in.copyFile(src, dst, check)
}

func (in *installer) resnet(ctx context.Context) error {
	dst := filepath.Join(in.Dir, recognition.ResNetFile)
	check := func(p string) error {
		_, err := convert.Probe(p)
		return err
	}
	if in.keep(dst, check) {
		return nil
	}
	if in.Online {
		return in.download(ctx, recognition.ResNetFile, dst, check)
	}
	tgz := in.FaceAPITarball
	if tgz == "" {
		tgz = os.Getenv(EnvFaceAPITarball)
	}
	if tgz == "" {
		var err error
		if tgz, err = in.npmPack(ctx); err != nil {
			return err
		}
	}
	manifest, weights, err := convert.ReadTarball(tgz)
	if err != nil {
		return fmt.Errorf("models: install %s: %w", recognition.ResNetFile, err)
	}
	in.Progress("convert "+recognition.ResNetFile, 0, 1)
	if err := convert.Convert(manifest, weights, dst); err != nil {
		return fmt.Errorf("models: install %s: %w", recognition.ResNetFile, err)
	}
	in.Progress("convert "+recognition.ResNetFile, 1, 1)
	return nil
}

func (in *installer) cnnDetector(ctx context.Context) error {
	dst := filepath.Join(in.Dir, recognition.CNNDetectorFile)
	check := convert.CheckCNNDetector
	if in.keep(dst, check) {
		return nil
	}
	if in.Online {
		return in.download(ctx, recognition.CNNDetectorFile, dst, check)
	}
	src := in.CNNDetectorPath
	if src == "" {
		src = os.Getenv(EnvCNNDetector)
	}
	if src == "" {
		return fmt.Errorf("models: install %s: no source: give its path (%s) or install online", recognition.CNNDetectorFile, EnvCNNDetector)
	}
	return in.copyFile(src, dst, check)
}

// keep reports whether dst is already installed and passes check.
func (in *installer) keep(dst string, check func(string) error) bool {
	if in.Force {
		return false
	}
	if _, err := os.Stat(dst); err != nil {
		return false
	}
	if check(dst) != nil {
		return false
	}
	in.Progress(filepath.Base(dst)+" already installed", 1, 1)
	return true
}

// npmPack returns the face-api tarball in the npm cache directory, fetching
// it with `npm pack` when it is not there (or not the published one).
func (in *installer) npmPack(ctx context.Context) (string, error) {
	dir := in.NPMCacheDir
	if dir == "" {
		dir = NPMCacheDir()
	}
	tgz := filepath.Join(dir, "vladmandic-face-api-1.7.15.tgz")
	if sum, err := convert.Integrity(tgz); err == nil && sum == convert.FaceAPIIntegrity {
		return tgz, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("models: npm cache: %w", err)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("models: npm is not installed: install Node.js and npm, or give a %s tarball (%s): %w", convert.FaceAPIPackage, EnvFaceAPITarball, err)
	}
	step := "npm pack " + convert.FaceAPIPackage
	in.Progress(step, 0, 1)
	cmd := exec.CommandContext(ctx, npm, "pack", convert.FaceAPIPackage, "--pack-destination", dir, "--silent")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("models: %s: %w: %s", step, err, lastLines(stderr.String(), 3))
	}
	in.Progress(step, 1, 1)
	return tgz, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}

// copyFile installs src (a .dat, or a .bz2 of one) as dst.
func (in *installer) copyFile(src, dst string, check func(string) error) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("models: install %s: %w", filepath.Base(dst), err)
	}
	defer f.Close()
	var total int64
	if st, err := f.Stat(); err == nil {
		total = st.Size()
	}
	step := "copy " + src
	r := io.Reader(&counter{r: f, step: step, total: total, progress: in.Progress})
	if h, err := convert.SniffFile(src); err == nil && h.Kind == convert.KindBzip2 {
		return in.writeChecked(bzip2.NewReader(r), dst, src, "", check)
	}
	// Check the source itself so an error names the file the user gave;
	// the copy is then byte for byte the same.
	if err := check(src); err != nil {
		return fmt.Errorf("models: install %s: %w", filepath.Base(dst), err)
	}
	return in.writeChecked(r, dst, src, "", nil)
}

// download fetches dlib.net's bz2 of name and installs it as dst.
func (in *installer) download(ctx context.Context, name, dst string, check func(string) error) error {
	f := dlibFiles[name]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return fmt.Errorf("models: download %s: %w", f.url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("models: download %s: %w", f.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("models: download %s: %s", f.url, resp.Status)
	}
	r := &counter{r: resp.Body, step: "download " + f.url, total: resp.ContentLength, progress: in.Progress}
	return in.writeChecked(bzip2.NewReader(r), dst, f.url, f.sha256, check)
}

// writeChecked writes r (read from source) to a temporary file next to dst,
// compares its sha256 when one is pinned, runs check (if any) on it and
// renames it to dst.
func (in *installer) writeChecked(r io.Reader, dst, source, sha string, check func(string) error) error {
	name := filepath.Base(dst)
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("models: install %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("models: install %s from %s: %w", name, source, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); sha != "" && got != sha {
		return fmt.Errorf("models: install %s from %s: sha256 %s, want %s", name, source, got, sha)
	}
	if check != nil {
		if err := check(tmp.Name()); err != nil {
			// Name what the user gave, not our temporary file.
			var me *convert.ModelError
			if errors.As(err, &me) {
				me.Path = source
			}
			return fmt.Errorf("models: install %s: %w", name, err)
		}
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("models: install %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("models: install %s: %w", name, err)
	}
	return nil
}

// counter reports bytes read through Progress.
type counter struct {
	r        io.Reader
	step     string
	done     int64
	total    int64
	last     int64
	progress func(string, int64, int64)
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.done += int64(n)
	if c.done-c.last >= 1<<20 || err == io.EOF {
		c.last = c.done
		c.progress(c.step, c.done, c.total)
	}
	return n, err
}
