package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math/bits"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Default ports: the gateway default and the --dev port.
var DefaultPorts = []int{18789, 19001}

// ProfilePortRange is where named profiles put their gateway (an FNV-1a
// hash of the profile name into 20000-59999).
const (
	ProfilePortFirst = 20000
	ProfilePortLast  = 59999
)

// Limits on target expansion. Above ConfirmHosts the caller must confirm
// (--yes); above MaxHosts nothing is scanned at all: that is a sweep of
// the internet, not of a network someone is responsible for.
const (
	ConfirmHosts = 65536
	MaxHosts     = 1 << 24
)

// ErrNeedsConfirmation means the targets expand beyond ConfirmHosts.
var ErrNeedsConfirmation = errors.New("needs confirmation")

// Resolver looks up hostnames.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// TargetOptions control ParseTargets.
type TargetOptions struct {
	// Ports apply to every target without its own port; nil = DefaultPorts.
	Ports []int
	// Exclude lists addresses, CIDRs, ranges or host:port to skip.
	Exclude []string
	// Confirmed lifts the ConfirmHosts limit (never MaxHosts).
	Confirmed bool
	// Resolver resolves hostnames; nil uses net.DefaultResolver.
	Resolver Resolver
}

// hostRange is a run of consecutive addresses sharing a name and ports.
type hostRange struct {
	first netip.Addr
	count uint64
	name  string
	ports []int
}

// TargetSet is an expanded, validated list of endpoints, iterated lazily
// so a large range costs no memory up front.
type TargetSet struct {
	ranges   []hostRange
	excl     []hostRange // ports nil = every port
	hosts    uint64
	estimate uint64
}

// Endpoint is one address and port to scan.
type Endpoint struct {
	Addr netip.Addr
	Port int
	// Host is the name the user gave ("" for IP targets).
	Host string
}

// Hosts is the number of addresses before exclusions.
func (t *TargetSet) Hosts() uint64 { return t.hosts }

// Size is the number of endpoints before exclusions (an upper bound for
// progress reporting).
func (t *TargetSet) Size() uint64 { return t.estimate }

// ParsePorts reads "18789,19001,20000-20010". Ports are 1-65535, sorted
// and de-duplicated.
func ParsePorts(s string) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parsePort(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parsePort(hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("port range %q is reversed", part)
			}
		}
		for p := a; p <= b; p++ {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no ports in %q", s)
	}
	sort.Ints(out)
	return out, nil
}

func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("invalid port %q (want 1-65535)", s)
	}
	return n, nil
}

// ParseTargets expands target specs: an IP, a CIDR (10.0.0.0/24,
// fd00::/120), a range (10.0.0.1-10.0.0.9 or 10.0.0.1-9), a hostname, or
// any of those (but a CIDR or range) with :port ([v6]:port for IPv6).
func ParseTargets(ctx context.Context, specs []string, o TargetOptions) (*TargetSet, error) {
	ports := o.Ports
	if ports == nil {
		ports = DefaultPorts
	}
	res := o.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	t := &TargetSet{}
	for _, spec := range specs {
		rs, err := parseSpec(ctx, spec, ports, res)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			t.hosts += r.count
			if t.hosts > MaxHosts {
				return nil, fmt.Errorf("targets expand to more than %d addresses; clawgov sweeps at most that many (an IPv4 /8 or IPv6 /104)", MaxHosts)
			}
			t.estimate += r.count * uint64(len(r.ports))
			t.ranges = append(t.ranges, r)
		}
	}
	if len(t.ranges) == 0 {
		return nil, errors.New("no targets given")
	}
	for _, spec := range o.Exclude {
		rs, err := parseSpec(ctx, spec, nil, res)
		if err != nil {
			return nil, fmt.Errorf("exclude: %w", err)
		}
		t.excl = append(t.excl, rs...)
	}
	if t.hosts > ConfirmHosts && !o.Confirmed {
		return nil, fmt.Errorf("%w: targets expand to %d addresses (more than %d); re-run with --yes if you are authorised to scan all of them", ErrNeedsConfirmation, t.hosts, ConfirmHosts)
	}
	return t, nil
}

