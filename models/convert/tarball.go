package convert

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
)

const (
	// FaceAPIPackage is the npm package whose weights are converted.
	FaceAPIPackage = "@vladmandic/face-api@1.7.15"
	// FaceAPIIntegrity is the npm registry's integrity of its tarball.
	FaceAPIIntegrity = "sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw=="

	manifestMember = "package/model/face_recognition_model-weights_manifest.json"
	weightsMember  = "package/model/face_recognition_model.bin"
)

// ErrIntegrity: a face-api tarball is not the one published on npm.
var ErrIntegrity = errors.New("tarball does not match the npm integrity")

// Integrity returns the npm-style "sha512-<base64>" integrity of a file.
func Integrity(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("convert: %w", err)
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("convert: read %s: %w", path, err)
	}
	return "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// ReadTarball checks that path is the published FaceAPIPackage tarball and
// returns the ResNet's weights manifest and weights from it.
func ReadTarball(path string) (manifest, weights []byte, err error) {
	sum, err := Integrity(path)
	if err != nil {
		return nil, nil, err
	}
	if sum != FaceAPIIntegrity {
		return nil, nil, fmt.Errorf("convert: %s: %w (got %s, want %s for %s)", path, ErrIntegrity, sum, FaceAPIIntegrity, FaceAPIPackage)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("convert: %w", err)
	}
	defer f.Close()
	return readTarball(f)
}

func readTarball(r io.Reader) (manifest, weights []byte, err error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("convert: face-api tarball: %w", err)
	}
	tr := tar.NewReader(gz)
	for manifest == nil || weights == nil {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("convert: face-api tarball: %w", err)
		}
		var dst *[]byte
		switch h.Name {
		case manifestMember:
			dst = &manifest
		case weightsMember:
			dst = &weights
		default:
			continue
		}
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, io.LimitReader(tr, 64<<20)); err != nil {
			return nil, nil, fmt.Errorf("convert: face-api tarball: %s: %w", h.Name, err)
		}
		*dst = buf.Bytes()
	}
	if manifest == nil || weights == nil {
		return nil, nil, fmt.Errorf("convert: face-api tarball has no %s or %s: %w", manifestMember, weightsMember, ErrWeights)
	}
	return manifest, weights, nil
}
