package posture

import (
	"encoding/json"
	"strings"
	"testing"
)

const hookToken = "hk_7c1d0e9f8a2b3c4d5e6f708192a3b4c5"

func TestHK001Token(t *testing.T) {
	runCases(t, "CG-HK-001", []checkCase{
		{name: "hooks off", cfg: `{hooks: {token: "x"}}`, want: nil},
		{name: "strong", cfg: `{hooks: {enabled: true, token: "` + hookToken + `"}}`, want: nil},
		{name: "missing", cfg: `{hooks: {enabled: true}}`, want: []string{"fail/high/missing"}},
		{name: "unresolved env", cfg: `{hooks: {enabled: true, token: "${NO_SUCH_HOOK_TOKEN}"}}`, want: []string{"fail/high/missing"}},
		{name: "short", cfg: `{hooks: {enabled: true, token: "shorttoken123"}}`, want: []string{"warn/medium/too_short"}},
		{name: "short exposed", cfg: `{gateway: {bind: "lan"}, hooks: {enabled: true, token: "shorttoken123"}}`, want: []string{"fail/high/too_short"}},
		{name: "placeholder", cfg: `{hooks: {enabled: true, token: "change-me-now"}}`, want: []string{"fail/critical/placeholder"}},
		{name: "object", cfg: `{hooks: {enabled: true, token: {source: "env", provider: "d", id: "HT"}}}`, want: []string{"fail/high/not_string"}},
	})
}

func TestHK001NeverShowsToken(t *testing.T) {
	fs := runCheck(t, "CG-HK-001", cfgSnap(t, `{hooks: {enabled: true, token: "shorttoken123"}}`))
	b, _ := json.Marshal(fs)
	if len(fs) != 1 || strings.Contains(string(b), "shorttoken123") {
		t.Fatalf("token leaked or no finding: %s", b)
	}
}

func TestHK002Reuse(t *testing.T) {
	runCases(t, "CG-HK-002", []checkCase{
		{name: "different", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}, hooks: {enabled: true, token: "` + hookToken + `"}}`, want: nil},
		{name: "same as config token", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}, hooks: {enabled: true, token: "` + strongToken + `"}}`, want: []string{"fail/critical/reuse"}},
		{name: "same as env token", cfg: `{hooks: {enabled: true, token: "` + strongToken + `"}}`, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", strongToken)}, want: []string{"fail/critical/reuse"}},
		{name: "same as env SecretRef value", cfg: `{gateway: {auth: {token: {source: "env", provider: "d", id: "GWT"}}}, hooks: {enabled: true, token: "` + strongToken + `"}}`, opts: []snapOpt{optEnv("GWT", strongToken)}, want: []string{"fail/critical/reuse"}},
		{name: "hooks off", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}, hooks: {token: "` + strongToken + `"}}`, want: nil},
	})
}

func TestHK003PathRoot(t *testing.T) {
	runCases(t, "CG-HK-003", []checkCase{
		{name: "default", cfg: `{hooks: {enabled: true}}`, want: nil},
		{name: "root", cfg: `{hooks: {enabled: true, path: "/"}}`, want: []string{"fail/high/root"}},
		{name: "custom", cfg: `{hooks: {enabled: true, path: "/in"}}`, want: nil},
	})
}

func TestHK004RequestSessionKey(t *testing.T) {
	runCases(t, "CG-HK-004", []checkCase{
		{name: "default off", cfg: `{hooks: {enabled: true}}`, want: nil},
		{name: "on without prefixes", cfg: `{hooks: {enabled: true, allowRequestSessionKey: true}}`, want: []string{"warn/medium/enabled", "warn/medium/no_prefixes"}},
		{name: "on with prefixes", cfg: `{hooks: {enabled: true, allowRequestSessionKey: true, allowedSessionKeyPrefixes: ["hook:"]}}`, want: []string{"warn/medium/enabled"}},
		{name: "exposed", cfg: `{gateway: {bind: "lan"}, hooks: {enabled: true, allowRequestSessionKey: true, allowedSessionKeyPrefixes: ["hook:"]}}`, want: []string{"fail/critical/enabled"}},
	})
}

func TestHK005AgentIDs(t *testing.T) {
	runCases(t, "CG-HK-005", []checkCase{
		{name: "unset", cfg: `{hooks: {enabled: true}}`, want: []string{"warn/medium/unrestricted"}},
		{name: "wildcard exposed", cfg: `{gateway: {bind: "lan"}, hooks: {enabled: true, allowedAgentIds: ["*"]}}`, want: []string{"fail/critical/unrestricted"}},
		{name: "explicit", cfg: `{hooks: {enabled: true, allowedAgentIds: ["inbox"]}}`, want: nil},
		{name: "empty list", cfg: `{hooks: {enabled: true, allowedAgentIds: []}}`, want: nil},
		{name: "hooks off", cfg: ``, want: nil},
	})
}

func TestHK006UnsafeContent(t *testing.T) {
	runCases(t, "CG-HK-006", []checkCase{
		{name: "none", cfg: `{hooks: {enabled: true, mappings: [{match: {path: "x"}}]}}`, want: nil},
		{name: "mapping", cfg: `{hooks: {enabled: true, mappings: [{match: {path: "x"}}, {allowUnsafeExternalContent: true}]}}`, want: []string{"warn/medium/unsafe"}},
		{name: "gmail exposed", cfg: `{gateway: {bind: "lan"}, hooks: {enabled: true, gmail: {allowUnsafeExternalContent: true}}}`, want: []string{"fail/high/unsafe"}},
	})
}

func TestHK007DefaultSessionKey(t *testing.T) {
	runCases(t, "CG-HK-007", []checkCase{
		{name: "unset", cfg: `{hooks: {enabled: true}}`, want: []string{"warn/low/unset"}},
		{name: "set", cfg: `{hooks: {enabled: true, defaultSessionKey: "hook:main"}}`, want: nil},
		{name: "hooks off", cfg: ``, want: nil},
	})
}
