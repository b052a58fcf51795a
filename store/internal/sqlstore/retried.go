package sqlstore

import (
	"context"
	"errors"

	"github.com/go-authkit/authkit/store"
)

// An insert may have committed although its caller saw it fail: the
// connection broke after PostgreSQL committed and before its answer
// arrived. database/sql then runs the statement again on another
// connection when the driver says the connection was bad (lib/pq), and the
// second run meets the first one's row; or the driver reports the broken
// connection (pgx). Either way the row the caller meant to write may be
// there. Each insert carries values generated before it (a user's id, a
// token's hash), so the store can look for its own row and answer
// truthfully: done, not "taken" nor a fault.

// ownUser reports whether the user u — same id, same canonical email — is
// stored: an insert of u that seemed to fail did commit.
func (s *Store) ownUser(ctx context.Context, u *store.User) bool {
	got, err := s.UserByID(ctx, u.ID)
	return err == nil && store.CanonicalEmail(got.Email) == store.CanonicalEmail(u.Email)
}

// createUserOutcome is CreateUser's answer when its insert failed (err) or
// changed no row (err nil).
func (s *Store) createUserOutcome(ctx context.Context, u *store.User, err error) error {
	switch {
	case ctx.Err() != nil:
	case s.ownUser(ctx, u):
		return nil
	case err == nil:
		return store.ErrEmailTaken
	case s.d.IsUniqueViolation(err):
		// ON CONFLICT covers the canonical email only. An adopted table
		// has a second unique index, FastAPI Users' on email, that a twin
		// can hit instead: one racing with the same email (PostgreSQL
		// waits for it, then fails), or a row FastAPI Users wrote after
		// the adoption, without a canonical email. The email is taken all
		// the same; only a clash on the id is the caller's fault.
		if _, lerr := s.UserByID(ctx, u.ID); errors.Is(lerr, store.ErrUserNotFound) {
			return store.ErrEmailTaken
		}
	}
	if err == nil {
		return store.ErrEmailTaken
	}
	return fault("create user", err)
}

// insertOutcome is the answer of an insert of a row that has a key of its
// own (a token's hash) when it failed (err) or changed no row (err nil,
// notFound then being the answer): nil when own finds the row written.
func insertOutcome(ctx context.Context, op string, err, notFound error, own func(context.Context) bool) error {
	if ctx.Err() == nil && own(ctx) {
		return nil
	}
	if err == nil {
		return notFound
	}
	return fault(op, err)
}
