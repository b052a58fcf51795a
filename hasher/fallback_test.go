package hasher_test

import (
	"errors"
	"testing"

	"github.com/go-authkit/authkit/hasher"
)

func TestFallback(t *testing.T) {
	current := newArgon2(t, cheap)
	legacy := newBcrypt(t, 4)
	h := hasher.Fallback(current, nil, legacy)

	enc, err := h.Hash("a new password")
	if err != nil {
		t.Fatal(err)
	}
	if match, rehash, err := current.Verify("a new password", enc); err != nil || !match || rehash {
		t.Fatalf("Fallback.Hash did not use current: %q (%v, %v, %v)", enc, match, rehash, err)
	}
	if match, rehash, err := h.Verify("a new password", enc); err != nil || !match || rehash {
		t.Fatalf("current hash: %v, %v, %v; want true, false, nil", match, rehash, err)
	}

	// A legacy hash of the very cost of the legacy hasher still asks for a rehash.
	old, err := legacy.Hash("an old password")
	if err != nil {
		t.Fatal(err)
	}
	if match, rehash, err := h.Verify("an old password", old); err != nil || !match || !rehash {
		t.Fatalf("legacy hash: %v, %v, %v; want true, true, nil", match, rehash, err)
	}
	if match, rehash, err := h.Verify("not the old password", old); err != nil || match || rehash {
		t.Fatalf("legacy hash, wrong password: %v, %v, %v; want false, false, nil", match, rehash, err)
	}

	// Current's hash with old params: rehash comes from current.
	older := newArgon2(t, hasher.Argon2Params{Memory: 32, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	enc, _ = older.Hash("pw")
	if match, rehash, err := h.Verify("pw", enc); err != nil || !match || !rehash {
		t.Fatalf("old argon2 params: %v, %v, %v; want true, true, nil", match, rehash, err)
	}

	// Neither knows it.
	if _, _, err := h.Verify("pw", "$1$saltsalt$hash"); !errors.Is(err, hasher.ErrUnknownFormat) {
		t.Fatalf("unknown format: err = %v, want ErrUnknownFormat", err)
	}
	// Too high for current: the legacy hashers are not asked.
	planted := "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	if _, _, err := h.Verify("pw", planted); !errors.Is(err, hasher.ErrParamsTooHigh) {
		t.Fatalf("planted: err = %v, want ErrParamsTooHigh", err)
	}
}

func TestFallbackNilCurrent(t *testing.T) {
	h := hasher.Fallback(nil, newBcrypt(t, 4))
	if _, err := h.Hash("pw"); err == nil {
		t.Fatal("Hash with a nil current hasher succeeded")
	}
	if _, _, err := h.Verify("U*U", bcryptVectors[0].hash); err == nil {
		t.Fatal("Verify with a nil current hasher succeeded")
	}
}

func TestDefaultVerifiesEveryFormat(t *testing.T) {
	t.Parallel()
	h := hasher.Default()
	for _, v := range bcryptVectors[5:7] { // $2b$ and $2y$
		if match, rehash, err := h.Verify(v.password, v.hash); err != nil || !match || !rehash {
			t.Errorf("Default().Verify(%s) = %v, %v, %v; want true, true, nil", v.hash, match, rehash, err)
		}
	}
	if match, rehash, err := h.Verify(bcryptVectors[0].password, bcryptVectors[0].hash); err != nil || !match || !rehash {
		t.Errorf("Default().Verify($2a$) = %v, %v, %v; want true, true, nil", match, rehash, err)
	}
	if match, rehash, err := h.Verify("correct horse battery staple", cffiHash); err != nil || !match || !rehash {
		t.Errorf("Default().Verify(argon2-cffi) = %v, %v, %v; want true, true, nil", match, rehash, err)
	}
}
