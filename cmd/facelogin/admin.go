package main

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
	"golang.org/x/sys/unix"
)

// The kiosk's administrator PIN is kept as one argon2id hash in the PHC
// string format ($argon2id$v=19$m=65536,t=3,p=2$SALT$HASH) in a file only
// its owner may read: $XDG_CONFIG_HOME/facelogin/admin-pin (os.UserConfigDir,
// usually ~/.config), or --pin-file. Argon2id with 64 MiB makes each guess
// cost a few hundred milliseconds and the memory to match, so a copied file
// does not give a short PIN away quickly; the kiosk adds its own doubling
// wait after each wrong PIN.

// pinParams are argon2id's cost parameters.
type pinParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	KeyLen  uint32
}

// defaultPINParams: RFC 9106's second recommended option (64 MiB, 3
// passes), with the machine's two cores.
var defaultPINParams = pinParams{Memory: 64 * 1024, Time: 3, Threads: 2, KeyLen: 32}

// Bounds a PIN file must respect: a damaged or hostile file must not make
// the kiosk allocate gigabytes or spin for minutes.
const (
	maxPINMemory  = 1 << 20 // KiB (1 GiB)
	maxPINTime    = 64
	minPINSalt    = 8
	maxPINSalt    = 64
	minPINKey     = 16
	maxPINKey     = 64
	minPINLength  = 4
	maxPINLength  = 64
	argon2Version = 19
)

// pinHash is a parsed PIN file.
type pinHash struct {
	params pinParams
	salt   []byte
	key    []byte
}

var b64 = base64.RawStdEncoding.Strict()

// hashPIN hashes pin with a fresh random salt.
func hashPIN(pin string, p pinParams) (pinHash, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return pinHash{}, fmt.Errorf("admin: salt: %w", err)
	}
	return pinHash{params: p, salt: salt, key: argon2.IDKey([]byte(pin), salt, p.Time, p.Memory, p.Threads, p.KeyLen)}, nil
}

// String is the PHC string of h.
func (h pinHash) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2Version,
		h.params.Memory, h.params.Time, h.params.Threads, b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// check reports whether pin hashes to h, in constant time.
func (h pinHash) check(pin string) bool {
	k := argon2.IDKey([]byte(pin), h.salt, h.params.Time, h.params.Memory, h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(k, h.key) == 1
}

var errBadPINHash = errors.New("admin: not an argon2id PIN hash")

// parsePINHash reads a PHC argon2id string, refusing anything outside the
// bounds above.
func parsePINHash(s string) (pinHash, error) {
	parts := strings.Split(strings.TrimSpace(s), "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return pinHash{}, errBadPINHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2Version) {
		return pinHash{}, fmt.Errorf("%w: version %q", errBadPINHash, parts[2])
	}
	var h pinHash
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return pinHash{}, fmt.Errorf("%w: parameters %q", errBadPINHash, parts[3])
	}
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(fields[i], name+"=")
		if !ok {
			return pinHash{}, fmt.Errorf("%w: parameters %q", errBadPINHash, parts[3])
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || strconv.FormatUint(n, 10) != v {
			return pinHash{}, fmt.Errorf("%w: parameter %s=%q", errBadPINHash, name, v)
		}
		switch name {
		case "m":
			h.params.Memory = uint32(n)
		case "t":
			h.params.Time = uint32(n)
		case "p":
			if n > 255 {
				return pinHash{}, fmt.Errorf("%w: p=%d", errBadPINHash, n)
			}
			h.params.Threads = uint8(n)
		}
	}
	p := h.params
	if p.Threads == 0 || p.Time == 0 || p.Time > maxPINTime || p.Memory < 8*uint32(p.Threads) || p.Memory > maxPINMemory {
		return pinHash{}, fmt.Errorf("%w: costs m=%d t=%d p=%d out of range", errBadPINHash, p.Memory, p.Time, p.Threads)
	}
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < minPINSalt || len(h.salt) > maxPINSalt {
		return pinHash{}, fmt.Errorf("%w: salt", errBadPINHash)
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < minPINKey || len(h.key) > maxPINKey {
		return pinHash{}, fmt.Errorf("%w: hash", errBadPINHash)
	}
	h.params.KeyLen = uint32(len(h.key))
	return h, nil
}

// pinFilePath is --pin-file, else $XDG_CONFIG_HOME/facelogin/admin-pin.
func pinFilePath(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("admin: config directory: %w", err)
	}
	return filepath.Join(dir, "facelogin", "admin-pin"), nil
}

