package password_test

import (
	"errors"
	"fmt"

	"github.com/go-authkit/authkit/password"
)

func ExampleNormalize() {
	// "é" typed as "e" and a combining accent, and the ﬁ ligature.
	n, err := password.Normalize("caf\u0065\u0301 \ufb01ve")
	fmt.Printf("%q %v\n", n, err)

	_, err = password.Normalize("bad\xff")
	fmt.Println(errors.Is(err, password.ErrInvalidUTF8))
	// Output:
	// "café five" <nil>
	// true
}

func ExamplePolicy_Validate() {
	var policy password.Policy // the zero value: 8 to 256 code points

	for _, pw := range []string{"hunter2", "iloveyou", "bob@example.com", "correct horse battery staple"} {
		err := policy.Validate(pw, "bob@example.com")
		var pe *password.Error
		switch {
		case err == nil:
			fmt.Printf("%q: ok\n", pw)
		case errors.As(err, &pe):
			fmt.Printf("%q: %s %s\n", pw, pe.Code, pe.Reason)
		}
	}
	// Output:
	// "hunter2": PASSWORD_TOO_SHORT Password should be at least 8 characters.
	// "iloveyou": PASSWORD_TOO_COMMON Password is too common.
	// "bob@example.com": PASSWORD_CONTAINS_EMAIL Password should not contain e-mail.
	// "correct horse battery staple": ok
}

func ExamplePolicy_Validate_lengths() {
	policy := password.Policy{MinLength: 15, MaxLength: 128}
	if err := policy.Check(); err != nil { // at start-up
		fmt.Println(err)
		return
	}
	err := policy.Validate("Tr0ub4dor&3", "")
	fmt.Println(errors.Is(err, password.ErrTooShort), err)
	// Output: true Password should be at least 15 characters.
}
