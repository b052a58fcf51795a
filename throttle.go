package authkit

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/go-authkit/authkit/internal/httpjson"
	"github.com/go-authkit/authkit/limiter"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
)

// Throttle configures the throttling of logins and of the routes that send
// mail or create accounts (ASVS 6.1.1, 6.3.1). The zero value throttles
// with the default rules, counting in memory; give NewLimiter (for example
// redislimiter) when several instances share the load.
//
// A client refused gets 429 {"detail":"TOO_MANY_REQUESTS"} with Retry-After.
// Counts last a fixed window from their first attempt, so a block lifts by
// itself at most one window after the attempts stop: strangers cannot lock
// an owner out for long. Each (account, address) pair has its own small
// budget, so an attacker elsewhere does not block the owner's own address;
// only a distributed attack beyond the per-account rule does, for as long
// as it keeps up that rate.
type Throttle struct {
	// Off turns throttling off: for load tests, never in production.
	Off bool
	// LoginPerClientAccount bounds the login attempts one address makes
	// against one account; zero means 5 per 10 minutes.
	LoginPerClientAccount limiter.Rule
	// LoginPerAccount bounds the login attempts against one account from
	// all addresses; zero means 100 per 10 minutes.
	LoginPerAccount limiter.Rule
	// LoginPerAddress bounds the login attempts from one address against
	// any accounts; zero means 100 per 10 minutes.
	LoginPerAddress limiter.Rule
	// RequestsPerAddress bounds each of register, forgot-password and
	// request-verify-token per address; zero means 20 per 10 minutes.
	RequestsPerAddress limiter.Rule
	// MailPerRecipient bounds the mail that each of forgot-password and
	// request-verify-token sends to one address, whoever asks and from
	// wherever; zero means 3 per 15 minutes. Requests are counted by the
	// address asked for, account or not, and one over the limit is
	// answered 202 like any other but sends nothing: neither the flood nor
	// its target learns anything. A flood can delay its target's own
	// reset mail, for one window at most after it stops.
	MailPerRecipient limiter.Rule
	// RefreshPerAddress bounds the refreshes (POST /auth/{name}/refresh)
	// from one address; zero means 120 per minute, well above what the
	// tabs of one browser need.
	RefreshPerAddress limiter.Rule
	// RefreshPerSession bounds the refreshes of one session (a refresh
	// token family), from anywhere; zero means 30 per minute. Counted
	// when the strategy's store can read a token before rotating it
	// (store.RefreshTokenReader, as the SQL stores do).
	RefreshPerSession limiter.Rule
	// MFAPerUser bounds the second-factor codes tried against one user
	// (login/mfa, enrolment, disabling); zero means 10 per 10 minutes, so
	// that the 10^6 TOTP codes would take years to walk. A success clears it.
	MFAPerUser limiter.Rule
	// MFAPerAddress bounds the codes tried from one address against any
	// users; zero means 50 per 10 minutes.
	MFAPerAddress limiter.Rule
	// NewLimiter makes the limiter of one rule; name tells the counters
	// apart ("login-client-account", "login-account", "login-address",
	// "requests-address", "mail-recipient", "refresh-address",
	// "refresh-session", "mfa-user", "mfa-address"). Nil means
	// limiter.NewMemory.
	NewLimiter func(name string, rule limiter.Rule) (limiter.Limiter, error)
	// TrustedProxies are the proxies whose X-Forwarded-For is believed;
	// without them the client address is the connection's.
	TrustedProxies []netip.Prefix
}

// throttle holds the limiters; nil when throttling is off.
type throttle struct {
	clientAccount, account, address, requests limiter.Limiter
	recipients                                limiter.Limiter
	refresh, refreshSession                   limiter.Limiter
	mfaUser, mfaAddress                       limiter.Limiter
	proxies                                   []netip.Prefix
}

