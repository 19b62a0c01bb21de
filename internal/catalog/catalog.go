// Package catalog holds clawgov's embedded, declarative knowledge: the 12
// controls of the MIIT/NVDB framework, the metadata of every check (titles,
// remediation and message templates in Chinese and English) and the
// profiles layered on top. Data goes raw -> compiled -> validated at load,
// so bad data fails in `go test`, never halfway through an audit. The
// parsing and validation run at build time (`go generate`); the binary
// embeds the compiled result.
package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/clawgov/clawgov/internal/finding"
)

// Lang is a report language.
type Lang string

// Supported languages.
const (
	EN Lang = "en"
	ZH Lang = "zh"
)

// ParseLang accepts "en", "zh" and locale strings such as "zh_CN.UTF-8".
func ParseLang(v string) (Lang, error) {
	l := strings.ToLower(strings.TrimSpace(v))
	switch {
	case l == "en" || strings.HasPrefix(l, "en_") || strings.HasPrefix(l, "en-"):
		return EN, nil
	case l == "zh" || strings.HasPrefix(l, "zh_") || strings.HasPrefix(l, "zh-"):
		return ZH, nil
	}
	return EN, fmt.Errorf("unsupported language %q (want zh or en)", v)
}

// LangFromEnv picks the report language from LC_ALL, LC_MESSAGES and LANG in
// the POSIX order of precedence; anything not Chinese is English.
func LangFromEnv(getenv func(string) string) Lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if l, err := ParseLang(v); err == nil {
				return l
			}
			return EN
		}
	}
	return EN
}

// Text is a string in both report languages. Both are required.
type Text struct {
	ZH string `yaml:"zh" json:"zh"`
	EN string `yaml:"en" json:"en"`
}

// Get returns the text in lang.
func (t Text) Get(l Lang) string {
	if l == ZH {
		return t.ZH
	}
	return t.EN
}

func (t Text) missing() string {
	switch {
	case strings.TrimSpace(t.ZH) == "" && strings.TrimSpace(t.EN) == "":
		return "zh and en"
	case strings.TrimSpace(t.ZH) == "":
		return "zh"
	case strings.TrimSpace(t.EN) == "":
		return "en"
	}
	return ""
}

// Framework identifies the government framework and its revision.
type Framework struct {
	ID        string `yaml:"id" json:"id"`
	Version   string `yaml:"version" json:"version"`
	Published string `yaml:"published" json:"published"`
	Title     Text   `yaml:"title" json:"title"`
	Issuer    Text   `yaml:"issuer" json:"issuer"`
	Source    string `yaml:"source" json:"source,omitempty"`
}

// Control is one of the 12 framework items.
type Control struct {
	ID          string   `yaml:"id"`
	Item        int      `yaml:"item"`
	Kind        string   `yaml:"kind"` // "do" (要) or "dont" (不要)
	Title       Text     `yaml:"title"`
	Description Text     `yaml:"description"`
	Checks      []string `yaml:"checks"`
	// ManualGuidance tells a person what to verify for the part of the
	// control no machine can decide. Its presence does not change the
	// roll-up; checks that need a person emit status manual themselves.
	ManualGuidance *Text `yaml:"manual_guidance,omitempty"`
}

// Check is the metadata of one check. The logic lives in Go, registered by
// ID in the engine package named by Engine.
type Check struct {
	ID          string           `yaml:"id"`
	Engine      string           `yaml:"engine"`
	Severity    finding.Severity `yaml:"severity"`
	Title       Text             `yaml:"title"`
	Description Text             `yaml:"description"`
	Remediation Text             `yaml:"remediation"`
	// Messages are templates for Finding.Message keyed by MessageKey; {name}
	// is replaced by the finding's Params[name].
	Messages   map[string]Text `yaml:"messages"`
	References []string        `yaml:"references,omitempty"`
	// OpenClawAuditIDs are the `openclaw security audit` checkIds this
	// check covers (used by the differential test and to import results).
	OpenClawAuditIDs []string `yaml:"openclaw_audit_ids,omitempty"`

	// Controls is derived at load from the framework: the controls that
	// list this check. Checks never name controls themselves.
	Controls []string `yaml:"-"`
	// Why is the reviewer-facing rationale of the mapping (mapping.yaml):
	// which clause of each listed control the check decides.
	Why string `yaml:"-"`
}

