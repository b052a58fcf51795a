package hasher_test

import (
	"encoding/base64"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/go-authkit/authkit/hasher"
)

// cheap keeps tests fast; only TestArgon2idDefaults uses the production
// parameters.
var cheap = hasher.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newArgon2(t testing.TB, p hasher.Argon2Params, opts ...hasher.Argon2Option) *hasher.Argon2id {
	t.Helper()
	h, err := hasher.NewArgon2id(p, opts...)
	if err != nil {
		t.Fatalf("NewArgon2id(%+v): %v", p, err)
	}
	return h
}

func TestArgon2idRoundTrip(t *testing.T) {
	h := newArgon2(t, cheap)
	for _, pw := range []string{"correct horse battery staple", "", "pässwörd ✓", strings.Repeat("x", 4096)} {
		enc, err := h.Hash(pw)
		if err != nil {
			t.Fatalf("Hash: %v", err)
		}
		if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("Hash = %q, want the PHC argon2id form with m=64,t=1,p=1", enc)
		}
		match, rehash, err := h.Verify(pw, enc)
		if err != nil || !match || rehash {
			t.Fatalf("Verify(right password) = %v, %v, %v; want true, false, nil", match, rehash, err)
		}
		match, rehash, err = h.Verify(pw+"!", enc)
		if err != nil || match || rehash {
			t.Fatalf("Verify(wrong password) = %v, %v, %v; want false, false, nil", match, rehash, err)
		}
	}
}

func TestArgon2idFreshSalt(t *testing.T) {
	h := newArgon2(t, cheap)
	a, _ := h.Hash("same")
	b, _ := h.Hash("same")
	if a == b {
		t.Fatalf("two hashes of one password are equal: %q", a)
	}
}

func TestArgon2idDefaults(t *testing.T) {
	t.Parallel()
	want := hasher.Argon2Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	if hasher.DefaultArgon2Params != want {
		t.Fatalf("DefaultArgon2Params = %+v, want %+v (OWASP)", hasher.DefaultArgon2Params, want)
	}
	h := hasher.Default()
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(enc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" || parts[3] != "m=19456,t=2,p=1" {
		t.Fatalf("Default().Hash = %q, want $argon2id$v=19$m=19456,t=2,p=1$...", enc)
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("salt %d bytes (%v), key %d bytes (%v); want 16 and 32", len(salt), err1, len(key), err2)
	}
	match, rehash, err := h.Verify("correct horse battery staple", enc)
	if err != nil || !match || rehash {
		t.Fatalf("Verify = %v, %v, %v; want true, false, nil", match, rehash, err)
	}
}

// Hashes made by argon2-cffi (and so by pwdlib and FastAPI Users), taken
// from argon2-cffi's README.
const (
	cffiHash = "$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg"
	// An older README example, with m=100 MiB (above the default caps) and
	// a 16-byte key.
	cffiHashBig = "$argon2id$v=19$m=102400,t=2,p=8$tSm+JOWigOgPZx/g44K5fQ$WDyus6py50bVFIPkjA28lQ"
)

func TestArgon2idKnownAnswerArgon2CFFI(t *testing.T) {
	t.Parallel()
	h := newArgon2(t, hasher.DefaultArgon2Params)
	// 64 MiB, 3 passes each: the two run side by side.
	t.Run("right password", func(t *testing.T) {
		t.Parallel()
		match, rehash, err := h.Verify("correct horse battery staple", cffiHash)
		if err != nil || !match || !rehash {
			t.Fatalf("Verify(argon2-cffi hash) = %v, %v, %v; want true, true (other params), nil", match, rehash, err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		match, rehash, err := h.Verify("Tr0ub4dor&3", cffiHash)
		if err != nil || match || rehash {
			t.Fatalf("Verify(wrong password, argon2-cffi hash) = %v, %v, %v; want false, false, nil", match, rehash, err)
		}
	})
}

func TestArgon2idCapsConfigurable(t *testing.T) {
	t.Parallel()
	h := newArgon2(t, cheap)
	if _, _, err := h.Verify("s3kr3tp4ssw0rd", cffiHashBig); !errors.Is(err, hasher.ErrParamsTooHigh) {
		t.Fatalf("m=100 MiB under the default caps: err = %v, want ErrParamsTooHigh", err)
	}
	caps := hasher.DefaultArgon2Caps
	caps.Memory = 128 * 1024
	h = newArgon2(t, cheap, hasher.WithArgon2Caps(caps))
	match, rehash, err := h.Verify("s3kr3tp4ssw0rd", cffiHashBig)
	if err != nil || !match || !rehash {
		t.Fatalf("m=100 MiB under raised caps: %v, %v, %v; want true, true, nil", match, rehash, err)
	}
}

func TestArgon2idRehash(t *testing.T) {
	old := newArgon2(t, cheap)
	enc, err := old.Hash("password-1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		p      hasher.Argon2Params
		rehash bool
	}{
		{"same", cheap, false},
		{"memory", hasher.Argon2Params{Memory: 128, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, true},
		{"iterations", hasher.Argon2Params{Memory: 64, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}, true},
		{"parallelism", hasher.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}, true},
		{"key length", hasher.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 64}, true},
		{"salt length only", hasher.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 32, KeyLength: 32}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newArgon2(t, tt.p)
			match, rehash, err := h.Verify("password-1", enc)
			if err != nil || !match || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v, %v; want true, %v, nil", match, rehash, err, tt.rehash)
			}
			// A mismatch never asks for a rehash.
			if match, rehash, _ := h.Verify("password-2", enc); match || rehash {
				t.Fatalf("Verify(wrong) = %v, %v; want false, false", match, rehash)
			}
		})
	}
}

