package dlib

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
