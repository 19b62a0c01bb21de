package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// h2Client speaks HTTP/2 to the proxy itself (not through it as an
// HTTP/1 proxy): every request's connection goes to the proxy whatever the
// URL names, which is what a client configured with an HTTP/2 proxy does.
func (e *env) h2Client(overTLS bool) *http.Client {
	var p http.Protocols
	if overTLS {
		p.SetHTTP2(true)
	} else {
		p.SetUnencryptedHTTP2(true)
	}
	addr := e.proxyURL.Host
	return &http.Client{Transport: &http.Transport{
		Protocols: &p,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the test proxy's own certificate
	}}
}

// testCert borrows httptest's self-signed certificate for the proxy.
func testCert(t *testing.T) tls.Certificate {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS()
	defer ts.Close()
	return ts.TLS.Certificates[0]
}

func TestHTTP2PriorKnowledgeForward(t *testing.T) {
	e := start(t, nil)
	c := e.h2Client(false)
	resp, err := c.Get("http://allowed.test:" + e.port + "/page?token=secret")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(body) != "hello from allowed.test:"+e.port+" path=/page" {
		t.Fatalf("allowed over h2c: %s %d %q", resp.Proto, resp.StatusCode, body)
	}
	resp, err = c.Get("http://evil.test:" + e.port + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), "default-deny") || resp.Header.Get("Connection") != "" {
		t.Fatalf("unlisted over h2c: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	recs := waitRecords(t, e, 2)
	if recs[0].Decision != "allow" || recs[0].Host != "allowed.test" || recs[0].Path != "/page" || recs[0].Status != 200 || recs[0].ResolvedIP != "127.0.0.1" {
		t.Fatalf("allow record %+v", recs[0])
	}
	if recs[1].Decision != "deny" || recs[1].Rule != "default-deny" || recs[1].Status != 403 {
		t.Fatalf("deny record %+v", recs[1])
	}
}

// streamConn over a client's CONNECT stream: writes go into the request
// body, reads come from the response body.
type clientStream struct {
	io.Reader
	w *io.PipeWriter
}

func (c clientStream) Write(b []byte) (int, error)      { return c.w.Write(b) }
func (c clientStream) Close() error                     { return c.w.Close() }
func (c clientStream) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c clientStream) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c clientStream) SetDeadline(time.Time) error      { return nil }
func (c clientStream) SetReadDeadline(time.Time) error  { return nil }
func (c clientStream) SetWriteDeadline(time.Time) error { return nil }
func (e *env) connectH2(t *testing.T, c *http.Client, authority string) (*http.Response, clientStream) {
	t.Helper()
	pr, pw := io.Pipe()
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Scheme: "https", Host: authority}, Host: authority, Header: http.Header{}, Body: pr, ContentLength: -1}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("CONNECT %s: %v", authority, err)
	}
	return resp, clientStream{Reader: resp.Body, w: pw}
}

func TestHTTP2ConnectOverTLSProxy(t *testing.T) {
	cert := testCert(t)
	e := start(t, func(c *Config) { c.TLS = &tls.Config{Certificates: []tls.Certificate{cert}} })
	c := e.h2Client(true)

	resp, stream := e.connectH2(t, c, "secure.test:"+e.tport)
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
		t.Fatalf("CONNECT over h2: %s %d", resp.Proto, resp.StatusCode)
	}
	// TLS to the origin inside the stream, then a request.
	tc := tls.Client(stream, &tls.Config{InsecureSkipVerify: true, ServerName: "secure.test"}) // httptest origin certificate
	if _, err := io.WriteString(tc, "GET / HTTP/1.1\r\nHost: secure.test\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	or, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(or.Body)
	if or.StatusCode != 200 || string(body) != "secure hello" {
		t.Fatalf("origin through the h2 tunnel: %d %q", or.StatusCode, body)
	}
	tc.Close()
	resp.Body.Close()

	// Unlisted host and unlisted port are refused before any tunnel.
	resp, stream = e.connectH2(t, c, "evil.test:443")
	if resp.StatusCode != 403 {
		t.Fatalf("CONNECT unlisted over h2: %d", resp.StatusCode)
	}
	stream.Close()
	resp.Body.Close()

	// An https request sent to the proxy as such must be a CONNECT.
	r2, err := c.Get("https://secure.test:" + e.tport + "/")
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != 400 || !strings.Contains(string(b2), "use CONNECT") {
		t.Fatalf("https over h2 without CONNECT: %d %q", r2.StatusCode, b2)
	}

	recs := waitRecords(t, e, 3)
	var tun *record
	for i := range recs {
		if recs[i].Method == "CONNECT" && recs[i].Decision == "allow" {
			tun = &recs[i]
		}
	}
	if tun == nil || tun.Host != "secure.test" || tun.BytesUp == 0 || tun.BytesDown == 0 || tun.Status != 200 {
		t.Fatalf("tunnel record missing or empty: %+v", recs)
	}
}

// The HTTP/1 path still serves a TLS proxy listener (ALPN falls back).
func TestHTTP1OverTLSProxy(t *testing.T) {
	cert := testCert(t)
	e := start(t, func(c *Config) { c.TLS = &tls.Config{Certificates: []tls.Certificate{cert}} })
	pu := *e.proxyURL
	pu.Scheme = "https"
	c := &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyURL(&pu),
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // proxy and origin test certificates
	}}
	code, body, _ := get(t, c, "https://secure.test:"+e.tport+"/")
	if code != 200 || body != "secure hello" {
		t.Fatalf("HTTP/1 CONNECT via TLS proxy: %d %q", code, body)
	}
	code, _, _ = get(t, c, "http://evil.test:"+e.port+"/")
	if code != 403 {
		t.Fatalf("unlisted via TLS proxy: %d", code)
	}
}
