package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loadPassword passes the example's password policy.
const loadPassword = "lantern-ocelot-1947-quartz"

// requestTimeout bounds each request: a stuck server shows up as
// transport errors, not as a hung harness.
const requestTimeout = 30 * time.Second

// maxSamples bounds the latencies kept per scenario (4 bytes each);
// requests beyond it are counted but their latency is not kept.
const maxSamples = 20_000_000

// scenarioNames in the order they run by default.
var scenarioNames = []string{"me-jwt", "me-cookie", "me-redis", "login", "register", "refresh"}

func known(name string) bool { return slices.Contains(scenarioNames, name) }

// scenario is one kind of request, repeated.
type scenario struct {
	name string
	want int    // the status of a success
	skip string // why the scenario cannot run, or ""
	// setup, when not nil, prepares the state of concurrency workers
	// before the scenario runs (its requests are not measured).
	setup func(ctx context.Context, concurrency int) error
	// request builds the seq-th request of a worker.
	request func(ctx context.Context, worker, seq int) (*http.Request, error)
	// read, when not nil, gets the body of each success: for scenarios
	// whose next request depends on the last answer.
	read func(worker int, body []byte) error
}

// harness is the client side: an HTTP client over loopback, and the users
// and credentials that setup made.
type harness struct {
	base    string
	client  *http.Client
	run     string       // random id of this run, in the emails it registers
	next    atomic.Int64 // numbers the registered emails, warm-up included
	emails  []string     // registered users
	tokens  []string     // their bearer JWTs
	cookies []string     // their session cookies (name=value)
}

