// Package fynelocale keeps Fyne quiet about locales such as C.UTF-8. Import
// it for its effect, from package main:
//
//	import _ "facelogin/internal/fynelocale"
//
// # Why
//
// fyne.io/fyne/v2/lang (linked into every binary that uses Fyne's widgets)
// loads its built-in translations in its package init: init →
// AddTranslationsFS → updateLocalizer → closestSupportedLocale (Fyne
// v2.7.1, lang/lang.go and lang/locale.go). That asks
// github.com/jeandeaual/go-locale for the user's locales, which reads
// LC_ALL, LC_MESSAGES, LANG (and LANGUAGE unless the locale is exactly "C"
// or "POSIX"), drops the ".codeset" and turns "ll_CC" into "ll-CC". For
// LANG=C.UTF-8 — the default of containers and many servers — that leaves
// "C", which golang.org/x/text/language.Parse rejects ("tag is not
// well-formed"), and Fyne logs three lines ("Fyne error: Error parsing user
// locale C", the cause, the source line). LANG=C and LANG=POSIX are exact
// matches go-locale treats as "no locale", so they are quiet; C.utf8,
// POSIX.UTF-8, ll_CC@modifier and an empty LANGUAGE entry are not.
//
// It happens during package initialisation, before main runs, so no
// command-line code path can avoid it: a Go binary runs the init of every
// package it links, and the command line and the window are one binary.
// The command line never starts Fyne (no app, no driver, no window); this
// package removes the one thing Fyne's package inits print.
//
// # What it does
//
// When the locale go-locale would report does not parse, init sets
// LANGUAGE (which go-locale reads first, and which GNU gettext also reads)
// to the usable part of it: "de_DE@euro" becomes "de_DE"; C, POSIX and
// anything else without a language become "en". Fyne then picks its
// translation quietly, English for a C locale, as it would for LANG=C.
// Processes the app starts inherit LANGUAGE; for them it names the
// language their C or ll_CC locale already meant.
//
// # Why it runs before Fyne's init
//
// The Go specification (since Go 1.21) initialises packages in the order of
// their import paths, repeatedly taking the first package whose imports are
// all initialised. This package's imports (os, strings,
// golang.org/x/text/language) are all imports of fyne.io/fyne/v2/lang too,
// and "facelogin/..." sorts before "fyne.io/...", so whenever lang could be
// initialised this package could be as well, and comes first. TestMain of
// this package checks it against the real lang package.
package fynelocale

import (
	"os"
	"strings"

	"golang.org/x/text/language"
)

func init() {
	if v, ok := Repair(os.Getenv); ok {
		os.Setenv("LANGUAGE", v)
	}
}

// Repair returns the LANGUAGE value that makes the locale environment (read
// through getenv) one Fyne can parse, and true; or false when it already
// is. It mirrors go-locale's reading of the environment on Linux
// (github.com/jeandeaual/go-locale v0.0.0-20250612000132, locale_unix.go
// and util.go).
func Repair(getenv func(string) string) (string, bool) {
	locale := ""
	for _, env := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(env); locale != "" {
			break
		}
	}
	if locale == "C" || locale == "POSIX" {
		return "", false // go-locale: no locale; Fyne uses English quietly
	}
	if l := getenv("LANGUAGE"); l != "" {
		locale = l
	}
	if locale == "" {
		return "", false
	}
	entries := strings.Split(locale, ":")
	bad := false
	for _, e := range entries {
		if !wellFormed(tagOf(e)) {
			bad = true
			break
		}
	}
	if !bad {
		return "", false
	}
	var kept []string
	for _, e := range entries {
		e, _, _ = strings.Cut(e, ".")
		e, _, _ = strings.Cut(e, "@")
		if wellFormed(tagOf(e)) {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		return "en", true
	}
	return strings.Join(kept, ":"), true
}

// tagOf is go-locale's splitLocale: the codeset dropped, "ll_CC" as
// "ll-CC".
func tagOf(unixLocale string) string {
	l, _, _ := strings.Cut(unixLocale, ".")
	l = strings.ReplaceAll(l, "-", "_")
	lang, region, _ := strings.Cut(l, "_")
	if region != "" {
		return lang + "-" + region
	}
	return lang
}

// wellFormed is what Fyne asks of a tag: language.Parse without an error
// (an unknown but well-formed tag is an error too).
func wellFormed(tag string) bool {
	_, err := language.Parse(tag)
	return err == nil
}
