package posture

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
)

// Gateway checks (CG-GW-*): listener exposure, authentication, the Control
// UI, Tailscale, HTTP endpoints, node pairing and discovery. Framework
// items DO-2 and DONT-2.

func init() {
	register("CG-GW-001", checkGatewayExposedBind)
	register("CG-GW-002", checkGatewayExposedNoAuth)
	register("CG-GW-003", checkGatewayAuthNone)
	register("CG-GW-004", checkGatewayNoSecret)
	register("CG-GW-005", checkGatewaySecretStrength)
	register("CG-GW-006", checkGatewayEnvTokenConflict)
	register("CG-GW-007", checkGatewayTrustedProxy)
	register("CG-GW-008", checkGatewayRealIPFallback)
	register("CG-GW-009", checkGatewayRateLimit)
	register("CG-GW-010", checkGatewayTailscale)
	register("CG-GW-011", checkGatewayTLS)
	register("CG-GW-012", checkControlUIOrigins)
	register("CG-GW-013", checkControlUIHostHeaderFallback)
	register("CG-GW-014", checkControlUILegacyAuthFlags)
	register("CG-GW-015", checkGatewayTerminal)
	register("CG-GW-016", checkNodePairingAutoApprove)
	register("CG-GW-017", checkOpenAIEndpoints)
	register("CG-GW-018", checkHTTPToolsAllow)
	register("CG-GW-019", checkMDNSFull)
	register("CG-GW-020", checkTrustedProxiesBehindProxy)
	register("CG-GW-021", checkMCPApps)
	register("CG-GW-022", checkNodeCommands)
	register("CG-GW-023", checkRemoteTransport)
	register("CG-GW-024", checkControlUIEmbeds)
}

// withGateway runs fn with the gateway model, or returns the error finding
// when the config is unusable.
func withGateway(s *Snapshot, id string, fn func(g gatewayModel) []finding.Finding) []finding.Finding {
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	if mode, v := c.str("gateway.mode", "local"); mode == "remote" && !gatewayServiceSeen(s) {
		// This install is a client of another gateway: no local listener.
		return []finding.Finding{newFinding(id, finding.Skip, finding.Info, "", nil, c.ev("gateway.mode", v, mode))}
	}
	return fn(readGateway(s, c))
}

// gatewayServiceSeen reports whether a gateway process or service unit was
// found on the host (then a remote-mode config still runs a listener, e.g.
// with --allow-unconfigured).
func gatewayServiceSeen(s *Snapshot) bool {
	return s != nil && s.Host != nil && (len(s.Host.Processes) > 0 || len(s.Host.Units) > 0)
}

func bindParams(b bindState) map[string]string {
	return kv("bind", b.Mode, "host", b.Host)
}

// CG-GW-001: the gateway listens beyond loopback. DONT-2 says never expose
// the instance; even with auth, remote access belongs behind an encrypted,
// authenticated channel (SSH tunnel, VPN). Missing auth is CG-GW-002.
func checkGatewayExposedBind(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-001", func(g gatewayModel) []finding.Finding {
		b := g.bind
		if b.ContainerUnknown {
			return []finding.Finding{newFinding("CG-GW-001", finding.Error, finding.High, "container_unknown", nil, b.Evidence)}
		}
		if !b.NonLoopback {
			return nil
		}
		ev := []finding.Evidence{b.Evidence}
		if b.Mode == "custom" {
			h, v := g.c.str("gateway.customBindHost", "")
			ev = append(ev, g.c.ev("gateway.customBindHost", v, h))
		}
		switch {
		case b.Public:
			return []finding.Finding{newFinding("CG-GW-001", finding.Fail, finding.Critical, "public_host", bindParams(b), ev...)}
		case b.Mode == "tailnet":
			return []finding.Finding{newFinding("CG-GW-001", finding.Warn, finding.Low, "tailnet", bindParams(b), ev...)}
		case b.Mode == "auto" && b.Raw == "":
			return []finding.Finding{newFinding("CG-GW-001", finding.Fail, finding.High, "container_default", bindParams(b), ev...)}
		default:
			return []finding.Finding{newFinding("CG-GW-001", finding.Warn, finding.High, "exposed", bindParams(b), ev...)}
		}
	})
}