func parseSpec(ctx context.Context, spec string, defPorts []int, res Resolver) ([]hostRange, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, fmt.Errorf("empty target")
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f || strings.ContainsRune(`\?#@"'<>`, c) {
			return nil, fmt.Errorf("invalid target %q (unexpected character %q)", spec, c)
		}
	}
	// CIDR.
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("invalid CIDR %q: %v", spec, cleanErr(err))
		}
		p = p.Masked()
		hostBits := p.Addr().BitLen() - p.Bits()
		if hostBits > 24 {
			return nil, fmt.Errorf("CIDR %q has 2^%d addresses; clawgov sweeps at most %d (an IPv4 /8 or IPv6 /104)", spec, hostBits, MaxHosts)
		}
		return []hostRange{{first: p.Addr(), count: 1 << hostBits, ports: defPorts}}, nil
	}
	// Range a-b or a-N (last octet / last group).
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		if a, err := netip.ParseAddr(lo); err == nil {
			return parseRange(spec, a, hi, defPorts)
		}
	}
	// Plain IP (IPv6 possibly bracketed without port).
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil && !strings.Contains(a.String(), "%") {
		return []hostRange{{first: a.Unmap(), count: 1, ports: defPorts}}, nil
	}
	// host:port or [v6]:port.
	host, portStr, err := net.SplitHostPort(s)
	ports := defPorts
	if err == nil {
		p, perr := parsePort(portStr)
		if perr != nil {
			return nil, fmt.Errorf("target %q: %v", spec, perr)
		}
		ports = []int{p}
	} else {
		host = s
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return nil, fmt.Errorf("target %q: zoned IPv6 addresses are not supported", spec)
		}
		return []hostRange{{first: a.Unmap(), count: 1, ports: ports}}, nil
	}
	if !validHostname(host) {
		return nil, fmt.Errorf("invalid target %q (want an IP, CIDR, range, hostname or host:port)", spec)
	}
	addrs, err := res.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %v", host, cleanErr(err))
	}
	seen := map[netip.Addr]bool{}
	var out []hostRange
	for _, a := range addrs {
		a = a.Unmap().WithZone("")
		if seen[a] {
			continue
		}
		seen[a] = true
		out = append(out, hostRange{first: a, count: 1, name: host, ports: ports})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	return out, nil
}

func parseRange(spec string, a netip.Addr, hi string, ports []int) ([]hostRange, error) {
	if a.Zone() != "" {
		return nil, fmt.Errorf("range %q: zoned IPv6 addresses are not supported", spec)
	}
	a = a.Unmap()
	var b netip.Addr
	if x, err := netip.ParseAddr(hi); err == nil {
		b = x.Unmap()
	} else {
		// Short form: the last octet (IPv4) or last group (IPv6).
		if a.Is4() {
			n, err := strconv.Atoi(hi)
			if err != nil || n < 0 || n > 255 {
				return nil, fmt.Errorf("invalid range %q", spec)
			}
			v := a.As4()
			v[3] = byte(n)
			b = netip.AddrFrom4(v)
		} else {
			n, err := strconv.ParseUint(hi, 16, 16)
			if err != nil {
				return nil, fmt.Errorf("invalid range %q", spec)
			}
			v := a.As16()
			binary.BigEndian.PutUint16(v[14:], uint16(n))
			b = netip.AddrFrom16(v)
		}
	}
	if a.Is4() != b.Is4() {
		return nil, fmt.Errorf("range %q mixes IPv4 and IPv6", spec)
	}
	if b.Less(a) {
		return nil, fmt.Errorf("range %q is reversed", spec)
	}
	n, ok := span(a, b)
	if !ok || n > MaxHosts {
		return nil, fmt.Errorf("range %q has more than %d addresses; clawgov sweeps at most that many", spec, MaxHosts)
	}
	return []hostRange{{first: a, count: n, ports: ports}}, nil
}

