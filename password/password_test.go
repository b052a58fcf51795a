package password_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-authkit/authkit/password"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"correct horse", "correct horse"},
		{"e\u0301te\u0301", "été"}, // combining accents compose
		{"\ufb01ve", "five"},       // ligature ﬁ
		{"ｐａｓｓ１２３", "pass123"},     // full-width forms
		{"Ⅻ", "XII"},               // compatibility numeral
		{"", ""},
	}
	for _, tt := range tests {
		got, err := password.Normalize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"\xff", "pass\xc3word", "\xed\xa0\x80surrogate"} {
		got, err := password.Normalize(bad)
		var pe *password.Error
		if !errors.Is(err, password.ErrInvalidUTF8) || !errors.As(err, &pe) || pe.Reason == "" || got != "" {
			t.Errorf("Normalize(%q) = %q, %v; want \"\", ErrInvalidUTF8", bad, got, err)
		}
	}
}

func TestValidate(t *testing.T) {
	const email = "King.Arthur@camelot.bt"
	tests := []struct {
		name     string
		policy   password.Policy
		password string
		want     error // nil or a sentinel
		reason   string
	}{
		{"ok", password.Policy{}, "correct horse battery staple", nil, ""},
		{"no composition rules", password.Policy{}, "zqxwvtrplmnbkjhg", nil, ""},
		{"spaces allowed", password.Policy{}, "a b c d e f g h", nil, ""},
		{"too short", password.Policy{}, "xq7!zk2", password.ErrTooShort, "Password should be at least 8 characters."},
		{"empty", password.Policy{}, "", password.ErrTooShort, "Password should be at least 8 characters."},
		{"8 code points, 16 bytes", password.Policy{}, "éàüöñçøß", nil, ""},
		{"7 code points, 14 bytes", password.Policy{}, "éàüöñçø", password.ErrTooShort, ""},
		{"counted after normalisation", password.Policy{}, strings.Repeat("e\u0301", 5), password.ErrTooShort, ""},
		{"CJK", password.Policy{}, "日本語のパスワード", nil, ""},
		{"emoji", password.Policy{}, "🐴🔋📎🦄🐴🔋📎🦄", nil, ""},
		{"exactly 256", password.Policy{}, strings.Repeat("xq7!", 64), nil, ""},
		{"257: refused, not truncated", password.Policy{}, strings.Repeat("xq7!", 64) + "z", password.ErrTooLong, "Password should be at most 256 characters."},
		{"custom minimum", password.Policy{MinLength: 12}, "xq7!zk2#pw", password.ErrTooShort, "Password should be at least 12 characters."},
		{"custom maximum", password.Policy{MaxLength: 64}, strings.Repeat("a1", 33), password.ErrTooLong, "Password should be at most 64 characters."},
		{"common", password.Policy{}, "password", password.ErrCommon, "Password is too common."},
		{"common, upper case", password.Policy{}, "PASSWORD", password.ErrCommon, ""},
		{"common, mixed case", password.Policy{}, "IloveYou", password.ErrCommon, ""},
		{"common, full-width digits", password.Policy{}, "１２３４５６７８", password.ErrCommon, ""},
		{"context word", password.Policy{Words: []string{"Camelot Round Table"}}, "camelot round table", password.ErrCommon, ""},
		{"email", password.Policy{}, email, password.ErrContainsEmail, "Password should not contain e-mail."},
		{"email, other case", password.Policy{}, "king.arthur@CAMELOT.BT", password.ErrContainsEmail, ""},
		{"email inside", password.Policy{}, "my king.arthur@camelot.bt pw", password.ErrContainsEmail, ""},
		{"local part", password.Policy{}, "king.arthur", password.ErrContainsEmail, ""},
		{"local part, other case", password.Policy{}, "KING.ARTHUR", password.ErrContainsEmail, ""},
		{"local part plus more", password.Policy{}, "king.arthur.rules", nil, ""},
		{"invalid UTF-8", password.Policy{}, "abcdefgh\xff", password.ErrInvalidUTF8, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate(tt.password, email)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate(%q) = %v, want nil", tt.password, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate(%q) = %v, want %v", tt.password, err, tt.want)
			}
			var pe *password.Error
			if !errors.As(err, &pe) || pe.Reason == "" || pe.Code == "" {
				t.Fatalf("Validate(%q) = %#v, want a *password.Error with a code and a reason", tt.password, err)
			}
			if tt.reason != "" && pe.Reason != tt.reason {
				t.Fatalf("Reason = %q, want %q", pe.Reason, tt.reason)
			}
			for _, other := range []error{password.ErrTooShort, password.ErrTooLong, password.ErrCommon, password.ErrContainsEmail, password.ErrInvalidUTF8} {
				if other != tt.want && errors.Is(err, other) {
					t.Fatalf("Validate(%q) = %v also matches %v", tt.password, err, other)
				}
			}
		})
	}
}

