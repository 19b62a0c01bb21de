package posture

import (
	"sort"
	"strings"
	"testing"
)

// appendixA is the risky configuration from openclaw-internals.md
// Appendix A, validated by `openclaw config validate` and used there to
// time the built-in audit.
const appendixA = `{
  gateway: {
    mode: "local", bind: "lan", port: 18789,
    auth: { mode: "token", token: "shorttoken123" },
    controlUi: { allowedOrigins: ["*"], dangerouslyAllowHostHeaderOriginFallback: true },
    allowRealIpFallback: true,
    tools: { allow: ["exec", "gateway"] },
    http: { endpoints: { chatCompletions: { enabled: true } } },
  },
  discovery: { mdns: { mode: "full" } },
  hooks: { enabled: true, token: "shorttoken123", path: "/", allowRequestSessionKey: true },
  session: { dmScope: "main" },
  tools: {
    profile: "full",
    exec: { mode: "full" },
    elevated: { enabled: true, allowFrom: { telegram: ["*"] } },
    fs: { workspaceOnly: false },
  },
  channels: {
    telegram: { enabled: true, botToken: "123456:ABCDEF", dmPolicy: "open", allowFrom: ["*"], groupPolicy: "open" },
  },
  agents: { defaults: {
    model: { primary: "anthropic/claude-3-haiku-20240307" },
    sandbox: { mode: "off", docker: { binds: ["/var/run/docker.sock:/var/run/docker.sock"], network: "bridge" } },
  } },
  browser: { ssrfPolicy: { dangerouslyAllowPrivateNetwork: true },
             profiles: { remote: { cdpUrl: "http://10.0.0.5:9222" } } },
  logging: { file: "/home/oc/logs/openclaw.log" },
  update: { checkOnStart: false },
}`

// TestAppendixAFindings pins every exposure/auth/channel/hook/secret/update
// finding on the reference risky config (a regression net: a change here
// must be deliberate).
func TestAppendixAFindings(t *testing.T) {
	s := cfgSnap(t, appendixA)
	var got []string
	for _, id := range IDs() {
		if !ownedPrefix(id) {
			continue
		}
		for _, f := range runCheck(t, id, s) {
			got = append(got, id+" "+string(f.Status)+"/"+f.Severity.String()+"/"+f.MessageKey)
		}
	}
	sort.Strings(got)
	want := []string{
		"CG-CH-001 fail/critical/dm_open",
		"CG-CH-003 fail/high/group_open",
		"CG-CH-004 warn/medium/dm_scope_main",
		"CG-CH-008 warn/medium/group_senders_missing",
		"CG-GW-001 warn/high/exposed",
		"CG-GW-005 fail/high/too_short",
		"CG-GW-008 fail/critical/enabled",
		"CG-GW-009 warn/low/no_block",
		"CG-GW-011 warn/high/tls_off",
		"CG-GW-012 fail/critical/wildcard",
		"CG-GW-013 fail/critical/enabled",
		"CG-GW-015 fail/high/enabled",
		"CG-GW-016 warn/low/auto_local",
		"CG-GW-017 fail/high/enabled",
		"CG-GW-018 fail/critical/reenabled",
		"CG-GW-019 fail/high/full",
		"CG-HK-001 fail/high/too_short",
		"CG-HK-002 fail/critical/reuse",
		"CG-HK-003 fail/high/root",
		"CG-HK-004 fail/critical/enabled",
		"CG-HK-004 fail/critical/no_prefixes",
		"CG-HK-005 fail/critical/unrestricted",
		"CG-HK-007 warn/low/unset",
		"CG-SEC-001 warn/medium/literal",
		"CG-SEC-001 warn/medium/literal",
		"CG-SEC-002 warn/medium/literal",
		"CG-UPD-001 warn/medium/check_off",
		"CG-UPD-003 manual/medium/unknown",
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings on appendix A:\n got:\n  %s\n want:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
