package main

import (
	"expvar"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
)

// checkDebugAddr refuses a -debug-addr that is not a loopback address:
// profiles and memory statistics are for the developer's eyes only.
func checkDebugAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-debug-addr %q: want a loopback host:port", addr)
	}
	return nil
}

// debugHandler serves expvar (/debug/vars, whose memstats.Mallocs
// bench/load reads to count allocations per request) and net/http/pprof
// (/debug/pprof/: profiles under load).
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /debug/vars", expvar.Handler())
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	return mux
}
