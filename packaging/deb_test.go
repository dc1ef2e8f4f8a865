//go:build debpackage

// The package tests install and purge a Debian package on this machine, so
// they build only with -tags debpackage: `make test-package` runs them after
// `make package`, with the artefacts' paths in FACELOGIN_DEB,
// FACELOGIN_TARXZ and FACELOGIN_NATIVE_BIN (the developer build, built with
// -march=native, as the negative control of the CPU check).

package packaging

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"facelogin/internal/testdata"
	"facelogin/internal/testkit"
)

const (
	pkgName   = "facelogin"
	modelsDir = "/usr/share/facelogin/models"
	// sha256 of dlib's mmod_human_face_detector.dat, shipped as is.
	cnnSHA256 = "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6"
)

// The files of the package; every other entry must be a directory.
var wantFiles = map[string]string{ // path -> mode, or "-> target" for a symlink
	"/usr/bin/facelogin": "-rwxr-xr-x",
	"/usr/share/applications/io.facelogin.app.desktop":           "-rw-r--r--",
	"/usr/share/icons/hicolor/512x512/apps/io.facelogin.app.png": "-rw-r--r--",
	"/usr/share/doc/facelogin/copyright":                         "-rw-r--r--",
	modelsDir + "/dlib_face_recognition_resnet_model_v1.dat":     "-rw-r--r--",
	modelsDir + "/mmod_human_face_detector.dat":                  "-rw-r--r--",
	modelsDir + "/shape_predictor_5_face_landmarks.dat":          "-> /usr/share/dlib/shape_predictor_68_face_landmarks.dat",
}

// Dependencies the binary needs but dpkg-shlibdeps cannot see (dlopen, data).
var wantRuntimeDepends = []string{
	"libopenblas0-pthread", "libdlib-data",
	"libxcursor1", "libxrandr2", "libxinerama1", "libxi6", "libxxf86vm1",
}

func artefact(t *testing.T, env string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		testdata.Require(t, env, errors.New("not set: run `make test-package`"))
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	return p
}

func need(t *testing.T, cmds ...string) {
	t.Helper()
	testkit.RequireTools(t, cmds...)
}

// run runs a command and returns its stdout; it fails the test on error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	return testkit.Run(t, nil, "", name, args...)
}

// extract unpacks the .deb into a temp dir once per test.
func extract(t *testing.T, deb string) string {
	t.Helper()
	dir := t.TempDir()
	run(t, "dpkg-deb", "-x", deb, dir)
	return dir
}

// controlFields parses `dpkg-deb -f` output (continuation lines joined).
func controlFields(s string) map[string]string {
	f := map[string]string{}
	key := ""
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, " ") && key != "" {
			f[key] += "\n" + l
			continue
		}
		if k, v, ok := strings.Cut(l, ":"); ok {
			key = k
			f[k] = strings.TrimSpace(v)
		}
	}
	return f
}

func splitDepends(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// desktopEntry reads the [Desktop Entry] group of a .desktop file.
func desktopEntry(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e := map[string]string{}
	group := ""
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") {
			group = l
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok && group == "[Desktop Entry]" {
			e[k] = v
		}
	}
	return e
}

