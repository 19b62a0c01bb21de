package posture

import "testing"

func TestCH001DMOpen(t *testing.T) {
	runCases(t, "CG-CH-001", []checkCase{
		{name: "no channels", cfg: ``, want: nil},
		{name: "default pairing", cfg: `{channels: {telegram: {botToken: {source: "env", provider: "d", id: "TG"}}}}`, want: nil},
		{name: "open", cfg: `{channels: {telegram: {dmPolicy: "open", allowFrom: ["*"]}}}`, want: []string{"fail/critical/dm_open"}},
		{name: "legacy dm.policy open", cfg: `{channels: {discord: {dm: {policy: "open"}}}}`, want: []string{"fail/critical/dm_open"}},
		{name: "open on one account", cfg: `{channels: {telegram: {accounts: {work: {dmPolicy: "allowlist"}, bot2: {dmPolicy: "open"}}}}}`, want: []string{"fail/critical/dm_open"}},
		{name: "inherited by accounts reported once", cfg: `{channels: {telegram: {dmPolicy: "open", accounts: {a: {}, b: {}}}}}`, want: []string{"fail/critical/dm_open"}},
		{name: "disabled channel", cfg: `{channels: {telegram: {enabled: false, dmPolicy: "open"}}}`, want: nil},
		{name: "disabled account", cfg: `{channels: {slack: {accounts: {x: {enabled: false, dmPolicy: "open"}}}}}`, want: nil},
	})
}

func TestCH002WildcardAllow(t *testing.T) {
	runCases(t, "CG-CH-002", []checkCase{
		{name: "explicit ids", cfg: `{channels: {telegram: {dmPolicy: "allowlist", allowFrom: ["12345"]}}}`, want: nil},
		{name: "allowlist star", cfg: `{channels: {telegram: {dmPolicy: "allowlist", allowFrom: ["*"]}}}`, want: []string{"fail/critical/wildcard"}},
		{name: "open star is CH-001", cfg: `{channels: {telegram: {dmPolicy: "open", allowFrom: ["*"]}}}`, want: nil},
		{name: "group allow star", cfg: `{channels: {telegram: {groupAllowFrom: ["*"]}}}`, want: []string{"fail/critical/wildcard"}},
		{name: "per group star", cfg: `{channels: {telegram: {groups: {"-100123": {allowFrom: ["1", "*"]}}}}}`, want: []string{"fail/critical/wildcard"}},
		{name: "account star", cfg: `{channels: {whatsapp: {accounts: {main: {allowFrom: ["*"]}}}}}`, want: []string{"fail/critical/wildcard"}},
	})
}

func TestCH003GroupOpen(t *testing.T) {
	runCases(t, "CG-CH-003", []checkCase{
		{name: "default allowlist", cfg: `{channels: {telegram: {}}}`, want: nil},
		{name: "open", cfg: `{channels: {telegram: {groupPolicy: "open"}}}`, want: []string{"fail/high/group_open"}},
		{name: "defaults open", cfg: `{channels: {defaults: {groupPolicy: "open"}, telegram: {}}}`, want: []string{"fail/high/group_open"}},
		{name: "channel overrides defaults", cfg: `{channels: {defaults: {groupPolicy: "open"}, telegram: {groupPolicy: "allowlist"}}}`, want: nil},
		{name: "defaults open but no channel", cfg: `{channels: {defaults: {groupPolicy: "open"}}}`, want: nil},
	})
}

func TestCH004SessionScope(t *testing.T) {
	runCases(t, "CG-CH-004", []checkCase{
		{name: "no channels", cfg: ``, want: nil},
		{name: "single owner", cfg: `{channels: {telegram: {dmPolicy: "allowlist", allowFrom: ["1"]}}}`, want: nil},
		{name: "open DMs", cfg: `{channels: {telegram: {dmPolicy: "open", allowFrom: ["*"]}}}`, want: []string{"warn/medium/dm_scope_main"}},
		{name: "two senders", cfg: `{channels: {telegram: {dmPolicy: "allowlist", allowFrom: ["1", "2"]}}}`, want: []string{"warn/medium/dm_scope_main"}},
		{name: "two channels", cfg: `{channels: {telegram: {}, discord: {}}}`, want: []string{"warn/medium/dm_scope_main_channels"}},
		{name: "per peer", cfg: `{session: {dmScope: "per-channel-peer"}, channels: {telegram: {dmPolicy: "open"}}}`, want: nil},
		{name: "group scope main", cfg: `{session: {dmScope: "per-channel-peer", groupScope: "main"}}`, want: []string{"warn/medium/group_scope_main"}},
	})
}

