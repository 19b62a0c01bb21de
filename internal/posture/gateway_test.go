package posture

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
)

const strongToken = "9f2c4e1a7b3d5f60718293a4b5c6d7e8f9012345"

func TestGW001ExposedBind(t *testing.T) {
	runCases(t, "CG-GW-001", []checkCase{
		{name: "no config on bare metal is loopback", cfg: "", want: nil},
		{name: "explicit loopback", cfg: `{gateway: {bind: "loopback"}}`, want: nil},
		{name: "legacy 127.0.0.1 alias", cfg: `{gateway: {bind: "127.0.0.1"}}`, want: nil},
		{name: "loopback in container", cfg: `{gateway: {bind: "loopback"}}`, opts: []snapOpt{optContainer()}, want: nil},
		{name: "lan", cfg: `{gateway: {bind: "lan", auth: {token: "` + strongToken + `"}}}`, want: []string{"warn/high/exposed"}},
		{name: "legacy 0.0.0.0 alias", cfg: `{gateway: {bind: "0.0.0.0"}}`, want: []string{"warn/high/exposed"}},
		{name: "legacy :: alias", cfg: `{gateway: {bind: "::"}}`, want: []string{"warn/high/exposed"}},
		{name: "unset bind in container is 0.0.0.0", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}}`, opts: []snapOpt{optContainer()}, want: []string{"fail/high/container_default"}},
		{name: "no config in container", cfg: "", opts: []snapOpt{optContainer()}, want: []string{"fail/high/container_default"}},
		{name: "auto outside container is loopback", cfg: `{gateway: {bind: "auto"}}`, want: nil},
		{name: "explicit auto in container", cfg: `{gateway: {bind: "auto"}}`, opts: []snapOpt{optContainer()}, want: []string{"warn/high/exposed"}},
		{name: "serve forces loopback default in container", cfg: `{gateway: {tailscale: {mode: "serve"}}}`, opts: []snapOpt{optContainer()}, want: nil},
		{name: "tailnet", cfg: `{gateway: {bind: "tailnet"}}`, want: []string{"warn/low/tailnet"}},
		{name: "custom private", cfg: `{gateway: {bind: "custom", customBindHost: "10.0.0.5"}}`, want: []string{"warn/high/exposed"}},
		{name: "custom public", cfg: `{gateway: {bind: "custom", customBindHost: "203.0.113.10"}}`, want: []string{"fail/critical/public_host"}},
		{name: "custom loopback", cfg: `{gateway: {bind: "custom", customBindHost: "127.0.0.1"}}`, want: nil},
		{name: "custom without host falls back to 0.0.0.0", cfg: `{gateway: {bind: "custom"}}`, want: []string{"warn/high/exposed"}},
		{name: "unknown container status", cfg: `{}`, opts: []snapOpt{optNoHost()}, want: []string{"error/high/container_unknown"}},
		{name: "unit --bind overrides config", cfg: `{gateway: {bind: "loopback"}}`, opts: []snapOpt{optUnit(host.Unit{Path: "/etc/systemd/system/openclaw-gateway.service", ExecStart: "/usr/bin/openclaw gateway run --bind lan"})}, want: []string{"warn/high/exposed"}},
	})
}

func TestGW002ExposedNoAuth(t *testing.T) {
	runCases(t, "CG-GW-002", []checkCase{
		{name: "lan auth none", cfg: `{gateway: {bind: "lan", auth: {mode: "none"}}}`, want: []string{"fail/critical/auth_none"}},
		{name: "lan no secret", cfg: `{gateway: {bind: "lan"}}`, want: []string{"fail/critical/no_secret"}},
		{name: "container default without secret", cfg: ``, opts: []snapOpt{optContainer()}, want: []string{"fail/critical/no_secret"}},
		{name: "lan with token", cfg: `{gateway: {bind: "lan", auth: {mode: "token", token: "` + strongToken + `"}}}`, want: nil},
		{name: "lan with token from service env", cfg: `{gateway: {bind: "lan"}}`, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", strongToken)}, want: nil},
		{name: "lan with password from env", cfg: `{gateway: {bind: "lan", auth: {mode: "password"}}}`, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_PASSWORD", strongToken)}, want: nil},
		{name: "lan password mode but only a token", cfg: `{gateway: {bind: "lan", auth: {mode: "password", token: "` + strongToken + `"}}}`, want: []string{"fail/critical/no_secret"}},
		{name: "lan with env SecretRef", cfg: `{gateway: {bind: "lan", auth: {token: {source: "env", provider: "default", id: "GW_TOKEN"}}}}`, want: nil},
		{name: "lan with trusted-proxy", cfg: `{gateway: {bind: "lan", trustedProxies: ["10.0.0.2"], auth: {mode: "trusted-proxy", trustedProxy: {userHeader: "x-user"}}}}`, want: nil},
		{name: "funnel without auth", cfg: `{gateway: {tailscale: {mode: "funnel"}, auth: {mode: "none"}}}`, want: []string{"fail/critical/auth_none"}},
		{name: "loopback without auth is not this check", cfg: `{gateway: {auth: {mode: "none"}}}`, want: nil},
		{name: "unresolved env placeholder is no secret", cfg: `{gateway: {bind: "lan", auth: {token: "${MISSING_GW_TOKEN}"}}}`, want: []string{"fail/critical/no_secret"}},
	})
}

func TestGW003AuthNone(t *testing.T) {
	runCases(t, "CG-GW-003", []checkCase{
		{name: "loopback none", cfg: `{gateway: {auth: {mode: "none"}}}`, want: []string{"fail/high/auth_none_loopback"}},
		{name: "cli --auth none", cfg: `{gateway: {auth: {mode: "token", token: "` + strongToken + `"}}}`, opts: []snapOpt{optUnit(host.Unit{Path: "/u", ExecStart: "openclaw gateway --auth=none"})}, want: []string{"fail/high/auth_none_loopback"}},
		{name: "token", cfg: `{gateway: {auth: {mode: "token", token: "` + strongToken + `"}}}`, want: nil},
		{name: "unset mode", cfg: `{}`, want: nil},
		{name: "exposed none is CG-GW-002", cfg: `{gateway: {bind: "lan", auth: {mode: "none"}}}`, want: nil},
	})
}

func TestGW004NoSecret(t *testing.T) {
	runCases(t, "CG-GW-004", []checkCase{
		{name: "empty config", cfg: ``, want: []string{"warn/medium/ephemeral"}},
		{name: "mode token without token", cfg: `{gateway: {auth: {mode: "token"}}}`, want: []string{"warn/medium/ephemeral"}},
		{name: "unresolved placeholder", cfg: `{gateway: {auth: {token: "${NOPE_TOKEN}"}}}`, want: []string{"warn/medium/unresolved"}},
		{name: "token in service env counts", cfg: ``, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", strongToken)}, want: nil},
		{name: "password in env selects password mode", cfg: ``, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_PASSWORD", strongToken)}, want: nil},
		{name: "config token", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}}`, want: nil},
		{name: "file SecretRef", cfg: `{gateway: {auth: {token: {source: "file", provider: "f", id: "/gw"}}}}`, want: nil},
		{name: "remote token counts as in OpenClaw", cfg: `{gateway: {remote: {token: "` + strongToken + `"}}}`, want: nil},
		{name: "mode none is CG-GW-003", cfg: `{gateway: {auth: {mode: "none"}}}`, want: nil},
	})
}

