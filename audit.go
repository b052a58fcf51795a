package authkit

import "net/http"

// audit logs a security event (ASVS 16.2, 16.3): what happened, to which
// user when known, from which client address. Never a password, a token or
// the username typed at a failed login (people type passwords there).
func (k *AuthKit) audit(r *http.Request, event string, u *User, attrs ...any) {
	args := make([]any, 0, 6+len(attrs))
	args = append(args, "event", event, "client", k.client(r))
	if u != nil {
		args = append(args, "user_id", u.ID.String())
	}
	args = append(args, attrs...)
	k.log.InfoContext(r.Context(), "authkit audit", args...)
}
