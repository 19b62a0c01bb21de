package host

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// Netlink sock_diag constants (linux/sock_diag.h, linux/inet_diag.h).
const (
	sockDiagByFamily = 20
	netlinkSockDiag  = 4
	tcpStateListen   = 10
	inetDiagMsgLen   = 72
	inetDiagReqV2Len = 56
)

// netlinkListeners lists the listening TCP sockets of clawgov's own network
// namespace through NETLINK_SOCK_DIAG, asking the kernel for LISTEN sockets
// only. Reading /proc/net/tcp makes the kernel walk the whole established
// hash table (megabytes on a large machine, most of the audit's time on a
// busy one); the filtered dump costs a fraction of that. The result has the
// same shape as parsing /proc/net/tcp{,6}: proto "tcp" for IPv4 and "tcp6"
// for IPv6 sockets.
func netlinkListeners() ([]Socket, error) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, netlinkSockDiag)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	var out []Socket
	buf := make([]byte, 16<<10) // one receive buffer for both families; a dump takes several reads
	for seq, fam := range []uint8{syscall.AF_INET, syscall.AF_INET6} {
		ss, err := sockDiagDump(fd, fam, uint32(seq+1), buf)
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	return out, nil
}

func sockDiagDump(fd int, family uint8, seq uint32, buf []byte) ([]Socket, error) {
	req := make([]byte, syscall.NLMSG_HDRLEN+inetDiagReqV2Len)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], syscall.NLM_F_REQUEST|syscall.NLM_F_DUMP)
	ne.PutUint32(req[8:], seq)
	b := req[syscall.NLMSG_HDRLEN:]
	b[0] = family
	b[1] = syscall.IPPROTO_TCP
	ne.PutUint32(b[4:], 1<<tcpStateListen)
	if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink send: %w", err)
	}
	proto := "tcp"
	if family == syscall.AF_INET6 {
		proto = "tcp6"
	}
	var out []Socket
	for {
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return nil, fmt.Errorf("netlink receive: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, fmt.Errorf("netlink parse: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue
			}
			switch m.Header.Type {
			case syscall.NLMSG_DONE:
				return out, nil
			case syscall.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := int32(ne.Uint32(m.Data)); errno != 0 {
						return nil, fmt.Errorf("netlink sock_diag: %w", syscall.Errno(-errno))
					}
				}
				return out, nil
			case sockDiagByFamily:
				if s, ok := parseInetDiagMsg(m.Data, proto); ok {
					out = append(out, s)
				}
			}
		}
	}
}

// parseInetDiagMsg decodes one struct inet_diag_msg.
func parseInetDiagMsg(d []byte, proto string) (Socket, bool) {
	if len(d) < inetDiagMsgLen || d[1] != tcpStateListen {
		return Socket{}, false
	}
	port := int(binary.BigEndian.Uint16(d[4:6]))
	// Same address forms as decodeProcAddr: 4 bytes for IPv4, all 16
	// (v4-mapped kept as such) for IPv6.
	var ip netip.Addr
	if d[0] == syscall.AF_INET {
		ip = netip.AddrFrom4([4]byte(d[8:12]))
	} else {
		ip = netip.AddrFrom16([16]byte(d[8:24]))
	}
	ne := binary.NativeEndian
	uid := int(ne.Uint32(d[64:68]))
	inode := uint64(ne.Uint32(d[68:72]))
	return Socket{Proto: proto, IP: ip.String(), Port: port, UID: uid, Inode: inode, Scope: addrScope(ip)}, true
}
