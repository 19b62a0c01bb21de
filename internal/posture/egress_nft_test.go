package posture

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/egress/wiring"
	"github.com/clawgov/clawgov/internal/host"
)

// capturedNft reads a ruleset captured from nftables 1.0.6 (see
// internal/host/nftjson_test.go); with uid set, the captured uid 65534
// (nobody) is replaced by it, which keeps the shape nft printed.
func capturedNft(t *testing.T, name, uid string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "host", "testdata", "nft", name))
	if err != nil {
		t.Fatal(err)
	}
	if uid != "" {
		data = []byte(strings.ReplaceAll(string(data), "65534", uid))
	}
	return data
}

func TestNftConfined(t *testing.T) {
	cases := []struct {
		name string
		json []byte
		// want maps uid to "table/chain/handle holes..." ("" = not confined)
		want map[int]string
	}{
		{"clawgov rules as loaded", capturedNft(t, "clawgov-egress.json", ""), map[int]string{65534: "clawgov_egress/output/11", 999: ""}},
		{"extra accept is a hole", capturedNft(t, "hole.json", ""), map[int]string{65534: "clawgov_egress/output/7 rule 5: tcp dport == 443 accept"}},
		{"hand-written skuid drop in an ip table leaves IPv6 open; the rate-limited drop is not one", capturedNft(t, "skuid-drop.json", ""), map[int]string{65534: "filter/OUTPUT/4 meta nfproto ipv6 accept"}},
		{"ip and ip6 tables together confine", []byte(`{"nftables":[
{"chain":{"family":"ip","table":"f4","name":"o","type":"filter","hook":"output","prio":0,"policy":"accept"}},
{"rule":{"family":"ip","table":"f4","chain":"o","handle":2,"expr":[{"match":{"op":"==","left":{"meta":{"key":"skuid"}},"right":999}},{"drop":null}]}},
{"chain":{"family":"ip6","table":"f6","name":"o","type":"filter","hook":"output","prio":0,"policy":"accept"}},
{"rule":{"family":"ip6","table":"f6","chain":"o","handle":3,"expr":[{"match":{"op":"==","left":{"meta":{"key":"skuid"}},"right":999}},{"drop":null}]}}]}`),
			map[int]string{999: "f4/o/2"}},
		{"empty ruleset", capturedNft(t, "empty.json", ""), map[int]string{65534: ""}},
		{"exemption closed by policy drop", []byte(`{"nftables":[
{"chain":{"family":"inet","table":"t","name":"o","type":"filter","hook":"output","prio":0,"policy":"drop"}},
{"rule":{"family":"inet","table":"t","chain":"o","handle":2,"expr":[{"match":{"op":"!=","left":{"meta":{"key":"skuid"}},"right":999}},{"accept":null}]}},
{"rule":{"family":"inet","table":"t","chain":"o","handle":3,"expr":[{"match":{"op":"==","left":{"meta":{"key":"oifname"}},"right":"lo"}},{"accept":null}]}}]}`),
			map[int]string{999: "t/o/2"}},
		{"exemption without a refusal confines nobody", []byte(`{"nftables":[
{"chain":{"family":"inet","table":"t","name":"o","type":"filter","hook":"output","prio":0,"policy":"accept"}},
{"rule":{"family":"inet","table":"t","chain":"o","handle":2,"expr":[{"match":{"op":"!=","left":{"meta":{"key":"skuid"}},"right":999}},{"accept":null}]}},
{"rule":{"family":"inet","table":"t","chain":"o","handle":3,"expr":[{"match":{"op":"==","left":{"meta":{"key":"l4proto"}},"right":"tcp"}},{"reject":null}]}}]}`),
			map[int]string{999: ""}},
		{"input hook does not confine output", []byte(`{"nftables":[
{"chain":{"family":"inet","table":"t","name":"i","type":"filter","hook":"input","prio":0,"policy":"accept"}},
{"rule":{"family":"inet","table":"t","chain":"i","handle":2,"expr":[{"match":{"op":"==","left":{"meta":{"key":"skuid"}},"right":999}},{"drop":null}]}}]}`),
			map[int]string{999: ""}},
		{"jump before the drop is a hole, other uid's accept is not", []byte(`{"nftables":[
{"chain":{"family":"inet","table":"t","name":"o","type":"filter","hook":"output","prio":0,"policy":"accept"}},
{"rule":{"family":"inet","table":"t","chain":"o","handle":2,"expr":[{"match":{"op":"==","left":{"meta":{"key":"skuid"}},"right":1000}},{"accept":null}]}},
{"rule":{"family":"inet","table":"t","chain":"o","handle":3,"expr":[{"jump":{"target":"x"}}]}},
{"rule":{"family":"inet","table":"t","chain":"o","handle":4,"expr":[{"match":{"op":"==","left":{"meta":{"key":"skuid"}},"right":{"set":[998,999]}}},{"drop":null}]}}]}`),
			map[int]string{998: "t/o/4 rule 3: jump x", 999: "t/o/4 rule 3: jump x", 1000: ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := host.ParseNftJSON(tc.json)
			if err != nil {
				t.Fatal(err)
			}
			got := nftConfined(rs)
			for uid, want := range tc.want {
				c, ok := got[uid]
				s := ""
				if ok {
					s = fmt.Sprintf("%s/%s/%d", c.Table, c.Chain, c.Handle)
					if len(c.Holes) > 0 {
						s += " " + strings.Join(c.Holes, "; ")
					}
				}
				if s != want {
					t.Errorf("uid %d: %q, want %q", uid, s, want)
				}
			}
		})
	}
}