func TestGW005SecretStrength(t *testing.T) {
	runCases(t, "CG-GW-005", []checkCase{
		{name: "strong", cfg: `{gateway: {auth: {mode: "token", token: "` + strongToken + `"}}}`, want: nil},
		{name: "short", cfg: `{gateway: {auth: {mode: "token", token: "shorttoken123"}}}`, want: []string{"warn/medium/too_short"}},
		{name: "short and exposed", cfg: `{gateway: {bind: "lan", auth: {mode: "token", token: "shorttoken123"}}}`, want: []string{"fail/high/too_short"}},
		{name: "placeholder", cfg: `{gateway: {auth: {token: "change-me-to-a-long-random-token"}}}`, want: []string{"fail/critical/placeholder"}},
		{name: "placeholder password", cfg: `{gateway: {auth: {mode: "password", password: "change-me-to-a-strong-password"}}}`, want: []string{"fail/critical/placeholder"}},
		{name: "literal undefined", cfg: `{gateway: {auth: {token: "undefined"}}}`, want: []string{"fail/critical/placeholder"}},
		{name: "blank token", cfg: `{gateway: {auth: {mode: "token", token: ""}}}`, want: []string{"fail/critical/placeholder"}},
		{name: "short env token", cfg: ``, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", "abc123")}, want: []string{"warn/medium/too_short"}},
		{name: "config wins over short env", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}}`, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", "abc123")}, want: nil},
		{name: "env SecretRef resolved", cfg: `{gateway: {auth: {token: {source: "env", provider: "default", id: "GWT"}}}}`, opts: []snapOpt{optEnv("GWT", "change-me-now")}, want: []string{"fail/critical/placeholder"}},
		{name: "file SecretRef unknown value", cfg: `{gateway: {auth: {token: {source: "file", provider: "f", id: "/x"}}}}`, want: nil},
		{name: "mode none", cfg: `{gateway: {auth: {mode: "none", token: "short"}}}`, want: nil},
	})
}

func TestGW005NeverShowsSecret(t *testing.T) {
	secret := "shortsecret1"
	s := cfgSnap(t, `{gateway: {auth: {mode: "token", token: "`+secret+`"}}}`)
	fs := runCheck(t, "CG-GW-005", s)
	b, _ := json.Marshal(fs)
	if len(fs) == 0 || strings.Contains(string(b), secret) {
		t.Fatalf("secret leaked or no finding: %s", b)
	}
	s = cfgSnap(t, ``, optEnv("OPENCLAW_GATEWAY_TOKEN", secret))
	fs = runCheck(t, "CG-GW-005", s)
	b, _ = json.Marshal(fs)
	if len(fs) == 0 || strings.Contains(string(b), secret) || fs[0].Evidence[0].Kind != "env" {
		t.Fatalf("env secret leaked or bad evidence: %s", b)
	}
}

func TestGW006EnvTokenConflict(t *testing.T) {
	runCases(t, "CG-GW-006", []checkCase{
		{name: "differs", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}}`, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", "other-token-value-0123456789")}, want: []string{"warn/low/conflict"}},
		{name: "same", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}}`, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", strongToken)}, want: nil},
		{name: "env ref to the variable", cfg: `{gateway: {auth: {token: {source: "env", provider: "default", id: "OPENCLAW_GATEWAY_TOKEN"}}}}`, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", strongToken)}, want: nil},
		{name: "no config token", cfg: ``, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", strongToken)}, want: nil},
		{name: "password mode", cfg: `{gateway: {auth: {mode: "password", token: "x"}}}`, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", strongToken)}, want: nil},
		{name: "inside the gateway service", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}}`, opts: []snapOpt{optEnv("OPENCLAW_GATEWAY_TOKEN", "zzz"), optEnv("OPENCLAW_SERVICE_KIND", "gateway")}, want: nil},
	})
}