func TestValidateNoEmail(t *testing.T) {
	if err := (password.Policy{}).Validate("correct horse battery staple", ""); err != nil {
		t.Fatalf("Validate without an email = %v, want nil", err)
	}
}

func TestSentinelsStayPut(t *testing.T) {
	err := password.Policy{MinLength: 20}.Validate("short", "")
	var pe *password.Error
	if !errors.As(err, &pe) {
		t.Fatalf("Validate = %v", err)
	}
	pe.Reason = "tampered"
	if password.ErrTooShort.Reason != "Password should be at least 8 characters." {
		t.Fatalf("a returned error shares memory with the sentinel: %q", password.ErrTooShort.Reason)
	}
}

func TestPolicyCheck(t *testing.T) {
	good := []password.Policy{{}, {MinLength: 8}, {MinLength: 15, MaxLength: 64}, {MaxLength: 1024}}
	for _, p := range good {
		if err := p.Check(); err != nil {
			t.Errorf("%+v.Check() = %v, want nil", p, err)
		}
	}
	bad := []password.Policy{{MinLength: 6}, {MinLength: -1}, {MaxLength: 32}, {MaxLength: -5}, {MinLength: 100, MaxLength: 80}}
	for _, p := range bad {
		if err := p.Check(); !errors.Is(err, password.ErrInvalidPolicy) {
			t.Errorf("%+v.Check() = %v, want ErrInvalidPolicy", p, err)
		}
		if err := p.Validate("correct horse battery staple", ""); !errors.Is(err, password.ErrInvalidPolicy) {
			t.Errorf("%+v.Validate() = %v, want ErrInvalidPolicy", p, err)
		}
	}
}

// FuzzValidate: Normalize and Validate never panic; what they accept is
// valid UTF-8, normalisation is stable, and every refusal is an *Error.
func FuzzValidate(f *testing.F) {
	f.Add("correct horse battery staple", "king.arthur@camelot.bt")
	f.Add("password", "")
	f.Add("e\u0301te\u0301e\u0301te\u0301", "é@x")
	f.Add("\xff\xfe", "\xff@\xff")
	f.Add(strings.Repeat("\u0301", 100), "@")
	f.Add("\ufdfa\ufdfa", "a@b")
	f.Add("king.arthur", "King.Arthur@camelot.bt")

	f.Fuzz(func(t *testing.T, pw, email string) {
		n, err := password.Normalize(pw)
		if err != nil {
			if !errors.Is(err, password.ErrInvalidUTF8) || utf8.ValidString(pw) {
				t.Fatalf("Normalize(%q) = %v", pw, err)
			}
		} else {
			if !utf8.ValidString(n) {
				t.Fatalf("Normalize(%q) = %q, not valid UTF-8", pw, n)
			}
			if again, _ := password.Normalize(n); again != n {
				t.Fatalf("Normalize is not stable: %q -> %q -> %q", pw, n, again)
			}
		}

		err = password.Policy{}.Validate(pw, email)
		if err == nil {
			if !utf8.ValidString(pw) {
				t.Fatalf("Validate accepted invalid UTF-8 %q", pw)
			}
			if c := utf8.RuneCountInString(n); c < password.DefaultMinLength || c > password.DefaultMaxLength {
				t.Fatalf("Validate accepted %q of %d code points", pw, c)
			}
			return
		}
		var pe *password.Error
		if !errors.As(err, &pe) || pe.Reason == "" {
			t.Fatalf("Validate(%q, %q) = %v, not a *password.Error", pw, email, err)
		}
	})
}
