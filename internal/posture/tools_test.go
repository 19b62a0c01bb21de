package posture

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/json5"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// Shared fixtures for the privilege, file, tool, sandbox, browser and
// logging checks. Configs are JSON5 text parsed by the real loader when it
// is available (openclaw.ParseConfig), else by the json5 parser directly,
// so positions in evidence are real.

const (
	lpTestState  = "/home/oc/.openclaw"
	lpTestConfig = "/home/oc/.openclaw/openclaw.json"
)

var lpTestNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func lpParse(t *testing.T, text string) *openclaw.Config {
	t.Helper()
	getenv := func(string) string { return "" }
	if c, err := openclaw.ParseConfig(lpTestConfig, []byte(text), getenv); err == nil {
		return c
	} else if !strings.Contains(err.Error(), "not implemented") {
		t.Fatalf("parse config: %v", err)
	}
	v, err := json5.Parse(lpTestConfig, []byte(text))
	if err != nil {
		t.Fatalf("parse config: %v", err)
	}
	return &openclaw.Config{Path: lpTestConfig, Root: v}
}

func lpFile(p, role string, mode fs.FileMode, uid int) openclaw.FileInfo {
	return openclaw.FileInfo{Path: p, Role: role, Exists: true, IsDir: mode.IsDir(), Mode: mode, UID: uid, GID: uid}
}

// lpSnap is a clean deployment: a dedicated user "openclaw" (uid 999)
// runs the gateway from a user unit, modes 700/600, nothing risky.
func lpSnap(t *testing.T, cfg string) *Snapshot {
	t.Helper()
	inv := &openclaw.Inventory{
		Env:        map[string]string{},
		EnvSources: map[string]string{},
		Paths: openclaw.Paths{Home: "/home/oc", StateDir: lpTestState, ConfigPath: lpTestConfig,
			StateDirExists: true, ConfigExists: cfg != ""},
		Files: map[string]openclaw.FileInfo{},
	}
	if cfg != "" {
		inv.Config = lpParse(t, cfg)
	}
	add := func(f openclaw.FileInfo) { inv.Files[f.Path] = f }
	add(lpFile(lpTestState, "state-dir", fs.ModeDir|0o700, 999))
	if cfg != "" {
		add(lpFile(lpTestConfig, "config", 0o600, 999))
	}
	add(lpFile(lpTestState+"/workspace", "workspace", fs.ModeDir|0o700, 999))
	inv.LogFiles = []openclaw.FileInfo{lpFile("/home/oc/.openclaw/logs/openclaw.log", "log", 0o600, 999)}
	inv.LogFiles[0].ModTime = lpTestNow.Add(-time.Hour)
	h := &host.Facts{
		Live:     true,
		OS:       "linux",
		Coverage: host.Coverage{Passwd: true, Group: true, Sudoers: true, Processes: true, Sockets: true},
		Users:    []host.User{{Name: "root", UID: 0, GID: 0, Home: "/root"}, {Name: "openclaw", UID: 999, GID: 999, Home: "/home/oc"}, {Name: "alice", UID: 1000, GID: 1000, Home: "/home/alice"}},
		Groups:   []host.Group{{Name: "root", GID: 0}, {Name: "openclaw", GID: 999}, {Name: "alice", GID: 1000}, {Name: "sudo", GID: 27, Members: []string{"alice"}}, {Name: "docker", GID: 998}},
		Units: []host.Unit{{Path: "/home/oc/.config/systemd/user/openclaw-gateway.service", Kind: "systemd-user", Name: "openclaw-gateway.service",
			Owner: "openclaw", RunAs: "openclaw", ExecStart: "/usr/bin/openclaw gateway run"}},
		Processes: []host.Process{{PID: 4242, UID: 999, EUID: 999, User: "openclaw", Comm: "openclaw-gateway", Cmdline: "node /usr/lib/node_modules/openclaw/openclaw.mjs gateway run"}},
	}
	return &Snapshot{OC: inv, Host: h, Now: lpTestNow}
}