func TestGW007TrustedProxy(t *testing.T) {
	runCases(t, "CG-GW-007", []checkCase{
		{name: "not trusted-proxy", cfg: `{gateway: {auth: {token: "` + strongToken + `"}}}`, want: nil},
		{name: "bare trusted-proxy", cfg: `{gateway: {auth: {mode: "trusted-proxy"}}}`, want: []string{
			"warn/high/verify_chain", "fail/critical/no_proxies", "fail/critical/no_user_header", "warn/medium/no_allow_users"}},
		{name: "well configured", cfg: `{gateway: {trustedProxies: ["10.0.0.2"], auth: {mode: "trusted-proxy", trustedProxy: {userHeader: "x-user", allowUsers: ["a@example.com"]}}}}`,
			want: []string{"warn/high/verify_chain"}},
		{name: "loopback and admin auto-approve", cfg: `{gateway: {trustedProxies: ["127.0.0.1"], auth: {mode: "trusted-proxy", trustedProxy: {userHeader: "x-user", allowUsers: ["a"], allowLoopback: true, deviceAutoApprove: {enabled: true, scopes: ["operator.read", "operator.admin"]}}}}}`,
			want: []string{"warn/high/verify_chain", "warn/medium/allow_loopback", "warn/medium/device_auto_approve", "fail/critical/device_auto_approve_admin"}},
	})
}

