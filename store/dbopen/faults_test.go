package dbopen_test

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-authkit/authkit/internal/faultproxy"
	"github.com/go-authkit/authkit/internal/testdb"
	"github.com/go-authkit/authkit/store"
	"github.com/go-authkit/authkit/store/dbopen"
)

// throughProxy points a PostgreSQL URL at a fault proxy to its server.
func throughProxy(t *testing.T, raw string) (string, *faultproxy.Proxy) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.NewPostgres(t, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}

// The fault tests' deadline, and what a call may take beyond it.
const (
	faultDeadline = 300 * time.Millisecond
	faultMargin   = time.Second
	// recoverWithin is how soon after the network comes back every call
	// must succeed again.
	recoverWithin = 2 * time.Second
)

// Under every fault of the network between the service and PostgreSQL,
// each call of the store returns an error within its deadline (plus a
// margin), with every pool connection stuck at once; once the network is
// back, calls succeed again within recoverWithin — blackholed connections,
// which the network lost without a word, included.
func TestFaultsPostgres(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(p *faultproxy.Proxy)
	}{
		{"drop", func(p *faultproxy.Proxy) { p.Set(faultproxy.Drop) }},
		{"refuse", func(p *faultproxy.Proxy) { p.Set(faultproxy.Refuse) }},
		{"freeze", func(p *faultproxy.Proxy) { p.Set(faultproxy.Freeze) }},
		{"blackhole", func(p *faultproxy.Proxy) { p.Set(faultproxy.Blackhole) }},
		{"latency", func(p *faultproxy.Proxy) { p.SetLatency(2 * time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn, p := throughProxy(t, testdb.PostgresURL(t))
			ctx := context.Background()
			st, err := dbopen.Open(ctx, dsn, dbopen.Timeout(faultDeadline))
			if err != nil {
				t.Fatal(err)
			}
			defer st.DB().Close()
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			const calls = 32 // twice the pool: every connection is taken
			call := func() error {
				_, err := st.UserByEmail(ctx, "nobody@camelot.bt")
				if errors.Is(err, store.ErrUserNotFound) {
					return nil
				}
				return err
			}
			// The pool fills up; on a loaded machine new connections may
			// take longer than the deadline at first.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				err := errors.Join(together(calls, call)...)
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("before the fault: %v", err)
				}
			}

			tc.set(p)
			start := time.Now()
			errs := together(calls, call)
			took := time.Since(start)
			for i, err := range errs {
				if err == nil {
					t.Fatalf("call %d under %s succeeded", i, tc.name)
				}
			}
			t.Logf("%s: %d calls failed in %v (%v)", tc.name, calls, took, errs[0])
			if took > faultDeadline+faultMargin {
				t.Fatalf("%s: the calls took %v, want at most %v", tc.name, took, faultDeadline+faultMargin)
			}

			p.Set(faultproxy.Pass)
			restored := time.Now()
			for {
				errs := together(calls, call)
				if errors.Join(errs...) == nil {
					break
				}
				if time.Since(restored) > recoverWithin {
					t.Fatalf("%s: still failing %v after the network came back: %v", tc.name, recoverWithin, errors.Join(errs...))
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("%s: recovered %v after the network came back", tc.name, time.Since(restored))
		})
	}
}

// together runs n calls of f at once, released behind a barrier, and
// returns their errors.
func together(n int, f func() error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f()
		})
	}
	close(start)
	wg.Wait()
	return errs
}
