package posture

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/json5"
)

// This file models how OpenClaw 2026.9.6 resolves the gateway listener and
// its authentication (dist/net-*.mjs resolveGatewayBindHost,
// server-runtime-config-*.mjs, auth-resolve-*.mjs, credential-planner-*.mjs),
// so the gateway, hook and secret checks share one reading of "exposed" and
// "authenticated".

// legacyBindAliases are host-style bind values older configs carry; OpenClaw
// doctor rewrites them to modes (dist/legacy-*.mjs).
var legacyBindAliases = map[string]string{
	"0.0.0.0": "lan", "::": "lan", "[::]": "lan", "*": "lan",
	"127.0.0.1": "loopback", "localhost": "loopback", "::1": "loopback", "[::1]": "loopback",
}

// bindState is the effective gateway listener.
type bindState struct {
	// Mode is the normalised bind mode: loopback, lan, tailnet, custom, auto.
	Mode string
	// Raw is the configured value ("" when absent).
	Raw string
	// Host is what the gateway listens on: 127.0.0.1, 0.0.0.0, "tailnet"
	// (the host's Tailscale IPv4) or the custom IPv4.
	Host string
	// Exposed is true when the listener is reachable beyond this host
	// (non-loopback bind) or Tailscale serve/funnel publishes it.
	Exposed bool
	// NonLoopback is true when the socket itself is not on loopback.
	NonLoopback bool
	// Public is true for a custom bind host that is a public address.
	Public bool
	// Why explains a derived value in language-neutral notation
	// ("default: container → auto → 0.0.0.0", "alias: 0.0.0.0 → lan"); it
	// becomes the evidence detail, which both report languages show as is.
	Why string
	// ContainerUnknown is true when bind is unset and host facts could not
	// say whether the gateway runs in a container.
	ContainerUnknown bool
	Tailscale        string
	Evidence         finding.Evidence
}

// cliFlag finds "--name value" or "--name=value" in the command line of a
// service unit or running process that starts the gateway. Command-line
// flags win over the config in OpenClaw.
func cliFlag(s *Snapshot, name string) (string, finding.Evidence, bool) {
	if s == nil || s.Host == nil {
		return "", finding.Evidence{}, false
	}
	look := func(cmd string) (string, bool) {
		if !strings.Contains(cmd, "gateway") {
			return "", false
		}
		f := strings.Fields(cmd)
		for i, a := range f {
			if a == "--"+name && i+1 < len(f) {
				return strings.Trim(f[i+1], `"'`), true
			}
			if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
				return strings.Trim(v, `"'`), true
			}
		}
		return "", false
	}
	for _, p := range s.Host.Processes {
		if v, ok := look(p.Cmdline); ok {
			return v, finding.Evidence{Kind: "process", KeyPath: "--" + name, Value: v, Detail: fmt.Sprintf("pid %d", p.PID)}, true
		}
	}
	for _, u := range s.Host.Units {
		if v, ok := look(u.ExecStart); ok {
			return v, finding.Evidence{Kind: "unit", File: u.Path, KeyPath: "ExecStart --" + name, Value: v}, true
		}
	}
	return "", finding.Evidence{}, false
}

