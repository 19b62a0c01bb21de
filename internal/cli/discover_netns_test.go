package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/iostreams"
	"github.com/clawgov/clawgov/internal/probe"
	"github.com/clawgov/clawgov/internal/probe/probetest"
)

// helperServeEnv makes the test binary a server inside a network
// namespace: "kind@ip:port[,kind@ip:port...]" with kind one of fake-open,
// fake-token, fake-openai or a probetest decoy name.
const helperServeEnv = "CLAWGOV_TEST_NETNS_SERVE"

// TestHelperNetnsServer is not a test: it is the server process the netns
// test starts inside each namespace by re-running this test binary.
func TestHelperNetnsServer(t *testing.T) {
	spec := os.Getenv(helperServeEnv)
	if spec == "" {
		t.Skip("helper process for TestDiscoverNetworkNamespaces; runs only when started by it")
	}
	for _, item := range strings.Split(spec, ",") {
		kind, addr, _ := strings.Cut(item, "@")
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(1)
		}
		switch kind {
		case "fake-open":
			go http.Serve(ln, &probetest.FakeGateway{AuthOpen: true, Terminal: true})
		case "fake-token":
			go http.Serve(ln, &probetest.FakeGateway{})
		case "fake-openai":
			go http.Serve(ln, &probetest.FakeGateway{AuthOpen: true, OpenAI: true})
		default:
			go probetest.ServeDecoy(ln, probetest.Decoy(kind))
		}
	}
	// Bounded: the parent kills us, and we never outlive a minute.
	time.Sleep(60 * time.Second)
}

// TestDiscoverNetworkNamespaces scans two "hosts" made of network
// namespaces joined to this one by veth pairs, using addresses from the
// benchmarking range 198.18.0.0/15 that exist only inside this test. No
// packet leaves the machine.
func TestDiscoverNetworkNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces (ip netns add)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (the ip command) to create network namespaces")
	}
	id := strconv.Itoa(os.Getpid() % 100000)
	type nsHost struct {
		ns, hostIf, nsIf, hostIP, nsIP, serve string
	}
	hosts := []nsHost{
		{ns: "cgd" + id + "a", hostIf: "cgh" + id + "a", nsIf: "cgn" + id + "a", hostIP: "198.18.1.1", nsIP: "198.18.1.2"},
		{ns: "cgd" + id + "b", hostIf: "cgh" + id + "b", nsIf: "cgn" + id + "b", hostIP: "198.18.2.1", nsIP: "198.18.2.2"},
	}
	hosts[0].serve = "fake-open@198.18.1.2:18789,plain-http@198.18.1.2:19001"
	hosts[1].serve = "fake-token@198.18.2.2:18789,fake-openai@198.18.2.2:19001"

	ip := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	for _, h := range hosts {
		if err := ip("netns", "add", h.ns); err != nil {
			t.Skipf("cannot create network namespaces here: %v", err)
		}
		ns := h.ns
		t.Cleanup(func() { _ = ip("netns", "del", ns) })
		steps := [][]string{
			{"link", "add", h.hostIf, "type", "veth", "peer", "name", h.nsIf},
			{"link", "set", h.nsIf, "netns", h.ns},
			{"addr", "add", h.hostIP + "/30", "dev", h.hostIf},
			{"link", "set", h.hostIf, "up"},
			{"-n", h.ns, "addr", "add", h.nsIP + "/30", "dev", h.nsIf},
			{"-n", h.ns, "link", "set", h.nsIf, "up"},
			{"-n", h.ns, "link", "set", "lo", "up"},
		}
		for _, s := range steps {
			if err := ip(s...); err != nil {
				t.Fatal(err)
			}
		}
		hostIf := h.hostIf
		t.Cleanup(func() { _ = ip("link", "del", hostIf) })
		cmd := exec.Command("ip", "netns", "exec", h.ns, os.Args[0], "-test.run=^TestHelperNetnsServer$", "-test.timeout=90s")
		cmd.Env = append(os.Environ(), helperServeEnv+"="+h.serve)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
		})
	}
	// Wait until every namespace server accepts.
	for _, a := range []string{"198.18.1.2:18789", "198.18.1.2:19001", "198.18.2.2:18789", "198.18.2.2:19001"} {
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", a, 500*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("namespace server %s never came up: %v", a, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// One address, and a CIDR with the host side of its link excluded,
	// with each port sweep (SYN needs root, which this test has).
	for _, sweep := range []string{"syn", "connect"} {
		t.Run(sweep, func(t *testing.T) {
			code, out, errOut := runCLI(t, "discover", "198.18.1.2", "198.18.2.0/30", "--exclude", "198.18.2.1", "--sweep", sweep,
				"--ports", "18789,19001", "--format", "csv", "--connect-timeout", "500ms", "--retries", "0", "--timeout", "2s")
			if code != ExitFindings {
				t.Fatalf("exit %d, stderr %s", code, errOut)
			}
			recs := csvByEndpoint(t, out)
			wants := map[string]want{
				"198.18.1.2:18789": {probe.ProductOpenClaw, probe.AuthOpen, probe.OpenAIOff},
				"198.18.1.2:19001": {probe.NotOpenClaw, "", ""},
				"198.18.2.2:18789": {probe.ProductOpenClaw, probe.AuthRequired, probe.OpenAIOff},
				"198.18.2.2:19001": {probe.ProductOpenClaw, probe.AuthOpen, probe.OpenAIOpen},
			}
			for ep, w := range wants {
				r, ok := recs[ep]
				if !ok {
					t.Errorf("%s: no record (output:\n%s)", ep, out)
					continue
				}
				if r["product"] != w.product || r["auth"] != w.auth || r["openai"] != w.openai {
					t.Errorf("%s: %q/%q/%q, want %+v", ep, r["product"], r["auth"], r["openai"], w)
				}
			}
			if _, ok := recs["198.18.2.1:18789"]; ok {
				t.Errorf("excluded address was scanned")
			}
			if len(recs) != len(wants) {
				t.Errorf("%d records, want %d:\n%s", len(recs), len(wants), out)
			}
		})
	}
	// Findings name the network exposure (not loopback): CG-EXP-020 fails.
	_, out, _ := runCLI(t, "discover", "198.18.1.2:18789", "--format", "json", "--fail-on", "none")
	if !strings.Contains(out, `"check_id": "CG-EXP-020"`) || !strings.Contains(out, `"status": "fail"`) {
		t.Errorf("json report:\n%s", out)
	}
}

