package proxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// copyBufSize is the size of the pooled copy buffers, the same as
// ReverseProxy's own default.
const copyBufSize = 32 << 10

// copyBufs backs both the tunnels and ReverseProxy. Allocating two fresh
// buffers per tunnel and one per forwarded response was most of the
// proxy's allocation (and of its GC work) under load.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

func getBuf() *[]byte  { return copyBufs.Get().(*[]byte) }
func putBuf(b *[]byte) { copyBufs.Put(b) }

// bufferPool is copyBufs as an httputil.BufferPool.
type bufferPool struct{}

func (bufferPool) Get() []byte { return *getBuf() }
func (bufferPool) Put(b []byte) {
	if cap(b) == copyBufSize {
		b = b[:copyBufSize]
		putBuf(&b)
	}
}

// readPooled reads once from a TCP socket into a pooled buffer that it
// takes only when the socket has data: while the socket would block the
// buffer goes back to the pool, so an idle tunnel holds no buffer. It
// makes the same system calls as a plain Read (read, EAGAIN, wait, read)
// and honours the connection's read deadline.
func readPooled(rc syscall.RawConn) (*[]byte, int, error) {
	var bp *[]byte
	var n int
	var rerr error
	err := rc.Read(func(fd uintptr) bool {
		if bp == nil {
			bp = getBuf()
		}
		for {
			n, rerr = syscall.Read(int(fd), *bp)
			if rerr != syscall.EINTR {
				break
			}
		}
		if rerr == syscall.EAGAIN {
			putBuf(bp)
			bp = nil
			return false
		}
		return true
	})
	if err == nil {
		err = rerr
	}
	if err == nil && n <= 0 {
		err = io.EOF
	}
	if err != nil {
		if bp != nil {
			putBuf(bp)
		}
		return nil, 0, err
	}
	return bp, n, nil
}

// copyIdle copies src to dst, extending the read deadline of srcConn by
// TunnelIdle before each read; on EOF it half-closes dst so the other
// direction can finish, and on error or idleness it closes both. A TCP
// source is read with readPooled; any other (TLS, an HTTP/2 stream) with
// one pooled buffer held for the copy.
func (s *Server) copyIdle(dst io.Writer, src io.Reader, srcConn, dstConn deadlineCloser) int64 {
	var read func() (*[]byte, int, error)
	if tc, ok := src.(*net.TCPConn); ok {
		if rc, err := tc.SyscallConn(); err == nil {
			read = func() (*[]byte, int, error) { return readPooled(rc) }
		}
	}
	if read == nil {
		bp := getBuf()
		defer putBuf(bp)
		read = func() (*[]byte, int, error) {
			k, err := src.Read(*bp)
			return bp, k, err
		}
	}
	_, raw := src.(*net.TCPConn)
	var n int64
	for {
		_ = srcConn.SetReadDeadline(time.Now().Add(s.cfg.TunnelIdle))
		bp, k, err := read()
		if k > 0 {
			_ = dstConn.SetWriteDeadline(time.Now().Add(s.cfg.TunnelIdle))
			w, werr := dst.Write((*bp)[:k])
			n += int64(w)
			if raw {
				putBuf(bp)
			}
			if werr != nil {
				srcConn.Close()
				dstConn.Close()
				return n
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if cw, ok := dstConn.(interface{ CloseWrite() error }); ok {
					_ = cw.CloseWrite()
				} else {
					dstConn.Close()
				}
				// The other direction still has TunnelIdle to finish.
				return n
			}
			srcConn.Close()
			dstConn.Close()
			return n
		}
	}
}

// limitListener bounds concurrent connections like netutil's, but its
// connections expose the accepted one (NetConn) and its CloseWrite, so a
// hijacked tunnel can half-close the client and read its socket
// directly.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func limitListen(l net.Listener, n int) net.Listener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, l: l}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { <-c.l.sem })
	return err
}

// NetConn is the accepted connection, as tls.Conn.NetConn is.
func (c *limitConn) NetConn() net.Conn { return c.Conn }

func (c *limitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}
