// Package password holds authkit's password policy: what a new password
// must be (NIST SP 800-63B, OWASP ASVS 6.2) and the Unicode normalisation
// applied to every password before it is hashed or verified.
//
// A new password is checked, then hashed in its normalised form:
//
//	norm, err := password.Normalize(pw)
//	if err == nil {
//		err = password.Policy{}.Validate(norm, email)
//	}
//	var pe *password.Error
//	if errors.As(err, &pe) {
//		// tell the user pe.Reason
//	}
//	hash, err := h.Hash(norm)
//
// The policy counts length in code points (8 to 256 by default), refuses
// common passwords and the user's email, and sets no composition rules.
package password

//go:generate go run ../internal/gen/commonpasswords -o common.txt

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Error is a password the policy refuses. Reason is meant for the user.
// errors.Is matches it against the sentinel of the same Code, whatever the
// Reason says.
type Error struct {
	Code   string // stable, machine-readable: "PASSWORD_TOO_SHORT", ...
	Reason string // for the user, e.g. "Password should be at least 8 characters."
}

func (e *Error) Error() string { return e.Reason }

// Is reports whether target is an *Error with the same Code, which makes
// errors.Is(err, ErrTooShort) true for every too-short password.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinel errors, checked with errors.Is. Validate and Normalize return
// *Error values of these codes, with a Reason that may differ (it states
// the configured lengths).
var (
	ErrTooShort      = &Error{Code: "PASSWORD_TOO_SHORT", Reason: "Password should be at least 8 characters."}
	ErrTooLong       = &Error{Code: "PASSWORD_TOO_LONG", Reason: "Password should be at most 256 characters."}
	ErrCommon        = &Error{Code: "PASSWORD_TOO_COMMON", Reason: "Password is too common."}
	ErrContainsEmail = &Error{Code: "PASSWORD_CONTAINS_EMAIL", Reason: "Password should not contain e-mail."}
	ErrInvalidUTF8   = &Error{Code: "PASSWORD_INVALID_UTF8", Reason: "Password is not valid UTF-8 text."}
)

// Normalize returns the NFKC form of p, the form authkit hashes and
// verifies, so that a password typed as a composed "é" on one keyboard and
// as "e" plus a combining accent on another is the same password. Invalid
// UTF-8 is refused with ErrInvalidUTF8 rather than silently replaced.
func Normalize(p string) (string, error) {
	if !utf8.ValidString(p) {
		return "", newError(ErrInvalidUTF8, ErrInvalidUTF8.Reason)
	}
	return norm.NFKC.String(p), nil
}

// newError returns a fresh *Error of the sentinel's code, so that callers
// can never alter the sentinels through a returned error.
func newError(sentinel *Error, reason string) *Error {
	return &Error{Code: sentinel.Code, Reason: reason}
}
