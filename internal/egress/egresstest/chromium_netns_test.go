package egresstest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/egress/policy"
	"github.com/clawgov/clawgov/internal/egress/proxy"
)

const helperEnv = "CLAWGOV_TEST_EGRESS_SITES"

// pageA is the allowed site's page: after loading it reaches the unlisted
// site B five ways (fetch, beacon, img, iframe, WebSocket). Every one of
// them must be refused by the proxy and logged.
const pageA = `<!doctype html><html><head><title>site A</title></head><body>
<p id="hello">hello from site A</p>
<img src="http://site-b.test/img.png">
<iframe src="http://site-b.test/frame"></iframe>
<script>
fetch("http://site-b.test/fetch").catch(function(){});
navigator.sendBeacon("http://site-b.test/beacon", "x");
try { new WebSocket("ws://site-b.test/ws"); } catch (e) {}
</script></body></html>`

// TestHelperSites is not a test: it is the server process started inside
// the namespace. Site A on 198.18.7.2 (HTTP 80, HTTPS 443), site B on
// 198.18.7.3:80; every request B receives is printed as "HIT-B path".
func TestHelperSites(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper process for TestChromiumThroughProxy; runs only when started by it")
	}
	a := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, pageA)
	})
	var mu sync.Mutex
	b := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fmt.Printf("HIT-B %s\n", r.URL.Path)
		mu.Unlock()
		io.WriteString(w, "site B: you should never see this")
	})
	serve := func(addr string, h http.Handler, tlsOn bool) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(1)
		}
		if tlsOn {
			s := httptest.NewUnstartedServer(h)
			s.Listener = ln
			s.StartTLS()
			return
		}
		go http.Serve(ln, h)
	}
	serve("198.18.7.2:80", a, false)
	serve("198.18.7.2:443", a, true)
	serve("198.18.7.3:80", b, false)
	fmt.Println("READY")
	time.Sleep(5 * time.Minute) // bounded: the parent kills us first
}

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestChromiumThroughProxy runs the chain for real: sites in a network
// namespace reachable only through a veth from this one, the egress proxy
// on loopback, and headless Chromium forced through it.
//
// The browser gets the managed policy's settings as the equivalent flags
// (--proxy-server, --proxy-bypass-list=<-loopback>,
// --webrtc-ip-handling-policy) rather than a file in
// /etc/chromium/policies/managed: that directory is machine-wide, and a
// forced proxy there would redirect every other Chromium on this shared
// machine while the test runs. The policy file's content is golden-tested
// in internal/egress/wiring.
func TestChromiumThroughProxy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace (ip netns add)")
	}
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("needs Debian chromium at /usr/bin/chromium (apt-get install chromium)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (ip) to create a network namespace")
	}
	id := strconv.Itoa(os.Getpid() % 100000)
	ns, hostIf, nsIf := "cge"+id, "cgeh"+id, "cgen"+id
	ip := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := ip("netns", "add", ns); err != nil {
		t.Skipf("cannot create a network namespace here: %v", err)
	}
	t.Cleanup(func() { _ = ip("netns", "del", ns) })
	for _, s := range [][]string{
		{"link", "add", hostIf, "type", "veth", "peer", "name", nsIf},
		{"link", "set", nsIf, "netns", ns},
		{"addr", "add", "198.18.7.1/29", "dev", hostIf},
		{"link", "set", hostIf, "up"},
		{"-n", ns, "addr", "add", "198.18.7.2/29", "dev", nsIf},
		{"-n", ns, "addr", "add", "198.18.7.3/29", "dev", nsIf},
		{"-n", ns, "link", "set", nsIf, "up"},
		{"-n", ns, "link", "set", "lo", "up"},
	} {
		if err := ip(s...); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = ip("link", "del", hostIf) })

	helper := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestHelperSites$", "-test.timeout=120s")
	helper.Env = append(os.Environ(), helperEnv+"=1")
	helper.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	helper.Stderr = os.Stderr
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-helper.Process.Pid, syscall.SIGKILL); _ = helper.Wait() })
	var hitsMu sync.Mutex
	var hitsB []string
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "READY":
				close(ready)
			case strings.HasPrefix(line, "HIT-B "):
				hitsMu.Lock()
				hitsB = append(hitsB, line)
				hitsMu.Unlock()
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatal("namespace sites never came up")
	}

	pol, err := policy.Parse("e2e.yaml", []byte(sitePolicy))
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuf{}
	srv := proxy.New(proxy.Config{Policy: pol, Log: logs, Resolve: siteAddrs})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx, ln) }()

	// B is reachable directly from here: the proxy, not routing, is what
	// refuses it (a direct request proves the site is up).
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://198.18.7.3/direct-check"); err != nil {
		t.Fatalf("site B not reachable directly: %v", err)
	} else {
		resp.Body.Close()
	}

	browse := func(url string) string {
		t.Helper()
		dir := t.TempDir()
		args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + filepath.Join(dir, "profile"),
			"--proxy-server=http://" + ln.Addr().String(), "--proxy-bypass-list=<-loopback>",
			"--webrtc-ip-handling-policy=disable_non_proxied_udp", "--disable-quic",
			"--ignore-certificate-errors", "--virtual-time-budget=5000", "--dump-dom", url}
		cctx, ccancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer ccancel()
		cmd := exec.CommandContext(cctx, chromium, args...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %s: %v\n%s", url, err, stderr.String())
		}
		return stdout.String()
	}

	if dom := browse("http://site-a.test/"); !strings.Contains(dom, "hello from site A") {
		t.Fatalf("allowed page did not load through the proxy:\n%s", dom)
	}
	if dom := browse("https://site-a.test/"); !strings.Contains(dom, "hello from site A") {
		t.Fatalf("allowed HTTPS page did not load through the proxy:\n%s", dom)
	}
	if dom := browse("http://site-b.test/"); !strings.Contains(dom, "Access blocked") || !strings.Contains(dom, "default-deny") {
		t.Fatalf("unlisted site did not get the block page:\n%s", dom)
	}
	hitsMu.Lock()
	direct := len(hitsB)
	hitsMu.Unlock()
	if direct != 1 { // only the test's own direct check
		t.Fatalf("site B was reached by the browser: %v", hitsB)
	}
	log := logs.String()
	for _, want := range []string{
		`"method":"GET","host":"site-a.test","port":80,"path":"/","resolved_ip":"198.18.7.2","decision":"allow"`,
		`"method":"CONNECT","host":"site-a.test","port":443`,
		`"host":"site-b.test","port":80,"path":"/fetch"`,
		`"host":"site-b.test","port":80,"path":"/img.png"`,
		`"method":"POST","host":"site-b.test","port":80,"path":"/beacon"`,
		`"method":"CONNECT","host":"site-b.test","port":80`, // the WebSocket
	} {
		if !strings.Contains(log, want) {
			t.Errorf("proxy log lacks %s", want)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if strings.Contains(line, `"host":"site-b.test"`) && !strings.Contains(line, `"decision":"deny"`) {
			t.Errorf("site B request not denied: %s", line)
		}
	}
	if t.Failed() {
		t.Logf("proxy log:\n%s", log)
	}
}
