package store

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The user's JSON, written by hand: it is the body of every authenticated
// GET /users/me, and encoding/json's reflection, its copy of the value for
// the value receiver and its re-scan of MarshalJSON's output cost ~5
// allocations a request (BENCHMARKS.md). The bytes are encoding/json's to
// the last escape: FuzzUserJSON compares the two.

// MarshalJSON writes the contract's fields, then the application's own,
// sorted by name; an own field never replaces a standard one.
func (u User) MarshalJSON() ([]byte, error) { return u.AppendJSON(nil) }

// AppendJSON appends the user's JSON (MarshalJSON's) to b.
func (u *User) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 160)
	}
	b = append(b, `{"id":"`...)
	b = appendUUID(b, u.ID)
	b = append(b, `","email":`...)
	b = appendJSONString(b, u.Email)
	b = append(b, `,"is_active":`...)
	b = strconv.AppendBool(b, u.IsActive)
	b = append(b, `,"is_superuser":`...)
	b = strconv.AppendBool(b, u.IsSuperuser)
	b = append(b, `,"is_verified":`...)
	b = strconv.AppendBool(b, u.IsVerified)
	if len(u.Fields) > 0 {
		keys := make([]string, 0, len(u.Fields))
		for k := range u.Fields {
			if !standardField[k] {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys) // as encoding/json sorts a map's keys
		for _, k := range keys {
			v, err := json.Marshal(u.Fields[k])
			if err != nil {
				return nil, err
			}
			b = append(b, ',')
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = append(b, v...)
		}
	}
	return append(b, '}'), nil
}

// appendUUID appends id in its canonical form (uuid.UUID.String's).
func appendUUID(b []byte, id uuid.UUID) []byte {
	const hex = "0123456789abcdef"
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[c>>4], hex[c&0xf])
	}
	return b
}

// appendJSONString appends s as encoding/json writes a string: HTML
// characters, control characters, U+2028 and U+2029 escaped, invalid
// UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
