package posture

import (
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
)

const gwPID = 4242

// optSockets makes the host live with readable sockets, one gateway
// process (gwPID) and the given listeners ("ip:port/pid", pid 0 =
// unattributable).
func optSockets(specs ...string) snapOpt {
	return func(s *Snapshot) {
		s.Host.Live = true
		s.Host.Coverage.Sockets = true
		s.Host.Processes = []host.Process{{PID: gwPID, Comm: "openclaw-gatewa", Cmdline: "openclaw-gateway"}}
		for _, sp := range specs {
			addr, pid, _ := strings.Cut(sp, "/")
			i := strings.LastIndex(addr, ":")
			ip := strings.Trim(addr[:i], "[]")
			port := atoiT(addr[i+1:])
			proto := "tcp"
			if strings.Contains(ip, ":") {
				proto = "tcp6"
			}
			s.Host.Sockets = append(s.Host.Sockets, host.Socket{Proto: proto, IP: ip, Port: port, PID: atoiT(pid), Scope: host.AddrScope(ip)})
		}
	}
}

func atoiT(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func optRootfs() snapOpt {
	return func(s *Snapshot) { s.Host.Live = false; s.Host.Rootfs = "/mnt/img" }
}

func optFirewall(fw host.Firewall) snapOpt { return func(s *Snapshot) { s.Host.Firewall = fw } }

func optLive(lg *openclaw.LiveGateway) snapOpt {
	return func(s *Snapshot) { s.OC.Live = lg; s.Deep = lg != nil }
}

var (
	loopbackGW = []string{"127.0.0.1:18789/4242", "[::1]:18789/4242"}
	yes        = true
	no         = false
)

func TestEXP001GatewaySockets(t *testing.T) {
	runCases(t, "CG-EXP-001", []checkCase{
		{name: "loopback only", opts: []snapOpt{optSockets(loopbackGW...)}, want: nil},
		{name: "wildcard", opts: []snapOpt{optSockets("0.0.0.0:18789/4242")}, want: []string{"fail/high/listening"}},
		{name: "ipv6 wildcard", opts: []snapOpt{optSockets("[::]:18789/4242")}, want: []string{"fail/high/listening"}},
		{name: "public address", opts: []snapOpt{optSockets("203.0.113.7:18789/4242")}, want: []string{"fail/critical/listening"}},
		{name: "private address", opts: []snapOpt{optSockets("10.1.2.3:18789/4242", "127.0.0.1:18789/4242")}, want: []string{"fail/medium/listening"}},
		{name: "other process on 0.0.0.0 elsewhere is not the gateway", opts: []snapOpt{optSockets(append(loopbackGW, "0.0.0.0:22/1")...)}, want: nil},
		{name: "unattributable socket on gateway port counts", opts: []snapOpt{optSockets("0.0.0.0:18789/0")}, want: []string{"fail/high/listening"}},
		{name: "configured port followed", cfg: `{gateway: {port: 19555}}`, opts: []snapOpt{optSockets("0.0.0.0:19555/4242")}, want: []string{"fail/high/listening"}},
		{name: "gateway not running", opts: []snapOpt{optSockets("0.0.0.0:22/1")}, want: []string{"skip/info/not_running"}},
		{name: "rootfs does not apply, never pass", opts: []snapOpt{optRootfs()}, want: []string{"skip/info/no_live_host"}},
		{name: "socket table unreadable", opts: []snapOpt{optSockets("0.0.0.0:18789/4242"), func(s *Snapshot) { s.Host.Coverage.Sockets = false }}, want: []string{"manual/info/not_live"}},
		{name: "no host facts", opts: []snapOpt{optNoHost()}, want: []string{"manual/info/not_live"}},
	})
}

func TestEXP002ConfigVsSockets(t *testing.T) {
	runCases(t, "CG-EXP-002", []checkCase{
		{name: "loopback agrees", cfg: `{gateway: {bind: "loopback"}}`, opts: []snapOpt{optSockets(loopbackGW...)}, want: nil},
		{name: "no config, loopback agrees", opts: []snapOpt{optSockets(loopbackGW...)}, want: nil},
		{name: "config loopback, socket wildcard", cfg: `{gateway: {bind: "loopback"}}`, opts: []snapOpt{optSockets("0.0.0.0:18789/4242")}, want: []string{"fail/info/wider"}},
		{name: "unset bind in container really listens 0.0.0.0: agrees", opts: []snapOpt{optContainer(), optSockets("0.0.0.0:18789/4242")}, want: nil},
		{name: "lan configured but loopback socket", cfg: `{gateway: {bind: "lan"}}`, opts: []snapOpt{optSockets(loopbackGW...)}, want: []string{"warn/low/different", "warn/low/different"}},
		{name: "custom host differs", cfg: `{gateway: {bind: "custom", customBindHost: "10.0.0.5"}}`, opts: []snapOpt{optSockets("10.0.0.9:18789/4242")}, want: []string{"warn/medium/different"}},
		{name: "custom host agrees", cfg: `{gateway: {bind: "custom", customBindHost: "10.0.0.5"}}`, opts: []snapOpt{optSockets("10.0.0.5:18789/4242")}, want: nil},
		{name: "port differs", cfg: `{gateway: {port: 18789}}`, opts: []snapOpt{optSockets("127.0.0.1:19001/4242", "127.0.0.1:19003/4242")}, want: []string{"warn/medium/port"}},
		{name: "env port honoured", opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_PORT", "127.0.0.1:19555"), optSockets("127.0.0.1:19555/4242")}, want: nil},
		{name: "named profile port honoured", opts: []snapOpt{optEnv("OPENCLAW_PROFILE", "work"), optSockets("127.0.0.1:" + itoa(profilePort("work")) + "/4242")}, want: nil},
		{name: "rootfs", opts: []snapOpt{optRootfs()}, want: []string{"skip/info/no_live_host"}},
		{name: "unreadable config is error", opts: []snapOpt{optSockets("0.0.0.0:18789/4242"), func(s *Snapshot) { s.OC.Paths.ConfigExists = true }}, want: []string{"error/info/"}},
	})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestProfilePortMatchesOpenClaw(t *testing.T) {
	// Values computed by running OpenClaw 2026.9.6's resolveGatewayPort
	// formula in node (Math.imul FNV-1a, 20000 + hash % 40000).
	for name, want := range map[string]int{"work": 41984, "dev2": 32746, "a": 22220} {
		if got := profilePort(name); got != want {
			t.Errorf("profilePort(%q) = %d", name, got)
		}
	}
}

func TestEXP003HelperPorts(t *testing.T) {
	runCases(t, "CG-EXP-003", []checkCase{
		{name: "all loopback", opts: []snapOpt{optSockets(append(loopbackGW, "127.0.0.1:18791/4242", "127.0.0.1:18800/999")...)}, want: nil},
		{name: "browser control on wildcard", opts: []snapOpt{optSockets(append(loopbackGW, "0.0.0.0:18791/4242")...)}, want: []string{"fail/high/exposed"}},
		{name: "mcp apps on wildcard", opts: []snapOpt{optSockets(append(loopbackGW, "[::]:18790/4242")...)}, want: []string{"fail/high/exposed"}},
		{name: "CDP on wildcard", opts: []snapOpt{optSockets(append(loopbackGW, "0.0.0.0:18800/999")...)}, want: []string{"fail/critical/exposed"}},
		{name: "canvas port from config", cfg: `{canvasHost: {port: 18793}}`, opts: []snapOpt{optSockets(append(loopbackGW, "0.0.0.0:18793/4242")...)}, want: []string{"fail/high/exposed"}},
		{name: "unrelated port ignored", opts: []snapOpt{optSockets(append(loopbackGW, "0.0.0.0:8080/4242")...)}, want: nil},
		{name: "rootfs", opts: []snapOpt{optRootfs()}, want: []string{"skip/info/no_live_host"}},
	})
}

func TestEXP004TLS(t *testing.T) {
	runCases(t, "CG-EXP-004", []checkCase{
		{name: "loopback needs no TLS", opts: []snapOpt{optSockets(loopbackGW...)}, want: nil},
		{name: "wildcard without tls config", opts: []snapOpt{optSockets("0.0.0.0:18789/4242")}, want: []string{"fail/info/plaintext_config"}},
		{name: "wildcard with tls config", cfg: `{gateway: {tls: {enabled: true}}}`, opts: []snapOpt{optSockets("0.0.0.0:18789/4242")}, want: nil},
		{name: "live probe saw plain http despite config", cfg: `{gateway: {tls: {enabled: true}}}`, opts: []snapOpt{optSockets("0.0.0.0:18789/4242"), optLive(&openclaw.LiveGateway{URL: "http://127.0.0.1:18789/", Reachable: true})}, want: []string{"fail/info/plaintext_live"}},
		{name: "live probe saw tls", opts: []snapOpt{optSockets("0.0.0.0:18789/4242"), optLive(&openclaw.LiveGateway{URL: "https://127.0.0.1:18789/", Reachable: true, TLS: true})}, want: nil},
		{name: "rootfs", opts: []snapOpt{optRootfs()}, want: []string{"skip/info/no_live_host"}},
	})
}

func TestEXP005Firewall(t *testing.T) {
	exposed := optSockets("0.0.0.0:18789/4242")
	runCases(t, "CG-EXP-005", []checkCase{
		{name: "loopback needs no firewall", opts: []snapOpt{optSockets(loopbackGW...)}, want: nil},
		{name: "unknown firewall is manual, never pass", opts: []snapOpt{exposed}, want: []string{"manual/info/unknown"}},
		{name: "known but inactive", opts: []snapOpt{exposed, optFirewall(host.Firewall{Known: true, Sources: []string{"/etc/ufw/ufw.conf"}})}, want: []string{"fail/info/inactive"}},
		{name: "default drop", opts: []snapOpt{exposed, optFirewall(host.Firewall{Known: true, Active: true, DefaultDrop: true})}, want: nil},
		{name: "default accept", opts: []snapOpt{exposed, optFirewall(host.Firewall{Known: true, Active: true})}, want: []string{"fail/info/allowed"}},
		{name: "explicit deny", opts: []snapOpt{exposed, optFirewall(host.Firewall{Known: true, Active: true, Rules: []host.PortRule{{Backend: "nftables", From: 18789, To: 18789, Action: "deny"}}})}, want: nil},
		{name: "allow from anywhere", opts: []snapOpt{exposed, optFirewall(host.Firewall{Known: true, Active: true, DefaultDrop: true, Rules: []host.PortRule{{Backend: "ufw", From: 18000, To: 19000, Action: "allow"}}})}, want: []string{"fail/info/allowed"}},
		{name: "allow from a source range", opts: []snapOpt{exposed, optFirewall(host.Firewall{Known: true, Active: true, DefaultDrop: true, Rules: []host.PortRule{{Backend: "ufw", From: 18789, To: 18789, Action: "allow", Addr: "10.0.0.0/24"}}})}, want: nil},
		{name: "rootfs", opts: []snapOpt{optRootfs()}, want: []string{"skip/info/no_live_host"}},
	})
}

func TestLiveChecks(t *testing.T) {
	open := &openclaw.LiveGateway{URL: "http://127.0.0.1:18789/", Reachable: true, Version: "2026.9.6", Product: "OpenClaw", Auth: "open", ControlUI: true, TerminalEnabled: &yes, OpenAI: "open",
		Evidence: []string{"POST /tools/invoke -> 400 [tools-invoke-open]", "GET /v1/models -> 200 [models-open]"}}
	closed := &openclaw.LiveGateway{URL: "http://127.0.0.1:18789/", Reachable: true, Version: "2026.9.6", Auth: "required", ControlUI: true, TerminalEnabled: &no, OpenAI: "off"}
	authedAPI := &openclaw.LiveGateway{URL: "http://127.0.0.1:18789/", Reachable: true, Auth: "required", ControlUI: true, TerminalEnabled: &no, OpenAI: "on"}
	odd := &openclaw.LiveGateway{URL: "http://127.0.0.1:18789/", Reachable: true, Auth: "unknown", ControlUI: false}
	down := &openclaw.LiveGateway{URL: "http://127.0.0.1:18789/", Reachable: false, Error: "connection refused"}
	cases := map[string][]checkCase{
		"CG-EXP-010": {
			{name: "open", opts: []snapOpt{optLive(open)}, want: []string{"fail/info/open"}},
			{name: "required", opts: []snapOpt{optLive(closed)}, want: nil},
			{name: "unknown is error", opts: []snapOpt{optLive(odd)}, want: []string{"error/info/unknown"}},
			{name: "unreachable is error", opts: []snapOpt{optLive(down)}, want: []string{"error/info/unknown"}},
			{name: "no --deep is skip", want: []string{"skip/info/not_deep"}},
		},
		"CG-EXP-011": {
			{name: "open", opts: []snapOpt{optLive(open)}, want: []string{"fail/info/open"}},
			{name: "on behind auth", opts: []snapOpt{optLive(authedAPI)}, want: []string{"warn/medium/on"}},
			{name: "off", opts: []snapOpt{optLive(closed)}, want: nil},
			{name: "undetermined", opts: []snapOpt{optLive(odd)}, want: []string{"error/info/unknown"}},
			{name: "no --deep", want: []string{"skip/info/not_deep"}},
		},
		"CG-EXP-012": {
			{name: "enabled", opts: []snapOpt{optLive(open)}, want: []string{"warn/info/enabled"}},
			{name: "disabled", opts: []snapOpt{optLive(closed)}, want: nil},
			{name: "no ui", opts: []snapOpt{optLive(odd)}, want: []string{"skip/info/no_ui"}},
			{name: "unreachable", opts: []snapOpt{optLive(down)}, want: []string{"error/info/unknown"}},
			{name: "no --deep", want: []string{"skip/info/not_deep"}},
		},
		"CG-EXP-013": {
			{name: "answered", opts: []snapOpt{optLive(open)}, want: []string{"pass/info/answered"}},
			{name: "unreachable", opts: []snapOpt{optLive(down)}, want: []string{"error/info/unreachable"}},
			{name: "no --deep", want: []string{"skip/info/not_deep"}},
		},
	}
	for id, cs := range cases {
		t.Run(id, func(t *testing.T) { runCases(t, id, cs) })
	}
	// The open finding carries the request that proves it.
	fs := runCheck(t, "CG-EXP-010", cfgSnap(t, "", optLive(open)))
	if len(fs) != 1 || len(fs[0].Evidence) < 2 || !strings.Contains(fs[0].Evidence[1].Detail, "/tools/invoke -> 400") {
		t.Fatalf("evidence: %+v", fs)
	}
	if fs[0].Params["version"] != "2026.9.6" {
		t.Fatalf("params: %v", fs[0].Params)
	}
}

// Every exposure check that needs live state says so on a disk image:
// skip with "no live host" (the check does not apply), never a pass, and
// never manual (nothing was left unread). On a live host whose socket table
// could not be read the same checks stay manual.
func TestExposureChecksNeverPassOnRootfs(t *testing.T) {
	ids := []string{"CG-EXP-001", "CG-EXP-002", "CG-EXP-003", "CG-EXP-004", "CG-EXP-005", "CG-EXP-010", "CG-EXP-011", "CG-EXP-012", "CG-EXP-013"}
	for _, id := range ids {
		fs := runCheck(t, id, cfgSnap(t, `{gateway: {bind: "lan"}}`, optRootfs()))
		if len(fs) != 1 || fs[0].Status != finding.Skip || fs[0].MessageKey != NoLiveHostKey {
			t.Errorf("%s on a rootfs: %+v, want one skip/%s", id, fs, NoLiveHostKey)
		}
	}
	unread := func(s *Snapshot) { s.Host.Coverage.Sockets = false }
	for _, id := range ids[:5] {
		fs := runCheck(t, id, cfgSnap(t, `{gateway: {bind: "lan"}}`, optSockets("0.0.0.0:18789/4242"), unread))
		if len(fs) != 1 || fs[0].Status != finding.Manual {
			t.Errorf("%s with an unreadable socket table: %+v, want manual", id, fs)
		}
	}
}
