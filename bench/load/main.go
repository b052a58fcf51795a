// Command load drives authkit's example service, examples/notebooks, over
// loopback with many concurrent clients, and reports for each scenario the
// throughput, the latency percentiles, the errors by status, and the peak
// resident memory of the server process.
//
// By default it builds examples/notebooks, starts it on a free loopback
// port with a fresh database (a SQLite file in a temporary directory, or a
// new schema in PostgreSQL with -db postgres), runs the scenarios, and
// stops it:
//
//	go run ./bench/load -c 64 -d 10s
//	go run ./bench/load -db postgres -scenarios me-cookie -c 64 -d 10s
//
// Beside the server it starts the floor (bench/floor, unless -floor=false):
// the physical limit of GET /users/me for a database token (its SHA-256
// joined to the user in one prepared statement, over a warm pool of the
// same size), on the same database. The me-* scenarios run in -rounds
// alternating rounds with the floor, and the summary gives each one's
// throughput as a ratio to the floor's in the same round (median over
// the rounds), its latency and its allocations per request (read from
// the servers' -debug-addr).
//
// Or it loads a server already running (-target; give -pid for its memory):
//
//	go run ./bench/load -target http://127.0.0.1:8000 -pid 12345 -c 64 -d 10s
//
// Scenarios (-scenarios, comma-separated; default all):
//
//	me-jwt      GET /users/me with a bearer JWT (jwt backend)
//	me-cookie   GET /users/me with a session cookie (cookie backend: database tokens)
//	me-redis    GET /users/me with a session cookie of a second server started
//	            with -redis (cookie tokens in Redis; skipped when -redis does not answer)
//	login       POST /auth/jwt/login (argon2id verify per request)
//	register    POST /auth/register with a new email each time (argon2id hash per request)
//	refresh     POST /auth/jwt/refresh, each client following its own chain of
//	            rotated refresh tokens (skipped when the server issues none)
//
// Only loopback targets are accepted; the client reuses its connections
// (keep-alive, at most -c of them), and every run is bounded by -d (and
// -n, when given).
//
// The example throttles logins and registrations (429) unless started with
// -limits off, which -server-args passes by default to the server this
// command starts; a server given by -target must be started so by hand.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// Bounds on the flags: the harness must stay a polite neighbour.
const (
	maxConcurrency = 1024
	maxDuration    = 10 * time.Minute
	maxUsers       = 1024
	maxRounds      = 100
)

// defaultRedis is the Redis the tests use (internal/testdb's default).
const defaultRedis = "redis://127.0.0.1:6379/0"

// options are the parsed flags.
type options struct {
	target      string
	pid         int
	db          string
	pgDSN       string
	serverPkg   string
	serverBin   string
	serverArgs  string
	floor       bool
	floorPkg    string
	floorArgs   string
	redis       string
	rounds      int
	concurrency int
	duration    time.Duration
	warmup      time.Duration
	maxRequests int64
	users       int
	scenarios   []string
	json        bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var scenarios string
	fs.StringVar(&o.target, "target", "", "base `URL` of a running server (loopback only); empty starts examples/notebooks")
	fs.IntVar(&o.pid, "pid", 0, "with -target, the server's process id, for its peak RSS")
	fs.StringVar(&o.db, "db", "sqlite", "database of the started server: sqlite (fresh file) or postgres (fresh schema)")
	fs.StringVar(&o.pgDSN, "pg", "", "PostgreSQL `DSN` for -db postgres (default $AUTHKIT_TEST_POSTGRES or "+defaultPostgres+")")
	fs.StringVar(&o.serverPkg, "server", "./examples/notebooks", "`package` to build and start when -target is empty")
	fs.StringVar(&o.serverBin, "server-bin", "", "already built server `binary` to start instead of building -server")
	fs.StringVar(&o.serverArgs, "server-args", "-limits off", "extra `flags` for the started server, space-separated; the default turns its login throttling off")
	fs.BoolVar(&o.floor, "floor", true, "also start -floor-pkg on the same database and run the me-* scenarios against it (not with -target)")
	fs.StringVar(&o.floorPkg, "floor-pkg", "./bench/floor", "`package` of the hand-written baseline server")
	fs.StringVar(&o.floorArgs, "floor-args", "", "extra `flags` for the floor, space-separated (e.g. \"-max-conns 8\")")
	fs.StringVar(&o.redis, "redis", defaultRedis, "Redis `URL` for me-redis: a second server keeps its cookie tokens there (\"\" skips it)")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds of the me-* scenarios and the floor, alternated")
	fs.IntVar(&o.concurrency, "c", 64, "concurrent clients (connections)")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "duration of each scenario")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each scenario")
	fs.Int64Var(&o.maxRequests, "n", 0, "stop each scenario after this many requests too (0: only -d)")
	fs.IntVar(&o.users, "users", 16, "users registered beforehand, whose tokens and logins the scenarios spread over")
	fs.StringVar(&scenarios, "scenarios", strings.Join(scenarioNames, ","), "comma-separated `list` of scenarios")
	fs.BoolVar(&o.json, "json", false, "print the results as JSON")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var errs []error
	if o.concurrency < 1 || o.concurrency > maxConcurrency {
		errs = append(errs, fmt.Errorf("-c must be within 1..%d", maxConcurrency))
	}
	if o.duration <= 0 || o.duration > maxDuration || o.warmup < 0 || o.warmup > maxDuration {
		errs = append(errs, fmt.Errorf("-d must be within (0, %v] and -warmup within [0, %v]", maxDuration, maxDuration))
	}
	if o.rounds < 1 || o.rounds > maxRounds {
		errs = append(errs, fmt.Errorf("-rounds must be within 1..%d", maxRounds))
	}
	if o.users < 1 || o.users > maxUsers {
		errs = append(errs, fmt.Errorf("-users must be within 1..%d", maxUsers))
	}
	if o.maxRequests < 0 {
		errs = append(errs, errors.New("-n must not be negative"))
	}
	if o.db != "sqlite" && o.db != "postgres" {
		errs = append(errs, errors.New("-db must be sqlite or postgres"))
	}
	for s := range strings.SplitSeq(scenarios, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !known(s) {
			errs = append(errs, fmt.Errorf("unknown scenario %q (want some of %s)", s, strings.Join(scenarioNames, ", ")))
		}
		o.scenarios = append(o.scenarios, s)
	}
	if len(o.scenarios) == 0 {
		errs = append(errs, errors.New("no scenario"))
	}
	return o, errors.Join(errs...)
}

