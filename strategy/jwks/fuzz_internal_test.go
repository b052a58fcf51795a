package jwks

import (
	"net/http"
	"testing"
	"time"
)

// FuzzCacheMaxAge: any Cache-Control and Age an issuer sends gives a
// freshness between 0 and the delta-seconds cap, without a panic.
func FuzzCacheMaxAge(f *testing.F) {
	for _, seed := range [][2]string{
		{"max-age=300", ""}, {"public, max-age=120", "20"}, {"no-store", ""}, {"no-cache, max-age=5", ""},
		{`max-age="60"`, ""}, {"max-age=99999999999999999999", ""}, {"max-age=-1", ""}, {"max-age=1, max-age=2", ""},
		{"MAX-AGE = 7", "x"}, {",,=,", "3"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, cc, age string) {
		h := http.Header{}
		h.Set("Cache-Control", cc)
		h.Set("Age", age)
		d := cacheMaxAge(h)
		if d < 0 || d > maxDelta*time.Second {
			t.Fatalf("cacheMaxAge(%q, Age %q) = %v", cc, age, d)
		}
	})
}
