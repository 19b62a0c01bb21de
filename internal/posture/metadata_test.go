package posture

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// These tests read the check metadata straight from the catalog's YAML
// files rather than through catalog.Default, so they hold even while
// another team's controls still make the whole catalog fail validation.

type metaCheck struct {
	ID       string                       `yaml:"id"`
	Engine   string                       `yaml:"engine"`
	Messages map[string]map[string]string `yaml:"messages"`
	AuditIDs []string                     `yaml:"openclaw_audit_ids"`
}

func loadCheckMetadata(t *testing.T) map[string]metaCheck {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "catalog", "data", "checks", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no check metadata files found: %v", err)
	}
	out := map[string]metaCheck{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		// Decode loosely: this test is about IDs and message keys; strict
		// field validation is the catalog package's job.
		var cs []metaCheck
		if err := yaml.Unmarshal(b, &cs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cs {
			out[c.ID] = c
		}
	}
	return out
}

// TestRegisteredChecksHaveMetadata: every registered posture check has
// catalog metadata with engine posture, and every posture check in the
// catalog is registered. Failures list the IDs.
func TestRegisteredChecksHaveMetadata(t *testing.T) {
	meta := loadCheckMetadata(t)
	var missing, wrongEngine, unregistered []string
	for _, id := range IDs() {
		m, ok := meta[id]
		switch {
		case !ok:
			missing = append(missing, id)
		case m.Engine != "posture":
			wrongEngine = append(wrongEngine, id+"("+m.Engine+")")
		}
	}
	for id, m := range meta {
		if m.Engine == "posture" {
			if _, ok := registry[id]; !ok {
				unregistered = append(unregistered, id)
			}
		}
	}
	sort.Strings(unregistered)
	if len(missing) > 0 {
		t.Errorf("registered posture checks without catalog metadata: %s", strings.Join(missing, ", "))
	}
	if len(wrongEngine) > 0 {
		// Host-fact and probe-result checks may live in this package while
		// their metadata names the host or probe engine; note, not fail.
		t.Logf("registered here, metadata names another engine: %s", strings.Join(wrongEngine, ", "))
	}
	if len(unregistered) > 0 {
		t.Errorf("catalog posture checks with no registered implementation: %s", strings.Join(unregistered, ", "))
	}
}

