package strategy_test

import (
	"testing"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/strategy/strategytest"
)

// The conformance suite, for each strategy on each real store.
func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run("jwt/"+b.name, func(t *testing.T) {
			strategytest.Run(t, func(t *testing.T) (strategy.Strategy, store.UserStore) {
				st := b.open(t)
				s, err := strategy.NewJWT(strategy.JWTConfig{Secret: secret, Store: st})
				if err != nil {
					t.Fatal(err)
				}
				return s, st
			})
		})
		t.Run("database/"+b.name, func(t *testing.T) {
			strategytest.Run(t, func(t *testing.T) (strategy.Strategy, store.UserStore) {
				st := b.open(t)
				s, err := strategy.NewDatabase(strategy.DatabaseConfig{Store: st})
				if err != nil {
					t.Fatal(err)
				}
				return s, st
			})
		})
	}
}
