package directory_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"facelogin/internal/directory"
	"facelogin/internal/testdata"
	"facelogin/recognition"
)

func encodeDescriptor(d recognition.Descriptor) string {
	b := make([]byte, 4*len(d))
	for i, v := range d {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return base64.StdEncoding.EncodeToString(b)
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
	st := openStore(t, filepath.Join(t.TempDir(), "db.sqlite"), make([]byte, 32))
	d, err := directory.Open(ctx, st, recognition.ModelID, 0)
	if err != nil {
		t.Fatal(err)
	}
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

	type face struct {
		Person     string `json:"person"`
		Descriptor string `json:"descriptor"`
	}
	var faces []face
	for _, id := range idols {
		if id.ID != alice.ID && id.ID != bob.ID {
			faces = append(faces, face{id.ID, encodeDescriptor(id.Descriptor)})
		}
	}
	write := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "background.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type file struct {
		Model   string `json:"model"`
		Licence string `json:"licence"`
		Faces   []face `json:"faces"`
	}
	n, err := d.UseBackgroundFile(write(file{recognition.ModelID, "test only: no licence, not shipped", faces}))
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

	bad := faces[0]
	bad.Descriptor = bad.Descriptor[:40]
	for _, tc := range []struct {
		name string
		f    file
		want string
	}{
		{"no licence", file{recognition.ModelID, " ", faces}, "no licence"},
		{"other model", file{"facenet", "CC0", faces}, "model"},
		{"no faces", file{recognition.ModelID, "CC0", nil}, "no faces"},
		{"short descriptor", file{recognition.ModelID, "CC0", []face{faces[1], bad}}, "face 2"},
	} {
		_, err := d.UseBackgroundFile(write(tc.f))
		if !errors.Is(err, directory.ErrBadBackground) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrBadBackground saying %q", tc.name, err, tc.want)
		}
	}
	if now, _ := d.Threshold("alice"); now != after {
		t.Errorf("a refused file changed the threshold: %+v, was %+v", now, after)
	}
}