// riskyConfigs exercise most branches of the exposure, auth, channel, hook,
// secret and update checks, so the message-key test below sees their keys.
var riskyConfigs = []struct {
	cfg  string
	opts []snapOpt
}{
	{cfg: `{
  gateway: {
    mode: "local", bind: "lan", port: 18789,
    auth: { mode: "token", token: "shorttoken123" },
    controlUi: { allowedOrigins: ["*"], dangerouslyAllowHostHeaderOriginFallback: true, dangerouslyDisableDeviceAuth: true, allowInsecureAuth: true },
    allowRealIpFallback: true,
    tools: { allow: ["exec", "gateway"] },
    http: { endpoints: { chatCompletions: { enabled: true } } },
    nodes: { pairing: { autoApproveCidrs: ["0.0.0.0/0"] } },
  },
  discovery: { mdns: { mode: "full" } },
  hooks: { enabled: true, token: "shorttoken123", path: "/", allowRequestSessionKey: true, gmail: { allowUnsafeExternalContent: true } },
  session: { dmScope: "main", groupScope: "main" },
  tools: { elevated: { enabled: true, allowFrom: { telegram: ["*"] } } },
  channels: {
    telegram: { enabled: true, botToken: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", dmPolicy: "open", allowFrom: ["*"], groupPolicy: "open", groupAllowFrom: ["*"], dangerouslyAllowNameMatching: true },
    sms: { dangerouslyDisableSignatureValidation: true },
  },
  models: { providers: { openai: { apiKey: "sk-proj-abcdefghijklmnopqrstuvwxyz0123" } } },
  env: { vars: { ANTHROPIC_API_KEY: "sk-ant-abcdefghijklmnopqrstuvwxyz0123" } },
  update: { checkOnStart: false, channel: "dev" },
}`},
	{cfg: `{gateway: {auth: {mode: "trusted-proxy", password: "hunter2hunter2", trustedProxy: {allowLoopback: true, deviceAutoApprove: {enabled: true, scopes: ["operator.admin"]}}}, tailscale: {mode: "funnel"}, trustedProxies: ["127.0.0.1"], terminal: {enabled: true}}}`},
	{cfg: `{gateway: {bind: "custom", customBindHost: "203.0.113.4", auth: {mode: "none"}}, hooks: {enabled: true}}`},
	{cfg: ``, opts: []snapOpt{optContainer()}},
	{cfg: `{gateway: {tailscale: {mode: "serve"}, auth: {token: "${UNSET_GATEWAY_TOKEN}"}, publicOrigin: "https://x.example.com"}, hooks: {enabled: true, token: "change-me-now"}}`},
	{cfg: `{gateway: {auth: {mode: "none"}}, hooks: {enabled: true, token: {source: "env", provider: "d", id: "X"}}, update: {channel: "nightly"}}`},
	{cfg: `{gateway: {auth: {token: "` + strongToken + `"}}, hooks: {enabled: true, token: "` + strongToken + `"}}`, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", "another-token-0123456789abcdef")}},
	{cfg: `{}`, opts: []snapOpt{optNoHost()}},
	{cfg: `{mcp: {apps: {enabled: true}}, gateway: {nodes: {commands: {allow: ["sms.send"], deny: ["system.*"]}}}, channels: {telegram: {allowFrom: ["@alice"], groups: {"-100": {}}}}}`},
	{cfg: `{gateway: {mode: "remote", remote: {url: "ws://10.1.2.3:18789"}}, discovery: {wideArea: {domain: "claw.example"}}}`, opts: []snapOpt{optEnv("OPENCLAW_ALLOW_INSECURE_PRIVATE_WS", "1")}},
	{cfg: `{gateway: {auth: {token: "x"}, controlUi: {allowExternalEmbedUrls: true, embedSandbox: "trusted"}, http: {endpoints: {responses: {enabled: true, files: {allowUrl: true}}}}}}`},
	{cfg: `{security: {audit: {suppressions: [{checkId: "a", reason: "r"}, {checkId: "b"}]}}}`},
	{cfg: `{update: {auto: {enabled: true}}, models: {providers: {x: {apiKey: {source: "store", provider: "store", id: "x"}}}}}`, opts: []snapOpt{optEnv("OPENCLAW_NO_AUTO_UPDATE", "1")}},
	{cfg: ``, opts: []snapOpt{
		optState(&openclaw.State{Path: "/s/openclaw.sqlite", Secrets: []openclaw.SecretEntry{{ID: "k", HasValue: true}}}),
		optUnit(host.Unit{Path: "/etc/systemd/system/openclaw-gateway.service", ExecStart: "openclaw gateway --token hunter2hunter2"}),
		func(s *Snapshot) { s.Host.Coverage.Scheduled = true },
	}},
}

// englishProse is two English words in a row ("dmPolicy open"), which a
// language-neutral parameter never needs.
var englishProse = regexp.MustCompile(`[A-Za-z]{2,} [A-Za-z]{2,}`)

// TestMessageKeysExist: every MessageKey a check emits has a template in
// its catalog entry, and every template key is emitted by some scenario
// (so dead templates and typos both show up).
func TestMessageKeysExist(t *testing.T) {
	meta := loadCheckMetadata(t)
	emitted := map[string]map[string]bool{}
	for _, rc := range riskyConfigs {
		s := cfgSnap(t, rc.cfg, rc.opts...)
		for _, id := range IDs() {
			if !ownedPrefix(id) {
				continue
			}
			for _, f := range runCheck(t, id, s) {
				if f.MessageKey == "" {
					continue
				}
				if emitted[id] == nil {
					emitted[id] = map[string]bool{}
				}
				emitted[id][f.MessageKey] = true
				m, ok := meta[id]
				if !ok {
					continue // reported by TestRegisteredChecksHaveMetadata
				}
				if _, ok := m.Messages[f.MessageKey]; !ok {
					t.Errorf("%s emits message key %q with no template", id, f.MessageKey)
				}
				// Params are rendered into the Chinese report too: they must
				// be values, key paths or names, never English prose.
				for k, v := range f.Params {
					if englishProse.MatchString(v) {
						t.Errorf("%s/%s: param %s=%q reads as English prose", id, f.MessageKey, k, v)
					}
				}
			}
		}
	}
	for _, id := range IDs() {
		if !ownedPrefix(id) {
			continue
		}
		if len(emitted[id]) == 0 {
			t.Errorf("%s raised nothing in any risky scenario", id)
		}
	}
}