func TestControl(t *testing.T) {
	deb := artefact(t, "FACELOGIN_DEB")
	need(t, "dpkg-deb", "dpkg-shlibdeps")
	f := controlFields(run(t, "dpkg-deb", "-f", deb))
	t.Logf("control:\n%s", run(t, "dpkg-deb", "-f", deb))

	for k, want := range map[string]string{
		"Package":      pkgName,
		"Architecture": "amd64",
		"Version":      os.Getenv("FACELOGIN_VERSION"),
	} {
		if want == "" {
			t.Errorf("FACELOGIN_VERSION not set")
			continue
		}
		if f[k] != want {
			t.Errorf("%s: %q, want %q", k, f[k], want)
		}
	}
	for _, k := range []string{"Maintainer", "Description", "Installed-Size"} {
		if f[k] == "" {
			t.Errorf("control has no %s", k)
		}
	}

	depends := splitDepends(f["Depends"])
	declared := map[string]bool{}
	for _, c := range depends {
		declared[c] = true
	}
	names := map[string]bool{}
	for _, c := range depends {
		names[strings.Fields(c)[0]] = true
	}

	// Every library the binary links must be declared exactly as Debian's
	// own tool computes it (name, alternatives and minimum version).
	t.Run("shlibdeps", func(t *testing.T) {
		root := extract(t, deb)
		work := t.TempDir()
		if err := os.MkdirAll(filepath.Join(work, "debian"), 0o755); err != nil {
			t.Fatal(err)
		}
		control := "Source: facelogin\n\nPackage: facelogin\nArchitecture: any\n"
		if err := os.WriteFile(filepath.Join(work, "debian", "control"), []byte(control), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("dpkg-shlibdeps", "-O", filepath.Join(root, "usr/bin/facelogin"))
		cmd.Dir = work
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("dpkg-shlibdeps: %v\n%s", err, stderr.String())
		}
		computed := strings.TrimPrefix(strings.TrimSpace(string(out)), "shlibs:Depends=")
		var missing []string
		for _, c := range splitDepends(computed) {
			if !declared[c] {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			t.Errorf("Depends lacks what dpkg-shlibdeps computes (update packaging/nfpm.yaml):\n  %s", strings.Join(missing, "\n  "))
		}
		if !strings.Contains(computed, "libopencv-core406") || !strings.Contains(computed, "libdlib19.1") {
			t.Errorf("dpkg-shlibdeps found no OpenCV 4.6 or dlib in the binary: %s", computed)
		}
	})
	t.Run("runtime", func(t *testing.T) {
		for _, n := range wantRuntimeDepends {
			if !names[n] {
				t.Errorf("Depends lacks %s", n)
			}
		}
	})
}

func TestContents(t *testing.T) {
	deb := artefact(t, "FACELOGIN_DEB")
	need(t, "dpkg-deb")
	// -rwxr-xr-x root/root  56625072 2026-11-24 18:27 ./usr/bin/facelogin
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(run(t, "dpkg-deb", "-c", deb)), "\n") {
		fs := strings.Fields(l)
		if len(fs) < 6 {
			t.Fatalf("unexpected dpkg-deb -c line %q", l)
		}
		mode, owner, path := fs[0], fs[1], strings.TrimSuffix(strings.TrimPrefix(fs[5], "."), "/")
		if owner != "root/root" {
			t.Errorf("%s owned by %s, want root/root", path, owner)
		}
		switch mode[0] {
		case 'd':
			if mode != "drwxr-xr-x" {
				t.Errorf("directory %s has mode %s", path, mode)
			}
		case 'l':
			got[path] = strings.Join(fs[6:], " ")
		default:
			got[path] = mode
		}
	}
	for p, want := range wantFiles {
		if got[p] != want {
			t.Errorf("%s: %q, want %q", p, got[p], want)
		}
	}
	for p := range got {
		if _, ok := wantFiles[p]; !ok {
			t.Errorf("unexpected file in the package: %s", p)
		}
	}

	root := extract(t, deb)
	t.Run("cnn detector is dlib's", func(t *testing.T) {
		if got := sha256File(t, filepath.Join(root, modelsDir, "mmod_human_face_detector.dat")); got != cnnSHA256 {
			t.Errorf("sha256 %s, want %s", got, cnnSHA256)
		}
	})
	t.Run("icon", func(t *testing.T) {
		f, err := os.Open(filepath.Join(root, "usr/share/icons/hicolor/512x512/apps/io.facelogin.app.png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cfg, err := png.DecodeConfig(f)
		if err != nil {
			t.Fatalf("icon: %v", err)
		}
		if cfg.Width != 512 || cfg.Height != 512 {
			t.Errorf("icon is %dx%d, want 512x512 (its hicolor dir)", cfg.Width, cfg.Height)
		}
	})
	t.Run("desktop entry", func(t *testing.T) {
		e := desktopEntry(t, filepath.Join(root, "usr/share/applications/io.facelogin.app.desktop"))
		for k, want := range map[string]string{
			"Type": "Application", "Name": "Face Login", "Exec": "facelogin", "Icon": "io.facelogin.app",
		} {
			if e[k] != want {
				t.Errorf("%s=%q, want %q", k, e[k], want)
			}
		}
		if _, err := exec.LookPath("desktop-file-validate"); err == nil {
			if out, err := exec.Command("desktop-file-validate", filepath.Join(root, "usr/share/applications/io.facelogin.app.desktop")).CombinedOutput(); err != nil || len(out) > 0 {
				t.Errorf("desktop-file-validate: %v\n%s", err, out)
			}
		}
	})
}

// TestPortableBinary proves the shipped binary's compiler flags: its C and
// C++ code (go-face, dlib's templates, gocv, GLFW) holds no instruction an
// x86-64-v2 CPU lacks. The same check on the developer build (-march=native
// on this AVX2 machine) must find thousands.
func TestPortableBinary(t *testing.T) {
	deb := artefact(t, "FACELOGIN_DEB")
	need(t, "dpkg-deb", "objdump")
	tests := []struct {
		name   string
		path   func(t *testing.T) string
		beyond bool
	}{
		{name: "shipped binary", path: func(t *testing.T) string {
			return filepath.Join(extract(t, deb), "usr/bin/facelogin")
		}},
		{name: "developer build with -march=native", beyond: true, path: func(t *testing.T) string {
			if !cpuHasAVX2(t) {
				testdata.Require(t, "an AVX2 CPU (where -march=native goes beyond x86-64-v2, the check's control)", errors.New("/proc/cpuinfo lists no avx2"))
			}
			return artefact(t, "FACELOGIN_NATIVE_BIN")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			if !tt.beyond {
				noTextRel(t, path)
			}
			rep := scanISA(t, path)
			t.Log(rep)
			if rep.DlibFuncs < 100 {
				t.Fatalf("only %d dlib functions found: the scan missed the C++ code", rep.DlibFuncs)
			}
			if got := rep.beyondTotal() > 0; got != tt.beyond {
				t.Errorf("instructions beyond x86-64-v2: %v, want %v\n%s", got, tt.beyond, strings.Join(rep.Samples, "\n"))
			}
		})
	}
}

// noTextRel fails when the binary needs its code patched at load time
// (DT_TEXTREL): what Go's linker produces when its probes of CC fail.
func noTextRel(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, err := f.DynValue(elf.DT_TEXTREL); err == nil && len(v) > 0 {
		t.Errorf("%s has DT_TEXTREL", path)
	}
	if v, err := f.DynValue(elf.DT_FLAGS); err == nil && len(v) > 0 && elf.DynFlag(v[0])&elf.DF_TEXTREL != 0 {
		t.Errorf("%s has DF_TEXTREL", path)
	}
}

func TestFyneTarball(t *testing.T) {
	deb := artefact(t, "FACELOGIN_DEB")
	tarxz := artefact(t, "FACELOGIN_TARXZ")
	need(t, "tar", "xz", "dpkg-deb")
	dir := t.TempDir()
	run(t, "tar", "-xJf", tarxz, "-C", dir)
	// fyne package puts everything under a directory named after the binary.
	dir = filepath.Join(dir, "facelogin")
	for _, p := range []string{
		"usr/local/bin/facelogin",
		"usr/local/share/applications/io.facelogin.app.desktop",
		"usr/local/share/pixmaps/io.facelogin.app.png",
		"Makefile",
	} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("tarball lacks facelogin/%s: %v", p, err)
		}
	}
	e := desktopEntry(t, filepath.Join(dir, "usr/local/share/applications/io.facelogin.app.desktop"))
	if e["Name"] != "Face Login" || e["Icon"] != "io.facelogin.app" || e["Exec"] != "facelogin" {
		t.Errorf("desktop entry from FyneApp.toml: Name=%q Icon=%q Exec=%q", e["Name"], e["Icon"], e["Exec"])
	}
	root := extract(t, deb)
	if a, b := sha256File(t, filepath.Join(dir, "usr/local/bin/facelogin")), sha256File(t, filepath.Join(root, "usr/bin/facelogin")); a != b {
		t.Errorf("the tarball's binary differs from the .deb's")
	}
}

