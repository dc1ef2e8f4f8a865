package convert

// #cgo CXXFLAGS: -std=c++17 -O3 -DNDEBUG
// #cgo LDFLAGS: -ldlib -lblas -lcblas -llapack
// #include <stdlib.h>
// #include "dlibnet.h"
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"unsafe"

	"facelogin/recognition"
)

// Sentinel errors of the model checks; a *ModelError wraps exactly one.
var (
	// ErrTruncated: the file starts like the expected model but dlib cannot
	// read all of it (cut short, or damaged), or it is empty.
	ErrTruncated = errors.New("file is truncated or damaged")
	// ErrWrongModel: the file is a different dlib model.
	ErrWrongModel = errors.New("file is a different model")
	// ErrNotModel: the file is not a dlib model at all.
	ErrNotModel = errors.New("file is not a dlib model")
	// ErrCompressed: the file is still bz2/gzip compressed.
	ErrCompressed = errors.New("file is compressed")
	// ErrWrongOutput: the model loads but computes the wrong descriptors.
	ErrWrongOutput = errors.New("model computes wrong descriptors")
)

// ModelError says in plain words why a model file cannot be used. It never
// carries dlib's own message.
type ModelError struct {
	Path string
	Want Kind   // the model the file should be
	Got  Header // what the file looks like (Kind is KindUnknown if nothing known)
	Err  error  // one of the sentinels above, or a file system error
}

func (e *ModelError) Error() string {
	switch {
	case errors.Is(e.Err, ErrWrongModel):
		return fmt.Sprintf("models: %s: wrong model: this is a %s, expected a %s", e.Path, e.Got, e.Want)
	case errors.Is(e.Err, ErrTruncated):
		return fmt.Sprintf("models: %s: truncated or damaged (it should be a whole %s); install it again", e.Path, e.Want)
	case errors.Is(e.Err, ErrCompressed):
		return fmt.Sprintf("models: %s: the file is still compressed (%s); decompress it first", e.Path, e.Got)
	case errors.Is(e.Err, ErrNotModel):
		return fmt.Sprintf("models: %s: not a dlib model file, expected a %s", e.Path, e.Want)
	case errors.Is(e.Err, ErrWrongOutput):
		return fmt.Sprintf("models: %s: the %s loads but computes wrong descriptors (it is not dlib's face model)", e.Path, e.Want)
	case errors.Is(e.Err, fs.ErrNotExist):
		return fmt.Sprintf("models: %s: missing (the %s is not installed)", e.Path, e.Want)
	}
	return fmt.Sprintf("models: %s: %v (it should be a %s)", e.Path, e.Err, e.Want)
}

func (e *ModelError) Unwrap() error { return e.Err }

// errOf turns an FL_* code of a failed load into a *ModelError, using the
// file's first bytes to tell "truncated" from "wrong model".
func errOf(rc C.int, path string, want Kind) error {
	switch rc {
	case C.FL_OK:
		return nil
	case C.FL_OPEN:
		if _, err := os.Stat(path); err != nil {
			return &ModelError{Path: path, Want: want, Err: err}
		}
		return &ModelError{Path: path, Want: want, Err: errors.New("cannot open the file for reading")}
	case C.FL_FORMAT, C.FL_NOMEM:
		got, _ := sniffFile(path)
		switch {
		case got.Kind == want:
			return &ModelError{Path: path, Want: want, Got: got, Err: ErrTruncated}
		case got.Kind == KindBzip2 || got.Kind == KindGzip:
			return &ModelError{Path: path, Want: want, Got: got, Err: ErrCompressed}
		case got.Kind == KindEmpty:
			return &ModelError{Path: path, Want: want, Got: got, Err: ErrTruncated}
		case got.Kind != KindUnknown:
			return &ModelError{Path: path, Want: want, Got: got, Err: ErrWrongModel}
		}
		return &ModelError{Path: path, Want: want, Err: ErrNotModel}
	case C.FL_WRITE:
		return &ModelError{Path: path, Want: want, Err: errors.New("cannot write the file")}
	case C.FL_PARAMS:
		return &ModelError{Path: path, Want: want, Err: fmt.Errorf("parameter count does not match the network: %w", ErrWeights)}
	}
	return &ModelError{Path: path, Want: want, Err: errors.New("unexpected failure inside dlib")}
}

// checkKind refuses, before dlib reads a byte, a file whose header is not
// the wanted model's: dlib would otherwise allocate whatever sizes it finds
// in it.
func checkKind(path string, want Kind) error {
	got, err := sniffFile(path)
	if err != nil {
		return &ModelError{Path: path, Want: want, Err: err}
	}
	switch got.Kind {
	case want:
		return nil
	case KindUnknown:
		return &ModelError{Path: path, Want: want, Got: got, Err: ErrNotModel}
	case KindEmpty:
		return &ModelError{Path: path, Want: want, Got: got, Err: ErrTruncated}
	case KindBzip2, KindGzip:
		return &ModelError{Path: path, Want: want, Got: got, Err: ErrCompressed}
	}
	return &ModelError{Path: path, Want: want, Got: got, Err: ErrWrongModel}
}

// resnetParamCount asks dlib how many parameters go-face's network has; it
// must equal ParamCount.
func resnetParamCount() int {
	return int(C.fl_resnet_param_count())
}

// build fills go-face's anet_type with params and lets dlib serialize it to
// path (overwriting it).
func build(params []float32, path string) error {
	if len(params) == 0 {
		return fmt.Errorf("convert: no parameters: %w", ErrWeights)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	rc := C.fl_resnet_build((*C.float)(unsafe.Pointer(&params[0])), C.size_t(len(params)), cpath)
	return errOf(rc, path, KindResNet)
}

// Describe runs the ResNet in path on one aligned 150x150 face chip (rgb:
// 150*150*3 bytes, row-major R, G, B).
func Describe(resnetPath string, rgb []byte) (recognition.Descriptor, error) {
	var d recognition.Descriptor
	if len(rgb) != ChipSize*ChipSize*3 {
		return d, fmt.Errorf("convert: describe: chip has %d bytes, want %d", len(rgb), ChipSize*ChipSize*3)
	}
	if err := checkKind(resnetPath, KindResNet); err != nil {
		return d, err
	}
	cpath := C.CString(resnetPath)
	defer C.free(unsafe.Pointer(cpath))
	rc := C.fl_resnet_describe(cpath, (*C.uchar)(unsafe.Pointer(&rgb[0])), (*C.float)(unsafe.Pointer(&d[0])))
	return d, errOf(rc, resnetPath, KindResNet)
}

// Landmarks loads a dlib shape predictor and returns its number of landmarks
// (68 for Debian's model, 5 for dlib's small one).
func Landmarks(path string) (int, error) {
	if err := checkKind(path, KindShapePredictor); err != nil {
		return 0, err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var parts C.long
	if err := errOf(C.fl_shape_predictor_parts(cpath, &parts), path, KindShapePredictor); err != nil {
		return 0, err
	}
	return int(parts), nil
}

// CheckCNNDetector loads go-face's CNN face detector (mmod_human_face_detector.dat).
func CheckCNNDetector(path string) error {
	if err := checkKind(path, KindCNNDetector); err != nil {
		return err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return errOf(C.fl_cnn_detector_check(cpath), path, KindCNNDetector)
}
