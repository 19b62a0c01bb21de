package posture

import (
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/json5"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// lpAreaIDs are the checks of the privilege/files/tools/sandbox/browser/
// logging area.
func lpAreaIDs() []string {
	var ids []string
	for _, id := range IDs() {
		for _, p := range []string{"CG-PRV-", "CG-FS-", "CG-TL-", "CG-SBX-", "CG-BRW-", "CG-LOG-"} {
			if strings.HasPrefix(id, p) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// Wrongly typed values (which OpenClaw's schema would reject, but an
// auditor still meets on disk) must never crash a check.
var lpOddConfigs = []string{
	`{tools: "full", agents: [1, 2], browser: [], logging: 7, channels: null}`,
	`{tools: {exec: {mode: 5, security: [], safeBins: "python3", safeBinTrustedDirs: {a: 1}}, deny: "group:fs", profile: {}}}`,
	`{agents: {entries: {a: null, b: "x", c: {tools: [], sandbox: "all"}}, list: [null, 3, {id: 7}, {sandbox: {docker: {binds: [1, null, ":", ""]}}}]}}`,
	`{agents: {defaults: {sandbox: {mode: true, docker: {network: 1, binds: "x", seccompProfile: []}, browser: {enabled: "yes"}}}}}`,
	`{browser: {enabled: "no", profiles: {a: null, b: {cdpUrl: 3, driver: []}, c: {cdpUrl: "http://[::1"}}, extraArgs: "--no-sandbox", ssrfPolicy: {allowedHostnames: "x"}}}`,
	`{logging: {level: [], file: {}, audit: "off", redactPatterns: "x"}, diagnostics: {otel: {captureContent: "true"}}}`,
	`{tools: {elevated: {enabled: "false", allowFrom: {telegram: "*", slack: [1, "*"]}}, sessions: {visibility: 1}, agentToAgent: {allow: "*"}}}`,
	`{channels: {telegram: {accounts: {a: {dmPolicy: ["open"], groupPolicy: "open"}}}, x: 1}, proxy: {proxyUrl: ":://"}}`,
	`[]`, `"x"`, `null`, `{}`,
}

func lpRunAll(t *testing.T, s *Snapshot) {
	t.Helper()
	for _, id := range lpAreaIDs() {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s panicked: %v", id, r)
				}
			}()
			registry[id](s)
		}()
	}
}

func TestOddShapesNoPanic(t *testing.T) {
	for _, cfg := range lpOddConfigs {
		s := lpSnap(t, cfg)
		lpRunAll(t, s)
	}
	// Nil everything.
	lpRunAll(t, &Snapshot{})
	lpRunAll(t, &Snapshot{OC: &openclaw.Inventory{}})
}

func FuzzAreaChecks(f *testing.F) {
	for _, c := range lpOddConfigs {
		f.Add(c)
	}
	f.Add(`{tools: {exec: {mode: "full"}}, agents: {list: [{id: "a", tools: {exec: {security: "full", ask: "off"}}}]}}`)
	f.Add(`{browser: {ssrfPolicy: {dangerouslyAllowPrivateNetwork: false, allowedHostnames: ["a.example"]}}}`)
	f.Fuzz(func(t *testing.T, text string) {
		root, err := json5.Parse("fuzz.json5", []byte(text))
		if err != nil {
			return
		}
		s := lpSnap(t, "")
		s.OC.Config = &openclaw.Config{Path: "fuzz.json5", Root: root}
		s.OC.Paths.ConfigExists = true
		lpRunAll(t, s)
	})
}

func FuzzBrowserPolicy(f *testing.F) {
	f.Add(`{"ProxySettings": {"ProxyMode": "fixed_servers", "ProxyServer": "http://127.0.0.1:3128", "ProxyBypassList": "<-loopback>"}}`)
	f.Add(`{"URLBlocklist": ["*"], "URLAllowlist": ["a"]}`)
	f.Add(`{"ProxySettings": null, "WebRtcIPHandling": 3}`)
	f.Fuzz(func(t *testing.T, data string) {
		var p brwPolicy
		if err := brwParsePolicy([]byte(data), &p); err != nil {
			return
		}
		_ = p.forcesProxy()
		_ = p.bypassOK()
		_ = p.urlFilterOnly()
	})
}

// A config that exists but was not loaded must never be judged on
// defaults: every config-reading check reports error and nothing else.
func TestUnloadedConfigIsError(t *testing.T) {
	withPolicies(t)
	configChecks := []string{
		"CG-TL-001", "CG-TL-003", "CG-TL-004", "CG-TL-005", "CG-TL-006", "CG-TL-007", "CG-TL-008", "CG-TL-009",
		"CG-TL-010", "CG-TL-011", "CG-TL-013", "CG-TL-014",
		"CG-SBX-001", "CG-SBX-002", "CG-SBX-003", "CG-SBX-004", "CG-SBX-005", "CG-SBX-006", "CG-SBX-007", "CG-PRV-006",
		"CG-BRW-001", "CG-BRW-002", "CG-BRW-003", "CG-BRW-004", "CG-BRW-005", "CG-BRW-006", "CG-BRW-007", "CG-BRW-008",
		"CG-BRW-009", "CG-BRW-011",
		"CG-LOG-001", "CG-LOG-002", "CG-LOG-004", "CG-LOG-005", "CG-LOG-006", "CG-LOG-007", "CG-LOG-009",
	}
	for _, broken := range []func(*Snapshot){
		func(s *Snapshot) { s.OC.Config, s.OC.Paths.ConfigExists = nil, true },
		func(s *Snapshot) {
			s.OC.Config = nil
			s.OC.Problems = append(s.OC.Problems, openclaw.Problem{Path: lpTestConfig, Area: "config"})
		},
	} {
		s := lpSnap(t, `{tools: {exec: {mode: "ask"}}}`)
		broken(s)
		for _, id := range configChecks {
			fs := registry[id](s)
			if len(fs) == 0 {
				t.Errorf("%s passed on a config it never read", id)
			}
			for _, f := range fs {
				if f.Status != "error" {
					t.Errorf("%s: %s finding on an unread config: %+v", id, f.Status, f)
				}
			}
		}
	}
}
