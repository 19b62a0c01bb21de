package probe

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DialFunc opens a TCP connection; tests and the CLI inject their own.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Limits on what is read from a target: enough to fingerprint, small
// enough that a hostile server cannot make us buffer much.
const (
	maxBody      = 256 << 10
	maxHeaderLen = 64 << 10
	maxFrame     = 64 << 10
)

// ErrNotHTTP means the endpoint answered, but not with HTTP.
var ErrNotHTTP = errors.New("not an HTTP response")

// errEmpty means the connection closed without a single byte: typical of a
// TLS listener receiving plain text, so the prober retries with TLS.
var errEmpty = errors.New("connection closed without a response")

// endpoint is one address to talk to.
type endpoint struct {
	// addr is ip:port as dialled.
	addr string
	// host is the Host header (the name the user gave, or ip:port).
	host string
	// serverName is the TLS SNI (empty for IP targets).
	serverName string
	tls        bool
}

// exchange sends one request on a fresh connection and reads one response.
// The connection is always closed; ctx bounds everything (dial, write,
// read), so a silent server costs at most the deadline.
func exchange(ctx context.Context, dial DialFunc, ep endpoint, req *Request, userAgent string) (*Response, error) {
	conn, err := dial(ctx, "tcp", ep.addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Close the connection when ctx is cancelled so blocked reads return.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if ep.tls {
		tc := tls.Client(conn, &tls.Config{
			// The point is to see what answers, not to trust it: gateways
			// mostly use self-signed pairs (gateway.tls.autoGenerate).
			InsecureSkipVerify: true, //nolint:gosec // fingerprinting only; nothing secret is sent
			ServerName:         ep.serverName,
			MinVersion:         tls.VersionTLS12,
		})
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		conn = tc
	}

	var wsKey string
	raw := buildRequest(ep, req, userAgent, &wsKey)
	if _, err := conn.Write(raw); err != nil {
		return nil, fmt.Errorf("write request: %w", err)
	}
	br := bufio.NewReaderSize(conn, 4096)
	resp, rest, err := readResponse(br, req.Method)
	if err != nil {
		return nil, err
	}
	if req.Kind == "websocket" && resp.Status == http.StatusSwitchingProtocols {
		if !validAccept(resp.Header.Get("Sec-WebSocket-Accept"), wsKey) {
			return resp, nil // not a real upgrade: keep status, no frame
		}
		frame, ferr := readFirstTextFrame(rest)
		if ferr == nil {
			resp.Body = frame
		}
		// Be polite: a masked close frame (status 1000) before hanging up.
		_, _ = conn.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8})
	}
	return resp, nil
}

// buildRequest renders the request bytes. Only fixed, validated parts of
// the signature data reach the wire; nothing from a target ever does.
func buildRequest(ep endpoint, req *Request, userAgent string, wsKey *string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", req.Method, req.Path)
	fmt.Fprintf(&b, "Host: %s\r\n", ep.host)
	fmt.Fprintf(&b, "User-Agent: %s\r\n", userAgent)
	b.WriteString("Accept: */*\r\n")
	if req.Kind == "websocket" {
		var k [16]byte
		_, _ = rand.Read(k[:])
		*wsKey = base64.StdEncoding.EncodeToString(k[:])
		b.WriteString("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n")
		fmt.Fprintf(&b, "Sec-WebSocket-Key: %s\r\n", *wsKey)
	} else {
		b.WriteString("Connection: close\r\n")
	}
	keys := make([]string, 0, len(req.Headers))
	for k := range req.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\r\n", k, req.Headers[k])
	}
	if req.Method == http.MethodPost {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(req.Body))
	}
	b.WriteString("\r\n")
	b.WriteString(req.Body)
	return b.Bytes()
}

// ReadResponse parses one HTTP/1.x response from r, reading at most
// maxHeaderLen of headers and maxBody of body. Anything that is not HTTP
// yields ErrNotHTTP (wrapped with a printable prefix of what came back);
// an immediate EOF yields errEmpty.
func ReadResponse(r *bufio.Reader, method string) (*Response, error) {
	resp, _, err := readResponse(r, method)
	return resp, err
}