// CG-GW-002: reachable beyond this host without a usable shared secret.
func checkGatewayExposedNoAuth(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-002", func(g gatewayModel) []finding.Finding {
		b, a := g.bind, g.auth
		if !b.Exposed || a.HasAuth {
			return nil
		}
		ev := []finding.Evidence{b.Evidence, a.ModeEv}
		if b.Tailscale != "off" {
			ts, v := g.c.str("gateway.tailscale.mode", "off")
			ev = append(ev, g.c.ev("gateway.tailscale.mode", v, ts))
		}
		prm := bindParams(b)
		prm["tailscale"] = b.Tailscale
		if a.Mode == "none" {
			return []finding.Finding{newFinding("CG-GW-002", finding.Fail, finding.Critical, "auth_none", prm, ev...)}
		}
		return []finding.Finding{newFinding("CG-GW-002", finding.Fail, finding.Critical, "no_secret", prm, ev...)}
	})
}

// CG-GW-003: auth explicitly off on a loopback-only gateway. Any local
// process or user, and any web page that reaches localhost, can drive the
// agent and call /tools/invoke. Exposed gateways are CG-GW-002.
func checkGatewayAuthNone(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-003", func(g gatewayModel) []finding.Finding {
		if g.bind.Exposed || g.auth.Mode != "none" {
			return nil
		}
		return []finding.Finding{newFinding("CG-GW-003", finding.Fail, finding.High, "auth_none_loopback", nil, g.auth.ModeEv)}
	})
}

// CG-GW-004: no shared secret configured anywhere (config, SecretRef,
// OPENCLAW_GATEWAY_TOKEN/PASSWORD in the service environment). OpenClaw
// then protects the gateway with a random token generated at each start
// and kept only in memory: the gateway is not open, but no client holds a
// durable credential, which is what pushes operators to `auth.mode: none`.
// The built-in audit rates this critical (gateway.loopback_no_auth).
func checkGatewayNoSecret(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-004", func(g gatewayModel) []finding.Finding {
		if g.bind.Exposed || !g.auth.Ephemeral {
			return nil
		}
		ev := []finding.Evidence{g.c.ev("gateway.auth.token", g.auth.Token.V, ""), envEvidence(s, "OPENCLAW_GATEWAY_TOKEN")}
		ev[1].Detail = strings.TrimSpace("unset " + ev[1].Detail)
		key := "ephemeral"
		if g.auth.Token.Unresolved {
			key = "unresolved"
		}
		return []finding.Finding{newFinding("CG-GW-004", finding.Warn, finding.Medium, key, nil, ev...)}
	})
}

// knownWeakSecrets are the published placeholders OpenClaw refuses at
// startup (dist/known-weak-gateway-secrets-*.mjs), plus blank-ish values.
var knownWeakSecrets = map[string]bool{
	"change-me-to-a-long-random-token": true,
	"change-me-now":                    true,
	"change-me-to-a-strong-password":   true,
}

func isPlaceholderSecret(v string) bool {
	t := strings.TrimSpace(v)
	return t == "" || t == "undefined" || t == "null" || knownWeakSecrets[strings.ToLower(t)]
}

// minSecretLen is OpenClaw's audit threshold for gateway and hook secrets.
const minSecretLen = 24

// CG-GW-005: the selected gateway token or password is a placeholder or
// shorter than 24 characters.
func checkGatewaySecretStrength(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-005", func(g gatewayModel) []finding.Finding {
		a := g.auth
		if (a.Mode != "token" && a.Mode != "password") || !a.SecretKnown {
			return nil
		}
		prm := kv("kind", a.Mode, "length", fmt.Sprint(len([]rune(a.Secret))), "min", fmt.Sprint(minSecretLen))
		switch {
		case isPlaceholderSecret(a.Secret):
			return []finding.Finding{newFinding("CG-GW-005", finding.Fail, finding.Critical, "placeholder", prm, a.SecretEv)}
		case len([]rune(a.Secret)) < minSecretLen:
			st, sev := finding.Warn, finding.Medium
			if g.bind.Exposed {
				st, sev = finding.Fail, finding.High
			}
			return []finding.Finding{newFinding("CG-GW-005", st, sev, "too_short", prm, a.SecretEv)}
		}
		return nil
	})
}

