// Package packaging holds the tests of Face Login's Debian package and Fyne
// tarball (deb_test.go, build tag debpackage, run by `make test-package`),
// and of portable-gcc and portable-g++, the compiler wrappers the package
// build uses so the shipped binary runs on any x86-64-v2 CPU.
package packaging
