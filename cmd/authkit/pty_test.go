//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// terminal is a real pseudo-terminal: the command gets the slave as its
// standard input and error, the test plays the user at the master and sees
// all that the user would see.
type terminal struct {
	master, slave *os.File
	mu            sync.Mutex
	screen        bytes.Buffer
}

func newTerminal(t *testing.T) *terminal {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	var n int
	// Through SyscallConn rather than Fd, which would make the master
	// blocking and its reader impossible to stop by closing it.
	err = control(master, func(fd int) error {
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			return err
		}
		n, err = unix.IoctlGetInt(fd, unix.TIOCGPTN)
		return err
	})
	if err != nil {
		master.Close()
		t.Fatalf("unlock the pseudo-terminal: %v", err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Fatalf("open the pseudo-terminal's slave: %v", err)
	}
	term := &terminal{master: master, slave: slave}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1024)
		for {
			n, err := master.Read(buf)
			term.mu.Lock()
			term.screen.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		master.Close()
		slave.Close()
		<-done
	})
	return term
}

func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// seen returns what the terminal has shown.
func (term *terminal) seen() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.screen.String()
}

// echo reports whether the terminal echoes what is typed.
func (term *terminal) echo(t *testing.T) bool {
	var tios *unix.Termios
	err := control(term.slave, func(fd int) (err error) {
		tios, err = unix.IoctlGetTermios(fd, unix.TCGETS)
		return err
	})
	if err != nil {
		t.Fatalf("read the terminal's mode: %v", err)
	}
	return tios.Lflag&unix.ECHO != 0
}

// waitFor waits until the terminal has shown the prompt the n-th time and
// turned echo off, as a user waits to see the prompt before typing.
func (term *terminal) waitFor(t *testing.T, prompt string, n int, echo bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(term.seen(), prompt) < n || term.echo(t) != echo {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for prompt %q #%d with echo %t; the terminal shows %q", prompt, n, echo, term.seen())
		}
		time.Sleep(time.Millisecond)
	}
}

func (term *terminal) typeLine(t *testing.T, s string) {
	t.Helper()
	if _, err := term.master.Write([]byte(s + "\n")); err != nil {
		t.Fatal(err)
	}
}

// startCreateSuperuser runs createsuperuser at term, without
// AUTHKIT_PASSWORD, and returns its exit status's channel.
func startCreateSuperuser(ctx context.Context, term *terminal, db string, stdout *bytes.Buffer) <-chan int {
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"createsuperuser", "-db", db, "-email", "tty@example.com"},
			func(string) string { return "" }, term.slave, stdout, term.slave)
	}()
	return code
}

func TestCreateSuperuserAtTerminal(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "authkit.db")
	term := newTerminal(t)
	var stdout bytes.Buffer
	code := startCreateSuperuser(t.Context(), term, db, &stdout)

	term.waitFor(t, "Password: ", 1, false)
	term.typeLine(t, goodPassword)
	term.waitFor(t, "Password (again): ", 1, false)
	term.typeLine(t, goodPassword)
	if c := <-code; c != 0 {
		t.Fatalf("exit %d; the terminal shows %q", c, term.seen())
	}
	if strings.Contains(term.seen(), "horse") {
		t.Errorf("the password was echoed: the terminal shows %q", term.seen())
	}
	if !term.echo(t) {
		t.Error("echo is still off")
	}
	if !strings.Contains(stdout.String(), "created superuser tty@example.com") {
		t.Errorf("stdout %q", stdout.String())
	}
	_, m := openKit(t, db)
	if _, err := m.Authenticate(t.Context(), "tty@example.com", goodPassword); err != nil {
		t.Errorf("log in with the typed password: %v", err)
	}
}

func TestCreateSuperuserAtTerminalMismatch(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "authkit.db")
	term := newTerminal(t)
	var stdout bytes.Buffer
	code := startCreateSuperuser(t.Context(), term, db, &stdout)

	term.waitFor(t, "Password: ", 1, false)
	term.typeLine(t, goodPassword)
	term.waitFor(t, "Password (again): ", 1, false)
	term.typeLine(t, goodPassword+"!")
	if c := <-code; c != 1 {
		t.Fatalf("exit %d, want 1", c)
	}
	term.waitFor(t, "authkit: the passwords do not match", 1, true)
	st, _ := openKit(t, db)
	if users, err := st.ListUsers(t.Context()); err != nil || len(users) != 0 {
		t.Errorf("users: %v, %v; want none", users, err)
	}
}

// Ctrl-C at the prompt: exit 130, with the terminal echoing again.
func TestCreateSuperuserAtTerminalInterrupted(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "authkit.db")
	term := newTerminal(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout bytes.Buffer
	code := startCreateSuperuser(ctx, term, db, &stdout)

	term.waitFor(t, "Password: ", 1, false)
	cancel() // what main's signal.NotifyContext does on SIGINT
	if c := <-code; c != exitInterrupted {
		t.Fatalf("exit %d, want %d", c, exitInterrupted)
	}
	if !term.echo(t) {
		t.Error("interrupted at the prompt, the terminal no longer echoes")
	}
}
