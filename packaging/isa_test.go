package packaging

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// isaReport counts the instructions in a binary's C and C++ code that an
// x86-64-v2 CPU lacks: anything VEX or EVEX encoded (AVX, AVX2, FMA,
// AVX-512: mnemonics starting with v, or using ymm/zmm/mask registers), and
// the BMI/LZCNT/MOVBE scalar extensions of x86-64-v3.
type isaReport struct {
	Instructions int            // instructions scanned
	Functions    int            // functions scanned
	DlibFuncs    int            // of which dlib's (mangled name contains 4dlib)
	Beyond       map[string]int // mnemonic -> count, beyond x86-64-v2
	Samples      []string       // a few "function: instruction" lines
}

func (r isaReport) beyondTotal() int {
	n := 0
	for _, c := range r.Beyond {
		n += c
	}
	return n
}

func (r isaReport) String() string {
	ms := make([]string, 0, len(r.Beyond))
	for m := range r.Beyond {
		ms = append(ms, m)
	}
	// The most frequent first; a dozen say enough.
	sort.Slice(ms, func(i, j int) bool {
		if r.Beyond[ms[i]] != r.Beyond[ms[j]] {
			return r.Beyond[ms[i]] > r.Beyond[ms[j]]
		}
		return ms[i] < ms[j]
	})
	for i, m := range ms {
		ms[i] = fmt.Sprintf("%s:%d", m, r.Beyond[m])
	}
	if len(ms) > 12 {
		ms = append(ms[:12], "...")
	}
	return fmt.Sprintf("%d instructions in %d functions (%d dlib), %d beyond x86-64-v2 (%d kinds) %v",
		r.Instructions, r.Functions, r.DlibFuncs, r.beyondTotal(), len(r.Beyond), ms)
}

// v3Scalar are x86-64-v3's non-vector additions. tzcnt is left out: GCC
// emits `rep bsf` for generic targets, which objdump shows as tzcnt and
// which older CPUs run as bsf.
var v3Scalar = map[string]bool{
	"andn": true, "bextr": true, "blsi": true, "blsmsk": true, "blsr": true, "bzhi": true,
	"mulx": true, "pdep": true, "pext": true, "rorx": true, "sarx": true, "shlx": true,
	"shrx": true, "lzcnt": true, "movbe": true,
}

// instrPrefixes are what objdump prints before a mnemonic.
var instrPrefixes = map[string]bool{
	"rep": true, "repz": true, "repnz": true, "repe": true, "repne": true, "lock": true,
	"notrack": true, "bnd": true, "data16": true, "addr32": true, "cs": true, "ds": true,
	"es": true, "fs": true, "gs": true, "ss": true, "rex": true, "rex.W": true,
}

func beyondV2(mnemonic, operands string) bool {
	if v3Scalar[mnemonic] {
		return true
	}
	if strings.HasPrefix(mnemonic, "v") && mnemonic != "verr" && mnemonic != "verw" {
		return true
	}
	// AVX-512 mask instructions (kmovw, kortestw, ...); no legacy mnemonic starts with k.
	if strings.HasPrefix(mnemonic, "k") {
		return true
	}
	return strings.Contains(operands, "%ymm") || strings.Contains(operands, "%zmm")
}

// scanISA disassembles the C and C++ code of an ELF executable with objdump.
// In a Go binary that is .text outside [runtime.text, runtime.etext): the
// external linker puts the cgo objects (and their .cold parts) around the
// Go code. In any other executable it is the whole .text.
func scanISA(t *testing.T, path string) isaReport {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("scan %s: %v", path, err)
	}
	defer f.Close()
	text := f.Section(".text")
	if text == nil {
		t.Fatalf("scan %s: no .text section", path)
	}
	start, end := text.Addr, text.Addr+text.Size
	ranges := [][2]uint64{{start, end}}
	syms, _ := f.Symbols() // a stripped binary has none: then all of .text
	var goText, goEText uint64
	for _, s := range syms {
		switch s.Name {
		case "runtime.text":
			goText = s.Value
		case "runtime.etext":
			goEText = s.Value
		}
	}
	if goText != 0 && goEText != 0 {
		ranges = [][2]uint64{{start, goText}, {goEText, end}}
	} else if len(syms) == 0 {
		t.Fatalf("scan %s: stripped binary: cannot tell Go code from C code", path)
	}

	rep := isaReport{Beyond: map[string]int{}}
	fn := ""
	for _, r := range ranges {
		if r[0] >= r[1] {
			continue
		}
		out, err := exec.Command("objdump", "-d", "--no-show-raw-insn",
			fmt.Sprintf("--start-address=%#x", r[0]), fmt.Sprintf("--stop-address=%#x", r[1]), path).Output()
		if err != nil {
			t.Fatalf("objdump %s: %v", path, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasSuffix(line, ">:") {
				if i := strings.IndexByte(line, '<'); i >= 0 {
					fn = line[i+1 : len(line)-2]
					rep.Functions++
					if strings.Contains(fn, "4dlib") {
						rep.DlibFuncs++
					}
				}
				continue
			}
			_, insn, ok := strings.Cut(line, ":\t")
			if !ok {
				continue
			}
			fields := strings.Fields(insn)
			for len(fields) > 1 && instrPrefixes[fields[0]] {
				fields = fields[1:]
			}
			if len(fields) == 0 || fields[0] == "(bad)" {
				continue
			}
			rep.Instructions++
			operands := strings.Join(fields[1:], " ")
			if beyondV2(fields[0], operands) {
				rep.Beyond[fields[0]]++
				if len(rep.Samples) < 8 {
					name := fn
					if len(name) > 80 {
						name = name[:80] + "..."
					}
					rep.Samples = append(rep.Samples, name+": "+strings.TrimSpace(insn))
				}
			}
		}
	}
	return rep
}

// cpuHasAVX2 reports whether this machine's CPU has AVX2, i.e. whether
// -march=native here produces code an x86-64-v2 CPU cannot run.
func cpuHasAVX2(t *testing.T) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Fatalf("read /proc/cpuinfo: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "flags") {
			return strings.Contains(" "+l+" ", " avx2 ")
		}
	}
	return false
}
