package adminpin

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Errors of Reader besides Validate's.
var (
	ErrNoInput  = errors.New("no PIN on standard input")
	ErrMismatch = errors.New("the two PINs differ; nothing changed")
)

// Reader reads PINs from a terminal with echo off, asking with prompts, or
// from a script (`printf '%s\n' OLD NEW | facelogin admin set-pin`), one
// PIN per line.
type Reader struct {
	in     *os.File
	r      *bufio.Reader
	prompt io.Writer
	tty    bool
}

// NewReader reads PINs from in, writing questions to prompt when in is a
// terminal.
func NewReader(in *os.File, prompt io.Writer) *Reader {
	_, err := unix.IoctlGetTermios(int(in.Fd()), unix.TCGETS)
	return &Reader{in: in, r: bufio.NewReader(in), prompt: prompt, tty: err == nil}
}

// Current reads the PIN in force, once.
func (r *Reader) Current() (string, error) {
	return r.line("Current administrator PIN: ")
}

// New reads a new PIN, checked with Validate: on a terminal twice, from a
// script once.
func (r *Reader) New() (string, error) {
	pin, err := r.line("New administrator PIN: ")
	if err != nil {
		return "", err
	}
	if err := Validate(pin); err != nil || !r.tty {
		return pin, err
	}
	again, err := r.line("Repeat the PIN: ")
	if err != nil {
		return "", err
	}
	if again != pin {
		return "", ErrMismatch
	}
	return pin, nil
}

// line reads one line, with echo off on a terminal.
func (r *Reader) line(question string) (string, error) {
	if r.tty {
		restore, err := noEcho(r.in)
		if err != nil {
			return "", err
		}
		defer restore()
		fmt.Fprint(r.prompt, question)
		defer fmt.Fprintln(r.prompt)
	}
	line, err := r.r.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		return "", fmt.Errorf("%w: %w", ErrNoInput, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// noEcho turns the terminal's echo off and returns what turns it back on.
func noEcho(in *os.File) (restore func(), err error) {
	fd := int(in.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, fmt.Errorf("adminpin: terminal: %w", err)
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return nil, fmt.Errorf("adminpin: terminal: %w", err)
	}
	return func() { unix.IoctlSetTermios(fd, unix.TCSETS, old) }, nil
}

// ReadNew reads one new PIN from in (see Reader.New).
func ReadNew(in *os.File, prompt io.Writer) (string, error) {
	return NewReader(in, prompt).New()
}