func TestGW008RealIPFallback(t *testing.T) {
	runCases(t, "CG-GW-008", []checkCase{
		{name: "off by default", cfg: ``, want: nil},
		{name: "loopback", cfg: `{gateway: {allowRealIpFallback: true}}`, want: []string{"warn/medium/enabled"}},
		{name: "exposed", cfg: `{gateway: {bind: "lan", allowRealIpFallback: true}}`, want: []string{"fail/critical/enabled"}},
		{name: "trusted-proxy with remote proxy", cfg: `{gateway: {allowRealIpFallback: true, trustedProxies: ["10.1.1.1"], auth: {mode: "trusted-proxy"}}}`, want: []string{"fail/critical/enabled"}},
		{name: "trusted-proxy with loopback proxy", cfg: `{gateway: {allowRealIpFallback: true, trustedProxies: ["127.0.0.1/32"], auth: {mode: "trusted-proxy"}}}`, want: []string{"warn/medium/enabled"}},
		{name: "explicit false", cfg: `{gateway: {bind: "lan", allowRealIpFallback: false}}`, want: nil},
	})
}

func TestGW009RateLimit(t *testing.T) {
	runCases(t, "CG-GW-009", []checkCase{
		{name: "loopback defaults", cfg: ``, want: nil},
		{name: "exposed without block", cfg: `{gateway: {bind: "lan"}}`, want: []string{"warn/low/no_block"}},
		{name: "exposed with block", cfg: `{gateway: {bind: "lan", auth: {rateLimit: {maxAttempts: 5}}}}`, want: nil},
		{name: "same-host proxy exempt", cfg: `{gateway: {trustedProxies: ["127.0.0.1"]}}`, want: []string{"warn/medium/exempt_loopback_proxy"}},
		{name: "same-host proxy not exempt", cfg: `{gateway: {trustedProxies: ["127.0.0.1"], auth: {rateLimit: {exemptLoopback: false}}}}`, want: nil},
	})
}

func TestGW010Tailscale(t *testing.T) {
	runCases(t, "CG-GW-010", []checkCase{
		{name: "off", cfg: ``, want: nil},
		{name: "funnel", cfg: `{gateway: {tailscale: {mode: "funnel"}, auth: {mode: "password", password: "` + strongToken + `"}}}`, want: []string{"fail/critical/funnel"}},
		{name: "serve default allowTailscale", cfg: `{gateway: {tailscale: {mode: "serve"}}}`, want: []string{"warn/low/serve_identity"}},
		{name: "serve without identity", cfg: `{gateway: {tailscale: {mode: "serve"}, auth: {allowTailscale: false}}}`, want: nil},
		{name: "serve with password mode", cfg: `{gateway: {tailscale: {mode: "serve"}, auth: {mode: "password", password: "` + strongToken + `"}}}`, want: nil},
	})
}

func TestGW011TLS(t *testing.T) {
	runCases(t, "CG-GW-011", []checkCase{
		{name: "loopback", cfg: ``, want: nil},
		{name: "lan plain", cfg: `{gateway: {bind: "lan"}}`, want: []string{"warn/high/tls_off"}},
		{name: "lan tls", cfg: `{gateway: {bind: "lan", tls: {enabled: true}}}`, want: nil},
		{name: "public plain", cfg: `{gateway: {bind: "custom", customBindHost: "198.51.100.7"}}`, want: []string{"fail/high/tls_off"}},
		{name: "tailnet", cfg: `{gateway: {bind: "tailnet"}}`, want: nil},
	})
}

func TestGW012Origins(t *testing.T) {
	runCases(t, "CG-GW-012", []checkCase{
		{name: "loopback default", cfg: ``, want: nil},
		{name: "wildcard loopback", cfg: `{gateway: {controlUi: {allowedOrigins: ["*"]}}}`, want: []string{"warn/medium/wildcard"}},
		{name: "wildcard exposed", cfg: `{gateway: {bind: "lan", controlUi: {allowedOrigins: ["*"]}}}`, want: []string{"fail/critical/wildcard"}},
		{name: "exposed without origins", cfg: `{gateway: {bind: "lan"}}`, want: []string{"warn/medium/required"}},
		{name: "exposed with origins", cfg: `{gateway: {bind: "lan", controlUi: {allowedOrigins: ["https://ui.example.com"]}}}`, want: nil},
		{name: "exposed with UI off", cfg: `{gateway: {bind: "lan", controlUi: {enabled: false}}}`, want: nil},
		{name: "exposed with host-header fallback", cfg: `{gateway: {bind: "lan", controlUi: {dangerouslyAllowHostHeaderOriginFallback: true}}}`, want: nil},
	})
}

func TestGW013HostHeaderFallback(t *testing.T) {
	runCases(t, "CG-GW-013", []checkCase{
		{name: "off", cfg: ``, want: nil},
		{name: "loopback", cfg: `{gateway: {controlUi: {dangerouslyAllowHostHeaderOriginFallback: true}}}`, want: []string{"warn/medium/enabled"}},
		{name: "exposed", cfg: `{gateway: {bind: "lan", controlUi: {dangerouslyAllowHostHeaderOriginFallback: true}}}`, want: []string{"fail/critical/enabled"}},
	})
}

