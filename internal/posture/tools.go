package posture

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/json5"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// Tool and exec checks (DO-3 "least privilege" and its "second confirmation
// for dangerous operations"). They read the tool policy the way OpenClaw
// 2026.9.6 resolves it: global `tools.*`, then per agent from both config
// shapes (`agents.entries.<id>` and the legacy `agents.list[]`), and for
// exec also the host approvals document (the stricter of the two wins).

func init() {
	register("CG-TL-001", lpWrap(checkTL001))
	register("CG-TL-002", lpWrap(checkTL002))
	register("CG-TL-003", lpWrap(checkTL003))
	register("CG-TL-004", lpWrap(checkTL004))
	register("CG-TL-005", lpWrap(checkTL005))
	register("CG-TL-006", lpWrap(checkTL006))
	register("CG-TL-007", lpWrap(checkTL007))
	register("CG-TL-008", lpWrap(checkTL008))
	register("CG-TL-009", lpWrap(checkTL009))
	register("CG-TL-010", lpWrap(checkTL010))
	register("CG-TL-011", lpWrap(checkTL011))
	register("CG-TL-012", lpWrap(checkTL012))
	register("CG-TL-013", lpWrap(checkTL013))
	register("CG-TL-014", lpWrap(checkTL014))
}

// lpWrap post-processes this area's findings: a {source} param that is
// "default" selects the message's <key>_default template (the catalog
// generates one for every template with {source}), so a Chinese report
// says 默认值 rather than an English word.
func lpWrap(fn CheckFunc) CheckFunc {
	return func(s *Snapshot) []finding.Finding {
		fs := fn(s)
		for i := range fs {
			if fs[i].MessageKey != "" && fs[i].Params["source"] == "default" {
				fs[i].MessageKey += "_default"
				delete(fs[i].Params, "source")
			}
		}
		return fs
	}
}

// agentScope is one place where tool and sandbox policy is decided: the
// global defaults (ID "") or one configured agent.
type agentScope struct {
	// ID is the agent ID, "" for the global scope.
	ID string
	// Node is the agent's config object (nil for the global scope).
	Node *json5.Value
	// Path is the key path of the agent object ("agents.entries.main",
	// "agents.list.0"); "" for the global scope.
	Path string
}

// label names the scope in messages: a config key path, which reads the
// same in both report languages.
func (a agentScope) label(global string) string {
	if a.ID == "" {
		return global
	}
	return a.Path
}

// lpScopes returns the global scope followed by every configured agent,
// from agents.entries (sorted by ID) and the legacy agents.list (in order).
func lpScopes(c conf) []agentScope {
	out := []agentScope{{}}
	seen := map[string]bool{}
	for _, m := range c.objectMembers("agents.entries") {
		if m.Value == nil || m.Value.Kind != json5.Object {
			continue
		}
		seen[m.Key] = true
		out = append(out, agentScope{ID: m.Key, Node: m.Value, Path: join("agents.entries", m.Key)})
	}
	sort.SliceStable(out[1:], func(i, j int) bool { return out[1+i].ID < out[1+j].ID })
	if list := c.get("agents.list"); list != nil && list.Kind == json5.Array {
		for i, e := range list.Elems {
			if e == nil || e.Kind != json5.Object {
				continue
			}
			id, _ := e.Get("id").AsString()
			if id == "" {
				id = "#" + strconv.Itoa(i)
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, agentScope{ID: id, Node: e, Path: "agents.list." + strconv.Itoa(i)})
		}
	}
	return out
}

// lpAgentCount counts configured agents (at least one: the implicit main).
func lpAgentCount(c conf) int {
	n := len(lpScopes(c)) - 1
	if n < 1 {
		n = 1
	}
	return n
}

// lookup returns the value of rel (e.g. "tools.exec.mode") for the scope:
// the agent's own key when set, otherwise the global one (globalPath). It
// also returns the key path the value came from.
func (a agentScope) lookup(c conf, rel, globalPath string) (*json5.Value, string) {
	if a.Node != nil {
		if v := a.Node.Lookup(rel); v != nil {
			return v, join(a.Path, rel)
		}
	}
	return c.get(globalPath), globalPath
}

// own returns only the agent's own value of rel (nil for global scope).
func (a agentScope) own(rel string) (*json5.Value, string) {
	if a.Node == nil {
		return nil, ""
	}
	return a.Node.Lookup(rel), join(a.Path, rel)
}

// Tool groups and profiles as documented in gateway/config-tools/tool-policy.md.
var tlGroups = map[string][]string{
	"group:runtime":    {"exec", "process", "code_execution", "bash"},
	"group:fs":         {"read", "write", "edit", "apply_patch"},
	"group:web":        {"web_search", "x_search", "web_fetch"},
	"group:ui":         {"browser", "screen", "theme", "dashboard", "terminal", "portal", "canvas", "show_widget"},
	"group:automation": {"heartbeat_respond", "automations", "cron", "gateway", "plugins", "openclaw"},
	"group:nodes":      {"nodes", "computer"},
	"group:sessions":   {"sessions", "sessions_list", "sessions_history", "sessions_search", "conversations_list", "conversations_send", "conversations_turn", "sessions_send", "sessions_spawn", "sessions_yield", "subagents", "session_status"},
	"group:messaging":  {"message"},
}

