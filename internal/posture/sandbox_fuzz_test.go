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
