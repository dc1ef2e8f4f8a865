package main

import (
	"os"

	"facelogin/internal/directory"
)

// useBackground gives dir the background set of strangers' descriptors
// named by $FACELOGIN_BACKGROUND (directory.ReadBackground's format), if
// set: the per-user thresholds then follow from it as well as from the
// other users. None ships (README, "Accuracy"). It returns the file and
// the number of people in it ("" and 0 when unset); a file that cannot be
// used stops the program with what is wrong.
func useBackground(dir *directory.Directory) (string, int, error) {
	path := os.Getenv(directory.BackgroundEnv)
	if path == "" {
		return "", 0, nil
	}
	n, err := dir.UseBackgroundFile(path)
	if err != nil {
		return path, 0, fail(exitInput, err, "%s: %v\n  fix the file, or unset %s to decide without a background set", directory.BackgroundEnv, err, directory.BackgroundEnv)
	}
	return path, n, nil
}
