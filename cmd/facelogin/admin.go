package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"facelogin/internal/adminpin"
)

// The kiosk's administrator PIN: hashing, the file, the record of wrong
// PINs and reading PINs are internal/adminpin's; this file is the `admin`
// command.

// isRoot reports whether the program runs as root (tests replace it).
var isRoot = func() bool { return os.Geteuid() == 0 }

func cmdAdmin(e *env, args []string) error {
	if len(args) == 0 {
		return fail(exitUsage, nil, "admin: want set-pin or clear-pin")
	}
	flags := newFlags(e, "admin "+args[0])
	pinFlag := flags.String("pin-file", "", "administrator PIN file (default $XDG_CONFIG_HOME/facelogin/admin-pin)")
	reset := flags.Bool("reset", false, "root only: replace or remove the PIN without the current one (a forgotten PIN)")
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
	if args[0] != "set-pin" && args[0] != "clear-pin" {
		return fail(exitUsage, nil, "admin: unknown subcommand %q (want set-pin or clear-pin)", args[0])
	}
	in := adminpin.NewReader(os.Stdin, e.stderr)
	if err := proveAdmin(e, args[0], path, in, *reset); err != nil {
		return err
	}
	if args[0] == "clear-pin" {
		if err := adminpin.RemoveFile(path); err != nil {
			return fail(exitInternal, err, "admin clear-pin: %v", err)
		}
		fmt.Fprintf(e.stdout, "administrator PIN removed (%s); the kiosk will not start until one is set\n", path)
		return nil
	}
	return setPIN(e, path, in)
}

// proveAdmin asks for the current PIN when one is set, under the same
// back-off as the kiosk's (the record of wrong PINs is shared), unless root
// resets it. A PIN file that cannot be read (damaged, wrong mode) is no
// proof either way: only root may replace it.
func proveAdmin(e *env, sub, path string, in *adminpin.Reader, reset bool) error {
	h, err := adminpin.ReadFile(path)
	switch {
	case reset && !isRoot():
		return fail(exitUsage, nil, "admin %s --reset: only root may replace the PIN without the current one; run it with sudo, or leave out --reset and give the current PIN", sub)
	case reset:
		fmt.Fprintf(e.stderr, "facelogin: resetting the administrator PIN as root, without the current one\n")
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return nil // no PIN yet: nothing to prove
	case err != nil:
		return fail(exitInput, err, "admin %s: the current PIN file cannot be used: %v\n  as root, replace it with `facelogin admin %s --reset`", sub, err, sub)
	}
	b := adminpin.DefaultBackoff
	store := adminpin.AttemptsFile(path)
	now := time.Now()
	a, replaced := adminpin.Resume(store, b, now)
	if replaced != nil {
		fmt.Fprintf(e.stderr, "facelogin: the record of wrong PINs was missing or damaged (%v): taken as many wrong PINs\n", replaced)
	}
	if wait := a.NextAt.Sub(now); wait > 0 {
		return fail(exitInput, nil, "admin %s: too many wrong PINs — try again in %s", sub, wait.Round(time.Second))
	}
	pin, err := in.Current()
	if err != nil {
		return fail(exitInput, err, "admin %s: %v", sub, err)
	}
	// Counted before it is checked: interrupting the check does not
	// forget the try.
	failed := a.Failed(b, now)
	if err := store.Save(failed); err != nil {
		return fail(exitInternal, err, "admin %s: %v", sub, err)
	}
	if !h.Check(pin) {
		return fail(exitInput, nil, "admin %s: wrong PIN; nothing changed (next try in %s)", sub, b.Wait(failed.Failures))
	}
	if err := store.Save(adminpin.Attempts{}); err != nil {
		return fail(exitInternal, err, "admin %s: %v", sub, err)
	}
	return nil
}

func setPIN(e *env, path string, in *adminpin.Reader) error {
	pin, err := in.New()
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
