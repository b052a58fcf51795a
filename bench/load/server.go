package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the "postgres" driver, for the fresh schema
	"github.com/redis/go-redis/v9"
)

// defaultPostgres is the DSN used for -db postgres without -pg or
// $AUTHKIT_TEST_POSTGRES, the server the tests use.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// startTimeout bounds building and starting the servers.
const startTimeout = 5 * time.Minute

// server is the example service, and optionally the floor, started as
// child processes on one fresh database.
type server struct {
	dir    string // temporary: binaries, SQLite file, logs
	dbURL  string // what -db was given to them
	db     string // a description of it, without secrets
	secret string // AUTHKIT_SECRET, the same for both
	schema string // PostgreSQL schema to drop, or ""
	pgDSN  string
	redis  string // the server's -redis URL, or ""
	main   *proc
	// withRedis is the example again, on the same database, keeping its
	// cookie tokens in Redis (-redis); nil when Redis does not answer.
	withRedis *proc
	floor     *proc // nil unless -floor
}

// proc is one child process serving HTTP.
type proc struct {
	cmd   *exec.Cmd
	base  string // http://127.0.0.1:PORT
	debug string // its -debug-addr, http://127.0.0.1:PORT
	log   *os.File
	done  chan error
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// startServer gives the example service a fresh database and starts it on
// 127.0.0.1:0, building it first unless -server-bin says where it is.
func startServer(ctx context.Context, o options, stderr io.Writer) (_ *server, err error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "authkit-load-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, secret: rand.Text() + rand.Text()}
	defer func() {
		if err != nil {
			s.stop(stderr)
		}
	}()
	bin := o.serverBin
	if bin == "" {
		if bin, err = s.build(ctx, o.serverPkg, "server", stderr); err != nil {
			return nil, err
		}
	}
	s.dbURL = "sqlite:" + filepath.Join(dir, "load.db")
	s.db = "sqlite (fresh file)"
	if o.db == "postgres" {
		s.pgDSN = o.pgDSN
		if s.pgDSN == "" {
			s.pgDSN = os.Getenv("AUTHKIT_TEST_POSTGRES")
		}
		if s.pgDSN == "" {
			s.pgDSN = defaultPostgres
		}
		if s.dbURL, s.schema, err = freshSchema(ctx, s.pgDSN); err != nil {
			return nil, err
		}
		s.db = "postgres (fresh schema " + s.schema + ")"
	}
	if r := redisArgs(o.serverArgs); len(r) > 0 {
		s.redis = strings.TrimPrefix(r[len(r)-1], "-redis=")
	}
	args := append([]string{"-addr", "127.0.0.1:0", "-debug-addr", "127.0.0.1:0", "-db", s.dbURL}, strings.Fields(o.serverArgs)...)
	if s.main, err = s.start(ctx, bin, args, "server.log"); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "server pid %d at %s, database %s\n", s.main.pid(), s.main.base, s.db)
	if o.redis != "" && s.redis == "" && slices.Contains(o.scenarios, "me-redis") {
		if err := ping(ctx, o.redis); err != nil {
			fmt.Fprintf(stderr, "no Redis at -redis %s (%v): me-redis skipped\n", o.redis, err)
			return s, nil
		}
		s.redis = o.redis
		// Started once the first has migrated the database.
		args := append(args, "-redis", o.redis)
		if s.withRedis, err = s.start(ctx, bin, args, "server-redis.log"); err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "server with -redis pid %d at %s\n", s.withRedis.pid(), s.withRedis.base)
	}
	return s, nil
}

// ping checks that the Redis at rawURL answers.
func ping(ctx context.Context, rawURL string) error {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return err
	}
	rc := redis.NewClient(opts)
	defer rc.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return rc.Ping(ctx).Err()
}

// startFloor builds and starts the floor on the server's database; call
// it once the server has migrated the database.
func (s *server) startFloor(ctx context.Context, o options, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	bin, err := s.build(ctx, o.floorPkg, "floor", stderr)
	if err != nil {
		return err
	}
	args := append([]string{"-addr", "127.0.0.1:0", "-debug-addr", "127.0.0.1:0", "-db", s.dbURL}, strings.Fields(o.floorArgs)...)
	if s.floor, err = s.start(ctx, bin, args, "floor.log"); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "floor pid %d at %s\n", s.floor.pid(), s.floor.base)
	return nil
}

// redisArgs returns the -redis flag of the server's flags, if any, for the
// floor: it must read the cookie tokens where the server keeps them.
func redisArgs(serverArgs string) []string {
	f := strings.Fields(serverArgs)
	for i, a := range f {
		a = "-" + strings.TrimLeft(a, "-")
		switch {
		case a == "-redis" && i+1 < len(f):
			return []string{"-redis", f[i+1]}
		case strings.HasPrefix(a, "-redis="):
			return []string{a}
		}
	}
	return nil
}

func (s *server) build(ctx context.Context, pkg, name string, stderr io.Writer) (string, error) {
	bin := filepath.Join(s.dir, name)
	fmt.Fprintf(stderr, "building %s...\n", pkg)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	return bin, nil
}

