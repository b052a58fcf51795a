package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/term"
)

// envPassword names the environment variable createsuperuser reads the
// password from.
const envPassword = "AUTHKIT_PASSWORD"

var errNoPassword = errors.New("no password: set " + envPassword +
	", or run from a terminal to type it (standard input is not a terminal)")

// terminal returns the file descriptor of standard input when it is a
// terminal.
func (c *cli) terminal() (fd int, ok bool) {
	f, isFile := c.stdin.(interface{ Fd() uintptr })
	if !isFile {
		return 0, false
	}
	fd = int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// askPassword reads a password twice from the terminal fd, without echo,
// prompting on w, and returns it when both agree.
func askPassword(ctx context.Context, fd int, w io.Writer) (string, error) {
	pw, err := readSecret(ctx, fd, w, "Password: ")
	if err != nil {
		return "", err
	}
	again, err := readSecret(ctx, fd, w, "Password (again): ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("the passwords do not match")
	}
	return pw, nil
}

// readSecret prompts on w and reads a line from the terminal fd without
// echo. When ctx ends first (Ctrl-C), it puts the terminal back as it was
// — the pending read would otherwise leave echo off for the shell — and
// returns ctx's error; the read is abandoned to the exiting process.
func readSecret(ctx context.Context, fd int, w io.Writer, prompt string) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(w, prompt)
	type line struct {
		b   []byte
		err error
	}
	done := make(chan line, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- line{b, err}
	}()
	select {
	case l := <-done:
		fmt.Fprintln(w) // the Enter key was not echoed either
		if l.err != nil {
			return "", fmt.Errorf("read password: %w", l.err)
		}
		return string(l.b), nil
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(w)
		return "", ctx.Err()
	}
}
