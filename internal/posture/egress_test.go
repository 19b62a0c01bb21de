package posture

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawgov/clawgov/internal/egress/policy"
	"github.com/clawgov/clawgov/internal/egress/wiring"
	"github.com/clawgov/clawgov/internal/host"
)

// withEgressFiles replaces the file readers for CG-BRW-012 with a map.
func withEgressFiles(t *testing.T, files map[string]string) {
	t.Helper()
	oldF, oldD := egressReadFile, egressReadDir
	egressReadFile = func(_, p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	egressReadDir = func(_, dir string) ([]string, error) {
		var out []string
		for p := range files {
			if filepath.Dir(p) == dir && filepath.Ext(p) == ".nft" {
				out = append(out, p)
			}
		}
		return out, nil
	}
	t.Cleanup(func() { egressReadFile, egressReadDir = oldF, oldD })
}

func TestEgressChain(t *testing.T) {
	good := brwPolicy{File: "/etc/chromium/policies/managed/clawgov-egress.json", UID: 0, Mode: 0o644,
		ProxyMode: "fixed_servers", ProxyServer: "http://127.0.0.1:3128", ProxyBypass: "<-loopback>", WebRTC: "disable_non_proxied_udp"}
	writable := good
	writable.UID, writable.Mode = 999, 0o666
	nft, err := wiring.Nftables(wiring.FirewallOptions{User: "openclaw", UID: 999, ProxyPorts: []int{3128}, GatewayPorts: []string{"18789"}})
	if err != nil {
		t.Fatal(err)
	}
	examplePolicy, err := os.ReadFile("../../examples/egress/verified-sites.yaml")
	if err != nil {
		t.Fatal(err)
	}
	allFiles := map[string]string{
		"/etc/clawgov/egress.yaml":           string(examplePolicy),
		"/etc/nftables.conf":                 "flush ruleset\ntable inet filter { chain input { type filter hook input priority 0; policy accept; } }\n",
		"/etc/nftables.d/clawgov-egress.nft": nft,
	}
	noFirewall := map[string]string{"/etc/clawgov/egress.yaml": allFiles["/etc/clawgov/egress.yaml"], "/etc/nftables.conf": allFiles["/etc/nftables.conf"]}
	strict := `{browser: {ssrfPolicy: {dangerouslyAllowPrivateNetwork: false, allowedHostnames: ["docs.example.com"]}}}`
	listening := func(s *Snapshot) {
		s.Host.Sockets = append(s.Host.Sockets, host.Socket{Proto: "tcp", IP: "127.0.0.1", Port: 3128, UID: 997, Scope: host.ScopeLoopback})
	}
	cases := []struct {
		name     string
		cfg      string
		policies []brwPolicy
		files    map[string]string
		mut      func(*Snapshot)
		want     []string
	}{
		{"browser off passes", `{browser: {enabled: false}}`, nil, nil, nil, []string{"pass:browser_off"}},
		{"whole chain passes", strict, []brwPolicy{good}, allFiles, listening, []string{"pass:chain_complete"}},
		{"stock install: every link missing or unknown", "", nil, nil, nil,
			[]string{"fail:no_forced_proxy", "manual:proxy_policy_unknown", "manual:firewall_unknown", "fail:navigation_allowlist_off"}},
		{"agent-writable managed policy is no link", strict, []brwPolicy{writable}, allFiles, listening, []string{"fail:no_forced_proxy"}},
		{"proxy not running", strict, []brwPolicy{good}, allFiles, nil, []string{"fail:proxy_not_running"}},
		{"disk image: listener unknown", strict, []brwPolicy{good}, allFiles, func(s *Snapshot) { s.Host.Live = false }, []string{"manual:proxy_listener_unknown"}},
		{"no firewall confinement", strict, []brwPolicy{good}, noFirewall, listening, []string{"fail:firewall_missing"}},
		{"invalid proxy policy", strict, []brwPolicy{good}, map[string]string{"/etc/clawgov/egress.yaml": "version: 1\nentries:\n  a: {hosts: ['*']}\n", "/etc/nftables.d/c.nft": nft}, listening, []string{"fail:proxy_policy_invalid"}},
		{"navigation allowlist unset", "", []brwPolicy{good}, allFiles, listening, []string{"fail:navigation_allowlist_off"}},
		{"private network true is not strict", `{browser: {ssrfPolicy: {dangerouslyAllowPrivateNetwork: true, allowedHostnames: ["a.example"]}}}`, []brwPolicy{good}, allFiles, listening, []string{"fail:navigation_allowlist_off"}},
		{"remote CDP breaks the chain", `{browser: {cdpUrl: "http://10.0.0.5:9222", ssrfPolicy: {dangerouslyAllowPrivateNetwork: false, allowedHostnames: ["a.example"]}}}`, []brwPolicy{good}, allFiles, listening, []string{"fail:cdp_outside"}},
		{"CDP on all interfaces breaks the chain", `{browser: {extraArgs: ["--remote-debugging-address=0.0.0.0"], ssrfPolicy: {dangerouslyAllowPrivateNetwork: false, allowedHostnames: ["a.example"]}}}`, []brwPolicy{good}, allFiles, listening, []string{"fail:cdp_outside"}},
	}
	pol, err := policy.Parse("/etc/clawgov/egress.yaml", examplePolicy)
	if err != nil {
		t.Fatal(err)
	}
	openCDP := func(base func(*Snapshot)) func(*Snapshot) {
		return func(s *Snapshot) {
			base(s)
			s.CDP = []CDPLive{{Addr: "127.0.0.1:18800", Open: true, Browser: "Chrome/142.0"}}
		}
	}
	closedCDP := func(base func(*Snapshot)) func(*Snapshot) {
		return func(s *Snapshot) { base(s); s.CDP = []CDPLive{{Addr: "127.0.0.1:18800", Err: "401"}} }
	}
	canary := func(c CanaryLive) func(*Snapshot) {
		return func(s *Snapshot) { listening(s); s.Canary = []CanaryLive{c} }
	}
	deep := func(lv EgressLive) func(*Snapshot) {
		return func(s *Snapshot) { listening(s); s.Egress = &lv }
	}
	cases = append(cases, []struct {
		name     string
		cfg      string
		policies []brwPolicy
		files    map[string]string
		mut      func(*Snapshot)
		want     []string
	}{
		{"deep: live hash matches, canary refused", strict, []brwPolicy{good}, allFiles, deep(EgressLive{Hash: pol.Hash, CanaryStatus: 403}), []string{"pass:chain_complete"}},
		{"deep: live policy differs", strict, []brwPolicy{good}, allFiles, deep(EgressLive{Hash: "ab12", CanaryStatus: 403}), []string{"fail:deep_hash_mismatch"}},
		{"deep: canary let through", strict, []brwPolicy{good}, allFiles, deep(EgressLive{Hash: pol.Hash, CanaryStatus: 200}), []string{"fail:deep_canary_allowed"}},
		{"deep: admin unreachable", strict, []brwPolicy{good}, allFiles, deep(EgressLive{Err: "connection refused"}), []string{"warn:deep_unreachable"}},
		// An open debugging port is harmless to egress only under the firewall.
		{"deep: open CDP under the firewall still passes", strict, []brwPolicy{good}, allFiles, openCDP(listening), []string{"pass:chain_complete"}},
		{"deep: open CDP without the firewall is a bypass", strict, []brwPolicy{good}, noFirewall, openCDP(listening), []string{"fail:firewall_missing", "fail:cdp_bypass_open"}},
		{"deep: closed CDP without the firewall adds nothing", strict, []brwPolicy{good}, noFirewall, closedCDP(listening), []string{"fail:firewall_missing"}},
		{"deep: canary refused under the rules passes", strict, []brwPolicy{good}, allFiles, canary(CanaryLive{UID: 999, Target: "127.0.0.1:40000", Outcome: "refused", Detail: "connection refused"}), []string{"pass:chain_complete"}},
		{"deep: canary connects although the rules confine", strict, []brwPolicy{good}, allFiles, canary(CanaryLive{UID: 999, Target: "127.0.0.1:40000", Outcome: "connected"}), []string{"fail:deep_canary_open"}},
		{"deep: canary could not run", strict, []brwPolicy{good}, allFiles, canary(CanaryLive{UID: 999, Err: "acting as the service account needs root"}), []string{"manual:deep_canary_unknown"}},
		{"deep: canary without confinement adds nothing", strict, []brwPolicy{good}, noFirewall, canary(CanaryLive{UID: 999, Outcome: "connected"}), []string{"fail:firewall_missing"}},
	}...)
	var lc []lpCase
	for _, tc := range cases {
		tc := tc
		lc = append(lc, lpCase{name: tc.name, cfg: tc.cfg, check: "CG-BRW-012", want: tc.want, mut: func(s *Snapshot) {
			withPolicies(t, tc.policies...)
			withEgressFiles(t, tc.files)
			if tc.mut != nil {
				tc.mut(s)
			}
		}})
	}
	lpRun(t, lc)
}
