package posture

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/json5"
)

// Channel checks (CG-CH-*): who can reach the agent through chat channels.
// An open DM or group policy puts the agent, and every tool it holds, in
// reach of anyone on that network, which is internet exposure by another
// door (DONT-2). Every key is read per channel and per account
// (channels.<ch>.accounts.<id>.*), an account inheriting what it does not
// set from its channel.

func init() {
	register("CG-CH-001", checkChannelDMOpen)
	register("CG-CH-002", checkChannelWildcardAllow)
	register("CG-CH-003", checkChannelGroupOpen)
	register("CG-CH-004", checkSessionScopeShared)
	register("CG-CH-005", checkChannelNameMatching)
	register("CG-CH-007", checkChannelDangerousFlags)
	register("CG-CH-008", checkTelegramSenders)
	register("CG-CH-009", checkGroupTargets)
}

// chScope is one channel or one account of a channel.
type chScope struct {
	Channel string
	Account string // "" for the channel level
	Base    string // key path prefix
	V       *json5.Value
	Parent  *json5.Value // the channel object for an account
}

// Name is "telegram" or "telegram/work".
func (sc chScope) Name() string {
	if sc.Account == "" {
		return sc.Channel
	}
	return sc.Channel + "/" + sc.Account
}

// lookup finds key in the account, then in its channel. It returns the
// value and the key path where it was found ("" when absent).
func (sc chScope) lookup(key string) (*json5.Value, string) {
	if v := sc.V.Lookup(key); v != nil {
		return v, sc.Base + "." + key
	}
	if sc.Parent != nil {
		if v := sc.Parent.Lookup(key); v != nil {
			return v, "channels." + sc.Channel + "." + key
		}
	}
	return nil, ""
}

// channelScopes lists the enabled channels and accounts in config order.
func channelScopes(c conf) []chScope {
	var out []chScope
	for _, m := range c.objectMembers("channels") {
		if m.Key == "defaults" || m.Value == nil || m.Value.Kind != json5.Object {
			continue
		}
		if on, ok := m.Value.Get("enabled").AsBool(); ok && !on {
			continue
		}
		base := "channels." + m.Key
		out = append(out, chScope{Channel: m.Key, Base: base, V: m.Value})
		accts := m.Value.Get("accounts")
		for _, k := range accts.Keys() {
			av := accts.Get(k)
			if av == nil || av.Kind != json5.Object {
				continue
			}
			if on, ok := av.Get("enabled").AsBool(); ok && !on {
				continue
			}
			out = append(out, chScope{Channel: m.Key, Account: k, Base: base + ".accounts." + k, V: av, Parent: m.Value})
		}
	}
	return out
}

// dmPolicy is the effective DM policy of a scope (current key dmPolicy,
// older dm.policy; default pairing).
func (sc chScope) dmPolicy() (string, *json5.Value, string) {
	for _, k := range []string{"dmPolicy", "dm.policy"} {
		if v, path := sc.lookup(k); v != nil {
			if s, ok := v.AsString(); ok {
				return s, v, path
			}
		}
	}
	return "pairing", nil, ""
}

// groupPolicy is the effective group policy: the scope, its channel,
// channels.defaults.groupPolicy, then allowlist.
func groupPolicy(c conf, sc chScope) (string, *json5.Value, string) {
	if v, path := sc.lookup("groupPolicy"); v != nil {
		if s, ok := v.AsString(); ok {
			return s, v, path
		}
	}
	if s, v := c.str("channels.defaults.groupPolicy", ""); s != "" {
		return s, v, "channels.defaults.groupPolicy"
	}
	return "allowlist", nil, ""
}

// withChannels runs fn over the channel scopes, deduplicating findings that
// point at the same key path (an account inheriting its channel's value).
func withChannels(s *Snapshot, id string, fn func(c conf, sc chScope) []finding.Finding) []finding.Finding {
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	seen := map[string]bool{}
	var out []finding.Finding
	for _, sc := range channelScopes(c) {
		for _, f := range fn(c, sc) {
			if seen[f.MatchKey] {
				continue
			}
			seen[f.MatchKey] = true
			out = append(out, f)
		}
	}
	return out
}

