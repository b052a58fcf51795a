package redistoken_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/strategy"
	"github.com/go-authkit/authkit/strategy/redistoken"
	"github.com/redis/go-redis/v9"
)

// Tokens kept in Redis: every instance of the service sees each login and
// logout at once. (Not run by go test: it needs a Redis server.)
func ExampleNew() {
	ctx := context.Background()
	var users store.UserStore // the application's store, e.g. sqlite.New(db)
	var u *store.User         // the user who just logged in

	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	s, err := redistoken.New(redistoken.Config{
		Client:   client,
		Users:    users,
		Lifetime: 24 * time.Hour,
		// On Redis Cluster, a hash tag keeps a user's keys in one slot:
		// Prefix: "{authkit}:token:",
	})
	if err != nil {
		log.Fatal(err)
	}

	// Login: the handler tells Write who the client is, for the listing.
	tok, err := s.Write(strategy.WithClient(ctx, strategy.Client{UserAgent: "Firefox", IP: "203.0.113.7"}), u)
	if err != nil {
		log.Fatal(err) // Redis is down: 503
	}

	// Each request.
	switch _, err := s.Read(ctx, tok); {
	case errors.Is(err, strategy.ErrInvalidToken):
		fmt.Println("401")
	case err != nil:
		fmt.Println("503")
	}

	// "Log out my other devices".
	sessions, err := s.Sessions(ctx, u.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, ss := range sessions {
		fmt.Println(ss.ID, ss.UserAgent, ss.IP, ss.LastUsedAt.Format(time.RFC3339))
	}
	if err := s.EndSessions(ctx, u.ID, tok); err != nil {
		log.Fatal(err)
	}
}
