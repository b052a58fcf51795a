package authkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/go-authkit/authkit/store"
)

// FieldType is the JSON type of an application's own user field.
type FieldType int

const (
	FieldString FieldType = iota // a JSON string
	FieldBool                    // true or false
	FieldInt                     // a whole JSON number (int64)
)

// UserField declares one of the application's own user fields (say
// display_name): register and the users routes read and serve it beside
// the standard fields, and the stores keep it, without a fork of authkit
// or a migration of the application's own.
type UserField struct {
	// Name is the JSON name: lower-case letters, digits and _, not a
	// standard field's.
	Name string
	Type FieldType
	// Required makes register refuse a user without it (422).
	Required bool
	// MaxLength bounds a string, in code points; 0 means 256.
	MaxLength int
	// Privileged fields are set only by a superuser (PATCH /users/{id}):
	// register and PATCH /users/me ignore them, as they ignore is_superuser.
	Privileged bool
}

var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// checkUserFields is New's check of Config.UserFields.
func checkUserFields(fs []UserField) error {
	seen := map[string]bool{}
	var errs []error
	for _, f := range fs {
		switch {
		case !fieldName.MatchString(f.Name):
			errs = append(errs, fmt.Errorf("UserFields: name %q must be lower-case letters, digits and _", f.Name))
		case store.IsStandardField(f.Name):
			errs = append(errs, fmt.Errorf("UserFields: %q is a standard field", f.Name))
		case seen[f.Name]:
			errs = append(errs, fmt.Errorf("UserFields: %q declared twice", f.Name))
		case f.Type < FieldString || f.Type > FieldInt:
			errs = append(errs, fmt.Errorf("UserFields: %q has an unknown type", f.Name))
		case f.MaxLength < 0:
			errs = append(errs, fmt.Errorf("UserFields: %q has a negative MaxLength", f.Name))
		}
		seen[f.Name] = true
	}
	return errors.Join(errs...)
}

// userFields reads the declared fields from a request body. On register
// (create) absent optional fields stay absent and required ones must be
// there; on update, null removes a field. Privileged fields are read only
// when privileged is true.
func (f *fields) userFields(decl []UserField, create, privileged bool) map[string]any {
	var out map[string]any
	set := func(name string, v any) {
		if out == nil {
			out = map[string]any{}
		}
		out[name] = v
	}
	for _, d := range decl {
		if d.Privileged && !privileged {
			continue
		}
		raw, _, ok := f.get(d.Name)
		if !ok || string(raw) == "null" {
			switch {
			case create && d.Required:
				f.fail("missing", d.Name, "Field required")
			case !create && ok:
				set(d.Name, nil) // null on update: remove it
			}
			continue
		}
		switch d.Type {
		case FieldString:
			s, ok := f.String(d.Name, false)
			if !ok {
				continue
			}
			max := d.MaxLength
			if max == 0 {
				max = 256
			}
			if n := utf8.RuneCountInString(s); n > max {
				f.fail("string_too_long", d.Name, fmt.Sprintf("String should have at most %d characters", max))
				continue
			}
			set(d.Name, s)
		case FieldBool:
			if b := f.BoolPtr(d.Name); b != nil {
				set(d.Name, *b)
			}
		case FieldInt:
			var n json.Number
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if raw[0] == '"' || dec.Decode(&n) != nil {
				f.fail("int_type", d.Name, "Input should be a valid integer")
				continue
			}
			i, err := n.Int64()
			if err != nil {
				if fl, ferr := n.Float64(); ferr == nil && fl == math.Trunc(fl) && math.Abs(fl) < 1<<53 {
					i, err = int64(fl), nil
				}
			}
			if err != nil {
				f.fail("int_from_float", d.Name, "Input should be a valid integer, got a number with a fractional part")
				continue
			}
			set(d.Name, i)
		}
	}
	return out
}

// applyFields merges an update into a user's fields: nil values remove.
func applyFields(cur, upd map[string]any) (map[string]any, []string) {
	var changed []string
	next := maps.Clone(cur)
	for name, v := range upd {
		old, had := next[name]
		switch {
		case v == nil && had:
			delete(next, name)
		case v != nil && (!had || fmt.Sprint(old) != fmt.Sprint(v)):
			if next == nil {
				next = map[string]any{}
			}
			next[name] = v
		default:
			continue
		}
		changed = append(changed, name)
	}
	if len(next) == 0 {
		next = nil
	}
	slices.Sort(changed)
	return next, changed
}