func evAt(c conf, path string, v *json5.Value) finding.Evidence {
	if path == "" {
		return finding.Evidence{}
	}
	return c.ev(path, v, display(v))
}

// CG-CH-001: a DM policy of open lets anyone who can message the bot drive
// the agent.
func checkChannelDMOpen(s *Snapshot) []finding.Finding {
	return withChannels(s, "CG-CH-001", func(c conf, sc chScope) []finding.Finding {
		pol, v, path := sc.dmPolicy()
		if pol != "open" {
			return nil
		}
		return []finding.Finding{newFinding("CG-CH-001", finding.Fail, finding.Critical, "dm_open", kv("channel", sc.Name()), evAt(c, path, v))}
	})
}

// CG-CH-002: a "*" sender allowlist admits everyone. An open DM policy's
// own "*" is CG-CH-001's finding, not repeated here.
func checkChannelWildcardAllow(s *Snapshot) []finding.Finding {
	return withChannels(s, "CG-CH-002", func(c conf, sc chScope) []finding.Finding {
		var out []finding.Finding
		pol, _, _ := sc.dmPolicy()
		keys := []string{"groupAllowFrom"}
		if pol != "open" && pol != "disabled" {
			keys = append(keys, "allowFrom", "dm.allowFrom")
		}
		for _, k := range keys {
			v, path := sc.lookup(k)
			if hasWildcard(v) {
				out = append(out, newFinding("CG-CH-002", finding.Fail, finding.Critical, "wildcard", kv("channel", sc.Name(), "key", k), evAt(c, path, v)))
			}
		}
		groups := sc.V.Get("groups")
		for _, gid := range groups.Keys() {
			v := groups.Get(gid).Get("allowFrom")
			if hasWildcard(v) {
				path := sc.Base + ".groups." + gid + ".allowFrom"
				out = append(out, newFinding("CG-CH-002", finding.Fail, finding.Critical, "wildcard", kv("channel", sc.Name(), "key", "groups."+gid+".allowFrom"), evAt(c, path, v)))
			}
		}
		return out
	})
}

func hasWildcard(v *json5.Value) bool {
	if v == nil {
		return false
	}
	if v.Kind == json5.String {
		return strings.TrimSpace(v.Str) == "*"
	}
	for _, s := range v.Strings() {
		if strings.TrimSpace(s) == "*" {
			return true
		}
	}
	return false
}

// CG-CH-003: a group policy of open admits the bot to any group, where
// every member can prompt it.
func checkChannelGroupOpen(s *Snapshot) []finding.Finding {
	return withChannels(s, "CG-CH-003", func(c conf, sc chScope) []finding.Finding {
		pol, v, path := groupPolicy(c, sc)
		if pol != "open" {
			return nil
		}
		return []finding.Finding{newFinding("CG-CH-003", finding.Fail, finding.High, "group_open", kv("channel", sc.Name()), evAt(c, path, v))}
	})
}

// CG-CH-004: session.dmScope defaults to main, which puts every DM sender
// into one shared conversation: with more than one possible sender, one
// user reads what another told the agent. session.groupScope main merges
// every room into the main session likewise.
func checkSessionScopeShared(s *Snapshot) []finding.Finding {
	c, errs, ok := confOf(s, "CG-CH-004")
	if !ok {
		return errs
	}
	var out []finding.Finding
	scope, sv := c.str("session.dmScope", "main")
	if scope == "main" {
		if why, scopes := multiSenderReasons(c); len(why) > 0 {
			out = append(out, newFinding("CG-CH-004", finding.Warn, finding.Medium, "dm_scope_main", kv("senders", strings.Join(why, "; ")), c.ev("session.dmScope", sv, scope)))
		} else if len(scopes) > 1 {
			out = append(out, newFinding("CG-CH-004", finding.Warn, finding.Medium, "dm_scope_main_channels", kv("channels", strings.Join(scopes, ", ")), c.ev("session.dmScope", sv, scope)))
		}
	}
	if gs, gv := c.str("session.groupScope", "per-group"); gs == "main" {
		out = append(out, newFinding("CG-CH-004", finding.Warn, finding.Medium, "group_scope_main", nil, c.ev("session.groupScope", gv, gs)))
	}
	return out
}

