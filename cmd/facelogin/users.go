package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"facelogin/internal/directory"
	"facelogin/recognition"
	"facelogin/recognition/dlib"
	"facelogin/store"
)

// common are the flags of every command that uses the database.
type common struct {
	db        *dbOptions
	models    *string
	threshold *float64
	station   *string
}

func addCommon(e *env, fs *flag.FlagSet) *common {
	fs.BoolVar(&e.json, "json", false, "print JSON for scripts")
	return &common{
		db:        addDBFlags(fs),
		models:    fs.String("models", "", "models directory (default $FACELOGIN_MODELS or ~/.local/share/facelogin/models)"),
		threshold: fs.Float64("threshold", float64(recognition.DefaultThreshold), "base threshold: the largest distance accepted as the same person while the gallery is small; each user's own threshold follows from it and from who else is enrolled (README, \"Accuracy\")"),
		station:   fs.String("station", "", "station name for the audit log (default: host name)"),
	}
}

func openStore(ctx context.Context, e *env, c *common) (*store.Store, error) {
	cfg, source, err := c.db.config(e)
	if err != nil {
		return nil, err
	}
	cfg.Station = *c.station
	st, err := store.Open(ctx, cfg)
	if err != nil {
		return nil, explainOpenError(err, source)
	}
	fmt.Fprintf(e.stderr, "database: %s (%s)\n", st.Describe(), source)
	return st, nil
}

// explainOpenError is explainStoreError for store.Open, whose missing or
// unreachable database is fixed where its address came from (source, as
// store.ResolveDSN names it): the settings file is named with its path, so
// a person whose database is configured there is not sent to --db alone.
func explainOpenError(err error, source string) error {
	where := "the --db value or $" + store.DBEnv
	switch source {
	case "settings file":
		where = "the settings file"
		if path, perr := store.SettingsFile(); perr == nil {
			where += " " + path
		}
		where += " (or give --db or $" + store.DBEnv + ", which take precedence)"
	case store.DBEnv:
		where = "$" + store.DBEnv + " (or give --db, which takes precedence)"
	case "--db flag":
		where = "the --db value"
	}
	switch {
	case errors.Is(err, store.ErrNoDatabase):
		return fail(exitDatabase, err, "%v\n  no database there: check the path in %s; to start a new, empty database there, add --create", err, where)
	case errors.Is(err, store.ErrUnavailable):
		return fail(exitDatabase, err, "cannot reach the database: %v\n  check that the server runs and the address in %s is right, then try again", err, where)
	}
	return explainStoreError(err)
}

// explainStoreError writes the store's failures for people.
func explainStoreError(err error) error {
	var dup *store.DuplicateError
	switch {
	case errors.Is(err, store.ErrNoDatabase):
		return fail(exitDatabase, err, "%v\n  no database there: check the --db path or FACELOGIN_DB; to start a new, empty database there, add --create", err)
	case errors.Is(err, store.ErrTampered):
		return fail(exitDatabase, err, "the database has been altered and is not used: %v\n  restore it from a backup (see README, \"Backing up the key\")", err)
	case errors.Is(err, store.ErrUnsafeFile):
		return fail(exitDatabase, err, "%v", err)
	case errors.As(err, &dup):
		return fail(exitInput, err, "this face is already enrolled as %q (distance %.3f, threshold %.3f): the same person, or a lookalike\n"+
			"  an administrator can enrol it anyway with --allow-duplicate (noted in the audit log)", dup.Username, dup.Distance, dup.Threshold)
	case errors.Is(err, store.ErrConfusableName):
		return fail(exitInput, err, "%v: choose another username", err)
	case errors.Is(err, store.ErrUnavailable):
		return fail(exitDatabase, err, "cannot reach the database: %v\n  check that the server runs and the --db / FACELOGIN_DB address is right, then try again", err)
	case errors.Is(err, store.ErrWrongKey):
		return fail(exitDatabase, err, "the template key does not open this database's face templates: %v\n  use the key file or FACELOGIN_KEY this database was created with (see README, \"Backing up the key\")", err)
	case errors.Is(err, store.ErrKeyMissing), errors.Is(err, store.ErrBadKey):
		return fail(exitDatabase, err, "template key problem: %v", err)
	case errors.Is(err, store.ErrSchemaTooNew):
		return fail(exitDatabase, err, "%v: upgrade facelogin", err)
	case errors.Is(err, store.ErrExists):
		return fail(exitInput, err, "%v: choose another username, or add photos to that user with `facelogin enrol --add`", err)
	case errors.Is(err, store.ErrInvalidName):
		return fail(exitInput, err, "%v", err)
	case errors.Is(err, store.ErrNotFound):
		return fail(exitInput, err, "%v: no such user (see `facelogin users list`)", err)
	}
	return fail(exitDatabase, err, "database: %v", err)
}

