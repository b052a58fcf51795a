package authkit

import (
	"context"
	"fmt"
	"net/http"
	"slices"
)

// audit logs a security event (ASVS 16.2, 16.3): what happened, to which
// user when known, from which client address. Never a password, a token or
// the username typed at a failed login (people type passwords there).
func (k *AuthKit) audit(r *http.Request, event string, u *User, attrs ...any) {
	k.auditCtx(r.Context(), r, event, u, attrs...)
}

// auditCtx is audit for events that may come without a request (r nil:
// a CLI), whose client is then "local".
func (k *AuthKit) auditCtx(ctx context.Context, r *http.Request, event string, u *User, attrs ...any) {
	client := "local"
	if r != nil {
		client = k.client(r)
	}
	args := make([]any, 0, 6+len(attrs))
	args = append(args, "event", event, "client", client)
	if u != nil {
		args = append(args, "user_id", u.ID.String())
	}
	args = append(args, attrs...)
	k.log.InfoContext(ctx, "authkit audit", args...)
}

// auditBy logs an event that the request's user did to u: a superuser's
// change to another account carries who made it (actor_id).
func (k *AuthKit) auditBy(r *http.Request, event string, u *User, attrs ...any) {
	if actor, ok := UserFrom(r.Context()); ok && actor.ID != u.ID {
		attrs = append([]any{"actor_id", actor.ID.String()}, attrs...)
	}
	k.audit(r, event, u, attrs...)
}

// auditUpdate logs user.update with the names of the fields in which
// after differs from before — names only: no value, and never a secret's,
// is logged. An update that changed nothing logs nothing.
func (k *AuthKit) auditUpdate(r *http.Request, before, after *User) {
	if changed := changedFields(before, after); len(changed) > 0 {
		k.auditBy(r, "user.update", after, "fields", changed)
	}
}

// changedFields names the fields in which after differs from before: the
// standard ones in the contract's order, then the application's own,
// sorted.
func changedFields(before, after *User) []string {
	var changed []string
	for _, f := range []struct {
		name string
		diff bool
	}{
		{"email", before.Email != after.Email},
		{"password", before.HashedPassword != after.HashedPassword},
		{"is_active", before.IsActive != after.IsActive},
		{"is_superuser", before.IsSuperuser != after.IsSuperuser},
		{"is_verified", before.IsVerified != after.IsVerified},
	} {
		if f.diff {
			changed = append(changed, f.name)
		}
	}
	var own []string
	for name, v := range after.Fields {
		if old, had := before.Fields[name]; !had || fmt.Sprint(old) != fmt.Sprint(v) {
			own = append(own, name)
		}
	}
	for name := range before.Fields {
		if _, has := after.Fields[name]; !has {
			own = append(own, name)
		}
	}
	slices.Sort(own)
	return append(changed, own...)
}