// start runs bin and waits until it prints "... listening on URL".
func (s *server) start(ctx context.Context, bin string, args []string, logName string) (*proc, error) {
	log, err := os.Create(filepath.Join(s.dir, logName))
	if err != nil {
		return nil, err
	}
	// Not CommandContext: the process must outlive the start-up timeout.
	p := &proc{cmd: exec.Command(bin, args...), log: log, done: make(chan error, 1)}
	// With -redis, the run's keys get a prefix of their own; they expire
	// with the tokens (an hour).
	p.cmd.Env = append(os.Environ(), "AUTHKIT_SECRET="+s.secret, "NOTEBOOKS_REDIS_PREFIX="+s.redisPrefix())
	p.cmd.Stderr = log // warnings, mail summaries
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		log.Close()
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	// "NAME listening on URL", then "debug listening on URL".
	addrs := make(chan [2]string, 1)
	go func() {
		var got [2]string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			name, url, ok := strings.Cut(strings.TrimSpace(sc.Text()), " listening on ")
			switch {
			case !ok:
			case name == "debug":
				got[1] = url
			case got[0] == "":
				got[0] = url
			}
			if got[0] != "" && got[1] != "" {
				addrs <- got
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() { p.done <- p.cmd.Wait() }()
	select {
	case got := <-addrs:
		p.base, p.debug = got[0], got[1]
		return p, nil
	case err := <-p.done:
		p.done <- err
		p.stop()
		return nil, fmt.Errorf("%s exited before listening (%v); its log: %s", bin, err, log.Name())
	case <-ctx.Done():
		p.stop()
		return nil, fmt.Errorf("%s did not start: %w", bin, ctx.Err())
	}
}

// stop ends the process: SIGINT, then SIGKILL after a grace period.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
	}
	p.log.Close()
}

// stop ends the processes, drops the schema and removes the files.
func (s *server) stop(stderr io.Writer) {
	for _, p := range []*proc{s.floor, s.withRedis, s.main} {
		if p != nil {
			p.stop()
		}
	}
	if s.schema != "" {
		if err := dropSchema(s.pgDSN, s.schema); err != nil {
			fmt.Fprintln(stderr, "load: drop schema:", err)
		}
	}
	if s.redis != "" {
		if err := deleteKeys(s.redis, s.redisPrefix()); err != nil {
			fmt.Fprintln(stderr, "load: delete Redis keys:", err)
		}
	}
	os.RemoveAll(s.dir)
}

// redisPrefix begins the Redis keys of this run's processes.
func (s *server) redisPrefix() string { return "authkit_load:" + filepath.Base(s.dir) + ":" }

// deleteKeys deletes the keys under prefix in the Redis at rawURL.
func deleteKeys(rawURL, prefix string) error {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return err
	}
	rc := redis.NewClient(opts)
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := rc.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if err := rc.Del(ctx, iter.Val()).Err(); err != nil {
			return err
		}
	}
	return iter.Err()
}

// freshSchema creates a schema authkit_load_<random> and returns a URL
// whose search_path selects it (lib/pq passes unknown parameters to the
// server as run-time settings).
func freshSchema(ctx context.Context, dsn string) (dbURL, schema string, err error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", errors.New("-pg must be a postgres:// URL")
	}
	if err := loopbackHost(ctx, u.Hostname()); err != nil {
		return "", "", fmt.Errorf("-pg: %w", err)
	}
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema = "authkit_load_" + hex.EncodeToString(b)
	// The name is ours, [a-z0-9_]: safe to splice; identifiers cannot be parameters.
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", "", fmt.Errorf("create schema: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

func dropSchema(dsn, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
	return err
}

// checkLoopback refuses a target whose host is not a loopback address.
func checkLoopback(ctx context.Context, base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("target %q: want http://HOST:PORT", base)
	}
	if err := loopbackHost(ctx, u.Hostname()); err != nil {
		return fmt.Errorf("target %q: %w", base, err)
	}
	return nil
}

// loopbackHost accepts a host only when every address it names is a
// loopback one.
func loopbackHost(ctx context.Context, host string) error {
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return errors.New("not a loopback address")
		}
		return nil
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return fmt.Errorf("%s resolves to %s, not a loopback address", host, a.IP)
		}
	}
	if len(addrs) == 0 {
		return fmt.Errorf("%s resolves to nothing", host)
	}
	return nil
}

// mallocs returns the count of heap objects the process at debug (its
// -debug-addr) has allocated (expvar's memstats.Mallocs); 0 when unknown.
func mallocs(ctx context.Context, client *http.Client, debug string) uint64 {
	if debug == "" {
		return 0
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, debug+"/debug/vars", nil)
	if err != nil {
		return 0
	}
	res, err := client.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	var vars struct{ Memstats struct{ Mallocs uint64 } }
	if json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&vars) != nil {
		return 0
	}
	return vars.Memstats.Mallocs
}

// memProbe reads a process's memory from /proc.
type memProbe struct{ pid int }

// resetPeak resets the process's peak RSS (VmHWM), so that each scenario
// reports its own peak; it needs Linux and the right to write the
// process's clear_refs, which a parent has over its child.
func resetPeak(pid int) bool {
	if pid <= 0 {
		return false
	}
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// read returns VmHWM and VmRSS in bytes; 0 when unknown.
func (m *memProbe) read() (hwm, rss int64) {
	if m == nil || m.pid <= 0 {
		return 0, 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.pid))
	if err != nil {
		return 0, 0
	}
	return statusKB(string(b), "VmHWM:") << 10, statusKB(string(b), "VmRSS:") << 10
}

// statusKB reads a "Name:   1234 kB" line of /proc/PID/status.
func statusKB(status, name string) int64 {
	for line := range strings.Lines(status) {
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return n
				}
			}
		}
	}
	return 0
}
