//go:build linux

package probe

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net/netip"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// synScanner is the half-open (SYN) sweep used when clawgov may open raw
// sockets (root or CAP_NET_RAW) and every target is IPv4, like nmap's
// default scan as root. Per port it costs one sendto and one received
// packet instead of socket+connect+close: a SYN-ACK means open (the
// kernel answers it with a RST, so the service never sees a connection),
// a RST means closed. Only a bare SYN is ever sent.
type synScanner struct {
	send, recv int
	srcPort    uint16
	secret     [8]byte

	mu      sync.Mutex
	srcFor  map[netip.Addr]netip.Addr
	pending map[synKey]*synState
}

type synKey struct {
	addr netip.Addr
	port uint16
}

type synState struct {
	ep      Endpoint
	attempt int
	sentAt  time.Time
}

// newSynScanner opens the raw sockets; an error (no privilege) means the
// caller falls back to connect sweeps.
func newSynScanner() (*synScanner, error) {
	send, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if err != nil {
		return nil, err
	}
	recv, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if err != nil {
		syscall.Close(send)
		return nil, err
	}
	// A large receive buffer so a burst of answers waits for the next
	// drain instead of being dropped.
	_ = syscall.SetsockoptInt(recv, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, 16<<20)
	s := &synScanner{send: send, recv: recv, srcFor: map[netip.Addr]netip.Addr{}, pending: map[synKey]*synState{}}
	var b [10]byte
	_, _ = rand.Read(b[:])
	copy(s.secret[:], b[:8])
	// An ephemeral-range source port; answers are recognised by it and by
	// the acknowledgement of our cookie sequence number.
	s.srcPort = 40000 + binary.BigEndian.Uint16(b[8:])%20000
	// Let the kernel drop everything not addressed to that port (our own
	// looped-back SYNs, other programs' traffic) before it is copied to
	// us: a sweep then wakes the reader once per answer, not per packet
	// on the host. Best effort: without it parseAnswer still filters.
	_ = attachFilter(recv, []syscall.SockFilter{
		{Code: syscall.BPF_LDX | syscall.BPF_B | syscall.BPF_MSH, K: 0}, // X = IP header length
		{Code: syscall.BPF_LD | syscall.BPF_H | syscall.BPF_IND, K: 2},  // A = TCP destination port
		{Code: syscall.BPF_JMP | syscall.BPF_JEQ | syscall.BPF_K, K: uint32(s.srcPort), Jt: 0, Jf: 1},
		{Code: syscall.BPF_RET | syscall.BPF_K, K: 0xffff},
		{Code: syscall.BPF_RET | syscall.BPF_K, K: 0},
	})
	return s, nil
}

// mmsghdr is struct mmsghdr; Go lays it out as C does on every Linux ABI.
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32
}

// recvBatch receives many packets per recvmmsg(2) call.
type recvBatch struct {
	bufs [][]byte
	iovs []syscall.Iovec
	hdrs []mmsghdr
}

func newRecvBatch(n int) *recvBatch {
	b := &recvBatch{bufs: make([][]byte, n), iovs: make([]syscall.Iovec, n), hdrs: make([]mmsghdr, n)}
	for i := range n {
		b.bufs[i] = make([]byte, 256)
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(len(b.bufs[i]))
		b.hdrs[i].hdr.Iov = &b.iovs[i]
		b.hdrs[i].hdr.Iovlen = 1
	}
	return b
}

