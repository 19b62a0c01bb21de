//go:build linux

package probe

import (
	"encoding/binary"
	"net/netip"
	"syscall"
	"testing"
)

func answer(src netip.Addr, sport, dport uint16, ack uint32, flags byte) []byte {
	b := make([]byte, 40)
	b[0] = 0x45
	b[9] = 6
	s4 := src.As4()
	copy(b[12:16], s4[:])
	binary.BigEndian.PutUint16(b[20:], sport)
	binary.BigEndian.PutUint16(b[22:], dport)
	binary.BigEndian.PutUint32(b[28:], ack)
	b[33] = flags
	return b
}

func TestSynParseAnswer(t *testing.T) {
	s := &synScanner{srcPort: 45000}
	copy(s.secret[:], "12345678")
	a := netip.MustParseAddr("198.18.1.2")
	good := s.cookie(a, 18789) + 1
	cases := []struct {
		name       string
		pkt        []byte
		open, ok   bool
		wantSource uint16
	}{
		{"syn-ack", answer(a, 18789, 45000, good, 0x12), true, true, 18789},
		{"rst-ack", answer(a, 18789, 45000, good, 0x14), false, true, 18789},
		{"wrong ack", answer(a, 18789, 45000, good+1, 0x12), false, false, 0},
		{"other port", answer(a, 18789, 45001, good, 0x12), false, false, 0},
		{"cookie of another host", answer(netip.MustParseAddr("198.18.1.3"), 18789, 45000, good, 0x12), false, false, 0},
		{"bare ack", answer(a, 18789, 45000, good, 0x10), false, false, 0},
		{"truncated", answer(a, 18789, 45000, good, 0x12)[:30], false, false, 0},
		{"ipv6 version", append([]byte{0x60}, answer(a, 18789, 45000, good, 0x12)[1:]...), false, false, 0},
		{"empty", nil, false, false, 0},
	}
	for _, c := range cases {
		k, open, ok := s.parseAnswer(c.pkt)
		if ok != c.ok || open != c.open || (ok && (k.port != c.wantSource || k.addr != a)) {
			t.Errorf("%s: key %+v open %v ok %v", c.name, k, open, ok)
		}
	}
}

func FuzzSynParseAnswer(f *testing.F) {
	s := &synScanner{srcPort: 45000}
	f.Add(answer(netip.MustParseAddr("127.0.0.1"), 1, 45000, 1, 0x12))
	f.Add([]byte{0x4f, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = s.parseAnswer(b)
	})
}

func TestAttachFilter(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		t.Skip(err)
	}
	defer syscall.Close(fd)
	prog := []syscall.SockFilter{{Code: syscall.BPF_RET | syscall.BPF_K, K: 0xffff}}
	if err := attachFilter(fd, prog); err != nil {
		t.Fatalf("SO_ATTACH_FILTER: %v", err)
	}
	bad := []syscall.SockFilter{{Code: 0xffff}}
	if err := attachFilter(fd, bad); err == nil {
		t.Fatal("kernel accepted an invalid filter: the call is not reaching setsockopt")
	}
}