// multiSenderReasons says why more than one person can DM the agent, in
// language-neutral config notation ("telegram: dmPolicy=open",
// "discord: allowFrom=*", "slack/work: allowFrom[3]"), and lists the
// channels and accounts that accept DMs.
func multiSenderReasons(c conf) (why, scopes []string) {
	for _, sc := range channelScopes(c) {
		pol, _, _ := sc.dmPolicy()
		if pol == "disabled" {
			continue
		}
		if sc.Account == "" && sc.V.Get("accounts") != nil && !hasCredentialKey(sc.V) {
			// The channel level only carries defaults for its accounts.
			continue
		}
		scopes = append(scopes, sc.Name())
		allow, _ := sc.lookup("allowFrom")
		if allow == nil {
			allow, _ = sc.lookup("dm.allowFrom")
		}
		n := len(nonEmpty(allow.Strings()))
		switch {
		case pol == "open":
			why = append(why, sc.Name()+": dmPolicy=open")
		case hasWildcard(allow):
			why = append(why, sc.Name()+": allowFrom=*")
		case n > 1:
			why = append(why, fmt.Sprintf("%s: allowFrom[%d]", sc.Name(), n))
		}
	}
	return why, scopes
}

// CG-CH-005: name matching makes mutable display names identities.
func checkChannelNameMatching(s *Snapshot) []finding.Finding {
	return withChannels(s, "CG-CH-005", func(c conf, sc chScope) []finding.Finding {
		v, path := sc.lookup("dangerouslyAllowNameMatching")
		if b, ok := v.AsBool(); !ok || !b {
			return nil
		}
		return []finding.Finding{newFinding("CG-CH-005", finding.Warn, finding.Medium, "name_matching", kv("channel", sc.Name()), c.ev(path, v, "true"))}
	})
}

// CG-CH-007: per-channel break-glass switches that remove a protection:
// private-network fetches from the channel, unsigned SMS webhooks, and a
// webhook path inherited across Synology Chat accounts.
func checkChannelDangerousFlags(s *Snapshot) []finding.Finding {
	return withChannels(s, "CG-CH-007", func(c conf, sc chScope) []finding.Finding {
		var out []finding.Finding
		flags := []struct {
			key     string
			channel string
			st      finding.Status
			sev     finding.Severity
		}{
			{"network.dangerouslyAllowPrivateNetwork", "", finding.Warn, finding.Medium},
			{"dangerouslyDisableSignatureValidation", "sms", finding.Fail, finding.High},
			{"dangerouslyAllowInheritedWebhookPath", "synology-chat", finding.Warn, finding.Medium},
		}
		for _, fl := range flags {
			if fl.channel != "" && fl.channel != sc.Channel {
				continue
			}
			v, path := sc.lookup(fl.key)
			if b, ok := v.AsBool(); ok && b {
				out = append(out, newFinding("CG-CH-007", fl.st, fl.sev, "flag", kv("channel", sc.Name(), "flag", fl.key), c.ev(path, v, "true")))
			}
		}
		return out
	})
}

var (
	telegramPrefixRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^(telegram|tg):`) })
	numericRe        = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d+$`) })
)

// telegramEntry normalises an allowFrom entry as OpenClaw does.
func telegramEntry(v *json5.Value) string {
	var s string
	switch {
	case v == nil:
	case v.Kind == json5.String:
		s = v.Str
	case v.Kind == json5.Number:
		s = fmt.Sprint(int64(v.Num))
	}
	return strings.TrimSpace(telegramPrefixRe().ReplaceAllString(strings.TrimSpace(s), ""))
}

