package authkit

import (
	"errors"
	"net/mail"
	"strconv"
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
	// The reasons are email-validator's words, as pydantic v2 passes them
	// on: a capital and a final period.
	switch {
	case s == "":
		return invalid("An email address must have an @-sign.")
	case !utf8.ValidString(s):
		return invalid("The email address is not valid UTF-8.")
	case len(s) > maxEmailLength:
		return invalid("The email address is too long (" + tooMany(len(s)-maxEmailLength) + ").")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return invalid("The email address contains invalid characters: a space or a control character.")
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return invalid("An email address must have an @-sign.")
	}
	local, domain := s[:at], s[at+1:]
	switch {
	case local == "":
		return invalid("There must be something before the @-sign.")
	case len(local) > 64:
		return invalid("The email address is too long before the @-sign (" + tooMany(len(local)-64) + ").")
	case domain == "":
		return invalid("There must be something after the @-sign.")
	case strings.HasPrefix(domain, "."):
		return invalid("An email address cannot have a period immediately after the @-sign.")
	case strings.HasSuffix(domain, "."):
		return invalid("An email address cannot end with a period.")
	case strings.Contains(domain, ".."):
		return invalid("An email address cannot have two periods in a row.")
	case !strings.Contains(domain, "."):
		return invalid("The part after the @-sign is not valid. It should have a period.")
	}
	// net/mail knows the RFC 5322 grammar; accept s only when it parses to
	// itself, which rules out display names, comments and brackets.
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return invalid("The email address is not valid.")
	}
	return s, nil
}

// tooMany is email-validator's "1 character too many", "2 characters too many".
func tooMany(n int) string {
	if n == 1 {
		return "1 character too many"
	}
	return strconv.Itoa(n) + " characters too many"
}

type emailError struct{ why string }

func (e *emailError) Error() string { return ErrInvalidEmail.Error() + ": " + e.why }

// Is makes errors.Is(err, ErrInvalidEmail) true.
func (e *emailError) Is(target error) bool { return target == ErrInvalidEmail }
