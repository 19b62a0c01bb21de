package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/egress/policy"
)

// benchEnv: a local origin, an echo server for tunnels, and a proxy whose
// policy has 10,000 entries (the two used ones among them).
type benchEnv struct {
	origin   *httptest.Server
	echo     net.Listener
	proxy    string
	srv      *Server
	port     string
	echoPort string
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	e := &benchEnv{}
	body := strings.Repeat("x", 512)
	e.origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
	b.Cleanup(e.origin.Close)
	var err error
	e.echo, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.echo.Close() })
	go func() {
		for {
			c, err := e.echo.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	_, e.port, _ = net.SplitHostPort(e.origin.Listener.Addr().String())
	_, e.echoPort, _ = net.SplitHostPort(e.echo.Addr().String())
	var pb strings.Builder
	pb.WriteString("version: 1\nentries:\n")
	for i := 0; i < 9998; i++ {
		fmt.Fprintf(&pb, "  e%05d: {hosts: [\"site%d.example\", \"*.w%d.example\"], ports: [443]}\n", i, i, i)
	}
	fmt.Fprintf(&pb, "  origin: {hosts: [origin.test], ports: [%s], schemes: [http], allow_networks: [127.0.0.1]}\n", e.port)
	fmt.Fprintf(&pb, "  echo: {hosts: [echo.test], ports: [%s], allow_networks: [127.0.0.1]}\n", e.echoPort)
	p, err := policy.Parse("bench.yaml", []byte(pb.String()))
	if err != nil {
		b.Fatal(err)
	}
	lo := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	lf, err := os.Create(filepath.Join(b.TempDir(), "egress.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { lf.Close() })
	e.srv = New(Config{Policy: p, Log: lf, Resolve: map[string][]netip.Addr{"origin.test": lo, "echo.test": lo}, Resolver: failResolver{}, MaxConns: 8192})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = e.srv.Serve(ctx, ln) }()
	b.Cleanup(cancel)
	e.proxy = ln.Addr().String()
	return e
}

func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
}

func benchHTTP(b *testing.B, viaProxy bool) {
	e := newBenchEnv(b)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	target := "http://origin.test:" + e.port + "/"
	if viaProxy {
		tr.Proxy = http.ProxyURL(&url.URL{Scheme: "http", Host: e.proxy})
	} else {
		target = e.origin.URL + "/"
	}
	c := &http.Client{Transport: tr}
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var local []time.Duration
		for pb.Next() {
			t0 := time.Now()
			resp, err := c.Get(target)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	reportLatency(b, lat)
}

func BenchmarkHTTPDirect(b *testing.B) { benchHTTP(b, false) }
func BenchmarkHTTPProxy(b *testing.B)  { benchHTTP(b, true) }

// benchConnect: each op opens a fresh connection (direct or a CONNECT
// tunnel through the proxy), exchanges 64 bytes with the echo server and
// closes it: the cost of one new HTTPS connection minus TLS.
func benchConnect(b *testing.B, viaProxy bool) {
	e := newBenchEnv(b)
	msg := []byte(strings.Repeat("p", 64))
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 64)
		var local []time.Duration
		for pb.Next() {
			t0 := time.Now()
			var c net.Conn
			var err error
			var br *bufio.Reader
			if viaProxy {
				c, err = net.Dial("tcp", e.proxy)
				if err == nil {
					fmt.Fprintf(c, "CONNECT echo.test:%s HTTP/1.1\r\nHost: echo.test\r\n\r\n", e.echoPort)
					br = bufio.NewReader(c)
					var resp *http.Response
					resp, err = http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("CONNECT status %d", resp.StatusCode)
					}
				}
			} else {
				c, err = net.Dial("tcp", e.echo.Addr().String())
				if err == nil {
					br = bufio.NewReader(c)
				}
			}
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := c.Write(msg); err != nil {
				b.Error(err)
				return
			}
			if _, err := io.ReadFull(br, buf); err != nil {
				b.Error(err)
				return
			}
			c.Close()
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conn/s")
	reportLatency(b, lat)
}

func BenchmarkConnectDirect(b *testing.B) { benchConnect(b, false) }
func BenchmarkConnectProxy(b *testing.B)  { benchConnect(b, true) }

// BenchmarkOpenTunnels holds 1,000 tunnels open at once and reports the
// heap in use and the process's peak RSS (which includes the benchmark's
// own client side and the 10,000-entry policy, so it is an upper bound).
func BenchmarkOpenTunnels(b *testing.B) {
	e := newBenchEnv(b)
	const n = 1000
	for i := 0; i < b.N; i++ {
		conns := make([]net.Conn, 0, n)
		for j := 0; j < n; j++ {
			c, err := net.Dial("tcp", e.proxy)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(c, "CONNECT echo.test:%s HTTP/1.1\r\nHost: echo.test\r\n\r\n", e.echoPort)
			resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodConnect})
			if err != nil || resp.StatusCode != 200 {
				b.Fatalf("tunnel %d: %v", j, err)
			}
			conns = append(conns, c)
		}
		for e.srv.metrics.tunnels.Load() < n {
			time.Sleep(time.Millisecond)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(peakRSSMiB(), "peakRSS-MiB")
		b.ReportMetric(float64(e.srv.metrics.tunnels.Load()), "tunnels")
		for _, c := range conns {
			c.Close()
		}
	}
}

func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
