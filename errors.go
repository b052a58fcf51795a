package authkit

import (
	"errors"

	"github.com/go-authkit/authkit/store"
)

// Sentinel errors of the user manager, checked with errors.Is.
var (
	// ErrUserAlreadyExists: another user has the email (compared canonically).
	ErrUserAlreadyExists = errors.New("authkit: user already exists")
	// ErrUserNotFound: no such user.
	ErrUserNotFound = store.ErrUserNotFound
	// ErrBadCredentials: unknown email, wrong password or inactive user —
	// deliberately one error, so that callers cannot tell which.
	ErrBadCredentials = errors.New("authkit: bad credentials")
	// ErrBadCurrentPassword: a change of email or password came without the
	// right current password.
	ErrBadCurrentPassword = errors.New("authkit: current password missing or wrong")
	// ErrInvalidPassword: the password policy refused a password; the error
	// is an *InvalidPasswordError that says why.
	ErrInvalidPassword = errors.New("authkit: invalid password")
	// ErrUpdateConflict: the user changed while the update was under way,
	// in a way the update cannot be re-applied over without undoing or
	// bypassing the other change; nothing was written.
	ErrUpdateConflict = errors.New("authkit: the user changed meanwhile")
)

// InvalidPasswordError carries the password policy's reason, which is
// shown to the user.
type InvalidPasswordError struct {
	Reason string
	Err    error // the policy's own error
}

func (e *InvalidPasswordError) Error() string { return "authkit: invalid password: " + e.Reason }

// Is makes errors.Is(err, ErrInvalidPassword) true.
func (e *InvalidPasswordError) Is(target error) bool { return target == ErrInvalidPassword }

func (e *InvalidPasswordError) Unwrap() error { return e.Err }
