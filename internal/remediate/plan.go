// Package remediate is `clawgov fix`: it turns an audit into a plan of
// concrete, reversible changes (config keys edited in place in the user's
// JSON5, file modes and owners, a secret moved to an env file, a malicious
// skill moved to quarantine) and applies it with a backup set and a
// journal, so every change can be rolled back byte for byte.
//
// Safety rules, in order: never rewrite a config that cannot be parsed;
// refuse configs managed by something else (Nix, OPENCLAW_CONFIG_READONLY,
// a "managed by" header, a read-only file); validate the edited config with
// the real OpenClaw when it is available; back up before touching
// anything; write atomically (temp file, fsync, rename, fsync dir) keeping
// mode and owner; and make the plan empty once everything is fixed.
package remediate

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/audit"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/config"
	"github.com/clawgov/clawgov/internal/egress/wiring"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/json5"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/posture"
	"github.com/clawgov/clawgov/internal/report"
)

// TokenEnv is the variable the gateway token SecretRef names.
const TokenEnv = "OPENCLAW_GATEWAY_TOKEN"

// Options configure planning and applying.
type Options struct {
	Rootfs          string
	StateDir        string
	ConfigPath      string
	OpenClawProfile string
	Profile         string
	// Config is clawgov.yaml (nil: none). The plan judges by the same
	// policy the audit does: its local profile files resolve --profile,
	// and a finding it waives is an accepted risk the plan leaves alone.
	Config *config.Config
	Lang   catalog.Lang
	Getenv func(string) string
	Now    func() time.Time
	Logger *slog.Logger
	// Only and Skip select actions by the check IDs they resolve.
	Only, Skip []string
	// TokenStore is where a generated gateway token goes ("" = <state>/.env,
	// which OpenClaw reads itself).
	TokenStore string
	// BackupDir overrides <state>/.clawgov/backups.
	BackupDir string
	// OpenClaw is the openclaw command used to validate edited configs
	// ("" = no validation available).
	OpenClaw string
	// RestartOK acknowledges that a running gateway must be restarted and
	// its clients updated (--yes-restart-needed).
	RestartOK bool
	// Egress, when set, plans the OpenClaw settings of the egress chain
	// (`clawgov egress openclaw-config --apply`): action egress.openclaw.
	Egress []wiring.Setting
	// Audit replaces audit.Run (tests).
	Audit func(ctx context.Context, o audit.Options) (*report.Report, error)
	// Rand replaces crypto/rand (tests).
	Rand func([]byte) error
	// dockerCheck replaces Docker detection (tests).
	dockerCheck func() bool
}

// Change is one concrete change of an action.
type Change struct {
	// Kind: config, mode, owner, env, move, mkdir.
	Kind    string `json:"kind"`
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	KeyPath string `json:"key_path,omitempty"`
	Old     string `json:"old"`
	New     string `json:"new"`
}

// Action is one fix: what it resolves, what it changes, what it risks.
type Action struct {
	// ID is stable across runs ("gateway.bind", "modes", "quarantine:<name>").
	ID string `json:"id"`
	// Checks are the check IDs it resolves.
	Checks []string `json:"checks"`
	// Findings are the messages of the audit findings it resolves.
	Findings []string `json:"findings,omitempty"`
	Summary  string   `json:"summary"`
	Changes  []Change `json:"changes"`
	Risk     string   `json:"risk"`
	Restart  bool     `json:"restart"`
	// Notes tell the user what to do next (where the token is).
	Notes []string `json:"notes,omitempty"`
	// Skipped is the reason the action is not applied ("" = planned).
	Skipped string `json:"skipped,omitempty"`

	// What to do (not serialized).
	edits  []fileEdit
	envSet *envSet
	modes  []modeChange
	move   *quarantineMove
	mkdirs []string // host paths
	// locksOut marks actions that cut off clients of a running gateway
	// once it restarts (new auth, loopback bind).
	locksOut bool
	// needsFinding: the config alone does not show the problem; plan the
	// action only when the audit raised one of its checks.
	needsFinding bool
	// explicit: the user asked for this action by name (egress
	// openclaw-config --apply), so it is planned whatever the audit says.
	explicit bool
}

type fileEdit struct {
	file string // deployment path
	op   editOp
}

type envSet struct {
	file  string // deployment path
	key   string
	value string
}

