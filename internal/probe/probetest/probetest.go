// Package probetest holds test helpers for the gateway prober: an
// in-process imitation of an OpenClaw gateway on the wire, decoy servers,
// and a launcher for real OpenClaw gateways on loopback. Test-only: nothing
// outside _test.go files and bench tooling imports it.
package probetest

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FakeGateway imitates OpenClaw 2026.9.6 on the wire (startup endpoint,
// Control UI page, /tools/invoke error shapes, /v1/models, Control UI
// config, WebSocket connect.challenge) as observed on the real program.
type FakeGateway struct {
	AuthOpen bool
	OpenAI   bool
	Terminal bool
	// Remote answers /startupz as 2026.9.6 does for a non-loopback
	// client: without the version.
	Remote bool

	mu   sync.Mutex
	reqs []string
}

// Requests returns "METHOD path body auth=<Authorization>" per request.
func (g *FakeGateway) Requests() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.reqs...)
}

const page = `<!doctype html><html data-openclaw-control-ui-base-path="" data-openclaw-terminal-enabled="%v" data-openclaw-control-ui-build-id="2026.9.6-release-eb377ac59e6c-2026-09-23T16-33-12.144Z-314f" lang="en"><head><title>OpenClaw Control</title></head><body><openclaw-app></openclaw-app></body></html>`

