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

// Errors of ReadNew besides Validate's.
var (
	ErrNoInput  = errors.New("no PIN on standard input")
	ErrMismatch = errors.New("the two PINs differ; nothing changed")
)

// ReadNew reads a new PIN from in: on a terminal it asks twice with echo
// off, writing the questions to prompt; otherwise (a script, `echo 1234 |
// facelogin admin set-pin`) it takes the first line. The PIN is checked
// with Validate.
func ReadNew(in *os.File, prompt io.Writer) (string, error) {
	fd := int(in.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && (!errors.Is(err, io.EOF) || line == "") {
			return "", fmt.Errorf("%w: %w", ErrNoInput, err)
		}
		pin := strings.TrimRight(line, "\r\n")
		return pin, Validate(pin)
	}
	noEcho := *old
	noEcho.Lflag &^= unix.ECHO
	noEcho.Lflag |= unix.ICANON
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &noEcho); err != nil {
		return "", fmt.Errorf("adminpin: terminal: %w", err)
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	r := bufio.NewReader(in)
	ask := func(q string) (string, error) {
		fmt.Fprint(prompt, q)
		line, err := r.ReadString('\n')
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrNoInput, err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	pin, err := ask("New administrator PIN: ")
	if err != nil {
		return "", err
	}
	if err := Validate(pin); err != nil {
		return "", err
	}
	again, err := ask("Repeat the PIN: ")
	if err != nil {
		return "", err
	}
	if again != pin {
		return "", ErrMismatch
	}
	return pin, nil
}
