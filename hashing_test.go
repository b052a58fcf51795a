package authkit_test

import (
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-authkit/authkit"
	"github.com/go-authkit/authkit/hasher"
)

// gatedHasher is a real hasher whose Verify waits at a gate while the gate
// is closed, so a test can hold a hashing slot.
type gatedHasher struct {
	hasher.Hasher
	closed  atomic.Bool
	gate    chan struct{}
	waiting chan struct{}
}

func (g *gatedHasher) Verify(pw, encoded string) (bool, bool, error) {
	if g.closed.Load() {
		g.waiting <- struct{}{}
		<-g.gate
	}
	return g.Hasher.Verify(pw, encoded)
}

// When every hashing slot stays taken, a login waits HashWait and is then
// refused with 503 and Retry-After; the slot holder is unharmed.
func TestHashingSlotsBusy(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(...func(*authkit.Config)) *env) {
		g := &gatedHasher{Hasher: cheapHasher(t), gate: make(chan struct{}), waiting: make(chan struct{}, 1)}
		e := open(func(c *authkit.Config) {
			c.Hasher = g
			c.MaxConcurrentHashes = 1
			c.HashWait = 100 * time.Millisecond
		})
		e.register("kay@camelot.bt", goodPassword)
		g.closed.Store(true)
		first := make(chan reply, 1)
		go func() { first <- e.loginForm("jwt", "kay@camelot.bt", goodPassword) }()
		<-g.waiting // the first login holds the only slot
		for _, r := range []reply{
			e.loginForm("jwt", "kay@camelot.bt", goodPassword),
			e.loginForm("jwt", "nobody@camelot.bt", goodPassword),
			e.postJSON("/auth/register", `{"email":"new@camelot.bt","password":"`+goodPassword+`"}`),
		} {
			expect(t, r, http.StatusServiceUnavailable, `{"detail":"Service Unavailable"}`)
			if r.header.Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
		}
		g.closed.Store(false)
		close(g.gate)
		if r := <-first; r.status != http.StatusOK {
			t.Fatalf("slot holder: %d %s", r.status, r.body)
		}
		e.register("new@camelot.bt", goodPassword) // nothing half-made by the refused attempt
	})
}

// 200 concurrent logins with the production argon2id parameters keep the
// heap under 256 MiB: the hashing slots bound it, not the number of logins.
func TestLoginFloodMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("production hashing parameters: not in -short")
	}
	e := newEnv(t, stores[0].open, func(c *authkit.Config) {
		c.Hasher = hasher.Default()
		c.HashWait = 10 * time.Minute // every login is served; none refused
	})
	e.register("flood@camelot.bt", goodPassword)
	form := url.Values{"username": {"flood@camelot.bt"}, "password": {goodPassword}}.Encode()

	// The target is the process's peak resident memory: the heap, plus what
	// the runtime has not returned to the system. VmHWM is reset (Linux) once
	// the earlier tests' memory is returned.
	debug.FreeOSMemory()
	rssReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	const n = 200
	var wg sync.WaitGroup
	var ok atomic.Int64
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/auth/jwt/login", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				ok.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	close(stop)
	<-sampled
	rss := peakRSS()
	t.Logf("%d/%d logins succeeded; peak heap %d MiB, peak RSS %d MiB (checked: %v)", ok.Load(), n, peak.Load()>>20, rss>>20, rssReset && !raceEnabled)
	if ok.Load() != n {
		t.Fatalf("%d of %d logins succeeded", ok.Load(), n)
	}
	if rssReset && !raceEnabled && rss > 256<<20 {
		t.Fatalf("peak RSS %d MiB, over 256 MiB", rss>>20)
	}
	if peak.Load() > 256<<20 {
		t.Fatalf("peak heap %d MiB, over 256 MiB", peak.Load()>>20)
	}
}

// peakRSS is the process's peak resident memory (VmHWM, Linux) in bytes;
// 0 when unknown.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}
