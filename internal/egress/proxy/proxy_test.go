package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/egress/policy"
)

// syncBuf is a log sink tests can read while the proxy writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) records(t *testing.T) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []record
	for _, line := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if line == "" {
			continue
		}
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	srv      *Server
	proxyURL *url.URL
	log      *syncBuf
	plain    *httptest.Server // "allowed.test"
	tls      *httptest.Server // "secure.test"
	port     string
	tport    string
}

func policyText(plainPort, tlsPort string) string {
	return fmt.Sprintf(`version: 1
clients:
  gw:
    users: [{user: gw, password_sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8}]
entries:
  allowed:
    hosts: [allowed.test]
    ports: [%s]
    schemes: [http]
    allow_networks: [127.0.0.0/8]
  secure:
    hosts: [secure.test]
    ports: [%s]
    allow_networks: [127.0.0.1]
  rebinding:
    hosts: [rebind.test, metadata.test]
    ports: [%s]
    schemes: [http, https]
  gateway-only:
    hosts: [model.test]
    ports: [%s]
    schemes: [http]
    clients: [gw]
    allow_networks: [127.0.0.0/8]
`, plainPort, tlsPort, plainPort, plainPort)
}

func start(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	e := &env{log: &syncBuf{}}
	e.plain = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s path=%s", r.Host, r.URL.Path)
	}))
	t.Cleanup(e.plain.Close)
	e.tls = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "secure hello")
	}))
	t.Cleanup(e.tls.Close)
	_, e.port, _ = net.SplitHostPort(e.plain.Listener.Addr().String())
	_, e.tport, _ = net.SplitHostPort(e.tls.Listener.Addr().String())
	p, err := policy.Parse("test.yaml", []byte(policyText(e.port, e.tport)))
	if err != nil {
		t.Fatal(err)
	}
	lo := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	cfg := Config{
		Policy: p,
		Log:    e.log,
		Resolve: map[string][]netip.Addr{
			"allowed.test": lo, "secure.test": lo, "model.test": lo, "evil.test": lo,
			"rebind.test":   {netip.MustParseAddr("10.0.0.5")},
			"metadata.test": {netip.MustParseAddr("169.254.169.254")},
		},
		Resolver: failResolver{},
	}
	if mod != nil {
		mod(&cfg)
	}
	e.srv = New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	e.proxyURL = &url.URL{Scheme: "http", Host: ln.Addr().String()}
	return e
}

// failResolver makes sure tests never resolve through the real DNS.
type failResolver struct{}

func (failResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, fmt.Errorf("test resolver: no DNS here")
}

func (e *env) client(user *url.Userinfo) *http.Client {
	pu := *e.proxyURL
	pu.User = user
	return &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyURL(&pu),
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // test server cert; the proxy never sees TLS
	}}
}

