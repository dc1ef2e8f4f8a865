package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"facelogin/recognition"
)

// KeyEnv names the environment variable that may hold the template key
// (32 bytes, base64 or hex). It wins over the key file.
const KeyEnv = "FACELOGIN_KEY"

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

const (
	// sealV1 templates were bound to the user id only; sealV2 binds the
	// user's name key too. Open re-seals v1 templates once (upgradeSeals)
	// and refuses them afterwards. The key check keeps version 1.
	sealV1    = 1
	sealV2    = 2
	nonceSize = 12
	// sealedLen is the stored size of one template: version, nonce, 128
	// float32 and the GCM tag.
	sealedLen = 1 + nonceSize + recognition.DescriptorLen*4 + 16
)

// keyCheckPlain is sealed with the key on first use and stored in the
// database, so a wrong key is reported at Open instead of as templates that
// all fail to open.
const keyCheckText = "facelogin key check"

var keyCheckPlain = []byte(keyCheckText)

type sealer struct {
	aead cipher.AEAD
}

func newSealer(key []byte) (*sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: key is %d bytes, want %d", ErrBadKey, len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// templateAD binds a sealed descriptor to its user, its user's name and
// its model: a sealed blob copied to another user's row, relabelled with
// another model, or left in place while someone with write access swaps two
// users' names, does not open. nameKey is usernameKey of the name in the
// users row; a rename re-seals the user's templates in the same
// transaction.
func templateAD(userID int64, nameKey, modelID string) []byte {
	ad := make([]byte, 0, 40+len(nameKey)+len(modelID))
	ad = append(ad, "facelogin template v2\x00"...)
	ad = binary.BigEndian.AppendUint64(ad, uint64(userID))
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(nameKey)))
	ad = append(ad, nameKey...)
	return append(ad, modelID...)
}

// templateADv1 is the associated data of version-1 seals: user id and model.
func templateADv1(userID int64, modelID string) []byte {
	ad := make([]byte, 0, 32+len(modelID))
	ad = append(ad, "facelogin template v1\x00"...)
	ad = binary.BigEndian.AppendUint64(ad, uint64(userID))
	return append(ad, modelID...)
}

// binding is what a stored template is bound to: its row's user, the
// user's name key, its model, its kind and, for adaptive templates, when it
// was stored.
type binding struct {
	userID  int64
	nameKey string
	modelID string
	kind    TemplateKind
	created int64 // unix µs, the row's created_at
}

// ad is the binding's associated data. An enrolment template's is
// templateAD's, so templates sealed before kinds existed open unchanged. An
// adaptive template's adds its kind and created_at: relabelling it as an
// enrolment template (which would make it an anchor that the next adaptive
// template may drift from) or back-dating it (to pass the daily limit) in
// the database makes it unusable, and so does relabelling an enrolment
// template as adaptive.
func (b binding) ad() []byte {
	ad := templateAD(b.userID, b.nameKey, b.modelID)
	if b.kind == KindEnrolment {
		return ad
	}
	ad = append(ad, "\x00kind\x00"...)
	ad = append(ad, b.kind...)
	return binary.BigEndian.AppendUint64(append(ad, 0), uint64(b.created))
}

// enrolment is the binding of an enrolment template.
func enrolment(userID int64, nameKey, modelID string) binding {
	return binding{userID: userID, nameKey: nameKey, modelID: modelID, kind: KindEnrolment}
}

func (s *sealer) sealDescriptor(d *recognition.Descriptor, userID int64, nameKey, modelID string) ([]byte, error) {
	return s.sealFor(d, enrolment(userID, nameKey, modelID))
}

// sealFor seals a template bound to b (version 2).
func (s *sealer) sealFor(d *recognition.Descriptor, b binding) ([]byte, error) {
	var plain [recognition.DescriptorLen * 4]byte
	for i, v := range d {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w: descriptor value %d is %v", ErrBadTemplate, i, v)
		}
		binary.LittleEndian.PutUint32(plain[i*4:], math.Float32bits(v))
	}
	return s.seal(sealV2, plain[:], b.ad())
}

// openDescriptor opens a version-2 enrolment template of user userID named
// nameKey.
func (s *sealer) openDescriptor(sealed []byte, userID int64, nameKey, modelID string) (recognition.Descriptor, error) {
	return s.openFor(sealed, enrolment(userID, nameKey, modelID))
}

