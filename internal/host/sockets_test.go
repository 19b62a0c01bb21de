package host

import (
	"encoding/binary"
	"strings"
	"testing"
)

// Lines captured from /proc/net/tcp and /proc/net/tcp6 of a little-endian
// (x86-64) Linux host running OpenClaw gateways.
const procTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1671 1 0000000000b601f2 100 0 0 10 0                      
   1: 0100007F:7084 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 26933 1 000000005aaeb295 100 0 0 10 0                     
   2: 0A00A8C0:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 100 0 0 10 0
   3: 0100007F:7084 0100007F:D5A2 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 20 4 30 10 -1
   4: 08080808:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
`

const procTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:7084 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 26934 1 000000009ee73a6b 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:BB8B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 50315 1 0000000076b6da7f 100 0 0 10 0
   2: 00000000000000000000000000000000:4965 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 9001 1 0000000000000000 100 0 0 10 0
   3: B80D0120000000000000000001000000:4965 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9002 1 0000000000000000 100 0 0 10 0
   4: 000080FE00000000FF0000000200005E:4965 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9003 1 0000000000000000 100 0 0 10 0
   5: 000000FD000000000000000001000000:4965 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9004 1 0000000000000000 100 0 0 10 0
`

func TestParseProcNetTCP(t *testing.T) {
	t.Parallel()
	got, err := parseProcNetTCP(strings.NewReader(procTCP), "tcp", binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	want := []Socket{
		{Proto: "tcp", IP: "0.0.0.0", Port: 2024, UID: 0, Inode: 1671, Scope: ScopeWildcard},
		{Proto: "tcp", IP: "127.0.0.1", Port: 28804, UID: 0, Inode: 26933, Scope: ScopeLoopback},
		{Proto: "tcp", IP: "192.168.0.10", Port: 18789, UID: 1000, Inode: 777, Scope: ScopePrivate},
		{Proto: "tcp", IP: "8.8.8.8", Port: 443, UID: 0, Inode: 4242, Scope: ScopePublic},
	}
	assertSockets(t, got, want)

	got, err = parseProcNetTCP(strings.NewReader(procTCP6), "tcp6", binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	want = []Socket{
		{Proto: "tcp6", IP: "::1", Port: 28804, Inode: 26934, Scope: ScopeLoopback},
		{Proto: "tcp6", IP: "::ffff:127.0.0.1", Port: 48011, Inode: 50315, Scope: ScopeLoopback},
		{Proto: "tcp6", IP: "::", Port: 18789, UID: 999, Inode: 9001, Scope: ScopeWildcard},
		{Proto: "tcp6", IP: "2001:db8::1", Port: 18789, Inode: 9002, Scope: ScopePublic},
		{Proto: "tcp6", IP: "fe80::ff:5e00:2", Port: 18789, Inode: 9003, Scope: ScopePrivate},
		{Proto: "tcp6", IP: "fd00::1", Port: 18789, Inode: 9004, Scope: ScopePrivate},
	}
	assertSockets(t, got, want)
}

func assertSockets(t *testing.T, got, want []Socket) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d sockets, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("socket %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseProcNetTCPBigEndian(t *testing.T) {
	t.Parallel()
	// On a big-endian kernel the words are printed most significant byte
	// first: 127.0.0.1 is 7F000001.
	line := "   0: 7F000001:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0 100 0 0 10 0\n"
	got, err := parseProcNetTCP(strings.NewReader(line), "tcp", binary.BigEndian)
	if err != nil || len(got) != 1 || got[0].IP != "127.0.0.1" || got[0].Port != 18789 {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestParseProcNetTCPMalformed(t *testing.T) {
	t.Parallel()
	in := procTCP + "   9: zz:zz 00000000:0000 0A 0 0 0 0 0 x\ngarbage\n   7: 0100007F:GGGG 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1 0 100 0 0 10 0\n"
	got, err := parseProcNetTCP(strings.NewReader(in), "tcp", binary.LittleEndian)
	if err == nil || !strings.Contains(err.Error(), "3 malformed tcp line(s), first at line 7") {
		t.Fatalf("err = %v", err)
	}
	if len(got) != 4 {
		t.Fatalf("good lines must still parse: %d", len(got))
	}
	if s, err := ParseProcNetTCP(nil, "tcp"); err != nil || len(s) != 0 {
		t.Fatalf("empty: %v %v", s, err)
	}
}

func TestAddrScope(t *testing.T) {
	t.Parallel()
	tests := map[string]Scope{
		"127.0.0.1":        ScopeLoopback,
		"127.8.9.10":       ScopeLoopback,
		"::1":              ScopeLoopback,
		"[::1]":            ScopeLoopback,
		"::ffff:127.0.0.1": ScopeLoopback,
		"0.0.0.0":          ScopeWildcard,
		"::":               ScopeWildcard,
		"10.1.2.3":         ScopePrivate,
		"172.16.0.1":       ScopePrivate,
		"172.31.255.255":   ScopePrivate,
		"192.168.1.1":      ScopePrivate,
		"169.254.169.254":  ScopePrivate,
		"100.64.0.7":       ScopePrivate,
		"fd12:3456::1":     ScopePrivate,
		"fc00::1":          ScopePrivate,
		"fe80::1%eth0":     ScopePrivate,
		"::ffff:10.0.0.1":  ScopePrivate,
		"172.32.0.1":       ScopePublic,
		"8.8.8.8":          ScopePublic,
		"2001:db8::1":      ScopePublic,
		"::ffff:8.8.8.8":   ScopePublic,
		"100.128.0.1":      ScopePublic,
		"not-an-ip":        ScopeUnknown,
		"":                 ScopeUnknown,
	}
	for in, want := range tests {
		if got := AddrScope(in); got != want {
			t.Errorf("AddrScope(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFactsSocketHelpers(t *testing.T) {
	t.Parallel()
	f := &Facts{Sockets: []Socket{{Port: 18789, Inode: 1}, {Port: 18791, Inode: 2}, {Port: 22, Inode: 3}}}
	if got := f.SocketsOf(Process{Inodes: []uint64{2, 3, 99}}); len(got) != 2 || got[0].Inode != 2 {
		t.Errorf("SocketsOf = %+v", got)
	}
	if got := f.ListeningOn(18789); len(got) != 1 || got[0].Inode != 1 {
		t.Errorf("ListeningOn = %+v", got)
	}
	if got := f.ListeningOn(1); len(got) != 0 {
		t.Errorf("ListeningOn(1) = %+v", got)
	}
}
