package probe

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/probe/probetest"
)

// The three sweep methods must find exactly the same open ports.
func TestSweepMethodsAgree(t *testing.T) {
	var open []int
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		open = append(open, ln.Addr().(*net.TCPAddr).Port)
	}
	sort.Ints(open)
	// Closed ports: listen and close again.
	var ports []int
	ports = append(ports, open...)
	for range 40 {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	}
	methods := []struct {
		name string
		sc   *Scanner
	}{
		{"connect", &Scanner{Prober: &Prober{Dial: (&net.Dialer{}).DialContext, Timeout: 300 * time.Millisecond}}},
		{"connect-epoll", &Scanner{Prober: &Prober{Timeout: 300 * time.Millisecond}, Method: "connect"}},
		{"syn", &Scanner{Prober: &Prober{Timeout: 300 * time.Millisecond}, Method: "syn"}},
	}
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			if m.name == "syn" && (runtime.GOOS != "linux" || os.Geteuid() != 0) {
				t.Skip("SYN sweep needs Linux and raw sockets (root)")
			}
			if m.name == "connect-epoll" && runtime.GOOS != "linux" {
				t.Skip("epoll sweep is Linux only")
			}
			set, err := ParseTargets(context.Background(), []string{"127.0.0.1"}, TargetOptions{Ports: ports})
			if err != nil {
				t.Fatal(err)
			}
			res, st, err := m.sc.Scan(context.Background(), set)
			if err != nil {
				t.Fatal(err)
			}
			if st.Method != m.name {
				t.Fatalf("method %q, want %q", st.Method, m.name)
			}
			var got []int
			for _, r := range res {
				got = append(got, r.Port)
			}
			if fmt.Sprint(got) != fmt.Sprint(open) {
				t.Fatalf("open ports %v, want %v", got, open)
			}
			if st.Endpoints != uint64(len(ports)) {
				t.Fatalf("endpoints %d", st.Endpoints)
			}
		})
	}
}

func TestSynPacketChecksum(t *testing.T) {
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	p := synPacket(src, dst, 40000, 18789, 0x01020304)
	// A segment with its checksum in place sums to zero (RFC 1071).
	if c := tcpChecksum(src, dst, p); c != 0 {
		t.Fatalf("checksum verification gives %#x, want 0", c)
	}
	if binary.BigEndian.Uint16(p[2:]) != 18789 || p[13] != 0x02 || p[12]>>4 != 6 {
		t.Fatalf("header %x", p)
	}
}

// IPv6 targets go through the connect sweep (the SYN sweep is IPv4 only)
// and are fingerprinted like any other.
func TestScanIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	srv := &http.Server{Handler: &probetest.FakeGateway{AuthOpen: true}, ReadHeaderTimeout: time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	set, err := ParseTargets(context.Background(), []string{fmt.Sprintf("[::1]:%d", port)}, TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, st, err := (&Scanner{Prober: &Prober{Timeout: time.Second}}).Scan(context.Background(), set)
	if err != nil {
		t.Fatal(err)
	}
	if st.Method == "syn" || len(res) != 1 || !res[0].IsGateway() || res[0].Auth != AuthOpen || res[0].Endpoint() != fmt.Sprintf("[::1]:%d", port) {
		t.Fatalf("method %s results %+v", st.Method, res)
	}
}