// openFor opens a version-2 template bound to b.
func (s *sealer) openFor(sealed []byte, b binding) (recognition.Descriptor, error) {
	return s.openTemplate(sealed, sealV2, b.ad())
}

// openDescriptorV1 opens a template sealed before names were bound.
func (s *sealer) openDescriptorV1(sealed []byte, userID int64, modelID string) (recognition.Descriptor, error) {
	return s.openTemplate(sealed, sealV1, templateADv1(userID, modelID))
}

func (s *sealer) openTemplate(sealed []byte, version byte, ad []byte) (recognition.Descriptor, error) {
	var d recognition.Descriptor
	if len(sealed) != sealedLen {
		return d, fmt.Errorf("%w: sealed template is %d bytes, want %d", ErrBadTemplate, len(sealed), sealedLen)
	}
	plain, err := s.open(sealed, version, ad)
	if err != nil {
		return d, err
	}
	for i := range d {
		d[i] = math.Float32frombits(binary.LittleEndian.Uint32(plain[i*4:]))
	}
	return d, nil
}

func (s *sealer) seal(version byte, plain, ad []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plain)+s.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("store: nonce: %w", err)
	}
	return s.aead.Seal(out, out[1:1+nonceSize], plain, ad), nil
}

func (s *sealer) open(sealed []byte, version byte, ad []byte) ([]byte, error) {
	if len(sealed) < 1+nonceSize+s.aead.Overhead() {
		return nil, fmt.Errorf("%w: sealed value too short (%d bytes)", ErrBadTemplate, len(sealed))
	}
	if sealed[0] != version {
		return nil, fmt.Errorf("%w: seal version %d, want %d", ErrBadTemplate, sealed[0], version)
	}
	plain, err := s.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], ad)
	if err != nil {
		// GCM cannot tell a wrong key from a tampered or moved row.
		return nil, fmt.Errorf("%w: authentication failed (wrong key, or row altered or moved)", ErrBadTemplate)
	}
	return plain, nil
}

// keyCheckLen is the stored size of a key check: version, nonce, the
// sealed keyCheckPlain and the GCM tag.
const keyCheckLen = 1 + nonceSize + len(keyCheckText) + 16

// keyCheckShaped reports whether stored has the form of a key check made
// by any key (its length and version byte): a key check made by another
// key has it, a damaged or overwritten one almost never (1 in 256 for
// random bytes of the right length).
func keyCheckShaped(stored []byte) bool {
	return len(stored) == keyCheckLen && stored[0] == sealV1
}

func (s *sealer) keyCheck() ([]byte, error) {
	return s.seal(sealV1, keyCheckPlain, []byte("facelogin key check v1"))
}

func (s *sealer) verifyKeyCheck(stored []byte) bool {
	p, err := s.open(stored, sealV1, []byte("facelogin key check v1"))
	return err == nil && string(p) == string(keyCheckPlain)
}

// GenerateKey returns a new random key, base64-encoded: a value for
// FACELOGIN_KEY or a key file.
func GenerateKey() (string, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("store: generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key), nil
}

// DefaultKeyFile is where the template key lives unless Config.KeyFile says
// otherwise: facelogin/template.key in the user's config directory.
func DefaultKeyFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("store: key file: %w", err)
	}
	return filepath.Join(dir, "facelogin", "template.key"), nil
}

// ParseKey decodes a key written as base64 (standard or URL alphabet, padded
// or not) or hex.
func ParseKey(s string) ([]byte, error) {
	k, err := parseKey(s)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return k, nil
}

func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("%w: decodes to %d bytes, want %d", ErrBadKey, len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: neither base64 nor hex", ErrBadKey)
}

// readKeyFile reads a key file, refusing one that others may read.
func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: key file %s has mode %04o; it must be readable by its owner only (chmod 600)", ErrBadKey, path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := parseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// createKeyFile writes a fresh random key with mode 0600. It never replaces
// an existing file: when two processes race, the loser reads the winner's
// key.
func createKeyFile(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".template.key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKeyFile(path)
		}
		return nil, err
	}
	return key, nil
}
