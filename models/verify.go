package models

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"facelogin/models/convert"
	"facelogin/recognition"
)

// FileReport is the state of one model file.
type FileReport struct {
	Name   string         // file name go-face loads
	Path   string         // full path
	Size   int64          // bytes; 0 if missing
	Header convert.Header // what its first bytes say it is
	Err    error          // nil if the file is usable; else a *convert.ModelError
}

// Report is the result of Verify.
type Report struct {
	Dir         string
	Landmarks   FileReport
	ResNet      FileReport
	CNNDetector FileReport
	// LandmarkCount is the number of landmarks per face of the predictor
	// (68 for Debian's, 5 for dlib's small one); 0 if it did not load.
	LandmarkCount int
	// ProbeDistance is the distance of the ResNet's descriptor of a fixed
	// synthetic chip from the reference (convert.ProbeReference); at most
	// convert.ProbeTolerance for a right model, -1 if not computed.
	ProbeDistance float32
}

// OK reports whether all three files are usable.
func (r Report) OK() bool {
	return r.Landmarks.Err == nil && r.ResNet.Err == nil && r.CNNDetector.Err == nil
}

// Files returns the three file reports in go-face's loading order.
func (r Report) Files() []FileReport {
	return []FileReport{r.Landmarks, r.ResNet, r.CNNDetector}
}

// String is a short human summary, one line per file.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "models in %s\n", r.Dir)
	for _, f := range r.Files() {
		if f.Err != nil {
			fmt.Fprintf(&b, "  FAIL %s: %v\n", f.Name, f.Err)
			continue
		}
		detail := ""
		switch f.Name {
		case recognition.LandmarksFile:
			detail = fmt.Sprintf(" (%d landmarks)", r.LandmarkCount)
		case recognition.ResNetFile:
			detail = fmt.Sprintf(" (probe distance %.4f, limit %.2f)", r.ProbeDistance, convert.ProbeTolerance)
		}
		fmt.Fprintf(&b, "  ok   %s%s, %d bytes\n", f.Name, detail, f.Size)
	}
	return b.String()
}

// Verify loads the three model files in dir with dlib, counts the landmarks
// of the predictor and runs the ResNet on a known chip. The error joins one
// plain-words *convert.ModelError per bad file (missing, truncated, wrong
// model, wrong weights); the Report holds the details either way.
func Verify(dir string) (Report, error) {
	r := Report{Dir: dir, ProbeDistance: -1}
	r.Landmarks = fileReport(dir, recognition.LandmarksFile, convert.KindShapePredictor)
	r.ResNet = fileReport(dir, recognition.ResNetFile, convert.KindResNet)
	r.CNNDetector = fileReport(dir, recognition.CNNDetectorFile, convert.KindCNNDetector)

	if r.Landmarks.Err == nil {
		r.LandmarkCount, r.Landmarks.Err = convert.Landmarks(r.Landmarks.Path)
	}
	if r.ResNet.Err == nil {
		d, err := convert.Probe(r.ResNet.Path)
		if err == nil || errors.Is(err, convert.ErrWrongOutput) {
			r.ProbeDistance = convert.ProbeDistance(&d)
		}
		r.ResNet.Err = err
	}
	if r.CNNDetector.Err == nil {
		r.CNNDetector.Err = convert.CheckCNNDetector(r.CNNDetector.Path)
	}

	var errs []error
	for _, f := range r.Files() {
		if f.Err != nil {
			errs = append(errs, f.Err)
		}
	}
	return r, errors.Join(errs...)
}

// fileReport stats one file; a missing file or a directory in its place is
// an error here, everything else is left to dlib.
func fileReport(dir, name string, want convert.Kind) FileReport {
	f := FileReport{Name: name, Path: filepath.Join(dir, name)}
	st, err := os.Stat(f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f.Err = &convert.ModelError{Path: f.Path, Want: want, Err: fs.ErrNotExist}
		return f
	case err != nil:
		f.Err = &convert.ModelError{Path: f.Path, Want: want, Err: err}
		return f
	case !st.Mode().IsRegular():
		f.Err = &convert.ModelError{Path: f.Path, Want: want, Err: errors.New("not a regular file")}
		return f
	}
	f.Size = st.Size()
	f.Header, _ = convert.SniffFile(f.Path)
	return f
}
