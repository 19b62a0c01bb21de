package egresstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/egress/policy"
	"github.com/clawgov/clawgov/internal/egress/proxy"
	"github.com/clawgov/clawgov/internal/egress/wiring"
)

// openclawBin returns the pinned OpenClaw wrapper (scripts/install-openclaw.sh)
// or skips.
func openclawBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("CLAWGOV_OPENCLAW")
	if bin == "" {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, ".cache/clawgov/bin/openclaw-2026.9.6")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("OpenClaw not installed at %s (run scripts/install-openclaw.sh or set CLAWGOV_OPENCLAW)", bin)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// webFetchPolicy lists site A (and, with b, site B) on their loopback
// ports; allow_networks lifts the loopback hard block for these entries
// only. Both schemes: OpenClaw sends even plain-HTTP web_fetch as CONNECT.
func webFetchPolicy(t *testing.T, portA, portB int, b bool) *policy.Policy {
	t.Helper()
	y := fmt.Sprintf(`version: 1
entries:
  site-a:
    hosts: [site-a.test]
    ports: [%d]
    schemes: [http, https]
    allow_networks: [127.0.0.1]
`, portA)
	if b {
		y += fmt.Sprintf(`  site-b:
    hosts: [site-b.test]
    ports: [%d]
    schemes: [http, https]
    allow_networks: [127.0.0.1]
`, portB)
	}
	p, err := policy.Parse("webfetch.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenClawWebFetchThroughProxy runs the real OpenClaw gateway with the
// settings `clawgov egress openclaw-config` produces (proxy.proxyUrl at
// the clawgov egress proxy) and calls its web_fetch tool without a model,
// through the gateway's POST /tools/invoke. The site names exist only in
// the proxy's pins, so a page can load only through the proxy; the
// policy then decides: listed site A loads, unlisted site B is refused
// (and never sees a request) until the policy lists it too.
func TestOpenClawWebFetchThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real OpenClaw gateway; skipped in -short mode")
	}
	bin := openclawBin(t)

	var hitsB atomic.Int64
	siteA := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><html><head><title>site A</title></head><body><p>hello from site A</p></body></html>")
	}))
	defer siteA.Close()
	siteB := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hitsB.Add(1)
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><html><head><title>site B</title></head><body><p>site B answered</p></body></html>")
	}))
	defer siteB.Close()
	portA := siteA.Listener.Addr().(*net.TCPAddr).Port
	portB := siteB.Listener.Addr().(*net.TCPAddr).Port

	logs := &logBuf{}
	srv := proxy.New(proxy.Config{Policy: webFetchPolicy(t, portA, portB, false), Log: logs, Resolve: map[string][]netip.Addr{
		"site-a.test": {netip.MustParseAddr("127.0.0.1")},
		"site-b.test": {netip.MustParseAddr("127.0.0.1")},
	}})
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pctx, pcancel := context.WithCancel(context.Background())
	defer pcancel()
	go func() { _ = srv.Serve(pctx, pln) }()

	// The gateway's config: clawgov's egress settings plus a loopback
	// gateway with a token (the tools endpoint is gated by it).
	proxyURL, _, err := wiring.ProxyURL("http://" + pln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	egress, err := wiring.OpenClawConfig(proxyURL, []string{"site-a.test"})
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(egress, &cfg); err != nil {
		t.Fatal(err)
	}
	const token = "clawgov-webfetch-test-token-0123456789"
	gwPort := freePort(t)
	cfg["gateway"] = map[string]any{"mode": "local", "port": gwPort, "bind": "loopback", "auth": map[string]any{"mode": "token", "token": token}}
	home := t.TempDir()
	stateDir := filepath.Join(home, ".openclaw")
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	data, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(stateDir, "openclaw.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "gateway", "run", "--port", fmt.Sprint(gwPort), "--bind", "loopback")
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	gwOut := &logBuf{}
	cmd.Stdout, cmd.Stderr = gwOut, gwOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}()

	invokeURL := fmt.Sprintf("http://127.0.0.1:%d/tools/invoke", gwPort)
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{Proxy: nil}}
	invoke := func(body string) (int, string, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, invokeURL, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, string(b), nil
	}
	start := time.Now()
	// Ready when the endpoint answers an empty request with 400 (it runs
	// nothing for that).
	for {
		if code, _, err := invoke(`{}`); err == nil && code == http.StatusBadRequest {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("gateway never served /tools/invoke:\n%s", gwOut)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("gateway served /tools/invoke after %s", time.Since(start).Round(time.Second))
	type result struct {
		OK bool `json:"ok"`
	}
	webFetch := func(url string) (bool, string) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"tool": "web_fetch", "args": map[string]any{"url": url}})
		code, out, err := invoke(string(body))
		if err != nil {
			t.Fatalf("web_fetch %s: %v", url, err)
		}
		if code == http.StatusNotFound {
			t.Fatalf("web_fetch is not available through /tools/invoke: %s", out)
		}
		var r result
		_ = json.Unmarshal([]byte(out), &r)
		return r.OK && code == http.StatusOK, out
	}

	urlA := fmt.Sprintf("http://site-a.test:%d/", portA)
	urlB := fmt.Sprintf("http://site-b.test:%d/", portB)
	if ok, out := webFetch(urlA); !ok || !strings.Contains(out, "hello from site A") {
		t.Fatalf("web_fetch of the listed site failed: %s\nproxy log:\n%s\ngateway:\n%s", out, logs, gwOut)
	}
	if ok, out := webFetch(urlB); ok && strings.Contains(out, "site B answered") {
		t.Fatalf("web_fetch of the unlisted site returned its page: %s", out)
	} else {
		t.Logf("unlisted site refused: %.300s", out)
	}
	if n := hitsB.Load(); n != 0 {
		t.Fatalf("site B saw %d requests while unlisted", n)
	}
	log := logs.String()
	for _, want := range []string{
		fmt.Sprintf(`"method":"CONNECT","host":"site-a.test","port":%d`, portA),
		fmt.Sprintf(`"host":"site-b.test","port":%d`, portB),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("proxy log lacks %s:\n%s", want, log)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if strings.Contains(line, `"host":"site-b.test"`) && !strings.Contains(line, `"decision":"deny"`) {
			t.Errorf("site B request not denied: %s", line)
		}
		if strings.Contains(line, `"host":"site-a.test"`) && !strings.Contains(line, `"decision":"allow"`) {
			t.Errorf("site A request not allowed: %s", line)
		}
	}

	// The refusal was the policy's: once it lists B, the same call loads
	// it (another path, so no cached answer is reused).
	srv.SetPolicy(webFetchPolicy(t, portA, portB, true))
	if ok, out := webFetch(urlB + "?listed"); !ok || !strings.Contains(out, "site B answered") {
		t.Fatalf("web_fetch of site B failed after the policy listed it: %s\nproxy log:\n%s", out, logs)
	}
	if hitsB.Load() == 0 {
		t.Fatal("site B saw no request after the policy listed it")
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(line, "site-") {
			t.Logf("proxy: %s", line)
		}
	}
	if t.Failed() {
		t.Logf("gateway output:\n%s", bytes.TrimSpace([]byte(gwOut.String())))
	}
}