func get(t *testing.T, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		return 0, err.Error(), nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestForwardAllowAndDeny(t *testing.T) {
	e := start(t, nil)
	c := e.client(nil)
	code, body, _ := get(t, c, "http://allowed.test:"+e.port+"/page")
	if code != 200 || body != "hello from allowed.test:"+e.port+" path=/page" {
		t.Fatalf("allowed: %d %q", code, body)
	}
	code, body, h := get(t, c, "http://evil.test:"+e.port+"/")
	if code != 403 || !strings.Contains(body, "default-deny") || !strings.Contains(body, "访问被拒绝") || !strings.Contains(body, "Access blocked") {
		t.Fatalf("unlisted: %d %q", code, body)
	}
	if id := h.Get("X-Clawgov-Request-Id"); id == "" || !strings.Contains(body, id) {
		t.Fatalf("request id %q not on the block page", id)
	}
	code, body, _ = get(t, c, "http://127.0.0.1:"+e.port+"/")
	if code != 403 || !strings.Contains(body, policy.RuleIPLiteral) {
		t.Fatalf("ip literal: %d %q", code, body)
	}
	recs := e.log.records(t)
	if len(recs) != 3 {
		t.Fatalf("want 3 log lines, got %d:\n%s", len(recs), e.log)
	}
	r := recs[0]
	if r.Decision != "allow" || r.Rule != "allowed" || r.Host != "allowed.test" || r.ResolvedIP != "127.0.0.1" || r.Method != "GET" || r.Status != 200 || r.BytesDown == 0 || r.Client != "127.0.0.1" || r.Path != "/page" {
		t.Fatalf("allow record %+v", r)
	}
	if recs[1].Decision != "deny" || recs[1].Rule != "default-deny" || recs[1].Status != 403 {
		t.Fatalf("deny record %+v", recs[1])
	}
}

func TestConnect(t *testing.T) {
	e := start(t, nil)
	c := e.client(nil)
	code, body, _ := get(t, c, "https://secure.test:"+e.tport+"/")
	if code != 200 || body != "secure hello" {
		t.Fatalf("allowed tunnel: %d %q", code, body)
	}
	// Unlisted port for a listed host.
	code, body, _ = get(t, c, "https://secure.test:"+e.port+"/")
	if code != 0 || !strings.Contains(body, "Forbidden") {
		t.Fatalf("unlisted port: %d %q", code, body)
	}
	c.CloseIdleConnections() // the allowed tunnel is logged when it ends
	recs := waitRecords(t, e, 2)
	if recs[1].Method == "CONNECT" && recs[1].Decision == "allow" {
		recs[0], recs[1] = recs[1], recs[0]
	}
	if len(recs) != 2 || recs[0].Method != "CONNECT" || recs[0].Decision != "allow" || recs[0].BytesUp == 0 || recs[0].BytesDown == 0 {
		t.Fatalf("records %+v", recs)
	}
	if recs[1].Decision != "deny" || recs[1].Rule != "secure" || !strings.Contains(recs[1].Reason, "port") {
		t.Fatalf("port record %+v", recs[1])
	}
}

// An allowed name that resolves to a private or metadata address is
// refused at dial time, for tunnels and forwarded requests alike.
func TestResolvedAddressHardBlocked(t *testing.T) {
	e := start(t, nil)
	c := e.client(nil)
	code, body, _ := get(t, c, "http://rebind.test:"+e.port+"/")
	if code != 403 || !strings.Contains(body, "hard-block:private") {
		t.Fatalf("http rebind: %d %q", code, body)
	}
	code, body, _ = get(t, c, "https://metadata.test:"+e.port+"/")
	if code != 0 || !strings.Contains(body, "Forbidden") {
		t.Fatalf("connect metadata: %d %q", code, body)
	}
	recs := e.log.records(t)
	if recs[0].Rule != "hard-block:private" || recs[0].ResolvedIP != "10.0.0.5" || recs[1].Rule != "hard-block:cloud-metadata" || recs[1].ResolvedIP != "169.254.169.254" {
		t.Fatalf("records %+v", recs)
	}
}

// rawRequest sends bytes and returns what the proxy answered.
func rawRequest(t *testing.T, e *env, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", e.proxyURL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

func TestRequestTricks(t *testing.T) {
	e := start(t, nil)
	cases := []struct{ name, req, want string }{
		{"userinfo", "GET http://allowed.test:" + e.port + "@evil.test/ HTTP/1.1\r\nHost: evil.test\r\nConnection: close\r\n\r\n", "400 Bad Request"},
		{"userinfo connect", "CONNECT allowed.test@evil.test:" + e.tport + " HTTP/1.1\r\nHost: x\r\n\r\n", "400 Bad Request"},
		{"host header mismatch goes to the checked host", "GET http://allowed.test:" + e.port + "/x HTTP/1.1\r\nHost: evil.test\r\nConnection: close\r\n\r\n", "hello from allowed.test:" + e.port + " path=/x"},
		{"origin-form is not a proxy request", "GET /x HTTP/1.1\r\nHost: allowed.test:" + e.port + "\r\nConnection: close\r\n\r\n", "400 Bad Request"},
		{"malformed request line", "GARBAGE\r\n\r\n", "400 Bad Request"},
		{"bad port", "CONNECT secure.test:99999 HTTP/1.1\r\nHost: x\r\n\r\n", "400 Bad Request"},
		{"mixed case + trailing dot", "GET http://ALLOWED.test.:" + e.port + "/y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "path=/y"},
	}
	for _, c := range cases {
		if got := rawRequest(t, e, c.req); !strings.Contains(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, clipStr(got), c.want)
		}
	}
}

func clipStr(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}

func TestProxyCredential(t *testing.T) {
	e := start(t, nil)
	code, _, h := get(t, e.client(nil), "http://model.test:"+e.port+"/")
	if code != 407 || h.Get("Proxy-Authenticate") == "" {
		t.Fatalf("no credential: %d", code)
	}
	code, body, _ := get(t, e.client(url.UserPassword("gw", "password")), "http://model.test:"+e.port+"/")
	if code != 200 {
		t.Fatalf("credential: %d %s", code, body)
	}
	code, _, _ = get(t, e.client(url.UserPassword("gw", "s3cret-wrong")), "http://model.test:"+e.port+"/")
	if code != 403 {
		t.Fatalf("wrong password: %d", code)
	}
	if log := e.log.String(); strings.Contains(log, "password") || strings.Contains(log, "s3cret") || strings.Contains(log, "Basic") {
		t.Fatalf("credential leaked into the log:\n%s", log)
	}
	recs := e.log.records(t)
	if recs[1].User != "gw" || recs[1].Decision != "allow" {
		t.Fatalf("records %+v", recs)
	}
}

func TestHeaderFloodAndHugeHeaders(t *testing.T) {
	e := start(t, func(c *Config) { c.MaxHeaderBytes = 4096 })
	var b strings.Builder
	b.WriteString("GET http://allowed.test:" + e.port + "/ HTTP/1.1\r\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&b, "X-Flood-%d: %s\r\n", i, strings.Repeat("a", 50))
	}
	b.WriteString("\r\n")
	if got := rawRequest(t, e, b.String()); !strings.Contains(got, "431") {
		t.Fatalf("header flood: %q", clipStr(got))
	}
	huge := "GET http://allowed.test:" + e.port + "/ HTTP/1.1\r\nX-Huge: " + strings.Repeat("b", 1<<20) + "\r\n\r\n"
	if got := rawRequest(t, e, huge); !strings.Contains(got, "431") {
		t.Fatalf("huge header: %q", clipStr(got))
	}
	if code, _, _ := get(t, e.client(nil), "http://allowed.test:"+e.port+"/"); code != 200 {
		t.Fatalf("proxy stopped serving after floods: %d", code)
	}
}

// A slowloris client that never finishes its headers is disconnected,
// and other clients are served meanwhile.
func TestSlowloris(t *testing.T) {
	e := start(t, func(c *Config) { c.HeaderTimeout = 300 * time.Millisecond })
	var conns []net.Conn
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", e.proxyURL.Host)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "GET http://allowed.test:%s/ HTTP/1.1\r\nX-Slow: ", e.port)
	}
	if code, _, _ := get(t, e.client(nil), "http://allowed.test:"+e.port+"/"); code != 200 {
		t.Fatalf("served %d while slow clients hang", code)
	}
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Fatalf("slow client not disconnected by the proxy: %v", err)
		}
		c.Close()
	}
}

