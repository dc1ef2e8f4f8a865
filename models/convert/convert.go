// Package convert rebuilds dlib's face recognition ResNet
// (dlib_face_recognition_resnet_model_v1.dat, the network go-face loads) from
// the weights of the npm package @vladmandic/face-api, which are dlib's own
// weights ported to TF.js, and lets dlib serialize it. It also inspects the
// other two model files go-face needs. All dlib work is in dlibnet.cc; every
// error reaching Go is in plain words.
package convert

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Convert builds dlib's face ResNet from face-api's
// face_recognition_model-weights_manifest.json and face_recognition_model.bin
// and writes it to outPath. It writes a temporary file next to outPath,
// checks it with Probe and renames it, so outPath is never left half
// written.
func Convert(manifest, weights []byte, outPath string) error {
	params, err := Params(manifest, weights)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(outPath), "."+filepath.Base(outPath)+".tmp-*")
	if err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpPath) // no-op after the rename

	if err := build(params, tmpPath); err != nil {
		return fmt.Errorf("convert: build network: %w", err)
	}
	if _, err := Probe(tmpPath); err != nil {
		var me *ModelError
		if errors.As(err, &me) {
			me.Path = outPath // name the result, not our temporary file
		}
		return fmt.Errorf("convert: converted network fails its probe: %w", err)
	}
	if err := syncFile(tmpPath); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	if err := os.Chmod(tmpPath, 0o644); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	if err := os.Rename(tmpPath, outPath); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	return nil
}

// ConvertFiles is Convert reading the manifest and weights from files.
func ConvertFiles(manifestPath, weightsPath, outPath string) error {
	manifest, err := os.ReadFile(manifestPath)
	if err != nil {
		return fmt.Errorf("convert: read manifest: %w", err)
	}
	weights, err := os.ReadFile(weightsPath)
	if err != nil {
		return fmt.Errorf("convert: read weights: %w", err)
	}
	return Convert(manifest, weights, outPath)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
