package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/probe/probetest"
)

// requestLog records what a test server received, so tests can prove the
// prober never sent more than it should.
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, s)
}

func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs...)
}

// rawServer accepts TCP connections and hands each to fn.
func rawServer(t *testing.T, fn func(net.Conn)) (netip.Addr, int) {
	t.Helper()
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
			go fn(c)
		}
	}()
	ap := netip.MustParseAddrPort(ln.Addr().String())
	return ap.Addr(), int(ap.Port())
}

func httpServer(t *testing.T, h http.Handler) (netip.Addr, int) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ap := netip.MustParseAddrPort(strings.TrimPrefix(srv.URL, "http://"))
	return ap.Addr(), int(ap.Port())
}

func fastProber() *Prober { return &Prober{Timeout: 700 * time.Millisecond} }

func TestProbeFakeGateways(t *testing.T) {
	cases := []struct {
		name                   string
		g                      *probetest.FakeGateway
		auth, openai, uiConfig string
		terminal               bool
	}{
		{"auth none", &probetest.FakeGateway{AuthOpen: true, Terminal: true}, AuthOpen, OpenAIOff, "open", true},
		{"token", &probetest.FakeGateway{Terminal: true}, AuthRequired, OpenAIOff, "protected", true},
		{"openai open", &probetest.FakeGateway{AuthOpen: true, OpenAI: true}, AuthOpen, OpenAIOpen, "open", false},
		{"openai behind auth", &probetest.FakeGateway{OpenAI: true}, AuthRequired, OpenAIOn, "protected", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, port := httpServer(t, c.g)
			r := fastProber().Probe(context.Background(), addr, port, "")
			if r.Product != ProductOpenClaw || r.Version != "2026.9.6" || r.Auth != c.auth || r.OpenAI != c.openai || r.UIConfig != c.uiConfig || !r.WSChallenge || !r.ControlUI {
				t.Fatalf("result %+v", r)
			}
			if r.Terminal == nil || *r.Terminal != c.terminal {
				t.Fatalf("terminal %v", r.Terminal)
			}
			for _, req := range c.g.Requests() {
				if strings.Contains(req, "auth=Bearer") || strings.Contains(req, `"name"`) {
					t.Errorf("prober sent a credential or named a tool: %q", req)
				}
				if strings.HasPrefix(req, "POST ") && !strings.HasPrefix(req, "POST /tools/invoke {} ") {
					t.Errorf("unexpected POST %q", req)
				}
			}
		})
	}
}

func TestProbeTLSGateway(t *testing.T) {
	g := &probetest.FakeGateway{AuthOpen: true}
	srv := httptest.NewUnstartedServer(g)
	// The plain-text attempt before TLS makes the server log; keep the
	// test output clean.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ap := netip.MustParseAddrPort(strings.TrimPrefix(srv.URL, "https://"))
	r := fastProber().Probe(context.Background(), ap.Addr(), int(ap.Port()), "")
	if !r.TLS || r.Product != ProductOpenClaw || r.Auth != AuthOpen {
		t.Fatalf("TLS gateway: %+v", r)
	}
}

