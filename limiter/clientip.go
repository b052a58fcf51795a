package limiter

import (
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address to throttle r's client by: an IPv4 address
// ("203.0.113.7"), or an IPv6 /64 ("2001:db8:1:2::/64"), since one
// subscriber commonly holds a whole /64 and could otherwise rotate through
// it. IPv4-mapped IPv6 addresses count as IPv4; zones are dropped.
//
// The address is r.RemoteAddr's, unless that lies in one of trustedProxies:
// then X-Forwarded-For, all of its lines, is read from the right, skipping
// addresses in trustedProxies, and the first other address is the client.
// Entries to the left of it were written by the client and are ignored, so
// a client cannot choose its own key by sending the header. When every
// entry is trusted the left-most is the client; when an entry before the
// client's is not an address ("unknown", garbage), or the header is absent,
// RemoteAddr's address is used. Entries may carry a port ("192.0.2.1:443",
// "[2001:db8::1]:443"); empty entries are skipped.
//
// With no trusted proxies X-Forwarded-For is never read. A RemoteAddr that
// is not an address at all (a Unix socket) is returned unchanged.
func ClientIP(r *http.Request, trustedProxies []netip.Prefix) string {
	remote, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !trusted(remote, trustedProxies) {
		return clientKey(remote)
	}
	client := remote
	lines := r.Header.Values("X-Forwarded-For")
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for rest != "" {
			entry := rest
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				rest = ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			a, ok := parseAddr(entry)
			if !ok {
				return clientKey(remote)
			}
			if !trusted(a, trustedProxies) {
				return clientKey(a)
			}
			client = a
		}
	}
	return clientKey(client)
}

// parseAddr reads "addr", "addr:port", "[addr]" or "[addr]:port".
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err == nil {
			a = ap.Addr()
		} else if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
			if a, err = netip.ParseAddr(s[1 : len(s)-1]); err != nil || !a.Is6() {
				return netip.Addr{}, false
			}
		} else {
			return netip.Addr{}, false
		}
	}
	return a.Unmap().WithZone(""), true
}

// trusted reports whether a, which is unmapped, lies in one of prefixes.
// An IPv4-mapped prefix (::ffff:10.0.0.0/104) counts as its IPv4 form.
func trusted(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func clientKey(a netip.Addr) string {
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}