var tlProfiles = map[string][]string{
	"minimal":   {"session_status"},
	"coding":    {"group:fs", "group:runtime", "group:web", "group:sessions", "group:memory", "cron"},
	"messaging": {"group:messaging", "group:sessions"},
}

func tlExpand(names []string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(strings.ToLower(n))
		out[n] = true
		for _, t := range tlGroups[n] {
			out[t] = true
		}
	}
	return out
}

// tlPolicy is the resolved tool policy of one scope.
type tlPolicy struct {
	Profile  string // "" = unset (no core filtering)
	ProfileV *json5.Value
	ProfileK string
	allow    map[string]bool // nil = not set
	AllowV   *json5.Value
	AllowK   string
	also     map[string]bool
	deny     map[string]bool
}

// lpToolPolicy resolves the tool policy of a scope: profile and allow are
// taken from the agent when it sets them, alsoAllow likewise, and the deny
// lists of the global and agent scopes add up (deny always wins).
func lpToolPolicy(c conf, a agentScope) tlPolicy {
	var p tlPolicy
	p.ProfileV, p.ProfileK = a.lookup(c, "tools.profile", "tools.profile")
	p.Profile, _ = p.ProfileV.AsString()
	if v, k := a.lookup(c, "tools.allow", "tools.allow"); v != nil && v.Kind == json5.Array {
		p.allow = tlExpand(v.Strings())
		p.AllowV, p.AllowK = v, k
	}
	if v, _ := a.lookup(c, "tools.alsoAllow", "tools.alsoAllow"); v != nil {
		p.also = tlExpand(v.Strings())
	}
	deny := c.get("tools.deny").Strings()
	if v, _ := a.own("tools.deny"); v != nil {
		deny = append(deny, v.Strings()...)
	}
	p.deny = tlExpand(deny)
	return p
}

// allows reports whether tool is available under the policy.
func (p tlPolicy) allows(tool string) bool {
	if p.deny[tool] || p.deny["*"] {
		return false
	}
	if p.allow != nil {
		return p.allow[tool] || p.allow["*"]
	}
	if p.also[tool] || p.also["*"] {
		return true
	}
	set, ok := tlProfiles[p.Profile]
	if !ok { // "", "full" or an unknown profile: no core filtering
		return true
	}
	return tlExpand(set)[tool]
}

func (p tlPolicy) anyOf(tools ...string) bool {
	for _, t := range tools {
		if p.allows(t) {
			return true
		}
	}
	return false
}

// Exec modes from least to most permissive; the stricter setting wins.
var tlModeRank = map[string]int{"deny": 0, "allowlist": 1, "ask": 2, "auto": 3, "full": 4}

// tlLegacyMode maps a security/ask pair onto a mode, following the table
// in tools/permission-modes.md: deny = deny/*, allowlist = allowlist/off,
// ask = allowlist/on-miss; full with any prompting counts as ask.
func tlLegacyMode(security, ask string) string {
	prompts := false
	switch strings.ToLower(ask) {
	case "on-miss", "always":
		prompts = true
	}
	switch strings.ToLower(security) {
	case "deny":
		return "deny"
	case "allowlist":
		if prompts {
			return "ask"
		}
		return "allowlist"
	}
	if prompts {
		return "ask"
	}
	if security == "" && ask == "" {
		return ""
	}
	return "full"
}

// tlExecPolicy is the effective host exec policy of one scope.
type tlExecPolicy struct {
	Mode string
	// Implicit is true when neither config nor approvals set anything, so
	// the gateway/node host default of full trust applies.
	Implicit bool
	// Source describes where the deciding value came from.
	Source   string
	Evidence []finding.Evidence
	// CfgMode is what the config alone requests ("" when nothing), with
	// its key and node, before the approvals document tightens it.
	CfgMode, CfgKey string
	CfgV            *json5.Value
}