func TestGW014LegacyFlags(t *testing.T) {
	cfg := `{gateway: {controlUi: {dangerouslyDisableDeviceAuth: true, allowInsecureAuth: true}}}`
	runCases(t, "CG-GW-014", []checkCase{
		{name: "absent", cfg: ``, want: nil},
		{name: "old or unknown version", cfg: cfg, opts: []snapOpt{optVersion("2026.3.1")}, want: []string{"fail/critical/device_auth_disabled", "warn/medium/insecure_auth"}},
		{name: "unknown version", cfg: cfg, want: []string{"fail/critical/device_auth_disabled", "warn/medium/insecure_auth"}},
		{name: "inert on 2026.9.6", cfg: cfg, opts: []snapOpt{optVersion("2026.9.6")}, want: []string{"warn/low/device_auth_disabled", "warn/low/insecure_auth"}},
		{name: "explicit false", cfg: `{gateway: {controlUi: {dangerouslyDisableDeviceAuth: false}}}`, want: nil},
	})
}

func TestGW015Terminal(t *testing.T) {
	runCases(t, "CG-GW-015", []checkCase{
		{name: "default on", cfg: ``, want: []string{"warn/medium/enabled"}},
		{name: "default on exposed", cfg: `{gateway: {bind: "lan"}}`, want: []string{"fail/high/enabled"}},
		{name: "published by funnel", cfg: `{gateway: {tailscale: {mode: "funnel"}}}`, want: []string{"fail/high/enabled_tailscale"}},
		{name: "off", cfg: `{gateway: {terminal: {enabled: false}}}`, want: nil},
		{name: "control UI off", cfg: `{gateway: {controlUi: {enabled: false}}}`, want: nil},
	})
}

func TestGW016NodePairing(t *testing.T) {
	runCases(t, "CG-GW-016", []checkCase{
		{name: "default auto local", cfg: ``, want: []string{"warn/low/auto_local"}},
		{name: "strict", cfg: `{gateway: {nodes: {pairing: {autoApproveLocal: false}}}}`, want: nil},
		{name: "private cidrs", cfg: `{gateway: {nodes: {pairing: {autoApproveLocal: false, autoApproveCidrs: ["10.0.0.0/24"]}}}}`, want: []string{"warn/medium/auto_cidrs"}},
		{name: "everything", cfg: `{gateway: {nodes: {pairing: {autoApproveLocal: false, autoApproveCidrs: ["0.0.0.0/0"]}}}}`, want: []string{"fail/high/auto_cidrs"}},
		{name: "public cidr", cfg: `{gateway: {nodes: {pairing: {autoApproveLocal: false, autoApproveCidrs: ["203.0.113.0/24"]}}}}`, want: []string{"fail/high/auto_cidrs"}},
	})
}

func TestGW017OpenAIEndpoints(t *testing.T) {
	runCases(t, "CG-GW-017", []checkCase{
		{name: "off by default", cfg: ``, want: nil},
		{name: "chat completions with token", cfg: `{gateway: {auth: {token: "` + strongToken + `"}, http: {endpoints: {chatCompletions: {enabled: true}}}}}`, want: []string{"warn/medium/enabled"}},
		{name: "both with auth none", cfg: `{gateway: {auth: {mode: "none"}, http: {endpoints: {chatCompletions: {enabled: true}, responses: {enabled: true}}}}}`, want: []string{"fail/critical/enabled", "fail/critical/enabled"}},
		{name: "exposed", cfg: `{gateway: {bind: "lan", auth: {token: "` + strongToken + `"}, http: {endpoints: {responses: {enabled: true}}}}}`, want: []string{"fail/high/enabled"}},
	})
}

func TestGW018HTTPToolsAllow(t *testing.T) {
	runCases(t, "CG-GW-018", []checkCase{
		{name: "none", cfg: ``, want: nil},
		{name: "harmless", cfg: `{gateway: {tools: {allow: ["web_search"]}}}`, want: nil},
		{name: "loopback exec", cfg: `{gateway: {tools: {allow: ["Exec", "gateway"]}}}`, want: []string{"warn/medium/reenabled"}},
		{name: "exposed", cfg: `{gateway: {bind: "lan", tools: {allow: ["sessions_spawn"]}}}`, want: []string{"fail/critical/reenabled"}},
	})
}

