package strategy

import "strings"

// decodeClaims decodes the payload of an access token into fc without
// encoding/json, for the compact JSON golang-jwt writes (json.Marshal of
// its claims: no whitespace, plain ASCII strings); it returns false for
// anything else, and encoding/json then decodes it. It accepts only what
// encoding/json decodes into fastClaims with the same result
// (FuzzDecodeClaims), which makes it a shortcut, never a second reading:
//
//   - one object, members separated by ',' — no whitespace, nothing after;
//   - strings of printable ASCII without escapes (no '\\');
//   - the known claims (iss, sub, aud, exp, nbf, iat, jti, ver) each at
//     most once, spelled exactly so: a key that only case-folds to one
//     (encoding/json's matching) declines; the times and ver as integers
//     without sign, fraction or leading zero, as fastTime takes them; aud
//     an array of strings;
//   - any other claim skipped when its value is a string, such an integer,
//     true, false or null.
//
// The issuer and the audience a token must have (wantAudiences is that
// audience alone, read only) are taken from the arguments rather than
// copied out of the payload: a token costs no allocation but its subject
// and id.
func decodeClaims(b []byte, fc *fastClaims, wantIssuer string, wantAudiences []string) bool {
	d := claimsDecoder{b: b}
	if !d.byte('{') {
		return false
	}
	var seen uint8
	for first := true; ; first = false {
		if d.byte('}') {
			return d.i == len(d.b)
		}
		if !first && !d.byte(',') {
			return false
		}
		key, ok := d.str()
		if !ok || !d.byte(':') {
			return false
		}
		bit, known := claimBit(key)
		if !known {
			for _, k := range knownClaims {
				if strings.EqualFold(string(key), k) {
					return false // encoding/json would read it as k
				}
			}
			if !d.skip() {
				return false
			}
			continue
		}
		if seen&bit != 0 {
			return false // encoding/json keeps the last: decline instead
		}
		seen |= bit
		switch string(key) {
		case "iss", "sub", "jti":
			v, ok := d.str()
			if !ok {
				return false
			}
			switch {
			case string(key) == "iss" && string(v) == wantIssuer:
				fc.Issuer = wantIssuer
			case string(key) == "iss":
				fc.Issuer = string(v)
			case string(key) == "sub":
				fc.Subject = string(v)
			default:
				fc.ID = string(v)
			}
		case "aud":
			if !d.byte('[') {
				return false
			}
			// The audience a Signer writes, [wantAudience], is the shared
			// slice wantAudiences; any other array is a new one.
			aud, only := []string{}, false
			for i := 0; !d.byte(']'); i++ {
				if i > 0 && !d.byte(',') {
					return false
				}
				v, ok := d.str()
				if !ok {
					return false
				}
				if i == 0 && string(v) == wantAudiences[0] {
					only = true
					continue
				}
				if only {
					aud, only = append(aud, wantAudiences[0]), false
				}
				aud = append(aud, string(v))
			}
			if only {
				aud = wantAudiences
			}
			fc.Audience = aud
		default: // exp, nbf, iat, ver
			n, ok := d.int()
			if !ok {
				return false
			}
			var t fastTime
			if t.UnmarshalJSON(n) != nil {
				return false
			}
			switch string(key) {
			case "exp":
				fc.ExpiresAt = t
			case "nbf":
				fc.NotBefore = t
			case "iat":
				fc.IssuedAt = t
			default:
				fc.Version = fastInt{n: t.t.Unix(), set: true}
			}
		}
	}
}

// knownClaims are fastClaims' JSON names.
var knownClaims = [...]string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "ver"}

func claimBit(key []byte) (uint8, bool) {
	for i, k := range knownClaims {
		if string(key) == k {
			return 1 << i, true
		}
	}
	return 0, false
}

// claimsDecoder reads b from i on.
type claimsDecoder struct {
	b []byte
	i int
}

// byte consumes c if it is next.
func (d *claimsDecoder) byte(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// str consumes a string of printable ASCII without escapes and returns
// its contents.
func (d *claimsDecoder) str() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	start := d.i
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// int consumes an integer without sign, fraction, exponent or leading
// zero: valid JSON, and a number fastTime reads.
func (d *claimsDecoder) int() ([]byte, bool) {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	n := d.b[start:d.i]
	if len(n) == 0 || (n[0] == '0' && len(n) > 1) {
		return nil, false
	}
	if d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		return nil, false
	}
	return n, true
}

// skip consumes the value of a claim fastClaims does not have.
func (d *claimsDecoder) skip() bool {
	if d.i >= len(d.b) {
		return false
	}
	switch d.b[d.i] {
	case '"':
		_, ok := d.str()
		return ok
	case 't':
		return d.word("true")
	case 'f':
		return d.word("false")
	case 'n':
		return d.word("null")
	}
	_, ok := d.int()
	return ok
}

func (d *claimsDecoder) word(w string) bool {
	if strings.HasPrefix(string(d.b[d.i:]), w) {
		d.i += len(w)
		return true
	}
	return false
}
