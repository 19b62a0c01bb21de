package posture

import (
	"fmt"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
)

// Webhook ingress checks (CG-HK-*). hooks.* opens POST <path>/wake,
// <path>/agent and mapped routes on the gateway's HTTP port: an
// internet-facing trigger for agent runs. They only apply when
// hooks.enabled is true (default false).

func init() {
	register("CG-HK-001", checkHookToken)
	register("CG-HK-002", checkHookTokenReuse)
	register("CG-HK-003", checkHookPathRoot)
	register("CG-HK-004", checkHookRequestSessionKey)
	register("CG-HK-005", checkHookAgentIDs)
	register("CG-HK-006", checkHookUnsafeContent)
	register("CG-HK-007", checkHookDefaultSessionKey)
}

// withHooks runs fn when webhooks are enabled.
func withHooks(s *Snapshot, id string, fn func(g gatewayModel) []finding.Finding) []finding.Finding {
	return withGateway(s, id, func(g gatewayModel) []finding.Finding {
		if on, _ := g.c.isTrue("hooks.enabled"); !on {
			return nil
		}
		return fn(g)
	})
}

// CG-HK-001: the hook token is missing, a placeholder, or shorter than 24
// characters.
func checkHookToken(s *Snapshot) []finding.Finding {
	return withHooks(s, "CG-HK-001", func(g gatewayModel) []finding.Finding {
		tv := g.c.get("hooks.token")
		tok, isStr := tv.AsString()
		tok = strings.TrimSpace(tok)
		ev := g.c.ev("hooks.token", tv, "")
		switch {
		case tv == nil || (isStr && tok == ""):
			return []finding.Finding{newFinding("CG-HK-001", finding.Fail, finding.High, "missing", nil, ev)}
		case !isStr:
			// Not a plain string: OpenClaw accepts only a string here.
			return []finding.Finding{newFinding("CG-HK-001", finding.Fail, finding.High, "not_string", nil, ev)}
		case envRefRe().MatchString(tok):
			return []finding.Finding{newFinding("CG-HK-001", finding.Fail, finding.High, "missing", nil, ev)}
		case isPlaceholderSecret(tok):
			return []finding.Finding{newFinding("CG-HK-001", finding.Fail, finding.Critical, "placeholder", nil, ev)}
		case len([]rune(tok)) < minSecretLen:
			ev.Value = finding.Redact(tok)
			st, sev := exposedVerdict(g.bind.Exposed, finding.High, finding.Medium)
			return []finding.Finding{newFinding("CG-HK-001", st, sev, "too_short", kv("length", fmt.Sprint(len([]rune(tok))), "min", fmt.Sprint(minSecretLen)), ev)}
		}
		return nil
	})
}

// CG-HK-002: the hook token equals the gateway token or password, so a
// leaked webhook secret (stored in third-party webhook settings) is the
// full operator credential.
func checkHookTokenReuse(s *Snapshot) []finding.Finding {
	return withHooks(s, "CG-HK-002", func(g gatewayModel) []finding.Finding {
		tv := g.c.get("hooks.token")
		tok, _ := tv.AsString()
		tok = strings.TrimSpace(tok)
		if tok == "" {
			return nil
		}
		candidates := []string{g.auth.Token.Literal, g.auth.Password.Literal, g.auth.EnvToken, g.auth.EnvPassword}
		if g.auth.SecretKnown {
			candidates = append(candidates, g.auth.Secret)
		}
		for _, cand := range candidates {
			if cand != "" && cand == tok {
				return []finding.Finding{newFinding("CG-HK-002", finding.Fail, finding.Critical, "reuse", nil, g.c.ev("hooks.token", tv, ""))}
			}
		}
		return nil
	})
}