type modeChange struct {
	file     string // deployment path
	isDir    bool
	oldMode  fs.FileMode
	newMode  fs.FileMode
	oldUID   int
	oldGID   int
	uid, gid int // -1 = unchanged
}

// Plan is the whole fix plan.
type Plan struct {
	Lang       catalog.Lang `json:"lang"`
	StateDir   string       `json:"state_dir"`
	ConfigPath string       `json:"config_path"`
	Actions    []Action     `json:"actions"`
	Skipped    []Action     `json:"skipped,omitempty"`
	// Diff is a unified diff of every file the plan rewrites, secrets
	// redacted.
	Diff string `json:"diff,omitempty"`
	// Refusal says why the plan cannot be applied (a managed config, a
	// running gateway that would be locked out); "" when it can.
	Refusal string `json:"refusal,omitempty"`
	// Validation is the outcome of `openclaw config validate` on the
	// staged config ("" when not run).
	Validation string `json:"validation,omitempty"`

	opts    Options
	inv     *openclaw.Inventory
	hostF   *host.Facts
	cfg     *openclaw.Config
	secrets []string
	// originals and staged contents of files the plan rewrites (host path).
	orig   map[string][]byte
	staged map[string][]byte
	token  string
}

// RefusedError is a polite refusal to change anything (exit 2 in the CLI).
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// InputError is bad input (an unparseable config): never rewritten.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func (o *Options) defaults() {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Lang == "" {
		o.Lang = catalog.EN
	}
	if o.Audit == nil {
		o.Audit = audit.Run
	}
	if o.Rand == nil {
		o.Rand = func(b []byte) error { _, err := rand.Read(b); return err }
	}
}

// hostPath maps a deployment path to the path on this machine.
func (p *Plan) hostPath(d string) string {
	if p.opts.Rootfs == "" {
		return d
	}
	return filepath.Join(p.opts.Rootfs, filepath.FromSlash(d))
}

// env is the gateway's effective environment: the inventory's (service
// unit, running process) over clawgov's own.
func (p *Plan) env(k string) (string, string) {
	if p.inv != nil {
		if v, ok := p.inv.Env[k]; ok && v != "" {
			src := "environment"
			if s := p.inv.EnvSources[k]; s != "" {
				src = s
			}
			return v, src
		}
	}
	if v := p.opts.Getenv(k); v != "" && p.opts.Rootfs == "" {
		return v, "environment"
	}
	return "", ""
}

// Build runs the audit and builds the plan. It reads; it changes nothing.
func Build(ctx context.Context, o Options) (*Plan, error) {
	o.defaults()
	var snap *posture.Snapshot
	rep, err := o.Audit(ctx, audit.Options{
		Rootfs: o.Rootfs, StateDir: o.StateDir, ConfigPath: o.ConfigPath,
		OpenClawProfile: o.OpenClawProfile, Profile: o.Profile, Lang: o.Lang,
		Now: o.Now, Getenv: o.Getenv, Logger: o.Logger, Config: o.Config,
		Inspect: func(s *posture.Snapshot) { snap = s },
	})
	if err != nil {
		var ie *audit.InputError
		if errors.As(err, &ie) {
			return nil, &InputError{err}
		}
		return nil, fmt.Errorf("audit: %w", err)
	}
	p := &Plan{Lang: o.Lang, opts: o, orig: map[string][]byte{}, staged: map[string][]byte{}}
	if snap != nil {
		p.inv, p.hostF = snap.OC, snap.Host
	}
	if p.inv == nil {
		p.inv = &openclaw.Inventory{Env: map[string]string{}}
	}
	p.resolvePaths()
	_, errState := os.Stat(p.hostPath(p.StateDir))
	_, errCfg := os.Stat(p.hostPath(p.ConfigPath))
	if errors.Is(errState, fs.ErrNotExist) && errors.Is(errCfg, fs.ErrNotExist) {
		// Nothing deployed here: never create a deployment from scratch.
		p.Actions = []Action{}
		p.Refusal = fmt.Sprintf("no OpenClaw deployment at %s (no state directory, no config): nothing to fix; pass --state-dir/--config if it lives elsewhere", p.StateDir)
		return p, nil
	}
	if err := p.loadConfig(); err != nil {
		return nil, err
	}
	p.secrets = append(openclaw.KnownSecrets(p.inv), configSecrets(p.cfg)...)

	raised, passed, waived := judged(rep)
	for _, a := range p.candidates(rep) {
		p.decide(a, raised, passed, waived)
	}
	if err := p.stage(); err != nil {
		return nil, err
	}
	if p.Actions == nil {
		p.Actions = []Action{}
	}
	p.Refusal = p.refusal()
	if p.Refusal == "" && p.opts.OpenClaw != "" && p.configChanged() {
		p.Validation = p.validate()
		if strings.HasPrefix(p.Validation, "rejected") {
			p.Refusal = "openclaw config validate " + p.Validation + ": clawgov will not write a config OpenClaw would refuse"
		}
	}
	return p, nil
}

