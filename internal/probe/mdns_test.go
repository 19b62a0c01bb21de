package probe

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"
)

// mdnsAnswer builds a response like ciao's for one gateway, using name
// compression the way real responders do.
func mdnsAnswer(instance string, port int, txt []string, ip [4]byte) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[2:], 0x8400)
	binary.BigEndian.PutUint16(b[6:], 4)
	svcOff := len(b)
	b = appendName(b, MDNSService)
	rr := func(nameBytes []byte, typ uint16, rdata []byte) {
		b = append(b, nameBytes...)
		b = binary.BigEndian.AppendUint16(b, typ)
		b = binary.BigEndian.AppendUint16(b, 0x8001)
		b = binary.BigEndian.AppendUint32(b, 120)
		b = binary.BigEndian.AppendUint16(b, uint16(len(rdata)))
		b = append(b, rdata...)
	}
	ptr := func(off int) []byte { return []byte{0xc0 | byte(off>>8), byte(off)} }
	// PTR _openclaw-gw._tcp.local -> <instance>.<svc> (compressed)
	b = binary.BigEndian.AppendUint16(b, dnsTypePTR)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint32(b, 120)
	inst := append([]byte{byte(len(instance))}, instance...)
	inst = append(inst, ptr(svcOff)...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(inst)))
	instOff := len(b)
	b = append(b, inst...)
	srv := binary.BigEndian.AppendUint16(nil, 0)
	srv = binary.BigEndian.AppendUint16(srv, 0)
	srv = binary.BigEndian.AppendUint16(srv, uint16(port))
	srv = appendName(srv, "gw-host.local.")
	rr(ptr(instOff), dnsTypeSRV, srv)
	var t []byte
	for _, kv := range txt {
		t = append(t, byte(len(kv)))
		t = append(t, kv...)
	}
	rr(ptr(instOff), dnsTypeTXT, t)
	rr(appendName(nil, "gw-host.local."), dnsTypeA, ip[:])
	return b
}

func TestBrowseMDNS(t *testing.T) {
	resp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	gotQuery := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 1500)
		n, from, err := resp.ReadFrom(buf)
		if err != nil {
			return
		}
		gotQuery <- append([]byte(nil), buf[:n]...)
		resp.WriteTo([]byte("garbage that is not DNS"), from)
		resp.WriteTo(mdnsAnswer("lab (OpenClaw)", 18789, []string{"role=gateway", "gatewayPort=18789", "lanHost=gw-host.local", "transport=gateway", "cliPath=/usr/lib/node_modules/openclaw/dist/entry.js", "sshPort=22"}, [4]byte{198, 18, 0, 7}), from)
		resp.WriteTo(mdnsAnswer("quiet (OpenClaw)", 19001, []string{"role=gateway", "gatewayPort=19001"}, [4]byte{198, 18, 0, 8}), from)
	}()
	ads, err := BrowseMDNS(context.Background(), MDNSOptions{
		Wait:   500 * time.Millisecond,
		Dest:   resp.LocalAddr().(*net.UDPAddr),
		Listen: func() (net.PacketConn, error) { return net.ListenPacket("udp4", "127.0.0.1:0") },
	})
	if err != nil {
		t.Fatal(err)
	}
	q := <-gotQuery
	if !strings.Contains(string(q), "_openclaw-gw") || binary.BigEndian.Uint16(q[len(q)-2:]) != 0x8001 {
		t.Fatalf("query %q", q)
	}
	if len(ads) != 2 {
		t.Fatalf("adverts %+v", ads)
	}
	lab := ads[0]
	if lab.Instance != "lab (OpenClaw)" || lab.Port != 18789 || lab.Host != "gw-host.local." || lab.TXT["lanHost"] != "gw-host.local" || len(lab.Addrs) == 0 {
		t.Fatalf("advert %+v", lab)
	}
	fs := MDNSFindings(ads)
	if len(fs) != 1 || fs[0].Params["keys"] != "cliPath, sshPort" || fs[0].Params["instance"] != "lab (OpenClaw)" {
		t.Fatalf("findings %+v", fs)
	}
}

func TestParseDNSMessageRejectsLoops(t *testing.T) {
	// A name that points at itself.
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[6:], 1)
	b = append(b, 0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 0, 0, 0)
	if _, err := ParseDNSMessage(b); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Fatalf("err %v", err)
	}
}

func FuzzParseDNSMessage(f *testing.F) {
	f.Add(mdnsAnswer("x (OpenClaw)", 18789, []string{"role=gateway", "cliPath=/x"}, [4]byte{10, 0, 0, 1}))
	f.Add(mdnsQuery(MDNSService))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, _ := ParseDNSMessage(b)
		c := newMDNSCollector()
		c.add("127.0.0.1:5353", recs)
		for _, a := range c.adverts() {
			for k, v := range a.TXT {
				if strings.ContainsAny(k+v, "\r\n") {
					t.Fatalf("control characters kept in TXT %q=%q", k, v)
				}
			}
		}
	})
}
