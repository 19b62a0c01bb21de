package posture

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/openclaw"
)

// withPolicies replaces the managed-policy reader for one test.
func withPolicies(t *testing.T, ps ...brwPolicy) {
	t.Helper()
	old := brwReadPolicies
	brwReadPolicies = func(string) []brwPolicy { return ps }
	t.Cleanup(func() { brwReadPolicies = old })
}

func TestBrowserChecks(t *testing.T) {
	withPolicies(t) // no managed policy on the "host"
	lpRun(t, []lpCase{
		// CG-BRW-002 evaluate
		{name: "evaluate default on", check: "CG-BRW-002", want: []string{"warn:evaluate_default"}},
		{name: "evaluate off", cfg: `{browser: {evaluateEnabled: false}}`, check: "CG-BRW-002"},
		{name: "browser disabled", cfg: `{browser: {enabled: false}}`, check: "CG-BRW-002"},
		{name: "browser plugin disabled", cfg: `{plugins: {entries: {browser: {enabled: false}}}}`, check: "CG-BRW-002"},
		{name: "browser tool denied", cfg: `{tools: {deny: ["group:ui"]}}`, check: "CG-BRW-002"},
		{name: "plugins.allow without browser", cfg: `{plugins: {allow: ["telegram"]}}`, check: "CG-BRW-002"},
		{name: "plugins.allow without browser but a browser block", cfg: `{plugins: {allow: ["telegram"]}, browser: {headless: true}}`, check: "CG-BRW-002", want: []string{"warn:evaluate_default"}},
		{name: "plugins.allow with browser", cfg: `{plugins: {allow: ["telegram", "browser"]}}`, check: "CG-BRW-002", want: []string{"warn:evaluate_default"}},
		{name: "coding profile has no browser", cfg: `{tools: {profile: "coding"}}`, check: "CG-BRW-002"},
		{name: "coding profile plus browser", cfg: `{tools: {profile: "coding", alsoAllow: ["browser"]}}`, check: "CG-BRW-002", want: []string{"warn:evaluate_default"}},
		{name: "config unreadable", mut: func(s *Snapshot) { s.OC.Paths.ConfigExists = true }, check: "CG-BRW-002", want: []string{"error:-"}},

		// CG-BRW-003 private network
		{name: "private network on", cfg: `{browser: {ssrfPolicy: {dangerouslyAllowPrivateNetwork: true}}}`, check: "CG-BRW-003", want: []string{"fail:private_network"}},
		{name: "legacy alias", cfg: `{browser: {ssrfPolicy: {allowPrivateNetwork: true}}}`, check: "CG-BRW-003", want: []string{"fail:private_network"}},
		{name: "web_fetch private network", cfg: `{tools: {web: {fetch: {ssrfPolicy: {dangerouslyAllowPrivateNetwork: true}}}}}`, check: "CG-BRW-003", want: []string{"fail:private_network"}},
		{name: "default strict", check: "CG-BRW-003"},

		// CG-BRW-004 remote CDP
		{name: "remote http cdp", cfg: `{browser: {profiles: {remote: {cdpUrl: "http://10.0.0.5:9222"}}}}`, check: "CG-BRW-004", want: []string{"warn:remote_http"}},
		{name: "remote wss cdp", cfg: `{browser: {cdpUrl: "wss://browser.example.net/devtools?token=abc"}}`, check: "CG-BRW-004", want: []string{"warn:remote_tls"}},
		{name: "loopback cdp", cfg: `{browser: {cdpUrl: "http://127.0.0.1:18800"}}`, check: "CG-BRW-004"},

		// CG-BRW-005 user's browser
		{name: "existing-session profile", cfg: `{browser: {profiles: {mine: {driver: "existing-session"}}}}`, check: "CG-BRW-005", want: []string{"warn:user_browser"}},
		{name: "default profile chrome", cfg: `{browser: {defaultProfile: "chrome"}}`, check: "CG-BRW-005", want: []string{"warn:user_browser"}},
		{name: "managed profile", cfg: `{browser: {profiles: {work: {driver: "openclaw"}}}}`, check: "CG-BRW-005"},

		// CG-BRW-006
		{name: "noSandbox", cfg: `{browser: {noSandbox: true}}`, check: "CG-BRW-006", want: []string{"fail:no_sandbox"}},
		{name: "sandboxed", check: "CG-BRW-006"},

		// CG-BRW-007
		{name: "legacy relay auth default", check: "CG-BRW-007", want: []string{"warn:legacy_auth_default"}},
		{name: "legacy relay auth off", cfg: `{browser: {extensionRelay: {allowLegacyAuth: false}}}`, check: "CG-BRW-007"},

		// CG-BRW-008
		{name: "profile import explicit", cfg: `{browser: {allowSystemProfileImport: true}}`, check: "CG-BRW-008", want: []string{"warn:profile_import"}},
		{name: "profile import default on macOS", mut: func(s *Snapshot) { s.Host.OS = "darwin" }, check: "CG-BRW-008", want: []string{"warn:profile_import_default"}},
		{name: "profile import default on linux", check: "CG-BRW-008"},

		// CG-BRW-009
		{name: "remote debugging address", cfg: `{browser: {extraArgs: ["--remote-debugging-address=0.0.0.0", "--lang=zh-CN"]}}`, check: "CG-BRW-009", want: []string{"warn:extra_arg"}},
		{name: "bypass all", cfg: `{browser: {extraArgs: ["--proxy-bypass-list=*", "--proxy-pac-url=http://x/p.pac"]}}`, check: "CG-BRW-009", want: []string{"warn:extra_arg", "warn:extra_arg"}},
		{name: "loopback debugging", cfg: `{browser: {extraArgs: ["--remote-debugging-address=127.0.0.1", "--proxy-bypass-list=<-loopback>"]}}`, check: "CG-BRW-009"},

		// CG-BRW-010 is always manual
		{name: "manual", check: "CG-BRW-010", want: []string{"manual:manual"}},

		// CG-BRW-011 web_fetch
		{name: "fetch default direct", check: "CG-BRW-011", want: []string{"fail:fetch_direct_default"}},
		{name: "fetch disabled", cfg: `{tools: {web: {fetch: {enabled: false}}}}`, check: "CG-BRW-011"},
		{name: "fetch denied", cfg: `{tools: {deny: ["group:web"]}}`, check: "CG-BRW-011"},
		{name: "fetch via proxy", cfg: `{proxy: {proxyUrl: "http://user:pw@127.0.0.1:3128"}}`, check: "CG-BRW-011", want: []string{"warn:fetch_proxy"}},
		{name: "fetch via env proxy", mut: func(s *Snapshot) { s.OC.Env["OPENCLAW_PROXY_URL"] = "http://127.0.0.1:3128" }, check: "CG-BRW-011", want: []string{"warn:fetch_proxy"}},
		{name: "proxy disabled", cfg: `{proxy: {enabled: false, proxyUrl: "http://127.0.0.1:3128"}}`, check: "CG-BRW-011", want: []string{"fail:fetch_direct_default"}},
	})
}