// CG-GW-006: OPENCLAW_GATEWAY_TOKEN is set and differs from the configured
// token. Config wins for the gateway and its local clients; the stale env
// value still authenticates explicit env-URL and node-host targets.
func checkGatewayEnvTokenConflict(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-006", func(g gatewayModel) []finding.Finding {
		a := g.auth
		if a.EnvToken == "" {
			return nil
		}
		if kind, _ := envValue(s, "OPENCLAW_SERVICE_KIND"); strings.TrimSpace(kind) == "gateway" {
			return nil
		}
		if m, _ := g.c.str("gateway.mode", "local"); m == "remote" {
			return nil
		}
		if a.Explicit == "password" || a.Explicit == "none" || a.Explicit == "trusted-proxy" {
			return nil
		}
		t := a.Token
		if t.Ref && t.RefSource == "env" && t.RefID == "OPENCLAW_GATEWAY_TOKEN" {
			return nil
		}
		if !t.Ref && t.Literal == "" {
			return nil
		}
		if !t.Ref && t.Literal == a.EnvToken {
			return nil
		}
		return []finding.Finding{newFinding("CG-GW-006", finding.Warn, finding.Low, "conflict", nil,
			envEvidence(s, "OPENCLAW_GATEWAY_TOKEN"), g.c.ev(t.Path, t.V, ""))}
	})
}

// CG-GW-007: trusted-proxy authentication hands the auth boundary to a
// reverse proxy; each misconfiguration the audit knows is reported.
func checkGatewayTrustedProxy(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-007", func(g gatewayModel) []finding.Finding {
		if g.auth.Mode != "trusted-proxy" {
			return nil
		}
		c := g.c
		var out []finding.Finding
		add := func(st finding.Status, sev finding.Severity, key, path string, shown string) {
			out = append(out, newFinding("CG-GW-007", st, sev, key, nil, c.ev(path, c.get(path), shown)))
		}
		out = append(out, newFinding("CG-GW-007", finding.Warn, finding.High, "verify_chain", nil, g.auth.ModeEv))
		if proxies, _ := c.strings("gateway.trustedProxies"); len(proxies) == 0 {
			add(finding.Fail, finding.Critical, "no_proxies", "gateway.trustedProxies", "")
		}
		if h, _ := c.str("gateway.auth.trustedProxy.userHeader", ""); strings.TrimSpace(h) == "" {
			add(finding.Fail, finding.Critical, "no_user_header", "gateway.auth.trustedProxy.userHeader", "")
		}
		if on, _ := c.isTrue("gateway.auth.trustedProxy.allowLoopback"); on {
			add(finding.Warn, finding.Medium, "allow_loopback", "gateway.auth.trustedProxy.allowLoopback", "true")
		}
		if on, _ := c.isTrue("gateway.auth.trustedProxy.deviceAutoApprove.enabled"); on {
			add(finding.Warn, finding.Medium, "device_auto_approve", "gateway.auth.trustedProxy.deviceAutoApprove.enabled", "true")
			scopes, v := c.strings("gateway.auth.trustedProxy.deviceAutoApprove.scopes")
			for _, sc := range scopes {
				if strings.TrimSpace(sc) == "operator.admin" {
					out = append(out, newFinding("CG-GW-007", finding.Fail, finding.Critical, "device_auto_approve_admin", nil,
						c.ev("gateway.auth.trustedProxy.deviceAutoApprove.scopes", v, display(v))))
					break
				}
			}
		}
		if users, _ := c.strings("gateway.auth.trustedProxy.allowUsers"); len(users) == 0 {
			add(finding.Warn, finding.Medium, "no_allow_users", "gateway.auth.trustedProxy.allowUsers", "")
		}
		return out
	})
}

// isStrictLoopbackProxy mirrors the audit's isStrictLoopbackTrustedProxyEntry.
func isStrictLoopbackProxy(entry string) bool {
	e := strings.TrimSpace(entry)
	if e == "" {
		return false
	}
	ipPart, prefix, hasPrefix := strings.Cut(e, "/")
	if !hasPrefix {
		return e == "127.0.0.1" || strings.EqualFold(e, "::1")
	}
	ip := net.ParseIP(strings.TrimSpace(ipPart))
	if ip == nil {
		return false
	}
	if ip.To4() != nil {
		return ip.Equal(net.IPv4(127, 0, 0, 1)) && prefix == "32"
	}
	return ip.Equal(net.IPv6loopback) && prefix == "128"
}

// CG-GW-008: allowRealIpFallback trusts a client-settable X-Real-IP.
func checkGatewayRealIPFallback(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-008", func(g gatewayModel) []finding.Finding {
		on, v := g.c.isTrue("gateway.allowRealIpFallback")
		if !on {
			return nil
		}
		proxies, _ := g.c.strings("gateway.trustedProxies")
		nonLoopbackProxy := false
		for _, pr := range proxies {
			if !isStrictLoopbackProxy(pr) {
				nonLoopbackProxy = true
			}
		}
		exposed := g.bind.Exposed || (g.auth.Mode == "trusted-proxy" && nonLoopbackProxy)
		st, sev := exposedVerdict(exposed, finding.Critical, finding.Medium)
		return []finding.Finding{newFinding("CG-GW-008", st, sev, "enabled", bindParams(g.bind), g.c.ev("gateway.allowRealIpFallback", v, "true"))}
	})
}