func TestProbeDecoys(t *testing.T) {
	var nginxLog requestLog
	nginx := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nginxLog.add(r.Method + " " + r.URL.Path)
		w.Header().Set("Server", "nginx")
		io.WriteString(w, "<html><head><title>Welcome to nginx!</title></head></html>")
	})
	titleOnly := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html><head><title>OpenClaw Control</title></head><body>honeypot</body></html>")
	})
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://192.0.2.1/"+r.URL.Path, http.StatusFound)
	})
	huge := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Big", strings.Repeat("a", 60<<10))
		for range 100 {
			if _, err := w.Write(make([]byte, 64<<10)); err != nil {
				return
			}
		}
	})
	type decoy struct {
		name    string
		addr    netip.Addr
		port    int
		wantErr string
	}
	var ds []decoy
	add := func(name string, a netip.Addr, p int, wantErr string) { ds = append(ds, decoy{name, a, p, wantErr}) }
	a, p := httpServer(t, nginx)
	add("plain http", a, p, "")
	a, p = httpServer(t, titleOnly)
	add("title only", a, p, "no gateway behaviour")
	a, p = httpServer(t, redirect)
	add("redirect off target", a, p, "")
	a, p = httpServer(t, huge)
	add("huge response", a, p, "")
	a, p = rawServer(t, func(c net.Conn) { time.Sleep(5 * time.Second); c.Close() })
	add("slow", a, p, "no response within the timeout")
	a, p = rawServer(t, func(c net.Conn) {
		_ = c.(*net.TCPConn).SetLinger(0)
		c.Close()
	})
	add("reset", a, p, "")
	a, p = rawServer(t, func(c net.Conn) {
		defer c.Close()
		c.Write([]byte("\x00\xff\x13garbage \x1b[31m bytes\r\n\r\n"))
	})
	add("garbage", a, p, "not an HTTP response")
	a, p = rawServer(t, func(c net.Conn) {
		defer c.Close()
		c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
		time.Sleep(200 * time.Millisecond)
	})
	add("ssh banner", a, p, "not an HTTP response")
	a, p = rawServer(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		_, _ = http.ReadRequest(br)
		c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n<title>OpenClaw Control</title>"))
	})
	add("truncated body", a, p, "no gateway behaviour")
	a, p = rawServer(t, func(c net.Conn) {
		defer c.Close()
		_, _ = http.ReadRequest(bufio.NewReader(c))
		c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x7f\xff\xff\xff\xff\xff\xff\xff\xff"))
	})
	add("fake 101 with absurd frame", a, p, "")

	for _, d := range ds {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r := fastProber().Probe(context.Background(), d.addr, d.port, "")
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if r.Product != NotOpenClaw || r.IsGateway() {
				t.Fatalf("classified as %q: %+v", r.Product, r)
			}
			if d.wantErr != "" && !strings.Contains(r.Error, d.wantErr) {
				t.Fatalf("error %q, want %q (evidence %q)", r.Error, d.wantErr, r.Evidence)
			}
		})
	}
	t.Run("plain http got only the two first requests", func(t *testing.T) {
		for _, r := range nginxLog.all() {
			if r != "GET /startupz" && r != "GET /" {
				t.Errorf("non-OpenClaw server received %q", r)
			}
		}
	})
}