func (g *FakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
	g.mu.Lock()
	g.reqs = append(g.reqs, r.Method+" "+r.URL.Path+" "+string(body)+" auth="+r.Header.Get("Authorization"))
	g.mu.Unlock()
	unauthorized := func() {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"message":"Unauthorized","type":"unauthorized"}}`)
	}
	switch {
	case strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
		ServeChallenge(w, r)
	case r.URL.Path == "/startupz" || r.URL.Path == "/readyz":
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if g.Remote && r.URL.Path == "/startupz" {
			io.WriteString(w, `{"ok":true,"status":"started"}`)
			return
		}
		io.WriteString(w, `{"ok":true,"status":"started","version":"2026.9.6","uptimeMs":1234,"ready":true}`)
	case r.URL.Path == "/tools/invoke" && r.Method == http.MethodPost:
		if !g.AuthOpen {
			unauthorized()
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(400)
		io.WriteString(w, `{"ok":false,"error":{"type":"invalid_request","message":"tools.invoke requires name"}}`)
	case r.URL.Path == "/v1/models":
		switch {
		case !g.OpenAI:
			http.Error(w, "Not Found", 404)
		case !g.AuthOpen:
			unauthorized()
		default:
			io.WriteString(w, `{"object":"list","data":[{"id":"openclaw","object":"model"},{"id":"openclaw/main","object":"model"}]}`)
		}
	case r.URL.Path == "/__openclaw/control-ui-config.json":
		if !g.AuthOpen {
			unauthorized()
			return
		}
		io.WriteString(w, `{"basePath":"","serverVersion":"2026.9.6","serverBuildId":"2026.9.6-release-eb377ac59e6c","terminalEnabled":true}`)
	default:
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, page, g.Terminal)
	}
}

// ServeChallenge completes a WebSocket handshake and sends the
// connect.challenge event, as the gateway does before any auth.
func ServeChallenge(w http.ResponseWriter, r *http.Request) {
	h := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", base64.StdEncoding.EncodeToString(h[:]))
	msg := `{"type":"event","event":"connect.challenge","payload":{"nonce":"0f0c7a52-8d8e-4a43-9a34-6f0f3c1f9e11","ts":1764061399000,"capabilities":["model-catalog-snapshot"]}}`
	rw.Write([]byte{0x81, 126, byte(len(msg) >> 8), byte(len(msg))})
	rw.WriteString(msg)
	rw.Flush()
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.Copy(io.Discard, io.LimitReader(rw, 64))
}

// Decoy names the decoy servers tests start.
type Decoy string

// Decoys: a plain web server, a page that copies the Control UI title and
// nothing else, a server that never answers, one that resets connections,
// and one that sends binary garbage.
const (
	DecoyPlainHTTP Decoy = "plain-http"
	DecoyTitleOnly Decoy = "title-only"
	DecoySlow      Decoy = "slow"
	DecoyReset     Decoy = "reset"
	DecoyGarbage   Decoy = "garbage"
)

// AllDecoys lists every decoy.
var AllDecoys = []Decoy{DecoyPlainHTTP, DecoyTitleOnly, DecoySlow, DecoyReset, DecoyGarbage}

// ServeDecoy serves decoy d on ln until ln is closed.
func ServeDecoy(ln net.Listener, d Decoy) {
	switch d {
	case DecoyPlainHTTP:
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Server", "nginx")
			io.WriteString(w, "<html><head><title>Welcome to nginx!</title></head></html>")
		}), ReadHeaderTimeout: 5 * time.Second}
		_ = srv.Serve(ln)
		return
	case DecoyTitleOnly:
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html><head><title>OpenClaw Control</title></head><body>not really</body></html>")
		}), ReadHeaderTimeout: 5 * time.Second}
		_ = srv.Serve(ln)
		return
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func(c net.Conn) {
			switch d {
			case DecoySlow:
				time.Sleep(30 * time.Second)
			case DecoyReset:
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetLinger(0)
				}
			case DecoyGarbage:
				_, _ = c.Write([]byte("\x00\xff\x13\x37garbage\x1b[2J\x80\x81\r\n\r\n"))
			}
			c.Close()
		}(c)
	}
}

// StartDecoy listens on 127.0.0.1 and serves d until the test ends.
func StartDecoy(t testing.TB, d Decoy) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go ServeDecoy(ln, d)
	return ln.Addr().(*net.TCPAddr).Port
}

// GatewayMode selects how a real gateway is configured.
type GatewayMode string

// Real gateway modes: auth none, a token, and auth none with the
// OpenAI-compatible chat endpoint on.
const (
	ModeAuthNone GatewayMode = "auth-none"
	ModeToken    GatewayMode = "token"
	ModeOpenAI   GatewayMode = "openai"
)

// TestToken is the token of ModeToken gateways; it must never show up in
// anything clawgov prints.
const TestToken = "clawgov-test-token-6f0c7a528d8e4a439a34"

// OpenClawBin returns the OpenClaw command from CLAWGOV_OPENCLAW, or skips
// the test with the reason.
func OpenClawBin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("CLAWGOV_OPENCLAW")
	if bin == "" {
		t.Skip("CLAWGOV_OPENCLAW is not set: set it to the wrapper printed by scripts/install-openclaw.sh to test against real OpenClaw gateways")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("CLAWGOV_OPENCLAW=%s: %v", bin, err)
	}
	return bin
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Gateway is a running real OpenClaw gateway.
type Gateway struct {
	Mode GatewayMode
	Port int
	Home string
	Log  string
	// Host is where it answers (127.0.0.1, or its namespace address).
	Host string
}

// GatewaySpec says where and how to run one gateway.
type GatewaySpec struct {
	Mode GatewayMode
	// NetNS runs the gateway inside this network namespace (ip netns
	// exec); Host is then the namespace address to reach it on.
	NetNS string
	Host  string
	// Bind is the --bind value (default loopback). Anything else belongs
	// inside a namespace the test created.
	Bind string
}

// StartGateways starts one real gateway per mode, in parallel, on
// 127.0.0.1 random ports with throw-away homes, and waits until each
// answers /readyz. Every gateway is killed (its whole process group) when
// the test ends. Never uses --force.
func StartGateways(t testing.TB, bin string, modes ...GatewayMode) []Gateway {
	t.Helper()
	specs := make([]GatewaySpec, len(modes))
	for i, m := range modes {
		specs[i] = GatewaySpec{Mode: m}
	}
	return StartGatewaySpecs(t, bin, specs...)
}

// StartGatewaySpecs is StartGateways with a namespace and bind per gateway.
func StartGatewaySpecs(t testing.TB, bin string, specs ...GatewaySpec) []Gateway {
	t.Helper()
	for i := range specs {
		if specs[i].Bind == "" {
			specs[i].Bind = "loopback"
		}
		if specs[i].Host == "" {
			specs[i].Host = "127.0.0.1"
		}
		if specs[i].Bind != "loopback" && specs[i].NetNS == "" {
			t.Fatalf("refusing --bind %s outside a test network namespace", specs[i].Bind)
		}
	}
	out := make([]Gateway, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, sp := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Under heavy CPU load OpenClaw can give up during start-up
			// (its state lease times out): one fresh retry.
			for attempt := 0; attempt < 2; attempt++ {
				home := t.TempDir()
				port := FreePort(t)
				g := Gateway{Mode: sp.Mode, Port: port, Home: home, Log: filepath.Join(home, "gateway.out"), Host: sp.Host}
				cmd, err := gatewayCmd(bin, sp, port, home)
				if err != nil {
					errs[i] = err
					return
				}
				// Registered after TempDir, so it runs first: the process
				// is gone before its home is removed.
				t.Cleanup(func() { stopGroup(cmd) })
				out[i] = g
				if errs[i] = startAndWait(bin, cmd, g); errs[i] == nil {
					return
				}
				stopGroup(cmd)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			log, _ := os.ReadFile(out[i].Log)
			t.Fatalf("gateway %s on port %d: %v\n--- log tail:\n%s", out[i].Mode, out[i].Port, err, tail(string(log), 2000))
		}
	}
	return out
}

func gatewayEnv(home string) []string {
	env := []string{"HOME=" + home, "OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1", "NO_COLOR=1"}
	for _, k := range []string{"PATH", "LANG", "TMPDIR"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func gatewayCmd(bin string, sp GatewaySpec, port int, home string) (*exec.Cmd, error) {
	args := []string{"gateway", "run", "--port", strconv.Itoa(port), "--bind", sp.Bind}
	switch sp.Mode {
	case ModeAuthNone, ModeOpenAI:
		args = append(args, "--auth", "none")
	case ModeToken:
		args = append(args, "--token", TestToken)
	default:
		return nil, fmt.Errorf("unknown gateway mode %q", sp.Mode)
	}
	cmd := exec.Command(bin, args...)
	if sp.NetNS != "" {
		cmd = exec.Command("ip", append([]string{"netns", "exec", sp.NetNS, bin}, args...)...)
	}
	cmd.Env = gatewayEnv(home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, nil
}

// configure writes the config with `openclaw config set --batch-json`.
func configure(bin string, g Gateway) error {
	ops := []map[string]any{
		{"path": "gateway.mode", "value": "local"},
		{"path": "discovery.mdns.mode", "value": "off"},
		{"path": "update.checkOnStart", "value": false},
		{"path": "logging.file", "value": filepath.Join(g.Home, "openclaw.log")},
	}
	if g.Mode == ModeOpenAI {
		ops = append(ops, map[string]any{"path": "gateway.http.endpoints.chatCompletions.enabled", "value": true})
	}
	b, _ := json.Marshal(ops)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "config", "set", "--batch-json", string(b))
	cmd.Env = gatewayEnv(g.Home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("openclaw config set: %v: %s", err, tail(string(out), 500))
	}
	return nil
}

func startAndWait(bin string, cmd *exec.Cmd, g Gateway) error {
	if err := configure(bin, g); err != nil {
		return err
	}
	logf, err := os.Create(g.Log)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(120 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("exited before ready: %v", err)
		default:
		}
		resp, err := client.Get("http://" + net.JoinHostPort(g.Host, strconv.Itoa(g.Port)) + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Contains(string(b), `"ready":true`) {
				return nil
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	return errors.New("not ready within 120s")
}

// stopGroup ends the gateway's process group: SIGTERM, then SIGKILL.
func stopGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for range 50 {
			if syscall.Kill(-pgid, 0) != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		close(done)
	}()
	<-done
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