// Retired is a check ID no longer evaluated. IDs are stable forever, so a
// retired ID stays documented and is never reused. ReplacedBy, when set,
// names the check that now reports the same condition.
type Retired struct {
	ID         string `yaml:"id"`
	ReplacedBy string `yaml:"replaced_by,omitempty"`
	Title      Text   `yaml:"title"`
	Reason     Text   `yaml:"reason"`
}

// Profile adjusts the baseline for a sector or region.
type Profile struct {
	ID          string `yaml:"id"`
	Title       Text   `yaml:"title"`
	Description Text   `yaml:"description"`
	Extends     string `yaml:"extends,omitempty"`
	// WarnAsFail turns every warn into fail (stricter regulators).
	WarnAsFail bool `yaml:"warn_as_fail,omitempty"`
	// SeverityOverrides raise or lower the severity of named checks.
	SeverityOverrides map[string]finding.Severity `yaml:"severity_overrides,omitempty"`
	// Disabled lists check IDs a profile does not evaluate. A control whose
	// checks are all disabled reports manual, never pass.
	Disabled []string `yaml:"disabled,omitempty"`

	// Sector profiles add concrete requirements, each citing its legal or
	// standard source (see profile.go).
	Sources      []Source          `yaml:"sources,omitempty"`
	Requires     []Requirement     `yaml:"requires,omitempty"`
	Thresholds   Thresholds        `yaml:"thresholds,omitempty"`
	Attestations []AttestationItem `yaml:"attestations,omitempty"`

	// File is where a local profile was read from ("" when embedded);
	// Digest is the SHA-256 of the resolved profile chain, so a report
	// says exactly which policy judged it.
	File   string `yaml:"-"`
	Digest string `yaml:"-"`
	lines  map[string]int
	// MinVersion is the organisation's own OpenClaw baseline: at or above
	// it the "behind latest" check (CG-INS-009) passes, below it fails.
	// Empty keeps the official release table's latest stable as the bar.
	MinVersion string `yaml:"min_version,omitempty"`
}

// Catalog is the compiled, validated data.
type Catalog struct {
	Framework Framework
	Controls  []Control
	checks    map[string]*Check
	profiles  map[string]*Profile
	retired   []Retired
}

var (
	loadOnce sync.Once
	loaded   *Catalog
	loadErr  error
)

// Default returns the embedded catalog, decoded once on first use from
// the form compiled (and validated) at build time; see pack.go.
func Default() (*Catalog, error) {
	loadOnce.Do(func() { loaded, loadErr = unpack(packedCatalog) })
	return loaded, loadErr
}

// MustDefault is Default for callers (tests, init of tables) where the
// embedded data has already been validated by `go test`.
func MustDefault() *Catalog {
	c, err := Default()
	if err != nil {
		panic(err)
	}
	return c
}

type rawFramework struct {
	Framework Framework `yaml:"framework"`
	Controls  []Control `yaml:"controls"`
	Unmapped  []string  `yaml:"unmapped"`
	Retired   []Retired `yaml:"retired"`
}

type rawMapping struct {
	Why map[string]string `yaml:"why"`
}