func TestBrowserEgressDONT5(t *testing.T) {
	good := brwPolicy{File: "/etc/chromium/policies/managed/egress.json", UID: 0, Mode: 0o644,
		ProxyMode: "fixed_servers", ProxyServer: "http://127.0.0.1:3128", ProxyBypass: "<-loopback>", WebRTC: "disable_non_proxied_udp"}
	cases := []struct {
		name string
		cfg  string
		pols []brwPolicy
		want []string
	}{
		{"stock install fails", "", nil, []string{"fail:unconfined_default"}},
		{"empty config fails", `{}`, nil, []string{"fail:unconfined_default"}},
		{"browser disabled passes", `{browser: {enabled: false}}`, nil, []string{"pass:browser_off"}},
		{"browser denied everywhere passes", `{tools: {deny: ["browser"]}}`, nil, []string{"pass:browser_off"}},
		{"browser plugin not allowed passes", `{plugins: {allow: ["telegram"]}}`, nil, []string{"pass:browser_off"}},
		{"strict allowlist is at best warn", `{browser: {ssrfPolicy: {dangerouslyAllowPrivateNetwork: false, allowedHostnames: ["docs.example.com"]}}}`, nil, []string{"warn:allowlist_only"}},
		{"allowlist without explicit false fails", `{browser: {ssrfPolicy: {allowedHostnames: ["docs.example.com"]}}}`, nil, []string{"fail:unconfined_default"}},
		{"denylist only fails", `{browser: {ssrfPolicy: {blockedHostnames: ["evil.example"]}}}`, nil, []string{"fail:denylist_only"}},
		{"private network fails", `{browser: {ssrfPolicy: {dangerouslyAllowPrivateNetwork: true}}}`, nil, []string{"fail:private_network"}},
		{"extraArgs proxy warns", `{browser: {extraArgs: ["--proxy-server=http://127.0.0.1:3128"], ssrfPolicy: {dangerouslyAllowPrivateNetwork: true}}}`, nil, []string{"warn:extraargs_proxy"}},
		{"managed proxy policy passes", "", []brwPolicy{good}, []string{"pass:proxy_enforced"}},
		{"policy does not bind a remote CDP browser", `{browser: {profiles: {r: {cdpUrl: "https://10.0.0.9:9222"}}}}`, []brwPolicy{good}, []string{"warn:outside_policy"}},
		{"policy does not bind the sandbox browser", `{agents: {defaults: {sandbox: {mode: "all", browser: {enabled: true}}}}}`, []brwPolicy{good}, []string{"warn:outside_policy"}},
		{"policy and loopback CDP passes", `{browser: {cdpUrl: "http://127.0.0.1:18800"}}`, []brwPolicy{good}, []string{"pass:proxy_enforced"}},
		{"policy without WebRTC pin warns", "", []brwPolicy{func() brwPolicy { p := good; p.WebRTC = ""; return p }()}, []string{"warn:proxy_webrtc_leak"}},
		{"policy with bypass list warns", "", []brwPolicy{func() brwPolicy { p := good; p.ProxyBypass = "<-loopback>;*.corp"; return p }()}, []string{"warn:proxy_bypass"}},
		{"policy without <-loopback> warns", "", []brwPolicy{func() brwPolicy { p := good; p.ProxyBypass = ""; return p }()}, []string{"warn:proxy_bypass"}},
		{"user-writable policy does not count", "", []brwPolicy{func() brwPolicy { p := good; p.UID = 999; return p }()}, []string{"warn:policy_tamperable"}},
		{"group-writable policy does not count", "", []brwPolicy{func() brwPolicy { p := good; p.Mode = 0o664; return p }()}, []string{"warn:policy_tamperable"}},
		{"URL filter only warns", "", []brwPolicy{{File: "/etc/opt/chrome/policies/managed/urls.json", UID: 0, Mode: 0o644, URLBlocklist: []string{"*"}, URLAllowlist: []string{"docs.example.com"}}}, []string{"warn:url_policy_only"}},
		{"unrelated policy ignored", "", []brwPolicy{{File: "/etc/chromium/policies/managed/x.json", UID: 0, Mode: 0o644}}, []string{"fail:unconfined_default"}},
		{"URL filter beside a proxy policy passes", "", []brwPolicy{good, {File: "/etc/chromium/policies/managed/urls.json", UID: 0, Mode: 0o644, URLBlocklist: []string{"*"}, URLAllowlist: []string{"a.example"}}}, []string{"pass:proxy_enforced"}},
		{"second file with direct mode conflicts", "", []brwPolicy{good, {File: "/etc/chromium/policies/managed/zz.json", UID: 0, Mode: 0o644, ProxyMode: "direct"}}, []string{"warn:proxy_conflict"}},
		{"second file with another proxy conflicts", "", []brwPolicy{good, func() brwPolicy {
			p := good
			p.File = "/etc/opt/chrome/policies/managed/b.json"
			p.ProxyServer = "http://10.0.0.1:8080"
			return p
		}()}, []string{"warn:proxy_conflict"}},
		{"unreadable second file spoils the pass", "", []brwPolicy{good, {File: "/etc/chromium/policies/managed/evil.json", Err: "invalid character"}}, []string{"error:policy_unreadable"}},
		{"unreadable policy is an error", "", []brwPolicy{{File: "/etc/chromium/policies/managed", Err: "permission denied"}}, []string{"error:policy_unreadable"}},
	}
	var lc []lpCase
	for _, tc := range cases {
		pols := tc.pols
		lc = append(lc, lpCase{name: tc.name, cfg: tc.cfg, check: "CG-BRW-001", want: tc.want, mut: func(*Snapshot) {
			brwReadPolicies = func(string) []brwPolicy { return pols }
		}})
	}
	withNode := func(s *Snapshot) {
		brwReadPolicies = func(string) []brwPolicy { return []brwPolicy{good} }
		s.OC.State = &openclaw.State{Devices: []openclaw.PairedDevice{{ID: "n1", Role: "node"}, {ID: "op", Role: "operator"}}}
	}
	binaries := func(uid int, mode fs.FileMode) func(*Snapshot) {
		return func(*Snapshot) {
			brwReadPolicies = func(string) []brwPolicy { return []brwPolicy{good} }
			brwStat = func(string, string) (int, fs.FileMode, error) { return uid, mode, nil }
		}
	}
	oldStat := brwStat
	t.Cleanup(func() { brwStat = oldStat })
	lc = append(lc,
		lpCase{name: "root-owned browser binary", cfg: `{browser: {executablePath: "/usr/bin/chromium"}}`, check: "CG-BRW-001", mut: binaries(0, 0o755), want: []string{"pass:proxy_enforced"}},
		lpCase{name: "user-owned browser binary", cfg: `{browser: {executablePath: "/home/oc/bin/chrome"}}`, check: "CG-BRW-001", mut: binaries(999, 0o755), want: []string{"warn:binary_tamperable"}},
		lpCase{name: "group-writable profile binary", cfg: `{browser: {profiles: {work: {executablePath: "/opt/chrome/chrome"}}}}`, check: "CG-BRW-001", mut: binaries(0, 0o775), want: []string{"warn:binary_tamperable"}},
		lpCase{name: "relative browser binary", cfg: `{browser: {executablePath: "~/chrome"}}`, check: "CG-BRW-001", mut: binaries(0, 0o755), want: []string{"warn:binary_tamperable"}},
		lpCase{name: "paired node browser outside the policy", check: "CG-BRW-001", mut: withNode, want: []string{"warn:outside_policy"}},
		lpCase{name: "node browser routing off", cfg: `{gateway: {nodes: {browser: {mode: "off"}}}}`, check: "CG-BRW-001", mut: withNode, want: []string{"pass:proxy_enforced"}})
	old := brwReadPolicies
	t.Cleanup(func() { brwReadPolicies = old })
	lpRun(t, lc)
}

