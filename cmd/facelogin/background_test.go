package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"facelogin/internal/directory"
	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// TestBackgroundEnv: $FACELOGIN_BACKGROUND gives identify a background
// set (the idols of faces/idols.json as a stand-in; it has no licence and
// ships nowhere) and says so; a file without a licence stops the command
// with what is wrong.
func TestBackgroundEnv(t *testing.T) {
	c := newCLI(t)
	c.want(exitOK, "enrol", "--user", "bona", c.photo("bona.jpg"))
	var faces []recognition.Template
	for _, id := range testdata.Idols(t) {
		faces = append(faces, recognition.Template{User: id.ID, Descriptor: id.Descriptor})
	}
	write := func(licence string) string {
		var b bytes.Buffer
		if err := directory.WriteBackground(&b, recognition.ModelID, licence, faces); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "bg.json")
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv(directory.BackgroundEnv, write("test only"))
	// Bona is among the idols: the background may tighten her threshold
	// enough to refuse her, so only the set's use is checked here.
	code, _, errOut := c.run("identify", c.photo("bona2.jpg"))
	if (code != exitOK && code != exitNoMatch) || !strings.Contains(errOut, "background set: 134 people") {
		t.Errorf("exit %d; stderr %q does not report the background set", code, errOut)
	}
	t.Setenv(directory.BackgroundEnv, write(""))
	_, errOut = c.want(exitInput, "identify", c.photo("bona2.jpg"))
	if !strings.Contains(errOut, "no licence") || !strings.Contains(errOut, directory.BackgroundEnv) {
		t.Errorf("a background without a licence: %q", errOut)
	}
}

// TestBackgroundImplausible: a background set of descriptors that are no
// faces is refused, naming what is wrong, instead of loosening every
// threshold: 120 random Gaussian "people" (at a real descriptor's norm)
// made a cohort far from chaeyeon, her threshold rose to Max 0.45, and a
// stranger (tzuyu.jpg, 0.402 from her) was identified as her.
func TestBackgroundImplausible(t *testing.T) {
	c := newCLI(t)
	c.want(exitOK, "enrol", "--user", "chaeyeon", c.photo("chaeyeon.jpg"))
	for _, tc := range []struct {
		name  string
		faces []recognition.Template
		want  string
	}{
		{"random Gaussian", testdata.RandomPeople(120, 0.125, false), "median distance between different people"},
		{"1e30", testdata.RandomPeople(120, 0, true), "not a face descriptor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := directory.WriteBackground(&b, recognition.ModelID, "CC0", tc.faces); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "bg.json")
			if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv(directory.BackgroundEnv, p)
			_, out, errOut := c.run("identify", "--json", c.photo("tzuyu.jpg"))
			if strings.Contains(out, "chaeyeon") || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, directory.BackgroundEnv) {
				t.Errorf("stdout %s\nstderr %s", out, errOut)
			}
		})
	}
}
