// Package skillscan vets OpenClaw skills (and plugin folders) before and
// after install. It reads skill folders, single SKILL.md files and
// .zip/.tgz/.tar.gz archives without ever executing anything from them,
// normalises the text (NFKC, hidden characters removed), decodes obfuscated
// payloads recursively within limits, runs the embedded RE2 rule set and
// indicator list, and turns the matches into a per-skill verdict
// (malicious / suspicious / clean) whose score is explained by the matches.
//
// It also knows the ClawHub provenance records (.clawhub/origin.json,
// lock.json) and computes OpenClaw's fileTreeSha256 so the audit can tell a
// skill modified after install from the one ClawHub served.
package skillscan

import (
	"bytes"
	"embed"
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

//go:embed rules/*.yaml
var rulesFS embed.FS

// Categories a rule may belong to. The list is closed so a typo in a rule
// file fails at load instead of silently creating a new category.
var Categories = []string{
	"download-and-execute",
	"password-archive",
	"credential-prompt",
	"obfuscation",
	"reverse-shell",
	"exfiltration",
	"persistence",
	"wallet-browser-theft",
	"openclaw-credentials",
	"prompt-injection",
	"hidden-text",
	"fake-installer",
	"indicator",
	"dangerous-code",
	"packaging",
	"agent-tamper",
	"resource-abuse",
	"credential-harvest",
}

// Text is a string in Chinese and English (both required).
type Text struct {
	ZH string `yaml:"zh" json:"zh"`
	EN string `yaml:"en" json:"en"`
}

// Get returns the text in lang ("zh" or anything else for English).
func (t Text) Get(lang string) string {
	if lang == "zh" {
		return t.ZH
	}
	return t.EN
}

// Examples are strings a rule must and must not match.
type Examples struct {
	Match   []string `yaml:"match"`
	NoMatch []string `yaml:"nomatch"`
}

// rawRule is a rule as written in YAML.
type rawRule struct {
	ID       string           `yaml:"id"`
	Title    Text             `yaml:"title"`
	Severity finding.Severity `yaml:"severity"`
	Category string           `yaml:"category"`
	// Files are globs matched against the file's path inside the skill and
	// against its base name; empty means every file.
	Files []string `yaml:"files"`
	// Keywords are literals; the rule only runs on text containing one
	// (case-insensitive).
	Keywords []string `yaml:"keywords"`
	// Prefilter "nonascii" runs the rule only on text with non-ASCII
	// bytes; used by the Unicode rules whose trigger is not a literal.
	Prefilter string `yaml:"prefilter"`
	// Raw rules run on the text before Unicode normalisation (hidden
	// characters are only visible there).
	Raw     bool   `yaml:"raw"`
	Pattern string `yaml:"pattern"`
	// Exclude drops a match whose matched text it matches (RE2 has no
	// lookaround; this is how a rule says "but not 127.0.0.1").
	Exclude string `yaml:"exclude"`
	// Span bounds how far a multi-line match reaches from its keyword,
	// in bytes either side (default winMulti). Prose rules whose
	// sentences wrap over lines but stay short set it so the pattern runs
	// on a few hundred bytes per hit instead of a few kilobytes.
	Span     int      `yaml:"span"`
	Group    int      `yaml:"group"`
	Notes    string   `yaml:"notes"`
	Examples Examples `yaml:"examples"`
}

type rawFile struct {
	Rules []rawRule `yaml:"rules"`
}

// Rule is a compiled, validated detection rule.
type Rule struct {
	ID       string
	Title    Text
	Severity finding.Severity
	Category string
	Files    []string
	Keywords []string
	NonASCII bool
	// Classes are the character classes (normalize.go) that must occur
	// for a Unicode rule to run.
	Classes uint8
	Raw     bool
	// Multiline is set for (?s) patterns, whose matches may span lines.
	Multiline bool
	Re        *regexp.Regexp
	// Fast is Re with long bounded repetitions ({0,300}) turned into
	// unbounded ones: it accepts a superset of Re, compiles to a program
	// a tenth the size, and so lets Go use its backtracker on a keyword
	// window. A window Fast does not match cannot hold a match of Re.
	Fast      *regexp.Regexp
	Exclude   *regexp.Regexp
	Span      int
	Group     int
	Examples  Examples
	SourceYML string
}

// appliesTo reports whether the rule's file globs admit rel (the path
// inside the skill, slash-separated).
func (r *Rule) appliesTo(rel string) bool {
	if len(r.Files) == 0 {
		return true
	}
	base := path.Base(rel)
	lrel, lbase := strings.ToLower(rel), strings.ToLower(base)
	for _, g := range r.Files {
		if g == "*" || g == "**" {
			return true
		}
		if ok, _ := path.Match(g, lbase); ok {
			return true
		}
		if ok, _ := path.Match(g, lrel); ok {
			return true
		}
	}
	return false
}

// RuleSet is the compiled rule table plus the keyword automaton.
type RuleSet struct {
	Rules []*Rule
	byID  map[string]*Rule
	// kw is one automaton over every rule's keywords; kwRules[i] lists the
	// rules keyword i enables.
	kw      *matcher
	kwRules [][]int
	// ruleKws[r] lists the keyword indices of rule r.
	ruleKws  [][]int
	nonASCII []int
}

var (
	ruleIDRe      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^OC-SKL-[0-9]{3}$`) })
	defaultOnce   sync.Once
	defaultRules  *RuleSet
	defaultRulesE error
)

// DefaultRules returns the embedded rule set, compiled once.
func DefaultRules() (*RuleSet, error) {
	defaultOnce.Do(func() {
		sub, err := fs.Sub(rulesFS, "rules")
		if err != nil {
			defaultRulesE = err
			return
		}
		defaultRules, defaultRulesE = LoadRules(sub)
	})
	return defaultRules, defaultRulesE
}

// LoadRules reads every *.yaml in fsys (except indicators.yaml, which is
// data, not rules) and compiles and validates the rules.
func LoadRules(fsys fs.FS) (*RuleSet, error) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var raws []rawRule
	var srcs []string
	for _, f := range files {
		if f == "indicators.yaml" {
			continue
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read rules %s: %w", f, err)
		}
		var rf rawFile
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&rf); err != nil {
			return nil, fmt.Errorf("rules %s: %w", f, err)
		}
		for _, r := range rf.Rules {
			raws = append(raws, r)
			srcs = append(srcs, f)
		}
	}
	return compileRules(raws, srcs)
}

func compileRules(raws []rawRule, srcs []string) (*RuleSet, error) {
	cats := map[string]bool{}
	for _, c := range Categories {
		cats[c] = true
	}
	rs := &RuleSet{byID: map[string]*Rule{}}
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	for i, raw := range raws {
		where := fmt.Sprintf("%s: %s", srcs[i], raw.ID)
		if !ruleIDRe().MatchString(raw.ID) {
			add("%s: id does not match OC-SKL-NNN", where)
		}
		if _, dup := rs.byID[raw.ID]; dup {
			add("%s: duplicate rule id", where)
			continue
		}
		if strings.TrimSpace(raw.Title.ZH) == "" || strings.TrimSpace(raw.Title.EN) == "" {
			add("%s: title needs zh and en", where)
		}
		if !cats[raw.Category] {
			add("%s: unknown category %q", where, raw.Category)
		}
		for _, g := range raw.Files {
			if _, err := path.Match(g, "x"); err != nil {
				add("%s: bad file glob %q: %v", where, g, err)
			}
		}
		if _, ok := prefilterClasses[raw.Prefilter]; raw.Prefilter != "" && !ok {
			add("%s: unknown prefilter %q", where, raw.Prefilter)
		}
		re, err := regexp.Compile(raw.Pattern)
		if err != nil || raw.Pattern == "" {
			add("%s: pattern: %v", where, err)
			continue
		}
		var ex *regexp.Regexp
		if raw.Exclude != "" {
			if ex, err = regexp.Compile(raw.Exclude); err != nil {
				add("%s: exclude: %v", where, err)
				continue
			}
		}
		if raw.Span < 0 || raw.Span > winMulti {
			add("%s: span %d outside 0..%d", where, raw.Span, winMulti)
		}
		if raw.Group < 0 || raw.Group > re.NumSubexp() {
			add("%s: group %d out of range", where, raw.Group)
		}
		if len(raw.Examples.Match) == 0 || len(raw.Examples.NoMatch) == 0 {
			add("%s: needs at least one match and one nomatch example", where)
		}
		r := &Rule{
			ID: raw.ID, Title: raw.Title, Severity: raw.Severity, Category: raw.Category,
			Files: raw.Files, NonASCII: raw.Prefilter != "", Classes: prefilterClasses[raw.Prefilter], Raw: raw.Raw,
			Multiline: strings.Contains(raw.Pattern, "(?s") || strings.Contains(raw.Pattern, "(?is") || strings.Contains(raw.Pattern, "(?si") || strings.Contains(raw.Pattern, `\n`),
			Re:        re, Exclude: ex, Span: raw.Span, Group: raw.Group, Examples: raw.Examples, SourceYML: srcs[i],
		}
		r.Files = make([]string, len(raw.Files))
		for j, g := range raw.Files {
			r.Files[j] = strings.ToLower(g)
		}
		for _, k := range raw.Keywords {
			k = strings.ToLower(k)
			if k == "" {
				add("%s: empty keyword", where)
				continue
			}
			r.Keywords = append(r.Keywords, k)
		}
		if len(r.Keywords) == 0 && !r.NonASCII {
			add("%s: needs keywords or prefilter nonascii (a rule without a prefilter runs on every byte)", where)
		}
		rs.byID[r.ID] = r
		rs.Rules = append(rs.Rules, r)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("skill rules invalid:\n  %s", strings.Join(errs, "\n  "))
	}
	sort.Slice(rs.Rules, func(i, j int) bool { return rs.Rules[i].ID < rs.Rules[j].ID })
	var kws []string
	kwIndex := map[string]int{}
	rs.ruleKws = make([][]int, len(rs.Rules))
	for ri, r := range rs.Rules {
		if r.NonASCII && len(r.Keywords) == 0 {
			rs.nonASCII = append(rs.nonASCII, ri)
			continue
		}
		for _, k := range r.Keywords {
			ki, ok := kwIndex[k]
			if !ok {
				ki = len(kws)
				kwIndex[k] = ki
				kws = append(kws, k)
				rs.kwRules = append(rs.kwRules, nil)
			}
			rs.kwRules[ki] = append(rs.kwRules[ki], ri)
			rs.ruleKws[ri] = append(rs.ruleKws[ri], ki)
		}
	}
	rs.kw = newMatcher(kws)
	return rs, nil
}

// Rule returns the rule with id.
func (rs *RuleSet) Rule(id string) (*Rule, bool) {
	r, ok := rs.byID[id]
	return r, ok
}