// run parses the flags, starts the server if asked, and runs the scenarios.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var srv *server
	base, pid := o.target, o.pid
	if base == "" {
		srv, err = startServer(ctx, o, stderr)
		if err != nil {
			return err
		}
		defer srv.stop(stderr)
		base, pid = srv.main.base, srv.main.pid()
	}
	if err := checkLoopback(ctx, base); err != nil {
		return err
	}
	h := newHarness(base, o.concurrency)
	defer h.close()
	if err := h.setup(ctx, o.users); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	// The floor answers the me-* scenarios' cookie with the same
	// credentials, on the database the server has migrated and setup has
	// filled; the server with -redis needs cookies of its own.
	var floor, withRedis *harness
	if srv != nil && o.floor && slices.ContainsFunc(o.scenarios, isMe) {
		if err := srv.startFloor(ctx, o, stderr); err != nil {
			return err
		}
		floor = h.withBase(srv.floor.base)
	}
	if srv != nil && srv.withRedis != nil {
		withRedis = h.withBase(srv.withRedis.base)
		if err := withRedis.loginCookies(ctx); err != nil {
			return fmt.Errorf("me-redis: setup: %w", err)
		}
	}
	debugOf := func(p *proc) string {
		if p == nil {
			return ""
		}
		return p.debug
	}
	pidOf := func(p *proc) int {
		if p == nil {
			return pid
		}
		return p.pid()
	}
	var results []result
	report := func(r result) {
		results = append(results, r)
		if !o.json {
			fmt.Fprintln(stderr, "done:", r.line())
		}
	}
	// The authenticated reads, in alternating rounds: floor, then each
	// scenario, so that a burst of load on the machine hits them alike.
	var me, rest []string
	for _, name := range o.scenarios {
		if isMe(name) {
			me = append(me, name)
		} else {
			rest = append(rest, name)
		}
	}
	for round := 1; round <= o.rounds && len(me) > 0; round++ {
		if floor != nil && ctx.Err() == nil {
			sc := floor.scenario("me-cookie")
			sc.name = floorScenario
			report(measure(ctx, floor, sc, srv.floor.pid(), srv.floor.debug, round, o))
		}
		for _, name := range me {
			target, p := h, (*proc)(nil)
			if srv != nil {
				p = srv.main
			}
			if name == "me-redis" {
				if withRedis == nil {
					if round == 1 {
						report(result{Scenario: name, Skipped: "no server with -redis (see -redis; not with -target)"})
					}
					continue
				}
				target, p = withRedis, srv.withRedis
			}
			if ctx.Err() == nil {
				report(measure(ctx, target, target.scenario(name), pidOf(p), debugOf(p), round, o))
			}
		}
	}
	for _, name := range rest {
		if ctx.Err() != nil {
			break
		}
		sc := h.scenario(name)
		if sc.skip == "" && sc.setup != nil {
			if err := sc.setup(ctx, o.concurrency); errors.Is(err, errNoRefresh) {
				sc.skip = "the server's jwt backend issues no refresh tokens"
			} else if err != nil {
				return fmt.Errorf("%s: setup: %w", name, err)
			}
		}
		if sc.skip != "" {
			report(result{Scenario: name, Skipped: sc.skip})
			continue
		}
		var p *proc
		if srv != nil {
			p = srv.main
		}
		report(measure(ctx, h, sc, pidOf(p), debugOf(p), 1, o))
	}
	sums := summarize(results)
	if o.json {
		return writeJSON(stdout, machineInfo(o, srv), results, sums)
	}
	writeTable(stdout, machineInfo(o, srv), results, sums)
	return ctx.Err()
}

// floorScenario names the floor's rounds.
const floorScenario = "floor"

func isMe(name string) bool { return strings.HasPrefix(name, "me-") }

// measure warms up, then runs sc and reads the peak memory of process pid
// and, from its debug address, the allocations per request.
func measure(ctx context.Context, h *harness, sc scenario, pid int, debug string, round int, o options) result {
	if o.warmup > 0 {
		h.load(ctx, sc, o.concurrency, o.warmup, o.maxRequests, nil)
	}
	resetPeak(pid)
	before := mallocs(ctx, h.client, debug)
	r := h.load(ctx, sc, o.concurrency, o.duration, o.maxRequests, &memProbe{pid: pid})
	if after := mallocs(ctx, h.client, debug); before > 0 && after > before && r.Requests > 0 {
		r.AllocsPerRequest = float64(after-before) / float64(r.Requests)
	}
	r.Round = round
	return r
}
