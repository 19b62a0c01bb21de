package host

import (
	"net"
	"os"
	"testing"
)

// The sock_diag path must see exactly the listeners /proc/net/tcp{,6}
// shows; a listener opened by the test is the fixed point both must agree
// on (other processes may open and close sockets meanwhile).
func TestNetlinkListenersAgreeWithProc(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skipf("no /proc/net/tcp: %v", err)
	}
	ln4, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln4.Close()
	ln6, err6 := net.Listen("tcp6", "[::1]:0")
	if err6 == nil {
		defer ln6.Close()
	}
	nl, err := netlinkListeners()
	if err != nil {
		t.Skipf("sock_diag unavailable here: %v", err)
	}
	var fromProc []Socket
	for _, proto := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile("/proc/net/" + proto)
		if err != nil {
			continue
		}
		ss, err := ParseProcNetTCP(b, proto)
		if err != nil {
			t.Fatal(err)
		}
		fromProc = append(fromProc, ss...)
	}
	find := func(list []Socket, proto, ip string, port int) *Socket {
		for i := range list {
			if list[i].Proto == proto && list[i].IP == ip && list[i].Port == port {
				return &list[i]
			}
		}
		return nil
	}
	check := func(proto, ip string, port int) {
		a, b := find(nl, proto, ip, port), find(fromProc, proto, ip, port)
		if a == nil || b == nil {
			t.Fatalf("%s %s:%d: netlink %v, /proc %v", proto, ip, port, a, b)
		}
		if a.Inode != b.Inode || a.UID != b.UID || a.Scope != b.Scope {
			t.Fatalf("netlink %+v differs from /proc %+v", *a, *b)
		}
	}
	check("tcp", "127.0.0.1", ln4.Addr().(*net.TCPAddr).Port)
	if err6 == nil {
		check("tcp6", "::1", ln6.Addr().(*net.TCPAddr).Port)
	}
	for _, s := range nl {
		if s.Inode == 0 || s.Port == 0 {
			t.Errorf("implausible listener from sock_diag: %+v", s)
		}
	}
}

func TestParseInetDiagMsgRejectsShortAndNonListen(t *testing.T) {
	if _, ok := parseInetDiagMsg(make([]byte, 10), "tcp"); ok {
		t.Fatal("short message accepted")
	}
	m := make([]byte, inetDiagMsgLen)
	m[0], m[1] = 2, 1 // AF_INET, ESTABLISHED
	if _, ok := parseInetDiagMsg(m, "tcp"); ok {
		t.Fatal("non-listening socket accepted")
	}
	m[1] = tcpStateListen
	m[4], m[5] = 0x49, 0x65 // port 18789
	s, ok := parseInetDiagMsg(m, "tcp")
	if !ok || s.Port != 18789 || s.IP != "0.0.0.0" || s.Scope != ScopeWildcard {
		t.Fatalf("got %+v %v", s, ok)
	}
}