// readPINFile loads the PIN hash. A file others may read or write is
// refused: the hash is what an attacker would guess against offline.
func readPINFile(path string) (pinHash, error) {
	f, err := os.Open(path)
	if err != nil {
		return pinHash{}, fmt.Errorf("admin: read PIN file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return pinHash{}, fmt.Errorf("admin: read PIN file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return pinHash{}, fmt.Errorf("admin: PIN file %s has mode %v, want 0600: %w", path, st.Mode().Perm(), fs.ErrPermission)
	}
	raw, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return pinHash{}, fmt.Errorf("admin: read PIN file: %w", err)
	}
	return parsePINHash(string(raw))
}

// writePINFile replaces the PIN file atomically, mode 0600 in a 0700
// directory.
func writePINFile(path string, h pinHash) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("admin: write PIN file: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".admin-pin-*")
	if err != nil {
		return fmt.Errorf("admin: write PIN file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("admin: write PIN file: %w", err)
	}
	if _, err := tmp.WriteString(h.String() + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("admin: write PIN file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("admin: write PIN file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("admin: write PIN file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("admin: write PIN file: %w", err)
	}
	return nil
}

// checkPINFile is the kiosk's PIN check. It reads the file at every
// attempt, so a PIN set while the kiosk runs applies at once.
func checkPINFile(path string) func(pin string) (bool, error) {
	return func(pin string) (bool, error) {
		h, err := readPINFile(path)
		if err != nil {
			return false, err
		}
		return h.check(pin), nil
	}
}

// validPIN explains what is wrong with a new PIN, or returns nil.
func validPIN(pin string) error {
	n := len([]rune(pin))
	switch {
	case n < minPINLength:
		return fmt.Errorf("the PIN must have at least %d characters", minPINLength)
	case n > maxPINLength:
		return fmt.Errorf("the PIN may have at most %d characters", maxPINLength)
	case strings.IndexFunc(pin, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		return errors.New("the PIN may not contain spaces or control characters")
	}
	return nil
}

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
	path, err := pinFilePath(*pinFlag)
	if err != nil {
		return fail(exitInternal, err, "%v", err)
	}
	switch args[0] {
	case "set-pin":
		pin, err := readNewPIN(os.Stdin, e.stderr)
		if err != nil {
			return err
		}
		h, err := hashPIN(pin, defaultPINParams)
		if err != nil {
			return fail(exitInternal, err, "%v", err)
		}
		if err := writePINFile(path, h); err != nil {
			return fail(exitInternal, err, "%v", err)
		}
		fmt.Fprintf(e.stdout, "administrator PIN set (%s)\n", path)
		return nil
	case "clear-pin":
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(exitInternal, err, "admin clear-pin: %v", err)
		}
		fmt.Fprintf(e.stdout, "administrator PIN removed (%s); the kiosk will not start until one is set\n", path)
		return nil
	}
	return fail(exitUsage, nil, "admin: unknown subcommand %q (want set-pin or clear-pin)", args[0])
}

// readNewPIN reads the PIN: on a terminal it asks twice without echo;
// otherwise (a script, `echo 1234 | facelogin admin set-pin`) it takes the
// first line.
func readNewPIN(in *os.File, prompt io.Writer) (string, error) {
	fd := int(in.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && (!errors.Is(err, io.EOF) || line == "") {
			return "", fail(exitInput, err, "admin set-pin: no PIN on standard input")
		}
		pin := strings.TrimRight(line, "\r\n")
		if err := validPIN(pin); err != nil {
			return "", fail(exitInput, err, "admin set-pin: %v", err)
		}
		return pin, nil
	}
	noEcho := *old
	noEcho.Lflag &^= unix.ECHO
	noEcho.Lflag |= unix.ICANON
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &noEcho); err != nil {
		return "", fail(exitInternal, err, "admin set-pin: terminal: %v", err)
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	r := bufio.NewReader(in)
	ask := func(q string) (string, error) {
		fmt.Fprint(prompt, q)
		line, err := r.ReadString('\n')
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fail(exitInput, err, "admin set-pin: %v", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	pin, err := ask("New administrator PIN: ")
	if err != nil {
		return "", err
	}
	if err := validPIN(pin); err != nil {
		return "", fail(exitInput, err, "admin set-pin: %v", err)
	}
	again, err := ask("Repeat the PIN: ")
	if err != nil {
		return "", err
	}
	if again != pin {
		return "", fail(exitInput, nil, "admin set-pin: the two PINs differ; nothing changed")
	}
	return pin, nil
}
