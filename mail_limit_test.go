package authkit_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/limiter"
	"github.com/go-authkit/authkit/limiter/redislimiter"
	"github.com/go-authkit/authkit/mail/mailtest"
	"github.com/redis/go-redis/v9"
)

// redisLimiters make the throttle's limiters in Redis, each rule under
// its own prefix within the test's.
func redisLimiters(t *testing.T) func(name string, rule limiter.Rule) (limiter.Limiter, error) {
	client, prefix := testdb.Redis(t)
	return func(name string, rule limiter.Rule) (limiter.Limiter, error) {
		return redislimiter.New(redis.UniversalClient(client), rule, prefix+name+":")
	}
}

// limiterBackends make the throttle's limiters: nil for throttled's own
// (in memory), and Redis.
var limiterBackends = []struct {
	name string
	make func(t *testing.T) func(name string, rule limiter.Rule) (limiter.Limiter, error)
}{
	{"memory", func(*testing.T) func(string, limiter.Rule) (limiter.Limiter, error) { return nil }},
	{"redis", redisLimiters},
}

// A flood of mail requests for one mailbox, from several addresses each
// within its own limit, released together: the mailbox gets the
// per-recipient limit of messages (3 by default), and every answer is the
// 202 of any other request, so nothing tells the flood it was cut off.
func TestMailPerRecipientLimit(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		for _, lb := range limiterBackends {
			for _, route := range []string{"/auth/forgot-password", "/auth/request-verify-token"} {
				t.Run(lb.name+route, func(t *testing.T) {
					box, withBox := withMail(t)
					e := open(withBox, throttled(&fakeClock{now: time.Now()}), func(c *authkit.Config) {
						// The default rules: 20 requests per address, 3 mails per recipient.
						c.Throttle.RequestsPerAddress, c.Throttle.MailPerRecipient = limiter.Rule{}, limiter.Rule{}
						if nl := lb.make(t); nl != nil {
							c.Throttle.NewLimiter = nl
						}
					})
					e.register("gaheris@orkney.bt", goodPassword)
					const n, addresses = 100, 5
					replies := together(t, e.srv.Client(), n, func(i int) *http.Request {
						req, err := http.NewRequest(http.MethodPost, e.srv.URL+route, strings.NewReader(`{"email":"Gaheris@Orkney.bt"}`))
						if err != nil {
							t.Fatal(err)
						}
						req.Header.Set("Content-Type", "application/json")
						from("203.0.113." + strconv.Itoa(1+i%addresses))(req)
						return req
					})
					if got := tally(replies); got["202"] != n {
						t.Fatalf("answers %v, want %d × 202", got, n)
					}
					// Close drains the mail queue: every message is in the box.
					if err := e.kit.Close(context.Background()); err != nil {
						t.Fatal(err)
					}
					if msgs := mailtest.ReadDir(t, box.dir); len(msgs) != 3 {
						t.Fatalf("%d messages delivered to one mailbox by %d requests, want 3", len(msgs), n)
					}
				})
			}
		}
	})
}

// The per-recipient rule is the application's to set; each route counts
// on its own, each address on its own, and the count lifts after a window.
func TestMailPerRecipientRule(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		clock := &fakeClock{now: time.Now()}
		box, withBox := withMail(t)
		e := open(withBox, throttled(clock), func(c *authkit.Config) {
			c.Throttle.RequestsPerAddress = limiter.Rule{Limit: 100, Window: time.Minute}
			c.Throttle.MailPerRecipient = limiter.Rule{Limit: 1, Window: time.Minute}
		})
		e.register("agravain@orkney.bt", goodPassword)
		e.register("mordred@orkney.bt", goodPassword)
		ask := func(route, email string) {
			t.Helper()
			expect(t, e.postJSON(route, `{"email":`+q(email)+`}`), http.StatusAccepted, `null`)
		}
		ask("/auth/forgot-password", "agravain@orkney.bt")
		box.wait(1)
		ask("/auth/forgot-password", "AGRAVAIN@orkney.bt") // the same mailbox: nothing sent
		ask("/auth/forgot-password", "nobody@orkney.bt")   // counted, though nobody gets it
		ask("/auth/forgot-password", "mordred@orkney.bt")
		box.wait(2)
		ask("/auth/request-verify-token", "agravain@orkney.bt")
		box.wait(3)
		clock.Advance(time.Minute + time.Second)
		ask("/auth/forgot-password", "agravain@orkney.bt")
		// Close drains the queue: the box holds every message sent.
		if err := e.kit.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		msgs := box.wait(4)
		var to []string
		for _, m := range msgs {
			to = append(to, m.To+" "+m.Subject)
		}
		if n := strings.Count(strings.Join(to, "\n"), "agravain@orkney.bt"); n != 3 {
			t.Fatalf("messages %q: want 3 to agravain (reset, verify, reset after the window)", to)
		}
	})
}
