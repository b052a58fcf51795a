package authkit

import (
	"errors"
	"net/http"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
)

// useState records the verified state c as used, so that it is good for
// one callback however many present it, on whichever instance: the
// record outlives the token (its expiry plus the signer's leeway), after
// which the token itself is refused. Expired records are deleted here,
// at most once a minute, so storage is bounded by the callbacks of one
// state lifetime.
func (f *oauthFlow) useState(r *http.Request, c strategy.Claims) error {
	ctx := r.Context()
	if c.ID == "" {
		return errDetail(http.StatusBadRequest, "ACCESS_TOKEN_DECODE_ERROR")
	}
	now := f.k.manager.timestamp()
	if err := f.purge.Maybe(now, func() error { return f.states.DeleteExpiredOAuthStates(ctx, now) }); err != nil {
		return err
	}
	err := f.states.UseOAuthState(ctx, c.ID, c.ExpiresAt.Add(f.signer.Leeway()))
	if errors.Is(err, store.ErrOAuthStateUsed) {
		f.k.audit(r, "oauth.state_reused", nil, "provider", f.provider.Name())
		return errDetail(http.StatusBadRequest, "OAUTH_INVALID_STATE")
	}
	return err
}