type lpCase struct {
	name  string
	cfg   string
	mut   func(*Snapshot)
	check string
	// want lists "status:messageKey" of the findings, any order; empty
	// means the check passes (no findings).
	want []string
}

func lpRun(t *testing.T, cases []lpCase) {
	t.Helper()
	cat := lpCatalog(t)
	for _, tc := range cases {
		t.Run(tc.check+"/"+tc.name, func(t *testing.T) {
			s := lpSnap(t, tc.cfg)
			if tc.mut != nil {
				tc.mut(s)
			}
			fn := registry[tc.check]
			if fn == nil {
				t.Fatalf("check %s not registered", tc.check)
			}
			fs := fn(s)
			var got []string
			for _, f := range fs {
				lpValidate(t, cat, tc.check, f)
				k := f.MessageKey
				if k == "" {
					k = "-"
				}
				got = append(got, string(f.Status)+":"+k)
			}
			sort.Strings(got)
			want := append([]string{}, tc.want...)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("got %v, want %v\nfindings: %+v", got, want, fs)
			}
		})
	}
}

// lpCatalog returns the check metadata: from the embedded catalog when it
// validates, otherwise (while other areas are still being mapped) straight
// from this area's YAML file, decoded strictly.
func lpCatalog(t *testing.T) map[string]*catalog.Check {
	t.Helper()
	out := map[string]*catalog.Check{}
	if c, err := catalog.Default(); err == nil {
		for _, id := range c.CheckIDs() {
			ch, _ := c.Check(id)
			out[id] = ch
		}
		return out
	}
	data, err := os.ReadFile("../catalog/data/checks/posture-privilege.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var cs []*catalog.Check
	if err := dec.Decode(&cs); err != nil {
		t.Fatalf("posture-privilege.yaml: %v", err)
	}
	for _, ch := range cs {
		out[ch.ID] = ch
	}
	return out
}

var lpEnglishWord = regexp.MustCompile(`(^|[^/\w.-])(default|unset|unknown|unreadable|could not|not found)([^/\w.-]|$)`)

var lpPlaceholder = regexp.MustCompile(`\{[a-z_][a-z0-9_]*\}`)

// lpValidate checks a finding against its catalog entry: known check and
// message key, every placeholder filled in both languages, evidence
// present on every non-error finding.
func lpValidate(t *testing.T, cat map[string]*catalog.Check, id string, f finding.Finding) {
	t.Helper()
	if f.CheckID != id {
		t.Errorf("finding check ID %q, want %q", f.CheckID, id)
	}
	meta, ok := cat[id]
	if !ok {
		t.Fatalf("check %s missing from catalog", id)
	}
	if !f.Status.Valid() || f.Status == "" {
		t.Errorf("invalid status %q", f.Status)
	}
	if f.MessageKey == "" {
		if f.Message == "" {
			t.Errorf("finding has neither MessageKey nor Message")
		}
		return
	}
	tmpl, ok := meta.Messages[f.MessageKey]
	if !ok {
		t.Fatalf("%s: message key %q not in catalog", id, f.MessageKey)
	}
	for _, l := range []catalog.Lang{catalog.EN, catalog.ZH} {
		if m := catalog.Render(tmpl.Get(l), f.Params); lpPlaceholder.MatchString(m) {
			t.Errorf("%s/%s (%s): unfilled placeholder in %q", id, f.MessageKey, l, m)
		}
	}
	// Params are language-neutral (paths, key paths, names, numbers):
	// English prose in them would leak into the Chinese report.
	if m := catalog.Render(tmpl.Get(catalog.ZH), f.Params); lpEnglishWord.MatchString(m) {
		t.Errorf("%s/%s: English prose in the Chinese message %q", id, f.MessageKey, m)
	}
	if (f.Status == finding.Fail || f.Status == finding.Warn) && len(f.Evidence) == 0 {
		t.Errorf("%s/%s: %s finding without evidence", id, f.MessageKey, f.Status)
	}
	for _, e := range f.Evidence {
		if e.Kind == "" {
			t.Errorf("%s/%s: evidence without kind: %+v", id, f.MessageKey, e)
		}
	}
}

func TestToolChecks(t *testing.T) {
	approvals := func(sec, ask string) func(*Snapshot) {
		return func(s *Snapshot) {
			s.OC.State = &openclaw.State{Path: lpTestState + "/state/openclaw.sqlite",
				ExecApprovals: &openclaw.ExecApprovals{Source: "sqlite", DefaultSecurity: sec, DefaultAsk: ask}}
		}
	}
	stateBroken := func(s *Snapshot) {
		s.OC.Problems = append(s.OC.Problems, openclaw.Problem{Path: lpTestState + "/state/openclaw.sqlite", Area: "state", Err: errors.New("database disk image is malformed")})
	}
	openTelegram := `channels: { telegram: { botToken: "x", dmPolicy: "open", allowFrom: ["*"] } },`
	lpRun(t, []lpCase{
		// CG-TL-001: effective exec policy.
		{name: "no config means implicit full trust", check: "CG-TL-001", want: []string{"fail:implicit_full"}},
		{name: "empty config implicit full", cfg: `{}`, check: "CG-TL-001", want: []string{"fail:implicit_full"}},
		{name: "explicit full", cfg: `{tools: {exec: {mode: "full"}}}`, check: "CG-TL-001", want: []string{"fail:explicit_full"}},
		{name: "ask passes", cfg: `{tools: {exec: {mode: "ask"}}}`, check: "CG-TL-001"},
		{name: "allowlist passes", cfg: `{tools: {exec: {mode: "allowlist"}}}`, check: "CG-TL-001"},
		{name: "auto warns", cfg: `{tools: {exec: {mode: "auto"}}}`, check: "CG-TL-001", want: []string{"warn:auto"}},
		{name: "legacy full/off", cfg: `{tools: {exec: {security: "full", ask: "off"}}}`, check: "CG-TL-001", want: []string{"fail:explicit_full"}},
		{name: "legacy full/on-miss is ask", cfg: `{tools: {exec: {security: "full", ask: "on-miss"}}}`, check: "CG-TL-001"},
		{name: "legacy allowlist", cfg: `{tools: {exec: {security: "allowlist"}}}`, check: "CG-TL-001"},
		{name: "approvals stricter than unset config", cfg: `{}`, mut: approvals("allowlist", "on-miss"), check: "CG-TL-001"},
		{name: "approvals stricter than explicit full", cfg: `{tools: {exec: {mode: "full"}}}`, mut: approvals("deny", ""), check: "CG-TL-001", want: []string{"warn:explicit_full_tightened"}},
		{name: "explicit full routed to the sandbox", cfg: `{agents: {entries: {ops: {tools: {exec: {mode: "full", host: "sandbox"}}}}}}`, check: "CG-TL-001", want: []string{"fail:implicit_full", "warn:explicit_full_sandboxed"}},
		{name: "approvals full does not loosen ask", cfg: `{tools: {exec: {mode: "ask"}}}`, mut: approvals("full", "off"), check: "CG-TL-001"},
		{name: "approvals full with config unset", cfg: `{}`, mut: approvals("full", "off"), check: "CG-TL-001", want: []string{"fail:explicit_full"}},
		{name: "ask with askFallback full", cfg: `{tools: {exec: {mode: "ask"}}}`, mut: func(s *Snapshot) {
			approvals("", "")(s)
			s.OC.State.ExecApprovals.AskFallback = "full"
		}, check: "CG-TL-001", want: []string{"warn:ask_fallback_full"}},
		{name: "approvals allowlist/on-miss with askFallback full", cfg: `{}`, mut: func(s *Snapshot) {
			approvals("allowlist", "on-miss")(s)
			s.OC.State.ExecApprovals.AskFallback = "full"
		}, check: "CG-TL-001", want: []string{"warn:ask_fallback_full"}},
		{name: "approvals allowlist/off ignores askFallback", cfg: `{}`, mut: func(s *Snapshot) {
			approvals("allowlist", "off")(s)
			s.OC.State.ExecApprovals.AskFallback = "full"
		}, check: "CG-TL-001"},
		{name: "ask with askFallback deny", cfg: `{tools: {exec: {mode: "ask"}}}`, mut: func(s *Snapshot) {
			approvals("", "")(s)
			s.OC.State.ExecApprovals.AskFallback = "deny"
		}, check: "CG-TL-001"},
		{name: "approvals wildcard agent entry", cfg: `{}`, mut: func(s *Snapshot) {
			approvals("", "")(s)
			s.OC.State.ExecApprovals.Agents = map[string]openclaw.AgentApprovals{"*": {Security: "allowlist", Ask: "on-miss"}}
		}, check: "CG-TL-001"},
		{name: "exec denied", cfg: `{tools: {deny: ["group:runtime"]}}`, check: "CG-TL-001"},
		{name: "messaging profile has no exec", cfg: `{tools: {profile: "messaging"}}`, check: "CG-TL-001"},
		{name: "sandbox all keeps exec off host", cfg: `{agents: {defaults: {sandbox: {mode: "all"}}}}`, check: "CG-TL-001"},
		{name: "exec host sandbox", cfg: `{tools: {exec: {host: "sandbox"}}}`, check: "CG-TL-001"},
		{name: "explicit full with sandbox all", cfg: `{tools: {exec: {mode: "full"}}, agents: {defaults: {sandbox: {mode: "all"}}}}`, check: "CG-TL-001", want: []string{"warn:explicit_full_sandboxed"}},
		{name: "entries agent overrides to full", cfg: `{tools: {exec: {mode: "ask"}}, agents: {entries: {ops: {tools: {exec: {mode: "full"}}}}}}`,
			check: "CG-TL-001", want: []string{"fail:explicit_full"}},
		{name: "legacy list agent overrides to full", cfg: `{tools: {exec: {mode: "ask"}}, agents: {list: [{id: "ops", tools: {exec: {security: "full"}}}]}}`,
			check: "CG-TL-001", want: []string{"fail:explicit_full"}},
		{name: "agent restricts while global implicit", cfg: `{agents: {entries: {main: {tools: {exec: {mode: "deny"}}}}}}`,
			check: "CG-TL-001", want: []string{"fail:implicit_full"}},
		{name: "unreadable config is error", mut: func(s *Snapshot) { s.OC.Paths.ConfigExists = true }, check: "CG-TL-001", want: []string{"error:-"}},

		// CG-TL-002
		{name: "autoAllowSkills default", mut: func(s *Snapshot) {
			approvals("allowlist", "")(s)
			s.OC.State.ExecApprovals.AutoAllowSkills = true
		}, check: "CG-TL-002", want: []string{"warn:auto_allow"}},
		{name: "autoAllowSkills per agent", mut: func(s *Snapshot) {
			approvals("allowlist", "")(s)
			on := true
			s.OC.State.ExecApprovals.Agents = map[string]openclaw.AgentApprovals{"main": {AutoAllowSkills: &on}}
		}, check: "CG-TL-002", want: []string{"warn:auto_allow"}},
		{name: "autoAllowSkills off", mut: approvals("allowlist", ""), check: "CG-TL-002"},
		{name: "no approvals doc", check: "CG-TL-002"},
		{name: "state unreadable", mut: stateBroken, check: "CG-TL-002", want: []string{"error:-"}},
		{name: "state unreadable for TL-005", cfg: `{}`, mut: stateBroken, check: "CG-TL-005", want: []string{"error:-"}},
		{name: "state unreadable for TL-012", mut: stateBroken, check: "CG-TL-012", want: []string{"error:-"}},

		// CG-TL-003
		{name: "interpreter and jq in safeBins", cfg: `{tools: {exec: {safeBins: ["jq", "python3"]}}}`, check: "CG-TL-003", want: []string{"warn:interpreter", "warn:broad"}},
		{name: "profiled interpreter ok", cfg: `{tools: {exec: {safeBins: ["python3"], safeBinProfiles: {python3: {}}}}}`, check: "CG-TL-003"},
		{name: "sed is both", cfg: `{tools: {exec: {safeBins: ["/usr/bin/sed"]}}}`, check: "CG-TL-003", want: []string{"warn:interpreter", "warn:broad"}},
		{name: "versioned interpreter", cfg: `{tools: {exec: {safeBins: ["Python3.12.EXE"]}}}`, check: "CG-TL-003", want: []string{"warn:interpreter"}},
		{name: "plain stream filters", cfg: `{tools: {exec: {safeBins: ["cut", "wc", "head", "xargs"]}}}`, check: "CG-TL-003"},
		{name: "agent safeBins", cfg: `{agents: {entries: {a: {tools: {exec: {safeBins: ["node"]}}}}}}`, check: "CG-TL-003", want: []string{"warn:interpreter"}},

		// CG-TL-004
		{name: "tmp trusted dir", cfg: `{tools: {exec: {safeBinTrustedDirs: ["/usr/bin", "/tmp/bin", "~/.local/bin"]}}}`, check: "CG-TL-004", want: []string{"warn:risky_dir", "warn:risky_dir"}},
		{name: "system dirs", cfg: `{tools: {exec: {safeBinTrustedDirs: ["/bin", "/usr/bin"]}}}`, check: "CG-TL-004"},

		// CG-TL-005
		{name: "interpreter allowlisted without strictInlineEval", cfg: `{}`, mut: func(s *Snapshot) {
			approvals("allowlist", "")(s)
			s.OC.State.ExecApprovals.Agents = map[string]openclaw.AgentApprovals{"main": {Allowlist: []string{"git status", "/usr/bin/python3 *"}}}
		}, check: "CG-TL-005", want: []string{"warn:inline_eval"}},
		{name: "strictInlineEval on", cfg: `{tools: {exec: {strictInlineEval: true}}}`, mut: func(s *Snapshot) {
			approvals("allowlist", "")(s)
			s.OC.State.ExecApprovals.Agents = map[string]openclaw.AgentApprovals{"main": {Allowlist: []string{"node *"}}}
		}, check: "CG-TL-005"},
		{name: "no interpreters", cfg: `{}`, mut: func(s *Snapshot) {
			approvals("allowlist", "")(s)
			s.OC.State.ExecApprovals.Agents = map[string]openclaw.AgentApprovals{"main": {Allowlist: []string{"git *", "bash -lc *", "/usr/bin/ls"}}}
		}, check: "CG-TL-005"},
		{name: "versioned and globbed interpreters", cfg: `{}`, mut: func(s *Snapshot) {
			approvals("allowlist", "")(s)
			s.OC.State.ExecApprovals.Agents = map[string]openclaw.AgentApprovals{
				"a": {Allowlist: []string{"/opt/py/bin/python3.11"}}, "b": {Allowlist: []string{"/usr/local/bin/node*"}}, "c": {Allowlist: []string{"xargs -n1"}}}
		}, check: "CG-TL-005", want: []string{"warn:inline_eval", "warn:inline_eval", "warn:inline_eval"}},
		{name: "agent strictInlineEval wins", cfg: `{agents: {entries: {a: {tools: {exec: {strictInlineEval: true}}}}}}`, mut: func(s *Snapshot) {
			approvals("allowlist", "")(s)
			s.OC.State.ExecApprovals.Agents = map[string]openclaw.AgentApprovals{"a": {Allowlist: []string{"ruby *"}}, "b": {Allowlist: []string{"perl5.36 *"}}}
		}, check: "CG-TL-005", want: []string{"warn:inline_eval"}},

		// CG-TL-006
		{name: "open channel with full tools", cfg: `{` + openTelegram + `}`, check: "CG-TL-006", want: []string{"fail:broad_profile_unset"}},
		{name: "open channel sandboxed", cfg: `{` + openTelegram + ` agents: {defaults: {sandbox: {mode: "all"}}}}`, check: "CG-TL-006", want: []string{"warn:broad_profile_unset"}},
		{name: "pairing channel coding profile", cfg: `{channels: {telegram: {dmPolicy: "pairing"}}, tools: {profile: "coding"}}`, check: "CG-TL-006", want: []string{"warn:broad_profile"}},
		{name: "messaging profile", cfg: `{` + openTelegram + ` tools: {profile: "messaging"}}`, check: "CG-TL-006"},
		{name: "read-only tools still reach host files", cfg: `{` + openTelegram + ` tools: {allow: ["read", "message"]}}`, check: "CG-TL-006", want: []string{"fail:broad_profile"}},
		{name: "runtime and fs denied", cfg: `{` + openTelegram + ` tools: {deny: ["group:runtime", "group:fs"]}}`, check: "CG-TL-006"},
		{name: "no channels", cfg: `{tools: {profile: "full"}}`, check: "CG-TL-006"},
		{name: "minimal overridden by an agent", cfg: `{tools: {profile: "minimal"}, agents: {entries: {dev: {tools: {profile: "coding"}}, ro: {tools: {profile: "minimal"}}}}}`, check: "CG-TL-006", want: []string{"warn:minimal_overridden"}},
		{name: "webhooks reach the agent", cfg: `{hooks: {enabled: true, token: "x"}, tools: {profile: "full"}}`, check: "CG-TL-006", want: []string{"warn:broad_profile"}},
		{name: "disabled channel", cfg: `{channels: {telegram: {enabled: false, dmPolicy: "open"}}}`, check: "CG-TL-006"},
		{name: "agent widens", cfg: `{` + openTelegram + ` tools: {profile: "messaging"}, agents: {list: [{id: "dev", tools: {profile: "full"}}]}}`, check: "CG-TL-006", want: []string{"fail:broad_profile"}},

		// CG-TL-007
		{name: "workspaceOnly default false", cfg: `{}`, check: "CG-TL-007", want: []string{"warn:fs_anywhere_default"}},
		{name: "workspaceOnly explicit false", cfg: `{tools: {fs: {workspaceOnly: false}}}`, check: "CG-TL-007", want: []string{"warn:fs_anywhere"}},
		{name: "workspaceOnly true", cfg: `{tools: {fs: {workspaceOnly: true}}}`, check: "CG-TL-007"},
		{name: "fs tools denied", cfg: `{tools: {deny: ["group:fs"]}}`, check: "CG-TL-007"},

		// CG-TL-008
		{name: "applyPatch anywhere", cfg: `{tools: {exec: {applyPatch: {workspaceOnly: false}}}}`, check: "CG-TL-008", want: []string{"warn:apply_patch_anywhere"}},
		{name: "applyPatch default", cfg: `{}`, check: "CG-TL-008"},

		// CG-TL-009
		{name: "elevated wildcard", cfg: `{tools: {elevated: {allowFrom: {telegram: ["*"]}}}}`, check: "CG-TL-009", want: []string{"fail:elevated_wildcard"}},
		{name: "elevated small list", cfg: `{tools: {elevated: {allowFrom: {telegram: ["12345"]}}}}`, check: "CG-TL-009", want: []string{"warn:elevated_enabled"}},
		{name: "elevated disabled", cfg: `{tools: {elevated: {enabled: false, allowFrom: {telegram: ["*"]}}}}`, check: "CG-TL-009"},
		{name: "elevated empty allowFrom", cfg: `{tools: {elevated: {enabled: true}}}`, check: "CG-TL-009"},
		{name: "elevated not disabled with an open channel", cfg: `{` + openTelegram + `}`, check: "CG-TL-009", want: []string{"warn:elevated_not_disabled"}},
		{name: "elevated disabled with an open channel", cfg: `{` + openTelegram + ` tools: {elevated: {enabled: false}}}`, check: "CG-TL-009"},
		// The cases of the retired CG-CH-006, which this check absorbed.
		{name: "elevated large list", cfg: `{tools: {elevated: {allowFrom: {discord: ["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19","20","21","22","23","24","25","26"]}}}}`, check: "CG-TL-009", want: []string{"warn:elevated_large"}},
		{name: "elevated wildcard per agent", cfg: `{agents: {list: [{id: "ops", tools: {elevated: {allowFrom: {telegram: ["*"]}}}}]}}`, check: "CG-TL-009", want: []string{"fail:elevated_wildcard"}},

		// CG-TL-010
		{name: "visibility default all", cfg: `{}`, check: "CG-TL-010", want: []string{"warn:visibility_all_default"}},
		{name: "visibility agent", cfg: `{tools: {sessions: {visibility: "agent"}}}`, check: "CG-TL-010"},
		{name: "visibility explicit all", cfg: `{tools: {sessions: {visibility: "all"}}}`, check: "CG-TL-010", want: []string{"warn:visibility_all"}},

		// CG-TL-011
		{name: "two agents unrestricted", cfg: `{agents: {entries: {a: {}, b: {}}}}`, check: "CG-TL-011", want: []string{"warn:a2a_unrestricted"}},
		{name: "two legacy agents with allow", cfg: `{agents: {list: [{id: "a"}, {id: "b"}]}, tools: {agentToAgent: {allow: ["a->b"]}}}`, check: "CG-TL-011"},
		{name: "a2a disabled", cfg: `{agents: {entries: {a: {}, b: {}}}, tools: {agentToAgent: {enabled: false}}}`, check: "CG-TL-011"},
		{name: "single agent", cfg: `{}`, check: "CG-TL-011"},

		// CG-TL-012
		{name: "dreaming job all tools", mut: func(s *Snapshot) {
			s.OC.State = &openclaw.State{Path: "x.sqlite", CronJobs: []openclaw.CronJob{{ID: "d1", Name: "dreaming", Enabled: true, ToolsAllow: []string{"*"}}, {ID: "h", Name: "heartbeat:main", Enabled: true}}}
		}, check: "CG-TL-012", want: []string{"warn:cron_all_tools"}},
		{name: "disabled job", mut: func(s *Snapshot) {
			s.OC.State = &openclaw.State{CronJobs: []openclaw.CronJob{{ID: "d1", Enabled: false, ToolsAllow: []string{"*"}}}}
		}, check: "CG-TL-012"},

		// CG-TL-014
		{name: "fs denied, exec on host", cfg: `{tools: {deny: ["group:fs"]}}`, check: "CG-TL-014", want: []string{"warn:fs_denied_exec_allowed"}},
		{name: "fs and runtime denied", cfg: `{tools: {deny: ["group:fs", "group:runtime"]}}`, check: "CG-TL-014"},
		{name: "fs denied, read-only sandbox", cfg: `{tools: {deny: ["write", "edit", "apply_patch"]}, agents: {defaults: {sandbox: {mode: "all", workspaceAccess: "ro"}}}}`, check: "CG-TL-014"},
		{name: "fs denied, rw sandbox", cfg: `{tools: {deny: ["group:fs"]}, agents: {defaults: {sandbox: {mode: "all", workspaceAccess: "rw"}}}}`, check: "CG-TL-014", want: []string{"warn:fs_denied_exec_allowed"}},
		{name: "only write denied", cfg: `{tools: {deny: ["write"]}}`, check: "CG-TL-014"},

		// CG-TL-013
		{name: "exec host sandbox without sandbox", cfg: `{tools: {exec: {host: "sandbox"}}}`, check: "CG-TL-013", want: []string{"warn:host_sandbox_off"}},
		{name: "exec host sandbox with sandbox", cfg: `{tools: {exec: {host: "sandbox"}}, agents: {defaults: {sandbox: {mode: "non-main"}}}}`, check: "CG-TL-013"},
	})
}

func TestExecPolicyEvidenceLine(t *testing.T) {
	s := lpSnap(t, "{\n  tools: {\n    exec: {\n      mode: \"full\",\n    },\n  },\n}\n")
	fs := checkTL001(s)
	if len(fs) != 1 {
		t.Fatalf("want 1 finding, got %+v", fs)
	}
	e := fs[0].Evidence[0]
	if e.File != lpTestConfig || e.KeyPath != "tools.exec.mode" || e.Line != 4 || e.Value != "full" {
		t.Fatalf("evidence %+v", e)
	}
}

func TestScopesBothShapes(t *testing.T) {
	s := lpSnap(t, `{agents: {entries: {zeta: {}, alpha: {}}, list: [{id: "alpha"}, {id: "legacy"}, {}]}}`)
	c, _, _ := confOf(s, "x")
	var ids []string
	for _, a := range lpScopes(c) {
		ids = append(ids, a.ID+"@"+a.Path)
	}
	want := "@,alpha@agents.entries.alpha,zeta@agents.entries.zeta,legacy@agents.list.1,#2@agents.list.2"
	if got := strings.Join(ids, ","); got != want {
		t.Fatalf("scopes %s, want %s", got, want)
	}
}

// TestAreaTemplatesUsed: every message template of this area's checks is
// named by the Go code (a dead template or a typo in a key shows up here;
// lpValidate covers the other direction for every emitted finding).
func TestAreaTemplatesUsed(t *testing.T) {
	var src strings.Builder
	for _, f := range []string{"privilege.go", "files.go", "tools.go", "sandbox.go", "browser.go", "egress.go", "logging.go", "posture.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	code := src.String()
	prefixes := []string{"CG-PRV-", "CG-FS-", "CG-TL-", "CG-SBX-", "CG-BRW-", "CG-LOG-"}
	n := 0
	for id, ch := range lpCatalog(t) {
		mine := false
		for _, p := range prefixes {
			mine = mine || strings.HasPrefix(id, p)
		}
		if !mine {
			continue
		}
		n++
		if registry[id] == nil {
			t.Errorf("%s has metadata but no implementation", id)
		}
		for key := range ch.Messages {
			// <key>_default variants are chosen by lpWrap from <key>.
			if !strings.Contains(code, `"`+key+`"`) && !strings.Contains(code, `"`+strings.TrimSuffix(key, "_default")+`"`) {
				t.Errorf("%s: template %q is never emitted", id, key)
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d checks of this area in the catalog", n)
	}
}

// Evidence names the $include file a value came from, with its line.
func TestEvidenceFromIncludeFile(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "openclaw.json")
	inc := filepath.Join(dir, "tools.json5")
	if err := os.WriteFile(main, []byte("{\n  tools: { $include: \"./tools.json5\" },\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inc, []byte("// exec policy\n{\n  exec: {\n    mode: \"full\",\n  },\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := openclaw.LoadConfig("", main, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	s := lpSnap(t, "")
	s.OC.Config, s.OC.Paths.ConfigExists = cfg, true
	fs := checkTL001(s)
	if len(fs) != 1 || fs[0].MessageKey != "explicit_full" {
		t.Fatalf("findings %+v", fs)
	}
	if e := fs[0].Evidence[0]; e.File != inc || e.Line != 4 || e.KeyPath != "tools.exec.mode" {
		t.Fatalf("evidence %+v, want %s:4 tools.exec.mode", e, inc)
	}
}
