package main

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/go-authkit/authkit"
)

// mfaRequirements are the values of -require-mfa.
var mfaRequirements = map[string]authkit.MFARequirement{
	"off":        authkit.MFAOptional,
	"superusers": authkit.MFARequiredForSuperusers,
	"everyone":   authkit.MFARequiredForEveryone,
}

// passkeyConfig is the relying party of the flags, defaulting to the
// address listened on: an IP address is no RP id (WebAuthn wants a
// domain), so a local service at 127.0.0.1:8000 is the relying party
// localhost, its page opened at http://localhost:8000.
func passkeyConfig(cfg config, addr net.Addr) (*authkit.PasskeyConfig, error) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return nil, fmt.Errorf("listen address %s: %w", addr, err)
	}
	rpID := cfg.webauthnRPID
	if rpID == "" {
		rpID = host
		if host == "" || net.ParseIP(host) != nil {
			rpID = "localhost"
		}
	}
	if strings.ContainsAny(rpID, ":/ ") || net.ParseIP(rpID) != nil {
		return nil, fmt.Errorf("-webauthn-rp-id %q: want a domain, such as example.com or localhost", rpID)
	}
	var origins []string
	if cfg.webauthnOrigin == "" {
		origins = []string{"http://" + net.JoinHostPort(rpID, port)}
	}
	for o := range strings.SplitSeq(cfg.webauthnOrigin, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return nil, fmt.Errorf("-webauthn-origin %q: want scheme://host[:port], such as https://example.com", o)
		}
		origins = append(origins, o)
	}
	if len(origins) == 0 {
		return nil, fmt.Errorf("-webauthn-origin %q: no origin", cfg.webauthnOrigin)
	}
	return &authkit.PasskeyConfig{RPID: rpID, Origins: origins, RPDisplayName: "Notebooks"}, nil
}