// span is the number of addresses from a to b inclusive; ok is false when
// it does not fit in 63 bits.
func span(a, b netip.Addr) (uint64, bool) {
	x, y := a.As16(), b.As16()
	xh, xl := binary.BigEndian.Uint64(x[:8]), binary.BigEndian.Uint64(x[8:])
	yh, yl := binary.BigEndian.Uint64(y[:8]), binary.BigEndian.Uint64(y[8:])
	lo, borrow := bits.Sub64(yl, xl, 0)
	hi, _ := bits.Sub64(yh, xh, borrow)
	if hi != 0 || lo >= 1<<62 {
		return 0, false
	}
	return lo + 1, true
}

func validHostname(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func cleanErr(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func (r *hostRange) contains(a netip.Addr) bool {
	if a.Is4() != r.first.Is4() || a.Less(r.first) {
		return false
	}
	n, ok := span(r.first, a)
	return ok && n <= r.count
}

func (t *TargetSet) excluded(a netip.Addr, port int) bool {
	for i := range t.excl {
		e := &t.excl[i]
		if e.contains(a) && (e.ports == nil || containsInt(e.ports, port)) {
			return true
		}
	}
	return false
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// AllIPv4 reports whether every target address is IPv4.
func (t *TargetSet) AllIPv4() bool {
	for _, r := range t.ranges {
		if !r.first.Is4() {
			return false
		}
	}
	return true
}

// All is Each as an iterator.
func (t *TargetSet) All() iter.Seq[Endpoint] {
	return func(yield func(Endpoint) bool) { t.Each(yield) }
}

// excludedRun returns how many addresses from a on are excluded for every
// port (0 when a is not).
func (t *TargetSet) excludedRun(a netip.Addr) uint64 {
	var best uint64
	for i := range t.excl {
		e := &t.excl[i]
		if e.ports != nil || !e.contains(a) {
			continue
		}
		before, _ := span(e.first, a) // a's 1-based index in e
		if n := e.count - before + 1; n > best {
			best = n
		}
	}
	return best
}

// addN returns a+n (n fits the address family by construction: it never
// leaves a range that was validated).
func addN(a netip.Addr, n uint64) netip.Addr {
	b := a.As16()
	lo := binary.BigEndian.Uint64(b[8:])
	hi := binary.BigEndian.Uint64(b[:8])
	lo, carry := bits.Add64(lo, n, 0)
	hi += carry
	binary.BigEndian.PutUint64(b[8:], lo)
	binary.BigEndian.PutUint64(b[:8], hi)
	out := netip.AddrFrom16(b)
	if a.Is4() {
		return out.Unmap()
	}
	return out
}

// dedupeLimit bounds the memory spent removing duplicate endpoints that
// overlapping specs produce; bigger sets are scanned as given.
const dedupeLimit = 1 << 20

// Each calls fn for every endpoint in spec order (addresses ascending
// within a spec, ports ascending per address), skipping exclusions and, for
// sets up to dedupeLimit endpoints, duplicates. It stops when fn returns
// false.
func (t *TargetSet) Each(fn func(Endpoint) bool) {
	type key struct {
		a    netip.Addr
		port int
		name string
	}
	var seen map[key]struct{}
	if t.estimate <= dedupeLimit && len(t.ranges) > 1 {
		seen = make(map[key]struct{}, t.estimate)
	}
	for _, r := range t.ranges {
		a := r.first
		for i := uint64(0); i < r.count; i++ {
			// Jump over a whole excluded block at once: excluding a /8
			// from a /8 must not walk 16M addresses.
			if n := t.excludedRun(a); n > 0 {
				if n >= r.count-i {
					break
				}
				i += n - 1
				a = addN(a, n)
				continue
			}
			for _, p := range r.ports {
				if t.excluded(a, p) {
					continue
				}
				if seen != nil {
					k := key{a, p, r.name}
					if _, dup := seen[k]; dup {
						continue
					}
					seen[k] = struct{}{}
				}
				if !fn(Endpoint{Addr: a, Port: p, Host: r.name}) {
					return
				}
			}
			a = a.Next()
			if !a.IsValid() {
				break
			}
		}
	}
}
