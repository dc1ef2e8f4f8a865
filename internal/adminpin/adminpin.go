// Package adminpin keeps the kiosk's administrator PIN: one argon2id hash in
// the PHC string format ($argon2id$v=19$m=131072,t=3,p=2$SALT$HASH) in a
// file only its owner may read, $XDG_CONFIG_HOME/facelogin/admin-pin
// (os.UserConfigDir, usually ~/.config) unless a path is given, and beside
// it the record of wrong PINs (ADMIN-PIN.attempts) that keeps the kiosk's
// doubling back-off across restarts. Argon2id at 128 MiB makes each guess
// cost about half a second and the memory to match, and Validate refuses
// PINs shorter than six characters or following a low-entropy pattern, so a
// copied file does not give the PIN away quickly.
//
// The package is pure Go (no cgo): it builds and tests with CGO_ENABLED=0.
package adminpin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	KeyLen  uint32 // bytes
}

// DefaultParams: RFC 9106's second recommended option (64 MiB, 3 passes)
// with its memory doubled, two lanes for a two-core machine: one check takes
// about half a second on the kiosk's kind of machine (BenchmarkCheckPIN;
// figures in the README), which a person typing a PIN does not notice and
// which makes every offline guess cost as much, with 128 MiB to match.
// Hashes keep their own parameters in the PHC string, so a PIN set at other
// costs still verifies (Cheaper tells).
var DefaultParams = Params{Memory: 128 * 1024, Time: 3, Threads: 2, KeyLen: 32}

// Bounds a PIN file must respect: a damaged or hostile file must not make
// the kiosk allocate gigabytes or spin for minutes.
const (
	MaxMemory     = 1 << 20 // KiB (1 GiB)
	MaxTime       = 64
	MinSalt       = 8
	MaxSalt       = 64
	MinKey        = 16
	MaxKey        = 64
	argon2Version = 19
)

// Hash is a parsed PIN hash.
type Hash struct {
	Params Params
	Salt   []byte
	Key    []byte
}

var b64 = base64.RawStdEncoding.Strict()

// Canonical is the form a PIN is checked and hashed in: Unicode NFKC
// (golang.org/x/text/unicode/norm), so the fullwidth digits an input method
// types (１２８４７３) are the PIN 128473, on setting and on checking alike.
func Canonical(pin string) string { return norm.NFKC.String(pin) }

// New hashes pin, in its Canonical form, with a fresh random 16-byte salt.
func New(pin string, p Params) (Hash, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return Hash{}, fmt.Errorf("adminpin: salt: %w", err)
	}
	return Hash{Params: p, Salt: salt, Key: derive(Canonical(pin), salt, p, p.KeyLen)}, nil
}

func derive(pin string, salt []byte, p Params, keyLen uint32) []byte {
	return argon2.IDKey([]byte(pin), salt, p.Time, p.Memory, p.Threads, keyLen)
}

// String is the PHC string of h.
func (h Hash) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2Version,
		h.Params.Memory, h.Params.Time, h.Params.Threads, b64.EncodeToString(h.Salt), b64.EncodeToString(h.Key))
}

// Check reports whether pin, in its Canonical form, hashes to h, in
// constant time. A pin that NFKC changes is also tried as typed: a PIN set
// by a version that hashed it unnormalised still opens.
func (h Hash) Check(pin string) bool {
	c := Canonical(pin)
	if h.matches(c) {
		return true
	}
	return c != pin && h.matches(pin)
}

func (h Hash) matches(pin string) bool {
	return subtle.ConstantTimeCompare(derive(pin, h.Salt, h.Params, uint32(len(h.Key))), h.Key) == 1
}

// Cheaper reports whether h was made at a lower memory or time cost than p
// (a PIN set by an older version: it still verifies, and setting it again
// raises its cost).
func (h Hash) Cheaper(p Params) bool {
	return h.Params.Memory < p.Memory || h.Params.Time < p.Time
}

// ErrBadHash is wrapped by every error of Parse.
var ErrBadHash = errors.New("adminpin: not an argon2id PIN hash")