func newHarness(base string, concurrency int) *harness {
	tr := &http.Transport{
		Proxy:               nil, // loopback only; never a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        concurrency,
		MaxIdleConnsPerHost: concurrency,
		MaxConnsPerHost:     concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &harness{
		base:   strings.TrimSuffix(base, "/"),
		client: &http.Client{Transport: tr, Timeout: requestTimeout},
		run:    strings.ToLower(rand.Text()[:10]),
	}
}

func (h *harness) close() { h.client.CloseIdleConnections() }

// withBase returns a harness for another server that shares this one's
// client, users and credentials.
func (h *harness) withBase(base string) *harness {
	return &harness{
		base: strings.TrimSuffix(base, "/"), client: h.client, run: h.run,
		emails: h.emails, tokens: h.tokens, cookies: h.cookies,
	}
}

// do sends one request and returns the status, headers and body.
func (h *harness) do(ctx context.Context, method, path, contentType, body string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := h.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, res.Header, b, err
}

func (h *harness) email(worker, seq int) string {
	return fmt.Sprintf("load-%s-%d-%d@example.com", h.run, worker, seq)
}

func loginForm(email string) string {
	return url.Values{"username": {email}, "password": {loadPassword}}.Encode()
}

// setup registers n users and logs each in through both backends, a few
// at a time (each costs an argon2id hash).
func (h *harness) setup(ctx context.Context, n int) error {
	h.emails = make([]string, n)
	h.tokens = make([]string, n)
	h.cookies = make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = h.setupUser(ctx, i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (h *harness) setupUser(ctx context.Context, i int) error {
	email := h.email(-1, i)
	body, _ := json.Marshal(map[string]string{"email": email, "password": loadPassword})
	st, _, b, err := h.do(ctx, http.MethodPost, "/auth/register", "application/json", string(body))
	if err != nil || st != http.StatusCreated {
		return fmt.Errorf("register %s: %d %s %v", email, st, b, err)
	}
	st, _, b, err = h.do(ctx, http.MethodPost, "/auth/jwt/login", "application/x-www-form-urlencoded", loginForm(email))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err != nil || st != http.StatusOK || json.Unmarshal(b, &tok) != nil || tok.AccessToken == "" {
		return fmt.Errorf("jwt login %s: %d %s %v", email, st, b, err)
	}
	if h.cookies[i], err = h.cookieLogin(ctx, email); err != nil {
		return err
	}
	h.emails[i], h.tokens[i] = email, tok.AccessToken
	return nil
}

// cookieLogin logs email in through the cookie backend and returns the
// cookie (name=value).
func (h *harness) cookieLogin(ctx context.Context, email string) (string, error) {
	st, hdr, b, err := h.do(ctx, http.MethodPost, "/auth/cookie/login", "application/x-www-form-urlencoded", loginForm(email))
	if err != nil || st != http.StatusNoContent {
		return "", fmt.Errorf("cookie login %s: %d %s %v", email, st, b, err)
	}
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Value != "" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("cookie login %s: no cookie", email)
}

// loginCookies replaces the cookies setup made with ones from this
// harness's server (whose cookie tokens live elsewhere: Redis).
func (h *harness) loginCookies(ctx context.Context) error {
	cookies := make([]string, len(h.emails))
	for i, e := range h.emails {
		var err error
		if cookies[i], err = h.cookieLogin(ctx, e); err != nil {
			return err
		}
	}
	h.cookies = cookies
	return nil
}

// scenario returns the named scenario.
func (h *harness) scenario(name string) scenario {
	n := len(h.emails)
	get := func(ctx context.Context, header, value string) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+"/users/me", nil)
		if err == nil {
			r.Header.Set(header, value)
		}
		return r, err
	}
	post := func(ctx context.Context, path, contentType, body string) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+path, strings.NewReader(body))
		if err == nil {
			r.Header.Set("Content-Type", contentType)
		}
		return r, err
	}
	switch name {
	case "me-jwt":
		// Built once, as the cookies are: the client pays no concatenation
		// at each request that me-cookie's does not.
		bearers := make([]string, n)
		for i, t := range h.tokens {
			bearers[i] = "Bearer " + t
		}
		return scenario{name: name, want: http.StatusOK, request: func(ctx context.Context, w, seq int) (*http.Request, error) {
			return get(ctx, "Authorization", bearers[(w+seq)%n])
		}}
	case "me-cookie", "me-redis":
		return scenario{name: name, want: http.StatusOK, request: func(ctx context.Context, w, seq int) (*http.Request, error) {
			return get(ctx, "Cookie", h.cookies[(w+seq)%n])
		}}
	case "login":
		forms := make([]string, n)
		for i, e := range h.emails {
			forms[i] = loginForm(e)
		}
		return scenario{name: name, want: http.StatusOK, request: func(ctx context.Context, w, seq int) (*http.Request, error) {
			return post(ctx, "/auth/jwt/login", "application/x-www-form-urlencoded", forms[(w+seq)%n])
		}}
	case "register":
		return scenario{name: name, want: http.StatusCreated, request: func(ctx context.Context, w, seq int) (*http.Request, error) {
			body := `{"email":"` + h.email(w, int(h.next.Add(1))) + `","password":"` + loadPassword + `"}`
			return post(ctx, "/auth/register", "application/json", body)
		}}
	case "refresh":
		return h.refreshScenario()
	}
	return scenario{name: name, skip: "unknown scenario"}
}

