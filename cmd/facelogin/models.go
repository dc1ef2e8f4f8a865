package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"facelogin/models"
)

func cmdModels(e *env, args []string) error {
	if len(args) == 0 || (args[0] != "install" && args[0] != "verify") {
		return fail(exitUsage, nil, "models: install | verify")
	}
	if args[0] == "install" {
		return cmdModelsInstall(e, args[1:])
	}
	return cmdModelsVerify(e, args[1:])
}

func cmdModelsInstall(e *env, args []string) error {
	fs := newFlags(e, "models install")
	dir := fs.String("dir", "", "models directory (default $FACELOGIN_MODELS or ~/.local/share/facelogin/models)")
	online := fs.Bool("online", false, "download dlib's official model files from dlib.net instead of building them from packages")
	fivePoint := fs.Bool("five-point", false, "use dlib's 5-point landmark model (free for commercial use) instead of Debian's 68-point one; give it with --landmarks or use --online")
	landmarks := fs.String("landmarks", "", "landmark predictor to install (default "+models.DefaultLandmarksPath+")")
	cnn := fs.String("cnn-model", "", "mmod_human_face_detector.dat(.bz2) to copy (default $FACELOGIN_CNN_MODEL)")
	tarball := fs.String("faceapi-tgz", "", "local @vladmandic/face-api-1.7.15 tarball for air-gapped machines (default: $FACELOGIN_FACEAPI_TGZ, else npm pack)")
	force := fs.Bool("force", false, "rebuild files that are already present and valid")
	if err := parse(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	d := models.Dir(*dir) // the user's dir, never the package's read-only one
	p := &progress{e: e}
	err := models.Install(ctx, models.Options{
		Dir: d, Online: *online, FivePoint: *fivePoint, Force: *force,
		FaceAPITarball: *tarball, LandmarksPath: *landmarks, CNNDetectorPath: *cnn,
		Progress: p.report,
	})
	p.done()
	if err != nil {
		return fail(exitModels, err, "models install: %v", err)
	}
	fmt.Fprintf(e.stdout, "models installed in %s\n", d)
	return nil
}

// progress prints one line per step and a percentage at most every 10%.
type progress struct {
	e         *env
	step      string
	lastTenth int64
}

func (p *progress) report(step string, done, total int64) {
	if step != p.step {
		p.done()
		p.step, p.lastTenth = step, -1
		fmt.Fprintf(p.e.stderr, "%s", step)
	}
	if total > 0 {
		if tenth := done * 10 / total; tenth != p.lastTenth {
			p.lastTenth = tenth
			fmt.Fprintf(p.e.stderr, " %d%%", tenth*10)
		}
	}
}

func (p *progress) done() {
	if p.step != "" {
		fmt.Fprintln(p.e.stderr)
		p.step = ""
	}
}

func cmdModelsVerify(e *env, args []string) error {
	fs := newFlags(e, "models verify")
	dir := fs.String("dir", "", "models directory (default $FACELOGIN_MODELS or ~/.local/share/facelogin/models)")
	image := fs.String("image", "", "also run the whole pipeline on this photo and report its faces")
	fs.BoolVar(&e.json, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	d := modelsDir(*dir)
	rep, err := models.Verify(d)
	if e.json {
		type file struct {
			Name  string `json:"name"`
			Size  int64  `json:"size"`
			Error string `json:"error,omitempty"`
		}
		out := struct {
			Dir           string  `json:"dir"`
			OK            bool    `json:"ok"`
			Landmarks     int     `json:"landmarks"`
			ProbeDistance float32 `json:"probe_distance"`
			Files         []file  `json:"files"`
		}{Dir: d, OK: rep.OK(), Landmarks: rep.LandmarkCount, ProbeDistance: rep.ProbeDistance}
		for _, f := range rep.Files() {
			ff := file{Name: f.Name, Size: f.Size}
			if f.Err != nil {
				ff.Error = f.Err.Error()
			}
			out.Files = append(out.Files, ff)
		}
		if perr := e.printJSON(out); perr != nil {
			return perr
		}
	} else {
		fmt.Fprint(e.stdout, rep.String())
	}
	if err != nil {
		return fail(exitModels, err, "models in %s are not usable: run `facelogin models install`", d)
	}
	if *image != "" {
		eng, err := openEngine(d, true)
		if err != nil {
			return err
		}
		defer eng.Close()
		faces, err := detectFile(eng, *image)
		if err != nil {
			return fail(exitInput, err, "%v", err)
		}
		if len(faces) == 0 {
			return fail(exitModels, nil, "no face found in %s: the models load but do not detect", *image)
		}
		if !e.json {
			fmt.Fprintf(e.stdout, "  ok   %s: %d face(s), %d landmarks each\n", *image, len(faces), len(faces[0].Landmarks))
		}
	}
	return nil
}
