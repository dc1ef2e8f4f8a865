package directory_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"facelogin/internal/directory"
	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// writeBackground writes ts as a background set file and returns its path.
func writeBackground(t *testing.T, modelID, licence string, ts []recognition.Template) string {
	t.Helper()
	var b bytes.Buffer
	if err := directory.WriteBackground(&b, modelID, licence, ts); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "background.json")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBackgroundFile: a background set read from a file (the idols of
// faces/idols.json less the two enrolled people, as a stand-in: it has no
// licence and ships nowhere) joins the cohort, so a user's threshold
// follows from 132 strangers instead of one other user; a file without a
// licence, of another model, or with a broken descriptor is refused with
// what is wrong.
func TestBackgroundFile(t *testing.T) {
	idols := testdata.Idols(t)
	ctx := context.Background()
	d := openDirectory(t)
	alice := idols[0]
	var bob testdata.Idol
	for _, id := range idols {
		if id.ID != alice.ID {
			bob = id
			break
		}
	}
	for name, id := range map[string]testdata.Idol{"alice": alice, "bob": bob} {
		if _, err := d.Enroll(ctx, name, []recognition.Descriptor{id.Descriptor}, nil); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := d.Threshold("alice")

	var faces []recognition.Template
	for _, id := range idols {
		if id.ID != alice.ID && id.ID != bob.ID {
			faces = append(faces, recognition.Template{User: id.ID, Descriptor: id.Descriptor})
		}
	}
	n, err := d.UseBackgroundFile(writeBackground(t, recognition.ModelID, "test only: no licence, not shipped", faces))
	if err != nil || n < 100 {
		t.Fatalf("%d people, %v", n, err)
	}
	after, _ := d.Threshold("alice")
	t.Logf("alice's threshold: %+v without background, %+v with %d people", before, after, n)
	if before.Cohort != 1 || after.Cohort != 1+n || after.Nearest >= before.Nearest {
		t.Errorf("threshold without background %+v, with %+v", before, after)
	}
	if m := d.Identify(&alice.Descriptor); m.User != "alice" {
		t.Errorf("a background person was matched: %+v", m)
	}

	broken := filepath.Join(t.TempDir(), "broken.json")
	if err := os.WriteFile(broken, []byte(`{"model":"dlib_resnet_v1","licence":"CC0","faces":[{"person":"p","descriptor":"AAAA"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	writable := writeBackground(t, recognition.ModelID, "CC0", faces)
	if err := os.Chmod(writable, 0o664); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"writable by the group", writable, "chmod go-w"},
		{"no licence", writeBackground(t, recognition.ModelID, " ", faces), "no licence"},
		{"other model", writeBackground(t, "facenet", "CC0", faces), "model"},
		{"no faces", writeBackground(t, recognition.ModelID, "CC0", nil), "no faces"},
		{"short descriptor", broken, "face 1"},
		// Not faces of the model: each would have been read as 120
		// strangers far from every user, raising thresholds to Max.
		{"random Gaussian", writeBackground(t, recognition.ModelID, "CC0", testdata.RandomPeople(120, 1, false)), "not a face descriptor"},
		{"random Gaussian at a real norm", writeBackground(t, recognition.ModelID, "CC0", testdata.RandomPeople(120, 0.125, false)), "median distance between different people"},
		{"1e30", writeBackground(t, recognition.ModelID, "CC0", testdata.RandomPeople(120, 0, true)), "component"},
	} {
		_, err := d.UseBackgroundFile(tc.path)
		if !errors.Is(err, directory.ErrBadBackground) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrBadBackground saying %q", tc.name, err, tc.want)
		}
	}
	if now, _ := d.Threshold("alice"); now != after {
		t.Errorf("a refused file changed the threshold: %+v, was %+v", now, after)
	}
}

// openDirectory is a directory on a new, empty SQLite database.
func openDirectory(t *testing.T) *directory.Directory {
	t.Helper()
	st := openStore(t, filepath.Join(t.TempDir(), "db.sqlite"), make([]byte, 32))
	d, err := directory.Open(context.Background(), st, recognition.ModelID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