// refreshScenario exchanges refresh tokens at POST /auth/jwt/refresh. Each
// worker logs in once (unmeasured) and then follows its own chain: every
// answer carries the next refresh token, and reusing one is refused (and
// ends the chain), so a lost answer shows up as errors from then on.
func (h *harness) refreshScenario() scenario {
	var tokens []string // by worker; each worker touches its own only
	sc := scenario{name: "refresh", want: http.StatusOK}
	sc.setup = func(ctx context.Context, concurrency int) error {
		tokens = make([]string, concurrency)
		errs := make([]error, concurrency)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for i := range tokens {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				email := h.emails[i%len(h.emails)]
				st, _, b, err := h.do(ctx, http.MethodPost, "/auth/jwt/login", "application/x-www-form-urlencoded", loginForm(email))
				if err != nil || st != http.StatusOK {
					errs[i] = fmt.Errorf("login %s: %d %s %v", email, st, b, err)
					return
				}
				errs[i] = sc.read(i, b)
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	sc.request = func(ctx context.Context, w, _ int) (*http.Request, error) {
		body := `{"refresh_token":"` + tokens[w] + `"}`
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/auth/jwt/refresh", strings.NewReader(body))
		if err == nil {
			r.Header.Set("Content-Type", "application/json")
		}
		return r, err
	}
	sc.read = func(w int, body []byte) error {
		var t struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := json.Unmarshal(body, &t); err != nil || t.RefreshToken == "" {
			return errNoRefresh
		}
		tokens[w] = t.RefreshToken
		return nil
	}
	return sc
}

// errNoRefresh: the jwt backend answered without a refresh token.
var errNoRefresh = errors.New("no refresh_token in the answer: the jwt backend issues no refresh tokens")

// result is what one scenario measured.
type result struct {
	Scenario    string         `json:"scenario"`
	Skipped     string         `json:"skipped,omitempty"`
	Concurrency int            `json:"concurrency"`
	Elapsed     time.Duration  `json:"elapsed_ns"`
	Requests    int64          `json:"requests"`
	OK          int64          `json:"ok"`
	Errors      map[string]int `json:"errors"` // by status ("503") or "transport"
	PerSecond   float64        `json:"req_per_s"`
	P50         time.Duration  `json:"p50_ns"`
	P90         time.Duration  `json:"p90_ns"`
	P99         time.Duration  `json:"p99_ns"`
	Max         time.Duration  `json:"max_ns"`
	PeakRSS     int64          `json:"server_peak_rss_bytes"` // VmHWM during the scenario; 0 unknown
	EndRSS      int64          `json:"server_rss_bytes"`      // VmRSS at its end
	// Load1 is the machine's one-minute load average at the end: other
	// work on the machine shows in the figures, and here.
	Load1 float64 `json:"load1"`
	// Round numbers the alternating rounds of the me-* scenarios.
	Round int `json:"round"`
	// AllocsPerRequest is the server's heap allocations (expvar's
	// memstats.Mallocs) during the scenario over its requests; 0 unknown.
	AllocsPerRequest float64 `json:"server_allocs_per_request"`
}

// summary is one scenario over its rounds: medians, and its throughput
// as a ratio to the floor's of the same round.
type summary struct {
	Scenario  string  `json:"scenario"`
	Rounds    int     `json:"rounds"`
	PerSecond float64 `json:"req_per_s"`
	VsFloor   float64 `json:"vs_floor,omitempty"` // 0: no floor
	// VsCookie is the same against me-cookie's round: bearer + JWT does
	// no more database work than cookie + database, so should be ≥ 1.
	VsCookie         float64       `json:"vs_me_cookie,omitempty"`
	P50              time.Duration `json:"p50_ns"`
	P99              time.Duration `json:"p99_ns"`
	AllocsPerRequest float64       `json:"server_allocs_per_request"`
	Errors           int           `json:"errors"`
	Load1            float64       `json:"load1"` // the highest seen
}

// summarize groups the results by scenario, in order of first appearance.
func summarize(results []result) []summary {
	floor, cookie := map[int]float64{}, map[int]float64{} // req/s by round
	for _, r := range results {
		switch {
		case r.Skipped != "":
		case r.Scenario == floorScenario:
			floor[r.Round] = r.PerSecond
		case r.Scenario == "me-cookie":
			cookie[r.Round] = r.PerSecond
		}
	}
	var order []string
	by := map[string][]result{}
	for _, r := range results {
		if r.Skipped != "" {
			continue
		}
		if _, ok := by[r.Scenario]; !ok {
			order = append(order, r.Scenario)
		}
		by[r.Scenario] = append(by[r.Scenario], r)
	}
	var out []summary
	for _, name := range order {
		rs := by[name]
		s := summary{Scenario: name, Rounds: len(rs)}
		var rate, ratio, toCookie, p50, p99, allocs []float64
		for _, r := range rs {
			rate = append(rate, r.PerSecond)
			p50 = append(p50, float64(r.P50))
			p99 = append(p99, float64(r.P99))
			allocs = append(allocs, r.AllocsPerRequest)
			if f := floor[r.Round]; f > 0 && isMe(name) {
				ratio = append(ratio, r.PerSecond/f)
			}
			if c := cookie[r.Round]; c > 0 && isMe(name) && name != "me-cookie" {
				toCookie = append(toCookie, r.PerSecond/c)
			}
			for _, n := range r.Errors {
				s.Errors += n
			}
			s.Load1 = max(s.Load1, r.Load1)
		}
		s.PerSecond, s.VsFloor, s.VsCookie, s.AllocsPerRequest = median(rate), median(ratio), median(toCookie), median(allocs)
		s.P50, s.P99 = time.Duration(median(p50)), time.Duration(median(p99))
		out = append(out, s)
	}
	return out
}

// median of xs (the mean of the middle two for an even count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// worker counts what one client saw.
type worker struct {
	latencies []uint32 // microseconds
	ok        int64
	errors    map[string]int
}

// load runs sc with concurrency clients for d (or until maxRequests), and
// summarises it; mem, when not nil, reads the server's memory at the end.
// In-flight requests finish after d; none is started after it.
func (h *harness) load(ctx context.Context, sc scenario, concurrency int, d time.Duration, maxRequests int64, mem *memProbe) result {
	var started atomic.Int64
	workers := make([]worker, concurrency)
	perWorker := maxSamples / concurrency
	begin := time.Now()
	deadline := begin.Add(d)
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		w.errors = map[string]int{}
		wg.Go(func() {
			for seq := 0; ctx.Err() == nil && time.Now().Before(deadline); seq++ {
				if maxRequests > 0 && started.Add(1) > maxRequests {
					return
				}
				req, err := sc.request(ctx, i, seq)
				if err != nil {
					w.errors["build"]++
					continue
				}
				t0 := time.Now()
				res, err := h.client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						w.errors["transport"]++
					}
					continue
				}
				var body []byte
				if sc.read != nil && res.StatusCode == sc.want {
					body, err = io.ReadAll(io.LimitReader(res.Body, 1<<20))
				} else {
					_, err = io.Copy(io.Discard, res.Body)
				}
				res.Body.Close()
				lat := time.Since(t0)
				switch {
				case err != nil:
					w.errors["transport"]++
				case res.StatusCode != sc.want:
					w.errors[fmt.Sprint(res.StatusCode)]++
				case sc.read != nil && sc.read(i, body) != nil:
					w.errors["bad body"]++
				default:
					w.ok++
				}
				if len(w.latencies) < perWorker {
					w.latencies = append(w.latencies, uint32(min(lat.Microseconds(), 1<<32-1)))
				}
			}
		})
	}
	wg.Wait()
	r := summarise(sc.name, concurrency, time.Since(begin), workers)
	r.PeakRSS, r.EndRSS = mem.read()
	r.Load1 = loadAverage()
	return r
}