// judged splits the audit's checks into raised (warn/fail findings),
// passed (evaluated, nothing raised) and waived (findings an active
// waiver accepts, with the waiver that does).
func judged(rep *report.Report) (raised map[string][]string, passed map[string]bool, waived map[string][]*finding.AppliedWaiver) {
	raised, passed, waived = map[string][]string{}, map[string]bool{}, map[string][]*finding.AppliedWaiver{}
	if rep == nil {
		return
	}
	for _, f := range rep.Findings {
		switch {
		case f.Status == finding.Fail || f.Status == finding.Warn:
			raised[f.CheckID] = append(raised[f.CheckID], f.Message)
		case f.Status == finding.Waived && f.Waiver != nil:
			waived[f.CheckID] = append(waived[f.CheckID], f.Waiver)
		}
	}
	for _, c := range rep.Checks {
		if c.Status == finding.Pass {
			passed[c.ID] = true
		}
	}
	return
}

// decide files a candidate as planned or skipped. A fix runs when the
// audit raised one of its checks, or when the audit could not judge them
// (the check errored or did not run) and the config itself shows the
// problem; a check the audit passed is left alone. An action whose
// checks are only waived is skipped with the waiver named: the
// organisation accepted that risk, and undoing its decision is a change
// the user must ask for by name (--only).
func (p *Plan) decide(a *Action, raised map[string][]string, passed map[string]bool, waived map[string][]*finding.AppliedWaiver) {
	if !p.selected(a) {
		return
	}
	isRaised, allPassed := false, len(a.Checks) > 0
	var waivers []*finding.AppliedWaiver
	for _, id := range a.Checks {
		if msgs, ok := raised[id]; ok {
			isRaised = true
			a.Findings = append(a.Findings, msgs...)
		}
		waivers = append(waivers, waived[id]...)
		if !passed[id] {
			allPassed = false
		}
	}
	if !isRaised && len(waivers) > 0 && !a.explicit && !p.named(a) {
		a.Skipped = waivedReason(p.opts.Lang, waivers)
		p.Skipped = append(p.Skipped, *a)
		return
	}
	a.Findings = dedupe(a.Findings)
	for i := range a.Findings {
		a.Findings[i] = finding.RedactAll(a.Findings[i], p.secrets)
	}
	if !isRaised && (allPassed || a.needsFinding) && !a.explicit {
		return // the audit judged it fine: nothing to do, nothing to say
	}
	if a.Skipped != "" {
		p.Skipped = append(p.Skipped, *a)
		return
	}
	p.Actions = append(p.Actions, *a)
}

func (p *Plan) selected(a *Action) bool {
	if len(p.opts.Only) > 0 && !matchAction(a, p.opts.Only) {
		return false
	}
	return !matchAction(a, p.opts.Skip)
}

// named: --only names this action or one of its checks.
func (p *Plan) named(a *Action) bool { return matchAction(a, p.opts.Only) }

func matchAction(a *Action, list []string) bool {
	for _, id := range list {
		for _, c := range a.Checks {
			if strings.EqualFold(strings.TrimSpace(id), c) {
				return true
			}
		}
		if strings.EqualFold(strings.TrimSpace(id), a.ID) {
			return true
		}
	}
	return false
}