func (b *recvBatch) recv(fd, flags int) (int, error) {
	r, _, errno := syscall.Syscall6(syscall.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(len(b.hdrs)), uintptr(flags), 0, 0)
	runtime.KeepAlive(b)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

func (b *recvBatch) packet(i int) []byte {
	n := int(b.hdrs[i].n)
	if n > len(b.bufs[i]) {
		n = len(b.bufs[i])
	}
	return b.bufs[i][:n]
}

// attachFilter sets a classic BPF socket filter (SO_ATTACH_FILTER).
func attachFilter(fd int, prog []syscall.SockFilter) error {
	fp := syscall.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, errno := syscall.Syscall6(syscall.SYS_SETSOCKOPT, uintptr(fd), syscall.SOL_SOCKET, syscall.SO_ATTACH_FILTER,
		uintptr(unsafe.Pointer(&fp)), unsafe.Sizeof(fp), 0)
	runtime.KeepAlive(prog)
	if errno != 0 {
		return errno
	}
	return nil
}

func (s *synScanner) close() {
	syscall.Close(s.send)
	syscall.Close(s.recv)
}

// source finds the local address the kernel uses towards dst (needed for
// the TCP checksum) with a connected UDP socket, which sends nothing.
func (s *synScanner) source(dst netip.Addr) (netip.Addr, error) {
	key := dst
	if !dst.IsLoopback() {
		// Routes rarely differ inside a /24: cache per /24.
		p, _ := dst.Prefix(24)
		key = p.Addr()
	}
	s.mu.Lock()
	src, ok := s.srcFor[key]
	s.mu.Unlock()
	if ok {
		return src, nil
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return netip.Addr{}, err
	}
	defer syscall.Close(fd)
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: 9, Addr: dst.As4()}); err != nil {
		return netip.Addr{}, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return netip.Addr{}, err
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		return netip.Addr{}, errors.New("no IPv4 source address")
	}
	src = netip.AddrFrom4(in4.Addr)
	s.mu.Lock()
	s.srcFor[key] = src
	s.mu.Unlock()
	return src, nil
}

// cookie is the initial sequence number for (dst, port): answers must
// acknowledge cookie+1, so stray packets cannot be mistaken for answers.
func (s *synScanner) cookie(dst netip.Addr, port uint16) uint32 {
	a := dst.As4()
	h := uint32(2166136261)
	for _, b := range append(append(s.secret[:], a[:]...), byte(port>>8), byte(port)) {
		h = (h ^ uint32(b)) * 16777619
	}
	return h
}

// synPacket builds a 24-byte TCP SYN with an MSS option.
func synPacket(src, dst netip.Addr, sport, dport uint16, seq uint32) []byte {
	p := make([]byte, 24)
	binary.BigEndian.PutUint16(p[0:], sport)
	binary.BigEndian.PutUint16(p[2:], dport)
	binary.BigEndian.PutUint32(p[4:], seq)
	p[12] = 6 << 4 // data offset: 6 words
	p[13] = 0x02   // SYN
	binary.BigEndian.PutUint16(p[14:], 64240)
	p[20], p[21] = 2, 4 // MSS
	binary.BigEndian.PutUint16(p[22:], 1460)
	binary.BigEndian.PutUint16(p[16:], tcpChecksum(src, dst, p))
	return p
}