func newThrottle(cfg Throttle) (*throttle, error) {
	if cfg.Off {
		return nil, nil
	}
	newLimiter := cfg.NewLimiter
	if newLimiter == nil {
		newLimiter = func(_ string, rule limiter.Rule) (limiter.Limiter, error) { return limiter.NewMemory(rule) }
	}
	t := &throttle{proxies: cfg.TrustedProxies}
	for _, l := range []struct {
		dst  *limiter.Limiter
		name string
		rule limiter.Rule
		def  limiter.Rule
	}{
		{&t.clientAccount, "login-client-account", cfg.LoginPerClientAccount, limiter.Rule{Limit: 5, Window: 10 * time.Minute}},
		{&t.account, "login-account", cfg.LoginPerAccount, limiter.Rule{Limit: 100, Window: 10 * time.Minute}},
		{&t.address, "login-address", cfg.LoginPerAddress, limiter.Rule{Limit: 100, Window: 10 * time.Minute}},
		{&t.requests, "requests-address", cfg.RequestsPerAddress, limiter.Rule{Limit: 20, Window: 10 * time.Minute}},
		{&t.recipients, "mail-recipient", cfg.MailPerRecipient, limiter.Rule{Limit: 3, Window: 15 * time.Minute}},
		{&t.refresh, "refresh-address", cfg.RefreshPerAddress, limiter.Rule{Limit: 120, Window: time.Minute}},
		{&t.refreshSession, "refresh-session", cfg.RefreshPerSession, limiter.Rule{Limit: 30, Window: time.Minute}},
		{&t.mfaUser, "mfa-user", cfg.MFAPerUser, limiter.Rule{Limit: 10, Window: 10 * time.Minute}},
		{&t.mfaAddress, "mfa-address", cfg.MFAPerAddress, limiter.Rule{Limit: 50, Window: 10 * time.Minute}},
	} {
		rule := l.rule
		if rule == (limiter.Rule{}) {
			rule = l.def
		}
		lim, err := newLimiter(l.name, rule)
		if err != nil {
			return nil, fmt.Errorf("throttle %s: %w", l.name, err)
		}
		*l.dst = lim
	}
	return t, nil
}

// tooManyRequests is the 429 answer; it writes its own Retry-After.
type tooManyRequests struct{ retryAfter time.Duration }

func (e *tooManyRequests) Error() string { return "authkit: too many requests" }

func (e *tooManyRequests) write(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(e.retryAfter.Seconds())))
	httpjson.Error(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
}

// take counts one attempt against each key in turn and stops at the first
// refusal, so that attempts from a blocked address do not spend an
// account's budget.
func take(ctx context.Context, steps ...limitStep) error {
	for _, s := range steps {
		ok, retry, err := s.l.Take(ctx, s.key)
		if err != nil {
			return fmt.Errorf("authkit: throttle: %w", err)
		}
		if !ok {
			return &tooManyRequests{retryAfter: retry}
		}
	}
	return nil
}

type limitStep struct {
	l   limiter.Limiter
	key string
}

// client is the request's client address, as the throttle and the audit
// log see it.
func (k *AuthKit) client(r *http.Request) string {
	var proxies []netip.Prefix
	if k.throttle != nil {
		proxies = k.throttle.proxies
	}
	return limiter.ClientIP(r, proxies)
}

// takeLogin counts a login attempt for username from r's address.
func (k *AuthKit) takeLogin(r *http.Request, username string) error {
	t := k.throttle
	if t == nil {
		return nil
	}
	account := store.CanonicalEmail(username)
	addr := k.client(r)
	return take(r.Context(),
		limitStep{t.address, addr},
		limitStep{t.clientAccount, account + "\x00" + addr},
		limitStep{t.account, account},
	)
}

// loginSucceeded clears the account's counts: the owner is in.
func (k *AuthKit) loginSucceeded(r *http.Request, username string) error {
	t := k.throttle
	if t == nil {
		return nil
	}
	account := store.CanonicalEmail(username)
	if err := t.clientAccount.Reset(r.Context(), account+"\x00"+k.client(r)); err != nil {
		return fmt.Errorf("authkit: throttle: %w", err)
	}
	if err := t.account.Reset(r.Context(), account); err != nil {
		return fmt.Errorf("authkit: throttle: %w", err)
	}
	return nil
}

// takeRefresh counts one refresh from r's address, and returns the
// request's context with the gate that counts it against its session.
func (k *AuthKit) takeRefresh(r *http.Request) (context.Context, error) {
	t := k.throttle
	if t == nil {
		return r.Context(), nil
	}
	if err := take(r.Context(), limitStep{t.refresh, k.client(r)}); err != nil {
		return nil, err
	}
	return strategy.WithRefreshGate(r.Context(), func(ctx context.Context, family string) error {
		return take(ctx, limitStep{t.refreshSession, family})
	}), nil
}

// takeRequest counts one request to route from r's address.
func (k *AuthKit) takeRequest(r *http.Request, route string) error {
	if k.throttle == nil {
		return nil
	}
	return take(r.Context(), limitStep{k.throttle.requests, route + "\x00" + k.client(r)})
}

// mailAllowed counts one mail of route to email and reports whether it
// may be sent. Unknown addresses count too, so that being over the limit
// says nothing about who has an account.
func (k *AuthKit) mailAllowed(r *http.Request, route, email string) (bool, error) {
	if k.throttle == nil {
		return true, nil
	}
	ok, _, err := k.throttle.recipients.Take(r.Context(), route+"\x00"+store.CanonicalEmail(email))
	if err != nil {
		return false, fmt.Errorf("authkit: throttle: %w", err)
	}
	if !ok {
		k.audit(r, "mail.throttled", nil, "route", route)
	}
	return ok, nil
}
