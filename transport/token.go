package transport

// maxTokenLen bounds the tokens a transport accepts. Real tokens are far
// shorter; a bigger one is refused before any strategy parses it.
const maxTokenLen = 8 << 10

// validToken reports whether tok is a non-empty token68 (RFC 7235 §2.1, the
// b64token of RFC 6750): ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/",
// then any number of "=". JWTs and base64url tokens are token68; rejecting
// everything else keeps control characters, spaces and quotes out of the
// strategies and out of Set-Cookie headers.
func validToken(tok string) bool {
	if tok == "" || len(tok) > maxTokenLen {
		return false
	}
	i := 0
	for ; i < len(tok); i++ {
		c := tok[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			continue
		}
		break
	}
	if i == 0 {
		return false // "=" alone is not a token
	}
	for ; i < len(tok); i++ {
		if tok[i] != '=' {
			return false
		}
	}
	return true
}
