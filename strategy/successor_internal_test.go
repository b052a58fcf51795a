package strategy

import "testing"

// Only the used token opens its successor: not another token, not the
// stored hash, not a tampered seal.
func TestSuccessorSeal(t *testing.T) {
	used, usedHash, err := NewOpaqueToken()
	if err != nil {
		t.Fatal(err)
	}
	next, _, _ := NewOpaqueToken()
	sealed, err := sealSuccessor(used, next)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := openSuccessor(used, sealed); err != nil || got != next {
		t.Fatalf("open = %q, %v; want the successor", got, err)
	}
	other, _, _ := NewOpaqueToken()
	for name, key := range map[string]string{"another token": other, "the stored hash": usedHash, "the successor": next} {
		if got, err := openSuccessor(key, sealed); err == nil {
			t.Errorf("opened with %s: %q", name, got)
		}
	}
	tampered := []byte(sealed)
	tampered[len(tampered)/2] ^= 1
	for _, s := range []string{string(tampered), "", "!!", sealed[:10]} {
		if got, err := openSuccessor(used, s); err == nil {
			t.Errorf("opened %q: %q", s, got)
		}
	}
	if again, _ := sealSuccessor(used, next); again == sealed {
		t.Error("two seals of one successor are equal: the nonce is not random")
	}
}
