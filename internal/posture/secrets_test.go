package posture

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
)

func TestSEC001GatewaySecrets(t *testing.T) {
	runCases(t, "CG-SEC-001", []checkCase{
		{name: "none", cfg: ``, want: nil},
		{name: "literal token", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}}`, want: []string{"warn/medium/literal"}},
		{name: "literal password and hook token", cfg: `{gateway: {auth: {mode: "password", password: "` + strongToken + `"}}, hooks: {token: "` + hookToken + `"}}`, want: []string{"warn/medium/literal", "warn/medium/literal"}},
		{name: "SecretRef", cfg: `{gateway: {auth: {token: {source: "env", provider: "default", id: "OPENCLAW_GATEWAY_TOKEN"}}}}`, want: nil},
		{name: "env substitution resolved", cfg: `{gateway: {auth: {token: "${GW_TOKEN}"}}}`, opts: []snapOpt{optEnv("GW_TOKEN", strongToken)}, want: nil},
		{name: "env substitution unresolved", cfg: `{gateway: {auth: {token: "${GW_TOKEN}"}}}`, want: nil},
		{name: "remote token", cfg: `{gateway: {mode: "remote", remote: {url: "wss://gw.example.com", token: "` + strongToken + `"}}}`, want: []string{"warn/medium/literal"}},
	})
}

func TestSEC002Credentials(t *testing.T) {
	runCases(t, "CG-SEC-002", []checkCase{
		{name: "none", cfg: `{channels: {telegram: {dmPolicy: "pairing"}}, tools: {profile: "messaging"}}`, want: nil},
		{name: "bot token and api key", cfg: `{channels: {telegram: {botToken: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"}}, models: {providers: {openai: {apiKey: "sk-proj-abcdefghijklmnopqrstuvwxyz0123"}}}}`,
			want: []string{"warn/medium/literal", "warn/medium/literal"}},
		{name: "account token", cfg: `{channels: {slack: {accounts: {work: {appToken: "xapp-1-abcdefghijklmnop", signingSecret: "abcdef0123456789abcdef"}}}}}`,
			want: []string{"warn/medium/literal", "warn/medium/literal"}},
		{name: "skill api key in list", cfg: `{skills: {entries: {weather: {apiKey: "abcd1234abcd1234"}}}, mcp: {servers: [{name: "x", headers: {token: "zz-abcdefghijk"}}]}}`,
			want: []string{"warn/medium/literal", "warn/medium/literal"}},
		{name: "refs and env", cfg: `{channels: {telegram: {botToken: {source: "env", provider: "default", id: "TG"}}}, models: {providers: {openai: {apiKey: "${OPENAI_API_KEY}"}}}}`, opts: []snapOpt{optEnv("OPENAI_API_KEY", "sk-xyz-0123456789abcdef")}, want: nil},
		{name: "gateway token is SEC-001", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}}`, want: nil},
		{name: "non-secret token-ish keys", cfg: `{agents: {defaults: {maxTokens: 4000, contextTokens: 8000}}, gateway: {auth: {trustedProxy: {userHeader: "x-user"}}}}`, want: nil},
	})
}

func TestSEC003EnvVars(t *testing.T) {
	runCases(t, "CG-SEC-003", []checkCase{
		{name: "none", cfg: `{env: {vars: {TZ: "UTC"}}}`, want: nil},
		{name: "api key", cfg: `{env: {vars: {ANTHROPIC_API_KEY: "sk-ant-abcdefghijklmnopqrstuvwxyz", TZ: "UTC"}}}`, want: []string{"warn/medium/literal"}},
		{name: "legacy shape", cfg: `{env: {OPENAI_API_KEY: "sk-abcdefghijklmnopqrstu"}}`, want: []string{"warn/medium/literal"}},
		{name: "reference", cfg: `{env: {vars: {GITHUB_TOKEN: "${GH_TOKEN}"}}}`, opts: []snapOpt{optEnv("GH_TOKEN", "ghp_abcdefghijklmnopqrstuvwxyz")}, want: nil},
	})
}

func TestSEC004SecretStore(t *testing.T) {
	state := &openclaw.State{Path: "/home/oc/.openclaw/state/openclaw.sqlite", Secrets: []openclaw.SecretEntry{
		{ID: "openai", Provider: "store", HasValue: true}, {ID: "empty", HasValue: false}}}
	runCases(t, "CG-SEC-004", []checkCase{
		{name: "no state no refs", cfg: ``, want: nil},
		{name: "plaintext entries", cfg: ``, opts: []snapOpt{optState(state)}, want: []string{"warn/medium/plaintext"}},
		{name: "no entries", cfg: ``, opts: []snapOpt{optState(&openclaw.State{Path: "/s"})}, want: nil},
		{name: "store refs but state unknown", cfg: `{models: {providers: {openai: {apiKey: {source: "store", provider: "store", id: "openai"}}}}}`, want: []string{"error/medium/state_unknown"}},
	})
	s := cfgSnap(t, ``)
	s.OC.Problems = []openclaw.Problem{{Path: "/s/openclaw.sqlite", Err: errors.New("database is locked"), Area: "state"}}
	if fs := runCheck(t, "CG-SEC-004", s); len(fs) != 1 || fs[0].Status != finding.Error {
		t.Fatalf("unreadable state must be an error: %v", summary(fs))
	}
}

func TestSEC005CommandLine(t *testing.T) {
	runCases(t, "CG-SEC-005", []checkCase{
		{name: "clean", cfg: ``, opts: []snapOpt{optUnit(host.Unit{Path: "/u", ExecStart: "/usr/bin/openclaw gateway run --bind loopback"})}, want: nil},
		{name: "unit token", cfg: ``, opts: []snapOpt{optUnit(host.Unit{Path: "/u", ExecStart: "/usr/bin/openclaw gateway run --token " + strongToken})}, want: []string{"fail/high/cmdline"}},
		{name: "process password masked", cfg: ``, opts: []snapOpt{func(s *Snapshot) {
			s.Host.Processes = []host.Process{{PID: 10, Cmdline: "openclaw-gateway gateway --password=***"}}
		}}, want: []string{"fail/high/cmdline"}},
		{name: "no host facts", cfg: ``, opts: []snapOpt{optNoHost()}, want: []string{"error/info/"}},
	})
}

// TestSecretsNeverInFindings runs every check of this area over configs
// full of secrets and asserts no finding carries any secret value.
func TestSecretsNeverInFindings(t *testing.T) {
	secrets := []string{"shorttoken123", "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", "sk-proj-abcdefghijklmnopqrstuvwxyz0123", "sk-ant-abcdefghijklmnopqrstuvwxyz0123", "hunter2hunter2", strongToken}
	for _, rc := range riskyConfigs {
		s := cfgSnap(t, rc.cfg, rc.opts...)
		for _, id := range IDs() {
			if !ownedPrefix(id) {
				continue
			}
			b, err := json.Marshal(runCheck(t, id, s))
			if err != nil {
				t.Fatal(err)
			}
			for _, sec := range secrets {
				if strings.Contains(string(b), sec) {
					t.Errorf("%s leaks a secret in %s", id, b)
				}
			}
		}
	}
}
