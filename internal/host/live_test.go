//go:build linux

package host

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func requireProc(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/self/net/tcp"); err != nil {
		t.Skipf("skipping live test: /proc/net/tcp unavailable on this machine (%v)", err)
	}
}

// TestGatherLiveFindsOwnListener opens loopback listeners and checks that
// Gather reports them with this process's PID and the right scope.
func TestGatherLiveFindsOwnListener(t *testing.T) {
	requireProc(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	var port6 int
	if ln6, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		defer ln6.Close()
		port6 = ln6.Addr().(*net.TCPAddr).Port
	} else {
		t.Logf("no IPv6 loopback here (%v); checking IPv4 only", err)
	}
	f, err := Gather(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Live || !f.Coverage.Sockets {
		t.Fatalf("live=%v coverage=%+v problems=%v", f.Live, f.Coverage, f.Problems)
	}
	check := func(proto, ip string, port int) {
		t.Helper()
		for _, s := range f.ListeningOn(port) {
			if s.Proto == proto && s.IP == ip {
				if s.PID != os.Getpid() || s.Scope != ScopeLoopback || s.UID != os.Getuid() {
					t.Errorf("%s %s:%d = %+v, want pid %d uid %d loopback", proto, ip, port, s, os.Getpid(), os.Getuid())
				}
				return
			}
		}
		t.Errorf("listener %s %s:%d not found among %d sockets", proto, ip, port, len(f.Sockets))
	}
	check("tcp", "127.0.0.1", port)
	if port6 != 0 {
		check("tcp6", "::1", port6)
	}
}

// TestGatherLiveRealGateway starts the pinned OpenClaw gateway on a random
// loopback port and checks that Gather finds the process by its title,
// its owner, its filtered environment and its listening sockets.
func TestGatherLiveRealGateway(t *testing.T) {
	requireProc(t)
	if testing.Short() {
		t.Skip("skipping real-gateway test in -short mode")
	}
	home, _ := os.UserHomeDir()
	bin := os.Getenv("CLAWGOV_OPENCLAW")
	if bin == "" {
		bin = filepath.Join(home, ".cache/clawgov/bin/openclaw-2026.9.6")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("skipping: OpenClaw not installed at %s (run scripts/install-openclaw.sh)", bin)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	gwHome := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "gateway", "run", "--port", fmt.Sprint(port), "--bind", "loopback", "--auth", "none", "--allow-unconfigured")
	cmd.Env = []string{"HOME=" + gwHome, "PATH=" + os.Getenv("PATH"), "OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1", "OPENCLAW_TEST_MARKER=host-test"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
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
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("gateway did not listen on %d: %s", port, out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	f, err := Gather(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var gw *Process
	for i, p := range f.Processes {
		if p.Env["OPENCLAW_TEST_MARKER"] == "host-test" && p.Env["HOME"] == gwHome {
			gw = &f.Processes[i]
		}
	}
	if gw == nil {
		t.Fatalf("gateway process not found; processes: %+v", f.Processes)
	}
	if gw.Comm != "openclaw-gatewa" || gw.Cmdline != "openclaw-gateway" || gw.UID != os.Getuid() {
		t.Errorf("gateway process = %+v", gw)
	}
	if _, kept := gw.Env["PATH"]; kept {
		t.Error("PATH must be filtered out of the process environment")
	}
	var bound []string
	for _, s := range f.SocketsOf(*gw) {
		if s.PID != gw.PID || s.Scope != ScopeLoopback {
			t.Errorf("socket %+v", s)
		}
		bound = append(bound, fmt.Sprintf("%s:%d", s.IP, s.Port))
	}
	if !strings.Contains(strings.Join(bound, " "), fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Errorf("gateway sockets %v lack 127.0.0.1:%d", bound, port)
	}
	t.Logf("gateway pid %d listens on %v", gw.PID, bound)
}