// CG-GW-009: the auth limiter. OpenClaw always limits (10 attempts per
// minute, 5 minute lockout) but exempts loopback by default, which lets
// anything behind a same-host reverse proxy brute-force the secret.
func checkGatewayRateLimit(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-009", func(g gatewayModel) []finding.Finding {
		c := g.c
		var out []finding.Finding
		rl := c.get("gateway.auth.rateLimit")
		if g.bind.NonLoopback && g.auth.Mode != "trusted-proxy" && rl == nil {
			out = append(out, newFinding("CG-GW-009", finding.Warn, finding.Low, "no_block", bindParams(g.bind), c.ev("gateway.auth.rateLimit", nil, "")))
		}
		exempt, ev := c.boolean("gateway.auth.rateLimit.exemptLoopback", true)
		if !exempt {
			return out
		}
		proxies, pv := c.strings("gateway.trustedProxies")
		sameHost := false
		for _, pr := range proxies {
			if isStrictLoopbackProxy(pr) || strings.HasPrefix(strings.TrimSpace(pr), "127.") {
				sameHost = true
			}
		}
		if sameHost {
			out = append(out, newFinding("CG-GW-009", finding.Warn, finding.Medium, "exempt_loopback_proxy", nil,
				c.ev("gateway.auth.rateLimit.exemptLoopback", ev, "true"), c.ev("gateway.trustedProxies", pv, display(pv))))
		}
		return out
	})
}

// CG-GW-010: Tailscale Funnel publishes the gateway on the internet; Serve
// publishes it to the tailnet and, with allowTailscale, lets tailnet
// identity headers stand in for the gateway secret.
func checkGatewayTailscale(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-010", func(g gatewayModel) []finding.Finding {
		ts, v := g.c.str("gateway.tailscale.mode", "off")
		ev := g.c.ev("gateway.tailscale.mode", v, ts)
		switch ts {
		case "funnel":
			return []finding.Finding{newFinding("CG-GW-010", finding.Fail, finding.Critical, "funnel", nil, ev)}
		case "serve":
			if g.auth.AllowTailscale {
				av := g.c.get("gateway.auth.allowTailscale")
				return []finding.Finding{newFinding("CG-GW-010", finding.Warn, finding.Low, "serve_identity", nil, ev, g.c.ev("gateway.auth.allowTailscale", av, "true"))}
			}
		}
		return nil
	})
}

// CG-GW-011: plain HTTP/WS on a network listener: the token, prompts and
// tool output cross the network unencrypted. Tailnet binds ride on
// WireGuard and are not flagged.
func checkGatewayTLS(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-011", func(g gatewayModel) []finding.Finding {
		b := g.bind
		if !b.NonLoopback || b.Mode == "tailnet" {
			return nil
		}
		on, v := g.c.boolean("gateway.tls.enabled", false)
		if on {
			return nil
		}
		st, sev := finding.Warn, finding.High
		if b.Public {
			st = finding.Fail
		}
		return []finding.Finding{newFinding("CG-GW-011", st, sev, "tls_off", bindParams(b), g.c.ev("gateway.tls.enabled", v, "false"), b.Evidence)}
	})
}

func controlUIEnabled(c conf) bool {
	on, _ := c.boolean("gateway.controlUi.enabled", true)
	return on
}

// CG-GW-012: Control UI origin allowlist: a wildcard, or none at all on a
// network listener.
func checkControlUIOrigins(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-012", func(g gatewayModel) []finding.Finding {
		c := g.c
		origins, v := c.strings("gateway.controlUi.allowedOrigins")
		var out []finding.Finding
		for _, o := range origins {
			if strings.TrimSpace(o) == "*" {
				st, sev := exposedVerdict(g.bind.NonLoopback, finding.Critical, finding.Medium)
				out = append(out, newFinding("CG-GW-012", st, sev, "wildcard", bindParams(g.bind), c.ev("gateway.controlUi.allowedOrigins", v, display(v))))
				break
			}
		}
		fallback, _ := c.isTrue("gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback")
		if g.bind.NonLoopback && controlUIEnabled(c) && len(nonEmpty(origins)) == 0 && !fallback {
			// OpenClaw seeds runtime-only localhost origins in this case
			// (ensureControlUiAllowedOriginsForNonLoopbackBind), so the UI is
			// not open to every origin: a warning, not a failure.
			out = append(out, newFinding("CG-GW-012", finding.Warn, finding.Medium, "required", bindParams(g.bind),
				c.ev("gateway.controlUi.allowedOrigins", v, ""), g.bind.Evidence))
		}
		return out
	})
}