// session is an open store, directory and (when needed) engine.
type session struct {
	st  *store.Store
	dir *directory.Directory
	eng *dlib.Engine
}

func (s *session) Close() {
	if s.eng != nil {
		s.eng.Close()
	}
	if s.st != nil {
		s.st.Close()
	}
}

func openSession(ctx context.Context, e *env, c *common, withEngine bool) (*session, error) {
	s := &session{}
	if withEngine {
		eng, err := openEngine(*c.models, true)
		if err != nil {
			return nil, err
		}
		s.eng = eng
	}
	st, err := openStore(ctx, e, c)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.st = st
	if s.dir, err = directory.Open(ctx, st, recognition.ModelID, 0); err != nil {
		s.Close()
		return nil, explainStoreError(err)
	}
	if path, n, err := useBackground(s.dir); err != nil {
		s.Close()
		return nil, err
	} else if path != "" {
		fmt.Fprintf(e.stderr, "background set: %d people (%s)\n", n, path)
	}
	return s, nil
}

// oneFace loads an image and returns its single face, or an error for
// people naming the image and what is wrong with it.
func (s *session) oneFace(path string) (recognition.Face, recognition.Quality, error) {
	img, err := recognition.LoadImageFile(path)
	if err != nil {
		return recognition.Face{}, recognition.Quality{}, fail(exitInput, err, "%v", explainImageError(path, err))
	}
	img = recognition.Opaque(img)
	faces, err := s.eng.Recognize(img)
	if err != nil {
		return recognition.Face{}, recognition.Quality{}, fail(exitInput, err, "%s: %v", path, err)
	}
	q, err := recognition.CheckQuality(img, faces, recognition.DefaultQuality)
	if err != nil {
		return recognition.Face{}, q, fail(exitInput, err, "%s: %v: %s", path, err, advice(err))
	}
	return faces[0], q, nil
}

// photoFaces is the one face of each photo (its descriptor and quality
// score), for enrol, which writes nothing unless every photo passes: each
// photo is checked, so that one run names every photo to replace, not the
// first alone. A refused photo (exit 3) gives an error naming each one
// refused, what to do, and — with more than one photo — that nothing was
// done ("enrolled", "added"). Any other failure (the engine) ends it at once.
func (s *session) photoFaces(paths []string, done string) ([]recognition.Descriptor, []float32, error) {
	var ds []recognition.Descriptor
	var qs []float32
	var refused []string
	var first *exitError
	for _, path := range paths {
		f, q, err := s.oneFace(path)
		var ee *exitError
		if err != nil && (!errors.As(err, &ee) || ee.code != exitInput) {
			return nil, nil, err
		}
		if err != nil {
			refused = append(refused, ee.Error())
			first = cmp.Or(first, ee)
			continue
		}
		ds, qs = append(ds, f.Descriptor), append(qs, q.Score())
	}
	switch {
	case first == nil:
		return ds, qs, nil
	case len(paths) == 1:
		return nil, nil, first
	}
	return nil, nil, fail(exitInput, first.err, "%d of %d photos refused, nothing was %s (every photo must pass): replace or leave out\n  %s",
		len(refused), len(paths), done, strings.Join(refused, "\n  "))
}

// advice says what to do about a quality rejection.
func advice(err error) string {
	switch {
	case errors.Is(err, recognition.ErrNoFace):
		return "use a photo where the face is clearly visible and frontal"
	case errors.Is(err, recognition.ErrManyFaces):
		return "use a photo with only this person in it (or crop it)"
	case errors.Is(err, recognition.ErrFaceTooSmall):
		return "use a photo where the face is larger"
	case errors.Is(err, recognition.ErrFaceCut):
		return "use a photo where the whole face is inside the picture"
	case errors.Is(err, recognition.ErrTooDark):
		return "too dark — add light, or use a photo where the face is well lit"
	case errors.Is(err, recognition.ErrBlurred):
		return "use a sharper photo"
	}
	return "use another photo"
}

