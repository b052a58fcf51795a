package strategy

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzClientText: whatever a client sends as its user agent or address,
// the stored form is valid UTF-8 without NUL, within the cap, and a
// prefix of the input when the input was clean already.
func FuzzClientText(f *testing.F) {
	for _, s := range []string{"", "Mozilla/5.0", "\xff\xfe", "a\x00b", strings.Repeat("é", 300), strings.Repeat("a", 511) + "€"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, n := range []int{maxUserAgent, maxIP, 1} {
			got := clientText(s, n)
			if !utf8.ValidString(got) || strings.Contains(got, "\x00") || len(got) > n {
				t.Fatalf("clientText(%q, %d) = %q", s, n, got)
			}
			if utf8.ValidString(s) && !strings.Contains(s, "\x00") && !strings.HasPrefix(s, got) {
				t.Fatalf("clientText(%q, %d) = %q, not a prefix", s, n, got)
			}
			if len(s) <= n && utf8.ValidString(s) && !strings.Contains(s, "\x00") && got != s {
				t.Fatalf("clientText(%q, %d) = %q, changed a clean short input", s, n, got)
			}
		}
	})
}
