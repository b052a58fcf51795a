// Package limiter throttles logins and other abusable routes (OWASP ASVS
// 6.1.1, 6.3.1): it counts events per key — an account, a client address —
// and says when a key has had too many.
//
// A [Limiter] counts in fixed windows of [Rule.Window] that start at a key's
// first counted event. Within a window the first [Rule.Limit] events are
// allowed and the rest refused, with the time left until the window ends.
// Refused events are counted but never extend the window, so a key is free
// again at most Window after its first event: an attacker can keep an
// account blocked only by keeping up Limit attempts per window, and the
// block lifts by itself once they stop. In any span of one Window a key gets
// at most 2·Limit−1 events through (the end of one window and the start of
// the next).
//
// [Memory] keeps the counters in the process; package redislimiter keeps
// them in Redis, shared by every instance of a service. Both pass the suite
// in package limitertest. [ClientIP] gives the key for a client address,
// reading X-Forwarded-For only from trusted proxies.
//
// A login handler takes from the client address's limiter and the
// account's before checking the password, and clears the account's count
// when the password is right. Taking first, rather than counting failures
// afterwards, means a burst of concurrent attempts cannot slip past the
// limit while the first ones are still being checked:
//
//	ip := limiter.ClientIP(r, trustedProxies)
//	for _, c := range []struct {
//		l   limiter.Limiter
//		key string
//	}{{perAddress, ip}, {perAccount, canonicalEmail}} {
//		ok, retryAfter, err := c.l.Take(ctx, c.key)
//		if err != nil { /* 503: the caller decides */ }
//		if !ok {
//			w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
//			// 429 {"detail":"TOO_MANY_REQUESTS"}, and return
//		}
//	}
//	if passwordIsRight {
//		perAccount.Reset(ctx, canonicalEmail)
//	}
//
// Keys are opaque byte strings: "Alice@x" and "alice@x" are two keys, so
// callers pass a canonical form. Use one limiter (and, for Redis, one
// prefix) per rule: two limiters sharing a key space share counters.
package limiter
