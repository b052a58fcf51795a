package limiter_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/go-authkit/authkit/limiter"
)

var proxies = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("2001:db8:ffff::/48"),
	netip.MustParsePrefix("::ffff:192.168.0.0/112"), // IPv4-mapped: means 192.168.0.0/16
}

func request(remote string, xff ...string) *http.Request {
	r := httptest.NewRequest("POST", "/auth/jwt/login", nil)
	r.RemoteAddr = remote
	for _, v := range xff {
		r.Header.Add("X-Forwarded-For", v)
	}
	return r
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"ipv4", "203.0.113.7:5555", nil, proxies, "203.0.113.7"},
		{"ipv4 without port", "203.0.113.7", nil, proxies, "203.0.113.7"},
		{"ipv6 reduced to /64", "[2001:db8:1:2:3:4:5:6]:443", nil, proxies, "2001:db8:1:2::/64"},
		{"ipv6 without port", "2001:db8:1:2::9", nil, proxies, "2001:db8:1:2::/64"},
		{"ipv6 zone dropped", "[fe80::1%eth0]:443", nil, proxies, "fe80::/64"},
		{"ipv4-mapped", "[::ffff:203.0.113.7]:80", nil, proxies, "203.0.113.7"},
		{"untrusted remote ignores header", "203.0.113.7:1", []string{"198.51.100.1"}, proxies, "203.0.113.7"},
		{"no trusted proxies ignores header", "10.0.0.1:1", []string{"198.51.100.1"}, nil, "10.0.0.1"},
		{"trusted remote uses header", "10.0.0.1:1", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"trusted, no header", "10.0.0.1:1", nil, proxies, "10.0.0.1"},
		{"trusted, empty header", "10.0.0.1:1", []string{""}, proxies, "10.0.0.1"},
		{"right-most untrusted wins", "10.0.0.1:1", []string{"1.1.1.1, 198.51.100.1, 10.0.0.2"}, proxies, "198.51.100.1"},
		{"spoofed left part ignored", "10.0.0.1:1", []string{"10.9.9.9, 1.1.1.1, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"several lines", "10.0.0.1:1", []string{"1.1.1.1", "198.51.100.1, 10.0.0.3", "10.0.0.2"}, proxies, "198.51.100.1"},
		{"all trusted: left-most", "10.0.0.1:1", []string{"10.0.0.4, 10.0.0.3", "10.0.0.2"}, proxies, "10.0.0.4"},
		{"mapped prefix trusted", "192.168.1.1:1", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"ipv6 proxy, ipv6 client", "[2001:db8:ffff::1]:1", []string{"2001:db8:aaaa:bbbb:1::1"}, proxies, "2001:db8:aaaa:bbbb::/64"},
		{"entry with port", "10.0.0.1:1", []string{"198.51.100.1:4711"}, proxies, "198.51.100.1"},
		{"ipv6 entry with port", "10.0.0.1:1", []string{"[2001:db8:5::1]:4711"}, proxies, "2001:db8:5::/64"},
		{"bracketed ipv6 entry", "10.0.0.1:1", []string{"[2001:db8:5::1]"}, proxies, "2001:db8:5::/64"},
		{"mapped entry", "10.0.0.1:1", []string{"::ffff:198.51.100.1"}, proxies, "198.51.100.1"},
		{"spaces and empty entries", "10.0.0.1:1", []string{" ,198.51.100.1 ,, 10.0.0.2 ,"}, proxies, "198.51.100.1"},
		{"garbage falls back", "10.0.0.1:1", []string{"unknown"}, proxies, "10.0.0.1"},
		{"garbage right of client falls back", "10.0.0.1:1", []string{"198.51.100.1, _hidden"}, proxies, "10.0.0.1"},
		{"garbage beyond a trusted hop falls back", "10.0.0.1:1", []string{"198.51.100.1, unknown, 10.0.0.2"}, proxies, "10.0.0.1"},
		{"garbage left of client ignored", "10.0.0.1:1", []string{"<script>, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"bracketed ipv4 is garbage", "10.0.0.1:1", []string{"[198.51.100.1]"}, proxies, "10.0.0.1"},
		{"bad port is garbage", "10.0.0.1:1", []string{"198.51.100.1:99999"}, proxies, "10.0.0.1"},
		{"leading zeros are garbage", "10.0.0.1:1", []string{"198.051.100.1"}, proxies, "10.0.0.1"},
		{"unix socket remote", "@", []string{"198.51.100.1"}, proxies, "@"},
		{"empty remote", "", nil, proxies, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := limiter.ClientIP(request(tc.remote, tc.xff...), tc.trusted); got != tc.want {
				t.Errorf("ClientIP(%q, X-Forwarded-For %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
			}
		})
	}
}

// referenceClientIP is ClientIP written the obvious, allocating way, to
// fuzz the real one against.
func referenceClientIP(r *http.Request, trusted []netip.Prefix) string {
	parse := func(s string) (netip.Addr, bool) {
		if a, err := netip.ParseAddr(s); err == nil {
			return a.Unmap().WithZone(""), true
		}
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return ap.Addr().Unmap().WithZone(""), true
		}
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && a.Is6() {
				return a.Unmap().WithZone(""), true
			}
		}
		return netip.Addr{}, false
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	key := func(a netip.Addr) string {
		if a.Is6() {
			p, _ := a.Prefix(64)
			return p.String()
		}
		return a.String()
	}
	remote, ok := parse(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !isTrusted(remote) {
		return key(remote)
	}
	entries := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := remote
	for i := len(entries) - 1; i >= 0; i-- {
		e := strings.TrimSpace(entries[i])
		if e == "" {
			continue
		}
		a, ok := parse(e)
		if !ok {
			return key(remote)
		}
		if !isTrusted(a) {
			return key(a)
		}
		client = a
	}
	return key(client)
}

func FuzzClientIP(f *testing.F) {
	for _, s := range [][2]string{
		{"203.0.113.7:1", ""},
		{"10.0.0.1:1", "198.51.100.1"},
		{"10.0.0.1:1", "1.1.1.1, 198.51.100.1, 10.0.0.2"},
		{"10.0.0.1:1", "10.0.0.4\n10.0.0.2"},
		{"[2001:db8:ffff::1]:1", "[2001:db8:5::1]:80, 2001:db8:ffff::9"},
		{"[::ffff:10.1.2.3]:1", "::ffff:198.51.100.1%eth0"},
		{"192.168.0.1:1", " , unknown,198.51.100.1 ,"},
		{"10.0.0.1", "[198.51.100.1], 198.51.100.1:99999"},
		{"@", "198.51.100.1"},
		{"", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		// Each line of xff is one header line, as a proxy chain may send.
		r := request(remote, strings.Split(xff, "\n")...)
		got := limiter.ClientIP(r, proxies)
		if want := referenceClientIP(r, proxies); got != want {
			t.Fatalf("ClientIP(%q, %q) = %q, reference says %q", remote, xff, got, want)
		}
		if again := limiter.ClientIP(r, proxies); again != got {
			t.Fatalf("not deterministic: %q then %q", got, again)
		}
		if got == remote && got != "" {
			if _, err := netip.ParseAddr(got); err != nil {
				return // RemoteAddr not an address, passed through
			}
		}
		// Otherwise the key is a canonical IPv4 address or IPv6 /64.
		if a, err := netip.ParseAddr(got); err == nil {
			if !a.Is4() || a.String() != got {
				t.Fatalf("key %q is not a canonical IPv4 address", got)
			}
		} else if p, err := netip.ParsePrefix(got); err == nil {
			if !p.Addr().Is6() || p.Addr().Is4In6() || p.Bits() != 64 || p.Masked() != p || p.String() != got {
				t.Fatalf("key %q is not a canonical IPv6 /64", got)
			}
		} else if got != remote {
			t.Fatalf("key %q is neither an address, a /64, nor RemoteAddr %q", got, remote)
		}
		// Without trusted proxies the header is never read.
		r.Header.Set("X-Forwarded-For", "198.51.100.99")
		if a, b := limiter.ClientIP(r, nil), referenceClientIP(request(remote), nil); a != b {
			t.Fatalf("with no trusted proxies: %q, without the header: %q", a, b)
		}
	})
}