// resolveBind computes the effective listener.
func resolveBind(s *Snapshot, c conf) bindState {
	b := bindState{}
	b.Tailscale, _ = c.str("gateway.tailscale.mode", "off")
	raw, v := c.str("gateway.bind", "")
	b.Raw = raw
	b.Evidence = c.ev("gateway.bind", v, raw)
	if flag, e, ok := cliFlag(s, "bind"); ok {
		raw, b.Raw, b.Evidence = flag, flag, e
	}
	mode := strings.ToLower(strings.TrimSpace(raw))
	if alias, ok := legacyBindAliases[mode]; ok {
		b.Why = "alias: " + raw + " → " + alias
		mode = alias
	}
	inContainer := s != nil && s.Host != nil && s.Host.Container.InContainer
	// OpenClaw also treats a Fly.io machine as a container (both variables
	// set in the gateway's environment).
	_, flyMachine := envValue(s, "FLY_MACHINE_ID")
	_, flyApp := envValue(s, "FLY_APP_NAME")
	inContainer = inContainer || (flyMachine && flyApp)
	if mode == "" {
		switch {
		case b.Tailscale == "serve" || b.Tailscale == "funnel":
			mode = "loopback"
			b.Why = "default: tailscale.mode=" + b.Tailscale + " → loopback"
		case inContainer:
			mode = "auto"
			b.Why = "default: container → auto → 0.0.0.0"
		case s == nil || s.Host == nil:
			mode = "loopback"
			b.ContainerUnknown = true
			b.Why = "default: container=?"
		default:
			mode = "loopback"
			b.Why = "default"
		}
		b.Evidence.Value = mode
		b.Evidence.Detail = b.Why
	} else if b.Why != "" {
		b.Evidence.Detail = b.Why
	}
	b.Mode = mode
	switch mode {
	case "loopback":
		b.Host = "127.0.0.1"
	case "lan":
		b.Host = "0.0.0.0"
	case "tailnet":
		b.Host = "tailnet"
	case "auto":
		if inContainer {
			b.Host = "0.0.0.0"
		} else {
			b.Host = "127.0.0.1"
		}
	case "custom":
		h, _ := c.str("gateway.customBindHost", "")
		h = strings.TrimSpace(h)
		ip := net.ParseIP(h)
		if ip == nil || ip.To4() == nil {
			// OpenClaw refuses to start; the resolver's fallback is 0.0.0.0.
			b.Host = "0.0.0.0"
		} else {
			b.Host = h
			b.Public = isPublicIP(ip)
		}
	default:
		// Unknown values fall through to 0.0.0.0 in resolveGatewayBindHost.
		b.Host = "0.0.0.0"
		b.Why = "invalid → 0.0.0.0"
	}
	b.NonLoopback = !isLoopbackHost(b.Host)
	b.Exposed = b.NonLoopback || b.Tailscale == "serve" || b.Tailscale == "funnel"
	return b
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

var cgnat = &net.IPNet{IP: net.IPv4(100, 64, 0, 0), Mask: net.CIDRMask(10, 32)}

// isPublicIP reports whether ip is routable on the internet: not private,
// loopback, link-local, unspecified or carrier-grade NAT (Tailscale).
func isPublicIP(ip net.IP) bool {
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() {
		return false
	}
	if cgnat.Contains(ip) {
		return false
	}
	return true
}

// credential is one configured gateway credential input.
type credential struct {
	Path string
	V    *json5.Value
	// Literal is the trimmed plain string ("" when none or a reference).
	Literal string
	// Ref is true for a SecretRef object.
	Ref       bool
	RefSource string
	RefID     string
	// Unresolved is true for a string still holding ${VAR}: OpenClaw
	// does not accept it as a credential.
	Unresolved bool
}

var envRefRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{[A-Z_][A-Z0-9_]*\}`) })

func readCredential(c conf, path string) credential {
	cr := credential{Path: path, V: c.get(path)}
	if cr.V == nil {
		return cr
	}
	if cr.V.IsSecretRef() {
		cr.Ref = true
		cr.RefSource, _ = cr.V.Get("source").AsString()
		cr.RefID, _ = cr.V.Get("id").AsString()
		return cr
	}
	if s, ok := cr.V.AsString(); ok {
		s = strings.TrimSpace(s)
		if envRefRe().MatchString(s) {
			cr.Unresolved = true
			return cr
		}
		cr.Literal = s
	}
	return cr
}

// configured reports whether OpenClaw counts the input as configured.
func (cr credential) configured() bool { return cr.Literal != "" || cr.Ref }

// authState is the effective gateway authentication.
type authState struct {
	// Mode is the resolved mode: none, token, password, trusted-proxy.
	Mode string
	// Explicit is the configured mode ("" when unset).
	Explicit string
	ModeEv   finding.Evidence
	Token    credential
	Password credential
	// Remote credentials also count as configured (OpenClaw falls back to
	// them for the local gateway).
	RemoteToken, RemotePassword credential
	EnvToken, EnvPassword       string
	// HasAuth is the audit's hasGatewayAuth: a usable shared secret for the
	// resolved mode, or trusted-proxy.
	HasAuth bool
	// Ephemeral is true when the resolved mode is token but no token is
	// configured anywhere: OpenClaw then generates a random runtime-only
	// token at each start.
	Ephemeral bool
	// Secret is the selected secret when its value is known (literal, env
	// var, or an env SecretRef whose variable is set); SecretKnown says so.
	Secret      string
	SecretKnown bool
	// SecretEv points at where the selected secret came from (value never
	// shown).
	SecretEv       finding.Evidence
	AllowTailscale bool
}

func resolveAuth(s *Snapshot, c conf, b bindState) authState {
	a := authState{}
	mv := c.get("gateway.auth.mode")
	a.Explicit, _ = mv.AsString()
	a.ModeEv = c.ev("gateway.auth.mode", mv, a.Explicit)
	if flag, e, ok := cliFlag(s, "auth"); ok {
		a.Explicit, a.ModeEv = flag, e
	}
	a.Token = readCredential(c, "gateway.auth.token")
	a.Password = readCredential(c, "gateway.auth.password")
	a.RemoteToken = readCredential(c, "gateway.remote.token")
	a.RemotePassword = readCredential(c, "gateway.remote.password")
	a.EnvToken, _ = envValue(s, "OPENCLAW_GATEWAY_TOKEN")
	a.EnvPassword, _ = envValue(s, "OPENCLAW_GATEWAY_PASSWORD")
	a.EnvToken = strings.TrimSpace(a.EnvToken)
	a.EnvPassword = strings.TrimSpace(a.EnvPassword)

	// Resolved values as resolveGatewayAuthForConfig computes them.
	token := ""
	if !a.Token.Ref {
		token = firstNonEmpty(a.Token.Literal, a.EnvToken, a.RemoteToken.Literal)
	}
	password := ""
	if !a.Password.Ref {
		password = firstNonEmpty(a.Password.Literal, a.EnvPassword)
		if password == "" && a.Explicit != "trusted-proxy" {
			password = a.RemotePassword.Literal
		}
	}
	a.Mode = a.Explicit
	if a.Mode == "" {
		if password != "" || (a.Password.Ref && !a.Token.configured() && a.EnvToken == "") {
			a.Mode = "password"
		} else {
			a.Mode = "token"
		}
	}

	tokenConfigured := token != "" || a.Token.configured() || a.EnvToken != "" || a.RemoteToken.configured()
	pwLocal := a.Password.configured()
	passwordConfigured := password != "" ||
		((a.Explicit == "password" || (a.Explicit != "token" && a.Explicit != "none" && a.Explicit != "trusted-proxy" && !tokenConfigured)) &&
			(a.EnvPassword != "" || pwLocal))
	switch a.Explicit {
	case "token":
		a.HasAuth = tokenConfigured
	case "password":
		a.HasAuth = passwordConfigured
	case "none", "trusted-proxy":
		a.HasAuth = false
	default:
		a.HasAuth = tokenConfigured || passwordConfigured
	}
	if a.Mode == "trusted-proxy" {
		a.HasAuth = true
	}
	a.Ephemeral = a.Mode == "token" && !tokenConfigured

	ts := b.Tailscale
	if v, ok := c.get("gateway.auth.allowTailscale").AsBool(); ok {
		a.AllowTailscale = v
	} else {
		a.AllowTailscale = ts == "serve" && a.Mode != "password" && a.Mode != "trusted-proxy"
	}

	// The selected secret, for strength checks.
	switch a.Mode {
	case "token":
		a.Secret, a.SecretKnown, a.SecretEv = selectSecret(s, c, a.Token, a.EnvToken, "OPENCLAW_GATEWAY_TOKEN", a.RemoteToken)
	case "password":
		rp := a.RemotePassword
		a.Secret, a.SecretKnown, a.SecretEv = selectSecret(s, c, a.Password, a.EnvPassword, "OPENCLAW_GATEWAY_PASSWORD", rp)
	}
	return a
}

// selectSecret follows OpenClaw's config-first precedence: the local
// config value (or its SecretRef), then the environment, then the remote
// credential.
func selectSecret(s *Snapshot, c conf, local credential, envVal, envKey string, remote credential) (string, bool, finding.Evidence) {
	switch {
	case local.Ref:
		e := c.ev(local.Path, local.V, "SecretRef "+local.RefSource+":"+local.RefID)
		if local.RefSource == "env" {
			if v, ok := envValue(s, local.RefID); ok {
				return strings.TrimSpace(v), true, e
			}
		}
		return "", false, e
	case local.V != nil && local.Literal == "" && !local.Unresolved:
		// Present but blank (or not a string): a placeholder value.
		if str, ok := local.V.AsString(); ok {
			return strings.TrimSpace(str), true, c.ev(local.Path, local.V, "")
		}
	case local.Literal != "":
		return local.Literal, true, c.ev(local.Path, local.V, finding.Redact(local.Literal))
	}
	if envVal != "" {
		return envVal, true, envEvidence(s, envKey)
	}
	if remote.Literal != "" {
		return remote.Literal, true, c.ev(remote.Path, remote.V, finding.Redact(remote.Literal))
	}
	return "", false, finding.Evidence{}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// gatewayModel bundles the listener and auth reading for one snapshot.
type gatewayModel struct {
	c    conf
	bind bindState
	auth authState
}

func readGateway(s *Snapshot, c conf) gatewayModel {
	b := resolveBind(s, c)
	return gatewayModel{c: c, bind: b, auth: resolveAuth(s, c, b)}
}

// exposedSev picks the severity and status OpenClaw's audit uses for
// "critical if exposed, else warn".
func exposedVerdict(exposed bool, hi, lo finding.Severity) (finding.Status, finding.Severity) {
	if exposed {
		return finding.Fail, hi
	}
	return finding.Warn, lo
}
