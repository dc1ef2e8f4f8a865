package adminpin

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
)

// Rules for a new PIN. A PIN is at least MinLength characters (six digits,
// or a passphrase) and is refused when it follows a low-entropy pattern: an
// attacker with a copied PIN file tries those first, and one at the kiosk
// tries them before anything else.
const (
	MinLength = 6 // characters (digits) of a PIN
	MaxLength = 64
	// MinDistinct: fewer different characters than this is a repeat
	// (000000, 100000, 101010, 111222).
	MinDistinct = 3
	// MinGuesses is the fewest guesses zxcvbn may estimate for a PIN: its
	// estimate for the likeliest date (365 days × its 20-year minimum span).
	// A random six-digit PIN is ~1e6; below a date are its frequency lists
	// of leaked passwords and PINs (147258, 258369, 314159, 696969),
	// keyboard and keypad walks, repeats and plain sequences. Dates (7300
	// and more) are not refused: a six-digit date is one of ~36,500.
	MinGuesses = 7300
)

// ErrInvalid is wrapped by Validate's errors, which say what is wrong in
// words for people.
var ErrInvalid = errors.New("invalid PIN")

// ErrWeak wraps ErrInvalid for a PIN refused as a low-entropy pattern.
var ErrWeak = fmt.Errorf("%w: too easy to guess", ErrInvalid)

// Validate explains what is wrong with a new PIN, or returns nil. Besides
// its length and characters it refuses a PIN made of a few repeated
// characters or a repeated block (000000, 123123, 112233), a constant-step
// sequence, also wrapping round 9→0 (123456, 987654, 135791, 789012), a
// palindrome (123321), and what zxcvbn 4.4.2 (Wheeler, USENIX Security
// 2016; github.com/trustelem/zxcvbn) estimates at fewer than MinGuesses
// guesses: common PINs and passwords, keyboard and keypad patterns.
//
// The rules apply to the PIN's Canonical (NFKC) form, the one hashed:
// fullwidth １２３４５６ is the sequence 123456.
func Validate(pin string) error {
	if !utf8.ValidString(pin) {
		return fmt.Errorf("%w: the PIN is not valid text", ErrInvalid)
	}
	pin = Canonical(pin)
	n := utf8.RuneCountInString(pin)
	switch {
	case n < MinLength:
		return fmt.Errorf("%w: the PIN must have at least %d digits (or characters)", ErrInvalid, MinLength)
	case n > MaxLength:
		return fmt.Errorf("%w: the PIN may have at most %d characters", ErrInvalid, MaxLength)
	case strings.IndexFunc(pin, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		return fmt.Errorf("%w: the PIN may not contain spaces or control characters", ErrInvalid)
	}
	if why := lowEntropy([]rune(pin)); why != "" {
		return fmt.Errorf("%w: the PIN %s — choose one without a pattern", ErrWeak, why)
	}
	return nil
}

// lowEntropy names the pattern pin follows, or returns "".
func lowEntropy(pin []rune) string {
	switch {
	case distinct(pin) < MinDistinct:
		return fmt.Sprintf("uses fewer than %d different characters", MinDistinct)
	case period(pin) <= len(pin)/2:
		return "repeats a block"
	case constantStep(pin):
		return "is a sequence"
	case len(collapseRuns(pin)) <= len(pin)/2:
		return "is made of repeated characters"
	case palindrome(pin):
		return "reads the same backwards"
	}
	res := zxcvbn.PasswordStrength(string(pin), nil)
	if res.Guesses >= MinGuesses {
		return ""
	}
	for _, m := range res.Sequence {
		switch m.Pattern {
		case "dictionary":
			return "is one of the most common PINs or passwords"
		case "spatial":
			return "is a keyboard or keypad pattern"
		}
	}
	return "is too common a pattern"
}

func distinct(pin []rune) int {
	seen := map[rune]bool{}
	for _, r := range pin {
		seen[r] = true
	}
	return len(seen)
}

// period is the length of the shortest block that pin repeats (possibly
// cut short at the end): 3 for 123123 and 1231231, len(pin) for none.
func period(pin []rune) int {
	for p := 1; p < len(pin); p++ {
		ok := true
		for i := p; i < len(pin) && ok; i++ {
			ok = pin[i] == pin[i-p]
		}
		if ok {
			return p
		}
	}
	return len(pin)
}

// constantStep reports whether every character is the previous one plus
// the same step: for digits modulo 10 (789012, 975319), for anything else
// in code points (abcdef).
func constantStep(pin []rune) bool {
	digits := strings.IndexFunc(string(pin), func(r rune) bool { return r < '0' || r > '9' }) < 0
	step := func(i int) rune {
		d := pin[i] - pin[i-1]
		if digits {
			d = (d + 10) % 10
		}
		return d
	}
	for i := 2; i < len(pin); i++ {
		if step(i) != step(1) {
			return false
		}
	}
	return true
}

// collapseRuns replaces every run of one character by one: 112233 → 123.
func collapseRuns(pin []rune) []rune {
	out := pin[:1:1]
	for _, r := range pin[1:] {
		if r != out[len(out)-1] {
			out = append(out, r)
		}
	}
	return out
}

func palindrome(pin []rune) bool {
	for i, j := 0, len(pin)-1; i < j; i, j = i+1, j-1 {
		if pin[i] != pin[j] {
			return false
		}
	}
	return true
}