func csvByEndpoint(t *testing.T, out string) map[string]map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	recs := map[string]map[string]string{}
	for _, row := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = row[i]
		}
		recs[m["address"]+":"+m["port"]] = m
	}
	return recs
}

// netnsHost creates a network namespace joined to this one by a veth
// pair: this side 198.18.<net>.1/30, the namespace side 198.18.<net>.2/30.
// It skips the test where namespaces cannot be made, and removes
// everything when the test ends.
func netnsHost(t *testing.T, net int) (ns, nsIP string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces (ip netns add)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (the ip command) to create network namespaces")
	}
	id := strconv.Itoa(os.Getpid()%100000) + strconv.Itoa(net)
	ns, hostIf, nsIf := "cgx"+id, "cgy"+id, "cgz"+id
	hostIP, nsIP := fmt.Sprintf("198.18.%d.1", net), fmt.Sprintf("198.18.%d.2", net)
	ip := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := ip("netns", "add", ns); err != nil {
		t.Skipf("cannot create network namespaces here: %v", err)
	}
	t.Cleanup(func() { _ = ip("netns", "del", ns); _ = ip("link", "del", hostIf) })
	for _, s := range [][]string{
		{"link", "add", hostIf, "type", "veth", "peer", "name", nsIf},
		{"link", "set", nsIf, "netns", ns},
		{"addr", "add", hostIP + "/30", "dev", hostIf},
		{"link", "set", hostIf, "up"},
		{"-n", ns, "addr", "add", nsIP + "/30", "dev", nsIf},
		{"-n", ns, "link", "set", nsIf, "up"},
		{"-n", ns, "link", "set", "lo", "up"},
	} {
		if err := ip(s...); err != nil {
			t.Fatal(err)
		}
	}
	return ns, nsIP
}

// TestExposureOfRealGatewayInNamespace runs a real OpenClaw gateway bound
// to every interface (--bind lan, with a token) inside a namespace of its
// own, so it is exposed on the namespace's link and nowhere else. Then
// discover must see it on the network, and the host audit must read its
// real wildcard socket (CG-EXP-001), the missing TLS (CG-EXP-004) and
// never pass the firewall check.
func TestExposureOfRealGatewayInNamespace(t *testing.T) {
	bin := probetest.OpenClawBin(t)
	if testing.Short() {
		t.Skip("-short: a real gateway takes ~15 s to start")
	}
	ns, nsIP := netnsHost(t, 7)
	g := probetest.StartGatewaySpecs(t, bin, probetest.GatewaySpec{Mode: probetest.ModeToken, NetNS: ns, Host: nsIP, Bind: "lan"})[0]

	code, out, errOut := runCLI(t, "discover", nsIP, "--ports", strconv.Itoa(g.Port), "--format", "csv", "--fail-on", "none")
	if code != ExitOK || !strings.Contains(out, nsIP+","+strconv.Itoa(g.Port)+",,OpenClaw,2026.9.6,authenticated") {
		t.Fatalf("discover exit %d:\n%s\n%s", code, out, errOut)
	}
	_, out, _ = runCLI(t, "discover", nsIP, "--ports", strconv.Itoa(g.Port), "--format", "json", "--fail-on", "none")
	if !strings.Contains(out, `"check_id": "CG-EXP-020"`) || strings.Contains(out, probetest.TestToken) {
		t.Fatalf("discover json:\n%s", out)
	}

	env := map[string]string{"HOME": g.Home, "OPENCLAW_GATEWAY_PORT": strconv.Itoa(g.Port), "PATH": os.Getenv("PATH")}
	io, _, stdout, stderr := iostreams.Test()
	f := &factory{IO: io, Getenv: func(k string) string { return env[k] }, Now: time.Now}
	run([]string{"audit", "--format", "json", "--lang", "en"}, f)
	var rep struct {
		Checks []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"checks"`
		Findings []struct {
			CheckID string `json:"check_id"`
			Message string `json:"message"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("audit: %v\n%s", err, stderr)
	}
	st := map[string]string{}
	for _, c := range rep.Checks {
		st[c.ID] = c.Status
	}
	if st["CG-EXP-001"] != "fail" || st["CG-EXP-004"] != "fail" || st["CG-EXP-005"] == "pass" || st["CG-EXP-005"] == "" {
		t.Errorf("audit statuses: 001=%s 004=%s 005=%s", st["CG-EXP-001"], st["CG-EXP-004"], st["CG-EXP-005"])
	}
	found := false
	for _, fd := range rep.Findings {
		if fd.CheckID == "CG-EXP-001" && strings.Contains(fd.Message, "0.0.0.0:"+strconv.Itoa(g.Port)) && strings.Contains(fd.Message, "wildcard") {
			found = true
		}
	}
	if !found {
		t.Errorf("no CG-EXP-001 finding naming 0.0.0.0:%d: %+v", g.Port, rep.Findings)
	}
	if strings.Contains(stdout.String(), probetest.TestToken) {
		t.Error("audit output contains the gateway token")
	}
}
