package mfa_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-authkit/authkit/mfa"
	"github.com/pquerna/otp/totp"
)

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Codes of the current step and of one step either side are accepted,
// with the step that matched; two steps away are refused.
func TestValidateTOTPSkew(t *testing.T) {
	key, err := mfa.NewTOTPKey("Notebooks", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key.URL(), "otpauth://totp/Notebooks:ada@example.com?") || len(key.Secret()) != 32 {
		t.Fatalf("key %s", key.URL())
	}
	now := time.Date(2026, 1, 2, 3, 4, 15, 0, time.UTC)
	cur := mfa.Step(now)
	for _, tc := range []struct {
		offset int64
		ok     bool
	}{{0, true}, {-1, true}, {1, true}, {-2, false}, {2, false}} {
		c := code(t, key.Secret(), now.Add(time.Duration(tc.offset*mfa.Period)*time.Second))
		step, ok := mfa.ValidateTOTP(key.Secret(), c, now)
		if ok != tc.ok || ok && step != cur+tc.offset {
			// A code may repeat across steps by chance (1 in 10^6).
			t.Errorf("offset %d: step %d, ok %v; want ok %v (step %d)", tc.offset, step, ok, tc.ok, cur+tc.offset)
		}
	}
	c := code(t, key.Secret(), now)
	if _, ok := mfa.ValidateTOTP(key.Secret(), c[:3]+" "+c[3:], now); !ok {
		t.Error("a code with a space was refused")
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", "١٢٣٤٥٦", c + "\x00"} {
		if _, ok := mfa.ValidateTOTP(key.Secret(), bad, now); ok {
			t.Errorf("code %q accepted", bad)
		}
	}
}

func TestSealer(t *testing.T) {
	if _, err := mfa.NewSealer(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
	s, err := mfa.NewSealer(bytes.Repeat([]byte{7}, mfa.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	owner, other := []byte("user-1"), []byte("user-2")
	sealed := s.Seal([]byte("JBSWY3DPEHPK3PXP"), owner)
	if bytes.Contains(sealed, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatal("the secret shows through")
	}
	if again := s.Seal([]byte("JBSWY3DPEHPK3PXP"), owner); bytes.Equal(again, sealed) {
		t.Error("two seals of one secret are equal: the nonce is not random")
	}
	if plain, err := s.Open(sealed, owner); err != nil || string(plain) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", plain, err)
	}
	if _, err := s.Open(sealed, other); !errors.Is(err, mfa.ErrUnseal) {
		t.Errorf("opened for another owner: %v", err)
	}
	s2, _ := mfa.NewSealer(bytes.Repeat([]byte{8}, mfa.KeySize))
	if _, err := s2.Open(sealed, owner); !errors.Is(err, mfa.ErrUnseal) {
		t.Errorf("opened with another key: %v", err)
	}
	for _, bad := range [][]byte{nil, {1}, sealed[:10], append([]byte{2}, sealed[1:]...)} {
		if _, err := s.Open(bad, owner); !errors.Is(err, mfa.ErrUnseal) {
			t.Errorf("Open(%x) = %v", bad, err)
		}
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes := mfa.NewRecoveryCodes(mfa.RecoveryCodes)
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("%d codes, %d hashes", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Errorf("code %q", c)
		}
		seen[c] = true
		if hashes[i] != mfa.HashRecoveryCode(c) || hashes[i] != mfa.HashRecoveryCode(strings.ToUpper(strings.ReplaceAll(c, "-", ""))) {
			t.Errorf("hash of %q differs by case or dashes", c)
		}
		if strings.Contains(hashes[i], c) {
			t.Errorf("hash holds the code")
		}
	}
}

// FuzzValidateTOTP: any client input is refused or accepted, never a panic.
func FuzzValidateTOTP(f *testing.F) {
	for _, s := range []string{"123456", "12 34 56", "", "abcdef", "0000000"} {
		f.Add(s)
	}
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, c string) {
		step, ok := mfa.ValidateTOTP("JBSWY3DPEHPK3PXP", c, now)
		if ok && (step < mfa.Step(now)-mfa.Skew || step > mfa.Step(now)+mfa.Skew) {
			t.Fatalf("step %d", step)
		}
	})
}