func TestGW019MDNS(t *testing.T) {
	runCases(t, "CG-GW-019", []checkCase{
		{name: "default minimal", cfg: ``, want: nil},
		{name: "full", cfg: `{discovery: {mdns: {mode: "full"}}}`, want: []string{"warn/medium/full"}},
		{name: "full exposed", cfg: `{gateway: {bind: "lan"}, discovery: {mdns: {mode: "full"}}}`, want: []string{"fail/high/full"}},
		{name: "full but bonjour disabled by env", cfg: `{discovery: {mdns: {mode: "full"}}}`, opts: []snapOpt{optEnv("OPENCLAW_DISABLE_BONJOUR", "1")}, want: nil},
	})
}

func TestGW020TrustedProxiesBehindProxy(t *testing.T) {
	runCases(t, "CG-GW-020", []checkCase{
		{name: "plain loopback", cfg: ``, want: nil},
		{name: "local origins only", cfg: `{gateway: {controlUi: {allowedOrigins: ["http://127.0.0.1:18789", "http://localhost:18789"]}}}`, want: nil},
		{name: "remote origin", cfg: `{gateway: {controlUi: {allowedOrigins: ["https://claw.example.com"]}}}`, want: []string{"warn/medium/missing"}},
		{name: "public origin", cfg: `{gateway: {publicOrigin: "https://claw.example.com"}}`, want: []string{"warn/medium/missing"}},
		{name: "proxies set", cfg: `{gateway: {publicOrigin: "https://claw.example.com", trustedProxies: ["127.0.0.1"]}}`, want: nil},
	})
}

func TestGatewayFindingsUseDeclaredStatus(t *testing.T) {
	// A sanity check on the shared verdict helper.
	if st, sev := exposedVerdict(true, finding.Critical, finding.Medium); st != finding.Fail || sev != finding.Critical {
		t.Fatal("exposed verdict")
	}
	if st, sev := exposedVerdict(false, finding.Critical, finding.Medium); st != finding.Warn || sev != finding.Medium {
		t.Fatal("local verdict")
	}
}

func TestGW021MCPApps(t *testing.T) {
	runCases(t, "CG-GW-021", []checkCase{
		{name: "off", cfg: ``, want: nil},
		{name: "on", cfg: `{mcp: {apps: {enabled: true}}}`, want: []string{"warn/medium/enabled"}},
		{name: "on exposed", cfg: `{gateway: {bind: "lan"}, mcp: {apps: {enabled: true}}}`, want: []string{"fail/high/enabled"}},
	})
}

func TestGW022NodeCommands(t *testing.T) {
	runCases(t, "CG-GW-022", []checkCase{
		{name: "defaults", cfg: ``, want: nil},
		{name: "harmless allow", cfg: `{gateway: {nodes: {commands: {allow: ["camera.list"], deny: ["system.run"]}}}}`, want: nil},
		{name: "dangerous allow", cfg: `{gateway: {nodes: {commands: {allow: ["sms.send", "camera.list"]}}}}`, want: []string{"warn/medium/dangerous_allow"}},
		{name: "dangerous allow but denied", cfg: `{gateway: {nodes: {commands: {allow: ["sms.send"], deny: ["sms.send"]}}}}`, want: nil},
		{name: "dangerous allow exposed", cfg: `{gateway: {bind: "lan", nodes: {commands: {allow: ["screen.record"]}}}}`, want: []string{"fail/critical/dangerous_allow"}},
		{name: "pattern deny", cfg: `{gateway: {nodes: {commands: {deny: ["system.*", "rm -rf", "group:runtime"]}}}}`, want: []string{"warn/medium/deny_ineffective"}},
	})
}

func TestRemoteModeSkipsListenerChecks(t *testing.T) {
	cfg := `{gateway: {mode: "remote", bind: "lan", auth: {mode: "none"}, remote: {url: "wss://gw.example.com"}}}`
	for _, id := range []string{"CG-GW-001", "CG-GW-002", "CG-GW-015", "CG-HK-001"} {
		fs := runCheck(t, id, cfgSnap(t, cfg))
		if len(fs) != 1 || fs[0].Status != finding.Skip {
			t.Errorf("%s on a remote-mode client: %v, want one skip", id, summary(fs))
		}
	}
	// A gateway service on the host still runs a listener.
	s := cfgSnap(t, cfg, optUnit(host.Unit{Path: "/u", ExecStart: "openclaw gateway run --allow-unconfigured"}))
	if got := summary(runCheck(t, "CG-GW-002", s)); len(got) != 1 || got[0] != "fail/critical/auth_none" {
		t.Errorf("remote mode with a gateway unit: %v", got)
	}
}

