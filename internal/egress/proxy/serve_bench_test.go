package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkServeBinary measures the proxy as it is deployed: the real
// `clawgov egress serve` binary (static, -trimpath, as released) in its
// own process with a 10,000-entry policy file and --log to a file, while
// this process is the load generator, the origin and the echo server. So
// the proxy no longer shares a Go runtime with its own load, and the CPU
// each side used is reported.
//
// Every figure is measured against going direct in the same run:
//
//	lat-*      one client alternating direct and proxied operations
//	           (idle machine latency; alternation cancels drift in the
//	           load other processes put on the machine)
//	http-*     keep-alive GETs of a 512-byte page from CONC connections
//	connect-*  a new tunnel per operation (CONNECT, 64-byte echo, close)
//	           from CONC/2 clients; direct is a new TCP connection
//	tunnels-*  1,000 tunnels held open, each having echoed 64 bytes: the
//	           proxy's peak RSS while they are open
//
// bench/egress.sh runs it (and pins each side to one core); it builds the
// binary itself when CLAWGOV_EGRESS_BENCH_BIN is unset. Knobs:
// CLAWGOV_EGRESS_BENCH_DURATION (per load phase, default 3s),
// CLAWGOV_EGRESS_BENCH_CONC (default 32), CLAWGOV_EGRESS_BENCH_PROXY_CPUS
// (taskset list for the proxy process, default unpinned).
func BenchmarkServeBinary(b *testing.B) {
	bin := os.Getenv("CLAWGOV_EGRESS_BENCH_BIN")
	if bin == "" {
		bin = buildServeBinary(b)
	}
	dur := 3 * time.Second
	if v := os.Getenv("CLAWGOV_EGRESS_BENCH_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("CLAWGOV_EGRESS_BENCH_DURATION: %v", err)
		}
		dur = d
	}
	conc := 32
	if v := os.Getenv("CLAWGOV_EGRESS_BENCH_CONC"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			b.Fatalf("CLAWGOV_EGRESS_BENCH_CONC %q: want an integer >= 2", v)
		}
		conc = n
	}
	for i := 0; i < b.N; i++ {
		runServeBinary(b, bin, dur, conc)
	}
}

func buildServeBinary(b *testing.B) string {
	b.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		b.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(b.TempDir(), "clawgov")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/clawgov")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build clawgov: %v\n%s", err, out)
	}
	return bin
}

type proxyProc struct {
	cmd   *exec.Cmd
	addr  string
	admin string
	log   string
}

var listenRE = regexp.MustCompile(`listening on (\S+) `)

func startServeBinary(b *testing.B, bin, dir, originPort, echoPort string) *proxyProc {
	b.Helper()
	var pb strings.Builder
	pb.WriteString("version: 1\nentries:\n")
	for i := 0; i < 9998; i++ {
		fmt.Fprintf(&pb, "  e%05d: {hosts: [\"site%d.example\", \"*.w%d.example\"], ports: [443]}\n", i, i, i)
	}
	fmt.Fprintf(&pb, "  origin: {hosts: [origin.test], ports: [%s], schemes: [http], allow_networks: [127.0.0.1]}\n", originPort)
	fmt.Fprintf(&pb, "  echo: {hosts: [echo.test], ports: [%s], allow_networks: [127.0.0.1]}\n", echoPort)
	pf := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pf, []byte(pb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	aln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	admin := aln.Addr().String()
	aln.Close()
	p := &proxyProc{admin: admin, log: filepath.Join(dir, "egress.jsonl")}
	args := []string{bin, "egress", "serve", "--listen", "127.0.0.1:0", "--policy", pf, "--log", p.log,
		"--admin", admin, "--resolve", "origin.test=127.0.0.1", "--resolve", "echo.test=127.0.0.1", "--max-conns", "8192"}
	if cpus := os.Getenv("CLAWGOV_EGRESS_BENCH_PROXY_CPUS"); cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	p.cmd = exec.Command(args[0], args[1:]...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", bin, err)
	}
	b.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		_ = p.cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			p.addr = m[1]
			break
		}
	}
	if p.addr == "" {
		b.Fatalf("proxy did not report its address")
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	return p
}

// cpuSeconds is the user+system CPU time of a process (from /proc, in
// clock ticks of 1/100 s).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100
}

func selfCPUSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func procStatusMiB(pid int, key string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, key+":") {
			if f := strings.Fields(line); len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// rawHTTP is a lean keep-alive HTTP/1.1 client, so the load generator
// spends little of the machine on itself.
type rawHTTP struct {
	c   net.Conn
	br  *bufio.Reader
	req []byte
}

func dialRawHTTP(addr, req string) (*rawHTTP, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &rawHTTP{c: c, br: bufio.NewReaderSize(c, 4096), req: []byte(req)}, nil
}

func (h *rawHTTP) get() error {
	if _, err := h.c.Write(h.req); err != nil {
		return err
	}
	line, err := h.br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q", line)
	}
	cl := -1
	for {
		line, err = h.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if len(line) > 15 && bytes.EqualFold(line[:15], []byte("content-length:")) {
			cl, _ = strconv.Atoi(string(bytes.TrimSpace(line[15:])))
		}
	}
	if cl < 0 {
		return fmt.Errorf("response without Content-Length")
	}
	_, err = h.br.Discard(cl)
	return err
}

var echoMsg = bytes.Repeat([]byte("p"), 64)

// connectOnce opens a tunnel (or, with connectReq empty, a direct
// connection), echoes 64 bytes and returns the open connection.
func connectOnce(addr, connectReq string, buf []byte) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	var r io.Reader = c
	if connectReq != "" {
		if _, err := io.WriteString(c, connectReq); err != nil {
			c.Close()
			return nil, err
		}
		br := bufio.NewReaderSize(c, 512)
		line, err := br.ReadSlice('\n')
		if err != nil || !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
			c.Close()
			return nil, fmt.Errorf("CONNECT: %q %v", line, err)
		}
		for {
			line, err = br.ReadSlice('\n')
			if err != nil {
				c.Close()
				return nil, err
			}
			if len(line) <= 2 {
				break
			}
		}
		r = br
	}
	if _, err := c.Write(echoMsg); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := io.ReadFull(r, buf[:len(echoMsg)]); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

type phase struct {
	ops               int
	secs              float64
	lat               []time.Duration
	proxyCPU, selfCPU float64
}

func (p phase) rate() float64 { return float64(p.ops) / p.secs }

func pct(d []time.Duration, q int) float64 {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return float64(d[len(d)*q/100].Nanoseconds()) / 1e6
}

// load runs op from n workers for dur and collects per-op latency.
func load(b *testing.B, pid, n int, dur time.Duration, newWorker func() (func() error, func())) phase {
	b.Helper()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ph phase
	var failed atomic.Value
	c0, s0, t0 := cpuSeconds(pid), selfCPUSeconds(), time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op, done := newWorker()
			defer done()
			var local []time.Duration
			for !stop.Load() {
				t := time.Now()
				if err := op(); err != nil {
					failed.Store(err)
					stop.Store(true)
					break
				}
				local = append(local, time.Since(t))
			}
			mu.Lock()
			ph.lat = append(ph.lat, local...)
			mu.Unlock()
		}()
	}
	time.Sleep(dur)
	stop.Store(true)
	wg.Wait()
	ph.secs = time.Since(t0).Seconds()
	ph.proxyCPU = (cpuSeconds(pid) - c0) / ph.secs
	ph.selfCPU = (selfCPUSeconds() - s0) / ph.secs
	ph.ops = len(ph.lat)
	if err, _ := failed.Load().(error); err != nil {
		b.Fatalf("load: %v", err)
	}
	return ph
}