func nonEmpty(xs []string) []string {
	var out []string
	for _, x := range xs {
		if strings.TrimSpace(x) != "" {
			out = append(out, x)
		}
	}
	return out
}

// CG-GW-013: Host-header origin fallback weakens DNS-rebinding defences of
// the Control UI and WebChat.
func checkControlUIHostHeaderFallback(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-013", func(g gatewayModel) []finding.Finding {
		on, v := g.c.isTrue("gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback")
		if !on {
			return nil
		}
		st, sev := exposedVerdict(g.bind.NonLoopback, finding.Critical, finding.Medium)
		return []finding.Finding{newFinding("CG-GW-013", st, sev, "enabled", bindParams(g.bind), g.c.ev("gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback", v, "true"))}
	})
}

// CG-GW-014: legacy Control UI switches. Releases before the 2026.9 key
// retirement honoured them: dangerouslyDisableDeviceAuth turned off
// browser device identity, allowInsecureAuth allowed token auth over plain
// HTTP. On 2026.9.6 they are inert (and doctor removes them), so the
// verdict softens when the install is known to be that new.
func checkControlUILegacyAuthFlags(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-014", func(g gatewayModel) []finding.Finding {
		inert := installAtLeast(s, 2026, 9, 6)
		var out []finding.Finding
		if on, v := g.c.isTrue("gateway.controlUi.dangerouslyDisableDeviceAuth"); on {
			st, sev := finding.Fail, finding.Critical
			if inert {
				st, sev = finding.Warn, finding.Low
			}
			out = append(out, newFinding("CG-GW-014", st, sev, "device_auth_disabled", nil, g.c.ev("gateway.controlUi.dangerouslyDisableDeviceAuth", v, "true")))
		}
		if on, v := g.c.isTrue("gateway.controlUi.allowInsecureAuth"); on {
			st, sev := finding.Warn, finding.Medium
			if inert {
				sev = finding.Low
			}
			out = append(out, newFinding("CG-GW-014", st, sev, "insecure_auth", nil, g.c.ev("gateway.controlUi.allowInsecureAuth", v, "true")))
		}
		return out
	})
}

// installAtLeast reports whether the OpenClaw install that runs (the one
// on PATH, else the only one) is at least y.m.p. Unknown is false.
func installAtLeast(s *Snapshot, y, m, pt int) bool {
	if s == nil || s.OC == nil || len(s.OC.Installs) == 0 {
		return false
	}
	in := s.OC.Installs[0]
	for _, i := range s.OC.Installs {
		if i.OnPath {
			in = i
			break
		}
	}
	var a, b, c int
	if n, _ := fmt.Sscanf(in.Version, "%d.%d.%d", &a, &b, &c); n != 3 {
		return false
	}
	if a != y {
		return a > y
	}
	if b != m {
		return b > m
	}
	return c >= pt
}

// CG-GW-015: the browser terminal (a PTY shell on the gateway host for
// admin sessions) is on unless gateway.terminal.enabled is false. The
// built-in audit does not look at it.
func checkGatewayTerminal(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-015", func(g gatewayModel) []finding.Finding {
		on, v := g.c.boolean("gateway.terminal.enabled", true)
		if !on || !controlUIEnabled(g.c) {
			return nil
		}
		st, sev := exposedVerdict(g.bind.Exposed, finding.High, finding.Medium)
		key, prm := "enabled", bindParams(g.bind)
		if g.bind.Exposed && !g.bind.NonLoopback {
			key, prm = "enabled_tailscale", kv("tailscale", g.bind.Tailscale)
		}
		return []finding.Finding{newFinding("CG-GW-015", st, sev, key, prm, g.c.ev("gateway.terminal.enabled", v, "true"))}
	})
}