func cmdEnrol(e *env, args []string) error {
	fs := newFlags(e, "enrol")
	c := addCommon(e, fs)
	user := fs.String("user", "", "username to register (letters, digits, . _ -; 1-64 characters)")
	allow := fs.Bool("allow-duplicate", false, "for administrators: enrol even if the face is already enrolled under another name (a warning, and an entry in the audit log)")
	fs.BoolVar(allow, "force", false, "the same as --allow-duplicate")
	add := fs.Bool("add", false, "add the photos as templates of the existing user --user (never replaces; each photo must be accepted as that user, and never another user's face; with --allow-duplicate an administrator adds a photo beyond the user's threshold, noted in the audit log)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *user == "" || fs.NArg() == 0 {
		return fail(exitUsage, nil, "enrol: give --user NAME and at least one photo")
	}
	if *add {
		return enrolAdd(e, c, *user, fs.Args(), *allow)
	}
	ctx := context.Background()
	s, err := openSession(ctx, e, c, true)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.st.Users.CheckName(ctx, *user); err != nil {
		return explainStoreError(err)
	}
	// Every photo must pass before anything is written: all or nothing.
	ds, qs, err := s.photoFaces(fs.Args(), "enrolled")
	if err != nil {
		return err
	}
	// The same-person bound (0.45): the photos must be within it of each
	// other, and a face within it of another user gets a note.
	bound := s.dir.Policy().SamePerson(float32(*c.threshold))
	if ds, qs, _, err = onePerson(e, fs.Args(), ds, qs, bound, "enrolled"); err != nil {
		return err
	}
	// The look for the same face under another name and the insert are
	// one transaction: enrolments at once, here or at other stations
	// sharing the database, end with one account.
	check := store.DuplicateCheck{Threshold: float32(*c.threshold), Allow: *allow}
	near, nearDist := nearUser(s.dir, *user, ds, check.Threshold, bound)
	u, dups, err := s.dir.EnrollUnique(ctx, *user, ds, qs, check)
	if err != nil {
		return explainStoreError(err)
	}
	if near != "" && len(dups) == 0 {
		fmt.Fprintf(e.stderr, "facelogin: note: this face is %.3f from the existing user %q — beyond the duplicate threshold %.3f, within the same-person bound %.3f: "+
			"if it is the same person, delete %q and add these photos with `enrol --add --user %s`; a lookalike needs nothing\n",
			nearDist, near, check.Threshold, bound, u.Username, near)
	}
	for _, d := range dups {
		fmt.Fprintf(e.stderr, "facelogin: warning: this face is %.3f from the existing user %q (threshold %.3f): enrolled anyway (--allow-duplicate), noted in the audit log\n",
			d.Distance, d.Username, check.Threshold)
	}
	if e.json {
		return e.printJSON(map[string]any{"user": u.Username, "id": u.ID, "templates": len(ds), "duplicates": dupNames(dups)})
	}
	fmt.Fprintf(e.stdout, "enrolled %s with %d template(s)\n", u.Username, len(ds))
	return nil
}

// nearUser is the enrolled user other than name nearest to any of ds and
// that distance, when it lies beyond the duplicate check's threshold but
// within the same-person bound (decision.Policy.SamePerson, 0.45): another
// photo of an enrolled person often does (bona2.jpg is 0.421 from
// bona.jpg), and so does a lookalike — on idols.json 22.9% of
// different-person pairs (TestSamePersonBound), too many to refuse, so
// enrol says so instead. "" when nobody is that near.
func nearUser(dir *directory.Directory, name string, ds []recognition.Descriptor, threshold, bound float32) (string, float32) {
	user, dist := "", float32(math.Inf(1))
	for i := range ds {
		u, d := dir.Identify(&ds[i]).NearestOther(name)
		if u != "" && d < dist {
			user, dist = u, d
		}
	}
	if dist <= threshold || dist > bound {
		return "", 0
	}
	return user, dist
}

// dupNames are the users an allowed duplicate matched (never null in JSON).
func dupNames(dups []store.Duplicate) []string {
	names := []string{}
	for _, d := range dups {
		names = append(names, d.Username)
	}
	return names
}

const usersUsage = "facelogin users [flags] list | show NAME | rename OLD NEW | delete NAME | disable NAME | enable NAME"

// usersSubcommand parses `users` arguments: the flags may come before the
// subcommand (users --db X rename A B), after it (users rename --db X A B)
// or both; not after the names, where Go's flag package stops. It returns
// the subcommand (list by default) and its names.
func usersSubcommand(fs *flag.FlagSet, args []string) (string, []string, error) {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return "", nil, err
	}
	rest := fs.Args()
	if sub == "" && len(rest) > 0 {
		sub = rest[0]
		if err := parseFlags(fs, rest[1:]); err != nil {
			return "", nil, err
		}
		rest = fs.Args()
	}
	if sub == "" {
		sub = "list"
	}
	want := map[string]int{"list": 0, "show": 1, "rename": 2, "delete": 1, "disable": 1, "enable": 1}
	n, ok := want[sub]
	switch {
	case !ok:
		return "", nil, fail(exitUsage, nil, "users: no subcommand %q\n  usage: %s", sub, usersUsage)
	case len(rest) != n && slices.ContainsFunc(rest, func(a string) bool { return strings.HasPrefix(a, "-") }):
		return "", nil, fail(exitUsage, nil, "users %s: flags go before the names (%s), not after them\n  usage: %s", sub, strings.Join(rest, " "), usersUsage)
	case len(rest) != n:
		return "", nil, fail(exitUsage, nil, "users %s takes %d name(s), got %d (%s)\n  usage: %s", sub, n, len(rest), strings.Join(rest, " "), usersUsage)
	}
	return sub, rest, nil
}