func decodeStrict(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// Load reads framework.yaml, checks/*.yaml and profiles/*.yaml from fsys
// and validates them together.
func Load(fsys fs.FS) (*Catalog, error) {
	b, err := fs.ReadFile(fsys, "framework.yaml")
	if err != nil {
		return nil, fmt.Errorf("read framework: %w", err)
	}
	var rf rawFramework
	if err := decodeStrict(b, &rf); err != nil {
		return nil, fmt.Errorf("framework.yaml: %w", err)
	}
	c := &Catalog{Framework: rf.Framework, Controls: rf.Controls, checks: map[string]*Check{}, profiles: map[string]*Profile{}, retired: rf.Retired}
	var rm rawMapping
	if b, err := fs.ReadFile(fsys, "mapping.yaml"); err == nil {
		if err := decodeStrict(b, &rm); err != nil {
			return nil, fmt.Errorf("mapping.yaml: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read mapping: %w", err)
	}

	files, err := fs.Glob(fsys, "checks/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		var cs []*Check
		if err := decodeStrict(b, &cs); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, ch := range cs {
			if _, dup := c.checks[ch.ID]; dup {
				return nil, fmt.Errorf("%s: %s: duplicate check id", f, ch.ID)
			}
			c.checks[ch.ID] = ch
		}
	}

	pfiles, err := fs.Glob(fsys, "profiles/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, f := range pfiles {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		var p Profile
		if err := decodeStrict(b, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if want := strings.TrimSuffix(path.Base(f), ".yaml"); p.ID != want {
			return nil, fmt.Errorf("%s: profile id %q does not match file name", f, p.ID)
		}
		c.profiles[p.ID] = &p
	}
	for id, why := range rm.Why {
		ch, ok := c.checks[id]
		if !ok {
			return nil, fmt.Errorf("mapping.yaml: rationale for unknown check %s", id)
		}
		ch.Why = strings.TrimSpace(why)
	}
	if err := c.validate(rf.Unmapped); err != nil {
		return nil, err
	}
	return c, nil
}

var (
	checkIDRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^CG-[A-Z]{2,5}-[0-9]{3}$`) })
	controlIDs  = []string{"DO-1", "DO-2", "DO-3", "DO-4", "DO-5", "DO-6", "DONT-1", "DONT-2", "DONT-3", "DONT-4", "DONT-5", "DONT-6"}
	templateVar = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{([a-z_][a-z0-9_]*)\}`) })
	// minVersionRe accepts OpenClaw's calendar versions (2026.9.6, with an
	// optional -N or -beta.N suffix); the advisory package orders them.
	minVersionRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^v?[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,3}(-[0-9A-Za-z.]+)?$`)
	})
	engines = map[string]bool{"posture": true, "advisory": true, "install": true, "skills": true, "probe": true, "host": true}
)

func (c *Catalog) validate(unmapped []string) error {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }

	if c.Framework.ID == "" {
		add("framework: id is empty")
	}
	if m := c.Framework.Title.missing(); m != "" {
		add("framework: title: missing %s", m)
	}
	if len(c.Controls) != len(controlIDs) {
		add("framework: want %d controls, have %d", len(controlIDs), len(c.Controls))
	}
	seen := map[string]bool{}
	for i, ctl := range c.Controls {
		if i < len(controlIDs) && ctl.ID != controlIDs[i] {
			add("framework: control %d: id %q, want %q", i+1, ctl.ID, controlIDs[i])
		}
		if seen[ctl.ID] {
			add("%s: duplicate control id", ctl.ID)
		}
		seen[ctl.ID] = true
		if m := ctl.Title.missing(); m != "" {
			add("%s: title: missing %s", ctl.ID, m)
		}
		if m := ctl.Description.missing(); m != "" {
			add("%s: description: missing %s", ctl.ID, m)
		}
		if ctl.ManualGuidance != nil {
			if m := ctl.ManualGuidance.missing(); m != "" {
				add("%s: manual_guidance: missing %s", ctl.ID, m)
			}
		}
		if len(ctl.Checks) == 0 {
			add("%s: lists no checks", ctl.ID)
		}
		inCtl := map[string]bool{}
		for _, id := range ctl.Checks {
			if inCtl[id] {
				add("%s: check %s listed twice", ctl.ID, id)
			}
			inCtl[id] = true
			ch, ok := c.checks[id]
			if !ok {
				add("%s: references unknown check %s", ctl.ID, id)
				continue
			}
			ch.Controls = append(ch.Controls, ctl.ID)
		}
	}
	unm := map[string]bool{}
	for _, id := range unmapped {
		unm[id] = true
	}
	for _, id := range c.CheckIDs() {
		ch := c.checks[id]
		if !checkIDRe().MatchString(id) {
			add("%s: id does not match CG-<AREA>-NNN", id)
		}
		if !engines[ch.Engine] {
			add("%s: unknown engine %q", id, ch.Engine)
		}
		for name, t := range map[string]Text{"title": ch.Title, "description": ch.Description, "remediation": ch.Remediation} {
			if m := t.missing(); m != "" {
				add("%s: %s: missing %s", id, name, m)
			}
		}
		for key, t := range ch.Messages {
			if m := t.missing(); m != "" {
				add("%s: message %s: missing %s", id, key, m)
			}
			// A placeholder used in one language must exist in the other,
			// or one report would show a raw "{name}".
			if a, b := vars(t.EN), vars(t.ZH); a != b {
				add("%s: message %s: placeholders differ between en (%s) and zh (%s)", id, key, a, b)
			}
		}
		if len(ch.Controls) == 0 && !unm[id] {
			add("%s: not mapped to any control and not listed as unmapped", id)
		}
	}
	for _, r := range c.retired {
		if !checkIDRe().MatchString(r.ID) {
			add("retired %s: id does not match CG-<AREA>-NNN", r.ID)
		}
		if _, live := c.checks[r.ID]; live {
			add("retired %s: still defined as a check (retired IDs are never reused)", r.ID)
		}
		if r.ReplacedBy != "" {
			if _, ok := c.checks[r.ReplacedBy]; !ok {
				add("retired %s: replaced_by unknown check %s", r.ID, r.ReplacedBy)
			}
		}
		for name, t := range map[string]Text{"title": r.Title, "reason": r.Reason} {
			if m := t.missing(); m != "" {
				add("retired %s: %s: missing %s", r.ID, name, m)
			}
		}
		for _, ctl := range c.Controls {
			for _, id := range ctl.Checks {
				if id == r.ID {
					add("%s: lists retired check %s", ctl.ID, r.ID)
				}
			}
		}
	}
	for id, p := range c.profiles {
		if p.MinVersion != "" && !minVersionRe().MatchString(p.MinVersion) {
			add("profile %s: min_version %q is not a release version (YYYY.M.D)", id, p.MinVersion)
		}
		errs = append(errs, c.profileProblems(p)...)
	}
	errs = append(errs, c.profileCycles()...)
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("catalog invalid:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

func vars(s string) string {
	m := templateVar().FindAllStringSubmatch(s, -1)
	names := make([]string, 0, len(m))
	for _, x := range m {
		names = append(names, x[1])
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// Check returns the metadata of id.
func (c *Catalog) Check(id string) (*Check, bool) {
	ch, ok := c.checks[id]
	return ch, ok
}

// Retired returns the retired check IDs in catalog order.
func (c *Catalog) Retired() []Retired {
	return append([]Retired(nil), c.retired...)
}

// Canonical maps a retired check ID to the check that replaced it, so a
// profile or an --only list written before the retirement keeps working.
// Any other ID is returned unchanged.
func (c *Catalog) Canonical(id string) string {
	for _, r := range c.retired {
		if r.ID == id && r.ReplacedBy != "" {
			return r.ReplacedBy
		}
	}
	return id
}

// CheckIDs returns every check ID, sorted.
func (c *Catalog) CheckIDs() []string {
	ids := make([]string, 0, len(c.checks))
	for id := range c.checks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ChecksByEngine returns the IDs of the checks an engine must implement.
func (c *Catalog) ChecksByEngine(engine string) []string {
	var ids []string
	for _, id := range c.CheckIDs() {
		if c.checks[id].Engine == engine {
			ids = append(ids, id)
		}
	}
	return ids
}

// Control returns the control with id.
func (c *Catalog) Control(id string) (*Control, bool) {
	for i := range c.Controls {
		if c.Controls[i].ID == id {
			return &c.Controls[i], true
		}
	}
	return nil, false
}

// ProfileIDs returns every profile ID, sorted.
func (c *Catalog) ProfileIDs() []string {
	ids := make([]string, 0, len(c.profiles))
	for id := range c.profiles {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Render fills a message template with params. Unknown placeholders are
// left visible so a missing parameter shows up in golden tests.
func Render(tmpl string, params map[string]string) string {
	return templateVar().ReplaceAllStringFunc(tmpl, func(m string) string {
		if v, ok := params[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}