// summarise merges the workers' counts and latencies.
func summarise(name string, concurrency int, elapsed time.Duration, workers []worker) result {
	r := result{Scenario: name, Concurrency: concurrency, Elapsed: elapsed, Errors: map[string]int{}}
	var all []uint32
	for _, w := range workers {
		r.OK += w.ok
		r.Requests += w.ok
		for k, v := range w.errors {
			r.Errors[k] += v
			r.Requests += int64(v)
		}
		all = append(all, w.latencies...)
	}
	if elapsed > 0 {
		r.PerSecond = float64(r.Requests) / elapsed.Seconds()
	}
	slices.Sort(all)
	r.P50, r.P90, r.P99 = percentile(all, 50), percentile(all, 90), percentile(all, 99)
	if len(all) > 0 {
		r.Max = time.Duration(all[len(all)-1]) * time.Microsecond
	}
	return r
}

// percentile returns the p-th percentile (nearest rank) of sorted
// microsecond latencies; 0 for none.
func percentile(sorted []uint32, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (len(sorted)*p + 99) / 100 // ceil(n*p/100), 1-based
	rank = max(rank, 1)
	return time.Duration(sorted[rank-1]) * time.Microsecond
}

// errorsText is "none" or "503:12 transport:1", sorted by key.
func errorsText(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func mib(b int64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func (r result) line() string {
	if r.Skipped != "" {
		return r.Scenario + ": skipped, " + r.Skipped
	}
	return fmt.Sprintf("%s: %d requests in %v, %.0f req/s, p50 %s p99 %s, errors %s, server peak RSS %s",
		r.Scenario, r.Requests, r.Elapsed.Round(time.Millisecond), r.PerSecond, ms(r.P50), ms(r.P99), errorsText(r.Errors), mib(r.PeakRSS))
}

// machine says where and how the figures were taken.
type machine struct {
	Date      string `json:"date"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go"`
	Target    string `json:"target"`
	Database  string `json:"database,omitempty"`
	Duration  string `json:"duration"`
}

func machineInfo(o options, s *server) machine {
	m := machine{
		Date:      time.Now().UTC().Format(time.RFC3339),
		CPUs:      runtime.NumCPU(),
		GoVersion: runtime.Version(),
		Target:    o.target,
		Duration:  o.duration.String(),
	}
	if s != nil {
		m.Target, m.Database = o.serverPkg+" "+o.serverArgs+" (started here)", s.db
	}
	return m
}

func writeJSON(w io.Writer, m machine, results []result, sums []summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Machine machine   `json:"machine"`
		Results []result  `json:"results"`
		Summary []summary `json:"summary"`
	}{m, results, sums})
}

