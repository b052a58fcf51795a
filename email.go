package authkit

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidEmail is returned for a string that is not a plain email
// address; the error wrapping it says why.
var ErrInvalidEmail = errors.New("value is not a valid email address")

// maxEmailLength is RFC 5321's limit on a forward path, less the brackets.
const maxEmailLength = 254

// ParseEmail checks that s, once trimmed, is a plain address (no display
// name, no comments, no angle brackets, no control characters) of at most
// 254 bytes with a dotted domain, and returns it trimmed. The case is kept:
// comparisons go through store.CanonicalEmail.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	invalid := func(why string) (string, error) {
		return "", &emailError{why}
	}
	switch {
	case s == "":
		return invalid("an email address must have an @-sign")
	case !utf8.ValidString(s):
		return invalid("invalid UTF-8")
	case len(s) > maxEmailLength:
		return invalid("the email address is too long")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return invalid("the email address contains a space or a control character")
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return invalid("an email address must have an @-sign")
	}
	local, domain := s[:at], s[at+1:]
	switch {
	case local == "":
		return invalid("there must be something before the @-sign")
	case len(local) > 64:
		return invalid("the part before the @-sign is too long")
	case domain == "":
		return invalid("there must be something after the @-sign")
	case !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, ".."):
		return invalid("the part after the @-sign is not valid")
	}
	// net/mail knows the RFC 5322 grammar; accept s only when it parses to
	// itself, which rules out display names, comments and brackets.
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return invalid("the email address is not valid")
	}
	return s, nil
}

type emailError struct{ why string }

func (e *emailError) Error() string { return ErrInvalidEmail.Error() + ": " + e.why }

// Is makes errors.Is(err, ErrInvalidEmail) true.
func (e *emailError) Is(target error) bool { return target == ErrInvalidEmail }