func runServeBinary(b *testing.B, bin string, dur time.Duration, conc int) {
	body := strings.Repeat("x", 512)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) }))
	defer origin.Close()
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	_, oport, _ := net.SplitHostPort(origin.Listener.Addr().String())
	_, eport, _ := net.SplitHostPort(echo.Addr().String())
	p := startServeBinary(b, bin, b.TempDir(), oport, eport)
	pid := p.cmd.Process.Pid

	directReq := "GET / HTTP/1.1\r\nHost: " + origin.Listener.Addr().String() + "\r\n\r\n"
	proxyReq := "GET http://origin.test:" + oport + "/ HTTP/1.1\r\nHost: origin.test:" + oport + "\r\n\r\n"
	connectReq := "CONNECT echo.test:" + eport + " HTTP/1.1\r\nHost: echo.test:" + eport + "\r\n\r\n"
	var proxied atomic.Int64 // requests sent through the proxy, to compare with the log

	// Idle latency: one client, direct and proxied operations alternating.
	const latN = 2000
	dh, err := dialRawHTTP(origin.Listener.Addr().String(), directReq)
	if err != nil {
		b.Fatal(err)
	}
	ph, err := dialRawHTTP(p.addr, proxyReq)
	if err != nil {
		b.Fatal(err)
	}
	var latHD, latHP, latCD, latCP []time.Duration
	buf := make([]byte, 64)
	for i := 0; i < latN; i++ {
		t := time.Now()
		if err := dh.get(); err != nil {
			b.Fatal(err)
		}
		latHD = append(latHD, time.Since(t))
		t = time.Now()
		if err := ph.get(); err != nil {
			b.Fatal(err)
		}
		latHP = append(latHP, time.Since(t))
		proxied.Add(1)
		t = time.Now()
		c, err := connectOnce(echo.Addr().String(), "", buf)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
		latCD = append(latCD, time.Since(t))
		t = time.Now()
		c, err = connectOnce(p.addr, connectReq, buf)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
		latCP = append(latCP, time.Since(t))
		proxied.Add(1)
	}
	dh.c.Close()
	ph.c.Close()

	httpWorker := func(addr, req string, count bool) func() (func() error, func()) {
		return func() (func() error, func()) {
			h, err := dialRawHTTP(addr, req)
			if err != nil {
				return func() error { return err }, func() {}
			}
			return func() error {
				if count {
					proxied.Add(1)
				}
				return h.get()
			}, func() { h.c.Close() }
		}
	}
	connWorker := func(addr, req string, count bool) func() (func() error, func()) {
		return func() (func() error, func()) {
			buf := make([]byte, 64)
			return func() error {
				if count {
					proxied.Add(1)
				}
				c, err := connectOnce(addr, req, buf)
				if err != nil {
					return err
				}
				return c.Close()
			}, func() {}
		}
	}
	hd := load(b, pid, conc, dur, httpWorker(origin.Listener.Addr().String(), directReq, false))
	hp := load(b, pid, conc, dur, httpWorker(p.addr, proxyReq, true))
	cd := load(b, pid, conc/2, dur, connWorker(echo.Addr().String(), "", false))
	cp := load(b, pid, conc/2, dur, connWorker(p.addr, connectReq, true))

	// 1,000 open tunnels. Reset the peak RSS first so it is the tunnels'
	// peak, not the load phases'.
	rssBase := procStatusMiB(pid, "VmRSS")
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
	const nTunnels = 1000
	conns := make([]net.Conn, 0, nTunnels)
	for len(conns) < nTunnels {
		c, err := connectOnce(p.addr, connectReq, buf)
		if err != nil {
			b.Fatalf("tunnel %d: %v", len(conns), err)
		}
		conns = append(conns, c)
		proxied.Add(1)
	}
	open := openTunnels(p.admin)
	rssPeak := procStatusMiB(pid, "VmHWM")
	rssNow := procStatusMiB(pid, "VmRSS")
	for _, c := range conns {
		c.Close()
	}
	if open != nTunnels {
		b.Fatalf("admin reports %d open tunnels, want %d", open, nTunnels)
	}

	// Every request is one log line, written promptly.
	want := proxied.Load()
	var lines int64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if lines = countLines(p.log); lines >= want {
			break
		}
	}
	if lines != want {
		b.Fatalf("log has %d lines for %d proxied requests", lines, want)
	}

	r := func(v float64, unit string) { b.ReportMetric(v, unit) }
	r(pct(latHD, 50), "lat-http-direct-p50-ms")
	r(pct(latHP, 50), "lat-http-proxy-p50-ms")
	r(pct(latHD, 99), "lat-http-direct-p99-ms")
	r(pct(latHP, 99), "lat-http-proxy-p99-ms")
	r(pct(latCD, 50), "lat-connect-direct-p50-ms")
	r(pct(latCP, 50), "lat-connect-proxy-p50-ms")
	r(pct(latCD, 99), "lat-connect-direct-p99-ms")
	r(pct(latCP, 99), "lat-connect-proxy-p99-ms")
	for _, x := range []struct {
		name string
		ph   phase
	}{{"http-direct", hd}, {"http-proxy", hp}, {"connect-direct", cd}, {"connect-proxy", cp}} {
		r(x.ph.rate(), x.name+"-ops/s")
		r(pct(x.ph.lat, 50), x.name+"-p50-ms")
		r(pct(x.ph.lat, 99), x.name+"-p99-ms")
		r(x.ph.proxyCPU, x.name+"-proxy-cpu")
		r(x.ph.selfCPU, x.name+"-load-cpu")
	}
	r(rssBase, "proxy-rss-before-tunnels-MiB")
	r(rssPeak, "tunnels-proxy-peak-rss-MiB")
	r(rssNow, "tunnels-proxy-rss-MiB")
	r(float64(open), "tunnels-open")
	r(float64(lines), "log-lines")
	r(float64(conc), "conc")
}

func openTunnels(admin string) int {
	last := -1
	for i := 0; i < 200; i++ {
		resp, err := http.Get("http://" + admin + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "clawgov_egress_tunnels_open "); ok {
					last, _ = strconv.Atoi(v)
					if last >= 1000 {
						return last
					}
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return last
}

func countLines(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return int64(bytes.Count(b, []byte{'\n'}))
}
