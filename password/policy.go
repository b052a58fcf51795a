package password

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Default lengths, in code points. ASVS 6.2.1 asks for at least 8 and
// 6.2.9 for at least 64 to be allowed.
const (
	DefaultMinLength = 8
	DefaultMaxLength = 256
)

// ErrInvalidPolicy is returned by Check, and by Validate, for a Policy whose
// settings are out of range.
var ErrInvalidPolicy = errors.New("password: invalid policy")

// Policy decides whether a new password is acceptable. Its zero value is
// the recommended policy; authkit uses Policy{} when the application names
// none.
//
// There are no composition rules (digits, symbols, mixed case) and no
// truncation: NIST SP 800-63B and ASVS 6.2.5 advise against both.
type Policy struct {
	// MinLength is the least number of code points, counted after
	// normalisation. Zero means DefaultMinLength; a smaller value than 8 is
	// refused.
	MinLength int
	// MaxLength is the largest number of code points. Zero means
	// DefaultMaxLength; it must be at least 64 and at least MinLength.
	MaxLength int
	// Words are context-specific passwords to refuse as common ones (ASVS
	// 6.2.11): the service's name, say. They are compared like the bundled
	// list, after normalisation and case-insensitively.
	Words []string
}

func (p Policy) lengths() (minLen, maxLen int) {
	minLen, maxLen = p.MinLength, p.MaxLength
	if minLen == 0 {
		minLen = DefaultMinLength
	}
	if maxLen == 0 {
		maxLen = DefaultMaxLength
	}
	return minLen, maxLen
}

// Check reports a Policy whose settings are out of range, wrapping
// ErrInvalidPolicy. Call it at start-up.
func (p Policy) Check() error {
	minLen, maxLen := p.lengths()
	switch {
	case minLen < DefaultMinLength:
		return fmt.Errorf("%w: MinLength %d is below %d", ErrInvalidPolicy, minLen, DefaultMinLength)
	case maxLen < 64:
		return fmt.Errorf("%w: MaxLength %d is below 64", ErrInvalidPolicy, maxLen)
	case maxLen < minLen:
		return fmt.Errorf("%w: MaxLength %d is below MinLength %d", ErrInvalidPolicy, maxLen, minLen)
	}
	return nil
}

// Validate returns nil when password may be set for the user with the given
// email, and otherwise an *Error whose Reason tells the user why (matching
// ErrInvalidUTF8, ErrTooShort, ErrTooLong, ErrCommon or ErrContainsEmail
// with errors.Is). The checks, in order:
//   - password is valid UTF-8; it is then normalised (NFKC);
//   - its length in code points is within MinLength and MaxLength;
//   - neither it nor its lower-case form is a common password or one of Words;
//   - it does not contain email, nor equal the email's local part, ignoring case.
//
// A Policy that fails Check makes Validate return that error instead.
func (p Policy) Validate(password, email string) error {
	if err := p.Check(); err != nil {
		return err
	}
	pw, err := Normalize(password)
	if err != nil {
		return err
	}
	minLen, maxLen := p.lengths()
	switch n := utf8.RuneCountInString(pw); {
	case n < minLen:
		return newError(ErrTooShort, fmt.Sprintf("Password should be at least %d characters.", minLen))
	case n > maxLen:
		return newError(ErrTooLong, fmt.Sprintf("Password should be at most %d characters.", maxLen))
	}
	if IsCommon(pw) || p.isWord(pw) {
		return newError(ErrCommon, ErrCommon.Reason)
	}
	if containsEmail(pw, email) {
		return newError(ErrContainsEmail, ErrContainsEmail.Reason)
	}
	return nil
}

func (p Policy) isWord(pw string) bool {
	for _, w := range p.Words {
		if w != "" && strings.EqualFold(pw, norm.NFKC.String(w)) {
			return true
		}
	}
	return false
}

// containsEmail reports whether pw contains the whole email, or equals its
// local part, ignoring case. Only the whole address is searched for inside
// the password: a short local part ("al") may well occur in a good one.
func containsEmail(pw, email string) bool {
	email = norm.NFKC.String(strings.TrimSpace(email))
	if email == "" {
		return false
	}
	if strings.Contains(strings.ToLower(pw), strings.ToLower(email)) {
		return true
	}
	at := strings.LastIndexByte(email, '@')
	return at > 0 && strings.EqualFold(pw, email[:at])
}
