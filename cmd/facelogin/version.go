package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"facelogin/recognition/dlib"
)

// version is set at build time by the package build (-X main.version=...).
var version = "dev"

func cmdVersion(e *env, args []string) error {
	fs := newFlags(e, "version")
	modelsFlag := fs.String("models", "", "models directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "facelogin %s\n", version)
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(e.stdout, "go: %s\n", bi.GoVersion)
	}
	fmt.Fprintf(e.stdout, "models: %s\n", modelsDir(*modelsFlag))
	fmt.Fprintf(e.stdout, "blas: %s\n", strings.Join(dlib.BLASLibraries(), ", "))
	return nil
}
