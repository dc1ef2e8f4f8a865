package main

import "facelogin/models"

// modelsDir: flag > $FACELOGIN_MODELS > $XDG_DATA_HOME/facelogin/models.
func modelsDir(flag string) string {
	return models.Dir(flag)
}