func TestCH005NameMatching(t *testing.T) {
	runCases(t, "CG-CH-005", []checkCase{
		{name: "off", cfg: `{channels: {discord: {}}}`, want: nil},
		{name: "on", cfg: `{channels: {discord: {dangerouslyAllowNameMatching: true}}}`, want: []string{"warn/medium/name_matching"}},
		{name: "false", cfg: `{channels: {discord: {dangerouslyAllowNameMatching: false}}}`, want: nil},
	})
}

func TestCH007DangerousFlags(t *testing.T) {
	runCases(t, "CG-CH-007", []checkCase{
		{name: "none", cfg: `{channels: {sms: {}}}`, want: nil},
		{name: "sms unsigned", cfg: `{channels: {sms: {dangerouslyDisableSignatureValidation: true}}}`, want: []string{"fail/high/flag"}},
		{name: "private network", cfg: `{channels: {matrix: {network: {dangerouslyAllowPrivateNetwork: true}}}}`, want: []string{"warn/medium/flag"}},
		{name: "flag on other channel ignored", cfg: `{channels: {telegram: {dangerouslyDisableSignatureValidation: true}}}`, want: nil},
	})
}

func TestCH008TelegramSenders(t *testing.T) {
	runCases(t, "CG-CH-008", []checkCase{
		{name: "numeric ids", cfg: `{channels: {telegram: {allowFrom: ["12345", "tg:678", 999]}}}`, want: nil},
		{name: "username", cfg: `{channels: {telegram: {allowFrom: ["@alice", "12345"]}}}`, want: []string{"warn/medium/non_numeric"}},
		{name: "other channel ignored", cfg: `{channels: {discord: {allowFrom: ["@alice"]}}}`, want: nil},
		{name: "open groups without senders", cfg: `{channels: {telegram: {groupPolicy: "open"}}}`, want: []string{"warn/medium/group_senders_missing"}},
		{name: "allowlisted groups without senders", cfg: `{channels: {telegram: {groups: {"-1001": {requireMention: true}}}}}`, want: []string{"warn/medium/group_senders_missing"}},
		{name: "allowlisted groups with senders", cfg: `{channels: {telegram: {groups: {"-1001": {}}, groupAllowFrom: ["12345"]}}}`, want: nil},
		{name: "per-group senders", cfg: `{channels: {telegram: {groupPolicy: "open", groups: {"-1001": {allowFrom: ["@bob"]}}}}}`, want: []string{"warn/medium/non_numeric"}},
		{name: "no groups, default policy", cfg: `{channels: {telegram: {}}}`, want: nil},
	})
}

func TestCH004AccountsAreTheSenders(t *testing.T) {
	runCases(t, "CG-CH-004", []checkCase{
		{name: "one account under a channel", cfg: `{channels: {telegram: {dmPolicy: "allowlist", accounts: {main: {botToken: {source: "env", provider: "d", id: "T"}, allowFrom: ["1"]}}}}}`, want: nil},
		{name: "two accounts", cfg: `{channels: {telegram: {accounts: {a: {allowFrom: ["1"]}, b: {allowFrom: ["2"]}}}}}`, want: []string{"warn/medium/dm_scope_main_channels"}},
		{name: "channel token plus account", cfg: `{channels: {telegram: {botToken: {source: "env", provider: "d", id: "T"}, accounts: {b: {allowFrom: ["2"]}}}}}`, want: []string{"warn/medium/dm_scope_main_channels"}},
	})
}

func TestCH009GroupTargets(t *testing.T) {
	runCases(t, "CG-CH-009", []checkCase{
		{name: "no groups", cfg: `{channels: {telegram: {}}}`, want: nil},
		{name: "telegram groups", cfg: `{channels: {telegram: {groups: {"-1001": {}, "-1002": {}}, groupAllowFrom: ["1"]}}}`, want: []string{"warn/low/groups"}},
		{name: "discord guilds", cfg: `{channels: {discord: {groupPolicy: "allowlist", guilds: {"123": {channels: {"456": {}}}}}}}`, want: []string{"warn/low/groups"}},
		{name: "open policy is CG-CH-003", cfg: `{channels: {telegram: {groupPolicy: "open", groups: {"-1001": {}}}}}`, want: nil},
		{name: "groups disabled", cfg: `{channels: {telegram: {groupPolicy: "disabled", groups: {"-1001": {}}}}}`, want: nil},
	})
}
