package redislimiter_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/go-authkit/authkit/limiter"
	"github.com/go-authkit/authkit/limiter/redislimiter"
	"github.com/redis/go-redis/v9"
)

// Every instance of the service counts a client address's password-reset
// requests together. (Not run by go test: it needs a Redis server.)
func ExampleNew() {
	opts, err := redis.ParseURL("redis://127.0.0.1:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	client := redis.NewClient(opts)
	defer client.Close()

	perAddress, err := redislimiter.New(client, limiter.Rule{Limit: 10, Window: time.Hour}, "authkit:limit:forgot-password:")
	if err != nil {
		log.Fatal(err)
	}
	ok, retryAfter, err := perAddress.Take(context.Background(), "203.0.113.7")
	switch {
	case err != nil:
		fmt.Println("503:", err) // or let it through: the application's choice
	case !ok:
		fmt.Printf("429, Retry-After: %d\n", int(retryAfter/time.Second))
	default:
		fmt.Println("202")
	}
}
