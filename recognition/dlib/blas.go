package dlib

// #cgo LDFLAGS: -ldl
// #define _GNU_SOURCE
// #include <dlfcn.h>
//
// // OpenBLAS's thread count, found at run time: Debian's libblas.so.3 may
// // be OpenBLAS or another BLAS without these functions.
// static int blas_set_threads(int n) {
// 	void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
// 	if (!set) {
// 		return 0;
// 	}
// 	set(n);
// 	return 1;
// }
// static int blas_threads(void) {
// 	int (*get)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
// 	return get ? get() : 0;
// }
import "C"

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// BLASLibraries lists the BLAS shared objects mapped into this process, as
// the dynamic linker resolved them (Debian picks libblas.so.3 through
// update-alternatives: OpenBLAS is ~20x faster for the ResNet than the
// reference BLAS). It reads /proc/self/maps, so it reports facts, not
// configuration.
func BLASLibraries() []string {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil
	}
	defer f.Close()
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			continue
		}
		path := fields[len(fields)-1]
		if base := filepath.Base(path); strings.Contains(base, "blas") && !seen[path] {
			seen[path] = true
			if real, err := filepath.EvalSymlinks(path); err == nil {
				path = real
			}
			out = append(out, path)
		}
	}
	return out
}

// SetBLASThreads sets how many threads OpenBLAS uses for each matrix
// product of the descriptor's ResNet, for the whole process; false when the
// BLAS in use is not OpenBLAS (nothing changed). Call it before any
// descriptor is computed.
//
// The live window sets 1: OpenBLAS's second thread waits for work by
// spinning (sched_yield) between the ResNet's layers, which more than
// doubled a descriptor's CPU time on this 2-core machine (BenchmarkDescribeTracked:
// 80 → 37 CPU ms per face of 240 px with other jobs running) and took a
// core from the tracker and the picture; the window overlaps whole
// descriptors instead (a login describes its frames at once). The
// descriptors are the same up to float32 rounding (bit for bit on some
// CPUs, ≤ 1e-6 apart on others; TestDescribeOneBLASThread).
func SetBLASThreads(n int) bool { return C.blas_set_threads(C.int(n)) != 0 }

// BLASThreads is OpenBLAS's thread count, 0 when the BLAS in use is not
// OpenBLAS.
func BLASThreads() int { return int(C.blas_threads()) }
