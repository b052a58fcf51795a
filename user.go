package authkit

import "github.com/go-authkit/authkit/store"

// User is an account. Its JSON form is the one the HTTP contract serves:
// id, email, is_active, is_superuser, is_verified; never the password hash.
type User = store.User

// UserCreate is what creating a user takes. Register (self-service) only
// reads Email and Password: a client can never make itself active, verified
// or a superuser. Create, for administrators and tools, applies every field.
type UserCreate struct {
	Email       string
	Password    string
	IsActive    bool
	IsSuperuser bool
	IsVerified  bool
	// Fields are the application's own fields (Config.UserFields).
	Fields map[string]any
}

// UserUpdate is a partial update: nil fields are left alone.
//
// Self-service updates (PATCH /users/me) apply Email, Password and the
// application's own fields that are not Privileged (display_name, say);
// a change of Email or Password needs CurrentPassword unless
// Config.NoCurrentPassword is set. Superuser updates (PATCH /users/{id})
// apply every field.
type UserUpdate struct {
	Email           *string
	Password        *string
	IsActive        *bool
	IsSuperuser     *bool
	IsVerified      *bool
	CurrentPassword *string
	// Fields sets the application's own fields named in it; a nil value
	// removes one. Self-service updates ignore privileged fields.
	Fields map[string]any
}

// privileged reports whether the update touches a field only a superuser may set.
func (u UserUpdate) privileged() bool {
	return u.IsActive != nil || u.IsSuperuser != nil || u.IsVerified != nil
}
