package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/iostreams"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/probe"
	"github.com/clawgov/clawgov/internal/probe/probetest"
)

// csvRecords parses discover's CSV output into maps keyed by port.
func csvRecords(t *testing.T, out string) map[int]map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(probe.CSVHeader, ",") {
		t.Fatalf("csv header: %v", rows)
	}
	recs := map[int]map[string]string{}
	for _, row := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = row[i]
		}
		p, _ := strconv.Atoi(m["port"])
		recs[p] = m
	}
	return recs
}

func startFake(t *testing.T, g *probetest.FakeGateway) int {
	t.Helper()
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return int(netip.MustParseAddrPort(strings.TrimPrefix(srv.URL, "http://")).Port())
}

type want struct {
	product, auth, openai string
}

func checkRecords(t *testing.T, recs map[int]map[string]string, wants map[int]want) {
	t.Helper()
	for port, w := range wants {
		r, ok := recs[port]
		if !ok {
			t.Errorf("port %d: no record", port)
			continue
		}
		if r["product"] != w.product || r["auth"] != w.auth || r["openai"] != w.openai {
			t.Errorf("port %d: product=%q auth=%q openai=%q, want %+v (evidence %q, error %q)", port, r["product"], r["auth"], r["openai"], w, r["evidence"], r["error"])
		}
		if w.product == probe.ProductOpenClaw && r["version"] != "2026.9.6" {
			t.Errorf("port %d: version %q", port, r["version"])
		}
	}
}

func TestDiscoverClassifiesFakesAndDecoys(t *testing.T) {
	wants := map[int]want{}
	wants[startFake(t, &probetest.FakeGateway{AuthOpen: true, Terminal: true})] = want{probe.ProductOpenClaw, probe.AuthOpen, probe.OpenAIOff}
	wants[startFake(t, &probetest.FakeGateway{Terminal: true})] = want{probe.ProductOpenClaw, probe.AuthRequired, probe.OpenAIOff}
	wants[startFake(t, &probetest.FakeGateway{AuthOpen: true, OpenAI: true})] = want{probe.ProductOpenClaw, probe.AuthOpen, probe.OpenAIOpen}
	for _, d := range probetest.AllDecoys {
		wants[probetest.StartDecoy(t, d)] = want{probe.NotOpenClaw, "", ""}
	}
	var ports []string
	for p := range wants {
		ports = append(ports, strconv.Itoa(p))
	}
	start := time.Now()
	code, out, errOut := runCLI(t, "discover", "127.0.0.1", "--ports", strings.Join(ports, ","), "--format", "csv", "--timeout", "1s", "--rate", "0")
	if code != ExitFindings {
		t.Fatalf("exit %d (stderr %s)", code, errOut)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("took %v", took)
	}
	checkRecords(t, csvRecords(t, out), wants)
}

func TestDiscoverUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"discover"}, "no targets"},
		{[]string{"discover", "10.0.0.0/33"}, "invalid CIDR"},
		{[]string{"discover", "::/0"}, "2^128 addresses"},
		{[]string{"discover", "10.0.0.0/12"}, "re-run with --yes"},
		{[]string{"discover", "10.0.0.0-10.15.255.255"}, "re-run with --yes"},
		{[]string{"discover", "127.0.0.1", "--ports", "0"}, "--ports: invalid port"},
		{[]string{"discover", "127.0.0.1", "--rate", "fast"}, "--rate"},
		{[]string{"discover", "127.0.0.1", "--concurrency", "0"}, "--concurrency"},
		{[]string{"discover", "127.0.0.1", "--sweep", "udp"}, "--sweep"},
		{[]string{"discover", "127.0.0.1", "--format", "xml"}, "unknown format"},
		{[]string{"discover", "127.0.0.1", "--targets-file", "/nonexistent/targets"}, "read targets file"},
		{[]string{"discover", "127.0.0.1", "--exclude", "300.0.0.1"}, "exclude"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args[1:], " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d (stderr %q)", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Fatalf("stderr %q, want one line containing %q", errOut, c.want)
			}
			if out != "" {
				t.Fatalf("stdout %q", out)
			}
		})
	}
}

