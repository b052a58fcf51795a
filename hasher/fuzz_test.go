package hasher_test

import (
	"errors"
	"testing"

	"github.com/go-authkit/authkit/hasher"
)

// FuzzVerify feeds arbitrary stored hashes to Verify: it must never panic,
// and a refusal is one of the two documented errors. The caps are tiny so
// that whatever the fuzzer finds stays cheap to compute.
func FuzzVerify(f *testing.F) {
	a, err := hasher.NewArgon2id(cheap, hasher.WithArgon2Caps(hasher.Argon2Params{
		Memory: 256, Iterations: 2, Parallelism: 2, SaltLength: 64, KeyLength: 64,
	}))
	if err != nil {
		f.Fatal(err)
	}
	b, err := hasher.NewBcrypt(4, hasher.WithMaxBcryptCost(5))
	if err != nil {
		f.Fatal(err)
	}
	h := hasher.Fallback(a, b)

	good, err := a.Hash("pw")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("pw", good)
	f.Add("pw", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$")
	f.Add("pw", "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("pw", "$argon2id$v=19$m=64,t=0,p=0$c2FsdHNhbHQ$aGFzaA")
	f.Add("pw", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("correct horse battery staple", cffiHash)
	for _, v := range bcryptVectors {
		f.Add(v.password, v.hash)
	}
	f.Add("U*U", "$2a$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
	f.Add("", "")

	f.Fuzz(func(t *testing.T, password, encoded string) {
		match, rehash, err := h.Verify(password, encoded)
		if err != nil {
			if match || rehash {
				t.Fatalf("Verify(%q) = %v, %v with error %v", encoded, match, rehash, err)
			}
			if !errors.Is(err, hasher.ErrUnknownFormat) && !errors.Is(err, hasher.ErrParamsTooHigh) {
				t.Fatalf("Verify(%q): unexpected error %v", encoded, err)
			}
		}
		if rehash && !match {
			t.Fatalf("Verify(%q): rehash without a match", encoded)
		}
	})
}
