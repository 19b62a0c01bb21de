package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// fixture is a deployment built with the real OpenClaw.
type fixture struct {
	name string
	ops  []setOp
	// setup runs after the config is written and validated.
	setup func(t testing.TB, home string)
	// secrets are values that must never appear in any clawgov output.
	secrets []string
}

var local = setOp{"gateway.mode", "local"}
var quiet = []setOp{
	local,
	{"discovery.mdns.mode", "off"},
	{"update.checkOnStart", false},
}

func ops(extra ...setOp) []setOp { return append(append([]setOp{}, quiet...), extra...) }

// fixtures cover the framework's risky shapes. The risky one is the
// configuration OpenClaw's own docs use for timing (internals appendix A).
func fixtures() []fixture {
	return []fixture{
		{name: "baseline", ops: []setOp{local}},
		{
			name: "loopback-token",
			ops: ops(
				setOp{"gateway.bind", "loopback"},
				setOp{"gateway.auth", map[string]any{"mode": "token", "token": "Zq8vN3kLw5Rt7Yp2Xs4Hd6Jf9Bm1Cg0Qa"}},
				setOp{"logging.file", "LOGFILE"},
			),
			secrets: []string{"Zq8vN3kLw5Rt7Yp2Xs4Hd6Jf9Bm1Cg0Qa"},
		},
		{
			name: "lan-weak-token",
			ops: ops(
				setOp{"gateway.bind", "lan"},
				setOp{"gateway.auth", map[string]any{"mode": "token", "token": "weaktoken12345"}},
				setOp{"gateway.controlUi.allowedOrigins", []string{"*"}},
			),
			secrets: []string{"weaktoken12345"},
		},
		{
			name: "lan-no-auth",
			ops: ops(
				setOp{"gateway.bind", "lan"},
				setOp{"gateway.auth.mode", "none"},
				setOp{"gateway.http.endpoints.chatCompletions.enabled", true},
			),
		},
		{
			name: "risky",
			ops: []setOp{
				{"gateway", map[string]any{
					"mode": "local", "bind": "lan", "port": 18789,
					"auth":                map[string]any{"mode": "token", "token": "shorttoken123"},
					"controlUi":           map[string]any{"allowedOrigins": []string{"*"}, "dangerouslyAllowHostHeaderOriginFallback": true},
					"allowRealIpFallback": true,
					"tools":               map[string]any{"allow": []string{"exec", "gateway"}},
					"http":                map[string]any{"endpoints": map[string]any{"chatCompletions": map[string]any{"enabled": true}}},
				}},
				{"discovery.mdns.mode", "full"},
				{"hooks", map[string]any{"enabled": true, "token": "shorttoken123", "path": "/", "allowRequestSessionKey": true}},
				{"session.dmScope", "main"},
				{"tools", map[string]any{
					"profile":  "full",
					"exec":     map[string]any{"mode": "full"},
					"elevated": map[string]any{"enabled": true, "allowFrom": map[string]any{"telegram": []string{"*"}}},
					"fs":       map[string]any{"workspaceOnly": false},
				}},
				{"channels.telegram", map[string]any{"enabled": true, "botToken": "123456:ABCDEFghijklmnopqrstuv", "dmPolicy": "open", "allowFrom": []string{"*"}, "groupPolicy": "open"}},
				{"agents.defaults.sandbox", map[string]any{"mode": "off", "docker": map[string]any{"binds": []string{"/var/run/docker.sock:/var/run/docker.sock"}, "network": "bridge"}}},
				{"browser.ssrfPolicy.dangerouslyAllowPrivateNetwork", true},
				{"browser.profiles.remote.cdpUrl", "http://10.0.0.5:9222"},
				{"update.checkOnStart", false},
			},
			setup: func(t testing.TB, home string) {
				chmod(t, filepath.Join(home, ".openclaw", "openclaw.json"), 0o644)
				chmod(t, filepath.Join(home, ".openclaw"), 0o755)
			},
			secrets: []string{"shorttoken123", "123456:ABCDEFghijklmnopqrstuv"},
		},
		{
			name: "perms-open",
			ops:  ops(setOp{"gateway.auth", map[string]any{"mode": "token", "token": "Pp3kLw5Rt7Yp2Xs4Hd6Jf9Bm1Cg0QaZ"}}),
			setup: func(t testing.TB, home string) {
				chmod(t, filepath.Join(home, ".openclaw", "openclaw.json"), 0o666)
				chmod(t, filepath.Join(home, ".openclaw"), 0o777)
				cred := filepath.Join(home, ".openclaw", "credentials")
				if err := os.MkdirAll(cred, 0o755); err != nil {
					t.Fatal(err)
				}
				chmod(t, cred, 0o777)
			},
			secrets: []string{"Pp3kLw5Rt7Yp2Xs4Hd6Jf9Bm1Cg0QaZ"},
		},
		{
			name: "funnel-password",
			ops: ops(
				setOp{"gateway.auth", map[string]any{"mode": "password", "password": "hunter2hunter2"}},
				setOp{"gateway.tailscale.mode", "funnel"},
			),
			secrets: []string{"hunter2hunter2"},
		},
	}
}

func chmod(t testing.TB, p string, m os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, m); err != nil {
		t.Fatal(err)
	}
}