func TestNewArgon2idRefusesBadParams(t *testing.T) {
	tests := []struct {
		name string
		p    hasher.Argon2Params
		opts []hasher.Argon2Option
	}{
		{"zero", hasher.Argon2Params{}, nil},
		{"no iterations", hasher.Argon2Params{Memory: 64, Parallelism: 1, SaltLength: 16, KeyLength: 32}, nil},
		{"no lanes", hasher.Argon2Params{Memory: 64, Iterations: 1, SaltLength: 16, KeyLength: 32}, nil},
		{"memory below 8p", hasher.Argon2Params{Memory: 15, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}, nil},
		{"short salt", hasher.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 8, KeyLength: 32}, nil},
		{"short key", hasher.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 8}, nil},
		{"above default caps", hasher.Argon2Params{Memory: 128 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, nil},
		{"above given caps", cheap, []hasher.Argon2Option{hasher.WithArgon2Caps(hasher.Argon2Params{Memory: 32, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})}},
		{"zero caps", cheap, []hasher.Argon2Option{hasher.WithArgon2Caps(hasher.Argon2Params{})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if h, err := hasher.NewArgon2id(tt.p, tt.opts...); err == nil {
				t.Fatalf("NewArgon2id(%+v) = %v, nil; want an error", tt.p, h)
			}
		})
	}
}

// A planted hash asking for 4 GiB (or 2^32 passes, 255 lanes, huge salt or
// key) is refused before anything is computed or allocated. Not parallel:
// it reads the process-wide allocation counter.
func TestArgon2idCapsRefuseBeforeComputing(t *testing.T) {
	h := hasher.Default()
	salt := base64.RawStdEncoding.EncodeToString(make([]byte, 16))
	key := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	planted := []string{
		"$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=4294967295,t=4294967295,p=255$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=100000,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=65536,t=2,p=64$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 256)),
		"$argon2id$v=19$m=19456,t=2,p=1$" + base64.RawStdEncoding.EncodeToString(make([]byte, 128)) + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.Repeat("A", 1<<20),
	}
	for _, enc := range planted {
		name := enc
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			if _, _, err := h.Verify("x", enc); !errors.Is(err, hasher.ErrParamsTooHigh) {
				t.Fatalf("err = %v, want ErrParamsTooHigh", err)
			}
			const runs = 20
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				_, _, _ = h.Verify("x", enc)
			}
			runtime.ReadMemStats(&after)
			if perCall := (after.TotalAlloc - before.TotalAlloc) / runs; perCall > 16<<10 {
				t.Fatalf("refusing a planted hash allocated %d bytes per call, want < 16 KiB", perCall)
			}
		})
	}
}

func TestArgon2idMalformed(t *testing.T) {
	h := newArgon2(t, cheap)
	good, err := h.Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=64,t=1,p=1, salt, key
	salt, key := parts[4], parts[5]
	unknown := []string{
		"", "$", "argon2id", "$argon2id$", "$argon2id$$$$$",
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=0,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=15,t=1,p=2$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=300$" + salt + "$" + key,
		"$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m= 64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1,data=YWJj$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$",
		"$argon2id$v=19$m=64,t=1,p=1$$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key, // 4-byte salt
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAA",
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "==",
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$",
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "!$" + key,
		good + " ",
		" " + good,
		"$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e",
		"pbkdf2_sha256$600000$salt$hash",
	}
	for _, enc := range unknown {
		match, rehash, err := h.Verify("pw", enc)
		if !errors.Is(err, hasher.ErrUnknownFormat) || match || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, ErrUnknownFormat", enc, match, rehash, err)
		}
	}
	// The malformed variants must not verify for some other password either
	// (an empty key would match everything).
	if match, _, _ := h.Verify("anything", "$argon2id$v=19$m=64,t=1,p=1$"+salt+"$"); match {
		t.Fatal("an empty key matched")
	}
}

func BenchmarkArgon2idVerify(b *testing.B) {
	h := newArgon2(b, hasher.DefaultArgon2Params)
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if match, _, err := h.Verify("correct horse battery staple", enc); !match || err != nil {
			b.Fatalf("Verify = %v, %v", match, err)
		}
	}
}