// noIdentity removes every clue to the gateway's account.
func noIdentity(s *Snapshot) {
	s.Host.Units, s.Host.Processes = nil, nil
	for k, f := range s.OC.Files {
		f.UID, f.Exists = -1, false
		s.OC.Files[k] = f
	}
}

// TestEgressChainLiveFirewall: CG-BRW-012 with the kernel's ruleset
// (--deep). The service account of lpSnap is openclaw, uid 999.
func TestEgressChainLiveFirewall(t *testing.T) {
	good := brwPolicy{File: "/etc/chromium/policies/managed/clawgov-egress.json", UID: 0, Mode: 0o644,
		ProxyMode: "fixed_servers", ProxyServer: "http://127.0.0.1:3128", ProxyBypass: "<-loopback>", WebRTC: "disable_non_proxied_udp"}
	nft, err := wiring.Nftables(wiring.FirewallOptions{User: "openclaw", UID: 999, ProxyPorts: []int{3128}, GatewayPorts: []string{"18789"}})
	if err != nil {
		t.Fatal(err)
	}
	examplePolicy, err := os.ReadFile("../../examples/egress/verified-sites.yaml")
	if err != nil {
		t.Fatal(err)
	}
	withRules := map[string]string{"/etc/clawgov/egress.yaml": string(examplePolicy), "/etc/nftables.d/clawgov-egress.nft": nft}
	noRulesFile := map[string]string{"/etc/clawgov/egress.yaml": string(examplePolicy), "/etc/nftables.conf": "flush ruleset\n"}
	strict := `{browser: {ssrfPolicy: {dangerouslyAllowPrivateNetwork: false, allowedHostnames: ["docs.example.com"]}}}`
	live := func(l NftLive) func(*Snapshot) {
		return func(s *Snapshot) {
			s.Host.Sockets = append(s.Host.Sockets, host.Socket{Proto: "tcp", IP: "127.0.0.1", Port: 3128, UID: 997, Scope: host.ScopeLoopback})
			s.Nft = &l
		}
	}
	loaded := NftLive{JSON: capturedNft(t, "clawgov-egress.json", "999")}
	cases := []struct {
		name  string
		files map[string]string
		mut   func(*Snapshot)
		want  []string
	}{
		{"loaded and on disk: chain complete", withRules, live(loaded), []string{"pass:chain_complete"}},
		{"loaded but not on disk: lost at reboot", noRulesFile, live(loaded), []string{"warn:firewall_not_persisted"}},
		{"on disk but not loaded", withRules, live(NftLive{JSON: capturedNft(t, "empty.json", "")}), []string{"fail:firewall_not_loaded"}},
		{"loaded for another uid", withRules, live(NftLive{JSON: capturedNft(t, "clawgov-egress.json", "")}), []string{"fail:firewall_wrong_uid"}},
		{"loaded with a hole", withRules, live(NftLive{JSON: capturedNft(t, "hole.json", "999")}), []string{"fail:firewall_live_open"}},
		{"hand-written skuid drop for IPv4 only leaves IPv6 open", withRules, live(NftLive{JSON: capturedNft(t, "skuid-drop.json", "999")}), []string{"fail:firewall_live_open"}},
		{"hand-written skuid drop in an inet table counts", withRules, live(NftLive{JSON: []byte(strings.ReplaceAll(string(capturedNft(t, "skuid-drop.json", "999")), `"family": "ip"`, `"family": "inet"`))}), []string{"pass:chain_complete"}},
		{"nft missing: files decide, kernel unknown", withRules, live(NftLive{NoNft: true, Err: "nft is not installed"}), []string{"manual:firewall_live_no_nft"}},
		{"nft not permitted: unknown, not pass", withRules, live(NftLive{Err: "nft -j list ruleset: Operation not permitted (not root)"}), []string{"manual:firewall_live_unknown"}},
		{"nft not permitted and no rules file", noRulesFile, live(NftLive{Err: "Operation not permitted"}), []string{"manual:firewall_live_unknown", "fail:firewall_missing"}},
		{"garbled JSON is unknown", withRules, live(NftLive{JSON: []byte("{")}), []string{"manual:firewall_live_unknown"}},
		{"service account unknown: the rules file's uid is looked for", withRules, func(s *Snapshot) {
			live(NftLive{JSON: capturedNft(t, "clawgov-egress.json", "")})(s)
			noIdentity(s)
		}, []string{"fail:firewall_wrong_uid"}},
		{"service account and rules file unknown: confined uids reported", noRulesFile, func(s *Snapshot) {
			live(NftLive{JSON: capturedNft(t, "clawgov-egress.json", "")})(s)
			noIdentity(s)
		}, []string{"manual:firewall_live_user_unknown", "fail:firewall_missing"}},
		{"nothing known and nothing loaded", noRulesFile, func(s *Snapshot) {
			live(NftLive{JSON: capturedNft(t, "empty.json", "")})(s)
			noIdentity(s)
		}, []string{"fail:firewall_not_loaded"}},
	}
	var lc []lpCase
	for _, tc := range cases {
		tc := tc
		lc = append(lc, lpCase{name: tc.name, cfg: strict, check: "CG-BRW-012", want: tc.want, mut: func(s *Snapshot) {
			withPolicies(t, good)
			withEgressFiles(t, tc.files)
			tc.mut(s)
		}})
	}
	lpRun(t, lc)
}

