package fynelocale_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"

	"facelogin/internal/fynelocale"
)

// helperEnv makes the test binary print Fyne's translation of "Cancel" and
// exit: the package inits (this package's, then Fyne's lang) have run with
// the environment the test gave it.
const helperEnv = "FYNELOCALE_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		fmt.Print(lang.L("Cancel"))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestFyneQuiet starts the test binary with each locale environment and
// checks, against the real Fyne lang package, that nothing is printed and
// which language Fyne chose.
func TestFyneQuiet(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  []string
		want string // Fyne's "Cancel"
	}{
		{[]string{"LANG=C.UTF-8"}, "Cancel"},
		{[]string{"LANG=C.utf8"}, "Cancel"},
		{[]string{"LC_ALL=C.UTF-8", "LANG=es_ES.UTF-8"}, "Cancel"},
		{[]string{"LANG=POSIX.UTF-8"}, "Cancel"},
		{[]string{"LANG=C"}, "Cancel"},
		{[]string{"LANG=POSIX"}, "Cancel"},
		{[]string{}, "Cancel"},
		{[]string{"LANG=en_US.UTF-8"}, "Cancel"},
		{[]string{"LANG=es_ES.UTF-8"}, "Cancelar"},
		{[]string{"LANG=de_DE@euro"}, "Abbrechen"},
		{[]string{"LC_MESSAGES=es_ES.UTF-8", "LANG=C.UTF-8"}, "Cancelar"},
		{[]string{"LANG=C.UTF-8", "LANGUAGE=es"}, "Cancelar"},
		{[]string{"LANG=C.UTF-8", "LANGUAGE=de:C.UTF-8"}, "Abbrechen"},
		{[]string{"LANG=es_ES.UTF-8", "LANGUAGE=:es"}, "Cancelar"},
	} {
		t.Run(strings.Join(c.env, " "), func(t *testing.T) {
			cmd := exec.Command(exe)
			cmd.Env = append([]string{helperEnv + "=1", "PATH=" + os.Getenv("PATH")}, c.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if stderr.Len() != 0 {
				t.Fatalf("Fyne printed:\n%s", stderr.String())
			}
			if stdout.String() != c.want {
				t.Fatalf("Fyne's Cancel is %q, want %q", stdout.String(), c.want)
			}
		})
	}
}

func TestRepair(t *testing.T) {
	for _, c := range []struct {
		env    map[string]string
		want   string
		change bool
	}{
		{map[string]string{"LANG": "C.UTF-8"}, "en", true},
		{map[string]string{"LANG": "POSIX.UTF-8"}, "en", true},
		{map[string]string{"LC_ALL": "C.UTF-8", "LANG": "fr_FR.UTF-8"}, "en", true},
		{map[string]string{"LANG": "de_DE@euro"}, "de_DE", true},
		{map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "es_ES:C:fr"}, "es_ES:fr", true},
		{map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "es"}, "", false},
		{map[string]string{"LANG": "C"}, "", false},
		{map[string]string{"LANG": "C", "LANGUAGE": "x.y"}, "", false}, // ignored by go-locale for C
		{map[string]string{"LANG": "en_GB.UTF-8"}, "", false},
		{map[string]string{"LANG": "pt_BR.UTF-8"}, "", false},
		{map[string]string{}, "", false},
	} {
		got, changed := fynelocale.Repair(func(k string) string { return c.env[k] })
		if got != c.want || changed != c.change {
			t.Errorf("Repair(%v) = %q, %v; want %q, %v", c.env, got, changed, c.want, c.change)
		}
	}
}
