package egresstest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/egress/policy"
	"github.com/clawgov/clawgov/internal/egress/proxy"
)

// sitePolicy lists site A only; its network is named explicitly because
// 198.18/15 is a hard-blocked (reserved) range.
const sitePolicy = `version: 1
entries:
  site-a:
    hosts: [site-a.test]
    ports: [80, 443]
    schemes: [http, https]
    allow_networks: [198.18.7.2]
`

// siteAddrs pins the sites' names for the proxy (no DNS in the
// namespaces).
var siteAddrs = map[string][]netip.Addr{
	"site-a.test": {netip.MustParseAddr("198.18.7.2")},
	"site-b.test": {netip.MustParseAddr("198.18.7.3")},
}

const proxyHelperEnv = "CLAWGOV_TEST_EGRESS_PROXY"

// helperProxyAddr is where TestHelperProxy listens inside the client
// namespace: the firewall rules name this port.
const helperProxyAddr = "127.0.0.1:3128"

// TestHelperProxy is not a test: it is the egress proxy process started
// inside the client namespace by TestCDPDirectContextNeedsFirewall, so
// the browser reaches it on that namespace's loopback and its upstream
// connections leave through that namespace's link to the sites. The
// decision log goes to the file the environment names.
func TestHelperProxy(t *testing.T) {
	logPath := os.Getenv(proxyHelperEnv)
	if logPath == "" {
		t.Skip("helper process for TestCDPDirectContextNeedsFirewall; runs only when started by it")
	}
	pol, err := policy.Parse("e2e.yaml", []byte(sitePolicy))
	if err != nil {
		fmt.Fprintln(os.Stderr, "policy:", err)
		os.Exit(1)
	}
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "log:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", helperProxyAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	srv := proxy.New(proxy.Config{Policy: pol, Log: logf, Resolve: siteAddrs})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // bounded: the parent kills us first
	defer cancel()
	fmt.Println("READY")
	_ = srv.Serve(ctx, ln)
}

// ipCmd runs ip(8) and folds its output into the error.
func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// clientAndSites creates two namespaces joined by a veth: the client
// namespace (where the browser and the proxy run, 198.18.7.1) and the
// sites' namespace (site A 198.18.7.2, site B 198.18.7.3), which stands
// for the Internet. Both links are created inside the namespaces, so
// deleting the namespaces removes everything.
func clientAndSites(t *testing.T, tag string) (client, sites string) {
	t.Helper()
	id := strconv5(os.Getpid())
	client, sites = "cg"+tag+"c"+id, "cg"+tag+"s"+id
	if err := ipCmd("netns", "add", client); err != nil {
		t.Skipf("cannot create a network namespace here: %v", err)
	}
	t.Cleanup(func() { _ = ipCmd("netns", "del", client) })
	if err := ipCmd("netns", "add", sites); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ipCmd("netns", "del", sites) })
	vc, vs := "cgv"+tag+"c"+id, "cgv"+tag+"s"+id
	for _, s := range [][]string{
		{"link", "add", vc, "netns", client, "type", "veth", "peer", "name", vs, "netns", sites},
		{"-n", client, "addr", "add", "198.18.7.1/29", "dev", vc},
		{"-n", client, "link", "set", vc, "up"},
		{"-n", client, "link", "set", "lo", "up"},
		{"-n", sites, "addr", "add", "198.18.7.2/29", "dev", vs},
		{"-n", sites, "addr", "add", "198.18.7.3/29", "dev", vs},
		{"-n", sites, "link", "set", vs, "up"},
		{"-n", sites, "link", "set", "lo", "up"},
	} {
		if err := ipCmd(s...); err != nil {
			t.Fatal(err)
		}
	}
	return client, sites
}

func strconv5(n int) string { return fmt.Sprintf("%05d", n%100000) }

// helper starts this test binary as a helper process inside ns, waits
// for its READY line and hands every later stdout line to onLine.
func helper(t *testing.T, ns, run string, env []string, onLine func(string)) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^"+run+"$", "-test.timeout=360s")
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if line == "READY" {
				close(ready)
				continue
			}
			if onLine != nil {
				onLine(line)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatalf("helper %s in %s never came up", run, ns)
	}
}

// hitCounter collects the "HIT-B path" lines of TestHelperSites.
type hitCounter struct {
	mu   sync.Mutex
	hits []string
}

func (h *hitCounter) line(s string) {
	if strings.HasPrefix(s, "HIT-B ") {
		h.mu.Lock()
		h.hits = append(h.hits, s)
		h.mu.Unlock()
	}
}

func (h *hitCounter) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.hits)
}
