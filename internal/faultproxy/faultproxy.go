// Package faultproxy is a TCP proxy on loopback that tests put between
// the code under test and a real server (PostgreSQL, Redis, SMTP) to make
// the network fail in the ways production networks do:
//
//   - Drop: every open connection is reset, and each new one is accepted
//     and closed at once (a server that crashes and restarts in a loop).
//   - Refuse: nothing listens; connecting fails (a server that is down).
//   - Freeze: connections open, but no byte moves in either direction
//     until the mode changes (a server that stopped, SIGSTOP, a full
//     disk); then the held bytes flow again.
//   - Blackhole: as Freeze, but the connections open meanwhile are lost
//     for good: their bytes never arrive, not even after the network comes
//     back, and they are never closed (a firewall or NAT that forgot them
//     without a reset). Connections made afterwards work.
//   - Latency: every chunk waits Latency before it is forwarded, each way.
//
// CutAfter, with PostgreSQL's wire protocol, swallows the server's answer
// to one statement once it has committed, and closes the connection: the
// write happened, the client never hears so.
package faultproxy

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mode is how the proxy treats traffic.
type Mode int

// The modes; Pass forwards everything.
const (
	Pass Mode = iota
	Drop
	Refuse
	Freeze
	Blackhole
	Latency
)

// Proxy forwards connections on a loopback address to a target.
type Proxy struct {
	t      testing.TB
	target string
	addr   string
	pg     bool // the target speaks PostgreSQL's protocol (for CutAfter)

	mu       sync.Mutex
	cond     *sync.Cond // signalled when mode changes
	mode     Mode
	latency  time.Duration
	ln       net.Listener // nil while refusing
	conns    map[*link]bool
	cutTag   string // the CommandComplete tag prefix to cut after; "" for none
	cuts     int    // connections cut so far
	closed   bool
	accepted int
}

// link is one proxied connection.
type link struct {
	client, server net.Conn
	lost           bool // blackholed: never forwards again
}

// New starts a proxy to target (host:port) on 127.0.0.1, stopped when
// the test ends.
func New(t testing.TB, target string) *Proxy { return start(t, target, false) }

// NewPostgres is New for a PostgreSQL server: CutAfter works on it. The
// client must not ask for TLS (sslmode=disable).
func NewPostgres(t testing.TB, target string) *Proxy { return start(t, target, true) }

func start(t testing.TB, target string, pg bool) *Proxy {
	t.Helper()
	p := &Proxy{t: t, target: target, pg: pg, conns: map[*link]bool{}}
	p.cond = sync.NewCond(&p.mu)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("faultproxy: %v", err)
	}
	p.addr = ln.Addr().String()
	p.ln = ln
	go p.serve(ln)
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port, to connect to instead of the target.
func (p *Proxy) Addr() string { return p.addr }

// Port is the proxy's port.
func (p *Proxy) Port() string {
	_, port, _ := net.SplitHostPort(p.addr)
	return port
}

// Accepted is how many connections the proxy has accepted so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Set switches the mode; Set(Pass) restores the network.
func (p *Proxy) Set(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.mode = m
	switch m {
	case Drop, Refuse:
		for l := range p.conns {
			l.close()
			delete(p.conns, l)
		}
	case Blackhole:
		for l := range p.conns {
			l.lost = true
		}
	}
	if m == Refuse && p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	if m != Refuse && p.ln == nil {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Errorf("faultproxy: listen again on %s: %v", p.addr, err)
		} else {
			p.ln = ln
			go p.serve(ln)
		}
	}
	p.cond.Broadcast()
}

// SetLatency sets the delay of Latency mode and switches to it.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
	p.Set(Latency)
}

// CutAfter arms a one-shot cut: the next time the PostgreSQL server
// completes a command whose tag begins with tag ("INSERT 0 1"), the proxy
// waits for the server to be ready again (the implicit transaction
// committed), then closes the connection without forwarding the answer.
func (p *Proxy) CutAfter(tag string) {
	if !p.pg {
		p.t.Fatal("faultproxy: CutAfter needs NewPostgres")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutTag = tag
}

// Cuts is how many connections CutAfter has cut.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	if p.ln != nil {
		p.ln.Close()
	}
	for l := range p.conns {
		l.close()
	}
	p.cond.Broadcast()
}