// CG-CH-008: Telegram authorises senders by numeric user ID only:
// @usernames never match (and are mutable), and groups the bot serves
// without any sender allowlist let every member run commands.
func checkTelegramSenders(s *Snapshot) []finding.Finding {
	return withChannels(s, "CG-CH-008", func(c conf, sc chScope) []finding.Finding {
		if sc.Channel != "telegram" {
			return nil
		}
		var out []finding.Finding
		var lists []struct {
			path string
			v    *json5.Value
		}
		add := func(path string, v *json5.Value) {
			if v != nil && v.Kind == json5.Array {
				lists = append(lists, struct {
					path string
					v    *json5.Value
				}{path, v})
			}
		}
		if v, path := sc.lookup("allowFrom"); v != nil {
			add(path, v)
		}
		gaf, gafPath := sc.lookup("groupAllowFrom")
		add(gafPath, gaf)
		groups := sc.V.Get("groups")
		anyGroupOverride := false
		for _, gid := range groups.Keys() {
			g := groups.Get(gid)
			if af := g.Get("allowFrom"); af != nil && len(af.Elems) > 0 {
				anyGroupOverride = true
				add(sc.Base+".groups."+gid+".allowFrom", af)
			}
			topics := g.Get("topics")
			for _, tid := range topics.Keys() {
				if af := topics.Get(tid).Get("allowFrom"); af != nil && len(af.Elems) > 0 {
					anyGroupOverride = true
					add(sc.Base+".groups."+gid+".topics."+tid+".allowFrom", af)
				}
			}
		}
		for _, l := range lists {
			var bad []string
			for _, e := range l.v.Elems {
				n := telegramEntry(e)
				if n == "" || n == "*" || numericRe().MatchString(n) {
					continue
				}
				bad = append(bad, n)
			}
			if len(bad) > 0 {
				out = append(out, newFinding("CG-CH-008", finding.Warn, finding.Medium, "non_numeric", kv("channel", sc.Name(), "entries", strings.Join(bad, ", ")), c.ev(l.path, l.v, "")))
			}
		}
		pol, pv, ppath := groupPolicy(c, sc)
		groupsConfigured := len(groups.Keys()) > 0
		if (pol == "open" || (pol == "allowlist" && groupsConfigured)) && len(nonEmpty(gaf.Strings())) == 0 && !anyGroupOverride && !hasWildcard(gaf) {
			ev := c.ev(sc.Base+".groupAllowFrom", gaf, "")
			if ppath != "" {
				ev = c.ev(ppath, pv, pol)
			}
			out = append(out, newFinding("CG-CH-008", finding.Warn, finding.Medium, "group_senders_missing", kv("channel", sc.Name()), ev))
		}
		return out
	})
}

// hasCredentialKey reports whether a channel object holds its own
// credential (botToken, token, appToken, ...), i.e. acts as an account.
func hasCredentialKey(v *json5.Value) bool {
	for _, k := range v.Keys() {
		if isSecretKey(k) {
			return true
		}
	}
	return false
}

// groupTargetKeys are the keys under which channels list the groups,
// guilds, channels or rooms they serve (as OpenClaw's audit reads them).
var groupTargetKeys = []string{"groups", "guilds", "channels", "rooms"}

// CG-CH-009: an agent allowlisted into group chats serves every member of
// those groups: a multi-user trust boundary on one agent and its tools.
// Open group policies are CG-CH-003.
func checkGroupTargets(s *Snapshot) []finding.Finding {
	return withChannels(s, "CG-CH-009", func(c conf, sc chScope) []finding.Finding {
		pol, _, _ := groupPolicy(c, sc)
		if pol != "allowlist" {
			return nil
		}
		var targets []string
		var ev []finding.Evidence
		for _, k := range groupTargetKeys {
			v, path := sc.lookup(k)
			if v == nil || v.Kind != json5.Object || len(v.Keys()) == 0 {
				continue
			}
			targets = append(targets, v.Keys()...)
			ev = append(ev, c.ev(path, v, ""))
		}
		if len(targets) == 0 {
			return nil
		}
		return []finding.Finding{newFinding("CG-CH-009", finding.Warn, finding.Low, "groups", kv("channel", sc.Name(), "count", fmt.Sprint(len(targets)), "targets", strings.Join(targets, ", ")), ev...)}
	})
}