// No packet leaves before the flags are known to be good, and the
// million-host guard fires before any resolution or dial.
func TestDiscoverValidatesBeforeScanning(t *testing.T) {
	dialed := false
	o := &DiscoverOptions{Targets: []string{"10.0.0.0/8"}, Concurrency: 8, Rate: "0", Timeout: time.Second, ConnectTimeout: time.Second, Profile: "miit-2026",
		dial: func(context.Context, string, string) (net.Conn, error) { dialed = true; return nil, context.Canceled }}
	o.Format, o.FailOn = "text", "high"
	io, _, _, _ := iostreams.Test()
	err := runDiscover(context.Background(), &factory{IO: io, Getenv: func(string) string { return "" }, Now: time.Now, Logger: discardLogger()}, o)
	if err == nil || !strings.Contains(err.Error(), "--yes") || dialed {
		t.Fatalf("err %v dialed %v", err, dialed)
	}
}

func TestDiscoverTextAndJSON(t *testing.T) {
	port := startFake(t, &probetest.FakeGateway{AuthOpen: true, OpenAI: true, Terminal: true})
	code, out, _ := runCLI(t, "discover", "127.0.0.1:"+strconv.Itoa(port), "--lang", "en")
	if code != ExitFindings || !strings.Contains(out, "127.0.0.1:"+strconv.Itoa(port)) || !strings.Contains(out, "openai-endpoints-open") || !strings.Contains(out, "CG-EXP-010") {
		t.Fatalf("exit %d text:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "discover", "127.0.0.1:"+strconv.Itoa(port), "--format", "json", "--fail-on", "none")
	if code != ExitOK {
		t.Fatalf("exit %d with --fail-on none", code)
	}
	var rep struct {
		Kind     string `json:"kind"`
		Findings []struct {
			CheckID string `json:"check_id"`
			Status  string `json:"status"`
		} `json:"findings"`
		Checks []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.CheckID] = f.Status
	}
	if rep.Kind != "discover" || got["CG-EXP-010"] != "fail" || got["CG-EXP-011"] != "fail" || got["CG-EXP-020"] != "warn" || got["CG-EXP-012"] != "warn" {
		t.Fatalf("kind %q findings %v", rep.Kind, got)
	}
	// Nothing found is a pass of the discover checks, not an absence.
	closed := probetest.FreePort(t)
	_, out, _ = runCLI(t, "discover", "127.0.0.1:"+strconv.Itoa(closed), "--format", "json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 0 || len(rep.Checks) != len(probe.DiscoverChecks) {
		t.Fatalf("empty scan: findings %v checks %v", rep.Findings, rep.Checks)
	}
	for _, c := range rep.Checks {
		if c.Status != "pass" {
			t.Fatalf("check %s %s on an empty scan", c.ID, c.Status)
		}
	}
}

func TestDiscoverProgressOnlyOnTTY(t *testing.T) {
	port := startFake(t, &probetest.FakeGateway{})
	for _, tty := range []bool{false, true} {
		io, _, _, errOut := iostreams.Test()
		io.ErrTTY = tty
		f := &factory{IO: io, Getenv: func(string) string { return "" }, Now: time.Now}
		run([]string{"discover", "127.0.0.1", "--ports", strconv.Itoa(port), "--format", "csv"}, f)
		has := strings.Contains(errOut.String(), "100%")
		if has != tty {
			t.Errorf("tty=%v progress drawn=%v: %q", tty, has, errOut.String())
		}
	}
}

func TestDiscoverTargetsFileAndExclude(t *testing.T) {
	p1 := startFake(t, &probetest.FakeGateway{AuthOpen: true})
	p2 := startFake(t, &probetest.FakeGateway{})
	file := t.TempDir() + "/targets"
	body := "# lab gateways\n127.0.0.1:" + strconv.Itoa(p1) + "\n127.0.0.1:" + strconv.Itoa(p2) + "  # second\n"
	if err := writeFile(file, body); err != nil {
		t.Fatal(err)
	}
	_, out, errOut := runCLI(t, "discover", "--targets-file", file, "--exclude", "127.0.0.1:"+strconv.Itoa(p2), "--format", "csv")
	recs := csvRecords(t, out)
	if _, ok := recs[p1]; !ok {
		t.Fatalf("p1 missing: %s %s", out, errOut)
	}
	if _, ok := recs[p2]; ok {
		t.Fatalf("excluded endpoint scanned: %s", out)
	}
}

func TestDiscoverAdvisories(t *testing.T) {
	port := startFake(t, &probetest.FakeGateway{})
	db, err := advisory.ParseDB([]byte(`{"schema":1,"modified":"2026-10-01","advisories":[
		{"id":"GHSA-test-0001","summary":"test","severity":"high","affected":[{"package":"openclaw","ranges":[{"introduced":"0","fixed":"2026.10.1"}],"range_known":true}]},
		{"id":"GHSA-test-0002","summary":"fixed before","severity":"high","affected":[{"package":"openclaw","ranges":[{"introduced":"0","fixed":"2026.1.1"}],"range_known":true}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	o := &DiscoverOptions{Targets: []string{"127.0.0.1:" + strconv.Itoa(port)}, Concurrency: 4, Rate: "0", Timeout: 2 * time.Second, ConnectTimeout: time.Second, Profile: "miit-2026",
		advisories: func() (*advisory.DB, error) { return db, nil }}
	o.Format, o.FailOn, o.Lang = "csv", "none", "en"
	io, _, out, _ := iostreams.Test()
	if err := runDiscover(context.Background(), &factory{IO: io, Getenv: func(string) string { return "" }, Now: time.Now, Logger: discardLogger()}, o); err != nil {
		t.Fatal(err)
	}
	r := csvRecords(t, out.String())[port]
	if r["advisories"] != "GHSA-test-0001" {
		t.Fatalf("advisories %q", r["advisories"])
	}
}

func TestGatewayPortResolution(t *testing.T) {
	// Values computed by running OpenClaw 2026.9.6's formula in node.
	for name, want := range map[string]int{"work": 41984, "dev2": 32746, "a": 22220} {
		if got := ProfilePort(name); got != want {
			t.Errorf("ProfilePort(%q) = %d, want %d", name, got, want)
		}
	}
	cases := []struct {
		inv  *openclaw.Inventory
		want int
		how  string
	}{
		{nil, 18789, "default"},
		{&openclaw.Inventory{Env: map[string]string{"OPENCLAW_GATEWAY_PORT": "19555"}}, 19555, "OPENCLAW_GATEWAY_PORT"},
		{&openclaw.Inventory{Env: map[string]string{"OPENCLAW_GATEWAY_PORT": "127.0.0.1:19556"}}, 19556, "OPENCLAW_GATEWAY_PORT"},
		{&openclaw.Inventory{Env: map[string]string{"OPENCLAW_GATEWAY_PORT": "[::1]:19557"}}, 19557, "OPENCLAW_GATEWAY_PORT"},
		{&openclaw.Inventory{Env: map[string]string{"OPENCLAW_GATEWAY_PORT": "a:b:1"}}, 18789, "default"},
		{&openclaw.Inventory{Env: map[string]string{"OPENCLAW_PROFILE": "work"}}, 41984, `profile "work"`},
		{&openclaw.Inventory{Env: map[string]string{"OPENCLAW_PROFILE": "default"}}, 18789, "default"},
		{&openclaw.Inventory{Paths: openclaw.Paths{Profile: "dev2"}}, 32746, `profile "dev2"`},
	}
	for i, c := range cases {
		got, how := gatewayPort(c.inv)
		if got != c.want || how != c.how {
			t.Errorf("case %d: %d (%s), want %d (%s)", i, got, how, c.want, c.how)
		}
	}
}

// The --deep prober talks to loopback only and fills LiveGateway.
func TestProbeLocal(t *testing.T) {
	port := startFake(t, &probetest.FakeGateway{AuthOpen: true, OpenAI: true, Terminal: true})
	var dialed []string
	d := &net.Dialer{}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		return d.DialContext(ctx, network, addr)
	}
	inv := &openclaw.Inventory{Env: map[string]string{"OPENCLAW_GATEWAY_PORT": strconv.Itoa(port)}}
	lg := probeLocal(context.Background(), inv, dial, 2*time.Second)
	if !lg.Reachable || lg.Auth != "open" || lg.Version != "2026.9.6" || lg.OpenAI != "open" || lg.OpenAIEndpoints == nil || !*lg.OpenAIEndpoints || lg.TerminalEnabled == nil || !*lg.TerminalEnabled || !lg.WSChallenge {
		t.Fatalf("live %+v", lg)
	}
	for _, a := range dialed {
		if !strings.HasPrefix(a, "127.0.0.1:") && !strings.HasPrefix(a, "[::1]:") {
			t.Fatalf("dialled %s", a)
		}
	}
	// Nothing listening: unreachable with a reason, both loopbacks tried.
	dialed = nil
	inv.Env["OPENCLAW_GATEWAY_PORT"] = strconv.Itoa(probetest.FreePort(t))
	lg = probeLocal(context.Background(), inv, dial, time.Second)
	if lg.Reachable || lg.Error == "" || len(dialed) != 2 {
		t.Fatalf("unreachable: %+v dialed %v", lg, dialed)
	}
}

func writeFile(p, body string) error { return os.WriteFile(p, []byte(body), 0o600) }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestDiscoverMDNS(t *testing.T) {
	dest := probetest.StartMDNSResponder(t, "lab (OpenClaw)", 18789, []string{"role=gateway", "gatewayPort=18789", "cliPath=/opt/openclaw/bin/openclaw", "sshPort=2222"})
	closed := probetest.FreePort(t)
	o := &DiscoverOptions{Targets: []string{"127.0.0.1:" + strconv.Itoa(closed)}, Concurrency: 4, Rate: "0", Timeout: time.Second, ConnectTimeout: time.Second, Profile: "miit-2026", MDNS: true,
		mdns: &probe.MDNSOptions{Wait: 300 * time.Millisecond, Dest: dest, Listen: func() (net.PacketConn, error) { return net.ListenPacket("udp4", "127.0.0.1:0") }}}
	o.Format, o.FailOn, o.Lang = "text", "high", "en"
	io, _, out, _ := iostreams.Test()
	err := runDiscover(context.Background(), &factory{IO: io, Getenv: func(string) string { return "" }, Now: time.Now, Logger: discardLogger()}, o)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"lab (OpenClaw)", "cliPath,sshPort", "CG-EXP-023", "discloses cliPath, sshPort"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

// Under --rootfs the live probe must not report whatever runs on this
// host's loopback as the audited deployment's gateway.
func TestProbeLocalRefusesRootfs(t *testing.T) {
	port := startFake(t, &probetest.FakeGateway{AuthOpen: true})
	dialed := false
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = true
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	inv := &openclaw.Inventory{Rootfs: "/mnt/image", Env: map[string]string{"OPENCLAW_GATEWAY_PORT": strconv.Itoa(port)}}
	lg := probeLocal(context.Background(), inv, dial, time.Second)
	if lg.Reachable || dialed || !strings.Contains(lg.Error, "--rootfs") {
		t.Fatalf("rootfs probe: %+v dialed=%v", lg, dialed)
	}
}

func TestDiscoverRecordsFormat(t *testing.T) {
	gw := startFake(t, &probetest.FakeGateway{AuthOpen: true})
	decoy := probetest.StartDecoy(t, probetest.DecoyPlainHTTP)
	code, out, errOut := runCLI(t, "discover", "127.0.0.1", "--ports", strconv.Itoa(gw)+","+strconv.Itoa(decoy), "--format", "records", "--fail-on", "none")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Records []probe.Result `json:"records"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(doc.Records) != 2 {
		t.Fatalf("records %+v", doc.Records)
	}
	byPort := map[int]probe.Result{}
	for _, r := range doc.Records {
		byPort[r.Port] = r
	}
	g, d := byPort[gw], byPort[decoy]
	if !g.IsGateway() || g.Auth != probe.AuthOpen || d.Product != probe.NotOpenClaw || len(g.Evidence) == 0 {
		t.Fatalf("records %+v", doc.Records)
	}
}
