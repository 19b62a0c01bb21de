package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCDPProberRealChromium: the debugging port of a real Debian Chromium
// answers /json/version without a credential (what OpenClaw's managed
// browser exposes on 18800-18899), and the prober says so; a plain web
// server and a closed port are not taken for one.
func TestCDPProberRealChromium(t *testing.T) {
	bin := os.Getenv("CLAWGOV_CHROMIUM")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("chromium"); err != nil {
			t.Skip("SKIP: no chromium in PATH (apt-get install -y chromium, or set CLAWGOV_CHROMIUM)")
		}
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--user-data-dir="+dir, "about:blank")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var port int
	for port == 0 {
		b, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort"))
		if err == nil {
			port, _ = strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
		}
		if ctx.Err() != nil {
			t.Fatal("chromium wrote no DevToolsActivePort")
		}
		time.Sleep(50 * time.Millisecond)
	}

	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"Browser":"not really"}`)
	}))
	defer web.Close()
	_, webPort, _ := net.SplitHostPort(web.Listener.Addr().String())
	wp, _ := strconv.Atoi(webPort)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	got := cdpProber(ctx, []int{port, wp, closed})
	if len(got) != 3 {
		t.Fatalf("got %d answers", len(got))
	}
	if !got[0].Open || !strings.Contains(got[0].Browser, "Chrome") || got[0].Addr != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("real chromium: %+v", got[0])
	}
	if got[1].Open || got[1].Err != "not a DevTools endpoint" {
		t.Fatalf("plain web server: %+v", got[1])
	}
	if got[2].Open || got[2].Err == "" {
		t.Fatalf("closed port: %+v", got[2])
	}
}
