package main

import (
	"os"
	"path/filepath"
)

// modelsDir: flag > $FACELOGIN_MODELS > $XDG_DATA_HOME/facelogin/models.
func modelsDir(flag string) string {
	if flag != "" {
		return flag
	}
	if d := os.Getenv("FACELOGIN_MODELS"); d != "" {
		return d
	}
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" {
		home, _ := os.UserHomeDir()
		data = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(data, "facelogin", "models")
}