// lpExecPolicy resolves the effective host exec mode of a scope.
func lpExecPolicy(c conf, a agentScope, st *openclaw.State) tlExecPolicy {
	var out tlExecPolicy
	// The agent's own settings (either shape) win over the global ones.
	cfgMode, cfgKey, cfgV := "", "", (*json5.Value)(nil)
	for _, base := range lpExecBases(a) {
		get := func(k string) *json5.Value {
			if base.node != nil {
				return base.node.Lookup(k)
			}
			return c.get(k)
		}
		if v := get("tools.exec.mode"); v != nil {
			if m, ok := v.AsString(); ok && m != "" {
				cfgMode, cfgKey, cfgV = m, lpJoin(base.prefix, "tools.exec.mode"), v
				break
			}
		}
		secV, askV := get("tools.exec.security"), get("tools.exec.ask")
		sec, _ := secV.AsString()
		ask, _ := askV.AsString()
		if m := tlLegacyMode(sec, ask); m != "" {
			cfgMode, cfgKey, cfgV = m, lpJoin(base.prefix, "tools.exec.security"), secV
			if secV == nil {
				cfgKey, cfgV = lpJoin(base.prefix, "tools.exec.ask"), askV
			}
			break
		}
	}
	cfgMode = strings.ToLower(cfgMode)
	out.CfgMode, out.CfgKey, out.CfgV = cfgMode, cfgKey, cfgV
	apMode, apKey := "", ""
	if st != nil && st.ExecApprovals != nil {
		ap := st.ExecApprovals
		// The agent's own entry, then the "*" entry that applies to every
		// agent, then the document's defaults.
		agentKey := ""
		for _, k := range []string{a.ID, "*"} {
			if ag, ok := ap.Agents[k]; ok && k != "" && (ag.Security != "" || ag.Ask != "") {
				agentKey = k
				break
			}
		}
		if agentKey != "" {
			ag := ap.Agents[agentKey]
			apMode = tlLegacyMode(ag.Security, ag.Ask)
			apKey = "agents." + agentKey
		} else if ap.DefaultSecurity != "" || ap.DefaultAsk != "" {
			apMode = tlLegacyMode(ap.DefaultSecurity, ap.DefaultAsk)
			apKey = "defaults"
		}
	}
	switch {
	case cfgMode == "" && apMode == "":
		out.Mode, out.Implicit = "full", true
		e := c.ev("tools.exec.mode", nil, "")
		e.Detail = "unset: gateway/node host exec defaults to full trust"
		out.Evidence = append(out.Evidence, e)
		out.Source = "default"
	case apMode == "" || (cfgMode != "" && tlRank(cfgMode) <= tlRank(apMode)):
		out.Mode = cfgMode
		out.Source = cfgKey
		out.Evidence = append(out.Evidence, c.ev(cfgKey, cfgV, display(cfgV)))
	default:
		out.Mode = apMode
		out.Source = "exec_approvals." + apKey
		out.Evidence = append(out.Evidence, lpApprovalsEv(st, apKey, apMode))
	}
	return out
}

// lpJoin joins non-empty key path parts.
func lpJoin(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ".")
}

type tlExecBase struct {
	node   *json5.Value
	prefix string
}

// lpExecBases lists where exec settings are read for a scope, in order of
// precedence: the agent object, then the global config root.
func lpExecBases(a agentScope) []tlExecBase {
	if a.Node != nil {
		return []tlExecBase{{a.Node, a.Path}, {nil, ""}}
	}
	return []tlExecBase{{nil, ""}}
}

func tlRank(m string) int {
	if r, ok := tlModeRank[m]; ok {
		return r
	}
	return 2 // unknown values are not treated as full trust
}

func lpApprovalsEv(st *openclaw.State, key, val string) finding.Evidence {
	e := finding.Evidence{Kind: "state", KeyPath: "exec_approvals." + key, Value: val}
	if st != nil {
		e.File = st.Path
		if st.ExecApprovals != nil && st.ExecApprovals.Source != "" && st.ExecApprovals.Source != "sqlite" {
			e.File = st.ExecApprovals.Source
		}
	}
	return e
}

// lpSandboxMode returns the sandbox mode of a scope (default "off").
func lpSandboxMode(c conf, a agentScope) (string, *json5.Value, string) {
	v, k := a.lookup(c, "sandbox.mode", "agents.defaults.sandbox.mode")
	m, ok := v.AsString()
	if !ok {
		m = "off"
	}
	return strings.ToLower(m), v, k
}

// lpHostExec reports whether exec in this scope runs on the gateway/node
// host (rather than in a sandbox) and is reachable at all.
func lpHostExec(c conf, a agentScope) bool {
	if !lpToolPolicy(c, a).anyOf("exec", "process", "code_execution") {
		return false
	}
	hostV, _ := a.lookup(c, "tools.exec.host", "tools.exec.host")
	host, _ := hostV.AsString()
	mode, _, _ := lpSandboxMode(c, a)
	switch strings.ToLower(host) {
	case "sandbox":
		return false // fails closed when the sandbox is off
	case "gateway", "node":
		return true
	}
	return mode != "all" // auto: sandbox when one is active for the session
}

