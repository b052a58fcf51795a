package jwks

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// cacheMaxAge is how long a response stays fresh by its Cache-Control
// (RFC 9111 §5.2.2.1): max-age less Age; 0 for no-store, no-cache, a
// missing or malformed max-age. The caller bounds it.
func cacheMaxAge(h http.Header) time.Duration {
	var maxAge int64 = -1
	for _, line := range h.Values("Cache-Control") {
		for _, d := range strings.Split(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0
			case "max-age":
				n, ok := deltaSeconds(strings.Trim(strings.TrimSpace(value), `"`))
				if !ok || maxAge >= 0 { // malformed or repeated: not fresh (§4.2.1)
					return 0
				}
				maxAge = n
			}
		}
	}
	if maxAge <= 0 {
		return 0
	}
	if age, ok := deltaSeconds(strings.TrimSpace(h.Get("Age"))); ok {
		maxAge -= age
	}
	if maxAge <= 0 {
		return 0
	}
	return time.Duration(maxAge) * time.Second
}

// maxDelta caps delta-seconds (RFC 9111 §1.2.2): beyond it a value means
// "a very long time", and a Duration must not overflow.
const maxDelta = 1 << 31

// deltaSeconds parses a non-negative decimal integer, capped at maxDelta.
func deltaSeconds(s string) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxDelta {
		return maxDelta, true // all digits: only too large
	}
	return n, true
}