// waivedReason names the waivers that keep an action out of the plan.
func waivedReason(lang catalog.Lang, ws []*finding.AppliedWaiver) string {
	seen := map[string]bool{}
	var parts []string
	for _, w := range ws {
		if seen[w.ID] {
			continue
		}
		seen[w.ID] = true
		s := fmt.Sprintf("%s (%s, expires %s)", w.ID, w.Reason, w.Expires)
		if lang == catalog.ZH {
			s = fmt.Sprintf("%s（%s，%s 到期）", w.ID, w.Reason, w.Expires)
		}
		if w.Source != "" {
			s += " " + w.Source
		}
		parts = append(parts, s)
	}
	sort.Strings(parts)
	if lang == catalog.ZH {
		return "风险已豁免：" + strings.Join(parts, "；") + "；如需仍然修复，请用 --only 指定"
	}
	return "waived: " + strings.Join(parts, "; ") + "; name it with --only to fix it anyway"
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// resolvePaths takes the inventory's paths, or resolves them like
// OpenClaw's defaults when the inventory has none.
func (p *Plan) resolvePaths() {
	p.StateDir, p.ConfigPath = p.inv.Paths.StateDir, p.inv.Paths.ConfigPath
	if p.opts.StateDir != "" {
		p.StateDir = p.opts.StateDir
	}
	if p.opts.ConfigPath != "" {
		p.ConfigPath = p.opts.ConfigPath
	}
	home := p.inv.Paths.Home
	if home == "" {
		home = p.opts.Getenv("OPENCLAW_HOME")
	}
	if home == "" {
		home = p.opts.Getenv("HOME")
	}
	if p.StateDir == "" {
		switch {
		case p.opts.Getenv("OPENCLAW_STATE_DIR") != "":
			p.StateDir = p.opts.Getenv("OPENCLAW_STATE_DIR")
		case p.opts.OpenClawProfile != "" && p.opts.OpenClawProfile != "default":
			p.StateDir = path.Join(home, ".openclaw-"+p.opts.OpenClawProfile)
		default:
			p.StateDir = path.Join(home, ".openclaw")
		}
	}
	if p.ConfigPath == "" {
		if v := p.opts.Getenv("OPENCLAW_CONFIG_PATH"); v != "" {
			p.ConfigPath = v
		} else {
			p.ConfigPath = path.Join(p.StateDir, "openclaw.json")
		}
	}
	abs := func(s string) string {
		if strings.HasPrefix(s, "~/") {
			s = path.Join(home, s[2:])
		}
		if p.opts.Rootfs == "" && !filepath.IsAbs(s) {
			if a, err := filepath.Abs(s); err == nil {
				return a
			}
		}
		return path.Clean(s)
	}
	p.StateDir, p.ConfigPath = abs(p.StateDir), abs(p.ConfigPath)
}

func (p *Plan) loadConfig() error {
	if _, err := os.Stat(p.hostPath(p.ConfigPath)); errors.Is(err, fs.ErrNotExist) {
		// No config: OpenClaw runs on defaults. Fixes create it.
		p.cfg = &openclaw.Config{Path: p.ConfigPath, Root: &json5.Value{Kind: json5.Object, Pos: json5.Pos{File: p.ConfigPath}}}
		return nil
	}
	getenv := func(k string) string { v, _ := p.env(k); return v }
	cfg, err := openclaw.LoadConfig(p.opts.Rootfs, p.ConfigPath, getenv, p.inv.Paths.IncludeRoots)
	if err != nil {
		// Never rewrite what cannot be parsed.
		return &InputError{err}
	}
	p.cfg = cfg
	return nil
}

// configSecrets collects credential-looking strings of the config so no
// diff or message shows them.
func configSecrets(c *openclaw.Config) []string {
	var out []string
	var walk func(k string, v *json5.Value)
	walk = func(k string, v *json5.Value) {
		if v == nil {
			return
		}
		lk := strings.ToLower(k)
		if v.Kind == json5.String && len(v.Str) >= 4 {
			for _, w := range []string{"token", "password", "secret", "apikey", "api_key", "key", "credential", "auth"} {
				if strings.Contains(lk, w) {
					out = append(out, v.Str)
					if v.Template != "" {
						out = append(out, v.Template)
					}
					break
				}
			}
		}
		for _, m := range v.Members {
			walk(m.Key, m.Value)
		}
		for _, e := range v.Elems {
			walk(k, e)
		}
	}
	if c != nil {
		walk("", c.Root)
	}
	return out
}

// ---- candidates ----

func (p *Plan) candidates(rep *report.Report) []*Action {
	var out []*Action
	add := func(a *Action) {
		if a != nil {
			out = append(out, a)
		}
	}
	add(p.bindAction())
	add(p.authAction())
	add(p.originsAction())
	add(p.terminalAction())
	add(p.pairingAction())
	add(p.execAction())
	add(p.sandboxAction())
	add(p.logLevelAction())
	add(p.logFileAction())
	add(p.logAuditAction())
	for _, f := range dangerFlags {
		add(p.flagAction(f))
	}
	add(p.egressAction())
	out = append(out, p.modeActions()...)
	out = append(out, p.quarantineActions(rep)...)
	return out
}

// where names the file and line of a config value for the plan.
func (p *Plan) where(keyPath string) (file string, line int) {
	if v := p.cfg.Get(keyPath); v != nil && v.Pos.File != "" {
		return v.Pos.File, v.Pos.Line
	}
	// A new key goes into the file holding the deepest existing object.
	parts := strings.Split(keyPath, ".")
	for n := len(parts) - 1; n > 0; n-- {
		if v := p.cfg.Get(strings.Join(parts[:n], ".")); v != nil && v.Kind == json5.Object && v.Pos.File != "" {
			return v.Pos.File, v.Pos.Line
		}
	}
	return p.ConfigPath, 0
}

// show renders a current value for the plan ("(unset)" when absent).
func (p *Plan) show(keyPath string) string {
	v := p.cfg.Get(keyPath)
	if v == nil {
		return "(unset)"
	}
	return finding.RedactAll(showValue(v), p.secrets)
}

func showValue(v *json5.Value) string {
	switch v.Kind {
	case json5.String:
		return strconv.Quote(v.Str)
	case json5.Bool:
		return strconv.FormatBool(v.Bool)
	case json5.Number:
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	case json5.Null:
		return "null"
	case json5.Array:
		parts := make([]string, 0, len(v.Elems))
		for _, e := range v.Elems {
			parts = append(parts, showValue(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case json5.Object:
		if v.IsSecretRef() {
			return fmt.Sprintf("SecretRef{%s:%s}", v.Get("source").Str, v.Get("id").Str)
		}
		return "{…}"
	}
	return ""
}

// setKey plans key = value: the edit goes to the file that holds the key
// (or the deepest existing object), addressed by its path inside that file.
func (p *Plan) setKey(a *Action, keyPath string, value any, shown string) {
	file, line := p.where(keyPath)
	op, err := p.locate(keyPath, value)
	if err != nil {
		a.Skipped = tr(p.Lang, "skip.notobject", err.Error())
		return
	}
	a.edits = append(a.edits, fileEdit{file: file, op: op})
	a.Changes = append(a.Changes, Change{Kind: "config", File: file, Line: line, KeyPath: keyPath, Old: p.show(keyPath), New: shown})
}

// locate turns a merged-config key path into an in-file set operation.
func (p *Plan) locate(keyPath string, value any) (editOp, error) {
	parts := strings.Split(keyPath, ".")
	n := len(parts)
	var node *json5.Value
	for ; n > 0; n-- {
		node = p.cfg.Get(strings.Join(parts[:n], "."))
		if node != nil {
			break
		}
	}
	if n < len(parts) && node != nil && node.Kind != json5.Object {
		return nil, fmt.Errorf("%s is not an object", strings.Join(parts[:n], "."))
	}
	if node == nil || node.Pos.File == "" {
		// The root (or no config at all).
		return setOp{path: keySegs(parts...), value: value}, nil
	}
	file := node.Pos.File
	data, err := p.readOrig(file)
	if err != nil {
		return nil, err
	}
	root, err := parseFile(file, data)
	if err != nil {
		return nil, err
	}
	in, ok := pathAt(root, node.Pos.Offset, node.Kind)
	if !ok {
		return nil, fmt.Errorf("%s: %s is not addressable in the file that defines it", file, strings.Join(parts[:n], "."))
	}
	return setOp{path: append(in, keySegs(parts[n:]...)...), value: value}, nil
}

func (p *Plan) readOrig(file string) ([]byte, error) {
	hp := p.hostPath(file)
	if b, ok := p.orig[hp]; ok {
		return b, nil
	}
	b, err := os.ReadFile(hp)
	if errors.Is(err, fs.ErrNotExist) && file == p.ConfigPath {
		b, err = []byte("{}\n"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	p.orig[hp] = b
	return b, nil
}

func (p *Plan) newAction(id string, checks []string, summary, risk string, restart bool) *Action {
	return &Action{ID: id, Checks: checks, Summary: summary, Risk: risk, Restart: restart}
}

func (p *Plan) bindAction() *Action {
	bind, _ := p.cfg.String("gateway.bind")
	if bind == "loopback" {
		return nil
	}
	// Unset binds loopback on a bare host; inside a container it means
	// 0.0.0.0, which the audit raises.
	a := p.newAction("gateway.bind", []string{"CG-GW-001", "CG-EXP-001"}, tr(p.Lang, "bind.summary"), tr(p.Lang, "bind.risk"), true)
	// Unset is loopback on a bare host: only the audit (which knows about
	// containers) can say it is exposed.
	a.needsFinding = bind == "" && !p.inContainer()
	a.locksOut = true
	p.setKey(a, "gateway.bind", "loopback", `"loopback"`)
	return a
}

func (p *Plan) inContainer() bool {
	return p.hostF != nil && p.hostF.Container.InContainer
}

func (p *Plan) authAction() *Action {
	mode, _ := p.cfg.String("gateway.auth.mode")
	if mode == "password" || mode == "trusted-proxy" {
		return nil
	}
	tok := p.cfg.Get("gateway.auth.token")
	if mode == "token" && tok != nil && (tok.IsSecretRef() || tok.Template != "") {
		return nil
	}
	if mode == "" && tok != nil && (tok.IsSecretRef() || tok.Template != "") {
		return nil
	}
	a := p.newAction("gateway.auth", []string{"CG-GW-002", "CG-GW-003", "CG-GW-004", "CG-GW-005", "CG-SEC-001"}, tr(p.Lang, "auth.summary"), tr(p.Lang, "auth.risk"), true)
	a.locksOut = true
	if mode != "token" {
		p.setKey(a, "gateway.auth.mode", "token", `"token"`)
	}
	ref := newObj(true, "source", "env", "provider", "default", "id", TokenEnv)
	if v, src := p.env(TokenEnv); v != "" {
		// The environment already provides a token (a unit, the running
		// process, <state>/.env): it wins over .env, so reference it.
		if len(v) < 32 {
			a.Skipped = tr(p.Lang, "skip.envother", TokenEnv, src)
			return a
		}
		a.Summary = tr(p.Lang, "auth.summary.ref", TokenEnv)
		p.setKey(a, "gateway.auth.token", ref, `SecretRef{env:`+TokenEnv+`}`)
		return a
	}
	store := p.opts.TokenStore
	if store == "" {
		store = path.Join(p.StateDir, ".env")
		a.Notes = append(a.Notes, tr(p.Lang, "auth.where", store, TokenEnv))
	} else {
		a.Notes = append(a.Notes, tr(p.Lang, "auth.where", store, TokenEnv), tr(p.Lang, "auth.where.ext", store))
	}
	if p.token == "" {
		b := make([]byte, 32)
		if err := p.opts.Rand(b); err != nil {
			a.Skipped = "crypto/rand: " + err.Error()
			return a
		}
		p.token = base64.RawURLEncoding.EncodeToString(b)
	}
	a.envSet = &envSet{file: store, key: TokenEnv, value: p.token}
	a.Changes = append(a.Changes, Change{Kind: "env", File: store, KeyPath: TokenEnv, Old: "(unset)", New: "<new 256-bit token, hidden>"})
	p.setKey(a, "gateway.auth.token", ref, `SecretRef{env:`+TokenEnv+`}`)
	return a
}

func (p *Plan) originsAction() *Action {
	arr := p.cfg.Get("gateway.controlUi.allowedOrigins")
	if arr == nil || arr.Kind != json5.Array {
		return nil
	}
	star := func(v *json5.Value) bool { s, ok := v.AsString(); return ok && strings.TrimSpace(s) == "*" }
	files := map[string]bool{}
	var keep []string
	for _, e := range arr.Elems {
		if star(e) {
			files[e.Pos.File] = true
		} else {
			keep = append(keep, showValue(e))
		}
	}
	if len(files) == 0 {
		return nil
	}
	a := p.newAction("gateway.controlUi.allowedOrigins", []string{"CG-GW-012"}, tr(p.Lang, "origins.summary"), tr(p.Lang, "origins.risk"), true)
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		data, err := p.readOrig(f)
		if err != nil {
			a.Skipped = tr(p.Lang, "skip.notobject", err.Error())
			return a
		}
		root, err := parseFile(f, data)
		if err != nil {
			a.Skipped = tr(p.Lang, "skip.notobject", err.Error())
			return a
		}
		// Find the array literal in this file that holds a wildcard.
		for _, e := range arr.Elems {
			if !star(e) || e.Pos.File != f {
				continue
			}
			ep, ok := pathAt(root, e.Pos.Offset, json5.String)
			if !ok || len(ep) == 0 {
				a.Skipped = tr(p.Lang, "skip.notobject", f)
				return a
			}
			a.edits = append(a.edits, fileEdit{file: f, op: dropOp{path: ep[:len(ep)-1], drop: star}})
			a.Changes = append(a.Changes, Change{Kind: "config", File: f, Line: e.Pos.Line, KeyPath: "gateway.controlUi.allowedOrigins", Old: p.show("gateway.controlUi.allowedOrigins"), New: "[" + strings.Join(keep, ", ") + "]"})
			break
		}
	}
	return a
}

func (p *Plan) terminalAction() *Action {
	if on, ok := p.cfg.Bool("gateway.terminal.enabled"); ok && !on {
		return nil
	}
	a := p.newAction("gateway.terminal.enabled", []string{"CG-GW-015"}, tr(p.Lang, "terminal.summary"), tr(p.Lang, "terminal.risk"), true)
	p.setKey(a, "gateway.terminal.enabled", false, "false")
	return a
}

func (p *Plan) pairingAction() *Action {
	if on, ok := p.cfg.Bool("gateway.nodes.pairing.autoApproveLocal"); ok && !on {
		return nil
	}
	a := p.newAction("gateway.nodes.pairing.autoApproveLocal", []string{"CG-GW-016"}, tr(p.Lang, "pairing.summary"), tr(p.Lang, "pairing.risk"), true)
	p.setKey(a, "gateway.nodes.pairing.autoApproveLocal", false, "false")
	return a
}

func (p *Plan) execAction() *Action {
	a := p.newAction("tools.exec.mode", []string{"CG-TL-001"}, tr(p.Lang, "exec.summary"), tr(p.Lang, "exec.risk"), false)
	mode, _ := p.cfg.String("tools.exec.mode")
	switch mode {
	case "ask", "allowlist", "deny":
	default:
		if mode == "" && (p.cfg.Get("tools.exec.security") != nil || p.cfg.Get("tools.exec.ask") != nil) {
			a.Skipped = tr(p.Lang, "exec.legacy")
			return a
		}
		p.setKey(a, "tools.exec.mode", "ask", `"ask"`)
	}
	// Agents that set full (or auto) trust themselves override the global
	// mode: they get "ask" too. Agents that set nothing inherit it.
	for _, ag := range openclaw.AgentEntries(p.cfg) {
		if ag.Key == "" || strings.Contains(ag.ID, ".") {
			continue
		}
		k := ag.Key + ".tools.exec.mode"
		if m, _ := p.cfg.String(k); m == "full" || m == "auto" {
			p.setKey(a, k, "ask", `"ask"`)
		}
	}
	if len(a.Changes) == 0 && a.Skipped == "" {
		return nil
	}
	return a
}

// dockerAvailable: a Docker socket or a docker command on the host.
func (p *Plan) dockerAvailable() bool {
	if p.opts.dockerCheck != nil {
		return p.opts.dockerCheck()
	}
	for _, s := range []string{"/var/run/docker.sock", "/run/docker.sock"} {
		if fi, err := os.Stat(p.hostPath(s)); err == nil && fi.Mode()&fs.ModeSocket != 0 {
			return true
		}
	}
	for _, d := range strings.Split(p.opts.Getenv("PATH"), ":") {
		if d == "" {
			continue
		}
		if fi, err := os.Stat(p.hostPath(path.Join(d, "docker"))); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return true
		}
	}
	return false
}

func (p *Plan) sandboxAction() *Action {
	mode, _ := p.cfg.String("agents.defaults.sandbox.mode")
	if mode == "non-main" || mode == "all" {
		return nil
	}
	if p.inContainer() {
		return nil // the gateway already runs isolated (as CG-SBX-001 says)
	}
	a := p.newAction("agents.defaults.sandbox.mode", []string{"CG-SBX-001"}, tr(p.Lang, "sandbox.summary"), tr(p.Lang, "sandbox.risk"), false)
	if !p.dockerAvailable() {
		a.Skipped = tr(p.Lang, "sandbox.nodocker")
		a.Changes = append(a.Changes, Change{Kind: "config", KeyPath: "agents.defaults.sandbox.mode", Old: p.show("agents.defaults.sandbox.mode"), New: `"non-main"`})
		return a
	}
	p.setKey(a, "agents.defaults.sandbox.mode", "non-main", `"non-main"`)
	return a
}

func (p *Plan) logLevelAction() *Action {
	level, _ := p.cfg.String("logging.level")
	switch strings.ToLower(level) {
	case "silent", "off", "none", "error", "fatal":
	default:
		return nil
	}
	a := p.newAction("logging.level", []string{"CG-LOG-001"}, tr(p.Lang, "loglevel.summary"), tr(p.Lang, "loglevel.risk"), false)
	p.setKey(a, "logging.level", "info", `"info"`)
	return a
}

func sharedTmp(s string) bool {
	c := path.Clean(s)
	for _, t := range []string{"/tmp", "/var/tmp", "/dev/shm"} {
		if c == t || strings.HasPrefix(c, t+"/") {
			return true
		}
	}
	return false
}

func (p *Plan) logFileAction() *Action {
	file, _ := p.cfg.String("logging.file")
	if file != "" && !sharedTmp(file) {
		return nil
	}
	target := path.Join(p.StateDir, "logs", "openclaw.log")
	if file == target {
		return nil // already there (a state dir under /tmp cannot do better)
	}
	a := p.newAction("logging.file", []string{"CG-LOG-002"}, tr(p.Lang, "logfile.summary", target), tr(p.Lang, "log.risk"), true)
	logs := path.Join(p.StateDir, "logs")
	if _, err := os.Stat(p.hostPath(logs)); errors.Is(err, fs.ErrNotExist) {
		a.mkdirs = append(a.mkdirs, logs)
		a.Changes = append(a.Changes, Change{Kind: "mkdir", File: logs, Old: "(absent)", New: "0700"})
	}
	p.setKey(a, "logging.file", target, strconv.Quote(target))
	return a
}

func (p *Plan) logAuditAction() *Action {
	if on, ok := p.cfg.Bool("logging.audit.enabled"); !ok || on {
		return nil
	}
	a := p.newAction("logging.audit.enabled", []string{"CG-LOG-004"}, tr(p.Lang, "logaudit.summary"), tr(p.Lang, "logaudit.risk"), false)
	p.setKey(a, "logging.audit.enabled", true, "true")
	return a
}

// dangerFlag is a switch that is only ever dangerous when set: fixing it
// means writing the safe value over an explicit dangerous one.
type dangerFlag struct {
	key     string
	check   string
	bad     bool // the dangerous value
	restart bool
	risk    string // text key
}

var dangerFlags = []dangerFlag{
	{"gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback", "CG-GW-013", true, true, "flag.risk.origin"},
	{"gateway.allowRealIpFallback", "CG-GW-008", true, true, "flag.risk.realip"},
	{"gateway.http.endpoints.chatCompletions.enabled", "CG-GW-017", true, true, "flag.risk.openai"},
	{"gateway.http.endpoints.responses.enabled", "CG-GW-017", true, true, "flag.risk.openai"},
	{"browser.ssrfPolicy.dangerouslyAllowPrivateNetwork", "CG-BRW-003", true, false, "flag.risk.ssrf"},
}

func (p *Plan) flagAction(f dangerFlag) *Action {
	if v, ok := p.cfg.Bool(f.key); !ok || v != f.bad {
		return nil
	}
	a := p.newAction(f.key, []string{f.check}, tr(p.Lang, "flag.summary", f.key, strconv.FormatBool(!f.bad)), tr(p.Lang, f.risk), f.restart)
	p.setKey(a, f.key, !f.bad, strconv.FormatBool(!f.bad))
	return a
}