// A cancelled context stops a probe at once, even against a server that
// never answers.
func TestProbeHonoursCancellation(t *testing.T) {
	a, p := rawServer(t, func(c net.Conn) { time.Sleep(10 * time.Second); c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := (&Prober{Timeout: 10 * time.Second}).Probe(ctx, a, p, "")
	if time.Since(start) > 2*time.Second || r.IsGateway() {
		t.Fatalf("took %v, result %+v", time.Since(start), r)
	}
}

func TestScannerFindsGatewaysAmongDecoys(t *testing.T) {
	ga, gp := httpServer(t, &probetest.FakeGateway{AuthOpen: true})
	_, np := httpServer(t, http.NotFoundHandler())
	_, sp := rawServer(t, func(c net.Conn) { time.Sleep(3 * time.Second); c.Close() })
	// A port that is certainly closed: listen, note the port, close.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ports := []int{gp, np, sp, closed}
	set, err := ParseTargets(context.Background(), []string{ga.String()}, TargetOptions{Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	var lastDone, lastTotal uint64
	sc := &Scanner{Prober: fastProber(), Concurrency: 3, Progress: func(d, tot uint64) { lastDone, lastTotal = d, tot }}
	res, st, err := sc.Scan(context.Background(), set)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || st.Open != 3 || st.Gateways != 1 || st.Endpoints != 4 {
		t.Fatalf("stats %+v results %+v", st, res)
	}
	for _, r := range res {
		if (r.Port == gp) != r.IsGateway() {
			t.Errorf("port %d classified %s", r.Port, r.Product)
		}
	}
	if lastDone != 4 || lastTotal != 4 {
		t.Errorf("progress ended at %d/%d", lastDone, lastTotal)
	}
}

func TestScannerRateLimit(t *testing.T) {
	set, err := ParseTargets(context.Background(), []string{"127.0.0.1"}, TargetOptions{Ports: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var dials []time.Time
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dials = append(dials, time.Now())
		mu.Unlock()
		return nil, &net.OpError{Op: "dial", Err: fmt.Errorf("connection refused")}
	}
	start := time.Now()
	sc := &Scanner{Prober: &Prober{Dial: dial}, Concurrency: 50, Rate: 50}
	if _, _, err := sc.Scan(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	// 21 starts at 50/s with a 50ms burst allowance: at least ~0.35s.
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Fatalf("21 endpoints at 50/s took only %v", took)
	}
	if len(dials) != 21 {
		t.Fatalf("%d dials", len(dials))
	}
}

func TestScannerConcurrencyBound(t *testing.T) {
	var mu sync.Mutex
	inFlight, peak := 0, 0
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		inFlight++
		if inFlight > peak {
			peak = inFlight
		}
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		return nil, fmt.Errorf("refused")
	}
	set, _ := ParseTargets(context.Background(), []string{"127.0.0.1"}, TargetOptions{Ports: rangeInts(1, 60)})
	sc := &Scanner{Prober: &Prober{Dial: dial}, Concurrency: 4}
	if _, _, err := sc.Scan(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	if peak > 4 || peak < 2 {
		t.Fatalf("peak concurrency %d, want <= 4", peak)
	}
}

func rangeInts(a, b int) []int {
	var out []int
	for i := a; i <= b; i++ {
		out = append(out, i)
	}
	return out
}

func TestRetriesOnlyOnTimeout(t *testing.T) {
	var mu sync.Mutex
	count := map[string]int{}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		count[addr]++
		mu.Unlock()
		if strings.HasSuffix(addr, ":1") {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("connection refused")
	}
	set, _ := ParseTargets(context.Background(), []string{"127.0.0.1"}, TargetOptions{Ports: []int{1, 2}})
	sc := &Scanner{Prober: &Prober{Dial: dial}, Retries: 2, ConnectTimeout: 30 * time.Millisecond}
	if _, _, err := sc.Scan(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	if count["127.0.0.1:1"] != 3 || count["127.0.0.1:2"] != 1 {
		t.Fatalf("dial counts %v", count)
	}
}

func TestFindingsAndCSV(t *testing.T) {
	yes := true
	res := []Result{
		{Address: "10.0.0.5", Port: 18789, Open: true, Product: ProductOpenClaw, Version: "2026.9.6", Auth: AuthOpen, OpenAI: OpenAIOpen, Terminal: &yes, ControlUI: true, UIConfig: "open",
			Evidence: []string{"GET /startupz -> 200 [startupz-started]", "POST /tools/invoke -> 400 [tools-invoke-open]", "GET /v1/models -> 200 [models-open]"}},
		{Address: "127.0.0.1", Port: 19001, Open: true, Product: ProductClawdbot, Auth: AuthRequired, UIConfig: "open"},
		{Address: "10.0.0.6", Port: 18789, Open: true, Product: NotOpenClaw, Error: "=cmd|' /C calc'!A0"},
	}
	fs := Findings(res)
	got := map[string]string{}
	for _, f := range fs {
		got[f.CheckID+" "+f.Target] = string(f.Status) + "/" + f.MessageKey
	}
	want := map[string]string{
		"CG-EXP-020 10.0.0.5:18789":  "fail/reachable",
		"CG-EXP-010 10.0.0.5:18789":  "fail/open",
		"CG-EXP-011 10.0.0.5:18789":  "fail/open",
		"CG-EXP-012 10.0.0.5:18789":  "fail/enabled",
		"CG-EXP-020 127.0.0.1:19001": "warn/loopback",
		"CG-EXP-021 127.0.0.1:19001": "warn/open",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("findings\n got %v\nwant %v", got, want)
	}
	var b strings.Builder
	if err := WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 || lines[0] != strings.Join(CSVHeader, ",") {
		t.Fatalf("csv:\n%s", b.String())
	}
	if !strings.Contains(lines[1], "openai-endpoints-open;terminal;control-ui-config-open;control-ui") {
		t.Errorf("extras cell: %s", lines[1])
	}
	if strings.Contains(b.String(), ",=cmd") {
		t.Errorf("formula injection not neutralised:\n%s", b.String())
	}
}

func TestWriteTable(t *testing.T) {
	res := []Result{
		{Address: "10.0.0.5", Port: 18789, Open: true, Product: ProductOpenClaw, Version: "2026.9.6", Auth: AuthOpen},
		{Address: "10.0.0.6", Port: 18789, Open: true, Product: NotOpenClaw},
	}
	var b strings.Builder
	if err := WriteTable(&b, res, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "10.0.0.5:18789") || strings.Contains(out, "10.0.0.6") || !strings.Contains(out, "1 other open port") {
		t.Fatalf("table:\n%s", out)
	}
	b.Reset()
	_ = WriteTable(&b, res, true)
	if !strings.Contains(b.String(), "10.0.0.6:18789") {
		t.Fatalf("--all table:\n%s", b.String())
	}
}

// Seen from another host the gateway withholds its version on /startupz;
// the Control UI build id still gives it away, and the tools API still
// proves a gateway.
func TestProbeRemoteStyleGateway(t *testing.T) {
	addr, port := httpServer(t, &probetest.FakeGateway{Remote: true})
	r := fastProber().Probe(context.Background(), addr, port, "")
	if r.Product != ProductOpenClaw || r.Version != "2026.9.6" || r.Auth != AuthRequired {
		t.Fatalf("%+v", r)
	}
	if r.Signatures[0] != "startupz-started-remote" {
		t.Fatalf("signatures %v", r.Signatures)
	}
}