// TestEgressChainLiveFirewallNetns loads the rules `clawgov egress
// firewall` writes into a scratch network namespace and feeds what the
// kernel reports back (`nft -j list ruleset` there) to CG-BRW-012: the
// chain is complete with the rules loaded and fails without them.
func TestEgressChainLiveFirewallNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace and load nftables rules in it")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nft (apt-get install nftables)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip (apt-get install iproute2)")
	}
	ns := fmt.Sprintf("cgpost%05d", os.Getpid()%100000)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	list := func() []byte {
		t.Helper()
		out, err := exec.Command("ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset").Output()
		if err != nil {
			t.Fatalf("nft list: %v", err)
		}
		return out
	}
	nft, err := wiring.Nftables(wiring.FirewallOptions{User: "openclaw", UID: 999, ProxyPorts: []int{3128}, GatewayPorts: []string{"18789", "18791", "18800-18899"}})
	if err != nil {
		t.Fatal(err)
	}
	examplePolicy, err := os.ReadFile("../../examples/egress/verified-sites.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"/etc/clawgov/egress.yaml": string(examplePolicy), "/etc/nftables.d/clawgov-egress.nft": nft}
	good := brwPolicy{File: "/etc/chromium/policies/managed/clawgov-egress.json", UID: 0, Mode: 0o644,
		ProxyMode: "fixed_servers", ProxyServer: "http://127.0.0.1:3128", ProxyBypass: "<-loopback>", WebRTC: "disable_non_proxied_udp"}
	strict := `{browser: {ssrfPolicy: {dangerouslyAllowPrivateNetwork: false, allowedHostnames: ["docs.example.com"]}}}`
	run := func(name string, ruleset []byte, want ...string) lpCase {
		return lpCase{name: name, cfg: strict, check: "CG-BRW-012", want: want, mut: func(s *Snapshot) {
			withPolicies(t, good)
			withEgressFiles(t, files)
			s.Host.Sockets = append(s.Host.Sockets, host.Socket{Proto: "tcp", IP: "127.0.0.1", Port: 3128, UID: 997, Scope: host.ScopeLoopback})
			s.Nft = &NftLive{Source: "nft -j list ruleset", JSON: ruleset}
		}}
	}
	before := list()
	load := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	load.Stdin = strings.NewReader(nft)
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v %s", err, out)
	}
	after := list()
	lpRun(t, []lpCase{
		run("kernel without the rules", before, "fail:firewall_not_loaded"),
		run("kernel with the rules", after, "pass:chain_complete"),
	})
}
