package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"facelogin/internal/adminpin"
)

// The kiosk's administrator PIN: hashing, the file and reading a new PIN
// are internal/adminpin's; this file is the `admin` command.

func cmdAdmin(e *env, args []string) error {
	if len(args) == 0 {
		return fail(exitUsage, nil, "admin: want set-pin or clear-pin")
	}
	flags := newFlags(e, "admin "+args[0])
	pinFlag := flags.String("pin-file", "", "administrator PIN file (default $XDG_CONFIG_HOME/facelogin/admin-pin)")
	if err := parse(flags, args[1:]); err != nil {
		return err
	}
	if flags.NArg() != 0 {
		return fail(exitUsage, nil, "admin %s: unexpected arguments %q", args[0], flags.Args())
	}
	path, err := adminpin.Path(*pinFlag)
	if err != nil {
		return fail(exitInternal, err, "%v", err)
	}
	switch args[0] {
	case "set-pin":
		return setPIN(e, path)
	case "clear-pin":
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(exitInternal, err, "admin clear-pin: %v", err)
		}
		fmt.Fprintf(e.stdout, "administrator PIN removed (%s); the kiosk will not start until one is set\n", path)
		return nil
	}
	return fail(exitUsage, nil, "admin: unknown subcommand %q (want set-pin or clear-pin)", args[0])
}

func setPIN(e *env, path string) error {
	pin, err := adminpin.ReadNew(os.Stdin, e.stderr)
	switch {
	case errors.Is(err, adminpin.ErrInvalid), errors.Is(err, adminpin.ErrNoInput), errors.Is(err, adminpin.ErrMismatch):
		return fail(exitInput, err, "admin set-pin: %v", err)
	case err != nil:
		return fail(exitInternal, err, "admin set-pin: %v", err)
	}
	h, err := adminpin.New(pin, adminpin.DefaultParams)
	if err != nil {
		return fail(exitInternal, err, "%v", err)
	}
	if err := adminpin.WriteFile(path, h); err != nil {
		return fail(exitInternal, err, "%v", err)
	}
	fmt.Fprintf(e.stdout, "administrator PIN set (%s)\n", path)
	return nil
}
