package probetest

import (
	"encoding/binary"
	"net"
	"strings"
	"testing"
)

// StartMDNSResponder answers every query it receives on 127.0.0.1 with an
// _openclaw-gw._tcp advert (PTR, SRV, TXT, A) by unicast, like a gateway's
// Bonjour responder answering a one-shot query. It returns its address.
func StartMDNSResponder(t testing.TB, instance string, port int, txt []string) *net.UDPAddr {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	answer := mdnsAnswer(instance, port, txt)
	go func() {
		buf := make([]byte, 1500)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(answer, from)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr)
}

func name(b []byte, n string) []byte {
	for _, l := range strings.Split(strings.TrimSuffix(n, "."), ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

func mdnsAnswer(instance string, port int, txt []string) []byte {
	const svc = "_openclaw-gw._tcp.local."
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[2:], 0x8400)
	binary.BigEndian.PutUint16(b[6:], 4)
	rr := func(owner string, typ uint16, rdata []byte) {
		b = name(b, owner)
		b = binary.BigEndian.AppendUint16(b, typ)
		b = binary.BigEndian.AppendUint16(b, 0x8001)
		b = binary.BigEndian.AppendUint32(b, 120)
		b = binary.BigEndian.AppendUint16(b, uint16(len(rdata)))
		b = append(b, rdata...)
	}
	full := instance + "." + svc
	rr(svc, 12, name(nil, full))
	srv := binary.BigEndian.AppendUint16(nil, 0)
	srv = binary.BigEndian.AppendUint16(srv, 0)
	srv = binary.BigEndian.AppendUint16(srv, uint16(port))
	rr(full, 33, name(srv, "gw-host.local."))
	var t []byte
	for _, kv := range txt {
		t = append(t, byte(len(kv)))
		t = append(t, kv...)
	}
	rr(full, 16, t)
	rr("gw-host.local.", 1, []byte{127, 0, 0, 1})
	return b
}