// TestInstallRunPurge installs the .deb on this machine, runs the installed
// app with a private home (so only the package's models exist), starts the
// window under Xvfb, then purges and checks nothing is left.
func TestInstallRunPurge(t *testing.T) {
	deb := artefact(t, "FACELOGIN_DEB")
	if os.Geteuid() != 0 {
		testdata.Require(t, "root", errors.New("installing a package needs root"))
	}
	need(t, "dpkg", "dpkg-deb", "dpkg-query", "apt-get")
	if installed(t) {
		t.Fatalf("%s is already installed: purge it first (dpkg --purge %s); this test will not replace it", pkgName, pkgName)
	}

	// Which of the package's paths exist before it is installed (shared
	// directories such as /usr/share do; its own must not afterwards).
	existedBefore := map[string]bool{}
	var paths []string
	for _, l := range strings.Split(strings.TrimSpace(run(t, "dpkg-deb", "-c", deb)), "\n") {
		fs := strings.Fields(l)
		p := strings.TrimSuffix(strings.TrimPrefix(fs[5], "."), "/")
		if p == "" {
			continue
		}
		paths = append(paths, p)
		if _, err := os.Lstat(p); err == nil {
			existedBefore[p] = true
		}
	}

	t.Cleanup(func() {
		if installed(t) {
			exec.Command("dpkg", "--purge", pkgName).Run()
		}
	})
	start := time.Now()
	cmd := exec.Command("apt-get", "install", "-y", "-q", "--no-install-recommends", deb)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("apt-get install %s: %v\n%s", deb, err, out)
	}
	t.Logf("installed in %v", time.Since(start).Round(time.Millisecond))
	if !installed(t) {
		t.Fatalf("%s not installed after apt-get install", pkgName)
	}

	home := t.TempDir()
	env := []string{
		"PATH=/usr/bin:/bin", "HOME=" + home, "LANG=en_US.UTF-8", "OPENCV_LOG_LEVEL=ERROR",
	}
	app := func(t *testing.T, args ...string) string {
		t.Helper()
		cmd := exec.Command("facelogin", args...)
		cmd.Env, cmd.Dir = env, home
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("facelogin %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out)
	}
	t.Run("version", func(t *testing.T) {
		out := app(t, "--version")
		t.Log(out)
		for _, want := range []string{"facelogin " + os.Getenv("FACELOGIN_VERSION") + "\n", "models: " + modelsDir + "\n", "openblas"} {
			if !strings.Contains(out, want) {
				t.Errorf("facelogin --version lacks %q", want)
			}
		}
	})
	t.Run("models verify", func(t *testing.T) {
		out := app(t, "models", "verify")
		t.Log(out)
		photo := filepath.Join(testdata.Dir(t), "faces", "elkie.jpg")
		out = app(t, "models", "verify", "--image", photo)
		t.Log(out)
		if !strings.Contains(out, "1 face(s), 68 landmarks") {
			t.Errorf("models verify --image found no face with 68 landmarks in %s", photo)
		}
	})
	t.Run("window starts", func(t *testing.T) { windowStarts(t, env, home) })

	// Purge and look for anything left.
	if out, err := exec.Command("dpkg", "--purge", pkgName).CombinedOutput(); err != nil {
		t.Fatalf("dpkg --purge: %v\n%s", err, out)
	}
	if installed(t) {
		t.Fatalf("%s still installed after dpkg --purge", pkgName)
	}
	if out, err := exec.Command("dpkg-query", "-W", pkgName).CombinedOutput(); err == nil {
		t.Errorf("dpkg still knows %s after purge: %s", pkgName, out)
	}
	var left []string
	for _, p := range paths {
		if existedBefore[p] {
			continue
		}
		if _, err := os.Lstat(p); err == nil {
			left = append(left, p)
		}
	}
	info, _ := filepath.Glob("/var/lib/dpkg/info/" + pkgName + ".*")
	left = append(left, info...)
	sort.Strings(left)
	if len(left) > 0 {
		t.Errorf("left behind after purge:\n  %s", strings.Join(left, "\n  "))
	}
	t.Logf("%d paths in the package, %d of them shared directories that existed before; none left", len(paths), len(existedBefore))
}

