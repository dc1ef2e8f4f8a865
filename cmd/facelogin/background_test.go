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
