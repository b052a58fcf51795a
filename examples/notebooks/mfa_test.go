package main

import (
	"net"
	"slices"
	"testing"
)

// The relying party defaults to the listen address, with localhost for an
// IP address (WebAuthn wants a domain).
func TestPasskeyConfigDefaults(t *testing.T) {
	for _, tc := range []struct {
		addr, rpID, origin string
		wantID             string
		wantOrigins        []string
	}{
		{"127.0.0.1:8000", "", "", "localhost", []string{"http://localhost:8000"}},
		{"[::]:8080", "", "", "localhost", []string{"http://localhost:8080"}},
		{"127.0.0.1:8000", "notes.example.com", "https://notes.example.com, https://www.notes.example.com",
			"notes.example.com", []string{"https://notes.example.com", "https://www.notes.example.com"}},
		{"127.0.0.1:8000", "notes.example.com", "", "notes.example.com", []string{"http://notes.example.com:8000"}},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		pc, err := passkeyConfig(config{webauthnRPID: tc.rpID, webauthnOrigin: tc.origin}, addr)
		if err != nil || pc.RPID != tc.wantID || !slices.Equal(pc.Origins, tc.wantOrigins) {
			t.Errorf("%s %q %q: %+v, %v; want %s %v", tc.addr, tc.rpID, tc.origin, pc, err, tc.wantID, tc.wantOrigins)
		}
	}
}
