package authkit_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/hasher"
)

// medians times f(0) and f(1) alternately, n times each, and returns the
// median of each and the median of the ratios of each adjacent pair:
// pairing cancels the drift of a machine that other work shares.
func medians(n int, f func(which int)) (a, b time.Duration, ratio float64) {
	var ta, tb []time.Duration
	var ratios []float64
	for i := range n {
		// Which goes first alternates too: the first of a pair may pay for
		// something the second does not.
		first, second := 0, 1
		if i%2 == 1 {
			first, second = 1, 0
		}
		start := time.Now()
		f(first)
		mid := time.Now()
		f(second)
		d1, d2 := mid.Sub(start), time.Since(mid)
		da, db := d1, d2
		if first == 1 {
			da, db = d2, d1
		}
		ta, tb = append(ta, da), append(tb, db)
		ratios = append(ratios, float64(da)/float64(db))
	}
	slices.Sort(ta)
	slices.Sort(tb)
	slices.Sort(ratios)
	return ta[n/2], tb[n/2], ratios[n/2]
}

// sameTime checks that f(0) (a known email) and f(1) (an unknown one) take
// the same time within 10%. A leak shows in every measurement; noise from
// other processes rarely in three in a row, so a failure is measured again
// up to twice.
func sameTime(t *testing.T, what string, n int, f func(which int)) {
	t.Helper()
	for try := 1; ; try++ {
		a, b, ratio := medians(n, f)
		t.Logf("%s: median known %v, unknown %v, median ratio %.3f", what, a, b, ratio)
		if ratio >= 0.9 && ratio <= 1/0.9 {
			return
		}
		if try == 3 {
			t.Fatalf("%s: known and unknown emails differ by more than 10%% (median ratio %.3f)", what, ratio)
		}
	}
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
	sameTime(t, "login", 21, func(i int) {
		if r := e.loginForm("jwt", emails[i], "wrong-password-x"); r.status != http.StatusBadRequest {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
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
	sameTime(t, "forgot-password", 301, func(i int) {
		if r := e.postJSON("/auth/forgot-password", bodies[i]); r.status != http.StatusAccepted {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}