// CG-HK-003: hooks.path "/" mounts the webhook routes over the gateway's
// own root (Control UI). The schema is documented to reject it but
// `openclaw config validate` accepts it.
func checkHookPathRoot(s *Snapshot) []finding.Finding {
	return withHooks(s, "CG-HK-003", func(g gatewayModel) []finding.Finding {
		path, v := g.c.str("hooks.path", "/hooks")
		if strings.TrimSpace(path) != "/" {
			return nil
		}
		return []finding.Finding{newFinding("CG-HK-003", finding.Fail, finding.High, "root", nil, g.c.ev("hooks.path", v, path))}
	})
}

// CG-HK-004: callers may choose the session key, so a webhook can inject
// into any session (including the owner's main session) unless prefixes
// restrict it.
func checkHookRequestSessionKey(s *Snapshot) []finding.Finding {
	return withHooks(s, "CG-HK-004", func(g gatewayModel) []finding.Finding {
		on, v := g.c.isTrue("hooks.allowRequestSessionKey")
		if !on {
			return nil
		}
		st, sev := exposedVerdict(g.bind.Exposed, finding.Critical, finding.Medium)
		out := []finding.Finding{newFinding("CG-HK-004", st, sev, "enabled", nil, g.c.ev("hooks.allowRequestSessionKey", v, "true"))}
		prefixes, pv := g.c.strings("hooks.allowedSessionKeyPrefixes")
		if len(nonEmpty(prefixes)) == 0 {
			out = append(out, newFinding("CG-HK-004", st, sev, "no_prefixes", nil, g.c.ev("hooks.allowedSessionKeyPrefixes", pv, "")))
		}
		return out
	})
}

// CG-HK-005: webhooks may target any agent.
func checkHookAgentIDs(s *Snapshot) []finding.Finding {
	return withHooks(s, "CG-HK-005", func(g gatewayModel) []finding.Finding {
		v := g.c.get("hooks.allowedAgentIds")
		if v != nil && !hasWildcard(v) {
			return nil
		}
		st, sev := exposedVerdict(g.bind.Exposed, finding.Critical, finding.Medium)
		return []finding.Finding{newFinding("CG-HK-005", st, sev, "unrestricted", nil, g.c.ev("hooks.allowedAgentIds", v, display(v)))}
	})
}

// CG-HK-006: allowUnsafeExternalContent turns off the wrapping that marks
// webhook and Gmail content as untrusted, so injected instructions reach
// the model as if the owner wrote them.
func checkHookUnsafeContent(s *Snapshot) []finding.Finding {
	return withHooks(s, "CG-HK-006", func(g gatewayModel) []finding.Finding {
		var out []finding.Finding
		st, sev := exposedVerdict(g.bind.Exposed, finding.High, finding.Medium)
		if on, v := g.c.isTrue("hooks.gmail.allowUnsafeExternalContent"); on {
			out = append(out, newFinding("CG-HK-006", st, sev, "unsafe", kv("where", "hooks.gmail"), g.c.ev("hooks.gmail.allowUnsafeExternalContent", v, "true")))
		}
		maps := g.c.get("hooks.mappings")
		if maps != nil {
			for i, m := range maps.Elems {
				if b, ok := m.Get("allowUnsafeExternalContent").AsBool(); ok && b {
					where := fmt.Sprintf("hooks.mappings.%d", i)
					out = append(out, newFinding("CG-HK-006", st, sev, "unsafe", kv("where", where), g.c.ev(where+".allowUnsafeExternalContent", m.Get("allowUnsafeExternalContent"), "true")))
				}
			}
		}
		return out
	})
}

// CG-HK-007: without defaultSessionKey every call opens a new hook session;
// with request keys off that is safe but unbounded, and the audit asks
// for an explicit key.
func checkHookDefaultSessionKey(s *Snapshot) []finding.Finding {
	return withHooks(s, "CG-HK-007", func(g gatewayModel) []finding.Finding {
		k, v := g.c.str("hooks.defaultSessionKey", "")
		if strings.TrimSpace(k) != "" {
			return nil
		}
		return []finding.Finding{newFinding("CG-HK-007", finding.Warn, finding.Low, "unset", nil, g.c.ev("hooks.defaultSessionKey", v, ""))}
	})
}
