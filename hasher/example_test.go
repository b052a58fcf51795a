package hasher_test

import (
	"fmt"
	"strings"

	"github.com/go-authkit/authkit/hasher"
)

func ExampleDefault() {
	h := hasher.Default()

	// A hash stored by a FastAPI Users (pwdlib, argon2-cffi) application.
	stored := "$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg"
	match, rehash, err := h.Verify("correct horse battery staple", stored)
	if err != nil {
		fmt.Println(err)
		return
	}
	if match && rehash {
		// Store h.Hash(password) in place of the old hash.
		stored, _ = h.Hash("correct horse battery staple")
	}
	fmt.Println(match, strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$"))
	// Output: true true
}

func ExampleNewArgon2id() {
	h, err := hasher.NewArgon2id(hasher.Argon2Params{
		Memory: 64 * 1024, Iterations: 3, Parallelism: 4, SaltLength: 16, KeyLength: 32,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	encoded, err := h.Hash("correct horse battery staple")
	if err != nil {
		fmt.Println(err)
		return
	}
	match, rehash, err := h.Verify("correct horse battery staple", encoded)
	fmt.Println(encoded[:31], match, rehash, err)
	// Output: $argon2id$v=19$m=65536,t=3,p=4$ true false <nil>
}

func ExampleNewBcrypt() {
	// Legacy hashes made with bcrypt (here PHP's $2y$) still verify.
	b, err := hasher.NewBcrypt(12)
	if err != nil {
		fmt.Println(err)
		return
	}
	match, rehash, err := b.Verify("\xa3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq")
	fmt.Println(match, rehash, err)
	// Output: true true <nil>
}

func ExampleFallback() {
	current, err := hasher.NewArgon2id(hasher.DefaultArgon2Params)
	if err != nil {
		fmt.Println(err)
		return
	}
	legacy, err := hasher.NewBcrypt(10)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := hasher.Fallback(current, legacy)

	match, rehash, err := h.Verify("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
	fmt.Println(match, rehash, err)
	// Output: true true <nil>
}