// CG-GW-016: node pairing approved without a person: same-host devices by
// default (autoApproveLocal) and any source inside autoApproveCidrs.
func checkNodePairingAutoApprove(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-016", func(g gatewayModel) []finding.Finding {
		c := g.c
		var out []finding.Finding
		if on, v := c.boolean("gateway.nodes.pairing.autoApproveLocal", true); on {
			out = append(out, newFinding("CG-GW-016", finding.Warn, finding.Low, "auto_local", nil, c.ev("gateway.nodes.pairing.autoApproveLocal", v, "true")))
		}
		cidrs, v := c.strings("gateway.nodes.pairing.autoApproveCidrs")
		if len(nonEmpty(cidrs)) > 0 {
			st, sev := finding.Warn, finding.Medium
			for _, cd := range cidrs {
				if broadOrPublicCIDR(cd) {
					st, sev = finding.Fail, finding.High
				}
			}
			out = append(out, newFinding("CG-GW-016", st, sev, "auto_cidrs", kv("cidrs", strings.Join(cidrs, ", ")), c.ev("gateway.nodes.pairing.autoApproveCidrs", v, display(v))))
		}
		return out
	})
}

// broadOrPublicCIDR is true for a CIDR (or bare IP) that covers a public
// address or is wider than /8.
func broadOrPublicCIDR(s string) bool {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		ip := net.ParseIP(s)
		return ip != nil && isPublicIP(ip)
	}
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		return false
	}
	ones, _ := n.Mask.Size()
	if ones < 8 {
		return true
	}
	return isPublicIP(ip) || isPublicIP(lastIP(n))
}

func lastIP(n *net.IPNet) net.IP {
	ip := make(net.IP, len(n.IP))
	for i := range n.IP {
		ip[i] = n.IP[i] | ^n.Mask[i]
	}
	return ip
}

// CG-GW-017: the OpenAI-compatible HTTP endpoints give full operator access
// to the agent (callers choose the session key).
func checkOpenAIEndpoints(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-017", func(g gatewayModel) []finding.Finding {
		var out []finding.Finding
		for _, ep := range []string{"chatCompletions", "responses"} {
			path := "gateway.http.endpoints." + ep + ".enabled"
			on, v := g.c.isTrue(path)
			if !on {
				continue
			}
			st, sev := finding.Warn, finding.Medium
			switch {
			case !g.auth.HasAuth && g.auth.Mode == "none":
				st, sev = finding.Fail, finding.Critical
			case g.bind.Exposed:
				st, sev = finding.Fail, finding.High
			}
			out = append(out, newFinding("CG-GW-017", st, sev, "enabled", kv("endpoint", ep, "auth", g.auth.Mode), g.c.ev(path, v, "true")))
			// Server-side URL fetches for image/file parts without a host
			// allowlist let any caller make the gateway fetch internal URLs.
			for _, part := range []string{"images", "files"} {
				base := "gateway.http.endpoints." + ep + "." + part
				if on, uv := g.c.isTrue(base + ".allowUrl"); on {
					if list, _ := g.c.strings(base + ".urlAllowlist"); len(nonEmpty(list)) == 0 {
						out = append(out, newFinding("CG-GW-017", finding.Warn, finding.Medium, "url_fetch", kv("key", base+".allowUrl"), g.c.ev(base+".allowUrl", uv, "true")))
					}
				}
			}
		}
		return out
	})
}

// httpToolDeny is OpenClaw's built-in deny list for HTTP /tools/invoke
// (dist/dangerous-tools-*.mjs).
var httpToolDeny = []string{"exec", "spawn", "shell", "fs_write", "fs_delete", "fs_move", "apply_patch", "terminal", "portal",
	"sessions_spawn", "sessions_send", "conversations_list", "conversations_send", "conversations_turn", "automations",
	"gateway", "plugins", "nodes", "computer", "mobile_ui", "openclaw"}

// CG-GW-018: gateway.tools.allow re-enables a tool OpenClaw denies over
// HTTP by default (shell, file writes, session spawning, control plane).
func checkHTTPToolsAllow(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-018", func(g gatewayModel) []finding.Finding {
		allow, v := g.c.strings("gateway.tools.allow")
		set := map[string]bool{}
		for _, a := range allow {
			set[strings.ToLower(strings.TrimSpace(a))] = true
		}
		var hit []string
		for _, d := range httpToolDeny {
			if set[d] {
				hit = append(hit, d)
			}
		}
		if len(hit) == 0 {
			return nil
		}
		st, sev := exposedVerdict(g.bind.NonLoopback || g.bind.Tailscale == "funnel", finding.Critical, finding.Medium)
		return []finding.Finding{newFinding("CG-GW-018", st, sev, "reenabled", kv("tools", strings.Join(hit, ", ")), g.c.ev("gateway.tools.allow", v, display(v)))}
	})
}

