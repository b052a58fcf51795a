package hasher_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-authkit/authkit/hasher"
)

func newBcrypt(t testing.TB, cost int, opts ...hasher.BcryptOption) *hasher.Bcrypt {
	t.Helper()
	h, err := hasher.NewBcrypt(cost, opts...)
	if err != nil {
		t.Fatalf("NewBcrypt(%d): %v", cost, err)
	}
	return h
}

// Known answers from the OpenBSD and Openwall crypt_blowfish test suites.
var bcryptVectors = []struct{ password, hash string }{
	{"U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"},
	{"U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"},
	{"U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a"},
	{"", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"},
	{"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored",
		"$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"},
	{"\xff\xff\xa3", "$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"},
	{"\xff\xff\xa3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"},
	{"\xa3", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq"},
	{"\xa3", "$2b$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq"},
	{"\xa3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq"},
}

func TestBcryptKnownAnswers(t *testing.T) {
	h := newBcrypt(t, 5)
	for _, v := range bcryptVectors {
		match, rehash, err := h.Verify(v.password, v.hash)
		if err != nil || !match || rehash {
			t.Errorf("Verify(%q, %s) = %v, %v, %v; want true, false, nil", v.password, v.hash, match, rehash, err)
		}
		match, rehash, err = h.Verify(v.password+"x", v.hash)
		if v.password == bcryptVectors[4].password {
			continue // the extra byte is past the 72nd: ignored, as by every bcrypt
		}
		if err != nil || match || rehash {
			t.Errorf("Verify(wrong, %s) = %v, %v, %v; want false, false, nil", v.hash, match, rehash, err)
		}
	}
}

func TestBcryptRoundTripAndRehash(t *testing.T) {
	h4 := newBcrypt(t, 4)
	enc, err := h4.Hash("hunter2hunter2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$2a$04$") || len(enc) != 60 {
		t.Fatalf("Hash = %q, want $2a$04$ and 60 bytes", enc)
	}
	if match, rehash, err := h4.Verify("hunter2hunter2", enc); err != nil || !match || rehash {
		t.Fatalf("same cost: %v, %v, %v; want true, false, nil", match, rehash, err)
	}
	h5 := newBcrypt(t, 5)
	if match, rehash, err := h5.Verify("hunter2hunter2", enc); err != nil || !match || !rehash {
		t.Fatalf("other cost: %v, %v, %v; want true, true, nil", match, rehash, err)
	}
	if match, rehash, err := h5.Verify("hunter3hunter3", enc); err != nil || match || rehash {
		t.Fatalf("wrong password: %v, %v, %v; want false, false, nil", match, rehash, err)
	}
	if _, err := h4.Hash(strings.Repeat("x", 73)); err == nil {
		t.Fatal("Hash of 73 bytes succeeded; bcrypt would truncate it")
	}
}

func TestBcryptCostCap(t *testing.T) {
	h := newBcrypt(t, 4, hasher.WithMaxBcryptCost(5))
	// Cost 31 would take days: it must be refused before computing.
	planted := "$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
	if _, _, err := h.Verify("U*U", planted); !errors.Is(err, hasher.ErrParamsTooHigh) {
		t.Fatalf("cost 31: err = %v, want ErrParamsTooHigh", err)
	}
	if _, _, err := hasher.Default().Verify("U*U", "$2b$17$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"); !errors.Is(err, hasher.ErrParamsTooHigh) {
		t.Fatalf("cost 17 under Default: err = %v, want ErrParamsTooHigh", err)
	}
}

func TestNewBcryptRefusesBadCost(t *testing.T) {
	for _, c := range []struct {
		cost int
		opts []hasher.BcryptOption
	}{
		{0, nil}, {3, nil}, {17, nil}, {32, nil}, {-1, nil},
		{10, []hasher.BcryptOption{hasher.WithMaxBcryptCost(8)}},
		{4, []hasher.BcryptOption{hasher.WithMaxBcryptCost(32)}},
		{4, []hasher.BcryptOption{hasher.WithMaxBcryptCost(0)}},
	} {
		if h, err := hasher.NewBcrypt(c.cost, c.opts...); err == nil {
			t.Errorf("NewBcrypt(%d) = %v, nil; want an error", c.cost, h)
		}
	}
}

func TestBcryptMalformed(t *testing.T) {
	h := newBcrypt(t, 5)
	const good = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
	for _, enc := range []string{
		"", "$", "$2a$", "$2a$05$",
		good[:59], good + "x", " " + good[1:], good[:59] + "!",
		"$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", // crypt_blowfish's buggy variant
		"$2$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeWx",
		"$2c$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$3a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$2a$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$2a$99$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$2a$+5$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$2a$05xCCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe$",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		match, rehash, err := h.Verify("U*U", enc)
		if !errors.Is(err, hasher.ErrUnknownFormat) || match || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, ErrUnknownFormat", enc, match, rehash, err)
		}
	}
}
