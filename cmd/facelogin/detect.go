package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"facelogin/models"
	"facelogin/recognition"
	"facelogin/recognition/dlib"
)

type detectedFace struct {
	Rect       [4]int                 `json:"rect"` // x0, y0, x1, y1
	Landmarks  [][2]int               `json:"landmarks"`
	Descriptor recognition.Descriptor `json:"descriptor"`
}

type detectResult struct {
	File  string         `json:"file"`
	Faces []detectedFace `json:"faces"`
	Error string         `json:"error,omitempty"`
}

func cmdDetect(e *env, args []string) error {
	fs := newFlags(e, "detect")
	modelsFlag := fs.String("models", "", "models directory (default $FACELOGIN_MODELS or ~/.local/share/facelogin/models)")
	fs.BoolVar(&e.json, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fail(exitUsage, nil, "detect: give at least one image file")
	}
	eng, err := openEngine(*modelsFlag, true)
	if err != nil {
		return err
	}
	defer eng.Close()

	var results []detectResult
	failed := 0
	for _, path := range fs.Args() {
		r := detectResult{File: path, Faces: []detectedFace{}}
		faces, err := detectFile(eng, path)
		if err != nil {
			r.Error = err.Error()
			failed++
		}
		for _, f := range faces {
			df := detectedFace{Rect: [4]int{f.Rect.Min.X, f.Rect.Min.Y, f.Rect.Max.X, f.Rect.Max.Y}, Descriptor: f.Descriptor}
			for _, p := range f.Landmarks {
				df.Landmarks = append(df.Landmarks, [2]int{p.X, p.Y})
			}
			r.Faces = append(r.Faces, df)
		}
		results = append(results, r)
		if !e.json {
			printDetect(e, r)
		}
	}
	if e.json {
		if err := e.printJSON(results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fail(exitInput, nil, "%d of %d images could not be read", failed, len(results))
	}
	return nil
}

func detectFile(eng *dlib.Engine, path string) ([]recognition.Face, error) {
	img, err := recognition.LoadImageFile(path)
	if err != nil {
		return nil, explainImageError(path, err)
	}
	faces, err := eng.Recognize(recognition.Opaque(img))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return faces, nil
}

// explainImageError turns a load failure into words for people, naming
// path once (LoadImageFile's errors already begin with it).
func explainImageError(path string, err error) error {
	reason := strings.TrimPrefix(err.Error(), path+": ")
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file: check the path, or give another photo", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: permission denied: make the photo readable (chmod a+r), or copy it somewhere you can read", path)
	case errors.Is(err, recognition.ErrEmptyImage):
		return fmt.Errorf("%s is empty: choose a %s photo", path, recognition.FormatNames("or"))
	case errors.Is(err, recognition.ErrUnknownFormat):
		return fmt.Errorf("%s is not a %s image", path, recognition.FormatNames("or"))
	case errors.Is(err, recognition.ErrCorruptImage):
		return fmt.Errorf("%s is damaged or cut short (%s): export it again", path, reason)
	case errors.Is(err, recognition.ErrImageTooLarge), errors.Is(err, recognition.ErrImageTooSmall),
		errors.Is(err, recognition.ErrImageFileLarge), errors.Is(err, recognition.ErrUnsupportedFormat),
		errors.Is(err, recognition.ErrAnimatedImage), errors.Is(err, recognition.ErrTooManyScans):
		return fmt.Errorf("%s: %w", path, unwrapPath(err, reason))
	case errors.Is(err, recognition.ErrNotRegularFile):
		return fmt.Errorf("%s: %w: give a photo file (%s)", path, unwrapPath(err, reason), recognition.FormatNames("or"))
	case errors.As(err, &pe):
		return fmt.Errorf("%s: %s: %w", path, pe.Op, pe.Err)
	}
	return fmt.Errorf("%s: %w", path, unwrapPath(err, reason))
}

// unwrapPath is err without the path prefix LoadImageFile gives it: its
// text is reason, and errors.Is still sees err's causes.
func unwrapPath(err error, reason string) error { return pathless{err, reason} }

type pathless struct {
	err    error
	reason string
}

func (p pathless) Error() string { return p.reason }
func (p pathless) Unwrap() error { return p.err }

func printDetect(e *env, r detectResult) {
	if r.Error != "" {
		fmt.Fprintln(e.stderr, r.Error) // it names the file
		return
	}
	fmt.Fprintf(e.stdout, "%s: %d face(s)\n", r.File, len(r.Faces))
	for i, f := range r.Faces {
		fmt.Fprintf(e.stdout, "  face %d: box (%d,%d)-(%d,%d), %d landmarks\n", i+1, f.Rect[0], f.Rect[1], f.Rect[2], f.Rect[3], len(f.Landmarks))
		pts := make([]string, len(f.Landmarks))
		for j, p := range f.Landmarks {
			pts[j] = fmt.Sprintf("%d,%d", p[0], p[1])
		}
		fmt.Fprintf(e.stdout, "    landmarks: %s\n", strings.Join(pts, " "))
		vals := make([]string, len(f.Descriptor))
		for j, v := range f.Descriptor {
			vals[j] = fmt.Sprintf("%.4f", v)
		}
		fmt.Fprintf(e.stdout, "    descriptor: %s\n", strings.Join(vals, " "))
	}
}

// openEngine loads the models, translating failure into advice. photos
// turns on upsampling, which finds small faces in photos at a cost too high
// for live video.
func openEngine(dirFlag string, photos bool) (*dlib.Engine, error) {
	dir := modelsDir(dirFlag)
	opt := dlib.DefaultOptions
	if photos {
		opt = dlib.PhotoOptions
	}
	eng, err := dlib.Open(dir, opt)
	if err != nil {
		return nil, explainModels(dir, err)
	}
	return eng, nil
}

// explainModels is the error, with the models' exit code, for models in
// dir that could not be loaded because of err.
func explainModels(dir string, err error) error {
	// dlib cannot say which file is bad; Verify can, in plain words.
	if _, verr := models.Verify(dir); verr != nil {
		err = verr
	}
	return fail(exitModels, err, "face models in %s are not usable:\n%v\n  run `facelogin models install` (or `make models`), then `facelogin models verify`", dir, err)
}
