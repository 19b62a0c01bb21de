package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MDNSService is the DNS-SD type OpenClaw gateways advertise.
const MDNSService = "_openclaw-gw._tcp.local."

// MDNSAdvert is one gateway advertisement seen on the local link.
type MDNSAdvert struct {
	// Instance is the service instance name ("host (OpenClaw)").
	Instance string `json:"instance"`
	// From is the address the answer came from.
	From string `json:"from"`
	// Host and Port come from the SRV record.
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"`
	// Addrs are the A/AAAA records for Host.
	Addrs []string `json:"addrs,omitempty"`
	// TXT holds the key=value hints (role, gatewayPort, lanHost, and in
	// full mode cliPath, sshPort, tailnetDns).
	TXT map[string]string `json:"txt,omitempty"`
}

// Leaks lists the TXT keys only mDNS full mode publishes: they tell an
// attacker where the CLI lives and where SSH listens.
func (a *MDNSAdvert) Leaks() []string {
	var out []string
	for _, k := range []string{"cliPath", "sshPort", "tailnetDns"} {
		if _, ok := a.TXT[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// MDNSOptions control BrowseMDNS.
type MDNSOptions struct {
	// Wait is how long to collect answers (default 2s).
	Wait time.Duration
	// Dest is where the query goes (default 224.0.0.251:5353); tests
	// point it at a local responder.
	Dest *net.UDPAddr
	// Listen opens the socket (default an ephemeral UDP port on all
	// addresses, which makes responders answer by unicast: RFC 6762 §6.7).
	Listen func() (net.PacketConn, error)
}

// BrowseMDNS sends one query for MDNSService and collects the answers for
// opts.Wait. It only asks; it never announces anything.
func BrowseMDNS(ctx context.Context, opts MDNSOptions) ([]MDNSAdvert, error) {
	if opts.Wait <= 0 {
		opts.Wait = 2 * time.Second
	}
	if opts.Dest == nil {
		opts.Dest = &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251), Port: 5353}
	}
	listen := opts.Listen
	if listen == nil {
		listen = func() (net.PacketConn, error) { return net.ListenPacket("udp4", ":0") }
	}
	pc, err := listen()
	if err != nil {
		return nil, fmt.Errorf("mdns: %w", err)
	}
	defer pc.Close()
	if _, err := pc.WriteTo(mdnsQuery(MDNSService), opts.Dest); err != nil {
		return nil, fmt.Errorf("mdns query: %w", err)
	}
	deadline := time.Now().Add(opts.Wait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = pc.SetReadDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = pc.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	conns := []net.PacketConn{pc}
	if opts.Listen == nil && opts.Dest.IP.IsMulticast() {
		// Responders that ignore the unicast-response request answer to
		// the group: listen there too (shared port, SO_REUSEADDR).
		if mc, err := net.ListenMulticastUDP("udp4", nil, opts.Dest); err == nil {
			defer mc.Close()
			_ = mc.SetReadDeadline(deadline)
			stopMC := context.AfterFunc(ctx, func() { _ = mc.SetReadDeadline(time.Unix(1, 0)) })
			defer stopMC()
			conns = append(conns, mc)
		}
	}
	col := newMDNSCollector()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var readErr error
	for _, c := range conns {
		wg.Go(func() {
			buf := make([]byte, 9000)
			for {
				n, from, err := c.ReadFrom(buf)
				if err != nil {
					var ne net.Error
					if !(errors.As(err, &ne) && ne.Timeout()) {
						mu.Lock()
						readErr = fmt.Errorf("mdns read: %w", err)
						mu.Unlock()
					}
					return
				}
				msg, err := ParseDNSMessage(buf[:n])
				if err != nil {
					continue // not our business: garbage is dropped
				}
				mu.Lock()
				col.add(from.String(), msg)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return col.adverts(), readErr
}

// mdnsQuery builds a PTR question with the unicast-response bit.
func mdnsQuery(name string) []byte {
	b := make([]byte, 12, 64)
	binary.BigEndian.PutUint16(b[4:], 1) // one question
	b = appendName(b, name)
	b = binary.BigEndian.AppendUint16(b, dnsTypePTR)
	return binary.BigEndian.AppendUint16(b, 0x8001) // QU + class IN
}

func appendName(b []byte, name string) []byte {
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if l == "" || len(l) > 63 {
			continue
		}
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// DNS record types used here.
const (
	dnsTypeA    = 1
	dnsTypePTR  = 12
	dnsTypeTXT  = 16
	dnsTypeAAAA = 28
	dnsTypeSRV  = 33
)

// DNSRecord is one parsed resource record.
type DNSRecord struct {
	Name string
	Type uint16
	// Exactly one of these is set, by Type.
	Target string   // PTR, SRV
	Port   int      // SRV
	TXT    []string // TXT
	Addr   netip.Addr
}

// ParseDNSMessage parses the answer, authority and additional records of
// a DNS message. Names may use compression; loops, overlong names and
// truncated records are errors, never panics.
func ParseDNSMessage(b []byte) ([]DNSRecord, error) {
	if len(b) < 12 {
		return nil, errors.New("dns: short header")
	}
	qd := int(binary.BigEndian.Uint16(b[4:]))
	rr := int(binary.BigEndian.Uint16(b[6:])) + int(binary.BigEndian.Uint16(b[8:])) + int(binary.BigEndian.Uint16(b[10:]))
	off := 12
	for range qd {
		_, n, err := readName(b, off)
		if err != nil {
			return nil, err
		}
		off = n + 4
		if off > len(b) {
			return nil, errors.New("dns: truncated question")
		}
	}
	var out []DNSRecord
	for range rr {
		name, n, err := readName(b, off)
		if err != nil {
			return out, err
		}
		if n+10 > len(b) {
			return out, errors.New("dns: truncated record")
		}
		typ := binary.BigEndian.Uint16(b[n:])
		rdlen := int(binary.BigEndian.Uint16(b[n+8:]))
		start := n + 10
		end := start + rdlen
		if end > len(b) {
			return out, errors.New("dns: truncated rdata")
		}
		rec := DNSRecord{Name: name, Type: typ}
		switch typ {
		case dnsTypePTR:
			rec.Target, _, err = readName(b, start)
		case dnsTypeSRV:
			if rdlen < 7 {
				return out, errors.New("dns: short SRV")
			}
			rec.Port = int(binary.BigEndian.Uint16(b[start+4:]))
			rec.Target, _, err = readName(b, start+6)
		case dnsTypeTXT:
			for i := start; i < end; {
				l := int(b[i])
				if i+1+l > end {
					return out, errors.New("dns: bad TXT string")
				}
				rec.TXT = append(rec.TXT, string(b[i+1:i+1+l]))
				i += 1 + l
			}
		case dnsTypeA:
			if rdlen == 4 {
				rec.Addr = netip.AddrFrom4([4]byte(b[start:end]))
			}
		case dnsTypeAAAA:
			if rdlen == 16 {
				rec.Addr = netip.AddrFrom16([16]byte(b[start:end]))
			}
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
		off = end
	}
	return out, nil
}

// readName decodes a possibly compressed name at off and returns it with
// the offset just past it (in the original, uncompressed position).
func readName(b []byte, off int) (string, int, error) {
	var labels []string
	next := -1
	total := 0
	for jumps := 0; ; {
		if off >= len(b) {
			return "", 0, errors.New("dns: name past end")
		}
		l := int(b[off])
		switch {
		case l == 0:
			if next < 0 {
				next = off + 1
			}
			return strings.Join(labels, ".") + ".", next, nil
		case l&0xc0 == 0xc0:
			if off+1 >= len(b) {
				return "", 0, errors.New("dns: truncated pointer")
			}
			if jumps++; jumps > 32 {
				return "", 0, errors.New("dns: compression loop")
			}
			if next < 0 {
				next = off + 2
			}
			off = int(binary.BigEndian.Uint16(b[off:]) & 0x3fff)
		case l&0xc0 != 0:
			return "", 0, errors.New("dns: bad label type")
		default:
			if off+1+l > len(b) {
				return "", 0, errors.New("dns: label past end")
			}
			if total += l + 1; total > 255 {
				return "", 0, errors.New("dns: name too long")
			}
			labels = append(labels, string(b[off+1:off+1+l]))
			off += 1 + l
		}
	}
}

type mdnsCollector struct {
	byInstance map[string]*MDNSAdvert
	hostAddrs  map[string][]string
}

func newMDNSCollector() *mdnsCollector {
	return &mdnsCollector{byInstance: map[string]*MDNSAdvert{}, hostAddrs: map[string][]string{}}
}

func (c *mdnsCollector) get(name, from string) *MDNSAdvert {
	a := c.byInstance[name]
	if a == nil {
		a = &MDNSAdvert{Instance: strings.TrimSuffix(strings.TrimSuffix(name, "."+MDNSService), "."), From: from, TXT: map[string]string{}}
		c.byInstance[name] = a
	}
	return a
}

func (c *mdnsCollector) add(from string, recs []DNSRecord) {
	if h, _, err := net.SplitHostPort(from); err == nil {
		from = h
	}
	for _, r := range recs {
		switch r.Type {
		case dnsTypePTR:
			if strings.EqualFold(r.Name, MDNSService) && strings.HasSuffix(strings.ToLower(r.Target), MDNSService) {
				c.get(r.Target, from)
			}
		case dnsTypeSRV:
			if strings.HasSuffix(strings.ToLower(r.Name), MDNSService) {
				a := c.get(r.Name, from)
				a.Host, a.Port = oneLine(r.Target), r.Port
			}
		case dnsTypeTXT:
			if strings.HasSuffix(strings.ToLower(r.Name), MDNSService) {
				a := c.get(r.Name, from)
				for _, kv := range r.TXT {
					k, v, _ := strings.Cut(kv, "=")
					if k != "" && len(a.TXT) < 32 {
						a.TXT[oneLine(k)] = oneLine(v)
					}
				}
			}
		case dnsTypeA, dnsTypeAAAA:
			if r.Addr.IsValid() {
				c.hostAddrs[strings.ToLower(r.Name)] = append(c.hostAddrs[strings.ToLower(r.Name)], r.Addr.String())
			}
		}
	}
}

func (c *mdnsCollector) adverts() []MDNSAdvert {
	var out []MDNSAdvert
	for _, a := range c.byInstance {
		seen := map[string]bool{}
		for _, ip := range c.hostAddrs[strings.ToLower(a.Host)] {
			if !seen[ip] {
				seen[ip] = true
				a.Addrs = append(a.Addrs, ip)
			}
		}
		sort.Strings(a.Addrs)
		if a.Port == 0 {
			if p, err := strconv.Atoi(a.TXT["gatewayPort"]); err == nil && p > 0 && p < 65536 {
				a.Port = p
			}
		}
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].Instance < out[j].Instance
	})
	return out
}