// readResponse is ReadResponse that also returns the stream after the
// headers of a 101 response, where the WebSocket frames follow.
func readResponse(r *bufio.Reader, method string) (*Response, io.Reader, error) {
	head, err := r.Peek(5)
	if len(head) < 5 && !bytes.HasPrefix([]byte("HTTP/"), head) {
		// Fewer than five bytes that cannot start "HTTP/": not HTTP.
		return nil, nil, fmt.Errorf("%w (starts with %s)", ErrNotHTTP, printable(head))
	}
	if len(head) == 0 {
		if err == nil || errors.Is(err, io.EOF) || isReset(err) {
			return nil, nil, errEmpty
		}
		return nil, nil, err
	}
	if !bytes.HasPrefix(head, []byte("HTTP/")) {
		more, _ := r.Peek(max(min(r.Buffered(), 32), len(head)))
		return nil, nil, fmt.Errorf("%w (starts with %s)", ErrNotHTTP, printable(more))
	}
	lr := &limitedReader{r: r, n: maxHeaderLen}
	hr := bufio.NewReader(lr)
	resp, err := http.ReadResponse(hr, &http.Request{Method: method})
	if err != nil {
		if lr.n <= 0 {
			return nil, nil, fmt.Errorf("%w (headers longer than %d bytes)", ErrNotHTTP, maxHeaderLen)
		}
		return nil, nil, fmt.Errorf("%w: %v", ErrNotHTTP, err)
	}
	defer resp.Body.Close()
	out := &Response{Status: resp.StatusCode, Header: resp.Header}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// The frames follow; hr holds whatever it read past the headers,
		// so keep reading through it with a limit sized for frames.
		lr.n = 4 * maxFrame
		return out, hr, nil
	}
	// Lift the header limit for the body, which has its own. A body cut
	// short (reset, timeout) still leaves headers and a prefix to
	// fingerprint, so read errors are not fatal here.
	lr.n = maxBody + 1
	out.Body, _ = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return out, nil, nil
}

// limitedReader is io.LimitedReader whose limit can be raised after the
// headers are parsed.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// readFirstTextFrame returns the payload of the first text frame the
// server sends, skipping up to a few control frames. Server frames are
// unmasked (RFC 6455 §5.1) but a masked one is unmasked anyway.
func readFirstTextFrame(r io.Reader) ([]byte, error) {
	for range 4 {
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return nil, err
		}
		op := h[0] & 0x0f
		masked := h[1]&0x80 != 0
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		if n > maxFrame {
			return nil, fmt.Errorf("websocket frame of %d bytes exceeds %d", n, maxFrame)
		}
		var mask [4]byte
		if masked {
			if _, err := io.ReadFull(r, mask[:]); err != nil {
				return nil, err
			}
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil, err
		}
		if masked {
			for i := range payload {
				payload[i] ^= mask[i%4]
			}
		}
		switch op {
		case 0x1, 0x0, 0x2:
			return payload, nil
		case 0x8:
			return nil, fmt.Errorf("websocket closed before the first message")
		}
		// ping/pong: keep reading.
	}
	return nil, fmt.Errorf("no websocket message in the first frames")
}

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func validAccept(accept, key string) bool {
	if key == "" {
		return false
	}
	h := sha1.Sum([]byte(key + wsGUID)) //nolint:gosec // RFC 6455 mandates SHA-1
	return accept == base64.StdEncoding.EncodeToString(h[:])
}

func isReset(err error) bool {
	return err != nil && (errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "connection reset"))
}

// printable renders untrusted bytes for evidence: quoted, non-printable
// bytes escaped, never more than 32 bytes.
func printable(b []byte) string {
	if len(b) > 32 {
		b = b[:32]
	}
	return strconv.QuoteToASCII(string(b))
}
