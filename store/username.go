package store

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.mau.fi/util/confusable"
	"golang.org/x/text/unicode/norm"
)

// Limits on what a person may type.
const (
	MaxUsernameLen    = 64  // characters (runes after NFC), not bytes
	MaxDisplayNameLen = 200 // characters
)

// NormalizeUsername trims surrounding space, puts the name in Unicode NFKC
// (so "é" typed precomposed or with a combining accent is one name, and
// fullwidth "ａlice" is "alice") and checks it: 1–64 characters, each a
// letter (any script), a digit, '.', '_' or '-', or a combining mark
// following one of those; no default-ignorable code point (Unicode's
// invisible characters: joiners, U+034F, the Hangul fillers U+115F, U+1160,
// U+3164, U+FFA0, variation selectors, format characters). Everything else —
// spaces, quotes, '%', control and invisible characters — is refused, so a
// name shown in the user list is the name that was typed. Names that merely
// look like an existing one are refused by the store (see nameSkeleton).
//
// The returned name keeps the case it was typed in; two names that differ only
// in case are the same user (see usernameKey).
func NormalizeUsername(name string) (string, error) {
	n, err := normalizeUsername(name)
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	return n, nil
}

func normalizeUsername(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", fmt.Errorf("%w: not valid UTF-8", ErrInvalidName)
	}
	name = norm.NFKC.String(strings.TrimSpace(name))
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "", fmt.Errorf("%w: empty", ErrInvalidName)
	case n > MaxUsernameLen:
		return "", fmt.Errorf("%w: %d characters, at most %d allowed", ErrInvalidName, n, MaxUsernameLen)
	}
	for i, r := range name {
		switch {
		case invisible(r):
			return "", fmt.Errorf("%w: invisible character %U not allowed", ErrInvalidName, r)
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '.', r == '_', r == '-':
		case i > 0 && unicode.In(r, unicode.Mn, unicode.Mc):
			// Vowel signs and accents: needed for names in Devanagari,
			// Thai, ... and for accents NFC has no precomposed form of.
		default:
			return "", fmt.Errorf("%w: character %q not allowed (letters, digits, '.', '_' and '-' only)", ErrInvalidName, r)
		}
	}
	return name, nil
}

// invisible reports a Default_Ignorable_Code_Point (Unicode's derived
// property: Other_Default_Ignorable_Code_Point, format characters and
// variation selectors, from Go's unicode tables): characters that render as
// nothing, so two names differing by one look the same.
func invisible(r rune) bool {
	return unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Variation_Selector, r)
}

// nameSkeleton is the UTS #39 confusable skeleton of a name, compared
// case-insensitively: two names with equal skeletons look alike ("admin"
// and "аdmin" with a Cyrillic а, "paypal" and "𝔭𝒶ỿ𝕡𝕒ℓ", "Admin" and
// "Ꭺdmin" with a Cherokee Ꭺ). The skeleton is taken of the name as typed,
// lower-cased (so "rn" and "m", "I" and "l" are compared as people see them
// in lower case), taken again and case-folded, until nothing changes, so a
// letter whose confusable entry exists only for its upper case (Cherokee Ꭺ
// U+13AA is listed as "A"; lower-casing it first gave U+AB7A, listed as
// small-capital ᴀ) is still caught. Letters confusables.txt does not list
// (small-capital ᴀ U+1D00) are not. The mapping is Unicode's confusables.txt (17.0) as
// compiled into go.mau.fi/util/confusable. A skeleton is for comparing,
// never for showing.
func nameSkeleton(name string) string {
	s := name
	for range 4 { // a fixed point after one or two rounds in practice
		next := usernameKey(confusable.Skeleton(strings.ToLower(confusable.Skeleton(s))))
		if next == s {
			break
		}
		s = next
	}
	return s
}

// lookupKeys are the username_key values a typed name may be stored under:
// its key as normalised today, and the NFC form's key for names stored
// before usernames were NFKC-normalised.
func lookupKeys(typed string) (nfkc, nfc string) {
	t := strings.TrimSpace(typed)
	return usernameKey(norm.NFKC.String(t)), usernameKey(norm.NFC.String(t))
}

// usernameKey is the form the unique index holds: each rune replaced by the
// smallest member of its Unicode simple case-folding orbit, so two names get
// the same key exactly when strings.EqualFold says they are equal. The
// database compares keys byte for byte (utf8mb4_bin on MySQL), never with a
// collation of its own that would merge, say, "a" and "á".
func usernameKey(normalized string) string {
	var b strings.Builder
	b.Grow(len(normalized))
	for _, r := range normalized {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < m {
				m = f
			}
		}
		b.WriteRune(m)
	}
	return b.String()
}

// normalizeDisplayName trims a display name and refuses control characters
// and overlong names. Unlike usernames, any printable text is allowed.
func normalizeDisplayName(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: display name is not valid UTF-8", ErrInvalidName)
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	if n := utf8.RuneCountInString(s); n > MaxDisplayNameLen {
		return "", fmt.Errorf("%w: display name has %d characters, at most %d allowed", ErrInvalidName, n, MaxDisplayNameLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return "", fmt.Errorf("%w: display name contains control character %q", ErrInvalidName, r)
		}
	}
	return s, nil
}