// installed reports whether dpkg has the package installed.
func installed(t *testing.T) bool {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f=${db:Status-Status}", pkgName).Output()
	return err == nil && string(out) == "installed"
}

// windowStarts runs the installed app's window on a private Xvfb with a
// still-photo video as the camera, waits for its window, and stops it.
func windowStarts(t *testing.T, env []string, home string) {
	need(t, "Xvfb", "xdotool", "ffmpeg")
	display := testkit.StartXvfb(t, 1280, 800)
	photo := filepath.Join(testdata.Dir(t), "faces", "elkie.jpg")
	clip := filepath.Join(t.TempDir(), "clip.avi")
	run(t, "ffmpeg", "-loglevel", "error", "-loop", "1", "-i", photo, "-t", "30", "-r", "10",
		"-vf", "scale=640:-2", "-c:v", "mjpeg", "-q:v", "5", clip)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "facelogin", "--camera", clip)
	cmd.Env, cmd.Dir = append(env, "DISPLAY="+display, "FYNE_SCALE=1"), home
	var logs testkit.LockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed when the app has exited; waitErr is then its error.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()

	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-exited:
			t.Fatalf("facelogin exited before showing its window: %v\n%s", waitErr, logs.String())
		default:
		}
		search := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Face Login$")
		search.Env = []string{"DISPLAY=" + display}
		if out, err := search.Output(); err == nil && len(bytes.TrimSpace(out)) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no visible \"Face Login\" window in 2 min\n%s", logs.String())
		}
		time.Sleep(250 * time.Millisecond)
	}
	// Alive until the package's models are loaded (they load in the
	// background while the window starts): wait for that log line, not
	// for a fixed time, so a busy machine only makes it slower.
	loaded := `msg="models loaded" dir=` + modelsDir
	deadline = time.Now().Add(2 * time.Minute)
	for !strings.Contains(logs.String(), loaded) {
		select {
		case <-exited:
			t.Fatalf("facelogin exited after showing its window: %v\n%s", waitErr, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window did not load the package's models (%s):\n%s", modelsDir, logs.String())
		}
	}
}
