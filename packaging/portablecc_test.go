package packaging

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"facelogin/internal/testdata"
)

// A loop GCC vectorises at -O3: with -march=native on an AVX2 machine it
// becomes ymm and vfmadd instructions, with x86-64-v2 SSE only.
const saxpy = `
#include <cstdio>
__attribute__((noinline)) void saxpy(float *y, const float *x, float a, int n) {
	for (int i = 0; i < n; i++) y[i] += a * x[i];
}
int main() {
	static float x[1024], y[1024];
	for (int i = 0; i < 1024; i++) { x[i] = i; y[i] = 1; }
	saxpy(y, x, 2.0f, 1024);
	std::printf("%s %g\n", GREETING, y[1023]);
}
`

// TestPortableCC builds the same program with go-face's own flags through
// g++ and through portable-g++, and scans both with the check the package
// test applies to the shipped binary.
func TestPortableCC(t *testing.T) {
	if _, err := exec.LookPath("g++"); err != nil {
		t.Fatalf("g++: %v (cgo needs it anyway)", err)
	}
	if _, err := exec.LookPath("objdump"); err != nil {
		t.Fatalf("objdump: %v (binutils comes with g++)", err)
	}
	wrapper, err := filepath.Abs("portable-g++")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "saxpy.cc")
	if err := os.WriteFile(src, []byte(saxpy), 0o644); err != nil {
		t.Fatal(err)
	}
	// go-face's #cgo CXXFLAGS, plus a define whose value has a space and
	// quotes: the wrapper must pass every other argument through unchanged.
	flags := []string{"-std=c++1z", "-Wall", "-O3", "-DNDEBUG", "-march=native", "-mtune=native", `-DGREETING="hello world"`}

	tests := []struct {
		name   string
		cmd    []string
		beyond bool // expect instructions an x86-64-v2 CPU lacks
	}{
		{name: "g++ -march=native", cmd: []string{"g++"}, beyond: true},
		{name: "portable-g++", cmd: []string{wrapper}, beyond: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.beyond && !cpuHasAVX2(t) {
				testdata.Require(t, "an AVX2 CPU (where -march=native goes beyond x86-64-v2, the check's control)", errors.New("/proc/cpuinfo lists no avx2"))
			}
			exe := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			args := append(append(tt.cmd[1:], flags...), "-o", exe, src)
			if out, err := exec.Command(tt.cmd[0], args...).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", tt.name, err, out)
			}
			out, err := exec.Command(exe).Output()
			if err != nil {
				t.Fatalf("run %s: %v", exe, err)
			}
			if got, want := string(out), "hello world 2047\n"; got != want {
				t.Errorf("program printed %q, want %q", got, want)
			}
			rep := scanISA(t, exe)
			t.Log(rep)
			if got := rep.beyondTotal() > 0; got != tt.beyond {
				t.Errorf("instructions beyond x86-64-v2: %v, want %v; %s\n%s", got, tt.beyond, rep, strings.Join(rep.Samples, "\n"))
			}
		})
	}
}

// TestPortableCCRewrites checks what each compiler is finally given, with
// gcc's own report of the target it compiles for.
func TestPortableCCRewrites(t *testing.T) {
	for _, tt := range []struct{ wrapper, lang string }{{"portable-gcc", "c"}, {"portable-g++", "c++"}} {
		t.Run(tt.wrapper, func(t *testing.T) {
			out, err := exec.Command("./"+tt.wrapper, "-march=native", "-mtune=native", "-Q", "--help=target", "-v").CombinedOutput()
			if err != nil {
				t.Fatalf("%s --help=target: %v\n%s", tt.wrapper, err, out)
			}
			var march, mtune string
			for _, l := range strings.Split(string(out), "\n") {
				f := strings.Fields(l)
				if len(f) == 2 && f[0] == "-march=" {
					march = f[1]
				}
				if len(f) == 2 && f[0] == "-mtune=" {
					mtune = f[1]
				}
			}
			if march != "x86-64-v2" || mtune != "generic" {
				t.Errorf("got -march=%s -mtune=%s, want x86-64-v2 and generic", march, mtune)
			}
		})
	}
}

// TestPortableCCLinkerProbe runs the wrappers the way Go's linker probes
// CC for -no-pie: the wrapper alone, options first. When a probe fails the
// linker makes a PIE of non-PIC Go code (DT_TEXTREL) and leaves the debug
// sections uncompressed.
func TestPortableCCLinkerProbe(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "trivial.c")
	if err := os.WriteFile(src, []byte("int main() { return 0; }"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"portable-gcc", "portable-g++"} {
		out, err := exec.Command("./"+w, "-m64", "-o", filepath.Join(dir, "a.out"), "-no-pie", src).CombinedOutput()
		if err != nil || strings.Contains(string(out), "unrecognized") {
			t.Errorf("%s -no-pie: %v\n%s", w, err, out)
		}
	}
}