func checkTL001(s *Snapshot) []finding.Finding {
	const id = "CG-TL-001"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, a := range lpScopes(c) {
		// An agent that sets nothing itself inherits the global verdict;
		// report it once, at the global scope.
		if a.ID != "" && !lpScopeSetsExec(a, s.OC.State) {
			continue
		}
		if !lpHostExec(c, a) {
			// Exec reachable but routed to the sandbox: an explicit full
			// request is still one setting away from host exec (OpenClaw
			// reports it as security_full_configured too).
			if lpToolPolicy(c, a).anyOf("exec", "process") {
				if p := lpExecPolicy(c, a, s.OC.State); p.CfgMode == "full" {
					out = append(out, newFinding(id, finding.Warn, finding.Medium, "explicit_full_sandboxed",
						kv("scope", a.label("tools.exec"), "source", p.CfgKey), c.ev(p.CfgKey, p.CfgV, display(p.CfgV))))
				}
			}
			continue
		}
		p := lpExecPolicy(c, a, s.OC.State)
		if p.CfgMode == "full" && p.Mode != "full" {
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "explicit_full_tightened",
				kv("scope", a.label("tools.exec"), "source", p.CfgKey), append([]finding.Evidence{c.ev(p.CfgKey, p.CfgV, display(p.CfgV))}, p.Evidence...)...))
		}
		if why := lpStateProblem(s); why != "" && lpApprovals(s) == nil && p.Mode == "full" {
			// The approvals document could tighten the verdict but could
			// not be read: keep the finding, say so.
			p.Evidence = append(p.Evidence, finding.Evidence{Kind: "state", KeyPath: "exec_approvals", Detail: "unreadable: " + why})
		}
		scope := a.label("tools.exec")
		switch {
		case p.Mode == "full" && p.Implicit:
			out = append(out, newFinding(id, finding.Fail, finding.High, "implicit_full", kv("scope", scope), p.Evidence...))
		case p.Mode == "full":
			out = append(out, newFinding(id, finding.Fail, finding.High, "explicit_full", kv("scope", scope, "source", p.Source), p.Evidence...))
		case p.Mode == "auto":
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "auto", kv("scope", scope), p.Evidence...))
		}
		// A prompt nobody can answer resolves through askFallback; "full"
		// turns every unanswered confirmation into an approval.
		if ap := lpApprovals(s); (p.Mode == "ask" || p.Mode == "auto") && ap != nil && strings.EqualFold(ap.AskFallback, "full") {
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "ask_fallback_full", kv("scope", scope),
				append(append([]finding.Evidence{}, p.Evidence...), lpApprovalsEv(s.OC.State, "defaults.askFallback", ap.AskFallback))...))
		}
	}
	return out
}

// lpStateProblem returns the first problem reading the state (database
// or legacy JSON), "" when there was none: then an absent table or
// document really is absent.
func lpStateProblem(s *Snapshot) string {
	if s == nil || s.OC == nil {
		return ""
	}
	for _, p := range s.OC.Problems {
		if p.Area == "state" {
			if p.Err != nil {
				return p.Err.Error()
			}
			return p.Path
		}
	}
	return ""
}

func lpApprovals(s *Snapshot) *openclaw.ExecApprovals {
	if s == nil || s.OC == nil || s.OC.State == nil {
		return nil
	}
	return s.OC.State.ExecApprovals
}

func lpScopeSetsExec(a agentScope, st *openclaw.State) bool {
	for _, k := range []string{"tools.exec.mode", "tools.exec.security", "tools.exec.ask", "tools.exec.host", "tools.profile", "tools.allow", "tools.deny", "sandbox.mode"} {
		if v, _ := a.own(k); v != nil {
			return true
		}
	}
	if st != nil && st.ExecApprovals != nil {
		if ag, ok := st.ExecApprovals.Agents[a.ID]; ok && (ag.Security != "" || ag.Ask != "") {
			return true
		}
	}
	return false
}

func checkTL002(s *Snapshot) []finding.Finding {
	const id = "CG-TL-002"
	if s == nil || s.OC == nil {
		return errorFinding(id, "no OpenClaw inventory was gathered")
	}
	if s.OC.State == nil || s.OC.State.ExecApprovals == nil {
		if why := lpStateProblem(s); why != "" {
			return errorFinding(id, "exec approvals could not be read: "+why)
		}
		return nil // no approvals document: autoAllowSkills defaults to false
	}
	st := s.OC.State
	ap := st.ExecApprovals
	var out []finding.Finding
	if ap.AutoAllowSkills {
		out = append(out, newFinding(id, finding.Warn, finding.Medium, "auto_allow",
			kv("scope", "defaults", "source", "exec_approvals.defaults.autoAllowSkills"), lpApprovalsEv(st, "defaults.autoAllowSkills", "true")))
	}
	for _, aid := range lpSortedKeys(ap.Agents) {
		ag := ap.Agents[aid]
		if ag.AutoAllowSkills != nil && *ag.AutoAllowSkills {
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "auto_allow",
				kv("scope", "agents."+aid, "source", "exec_approvals.agents."+aid+".autoAllowSkills"), lpApprovalsEv(st, "agents."+aid+".autoAllowSkills", "true")))
		}
	}
	return out
}

func lpSortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Interpreter-like and semantically broad safeBins, as OpenClaw 2026.9.6
// classifies them (dist/exec-safe-bin-runtime-policy-*.mjs
// INTERPRETER_LIKE_SAFE_BINS and dist/exec-safe-bin-trust-*.mjs
// SAFE_BIN_SEMANTIC_RULES).
var (
	tlInterpreterSafeBins = lpSet("ash", "awk", "bash", "busybox", "bun", "cmd", "cscript", "dash", "deno", "fish", "gawk", "gsed",
		"ksh", "lua", "mawk", "nawk", "node", "nodejs", "perl", "php", "powershell", "pypy", "pwsh", "python", "python2", "python3",
		"ruby", "sed", "sh", "toybox", "wscript", "zsh")
	tlInterpreterSafeBinRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:python|ruby|perl|php|node)\d+(?:\.\d+)?$`) })
	tlBroadSafeBins        = lpSet("jq", "awk", "gawk", "mawk", "nawk", "sed", "gsed")
	// Interpreters whose inline code strictInlineEval gates (dist/risks-*.mjs
	// INTERPRETER_ALLOWLIST_NAMES).
	tlInlineEvalNames = lpSet("python", "python2", "python3", "pypy", "pypy3", "node", "nodejs", "bun", "deno", "awk", "gawk", "mawk",
		"nawk", "ruby", "perl", "php", "r", "rscript", "julia", "elixir", "iex", "guile", "groovy", "scala", "scala-cli", "clojure",
		"clj", "raku", "perl6", "ghc", "ghci", "erl", "werl", "gdb", "expect", "lua", "osascript", "find", "make", "gmake", "sed",
		"gsed", "xargs")
	tlVersionSuffix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`-?\d+(?:\.\d+)*$`) })
	tlExeSuffix     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\.(?:exe|cmd|bat|com)$`) })
)

