// Package models installs and verifies the three dlib model files go-face
// loads from one directory, without needing dlib.net: the landmark
// predictor comes from Debian's libdlib-data, the face ResNet is rebuilt
// from the npm package @vladmandic/face-api (see facelogin/models/convert),
// and the CNN detector is copied from a given path. An online mode downloads
// dlib's official files instead.
package models

import (
	"os"
	"path/filepath"
)

// Environment variables read by Dir and Install.
const (
	// EnvDir chooses the models directory when no flag does.
	EnvDir = "FACELOGIN_MODELS"
	// EnvCNNDetector is the path of mmod_human_face_detector.dat to copy
	// when Options.CNNDetectorPath is empty.
	EnvCNNDetector = "FACELOGIN_CNN_MODEL"
	// EnvFaceAPITarball is a local @vladmandic/face-api tarball to use when
	// Options.FaceAPITarball is empty (air-gapped machines).
	EnvFaceAPITarball = "FACELOGIN_FACEAPI_TGZ"
)

// DefaultLandmarksPath is Debian libdlib-data's 68-point predictor. Its
// training data (iBUG 300-W) excludes commercial use; see README.md.
const DefaultLandmarksPath = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

// Dir returns the models directory: flag if set, else $FACELOGIN_MODELS,
// else $XDG_DATA_HOME/facelogin/models, else ~/.local/share/facelogin/models.
// With no home directory at all it falls back to .facelogin/models, never
// to the repository's models/ (which holds code, not model files).
func Dir(flag string) string {
	if flag != "" {
		return flag
	}
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "facelogin", "models")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".local", "share", "facelogin", "models")
	}
	return filepath.Join(".facelogin", "models")
}

// NPMCacheDir is where Install keeps the face-api tarball fetched with npm:
// $XDG_CACHE_HOME/facelogin/npm or ~/.cache/facelogin/npm.
func NPMCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "facelogin", "npm")
	}
	return filepath.Join(os.TempDir(), "facelogin-npm")
}
