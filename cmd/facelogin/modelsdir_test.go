package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolveModelsDir(t *testing.T) {
	tests := []struct {
		name      string
		flag      string
		env       bool // set FACELOGIN_MODELS
		userDir   bool // create the user's models dir
		systemDir bool // create the package's models dir
		want      string
	}{
		{name: "flag wins", flag: "FLAG", env: true, userDir: true, systemDir: true, want: "FLAG"},
		{name: "env wins over both dirs", env: true, userDir: true, systemDir: true, want: "ENV"},
		{name: "env wins even when missing", env: true, systemDir: true, want: "ENV"},
		{name: "user dir when it exists", userDir: true, systemDir: true, want: "USER"},
		{name: "package dir when no user dir", systemDir: true, want: "SYSTEM"},
		{name: "user dir when neither exists", want: "USER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			t.Setenv("HOME", home)
			t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
			paths := map[string]string{
				"FLAG":   filepath.Join(home, "flag"),
				"ENV":    filepath.Join(home, "env"),
				"USER":   filepath.Join(home, "data", "facelogin", "models"),
				"SYSTEM": filepath.Join(home, "usr", "share", "facelogin", "models"),
			}
			t.Setenv("FACELOGIN_MODELS", "")
			if tt.env {
				t.Setenv("FACELOGIN_MODELS", paths["ENV"])
			}
			for _, d := range []struct {
				make bool
				path string
			}{{tt.userDir, paths["USER"]}, {tt.systemDir, paths["SYSTEM"]}} {
				if d.make {
					if err := os.MkdirAll(d.path, 0o755); err != nil {
						t.Fatal(err)
					}
				}
			}
			flag := ""
			if tt.flag != "" {
				flag = paths[tt.flag]
			}
			if got := resolveModelsDir(flag, paths["SYSTEM"]); got != paths[tt.want] {
				t.Errorf("resolveModelsDir = %s, want %s (%s)", got, paths[tt.want], tt.want)
			}
		})
	}
}