func TestFlyMachineCountsAsContainer(t *testing.T) {
	runCases(t, "CG-GW-001", []checkCase{
		{name: "fly env", cfg: ``, opts: []snapOpt{optEnv("FLY_MACHINE_ID", "abc"), optEnv("FLY_APP_NAME", "claw")}, want: []string{"fail/high/container_default"}},
		{name: "fly app only", cfg: ``, opts: []snapOpt{optEnv("FLY_APP_NAME", "claw")}, want: nil},
		{name: "fly env without host facts", cfg: ``, opts: []snapOpt{optNoHost(), optEnv("FLY_MACHINE_ID", "abc"), optEnv("FLY_APP_NAME", "claw")}, want: []string{"fail/high/container_default"}},
	})
}

func TestGW019WideArea(t *testing.T) {
	runCases(t, "CG-GW-019", []checkCase{
		{name: "wide area", cfg: `{discovery: {wideArea: {domain: "openclaw.internal"}}}`, want: []string{"warn/medium/wide_area"}},
		{name: "wide area and full", cfg: `{discovery: {mdns: {mode: "full"}, wideArea: {domain: "x.example"}}}`, want: []string{"warn/medium/wide_area", "warn/medium/full"}},
	})
}

func TestGW023RemoteTransport(t *testing.T) {
	runCases(t, "CG-GW-023", []checkCase{
		{name: "no remote", cfg: ``, want: nil},
		{name: "wss", cfg: `{gateway: {mode: "remote", remote: {url: "wss://gw.example.com:18789"}}}`, want: nil},
		{name: "ws to loopback", cfg: `{gateway: {mode: "remote", remote: {url: "ws://127.0.0.1:18789"}}}`, want: nil},
		{name: "ws to lan host", cfg: `{gateway: {mode: "remote", remote: {url: "ws://10.0.0.7:18789/ws"}}}`, want: []string{"fail/high/plaintext"}},
		{name: "ws over ssh transport", cfg: `{gateway: {mode: "remote", remote: {url: "ws://10.0.0.7:18789", transport: "ssh", sshTarget: "u@10.0.0.7"}}}`, want: nil},
		{name: "break-glass env", cfg: ``, opts: []snapOpt{optEnv("OPENCLAW_ALLOW_INSECURE_PRIVATE_WS", "1")}, want: []string{"warn/medium/insecure_private_ws"}},
	})
}

func TestGW017URLFetch(t *testing.T) {
	runCases(t, "CG-GW-017", []checkCase{
		{name: "image urls without allowlist", cfg: `{gateway: {auth: {token: "` + strongToken + `"}, http: {endpoints: {chatCompletions: {enabled: true, images: {allowUrl: true}}}}}}`, want: []string{"warn/medium/enabled", "warn/medium/url_fetch"}},
		{name: "image urls with allowlist", cfg: `{gateway: {auth: {token: "` + strongToken + `"}, http: {endpoints: {chatCompletions: {enabled: true, images: {allowUrl: true, urlAllowlist: ["*.example.com"]}}}}}}`, want: []string{"warn/medium/enabled"}},
		{name: "file urls on disabled endpoint", cfg: `{gateway: {http: {endpoints: {responses: {files: {allowUrl: true}}}}}}`, want: nil},
	})
}

func TestGW024ControlUIEmbeds(t *testing.T) {
	runCases(t, "CG-GW-024", []checkCase{
		{name: "defaults", cfg: ``, want: nil},
		{name: "all loosened", cfg: `{gateway: {controlUi: {allowExternalEmbedUrls: true, embedSandbox: "trusted", experimental: {customPlugins: true}}}}`, want: []string{"warn/medium/flag", "warn/medium/flag", "warn/medium/embed_trusted"}},
		{name: "strict", cfg: `{gateway: {controlUi: {embedSandbox: "strict"}}}`, want: nil},
		{name: "UI off", cfg: `{gateway: {controlUi: {enabled: false, allowExternalEmbedUrls: true}}}`, want: nil},
	})
}