// A tunnel whose peers go silent (half-open) is closed after TunnelIdle;
// the proxy keeps serving and the open-tunnel gauge returns to zero.
func TestHalfOpenTunnel(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c) }() // reads, never answers
		}
	}()
	_, sport, _ := net.SplitHostPort(silent.Addr().String())
	e := start(t, func(c *Config) { c.TunnelIdle = 300 * time.Millisecond })
	p, err := policy.Parse("t.yaml", []byte(policyText(e.port, sport)))
	if err != nil {
		t.Fatal(err)
	}
	e.srv.SetPolicy(p)
	c, err := net.Dial("tcp", e.proxyURL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "CONNECT secure.test:%s HTTP/1.1\r\nHost: secure.test\r\n\r\n", sport)
	br := bufio.NewReader(c)
	line, _ := br.ReadString('\n')
	if !strings.Contains(line, "200") {
		t.Fatalf("tunnel: %q", line)
	}
	_ = c.(*net.TCPConn).CloseWrite() // half-close from the client side
	if code, _, _ := get(t, e.client(nil), "http://allowed.test:"+e.port+"/"); code != 200 {
		t.Fatalf("served %d with a half-open tunnel", code)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadAll(br); err != nil {
		t.Fatalf("half-open tunnel not closed: %v", err)
	}
	for i := 0; e.srv.metrics.tunnels.Load() != 0; i++ {
		if i > 3000 {
			t.Fatal("tunnel gauge stuck")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReloadKeepsOldOnInvalid(t *testing.T) {
	e := start(t, nil)
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	old := e.srv.Policy().Hash
	if err := os.WriteFile(path, []byte("version: 1\nentries:\n  x: {hosts: ['*']}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Reload(path); err == nil || e.srv.Policy().Hash != old {
		t.Fatalf("invalid policy accepted: %v", err)
	}
	if code, _, _ := get(t, e.client(nil), "http://allowed.test:"+e.port+"/"); code != 200 {
		t.Fatalf("old policy not kept: %d", code)
	}
	if err := os.WriteFile(path, []byte("version: 1\nentries:\n  only-other: {hosts: [other.test]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Reload(path); err != nil {
		t.Fatal(err)
	}
	other := e.srv.Policy().Hash
	if code, _, _ := get(t, e.client(nil), "http://allowed.test:"+e.port+"/"); code != 403 {
		t.Fatalf("new policy not live: %d", code)
	}
	// Watch picks up a file change without a signal.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.srv.Watch(ctx, path, 20*time.Millisecond)
	// A refused change is counted (once) and the live policy stays; the
	// next good change still loads.
	if err := os.WriteFile(path, []byte("version: 1\nentries:\n  x: {hosts: ['*']}\n#2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		var m bytes.Buffer
		e.srv.metrics.writeTo(&m)
		if strings.Contains(m.String(), `clawgov_egress_policy_reloads_total{result="error"} 2`) {
			break
		}
		if i > 3000 {
			t.Fatalf("watch did not refuse the bad file:\n%s", m.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if e.srv.Policy().Hash != other {
		t.Fatal("a refused change replaced the live policy")
	}
	if err := os.WriteFile(path, []byte(policyText(e.port, e.tport)), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if e.srv.Policy().Hash != other && e.srv.Policy().Hash == old {
			break
		}
		if i > 3000 {
			t.Fatal("watch did not reload")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var m bytes.Buffer
	e.srv.metrics.writeTo(&m)
	if !strings.Contains(m.String(), `clawgov_egress_policy_reloads_total{result="error"} 2`) {
		t.Fatalf("metrics:\n%s", m.String())
	}
}

func TestAdmin(t *testing.T) {
	e := start(t, nil)
	get(t, e.client(nil), "http://allowed.test:"+e.port+"/")
	get(t, e.client(nil), "http://evil.test:"+e.port+"/")
	adm := httptest.NewServer(e.srv.AdminHandler())
	defer adm.Close()
	code, body, _ := get(t, http.DefaultClient, adm.URL+"/metrics")
	for _, want := range []string{
		`clawgov_egress_requests_total{kind="http",decision="allow"} 1`,
		`clawgov_egress_requests_total{kind="http",decision="deny"} 1`,
		`clawgov_egress_policy_info{sha256="` + e.srv.Policy().Hash + `"} 1`,
		"clawgov_egress_tunnels_open 0",
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("metrics missing %q:\n%s", want, body)
		}
	}
	code, body, _ = get(t, http.DefaultClient, adm.URL+"/policy")
	var pi PolicyInfo
	if code != 200 || json.Unmarshal([]byte(body), &pi) != nil || pi.SHA256 != e.srv.Policy().Hash || pi.Default != "deny" || pi.Entries != 4 {
		t.Fatalf("policy info %d %s", code, body)
	}
}

func waitRecords(t *testing.T, e *env, n int) []record {
	t.Helper()
	for i := 0; ; i++ {
		if recs := e.log.records(t); len(recs) >= n {
			return recs
		}
		if i > 3000 {
			t.Fatalf("want %d log lines:\n%s", n, e.log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Bytes sent in the same write as the CONNECT head reach the site first,
// and each side's half-close reaches the other while the opposite
// direction keeps flowing: the site says hello and shuts its write side,
// the client reads that EOF and only then sends its part, which the site
// answers on the connection the client has not closed.
func TestTunnelPipelinedAndHalfClose(t *testing.T) {
	site, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	got := make(chan string, 1)
	go func() {
		c, err := site.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		early := make([]byte, 5)
		if _, err := io.ReadFull(c, early); err != nil {
			got <- "read early: " + err.Error()
			return
		}
		_, _ = io.WriteString(c, "hello")
		_ = c.(*net.TCPConn).CloseWrite()
		rest, err := io.ReadAll(c)
		if err != nil {
			got <- "read rest: " + err.Error()
			return
		}
		got <- string(early) + "|" + string(rest)
	}()
	_, sport, _ := net.SplitHostPort(site.Addr().String())
	e := start(t, nil)
	p, err := policy.Parse("t.yaml", []byte(policyText(e.port, sport)))
	if err != nil {
		t.Fatal(err)
	}
	e.srv.SetPolicy(p)
	c, err := net.Dial("tcp", e.proxyURL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(c, "CONNECT secure.test:%s HTTP/1.1\r\nHost: secure.test\r\n\r\nearly", sport)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	down, err := io.ReadAll(br)
	if err != nil || string(down) != "hello" {
		t.Fatalf("site to client: %q %v", down, err)
	}
	if _, err := io.WriteString(c, "after-eof"); err != nil {
		t.Fatalf("client write after the site's half-close: %v", err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	if g := <-got; g != "early|after-eof" {
		t.Fatalf("site got %q", g)
	}
	recs := waitRecords(t, e, 1)
	if recs[0].BytesUp != int64(len("early")+len("after-eof")) || recs[0].BytesDown != int64(len("hello")) {
		t.Fatalf("record %+v", recs[0])
	}
}
