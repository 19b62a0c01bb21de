package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Target is a request destination after normalisation: what the policy is
// matched against and what the proxy dials.
type Target struct {
	// Scheme is "http" for a forwarded request and "connect" for a tunnel.
	Scheme string
	// Host is lower-case ASCII (punycode), without a trailing dot; an IP
	// literal is in netip's canonical form without brackets.
	Host string
	Port int
	// Path is the request path (plain HTTP only, "" for tunnels).
	Path string
	// IP is set when Host is an IP literal.
	IP netip.Addr
}

// Authority is host:port with IPv6 brackets, as a dialer wants it.
func (t Target) Authority() string {
	return hostPort(t.Host, t.Port)
}

func hostPort(h string, port int) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]:" + strconv.Itoa(port)
	}
	return h + ":" + strconv.Itoa(port)
}

// lookup is the IDNA profile for names on the wire: UTS #46 mapping
// (case folding, full-width dots), strict STD3 rules, bidi and joiner
// checks, so "EXAMPLE.com", "ｅｘａｍｐｌｅ.com" and "bücher.example" all
// reach one canonical ASCII form and anything that is not a host name
// fails instead of slipping through as an odd string.
var lookup = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.StrictDomainName(true),
	idna.VerifyDNSLength(true),
	idna.Transitional(false),
)

// ErrBadHost is wrapped by every host normalisation error.
var ErrBadHost = errors.New("bad host")

// NormalizeHost returns the canonical form of a host as the policy keys
// it: IP literals (bracketed or not) in netip form, names lower-case
// punycode with one trailing dot removed. Zone IDs, empty labels and
// anything IDNA rejects are errors.
func NormalizeHost(h string) (string, error) {
	if h == "" {
		return "", fmt.Errorf("%w: empty", ErrBadHost)
	}
	if len(h) > 255 {
		return "", fmt.Errorf("%w: longer than 255 bytes", ErrBadHost)
	}
	if !utf8.ValidString(h) {
		return "", fmt.Errorf("%w: not UTF-8", ErrBadHost)
	}
	raw := h
	if strings.HasPrefix(h, "[") {
		if !strings.HasSuffix(h, "]") {
			return "", fmt.Errorf("%w: %q: unclosed bracket", ErrBadHost, raw)
		}
		h = h[1 : len(h)-1]
		ip, err := netip.ParseAddr(h)
		if err != nil || !ip.Is6() {
			return "", fmt.Errorf("%w: %q: not an IPv6 literal", ErrBadHost, raw)
		}
	}
	if strings.ContainsAny(h, "%@/\\?# \t\r\n") {
		return "", fmt.Errorf("%w: %q: forbidden character", ErrBadHost, raw)
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.Zone() != "" {
			return "", fmt.Errorf("%w: %q: zone identifier", ErrBadHost, raw)
		}
		return ip.Unmap().String(), nil
	}
	if strings.Contains(h, ":") {
		return "", fmt.Errorf("%w: %q: colon in a host name", ErrBadHost, raw)
	}
	h = strings.TrimSuffix(h, ".")
	if h == "" || strings.HasSuffix(h, ".") {
		return "", fmt.Errorf("%w: %q: empty label", ErrBadHost, raw)
	}
	a, err := lookup.ToASCII(h)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrBadHost, raw, err)
	}
	a = strings.ToLower(a)
	// The ASCII form must itself be valid: a punycode label that decodes
	// to something IDNA refuses would otherwise be a second spelling.
	if again, err := lookup.ToASCII(a); err != nil || again != a {
		return "", fmt.Errorf("%w: %q: not a canonical IDNA name", ErrBadHost, raw)
	}
	// Names that inet_aton would read as IPv4 ("0x7f.1", "2130706433",
	// "127.1") must never be treated as names: a resolver or a later
	// client may turn them into loopback.
	if looksNumeric(a) {
		return "", fmt.Errorf("%w: %q: numeric host that is not a dotted-quad IPv4 address", ErrBadHost, raw)
	}
	return a, nil
}

