package webhook

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// blocked are the networks a webhook may not reach: whatever is not the
// public internet. Besides the RFC 1918 and loopback ranges this covers
// the cloud metadata addresses (169.254.169.254, fd00:ec2::254), carrier
// NAT, and the IPv6 forms that embed or translate to an IPv4 address
// (checked through the embedded address where one can be read).
var blocked = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this" network; 0.0.0.0 reaches the host itself
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // carrier-grade NAT
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.88.99.0/24",  // 6to4 relay anycast
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"64:ff9b::/96",    // NAT64: checked as the embedded IPv4 below
		"64:ff9b:1::/48",  // local-use NAT64
		"100::/64",        // discard
		"2001::/32",       // Teredo
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4: checked as the embedded IPv4 below
		"fc00::/7",        // unique local (includes fd00:ec2::254)
		"fe80::/10",       // link-local
		"fec0::/10",       // site-local (deprecated)
		"ff00::/8",        // multicast
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixto4  = netip.MustParsePrefix("2002::/16")
	unicast = netip.MustParsePrefix("2000::/3")
)

// PublicAddr reports whether a webhook may be sent to ip: a global unicast
// address outside every internal, reserved or translating range.
func PublicAddr(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap() // ::ffff:10.0.0.1 is 10.0.0.1
	if ip.Zone() != "" {
		return false // a zone only makes sense on a local link
	}
	if ip.Is6() {
		// A public-looking NAT64 or 6to4 address may translate to an
		// internal IPv4 one; judge it by that.
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return PublicAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixto4.Contains(ip):
			return PublicAddr(netip.AddrFrom4([4]byte(b[2:6])))
		case !unicast.Contains(ip):
			return false // only 2000::/3 is assigned for global unicast
		}
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// Guard refuses to connect anywhere but the public internet, unless
// AllowPrivate is set (development, tests).
type Guard struct {
	AllowPrivate bool
}

// Control is a net.Dialer Control function: it runs after DNS resolution,
// on the very address about to be connected to, so a host name that
// resolved to a public address when the endpoint was saved but resolves
// inward now (DNS rebinding) is still refused. Errors: ErrForbiddenAddress.
func (g Guard) Control(network, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	if !strings.HasPrefix(network, "tcp") {
		return fmt.Errorf("%w: network %s", ErrForbiddenAddress, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrForbiddenAddress, address, err)
	}
	if !PublicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// maxURLLen bounds an endpoint URL.
const maxURLLen = 2048

// CheckURL validates an endpoint URL for owner and returns it normalised:
// an absolute http or https URL (https for live mode unless AllowPrivate),
// without credentials or fragment, whose host, or every address its name
// resolves to, is public. Errors: ErrInvalidURL, ErrInsecureURL,
// ErrForbiddenAddress, ErrUnresolvable.
func (g Guard) CheckURL(ctx context.Context, r Resolver, owner Owner, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxURLLen {
		return "", fmt.Errorf("%w: empty or longer than %d characters", ErrInvalidURL, maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%w: scheme must be http or https", ErrInvalidURL)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("%w: no host", ErrInvalidURL)
	case u.User != nil:
		return "", fmt.Errorf("%w: credentials in the url", ErrInvalidURL)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "", fmt.Errorf("%w: fragment in the url", ErrInvalidURL)
	case owner.Live() && u.Scheme != "https" && !g.AllowPrivate:
		return "", ErrInsecureURL
	}
	if p := u.Port(); p != "" {
		if n, err := net.LookupPort("tcp", p); err != nil || n <= 0 {
			return "", fmt.Errorf("%w: port %q", ErrInvalidURL, p)
		}
	}
	u.Host = strings.ToLower(u.Host)
	if g.AllowPrivate {
		return u.String(), nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !PublicAddr(ip) {
			return "", fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
		}
		return u.String(), nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return "", fmt.Errorf("%w: %s", ErrUnresolvable, host)
	}
	for _, ip := range ips {
		if !PublicAddr(ip) {
			return "", fmt.Errorf("%w: %s resolves to %s", ErrForbiddenAddress, host, ip)
		}
	}
	return u.String(), nil
}
