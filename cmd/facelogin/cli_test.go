package main

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"facelogin/internal/testdata"
)

// cli runs the command line in-process against a private SQLite database
// and key in a temp dir, and the models `make models` installed.
type cli struct {
	t      *testing.T
	faces  string
	models string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	models := testdata.ModelsDir(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("FACELOGIN_DB", "")
	t.Setenv("FACELOGIN_KEY", "")
	t.Setenv("FACELOGIN_MODELS", models)
	return &cli{t: t, faces: filepath.Join(testdata.Dir(t), "faces"), models: models}
}

func (c *cli) photo(name string) string { return filepath.Join(c.faces, name) }

// run returns the exit code, stdout and stderr.
func (c *cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func (c *cli) want(code int, args ...string) (string, string) {
	c.t.Helper()
	got, out, errOut := c.run(args...)
	if got != code {
		c.t.Fatalf("facelogin %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, code, out, errOut)
	}
	return out, errOut
}

func TestDetect(t *testing.T) {
	c := newCLI(t)
	out, _ := c.want(exitOK, "detect", "--json", c.photo("elkie.jpg"), c.photo("pristin.jpg"))
	var res []detectResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("detect --json: %v\n%s", err, out)
	}
	if len(res) != 2 || len(res[0].Faces) != 1 || len(res[1].Faces) != 10 {
		t.Fatalf("detect: %+v", res)
	}
	if f := res[0].Faces[0]; len(f.Landmarks) != 68 || f.Descriptor == ([128]float32{}) {
		t.Fatalf("elkie: %d landmarks, descriptor %v", len(f.Landmarks), f.Descriptor)
	}
	out, _ = c.want(exitOK, "detect", c.photo("elkie.jpg"))
	if !strings.Contains(out, "1 face(s)") || !strings.Contains(out, "descriptor:") {
		t.Fatalf("detect text output: %s", out)
	}
}

func TestDetectBadInput(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	photo, err := os.ReadFile(c.photo("elkie.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"empty.jpg":     nil,
		"random.jpg":    bytes.Repeat([]byte{0x13, 0x37, 0xC0, 0xDE}, 1000),
		"truncated.jpg": photo[:len(photo)/2],
	}
	files["photo.heic"] = append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...)
	// TIFF and BMP decoders are linked into the program (Fyne brings them):
	// real files of a photo must still be refused, naming the formats read.
	img, err := jpeg.Decode(bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	var tif, bm bytes.Buffer
	if err := tiff.Encode(&tif, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := bmp.Encode(&bm, img); err != nil {
		t.Fatal(err)
	}
	files["photo.tiff"], files["photo.bmp"] = tif.Bytes(), bm.Bytes()
	// An animated WebP's header (VP8X with the animation flag, then ANIM).
	files["animated.webp"] = []byte("RIFF\x2a\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02\x00\x00\x00\x3f\x00\x00\x3f\x00\x00ANIM\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.jpg"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "folder.jpg"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"empty.jpg":     "is empty",
		"random.jpg":    "not a JPEG, PNG, GIF or WebP",
		"truncated.jpg": "damaged or cut short",
		"missing.jpg":   "no such file",
		"photo.heic":    "HEIC",
		"photo.tiff":    "TIFF; export or save it as JPEG (JPEG, PNG, GIF and WebP are read)",
		"photo.bmp":     "BMP; export or save it as JPEG (JPEG, PNG, GIF and WebP are read)",
		"animated.webp": "animated WebP; export one frame",
		"fifo.jpg":      "named pipe",
		"folder.jpg":    "directory",
	} {
		t.Run(name, func(t *testing.T) {
			_, errOut := c.want(exitInput, "detect", filepath.Join(dir, name))
			if !strings.Contains(errOut, want) || !strings.Contains(errOut, name) {
				t.Fatalf("stderr %q does not say %q about %s", errOut, want, name)
			}
			// The file is named once ("photo.jpg: photo.jpg: …" was said).
			if n := strings.Count(errOut, name); n != 1 {
				t.Fatalf("stderr names %s %d times: %q", name, n, errOut)
			}
		})
	}
	c.want(exitUsage, "detect")
	c.want(exitUsage, "no-such-command")
	_, errOut := c.want(exitModels, "detect", "--models", t.TempDir(), c.photo("elkie.jpg"))
	if !strings.Contains(errOut, "missing") || !strings.Contains(errOut, "models install") {
		t.Fatalf("missing models: %s", errOut)
	}
}

// TestEnrolIdentify walks the headless life of a user on the embedded
// database: enrol, refusals, identify, verify, rename, disable, delete.
func TestEnrolIdentify(t *testing.T) {
	c := newCLI(t)
	c.want(exitOK, "enrol", "--user", "bona", c.photo("bona.jpg"), c.photo("bona2.jpg"))
	_, errOut := c.want(exitInput, "enrol", "--user", "BONA", c.photo("joy.jpg"))
	if !strings.Contains(errOut, "already exists") {
		t.Fatalf("duplicate name: %s", errOut)
	}
	_, errOut = c.want(exitInput, "enrol", "--user", "group", c.photo("joy.jpg"), c.photo("pristin.jpg"))
	if !strings.Contains(errOut, "more than one face") || !strings.Contains(errOut, "pristin.jpg") || !strings.Contains(errOut, "nothing was enrolled") {
		t.Fatalf("group photo: %s", errOut)
	}
	// Every refused photo is named in one run, each with what to do; the
	// good one among them is not enrolled either ("joy" is enrolled from
	// it below, which a copy under "group" would refuse as a duplicate).
	broken := filepath.Join(t.TempDir(), "broken.jpg")
	if err := os.WriteFile(broken, []byte("\xff\xd8\xff not really a JPEG"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut = c.want(exitInput, "enrol", "--user", "group", c.photo("pristin.jpg"), c.photo("joy.jpg"), broken)
	for _, w := range []string{"2 of 3 photos refused", "nothing was enrolled", "pristin.jpg", "more than one face", "broken.jpg"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("two bad photos of three: no %q in %s", w, errOut)
		}
	}
	_, errOut = c.want(exitInput, "enrol", "--user", "again", c.photo("bona.jpg"))
	if !strings.Contains(errOut, `already enrolled as "bona"`) || !strings.Contains(errOut, "--allow-duplicate") {
		t.Fatalf("same face under a new name: %s", errOut)
	}
	c.want(exitInput, "enrol", "--user", "bad name!", c.photo("joy.jpg"))
	c.want(exitOK, "enrol", "--user", "joy", c.photo("joy.jpg"))

	out, _ := c.want(exitOK, "identify", c.photo("bona2.jpg"))
	if !strings.HasPrefix(out, "bona (distance 0.0") {
		t.Fatalf("identify enrolled photo: %s", out)
	}
	out, _ = c.want(exitNoMatch, "identify", c.photo("elkie.jpg"))
	if !strings.HasPrefix(out, "not recognised") {
		t.Fatalf("identify stranger: %s", out)
	}
	out, _ = c.want(exitOK, "identify", "--json", c.photo("joy.jpg"))
	var d verdict
	if err := json.Unmarshal([]byte(out), &d); err != nil || !d.Recognised || d.User != "joy" || d.Reason != "accepted" ||
		d.Distance == nil || d.Threshold == nil || d.NearestOther != "" || d.Candidate != "" {
		t.Fatalf("identify --json: %+v %v", d, err)
	}
	// Only an administrator's --verbose names the other users near a face.
	out, _ = c.want(exitOK, "identify", "--json", "--verbose", c.photo("joy.jpg"))
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.User != "joy" || d.NearestOther != "bona" {
		t.Fatalf("identify --json --verbose: %+v %v", d, err)
	}
	c.want(exitOK, "verify", "--user", "joy", c.photo("joy.jpg"))
	c.want(exitNoMatch, "verify", "--user", "joy", c.photo("bona.jpg"))
	c.want(exitInput, "verify", "--user", "nobody", c.photo("bona.jpg"))

	c.want(exitOK, "users", "rename", "joy", "joy.park")
	c.want(exitOK, "users", "disable", "bona")
	// A disabled user's face reads as a stranger's: "disabled" would tell
	// whoever holds the photo that the face is enrolled. --verbose and the
	// audit log tell an administrator.
	if out, _ := c.want(exitNoMatch, "identify", c.photo("bona.jpg")); out != "not recognised\n" {
		t.Fatalf("identify a disabled user: %q", out)
	}
	out, _ = c.want(exitNoMatch, "identify", "--json", c.photo("bona.jpg"))
	var dv verdict
	if err := json.Unmarshal([]byte(out), &dv); err != nil || dv.Recognised || dv.Reason != "too far" || dv.Message != "" ||
		dv.User != "" || dv.Distance != nil || dv.Candidate != "" || strings.Contains(out, "disabled") {
		t.Fatalf("identify --json a disabled user: %s", out)
	}
	out, _ = c.want(exitNoMatch, "identify", "--verbose", c.photo("bona.jpg"))
	if !strings.HasPrefix(out, "not recognised: the matching account is disabled (candidate bona at ") {
		t.Fatalf("identify --verbose a disabled user: %q", out)
	}
	out, _ = c.want(exitOK, "events", "--kind", "login_failure", "--csv")
	if n := strings.Count(out, "user disabled; liveness not checked (command line)"); n != 3 || strings.Contains(out, ",bona,") {
		t.Fatalf("the audit log has %d disabled-user refusals (want 3, naming nobody): %s", n, out)
	}
	c.want(exitNoMatch, "verify", "--user", "bona", c.photo("bona.jpg"))
	c.want(exitOK, "users", "enable", "bona")
	out, _ = c.want(exitOK, "users", "list", "--json")
	var rows []struct {
		Name      string  `json:"name"`
		Templates int     `json:"templates"`
		LastLogin *string `json:"last_login"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("users list: %v %s", err, out)
	}
	for _, r := range rows {
		// joy logged in through identify and verify: the last login shows.
		if r.Name == "bona" && r.Templates != 2 || r.Name == "joy.park" && (r.Templates != 1 || r.LastLogin == nil) {
			t.Fatalf("users list: %+v", rows)
		}
	}
	c.want(exitOK, "users", "delete", "bona")
	c.want(exitNoMatch, "identify", c.photo("bona.jpg"))
	c.want(exitInput, "users", "delete", "bona")
	c.want(exitUsage, "users", "rename", "only-one")
}

// TestIdentifyNamesNobody: a stranger identified from a photo learns
// nothing about who is enrolled — not on stdout or stderr, in text or
// JSON, and the audit log records the refusal under no name — while an
// administrator's --verbose names the nearest user. A refused verification
// names only the user typed.
func TestIdentifyNamesNobody(t *testing.T) {
	c := newCLI(t)
	c.want(exitOK, "enrol", "--user", "bona", c.photo("bona.jpg"), c.photo("bona2.jpg"))
	c.want(exitOK, "enrol", "--user", "joy", c.photo("joy.jpg"))
	names := []string{"bona", "joy"}
	noNames := func(what, text string) {
		t.Helper()
		for _, n := range names {
			if strings.Contains(text, n) {
				t.Errorf("%s names %s: %q", what, n, text)
			}
		}
	}
	out, errOut := c.want(exitNoMatch, "identify", c.photo("elkie.jpg"))
	if out != "not recognised\n" {
		t.Errorf("identify a stranger: %q", out)
	}
	noNames("identify (stdout)", out)
	noNames("identify (stderr)", errOut)
	out, errOut = c.want(exitNoMatch, "identify", "--json", c.photo("elkie.jpg"))
	noNames("identify --json", out+errOut)
	var v verdict
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Recognised || v.Reason != "too far" || v.Distance != nil || v.Threshold != nil {
		t.Errorf("identify --json: %+v %v", v, err)
	}
	out, _ = c.want(exitNoMatch, "identify", "--verbose", c.photo("elkie.jpg"))
	if !strings.HasPrefix(out, "not recognised (candidate ") || !strings.Contains(out, "threshold") {
		t.Errorf("identify --verbose: %q", out)
	}
	out, _ = c.want(exitNoMatch, "identify", "--json", "--verbose", c.photo("elkie.jpg"))
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Candidate == "" || v.Distance == nil || v.NearestOther == "" || v.NearestOther == v.Candidate {
		t.Errorf("identify --json --verbose: %+v %v", v, err)
	}
	out, _ = c.want(exitNoMatch, "verify", "--user", "joy", c.photo("bona.jpg"))
	if out != "not recognised: this face does not match joy\n" {
		t.Errorf("verify joy with bona's photo: %q", out)
	}
	// The audit log: the four identifications of the stranger under no
	// name, the verification under the name typed.
	out, _ = c.want(exitOK, "events", "--kind", "login_failure", "--csv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1+5 {
		t.Fatalf("events: %q", out)
	}
	for _, l := range lines[1:] {
		if strings.Contains(l, "verify") || strings.Contains(l, ",joy,") {
			continue
		}
		noNames("the audit log", l)
		if !strings.Contains(l, "not recognised: too far; liveness not checked (command line)") {
			t.Errorf("audit line %q", l)
		}
	}
}

// TestEnrolAdd: `enrol --add` adds templates to an existing user, never
// replacing any, and refuses another user's face and photos of two people; `users show` lists the
// templates by kind and date and never a descriptor.
func TestEnrolAdd(t *testing.T) {
	c := newCLI(t)
	c.want(exitOK, "enrol", "--user", "bona", c.photo("bona.jpg"))
	c.want(exitOK, "enrol", "--user", "joy", c.photo("joy.jpg"))
	// bona3 is 0.339 from bona.jpg, within her threshold; bona2 (0.421)
	// is not, and is added by an administrator's override.
	out, _ := c.want(exitOK, "enrol", "--add", "--user", "bona", c.photo("bona3.jpg"))
	if out != "added 1 template(s) to bona (2 in all)\n" {
		t.Errorf("enrol --add: %q", out)
	}
	out, _ = c.want(exitOK, "enrol", "--add", "--allow-duplicate", "--user", "bona", c.photo("bona2.jpg"))
	if out != "added 1 template(s) to bona (3 in all)\n" {
		t.Errorf("enrol --add --allow-duplicate: %q", out)
	}
	_, errOut := c.want(exitInput, "enrol", "--add", "--user", "bona", c.photo("bona3.jpg"), c.photo("joy.jpg"))
	if !strings.Contains(errOut, "do not show one person") || !strings.Contains(errOut, "joy.jpg is 0.") {
		t.Errorf("joy's face added to bona: %s", errOut)
	}
	_, errOut = c.want(exitInput, "enrol", "--add", "--allow-duplicate", "--user", "bona", c.photo("joy.jpg"))
	if !strings.Contains(errOut, `"joy"`) || !strings.Contains(errOut, "already enrolled under another name") {
		t.Errorf("joy's face added to bona with --allow-duplicate: %s", errOut)
	}
	c.want(exitInput, "enrol", "--add", "--user", "nobody", c.photo("bona4.jpg"))
	out, _ = c.want(exitOK, "users", "show", "bona")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "bona: registered ") || !strings.Contains(lines[0], "3 template(s)") {
		t.Fatalf("users show: %q", out)
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(strings.TrimSpace(l), "enrolment") || strings.Count(l, ".") > 3 {
			t.Errorf("users show line %q", l)
		}
	}
	out, _ = c.want(exitOK, "users", "show", "--json", "bona")
	var shown struct {
		Name      string `json:"name"`
		Templates []struct {
			Kind       string   `json:"kind"`
			Created    string   `json:"created"`
			Descriptor []string `json:"descriptor"`
		} `json:"templates"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.Name != "bona" || len(shown.Templates) != 3 ||
		shown.Templates[2].Kind != "enrolment" || shown.Templates[2].Created == "" || strings.Contains(out, "descriptor") {
		t.Fatalf("users show --json: %v %s", err, out)
	}
	c.want(exitInput, "users", "show", "nobody")
}

// TestMistypedDB: a --db path that does not exist is refused, naming
// --create, and nothing is created; with --create it is.
func TestMistypedDB(t *testing.T) {
	c := newCLI(t)
	typo := filepath.Join(t.TempDir(), "facelgoin", "users.db")
	_, errOut := c.want(exitDatabase, "users", "list", "--db", typo)
	if !strings.Contains(errOut, "--create") {
		t.Fatalf("mistyped --db: %s", errOut)
	}
	if _, err := os.Stat(filepath.Dir(typo)); !os.IsNotExist(err) {
		t.Fatalf("a directory was created for a mistyped --db: %v", err)
	}
	c.want(exitOK, "users", "list", "--db", typo, "--create")
	c.want(exitOK, "users", "list", "--db", typo)
}

func TestDatabaseDown(t *testing.T) {
	c := newCLI(t)
	// Nothing listens on port 1: the store must say so, not hang or crash.
	_, errOut := c.want(exitDatabase, "users", "list", "--db", "mysql://facelogin:x@127.0.0.1:1/facelogin")
	if !strings.Contains(errOut, "cannot reach the database") {
		t.Fatalf("database down: %s", errOut)
	}
}
