package host

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Scope classifies a bound address by who can reach it.
type Scope string

// Address scopes.
const (
	ScopeLoopback Scope = "loopback"
	// ScopePrivate covers RFC 1918, IPv6 ULA (fc00::/7), link-local
	// (169.254/16, fe80::/10) and shared CGNAT space (100.64/10, used by
	// Tailscale): reachable from a local network, not the internet.
	ScopePrivate  Scope = "private"
	ScopePublic   Scope = "public"
	ScopeWildcard Scope = "wildcard"
	ScopeUnknown  Scope = "unknown"
)

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// AddrScope classifies an IP address string (IPv4, IPv6, v4-mapped IPv6,
// optionally bracketed, zone allowed). Unparseable input is ScopeUnknown.
func AddrScope(ip string) Scope {
	ip = strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ScopeUnknown
	}
	return addrScope(a)
}

func addrScope(a netip.Addr) Scope {
	a = a.Unmap()
	switch {
	case a.IsUnspecified():
		return ScopeWildcard
	case a.IsLoopback():
		return ScopeLoopback
	case a.IsPrivate(), a.IsLinkLocalUnicast(), a.Is4() && cgnat.Contains(a):
		return ScopePrivate
	}
	return ScopePublic
}

// tcpListen is the st column value of a listening socket.
const tcpListen = "0A"

// ParseProcNetTCP parses /proc/net/tcp or /proc/net/tcp6 content and
// returns its listening sockets (state 0A). proto is "tcp" or "tcp6" and
// only labels the result; the address width is taken from each line.
// Addresses are decoded in this machine's byte order, as the kernel
// writes them. Malformed lines are skipped and counted in the error.
func ParseProcNetTCP(data []byte, proto string) ([]Socket, error) {
	return parseProcNetTCP(bytes.NewReader(data), proto, binary.NativeEndian)
}

func parseProcNetTCP(rd io.Reader, proto string, order binary.ByteOrder) ([]Socket, error) {
	var out []Socket
	bad, firstBad := 0, 0
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for i := 0; sc.Scan(); i++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] == "sl" {
			continue
		}
		if len(f) < 10 || !strings.HasSuffix(f[0], ":") {
			bad++
			if firstBad == 0 {
				firstBad = i + 1
			}
			continue
		}
		if f[3] != tcpListen {
			continue
		}
		ip, port, err := decodeProcAddr(f[1], order)
		uid, err2 := strconv.Atoi(f[7])
		inode, err3 := strconv.ParseUint(f[9], 10, 64)
		if err != nil || err2 != nil || err3 != nil || uid < 0 {
			bad++
			if firstBad == 0 {
				firstBad = i + 1
			}
			continue
		}
		out = append(out, Socket{Proto: proto, IP: ip.String(), Port: port, UID: uid, Inode: inode, Scope: addrScope(ip)})
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read %s table: %w", proto, err)
	}
	if bad > 0 {
		return out, fmt.Errorf("%d malformed %s line(s), first at line %d", bad, proto, firstBad)
	}
	return out, nil
}

// decodeProcAddr decodes "0100007F:1F90" (IPv4) or a 32-hex-digit IPv6
// address. The kernel prints each 32-bit word of the address with %08X in
// host byte order, so every word's bytes are reversed on little-endian
// machines; the port is printed in host order as a number.
func decodeProcAddr(s string, order binary.ByteOrder) (netip.Addr, int, error) {
	hexAddr, hexPort, ok := strings.Cut(s, ":")
	if !ok || (len(hexAddr) != 8 && len(hexAddr) != 32) || len(hexPort) != 4 {
		return netip.Addr{}, 0, fmt.Errorf("bad address %q", s)
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("bad port %q", s)
	}
	var b [16]byte
	for w := 0; w < len(hexAddr)/8; w++ {
		v, err := strconv.ParseUint(hexAddr[w*8:w*8+8], 16, 32)
		if err != nil {
			return netip.Addr{}, 0, fmt.Errorf("bad address %q", s)
		}
		order.PutUint32(b[w*4:], uint32(v))
	}
	if len(hexAddr) == 8 {
		return netip.AddrFrom4([4]byte(b[:4])), int(port), nil
	}
	return netip.AddrFrom16(b), int(port), nil
}

// SocketsOf returns the listening sockets whose inode the process holds.
func (f *Facts) SocketsOf(p Process) []Socket {
	held := map[uint64]bool{}
	for _, in := range p.Inodes {
		held[in] = true
	}
	var out []Socket
	for _, s := range f.Sockets {
		if held[s.Inode] {
			out = append(out, s)
		}
	}
	return out
}

// ListeningOn returns the listening sockets bound to port.
func (f *Facts) ListeningOn(port int) []Socket {
	var out []Socket
	for _, s := range f.Sockets {
		if s.Port == port {
			out = append(out, s)
		}
	}
	return out
}
