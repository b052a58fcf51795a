package authkit_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/hasher"
)

// medians times f(a) and f(b) alternately, n times each, and returns the
// median of each: alternating spreads any drift of the machine over both.
func medians(n int, f func(which int)) (a, b time.Duration) {
	var ta, tb []time.Duration
	for i := range 2 * n {
		start := time.Now()
		f(i % 2)
		d := time.Since(start)
		if i%2 == 0 {
			ta = append(ta, d)
		} else {
			tb = append(tb, d)
		}
	}
	slices.Sort(ta)
	slices.Sort(tb)
	return ta[n/2], tb[n/2]
}

func within(a, b time.Duration, frac float64) bool {
	diff := float64(a - b)
	if diff < 0 {
		diff = -diff
	}
	return diff <= frac*float64(max(a, b))
}

// With the production hashing parameters, a login for an unknown email
// takes as long as one for a known email with a wrong password (ASVS 6.3.8).
func TestLoginTimingUnknownVsKnown(t *testing.T) {
	if testing.Short() {
		t.Skip("production hashing parameters: not in -short")
	}
	e := newEnv(t, stores[0].open, func(c *authkit.Config) { c.Hasher = hasher.Default() })
	e.register("known@camelot.bt", goodPassword)
	emails := []string{"known@camelot.bt", "unknown@camelot.bt"}
	e.loginForm("jwt", emails[1], "warm-up-password") // the dummy hash is made lazily
	known, unknown := medians(15, func(i int) {
		if r := e.loginForm("jwt", emails[i], "wrong-password-x"); r.status != http.StatusBadRequest {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Logf("median login: known %v, unknown %v", known, unknown)
	if !within(known, unknown, 0.10) {
		t.Fatalf("median login: known %v, unknown %v: more than 10%% apart", known, unknown)
	}
}

// forgot-password answers known and unknown emails in the same time: the
// mail goes out off the request path.
func TestForgotPasswordTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("timing: not in -short")
	}
	box, opt := withMail(t)
	e := newEnv(t, stores[0].open, opt)
	_ = box
	e.register("known@camelot.bt", goodPassword)
	bodies := []string{`{"email":"known@camelot.bt"}`, `{"email":"unknown@camelot.bt"}`}
	for range 20 { // warm up
		e.postJSON("/auth/forgot-password", bodies[1])
	}
	known, unknown := medians(301, func(i int) {
		if r := e.postJSON("/auth/forgot-password", bodies[i]); r.status != http.StatusAccepted {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Logf("median forgot-password: known %v, unknown %v", known, unknown)
	if !within(known, unknown, 0.10) {
		t.Fatalf("median forgot-password: known %v, unknown %v: more than 10%% apart", known, unknown)
	}
}