func lpSet(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// tlSafeBinName normalises a safeBins entry like OpenClaw: lower case,
// basename, no Windows executable suffix.
func tlSafeBinName(b string) string {
	b = strings.ToLower(strings.TrimSpace(b))
	if i := strings.LastIndexAny(b, `/\`); i >= 0 {
		b = b[i+1:]
	}
	return tlExeSuffix().ReplaceAllString(b, "")
}

func tlInterpreterSafeBin(b string) bool {
	n := tlSafeBinName(b)
	return n != "" && (tlInterpreterSafeBins[n] || tlInterpreterSafeBinRe().MatchString(n))
}

// tlInterpreterPattern mirrors isInterpreterLikeAllowlistPattern: the
// pattern's executable (or its glob-stripped basename), with and without a
// version suffix, names an interpreter.
func tlInterpreterPattern(p string) bool {
	p = strings.ToLower(strings.TrimSpace(p))
	if p == "" {
		return false
	}
	variants := func(v string) []string {
		st := tlVersionSuffix().ReplaceAllString(v, "")
		if st == v || len(st) < 2 {
			return []string{v}
		}
		return []string{v, st}
	}
	for _, c := range variants(tlSafeBinName(strings.Fields(p)[0])) {
		if tlInlineEvalNames[c] {
			return true
		}
	}
	base := strings.ReplaceAll(p, `\`, "/")
	if i := strings.LastIndex(base, "/"); i >= 0 {
		base = base[i+1:]
	}
	base = strings.TrimSuffix(base, ".exe")
	base = strings.Map(func(r rune) rune {
		if strings.ContainsRune("*?[]{}()", r) {
			return -1
		}
		return r
	}, base)
	base = strings.TrimRight(base, ".-")
	for _, c := range variants(base) {
		if tlInlineEvalNames[c] {
			return true
		}
	}
	return false
}

func checkTL003(s *Snapshot) []finding.Finding {
	const id = "CG-TL-003"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, a := range lpScopes(c) {
		v, k := c.get("tools.exec.safeBins"), "tools.exec.safeBins"
		profiles := c.get("tools.exec.safeBinProfiles")
		if a.ID != "" {
			if v, k = a.own("tools.exec.safeBins"); v == nil {
				continue
			}
			if pv, _ := a.own("tools.exec.safeBinProfiles"); pv != nil {
				profiles = pv
			}
		}
		if v == nil || v.Kind != json5.Array {
			continue
		}
		scope := a.label("tools.exec")
		for i, e := range v.Elems {
			bin, ok := e.AsString()
			if !ok {
				continue
			}
			name := tlSafeBinName(bin)
			ev := c.ev(k+"."+strconv.Itoa(i), e, bin)
			// OpenClaw reports both: an awk or sed entry is an unprofiled
			// interpreter and has broad semantics.
			if tlInterpreterSafeBin(bin) && profiles.Get(bin) == nil && profiles.Get(name) == nil {
				out = append(out, newFinding(id, finding.Warn, finding.Medium, "interpreter", kv("bin", bin, "scope", scope), ev))
			}
			if tlBroadSafeBins[name] {
				f := newFinding(id, finding.Warn, finding.Medium, "broad", kv("bin", bin, "scope", scope), ev)
				f.MatchKey = "broad:" + ev.KeyPath
				out = append(out, f)
			}
		}
	}
	return out
}

// tlRiskyDir mirrors the audit's safe_bin_trusted_dirs_risky rule
// (relative, temporary, package-manager and home-scoped directories),
// plus /dev/shm and /root.
func tlRiskyDir(d string) bool {
	d = strings.TrimSpace(d)
	if d == "" {
		return false
	}
	if !strings.HasPrefix(d, "/") {
		return true // relative or ~ paths: trust depends on cwd or user
	}
	clean := strings.ToLower(path.Clean(strings.ReplaceAll(d, `\`, "/")))
	for _, p := range []string{"/tmp", "/var/tmp", "/private/tmp", "/dev/shm", "/home", "/users", "/root"} {
		if clean == p || strings.HasPrefix(clean, p+"/") {
			return true
		}
	}
	switch clean {
	case "/usr/local/bin", "/opt/homebrew/bin", "/opt/local/bin", "/home/linuxbrew/.linuxbrew/bin":
		return true
	}
	return strings.Contains(clean, "/.local/bin")
}

func checkTL004(s *Snapshot) []finding.Finding {
	const id = "CG-TL-004"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, a := range lpScopes(c) {
		v, k := c.get("tools.exec.safeBinTrustedDirs"), "tools.exec.safeBinTrustedDirs"
		if a.ID != "" {
			if v, k = a.own("tools.exec.safeBinTrustedDirs"); v == nil {
				continue
			}
		}
		if v == nil || v.Kind != json5.Array {
			continue
		}
		for i, e := range v.Elems {
			d, ok := e.AsString()
			if ok && tlRiskyDir(d) {
				out = append(out, newFinding(id, finding.Warn, finding.Medium, "risky_dir",
					kv("dir", d, "scope", a.label("tools.exec")), c.ev(k+"."+strconv.Itoa(i), e, d)))
			}
		}
	}
	return out
}

func checkTL005(s *Snapshot) []finding.Finding {
	const id = "CG-TL-005"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	st := s.OC.State
	if st == nil || st.ExecApprovals == nil {
		if why := lpStateProblem(s); why != "" {
			return errorFinding(id, "exec approvals could not be read: "+why)
		}
		return nil
	}
	var out []finding.Finding
	for _, aid := range lpSortedKeys(st.ExecApprovals.Agents) {
		ag := st.ExecApprovals.Agents[aid]
		scope := agentScope{ID: aid}
		for _, a := range lpScopes(c) {
			if a.ID == aid {
				scope = a
			}
		}
		strictV, _ := scope.lookup(c, "tools.exec.strictInlineEval", "tools.exec.strictInlineEval")
		if b, ok := strictV.AsBool(); ok && b {
			continue
		}
		for _, pat := range ag.Allowlist {
			if tlInterpreterPattern(pat) {
				out = append(out, newFinding(id, finding.Warn, finding.Medium, "inline_eval",
					kv("scope", "agents."+aid, "pattern", pat),
					lpApprovalsEv(st, "agents."+aid+".allowlist", pat),
					c.ev("tools.exec.strictInlineEval", strictV, display(strictV))))
				break
			}
		}
	}
	return out
}

// lpChannels lists configured chat channels (others can message the
// agent through them) and whether any DM or group policy is "open".
func lpChannels(c conf) (names []string, open bool, ev []finding.Evidence) {
	for _, m := range c.objectMembers("channels") {
		v := m.Value
		if v == nil || v.Kind != json5.Object || m.Key == "defaults" {
			continue
		}
		if b, ok := v.Get("enabled").AsBool(); ok && !b {
			continue
		}
		names = append(names, m.Key)
		lpWalk(v, "channels."+m.Key, func(p string, x *json5.Value) {
			if !strings.HasSuffix(p, ".dmPolicy") && !strings.HasSuffix(p, ".groupPolicy") {
				return
			}
			if sv, _ := x.AsString(); sv == "open" {
				open = true
				ev = append(ev, c.ev(p, x, sv))
			}
		})
	}
	return names, open, ev
}

// lpWalk visits every value below v with its dotted key path.
func lpWalk(v *json5.Value, p string, fn func(string, *json5.Value)) {
	if v == nil {
		return
	}
	fn(p, v)
	switch v.Kind {
	case json5.Object:
		for _, k := range v.Keys() {
			lpWalk(v.Get(k), p+"."+k, fn)
		}
	case json5.Array:
		for i, e := range v.Elems {
			lpWalk(e, p+"."+strconv.Itoa(i), fn)
		}
	}
}

func checkTL006(s *Snapshot) []finding.Finding {
	const id = "CG-TL-006"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	// A global minimal profile is a promise every agent keeps only if no
	// agent switches to a broader one (OpenClaw's profile_minimal_overridden).
	if g, gv := c.str("tools.profile", ""); g == "minimal" {
		for _, a := range lpScopes(c)[1:] {
			v, k := a.own("tools.profile")
			if ap, ok := v.AsString(); ok && ap != "" && ap != "minimal" {
				out = append(out, newFinding(id, finding.Warn, finding.Medium, "minimal_overridden", kv("scope", a.Path, "profile", ap),
					c.ev(k, v, ap), c.ev("tools.profile", gv, g)))
			}
		}
	}
	chans, open, chEv := lpChannels(c)
	// Webhooks let outside systems start agent runs too.
	if t, v := c.isTrue("hooks.enabled"); t {
		chans = append(chans, "hooks")
		chEv = append(chEv, c.ev("hooks.enabled", v, "true"))
	}
	if len(chans) == 0 {
		return out // nobody else can reach the agents
	}
	for _, a := range lpScopes(c) {
		if a.ID != "" {
			if pv, _ := a.own("tools"); pv == nil {
				continue // inherits the global verdict
			}
		}
		p := lpToolPolicy(c, a)
		runtime := p.anyOf("exec", "process", "code_execution")
		// Reading is enough to leak host files to whoever can message
		// the agent, so read counts as well (as in OpenClaw's audit).
		fsTools := p.anyOf("read", "write", "edit", "apply_patch")
		if !runtime && !fsTools {
			continue
		}
		key, profile := "broad_profile", p.Profile
		switch {
		case p.Profile == "" && p.allow != nil:
			profile = "tools.allow" // an explicit allow list replaces the profile
		case p.Profile == "":
			key = "broad_profile_unset"
		}
		mode, _, _ := lpSandboxMode(c, a)
		st, sev := finding.Warn, finding.Medium
		if open && mode != "all" {
			st, sev = finding.Fail, finding.High
		}
		ev := []finding.Evidence{c.ev(p.ProfileK, p.ProfileV, display(p.ProfileV))}
		switch {
		case p.ProfileV == nil && p.AllowV != nil:
			ev[0] = c.ev(p.AllowK, p.AllowV, display(p.AllowV))
		case p.ProfileV == nil:
			ev[0].Detail = "unset: no core tool filtering"
		}
		ev = append(ev, chEv...)
		out = append(out, newFinding(id, st, sev, key,
			kv("scope", a.label("tools"), "profile", profile, "channels", strings.Join(chans, ", ")), ev...))
	}
	return out
}

func checkTL007(s *Snapshot) []finding.Finding {
	const id = "CG-TL-007"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, a := range lpScopes(c) {
		if a.ID != "" {
			if v, _ := a.own("tools.fs.workspaceOnly"); v == nil {
				continue
			}
		}
		if !lpToolPolicy(c, a).anyOf("read", "write", "edit") {
			continue
		}
		v, k := a.lookup(c, "tools.fs.workspaceOnly", "tools.fs.workspaceOnly")
		b, set := v.AsBool()
		switch {
		case !set:
			e := c.ev(k, nil, "")
			e.Detail = "unset: defaults to false"
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "fs_anywhere_default", kv("scope", a.label("tools")), e))
		case !b:
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "fs_anywhere", kv("scope", a.label("tools")), c.ev(k, v, "false")))
		}
	}
	return out
}

func checkTL008(s *Snapshot) []finding.Finding {
	const id = "CG-TL-008"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, a := range lpScopes(c) {
		v, k := c.get("tools.exec.applyPatch.workspaceOnly"), "tools.exec.applyPatch.workspaceOnly"
		if a.ID != "" {
			v, k = a.own("tools.exec.applyPatch.workspaceOnly")
		}
		if b, ok := v.AsBool(); ok && !b {
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "apply_patch_anywhere", kv("scope", a.label("tools")), c.ev(k, v, "false")))
		}
	}
	return out
}

func checkTL009(s *Snapshot) []finding.Finding {
	const id = "CG-TL-009"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	// Unset counts as enabled (OpenClaw tests enabled !== false); per-agent
	// settings can only restrict further.
	if en, ok := c.get("tools.elevated.enabled").AsBool(); ok && !en {
		return nil
	}
	var out []finding.Finding
	lists := 0
	for _, a := range lpScopes(c) {
		base := "tools.elevated.allowFrom"
		var allow *json5.Value
		if a.ID == "" {
			allow = c.get(base)
		} else {
			if v, _ := a.own("tools.elevated.enabled"); v != nil {
				if b, ok := v.AsBool(); ok && !b {
					continue
				}
			}
			allow, base = a.own("tools.elevated.allowFrom")
		}
		if allow == nil || allow.Kind != json5.Object {
			continue
		}
		for _, ch := range allow.Keys() {
			lst := allow.Get(ch)
			if lst == nil || lst.Kind != json5.Array || len(lst.Elems) == 0 {
				continue
			}
			lists++
			// Sender IDs can be phone numbers: show the count, not the list.
			ev := c.ev(base+"."+ch, lst, "")
			ev.Detail = strconv.Itoa(len(lst.Elems)) + " sender(s)"
			if lpContains(lst.Strings(), "*") {
				ev.Value = "*"
			}
			scope := a.label("tools")
			n := strconv.Itoa(len(lst.Elems))
			switch {
			case lpContains(lst.Strings(), "*"):
				out = append(out, newFinding(id, finding.Fail, finding.Critical, "elevated_wildcard", kv("channel", ch, "scope", scope), ev))
			case len(lst.Elems) > 25:
				out = append(out, newFinding(id, finding.Warn, finding.High, "elevated_large", kv("channel", ch, "count", n, "scope", scope), ev))
			default:
				out = append(out, newFinding(id, finding.Warn, finding.Medium, "elevated_enabled", kv("channel", ch, "count", n, "scope", scope), ev))
			}
		}
	}
	// OpenClaw rates "open inbound policy while elevated is not disabled"
	// critical even with empty allowFrom lists; it is one edit from usable.
	if chans, open, chEv := lpChannels(c); open && lists == 0 {
		ev := c.ev("tools.elevated.enabled", c.get("tools.elevated.enabled"), display(c.get("tools.elevated.enabled")))
		if c.get("tools.elevated.enabled") == nil {
			ev.Detail = "unset: counts as enabled"
		}
		out = append(out, newFinding(id, finding.Warn, finding.Medium, "elevated_not_disabled", kv("channels", strings.Join(chans, ", ")), append([]finding.Evidence{ev}, chEv...)...))
	}
	return out
}
func lpContains(xs []string, x string) bool {
	for _, v := range xs {
		if strings.TrimSpace(v) == x {
			return true
		}
	}
	return false
}

func checkTL010(s *Snapshot) []finding.Finding {
	const id = "CG-TL-010"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, a := range lpScopes(c) {
		if a.ID != "" {
			if v, _ := a.own("tools.sessions.visibility"); v == nil {
				continue
			}
		}
		if !lpToolPolicy(c, a).anyOf(tlGroups["group:sessions"]...) {
			continue
		}
		v, k := a.lookup(c, "tools.sessions.visibility", "tools.sessions.visibility")
		val, set := v.AsString()
		if set && val != "all" {
			continue
		}
		src := k
		e := c.ev(k, v, val)
		if !set {
			src = "default"
			e.Detail = "unset: defaults to all"
		}
		out = append(out, newFinding(id, finding.Warn, finding.Medium, "visibility_all", kv("scope", a.label("tools"), "source", src), e))
	}
	return out
}

func checkTL011(s *Snapshot) []finding.Finding {
	const id = "CG-TL-011"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	n := lpAgentCount(c)
	if n < 2 {
		return nil // one agent has nobody to talk to
	}
	enV := c.get("tools.agentToAgent.enabled")
	if b, ok := enV.AsBool(); ok && !b {
		return nil
	}
	allowV := c.get("tools.agentToAgent.allow")
	if allowV != nil && allowV.Kind == json5.Array && len(allowV.Elems) > 0 && !lpContains(allowV.Strings(), "*") {
		return nil
	}
	e1 := c.ev("tools.agentToAgent.enabled", enV, display(enV))
	if enV == nil {
		e1.Detail = "unset: defaults to true"
	}
	e2 := c.ev("tools.agentToAgent.allow", allowV, display(allowV))
	return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "a2a_unrestricted", kv("count", strconv.Itoa(n)), e1, e2)}
}

func checkTL012(s *Snapshot) []finding.Finding {
	const id = "CG-TL-012"
	if s == nil || s.OC == nil {
		return errorFinding(id, "no OpenClaw inventory was gathered")
	}
	if why := lpStateProblem(s); why != "" && (s.OC.State == nil || len(s.OC.State.CronJobs) == 0) {
		return errorFinding(id, "scheduled jobs could not be read: "+why)
	}
	if s.OC.State == nil {
		return nil // no state: no scheduled jobs
	}
	st := s.OC.State
	var out []finding.Finding
	for _, j := range st.CronJobs {
		if !j.Enabled || !lpContains(j.ToolsAllow, "*") {
			continue
		}
		name := j.Name
		if name == "" {
			name = j.ID
		}
		out = append(out, newFinding(id, finding.Warn, finding.Medium, "cron_all_tools", kv("job", name),
			finding.Evidence{Kind: "state", File: st.Path, KeyPath: "cron_jobs." + j.ID + ".toolsAllow", Value: "*",
				Detail: fmt.Sprintf("payload %s, schedule %s", j.PayloadKind, j.Schedule)}))
	}
	return out
}

func checkTL013(s *Snapshot) []finding.Finding {
	const id = "CG-TL-013"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, a := range lpScopes(c) {
		hostV, hostK := a.lookup(c, "tools.exec.host", "tools.exec.host")
		if h, _ := hostV.AsString(); h != "sandbox" {
			continue
		}
		if a.ID != "" && !lpScopeSetsExec(a, nil) {
			continue
		}
		mode, mv, mk := lpSandboxMode(c, a)
		if mode != "off" {
			continue
		}
		me := c.ev(mk, mv, mode)
		if mv == nil {
			me.Detail = "unset: defaults to off"
		}
		out = append(out, newFinding(id, finding.Warn, finding.Low, "host_sandbox_off", kv("scope", a.label("tools.exec")), c.ev(hostK, hostV, "sandbox"), me))
	}
	return out
}

func checkTL014(s *Snapshot) []finding.Finding {
	const id = "CG-TL-014"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	for _, a := range lpScopes(c) {
		mode, _, _ := lpSandboxMode(c, a)
		wsV, _ := a.lookup(c, "sandbox.workspaceAccess", "agents.defaults.sandbox.workspaceAccess")
		ws, ok := wsV.AsString()
		if !ok {
			ws = "none"
		}
		hostV, hostK := a.lookup(c, "tools.exec.host", "tools.exec.host")
		host, ok := hostV.AsString()
		if !ok {
			host = "auto"
		}
		// Exec confined to a sandbox that cannot write the workspace is
		// what OpenClaw accepts as read-only (exec-filesystem-policy).
		if mode == "all" && host != "gateway" && host != "node" && ws != "rw" {
			continue
		}
		p := lpToolPolicy(c, a)
		if !p.allows("exec") || p.allows("write") || p.allows("edit") || p.allows("apply_patch") {
			continue
		}
		denyV, denyK := c.get("tools.deny"), "tools.deny"
		if v, k := a.own("tools.deny"); v != nil {
			denyV, denyK = v, k
		}
		out = append(out, newFinding(id, finding.Warn, finding.Medium, "fs_denied_exec_allowed",
			kv("scope", a.label("tools"), "host", host, "mode", mode),
			c.ev(denyK, denyV, display(denyV)), c.ev(hostK, hostV, host)))
	}
	return out
}