func tcpChecksum(src, dst netip.Addr, seg []byte) uint16 {
	var sum uint32
	s4, d4 := src.As4(), dst.As4()
	for _, w := range [][]byte{s4[:], d4[:]} {
		sum += uint32(binary.BigEndian.Uint16(w[0:])) + uint32(binary.BigEndian.Uint16(w[2:]))
	}
	sum += 6 + uint32(len(seg))
	for i := 0; i+1 < len(seg); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(seg[i:]))
	}
	if len(seg)%2 == 1 {
		sum += uint32(seg[len(seg)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// parseAnswer reads an IPv4 packet from the raw socket and returns the
// remote endpoint and verdict when it answers one of our SYNs.
func (s *synScanner) parseAnswer(b []byte) (synKey, bool, bool) {
	if len(b) < 20 || b[0]>>4 != 4 || b[9] != syscall.IPPROTO_TCP {
		return synKey{}, false, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl+20 {
		return synKey{}, false, false
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	t := b[ihl:]
	sport, dport := binary.BigEndian.Uint16(t[0:]), binary.BigEndian.Uint16(t[2:])
	if dport != s.srcPort {
		return synKey{}, false, false
	}
	flags := t[13]
	ack := binary.BigEndian.Uint32(t[8:])
	if ack != s.cookie(src, sport)+1 {
		return synKey{}, false, false
	}
	switch {
	case flags&0x12 == 0x12: // SYN+ACK
		return synKey{src, sport}, true, true
	case flags&0x04 != 0: // RST
		return synKey{src, sport}, false, true
	}
	return synKey{}, false, false
}

// sweep sends a SYN to every endpoint next yields, keeping at most window
// unanswered, and reports each endpoint once through done.
func (s *synScanner) sweep(ctx context.Context, next func() (Endpoint, bool), window int, timeout time.Duration, retries int, pace *pacer, done func(Endpoint, bool, error)) error {
	// handle settles the endpoint an answer belongs to (exactly once).
	handle := func(pkt []byte) {
		k, open, ok := s.parseAnswer(pkt)
		if !ok {
			return
		}
		s.mu.Lock()
		st := s.pending[k]
		if st != nil {
			delete(s.pending, k)
		}
		s.mu.Unlock()
		if st != nil {
			done(st.ep, open, errIf(!open, syscall.ECONNREFUSED))
		}
	}
	// drain reads whatever answers are queued, many per recvmmsg call.
	// The sending loop calls it as it goes: one goroutine doing both
	// avoids a wake-up per answer.
	db := newRecvBatch(64)
	drain := func() {
		for {
			n, err := db.recv(s.recv, syscall.MSG_DONTWAIT)
			if err != nil || n == 0 {
				return
			}
			for i := range n {
				handle(db.packet(i))
			}
		}
	}

	var sendErr error
	sendOne := func(ep Endpoint, attempt int) bool {
		src, err := s.source(ep.Addr)
		if err != nil {
			done(ep, false, err)
			return true
		}
		port := uint16(ep.Port)
		pkt := synPacket(src, ep.Addr, s.srcPort, port, s.cookie(ep.Addr, port))
		k := synKey{ep.Addr, port}
		s.mu.Lock()
		s.pending[k] = &synState{ep: ep, attempt: attempt, sentAt: time.Now()}
		s.mu.Unlock()
		for {
			err = syscall.Sendto(s.send, pkt, 0, &syscall.SockaddrInet4{Addr: ep.Addr.As4()})
			if err == nil {
				return true
			}
			if errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.EAGAIN) {
				time.Sleep(time.Millisecond)
				continue
			}
			s.mu.Lock()
			delete(s.pending, k)
			s.mu.Unlock()
			if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
				// A local firewall refused the packet: report and go on.
				done(ep, false, err)
				return true
			}
			done(ep, false, err)
			return true
		}
	}
	// expire resends or fails SYNs unanswered for timeout; it returns how
	// many are still pending.
	expire := func() int {
		drain()
		now := time.Now()
		var again []*synState
		s.mu.Lock()
		for k, st := range s.pending {
			if now.Sub(st.sentAt) >= timeout {
				delete(s.pending, k)
				again = append(again, st)
			}
		}
		n := len(s.pending)
		s.mu.Unlock()
		for _, st := range again {
			if st.attempt < retries {
				sendOne(st.ep, st.attempt+1)
				n++
			} else {
				done(st.ep, false, syscall.ETIMEDOUT)
			}
		}
		return n
	}
	lastExpire := time.Now()
	sent := 0
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ep, ok := next()
		if !ok {
			break
		}
		if !ep.Addr.Is4() {
			done(ep, false, errors.New("SYN sweep is IPv4 only"))
			continue
		}
		if err := pace.wait(ctx); err != nil {
			return err
		}
		sendOne(ep, 0)
		if sent++; sent%32 == 0 {
			drain()
		}
		// Bound what is outstanding: wait for answers (or expiries).
		s.mu.Lock()
		for len(s.pending) >= window && ctx.Err() == nil {
			s.mu.Unlock()
			drain()
			time.Sleep(time.Millisecond)
			if time.Since(lastExpire) > 10*time.Millisecond {
				expire()
				lastExpire = time.Now()
			}
			s.mu.Lock()
		}
		s.mu.Unlock()
		if time.Since(lastExpire) > 50*time.Millisecond {
			expire()
			lastExpire = time.Now()
		}
	}
	// Drain: wait for the last answers, resending once expired.
	for expire() > 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(5 * time.Millisecond)
	}
	return sendErr
}

func errIf(cond bool, err error) error {
	if cond {
		return err
	}
	return nil
}

// newSyn is the platform hook used by Scan.
func newSyn() (synSweeper, error) {
	s, err := newSynScanner()
	if err != nil {
		return nil, err
	}
	return s, nil
}