// The reader goes through the confined root: a real policy file under a
// fake rootfs is found and parsed, and a symlink pointing outside the root
// resolves inside it.
func TestReadManagedPolicies(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "etc/chromium/policies/managed")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pol := `{"ProxySettings": {"ProxyMode": "fixed_servers", "ProxyServer": "http://127.0.0.1:3128", "ProxyBypassList": "<-loopback>"}, "WebRtcIPHandling": "disable_non_proxied_udp", "URLBlocklist": ["*"]}`
	if err := os.WriteFile(filepath.Join(dir, "egress.json"), []byte(pol), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("not a policy"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	ps := brwReadPolicies(root)
	if len(ps) != 2 {
		t.Fatalf("policies %+v", ps)
	}
	if ps[0].File != "/etc/chromium/policies/managed/broken.json" || ps[0].Err == "" {
		t.Fatalf("broken policy %+v", ps[0])
	}
	p := ps[1]
	if p.File != "/etc/chromium/policies/managed/egress.json" || !p.forcesProxy() || !p.bypassOK() || p.WebRTC != "disable_non_proxied_udp" || p.Mode.Perm() != fs.FileMode(0o644) {
		t.Fatalf("policy %+v", p)
	}
	if p.UID != os.Getuid() {
		t.Fatalf("uid %d, want %d", p.UID, os.Getuid())
	}
	uid, mode, err := brwStat(root, "/etc/chromium/policies/managed/egress.json")
	if err != nil || uid != os.Getuid() || mode.Perm() != 0o644 {
		t.Fatalf("stat: uid %d mode %v err %v", uid, mode, err)
	}
	if _, _, err := brwStat(root, "/usr/bin/missing-chrome"); err == nil {
		t.Fatal("stat of a missing binary succeeded")
	}
	// Nothing under an empty root.
	if ps := brwReadPolicies(t.TempDir()); len(ps) != 0 {
		t.Fatalf("empty root: %+v", ps)
	}
}

// Credentials in browser arguments and proxy URLs never reach findings.
func TestBrowserArgsRedacted(t *testing.T) {
	withPolicies(t)
	cfg := `{browser: {ssrfPolicy: {dangerouslyAllowPrivateNetwork: true}, extraArgs: ["--proxy-server=http://bob:hunter2@10.0.0.1:3128", "--proxy-pac-url=http://carol:s3cr3t@10.0.0.1/p.pac?key=k3y"]}, proxy: {proxyUrl: "http://dave:pa55w0rd@127.0.0.1:3128/?t=tok3n"}}`
	s := lpSnap(t, cfg)
	var all []string
	for _, id := range lpAreaIDs() {
		for _, f := range registry[id](s) {
			for _, v := range f.Params {
				all = append(all, v)
			}
			for _, e := range f.Evidence {
				all = append(all, e.Value, e.Detail)
			}
		}
	}
	if len(all) == 0 {
		t.Fatal("no findings")
	}
	for _, v := range all {
		for _, secret := range []string{"hunter2", "s3cr3t", "k3y", "pa55w0rd", "tok3n"} {
			if strings.Contains(v, secret) {
				t.Fatalf("secret %q leaked in %q", secret, v)
			}
		}
	}
}

func TestCDPURLRedacted(t *testing.T) {
	s := lpSnap(t, `{browser: {cdpUrl: "ws://user:hunter2@10.1.2.3:9222/devtools/browser/x?token=s3cr3t"}}`)
	for _, f := range checkBRW004(s) {
		for _, v := range append([]string{f.Params["url"]}, f.Evidence[0].Value) {
			if strings.Contains(v, "hunter2") || strings.Contains(v, "s3cr3t") {
				t.Fatalf("secret leaked: %q", v)
			}
		}
	}
}
