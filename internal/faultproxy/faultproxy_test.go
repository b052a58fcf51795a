package faultproxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// echo starts a line echo server on loopback.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line on c and waits up to wait for it to come back.
func roundTrip(c net.Conn, wait time.Duration) error {
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(wait))
	defer c.SetReadDeadline(time.Time{})
	line, err := bufio.NewReader(c).ReadString('\n')
	if err == nil && line != "ping\n" {
		err = errors.New("echo: " + line)
	}
	return err
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestModes(t *testing.T) {
	p := New(t, echo(t))
	c := dial(t, p)
	if err := roundTrip(c, time.Second); err != nil {
		t.Fatalf("pass: %v", err)
	}

	// Freeze holds the bytes, and lets them through once restored.
	p.Set(Freeze)
	if err := roundTrip(c, 200*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("freeze: %v, want a timeout", err)
	}
	p.Set(Pass)
	c.SetReadDeadline(time.Now().Add(time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "ping\n" {
		t.Fatalf("after freeze: %q %v, want the held line", line, err)
	}
	c.SetReadDeadline(time.Time{})

	// Blackhole loses the connection for good; new ones work after it.
	p.Set(Blackhole)
	if err := roundTrip(c, 200*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("blackhole: %v, want a timeout", err)
	}
	p.Set(Pass)
	if err := roundTrip(c, 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a blackholed connection after the restore: %v, want it still lost", err)
	}
	if err := roundTrip(dial(t, p), time.Second); err != nil {
		t.Fatalf("a new connection after blackhole: %v", err)
	}

	// Latency delays each way.
	p.SetLatency(100 * time.Millisecond)
	begin := time.Now()
	if err := roundTrip(dial(t, p), time.Second); err != nil || time.Since(begin) < 200*time.Millisecond {
		t.Fatalf("latency: %v after %v, want ≥ 200ms", err, time.Since(begin))
	}

	// Drop resets open connections and new ones.
	p.Set(Pass)
	d := dial(t, p)
	p.Set(Drop)
	if err := roundTrip(d, time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("drop: %v, want a closed connection", err)
	}

	// Refuse: nothing listens; then the same address listens again.
	p.Set(Refuse)
	if c, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("refuse: connected")
	}
	p.Set(Pass)
	if err := roundTrip(dial(t, p), time.Second); err != nil {
		t.Fatalf("after refuse: %v", err)
	}
}

// The PostgreSQL reader forwards whole messages and cuts after the
// armed CommandComplete once ReadyForQuery follows.
func TestPGReaderCut(t *testing.T) {
	msg := func(typ byte, body string) []byte {
		n := len(body) + 4
		return append([]byte{typ, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
	}
	armed := true
	match := func(tag string) bool {
		if armed && tag == "INSERT 0 1" {
			armed = false
			return true
		}
		return false
	}
	var r pgReader
	stream := append(append(msg('2', ""), msg('C', "INSERT 0 1\x00")...), msg('Z', "I")...)
	out, cut := r.feed(stream[:3], match)
	if cut || len(out) != 0 {
		t.Fatalf("partial message: %q %v", out, cut)
	}
	out, cut = r.feed(stream[3:], match)
	if !cut || string(out) != string(msg('2', "")) {
		t.Fatalf("got %q cut %v, want BindComplete forwarded, then a cut", out, cut)
	}
}