func (l *link) close() {
	l.client.Close()
	if l.server != nil {
		l.server.Close()
	}
}

func (p *Proxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *Proxy) handle(c net.Conn) {
	p.mu.Lock()
	p.accepted++
	mode, closed := p.mode, p.closed
	p.mu.Unlock()
	if closed || mode == Drop {
		c.Close()
		return
	}
	l := &link{client: c, lost: mode == Blackhole}
	if !l.lost {
		s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			return
		}
		l.server = s
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		l.close()
		return
	}
	p.conns[l] = true
	p.mu.Unlock()
	if l.server == nil {
		// Lost from the start: read and forget, until the client gives up.
		_, _ = io.Copy(io.Discard, c)
		p.forget(l)
		return
	}
	go func() {
		p.pump(l, l.client, l.server, false)
		p.forget(l)
	}()
	p.pump(l, l.server, l.client, p.pg)
	p.forget(l)
}

func (p *Proxy) forget(l *link) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !l.lost {
		l.close()
	}
	delete(p.conns, l)
}

// pump copies src to dst chunk by chunk, applying the mode to each chunk.
// fromPG says src is a PostgreSQL server, whose messages CutAfter reads.
func (p *Proxy) pump(l *link, src, dst net.Conn, fromPG bool) {
	buf := make([]byte, 32<<10)
	var pg pgReader
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			delay, lost, ok := p.gate(l)
			if !ok {
				return
			}
			if lost {
				continue // the network ate it
			}
			if delay > 0 {
				time.Sleep(delay)
			}
			if fromPG {
				var cut bool
				chunk, cut = pg.feed(chunk, p.armedTag)
				if cut {
					p.mu.Lock()
					p.cuts++
					p.mu.Unlock()
					l.close()
					return
				}
			}
			if _, werr := dst.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// gate waits while the network is frozen and says what to do with the
// next chunk: delay it, lose it, or stop (ok false: the proxy closed or
// dropped the connection).
func (p *Proxy) gate(l *link) (delay time.Duration, lost, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.closed || !p.conns[l] {
			return 0, false, false
		}
		if p.mode == Blackhole {
			l.lost = true
		}
		if l.lost {
			return 0, true, true
		}
		switch p.mode {
		case Freeze:
			p.cond.Wait()
			continue
		case Latency:
			return p.latency, false, true
		}
		return 0, false, true
	}
}

// armedTag returns the tag to cut after and disarms it when match says
// the server completed it.
func (p *Proxy) armedTag(tag string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cutTag != "" && strings.HasPrefix(tag, p.cutTag) {
		p.cutTag = ""
		return true
	}
	return false
}

// pgReader follows the messages a PostgreSQL server sends (a type byte,
// then a big-endian length that counts itself).
type pgReader struct {
	pending []byte // an incomplete message
	cutting bool   // the armed command completed: wait for ReadyForQuery
}

// feed takes a chunk from the server and returns the bytes to forward, and
// whether to cut the connection now. match is asked about every
// CommandComplete tag.
func (r *pgReader) feed(chunk []byte, match func(tag string) bool) ([]byte, bool) {
	r.pending = append(r.pending, chunk...)
	var out []byte
	for len(r.pending) >= 5 {
		size := int(binary.BigEndian.Uint32(r.pending[1:5])) + 1
		if size < 5 {
			return nil, true // not PostgreSQL: give up on this connection
		}
		if len(r.pending) < size {
			break
		}
		msg := r.pending[:size]
		r.pending = r.pending[size:]
		switch {
		case r.cutting:
			if msg[0] == 'Z' { // ReadyForQuery: the transaction is over
				return out, true
			}
		case msg[0] == 'C' && match(strings.TrimRight(string(msg[5:]), "\x00")):
			r.cutting = true
		default:
			out = append(out, msg...)
		}
	}
	return out, false
}