// CG-GW-019: mDNS "full" publishes cliPath and sshPort on the local
// network (OPENCLAW_DISABLE_BONJOUR=1 forces mDNS off whatever the
// config); discovery.wideArea.domain publishes the gateway's presence by
// unicast DNS-SD beyond the local link.
func checkMDNSFull(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-019", func(g gatewayModel) []finding.Finding {
		var out []finding.Finding
		if dom, dv := g.c.str("discovery.wideArea.domain", ""); strings.TrimSpace(dom) != "" {
			out = append(out, newFinding("CG-GW-019", finding.Warn, finding.Medium, "wide_area", kv("domain", dom), g.c.ev("discovery.wideArea.domain", dv, dom)))
		}
		mode, v := g.c.str("discovery.mdns.mode", "minimal")
		if mode != "full" {
			return out
		}
		if off, ok := envValue(s, "OPENCLAW_DISABLE_BONJOUR"); ok && strings.TrimSpace(off) == "1" {
			return out
		}
		st, sev := exposedVerdict(g.bind.NonLoopback, finding.High, finding.Medium)
		return append(out, newFinding("CG-GW-019", st, sev, "full", nil, g.c.ev("discovery.mdns.mode", v, mode)))
	})
}

// CG-GW-020: a loopback gateway that is evidently published through a
// reverse proxy (a public origin or remote Control UI origins are set) but
// trusts no proxy: local-client checks then see every proxied request as
// local. The built-in audit raises gateway.trusted_proxies_missing on
// every loopback gateway; clawgov only where a proxy is evident.
func checkTrustedProxiesBehindProxy(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-020", func(g gatewayModel) []finding.Finding {
		c := g.c
		if g.bind.NonLoopback || !controlUIEnabled(c) || g.auth.Mode == "trusted-proxy" {
			return nil
		}
		if proxies, _ := c.strings("gateway.trustedProxies"); len(nonEmpty(proxies)) > 0 {
			return nil
		}
		var ev []finding.Evidence
		if po, v := c.str("gateway.publicOrigin", ""); strings.TrimSpace(po) != "" {
			ev = append(ev, c.ev("gateway.publicOrigin", v, po))
		}
		origins, v := c.strings("gateway.controlUi.allowedOrigins")
		var remote []string
		for _, o := range origins {
			if isRemoteOrigin(o) {
				remote = append(remote, o)
			}
		}
		if len(remote) > 0 {
			sort.Strings(remote)
			ev = append(ev, c.ev("gateway.controlUi.allowedOrigins", v, display(v)))
		}
		if len(ev) == 0 {
			return nil
		}
		ev = append(ev, c.ev("gateway.trustedProxies", c.get("gateway.trustedProxies"), ""))
		return []finding.Finding{newFinding("CG-GW-020", finding.Warn, finding.Medium, "missing", nil, ev...)}
	})
}

// isRemoteOrigin is true for an origin whose host is not loopback.
func isRemoteOrigin(o string) bool {
	o = strings.TrimSpace(o)
	if o == "" || o == "*" {
		return false
	}
	_, rest, ok := strings.Cut(o, "://")
	if !ok {
		rest = o
	}
	host := rest
	if i := strings.IndexAny(host, "/"); i >= 0 {
		host = host[:i]
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return !isLoopbackHost(strings.Trim(host, "[]"))
}

// CG-GW-021: MCP Apps lets configured MCP servers render interactive HTML
// that can call their tools, served from a second listener on port+1.
func checkMCPApps(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-021", func(g gatewayModel) []finding.Finding {
		on, v := g.c.isTrue("mcp.apps.enabled")
		if !on {
			return nil
		}
		st, sev := exposedVerdict(g.bind.Exposed, finding.High, finding.Medium)
		return []finding.Finding{newFinding("CG-GW-021", st, sev, "enabled", nil, g.c.ev("mcp.apps.enabled", v, "true"))}
	})
}

// dangerousNodeCommands are OpenClaw's DEFAULT_DANGEROUS_NODE_COMMANDS
// (dist/node-command-policy-*.mjs): device actions and sensitive reads
// that stay off unless gateway.nodes.commands.allow names them.
var dangerousNodeCommands = []string{"camera.snap", "camera.clip", "camera.ptz.control", "screen.record",
	"contacts.add", "calendar.add", "reminders.add", "sms.send", "sms.search", "health.summary"}

// looksLikeNodeCommandPattern mirrors the audit: deny entries match exact
// command names only, so globs, regexes, groups and shell text do nothing.
func looksLikeNodeCommandPattern(v string) bool {
	if v == "" {
		return false
	}
	if strings.ContainsAny(v, "?*[]{}(),|") || strings.HasPrefix(v, "/") || strings.HasSuffix(v, "/") ||
		strings.HasPrefix(v, "^") || strings.HasSuffix(v, "$") {
		return true
	}
	return strings.ContainsAny(v, " \t\n") || strings.Contains(v, "group:")
}