func cmdUsers(e *env, args []string) error {
	fs := newFlags(e, "users")
	c := addCommon(e, fs)
	sub, rest, err := usersSubcommand(fs, args)
	if err != nil {
		return err
	}
	ctx := context.Background()
	s, err := openSession(ctx, e, c, false)
	if err != nil {
		return err
	}
	defer s.Close()
	switch sub {
	case "list":
		us, err := s.st.Users.List(ctx)
		if err != nil {
			return explainStoreError(err)
		}
		return printUsers(e, us)
	case "show":
		return showUser(ctx, e, s, rest[0])
	case "rename":
		if _, err := s.dir.Rename(ctx, rest[0], rest[1]); err != nil {
			return explainStoreError(err)
		}
		fmt.Fprintf(e.stdout, "renamed %s to %s\n", rest[0], rest[1])
	case "delete":
		if err := s.dir.Delete(ctx, rest[0]); err != nil {
			return explainStoreError(err)
		}
		fmt.Fprintf(e.stdout, "deleted %s and all their face templates\n", rest[0])
	case "disable", "enable":
		if err := s.dir.SetDisabled(ctx, rest[0], sub == "disable"); err != nil {
			return explainStoreError(err)
		}
		fmt.Fprintf(e.stdout, "%sd %s\n", sub, rest[0])
	}
	return nil
}

// printUsers writes `users list`: a table, or JSON with --json.
func printUsers(e *env, us []store.User) error {
	if e.json {
		type row struct {
			Name      string     `json:"name"`
			Templates int        `json:"templates"`
			Disabled  bool       `json:"disabled"`
			Created   time.Time  `json:"created"`
			LastLogin *time.Time `json:"last_login,omitempty"`
		}
		rows := []row{}
		for _, u := range us {
			r := row{Name: u.Username, Templates: u.Templates, Disabled: u.Disabled, Created: u.Created}
			if !u.LastLogin.IsZero() {
				r.LastLogin = &u.LastLogin
			}
			rows = append(rows, r)
		}
		return e.printJSON(rows)
	}
	for _, u := range us {
		last := "never"
		if !u.LastLogin.IsZero() {
			last = u.LastLogin.Local().Format("2006-01-02 15:04")
		}
		state := ""
		if u.Disabled {
			state = " (disabled)"
		}
		fmt.Fprintf(e.stdout, "%-24s %2d template(s)  last login %s%s\n", u.Username, u.Templates, last, state)
	}
	fmt.Fprintf(e.stderr, "%d user(s)\n", len(us))
	return nil
}

func cmdImportLegacy(e *env, args []string) error {
	fs := newFlags(e, "import-legacy")
	c := addCommon(e, fs)
	from := fs.String("from", "", "the old Flask demo's MySQL database (DSN; database face_recognition_db by default)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" {
		return fail(exitUsage, nil, "import-legacy: give --from DSN of the old demo's database")
	}
	if store.DSNHasPassword(*from) {
		fmt.Fprintf(e.stderr, "facelogin: warning: --from %s carries the old database's password, which every user of this computer can read (ps) while the import runs; change it afterwards if others share this computer\n",
			store.RedactDSN(*from))
	}
	ctx := context.Background()
	src, err := store.OpenLegacy(ctx, *from, store.TLSConfig{})
	if err != nil {
		return explainStoreError(err)
	}
	defer src.Close()
	st, err := openStore(ctx, e, c)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.ImportLegacy(ctx, src)
	if err != nil {
		return explainStoreError(err)
	}
	if e.json {
		return e.printJSON(rep)
	}
	fmt.Fprintf(e.stdout, "%d row(s) read, %d imported, %d skipped\n", rep.Rows, len(rep.Imported), len(rep.Skipped))
	for _, name := range rep.Imported {
		fmt.Fprintf(e.stdout, "  imported %s\n", name)
	}
	for _, sk := range rep.Skipped {
		fmt.Fprintf(e.stdout, "  skipped %s: %s\n", sk.Username, sk.Reason)
	}
	return nil
}
