package main

import (
	"os"

	"facelogin/models"
)

// systemModelsDir is where the Debian package installs the models. It is a
// read-only fallback: `facelogin models install` writes to the user's dir.
const systemModelsDir = "/usr/share/facelogin/models"

// modelsDir: flag > $FACELOGIN_MODELS > the user's
// $XDG_DATA_HOME/facelogin/models if it exists > the package's
// /usr/share/facelogin/models if it exists > the user's dir (whose absence
// `models verify` then reports).
func modelsDir(flag string) string {
	return resolveModelsDir(flag, systemModelsDir)
}

func resolveModelsDir(flag, system string) string {
	user := models.Dir(flag)
	if flag != "" || os.Getenv(models.EnvDir) != "" {
		return user
	}
	if _, err := os.Stat(user); err == nil {
		return user
	}
	if _, err := os.Stat(system); err == nil {
		return system
	}
	return user
}