// CG-GW-022: paired nodes (phones, desktops) run commands the gateway
// sends; the allow list can switch on camera, screen recording, SMS and
// contact writes, and deny entries that are patterns block nothing.
func checkNodeCommands(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-022", func(g gatewayModel) []finding.Finding {
		c := g.c
		var out []finding.Finding
		deny, dv := c.strings("gateway.nodes.commands.deny")
		denied := map[string]bool{}
		var patterns []string
		for _, d := range deny {
			d = strings.TrimSpace(d)
			denied[d] = true
			if looksLikeNodeCommandPattern(d) {
				patterns = append(patterns, d)
			}
		}
		allow, av := c.strings("gateway.nodes.commands.allow")
		allowed := map[string]bool{}
		for _, a := range allow {
			allowed[strings.TrimSpace(a)] = true
		}
		var hit []string
		for _, cmd := range dangerousNodeCommands {
			if allowed[cmd] && !denied[cmd] {
				hit = append(hit, cmd)
			}
		}
		if len(hit) > 0 {
			st, sev := exposedVerdict(g.bind.Exposed, finding.Critical, finding.Medium)
			out = append(out, newFinding("CG-GW-022", st, sev, "dangerous_allow", kv("commands", strings.Join(hit, ", ")), c.ev("gateway.nodes.commands.allow", av, display(av))))
		}
		if len(patterns) > 0 {
			out = append(out, newFinding("CG-GW-022", finding.Warn, finding.Medium, "deny_ineffective", kv("entries", strings.Join(patterns, ", ")), c.ev("gateway.nodes.commands.deny", dv, display(dv))))
		}
		return out
	})
}

// CG-GW-023: this install connects to a remote gateway (gateway.remote.*)
// over plain ws:// to a host that is not loopback, so the operator token
// and all traffic cross the network unencrypted; DONT-2 allows remote
// access only through an encrypted channel. OPENCLAW_ALLOW_INSECURE_PRIVATE_WS
// is OpenClaw's break-glass switch that permits exactly that.
func checkRemoteTransport(s *Snapshot) []finding.Finding {
	c, errs, ok := confOf(s, "CG-GW-023")
	if !ok {
		return errs
	}
	var out []finding.Finding
	u, uv := c.str("gateway.remote.url", "")
	transport, _ := c.str("gateway.remote.transport", "direct")
	if u = strings.TrimSpace(u); u != "" && transport != "ssh" {
		scheme, rest, _ := strings.Cut(u, "://")
		host := rest
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if strings.EqualFold(scheme, "ws") && !isLoopbackHost(strings.Trim(host, "[]")) {
			out = append(out, newFinding("CG-GW-023", finding.Fail, finding.High, "plaintext", kv("host", host), c.ev("gateway.remote.url", uv, u)))
		}
	}
	if v, ok := envValue(s, "OPENCLAW_ALLOW_INSECURE_PRIVATE_WS"); ok && v != "0" && !strings.EqualFold(v, "false") {
		out = append(out, newFinding("CG-GW-023", finding.Warn, finding.Medium, "insecure_private_ws", nil, envEvidence(s, "OPENCLAW_ALLOW_INSECURE_PRIVATE_WS")))
	}
	return out
}

// CG-GW-024: Control UI switches that let other code run with the signed-in
// operator's gateway permissions: external embed URLs, "trusted" embeds
// (same-origin iframes) and custom plugin UI.
func checkControlUIEmbeds(s *Snapshot) []finding.Finding {
	return withGateway(s, "CG-GW-024", func(g gatewayModel) []finding.Finding {
		if !controlUIEnabled(g.c) {
			return nil
		}
		var out []finding.Finding
		for _, key := range []string{"gateway.controlUi.allowExternalEmbedUrls", "gateway.controlUi.experimental.customPlugins"} {
			if on, v := g.c.isTrue(key); on {
				out = append(out, newFinding("CG-GW-024", finding.Warn, finding.Medium, "flag", kv("key", key), g.c.ev(key, v, "true")))
			}
		}
		if mode, v := g.c.str("gateway.controlUi.embedSandbox", "scripts"); mode == "trusted" {
			out = append(out, newFinding("CG-GW-024", finding.Warn, finding.Medium, "embed_trusted", nil, g.c.ev("gateway.controlUi.embedSandbox", v, mode)))
		}
		return out
	})
}