// looksNumeric reports whether the last label is all digits or hex
// (0x...), which no real TLD is and which libc parsers take as a number.
func looksNumeric(h string) bool {
	last := h
	if i := strings.LastIndexByte(h, '.'); i >= 0 {
		last = h[i+1:]
	}
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") {
		return true
	}
	for _, c := range last {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ParseConnect parses a CONNECT request target (authority-form
// "host:port"; the port is required, userinfo is not allowed).
func ParseConnect(authority string) (Target, error) {
	if strings.Contains(authority, "@") {
		return Target{}, fmt.Errorf("CONNECT %q: userinfo is not allowed", authority)
	}
	h, p, err := splitHostPort(authority)
	if err != nil {
		return Target{}, fmt.Errorf("CONNECT %q: %w", authority, err)
	}
	if p == "" {
		return Target{}, fmt.Errorf("CONNECT %q: port required", authority)
	}
	return build("connect", h, p, "", authority)
}

// ParseAbsolute parses a forwarded request's absolute-form target
// ("http://host[:port]/path") and checks the Host header against it.
// Userinfo is refused outright: "http://allowed.example@evil.example/"
// is the classic trick that makes a naive matcher see the wrong host.
// A Host header naming another authority is refused too, so an upstream
// that routes by Host cannot be pointed at a site the policy never saw.
func ParseAbsolute(requestURI, hostHeader string) (Target, error) {
	if len(requestURI) > 8192 {
		return Target{}, errors.New("request target longer than 8192 bytes")
	}
	u, err := url.Parse(requestURI)
	if err != nil {
		return Target{}, fmt.Errorf("request target: %w", err)
	}
	if !u.IsAbs() || u.Opaque != "" {
		return Target{}, fmt.Errorf("request target %q: a proxy needs an absolute http:// URL (use CONNECT for https)", clip(requestURI))
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" {
		return Target{}, fmt.Errorf("request target %q: scheme %s is not forwarded (use CONNECT for https, ws and wss)", clip(requestURI), scheme)
	}
	if u.User != nil || strings.Contains(u.Host, "@") {
		return Target{}, fmt.Errorf("request target %q: userinfo is not allowed", clip(requestURI))
	}
	h, p, err := splitHostPort(u.Host)
	if err != nil {
		return Target{}, fmt.Errorf("request target %q: %w", clip(requestURI), err)
	}
	if p == "" {
		p = "80"
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	t, err := build("http", h, p, path, requestURI)
	if err != nil {
		return Target{}, err
	}
	if hostHeader != "" {
		hh, hp, err := splitHostPort(hostHeader)
		if err != nil {
			return Target{}, fmt.Errorf("request Host header %q: %w", clip(hostHeader), err)
		}
		if hp == "" {
			hp = "80"
		}
		nh, err := NormalizeHost(hh)
		if err != nil || nh != t.Host || hp != strconv.Itoa(t.Port) {
			return Target{}, fmt.Errorf("request Host header %q does not match request target %s", clip(hostHeader), t.Authority())
		}
	}
	return t, nil
}

func build(scheme, h, p, path, raw string) (Target, error) {
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 || p[0] == '0' || p[0] == '+' {
		return Target{}, fmt.Errorf("%q: bad port %q", clip(raw), p)
	}
	nh, err := NormalizeHost(h)
	if err != nil {
		return Target{}, err
	}
	t := Target{Scheme: scheme, Host: nh, Port: port, Path: path}
	if ip, err := netip.ParseAddr(nh); err == nil {
		t.IP = ip
	}
	return t, nil
}

// splitHostPort splits "host", "host:port", "[v6]" and "[v6]:port"; the
// port is "" when absent. Bare IPv6 without brackets is refused because
// its last group cannot be told from a port.
func splitHostPort(s string) (host, port string, err error) {
	if s == "" {
		return "", "", errors.New("empty authority")
	}
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", errors.New("unclosed IPv6 bracket")
		}
		host, rest := s[:end+1], s[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' || len(rest) == 1 {
			return "", "", errors.New("junk after IPv6 literal")
		}
		return host, rest[1:], nil
	}
	switch strings.Count(s, ":") {
	case 0:
		return s, "", nil
	case 1:
		i := strings.IndexByte(s, ':')
		if i == len(s)-1 {
			return "", "", errors.New("empty port")
		}
		return s[:i], s[i+1:], nil
	}
	return "", "", errors.New("IPv6 literal without brackets")
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