func writeTable(w io.Writer, m machine, results []result, sums []summary) {
	fmt.Fprintf(w, "# %s, %d CPUs, %s, target %s", m.Date, m.CPUs, m.GoVersion, m.Target)
	if m.Database != "" {
		fmt.Fprintf(w, ", %s", m.Database)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-16s %5s %8s %9s %9s %9s %9s %9s %12s %5s  %s\n",
		"scenario", "c", "elapsed", "requests", "req/s", "p50", "p99", "max", "peak RSS", "load", "errors")
	for _, r := range results {
		if r.Skipped != "" {
			fmt.Fprintf(w, "%-16s skipped: %s\n", r.Scenario, r.Skipped)
			continue
		}
		fmt.Fprintf(w, "%-16s %5d %8s %9d %9.0f %9s %9s %9s %12s %5.1f  %s\n",
			r.Scenario, r.Concurrency, r.Elapsed.Round(10*time.Millisecond), r.Requests, r.PerSecond,
			ms(r.P50), ms(r.P99), ms(r.Max), mib(r.PeakRSS), r.Load1, errorsText(r.Errors))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scenario | rounds | req/s (median) | ÷ floor (median of rounds) | ÷ me-cookie | p50 | p99 | allocs/request | errors | load (max) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range sums {
		ratio, toCookie, allocs := "", "", "n/a"
		if s.VsFloor > 0 {
			ratio = fmt.Sprintf("%.2f", s.VsFloor)
		}
		if s.VsCookie > 0 {
			toCookie = fmt.Sprintf("%.2f", s.VsCookie)
		}
		if s.AllocsPerRequest > 0 {
			allocs = fmt.Sprintf("%.1f", s.AllocsPerRequest)
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %s | %s | %s | %d | %.1f |\n",
			s.Scenario, s.Rounds, s.PerSecond, ratio, toCookie, ms(s.P50), ms(s.P99), allocs, s.Errors, s.Load1)
	}
}

// loadAverage is the one-minute load average of the machine (Linux), or 0.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