// Parse reads a PHC argon2id string (surrounding space ignored), refusing
// anything outside the bounds above.
func Parse(s string) (Hash, error) {
	parts := strings.Split(strings.TrimSpace(s), "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Hash{}, ErrBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2Version) {
		return Hash{}, fmt.Errorf("%w: version %q", ErrBadHash, parts[2])
	}
	p, err := parseParams(parts[3])
	if err != nil {
		return Hash{}, err
	}
	// Go's base64 decoder skips '\r' and '\n' inside the text; a hash
	// file is one line, so a line break inside a field is damage.
	if strings.ContainsAny(parts[4]+parts[5], "\r\n") {
		return Hash{}, fmt.Errorf("%w: line break inside the salt or hash", ErrBadHash)
	}
	h := Hash{Params: p}
	if h.Salt, err = b64.DecodeString(parts[4]); err != nil || len(h.Salt) < MinSalt || len(h.Salt) > MaxSalt {
		return Hash{}, fmt.Errorf("%w: salt", ErrBadHash)
	}
	if h.Key, err = b64.DecodeString(parts[5]); err != nil || len(h.Key) < MinKey || len(h.Key) > MaxKey {
		return Hash{}, fmt.Errorf("%w: hash", ErrBadHash)
	}
	h.Params.KeyLen = uint32(len(h.Key))
	return h, nil
}

// parseParams reads "m=65536,t=3,p=2", in that order, each a canonical
// decimal within bounds.
func parseParams(s string) (Params, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, fmt.Errorf("%w: parameters %q", ErrBadHash, s)
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(fields[i], name+"=")
		if !ok {
			return Params{}, fmt.Errorf("%w: parameters %q", ErrBadHash, s)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || strconv.FormatUint(n, 10) != v {
			return Params{}, fmt.Errorf("%w: parameter %s=%q", ErrBadHash, name, v)
		}
		vals[i] = n
	}
	m, t, p := vals[0], vals[1], vals[2]
	if p == 0 || p > 255 || t == 0 || t > MaxTime || m < 8*p || m > MaxMemory {
		return Params{}, fmt.Errorf("%w: costs m=%d t=%d p=%d out of range", ErrBadHash, m, t, p)
	}
	return Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(p)}, nil
}

// Path is flagValue if set, else $XDG_CONFIG_HOME/facelogin/admin-pin.
func Path(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("adminpin: config directory: %w", err)
	}
	return filepath.Join(dir, "facelogin", "admin-pin"), nil
}

// ReadFile loads the PIN hash. A file others may read or write is refused
// (wrapping fs.ErrPermission): the hash is what an attacker would guess
// against offline. A missing file wraps fs.ErrNotExist.
func ReadFile(path string) (Hash, error) {
	raw, err := readPrivate(path)
	if err != nil {
		return Hash{}, fmt.Errorf("adminpin: read PIN file: %w", err)
	}
	return Parse(raw)
}

// WriteFile replaces the PIN file atomically, mode 0600 in a 0700
// directory, and starts a fresh record of wrong PINs beside it. Run by root
// for a file in another user's directory, both files are given to the
// directory's owner (the kiosk's account must read them).
func WriteFile(path string, h Hash) error {
	if err := writePrivate(path, ".admin-pin-*", h.String()+"\n"); err != nil {
		return fmt.Errorf("adminpin: write PIN file: %w", err)
	}
	return SaveAttempts(path, Attempts{})
}

// RemoveFile removes the PIN file and its record of wrong PINs; a missing
// file is not an error.
func RemoveFile(path string) error {
	for _, p := range []string{path, AttemptsPath(path)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("adminpin: remove PIN file: %w", err)
		}
	}
	return nil
}

// writePrivate replaces path with content through a temporary file named
// by pattern: mode 0600, directory created 0700.
func writePrivate(path, pattern, content string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		err = giveToDirOwner(tmp, dir)
	}
	if err == nil {
		_, err = tmp.WriteString(content)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// giveToDirOwner chowns f to the owner of dir when root writes into
// another user's directory.
func giveToDirOwner(f *os.File, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || sys.Uid == 0 {
		return nil
	}
	return f.Chown(int(sys.Uid), int(sys.Gid))
}

// Checker is the kiosk's PIN check. It reads the file at every attempt, so
// a PIN set while the kiosk runs applies at once.
func Checker(path string) func(pin string) (bool, error) {
	return func(pin string) (bool, error) {
		h, err := ReadFile(path)
		if err != nil {
			return false, err
		}
		return h.Check(pin), nil
	}
}
