package limiter_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/go-authkit/authkit/limiter"
)

// Five attempts per account per 15 minutes; the sixth is refused until the
// window that the first one opened has passed. A successful login clears
// the count.
func ExampleNewMemory() {
	perAccount, err := limiter.NewMemory(limiter.Rule{Limit: 5, Window: 15 * time.Minute})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	for attempt := 1; attempt <= 6; attempt++ {
		// Take before checking the password, so that concurrent attempts
		// cannot all pass.
		ok, retryAfter, err := perAccount.Take(ctx, "lancelot@camelot.bt")
		if err != nil {
			panic(err)
		}
		if !ok {
			fmt.Printf("attempt %d: 429, Retry-After: %d\n", attempt, int(retryAfter/time.Second))
			continue
		}
		fmt.Printf("attempt %d: checked, wrong password\n", attempt)
	}

	// The right password, later: clear the account's count.
	if err := perAccount.Reset(ctx, "lancelot@camelot.bt"); err != nil {
		panic(err)
	}
	ok, _, _ := perAccount.Allow(ctx, "lancelot@camelot.bt")
	fmt.Println("after a successful login:", ok)
	// Output:
	// attempt 1: checked, wrong password
	// attempt 2: checked, wrong password
	// attempt 3: checked, wrong password
	// attempt 4: checked, wrong password
	// attempt 5: checked, wrong password
	// attempt 6: 429, Retry-After: 900
	// after a successful login: true
}

// Behind a load balancer at 10.0.0.0/8, the client is the right-most
// address of X-Forwarded-For that is not the balancer's; what the client
// wrote itself further left is ignored.
func ExampleClientIP() {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}

	r := httptest.NewRequest("POST", "/auth/jwt/login", nil)
	r.RemoteAddr = "10.0.0.5:41000"
	r.Header.Set("X-Forwarded-For", "127.0.0.1, 203.0.113.7")
	fmt.Println(limiter.ClientIP(r, trusted))

	r.RemoteAddr = "[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:41000" // not a proxy
	fmt.Println(limiter.ClientIP(r, trusted))
	// Output:
	// 203.0.113.7
	// 2001:db8:1:2::/64
}
