package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-authkit/authkit/strategy"
)

// defaultMaxTokenAge is how long a retired key must still verify: the
// access tokens' default lifetime and leeway (examples/notebooks').
const defaultMaxTokenAge = strategy.DefaultLifetime + strategy.DefaultLeeway

// keys runs "keys generate" and "keys rotate": the key directory of
// examples/notebooks' -jwt-keys (see strategy.LoadKeyDir).
func (c *cli) keys(args []string) error {
	const about = "Commands:\n" +
		"  generate   write the first key pair of a key directory\n" +
		"  rotate     write a new key pair, which signs from the next start on, and delete\n" +
		"             the keys whose last token has expired\n\n" +
		"Run 'authkit help keys generate' or 'authkit help keys rotate' for their flags."
	return c.subcommands("keys", about, args, map[string]func([]string) error{
		"generate": func(args []string) error { return c.keysWrite(args, false) },
		"rotate":   func(args []string) error { return c.keysWrite(args, true) },
	})
}

// keysWrite writes a new key into the directory: the first one
// (generate), or the next one, pruning the expired (rotate).
func (c *cli) keysWrite(args []string, rotate bool) error {
	name, about := "keys generate", "Writes the first key pair of the key directory DIR (created if missing) as\n"+
		"<kid>.pem, readable by its owner only; the service's -jwt-keys DIR signs with it."
	if rotate {
		name, about = "keys rotate", "Writes a new key pair into DIR: after a restart it signs, and the previous\n"+
			"key still verifies the tokens it signed until -max-token-age has passed.\n"+
			"Keys retired longer ago than that are deleted."
	}
	fs := c.flagSet(name, "-dir DIR [-alg ES256|EdDSA|RS256]", about)
	dir := fs.String("dir", "", "the key `directory`")
	alg := fs.String("alg", "ES256", "the algorithm of the new key: "+strings.Join(strategy.KeyAlgorithms, ", "))
	maxAge := fs.Duration("max-token-age", defaultMaxTokenAge, "how long a retired key must verify: the access tokens' lifetime and leeway")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return c.usageError(fs, "-dir is required")
	}
	if *maxAge <= 0 {
		return c.usageError(fs, "-max-token-age must be positive")
	}
	existing, err := filepath.Glob(filepath.Join(*dir, "*.pem"))
	if err != nil {
		return err
	}
	switch {
	case !rotate && len(existing) > 0:
		return fmt.Errorf("keys generate: %s has keys already: use keys rotate", *dir)
	case rotate && len(existing) == 0:
		if _, err := os.Stat(*dir); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("keys rotate: %s does not exist: use keys generate", *dir)
		}
		return fmt.Errorf("keys rotate: %s has no keys: use keys generate", *dir)
	}
	now := time.Now()
	if rotate {
		gone, err := strategy.PruneKeyDir(*dir, *maxAge, now)
		if err != nil {
			return err
		}
		for _, kid := range gone {
			fmt.Fprintf(c.stdout, "deleted key %s: its last token has expired\n", kid)
		}
	}
	kid, err := strategy.GenerateKey(*dir, *alg, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "wrote key %s (%s) to %s\n", kid, *alg, filepath.Join(*dir, kid+".pem"))
	return nil
}
