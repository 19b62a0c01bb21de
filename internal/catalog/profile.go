package catalog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/clawgov/clawgov/internal/finding"
)

// Source is a law, standard or notice a profile's requirements cite.
type Source struct {
	ID    string `yaml:"id" json:"id"`
	Title Text   `yaml:"title" json:"title"`
	URL   string `yaml:"url,omitempty" json:"url,omitempty"`
}

// Requirement makes a check mandatory: the check must be evaluated and
// pass. Anything else (warn, manual, error, skip) fails it, because a
// regulator's "must" is not satisfied by "could not tell".
type Requirement struct {
	Check  string `yaml:"check" json:"check"`
	Source string `yaml:"source" json:"source"`
	Reason Text   `yaml:"reason" json:"reason"`
}

// Thresholds tune checks that compare against a number. Unset fields keep
// the check's own default.
type Thresholds struct {
	// LogRetentionDays is how long logs must be kept (CG-LOG-009).
	LogRetentionDays int `yaml:"log_retention_days,omitempty" json:"log_retention_days,omitempty"`
	// MaxDaysBehind and MaxReleasesBehind turn "behind latest" into a
	// failure (CG-INS-009).
	MaxDaysBehind     int `yaml:"max_days_behind,omitempty" json:"max_days_behind,omitempty"`
	MaxReleasesBehind int `yaml:"max_releases_behind,omitempty" json:"max_releases_behind,omitempty"`
}

// AttestationItem is a requirement no machine can check: it reports
// manual with guidance until a person attests it in clawgov.yaml.
type AttestationItem struct {
	ID       string `yaml:"id" json:"id"`
	Control  string `yaml:"control" json:"control"`
	Title    Text   `yaml:"title" json:"title"`
	Guidance Text   `yaml:"guidance" json:"guidance"`
	Source   string `yaml:"source" json:"source"`
}

var (
	profileIDRe     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,63}$`) })
	attestationIDRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^ATT-[A-Z0-9]+-[0-9]{3}$`) })
)

// maxExtendsDepth bounds profile chains; deeper is a design smell and
// most likely a cycle.
const maxExtendsDepth = 8

// Profile resolves a profile by ID with its ancestors applied, the child
// winning on conflicts: severities, requirements and attestations by ID,
// thresholds field by field.
func (c *Catalog) Profile(id string) (*Profile, error) {
	p, ok := c.profiles[id]
	if !ok {
		return nil, fmt.Errorf("unknown profile %q (have %s)", id, strings.Join(c.ProfileIDs(), ", "))
	}
	chain := []*Profile{}
	for cur, depth := p, 0; cur != nil; depth++ {
		if depth >= maxExtendsDepth {
			return nil, fmt.Errorf("profile %s: extends chain deeper than %d (cycle?)", id, maxExtendsDepth)
		}
		chain = append([]*Profile{cur}, chain...)
		if cur.Extends == "" {
			break
		}
		next, ok := c.profiles[cur.Extends]
		if !ok {
			return nil, fmt.Errorf("profile %s: extends unknown profile %s", cur.ID, cur.Extends)
		}
		cur = next
	}
	out := &Profile{ID: p.ID, Title: p.Title, Description: p.Description, Extends: p.Extends, File: p.File,
		SeverityOverrides: map[string]finding.Severity{}}
	dis := map[string]bool{}
	req := map[string]Requirement{}
	att := map[string]AttestationItem{}
	src := map[string]Source{}
	for _, q := range chain {
		out.WarnAsFail = out.WarnAsFail || q.WarnAsFail
		if q.MinVersion != "" {
			out.MinVersion = q.MinVersion
		}
		for k, v := range q.SeverityOverrides {
			out.SeverityOverrides[c.Canonical(k)] = v
		}
		for _, d := range q.Disabled {
			dis[c.Canonical(d)] = true
		}
		for _, r := range q.Requires {
			r.Check = c.Canonical(r.Check)
			req[r.Check] = r
		}
		for _, a := range q.Attestations {
			att[a.ID] = a
		}
		for _, s := range q.Sources {
			src[s.ID] = s
		}
		if q.Thresholds.LogRetentionDays != 0 {
			out.Thresholds.LogRetentionDays = q.Thresholds.LogRetentionDays
		}
		if q.Thresholds.MaxDaysBehind != 0 {
			out.Thresholds.MaxDaysBehind = q.Thresholds.MaxDaysBehind
		}
		if q.Thresholds.MaxReleasesBehind != 0 {
			out.Thresholds.MaxReleasesBehind = q.Thresholds.MaxReleasesBehind
		}
	}
	for d := range dis {
		out.Disabled = append(out.Disabled, d)
	}
	sort.Strings(out.Disabled)
	for _, r := range req {
		out.Requires = append(out.Requires, r)
	}
	sort.Slice(out.Requires, func(i, j int) bool { return out.Requires[i].Check < out.Requires[j].Check })
	for _, a := range att {
		out.Attestations = append(out.Attestations, a)
	}
	sort.Slice(out.Attestations, func(i, j int) bool { return out.Attestations[i].ID < out.Attestations[j].ID })
	for _, s := range src {
		out.Sources = append(out.Sources, s)
	}
	sort.Slice(out.Sources, func(i, j int) bool { return out.Sources[i].ID < out.Sources[j].ID })
	b, _ := json.Marshal(struct {
		P     *Profile
		Chain []string
	}{out, chainIDs(chain)})
	sum := sha256.Sum256(b)
	out.Digest = hex.EncodeToString(sum[:])[:16]
	return out, nil
}

func chainIDs(chain []*Profile) []string {
	ids := make([]string, len(chain))
	for i, p := range chain {
		ids[i] = p.ID
	}
	return ids
}

// Required reports whether the resolved profile makes check id mandatory.
func (p *Profile) Required(id string) (Requirement, bool) {
	for _, r := range p.Requires {
		if r.Check == id {
			return r, true
		}
	}
	return Requirement{}, false
}

// SourceTitle returns the title of a cited source in lang, or the ID.
func (p *Profile) SourceTitle(id string, lang Lang) string {
	for _, s := range p.Sources {
		if s.ID == id {
			return s.Title.Get(lang)
		}
	}
	return id
}

func (c *Catalog) where(p *Profile, key string) string {
	if p.File == "" {
		return "profile " + p.ID
	}
	if l, ok := p.lines[key]; ok {
		return p.File + ":" + strconv.Itoa(l)
	}
	return p.File
}

// profileProblems validates one profile against the catalog.
func (c *Catalog) profileProblems(p *Profile) []string {
	var errs []string
	add := func(key, format string, a ...any) {
		errs = append(errs, c.where(p, key)+": "+fmt.Sprintf(format, a...))
	}
	if !profileIDRe().MatchString(p.ID) {
		add("id", "profile id %q: use lowercase letters, digits, '.' and '-'", p.ID)
	}
	if m := p.Title.missing(); m != "" {
		add("title", "profile %s: title: missing %s", p.ID, m)
	}
	if p.Extends != "" {
		if _, ok := c.profiles[p.Extends]; !ok {
			add("extends", "profile %s: extends unknown profile %s", p.ID, p.Extends)
		}
	}
	for cid := range p.SeverityOverrides {
		if _, ok := c.checks[c.Canonical(cid)]; !ok {
			add("severity_overrides."+cid, "profile %s: severity override for unknown check %s", p.ID, cid)
		}
	}
	for _, cid := range p.Disabled {
		if _, ok := c.checks[c.Canonical(cid)]; !ok {
			add("disabled", "profile %s: disables unknown check %s", p.ID, cid)
		}
	}
	srcs := map[string]bool{}
	for i, s := range p.Sources {
		if s.ID == "" || s.Title.missing() != "" {
			add("sources["+strconv.Itoa(i)+"]", "profile %s: sources[%d]: needs id and title in zh and en", p.ID, i)
		}
		srcs[s.ID] = true
	}
	// A requirement may cite a source declared by an ancestor.
	cited := c.inheritedSources(p, srcs)
	seenReq := map[string]bool{}
	for i, r := range p.Requires {
		key := "requires[" + strconv.Itoa(i) + "]"
		if _, ok := c.checks[r.Check]; !ok {
			add(key, "profile %s: requires unknown check %q", p.ID, r.Check)
		}
		if seenReq[r.Check] {
			add(key, "profile %s: requires %s twice", p.ID, r.Check)
		}
		seenReq[r.Check] = true
		if !cited[r.Source] {
			add(key, "profile %s: requires %s: source %q is not declared under sources", p.ID, r.Check, r.Source)
		}
		if r.Reason.missing() != "" {
			add(key, "profile %s: requires %s: reason needs zh and en", p.ID, r.Check)
		}
	}
	t := p.Thresholds
	for name, v := range map[string]int{"log_retention_days": t.LogRetentionDays, "max_days_behind": t.MaxDaysBehind, "max_releases_behind": t.MaxReleasesBehind} {
		if v < 0 || v > 36500 {
			add("thresholds."+name, "profile %s: thresholds.%s: %d out of range (1..36500)", p.ID, name, v)
		}
	}
	ctl := map[string]bool{}
	for _, c := range controlIDs {
		ctl[c] = true
	}
	seenAtt := map[string]bool{}
	for i, a := range p.Attestations {
		key := "attestations[" + strconv.Itoa(i) + "]"
		if !attestationIDRe().MatchString(a.ID) {
			add(key, "profile %s: attestation id %q: want ATT-<AREA>-NNN", p.ID, a.ID)
		}
		if seenAtt[a.ID] {
			add(key, "profile %s: attestation %s declared twice", p.ID, a.ID)
		}
		seenAtt[a.ID] = true
		if !ctl[a.Control] {
			add(key, "profile %s: attestation %s: unknown control %q", p.ID, a.ID, a.Control)
		}
		if a.Title.missing() != "" || a.Guidance.missing() != "" {
			add(key, "profile %s: attestation %s: title and guidance need zh and en", p.ID, a.ID)
		}
		if !cited[a.Source] {
			add(key, "profile %s: attestation %s: source %q is not declared under sources", p.ID, a.ID, a.Source)
		}
	}
	return errs
}

func (c *Catalog) inheritedSources(p *Profile, own map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range own {
		out[k] = true
	}
	cur := c.profiles[p.Extends]
	for depth := 0; cur != nil && depth < maxExtendsDepth; depth++ {
		for _, s := range cur.Sources {
			out[s.ID] = true
		}
		cur = c.profiles[cur.Extends]
	}
	return out
}

// profileCycles reports every profile whose extends chain loops.
func (c *Catalog) profileCycles() []string {
	var errs []string
	for _, id := range c.ProfileIDs() {
		seen := map[string]bool{}
		path := []string{}
		for cur := c.profiles[id]; cur != nil; cur = c.profiles[cur.Extends] {
			if seen[cur.ID] {
				p := c.profiles[id]
				errs = append(errs, c.where(p, "extends")+": profile "+id+": extends cycle "+strings.Join(append(path, cur.ID), " -> "))
				break
			}
			seen[cur.ID] = true
			path = append(path, cur.ID)
		}
	}
	return errs
}

// WithProfileFiles returns a copy of the catalog with the local profile
// files added (clawgov.yaml `profiles:`). A local profile may extend an
// embedded one or another local one, and may not reuse an embedded ID: a
// file silently replacing the national baseline would be a quiet way to
// pass an audit. Errors name the file and line.
func (c *Catalog) WithProfileFiles(paths []string) (*Catalog, error) {
	if len(paths) == 0 {
		return c, nil
	}
	out := *c
	out.profiles = make(map[string]*Profile, len(c.profiles)+len(paths))
	for k, v := range c.profiles {
		out.profiles[k] = v
	}
	var local []*Profile
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read profile %s: %w", path, err)
		}
		p, err := decodeProfile(path, b)
		if err != nil {
			return nil, err
		}
		if prev, dup := out.profiles[p.ID]; dup {
			where := "the embedded profiles"
			if prev.File != "" {
				where = prev.File
			}
			return nil, fmt.Errorf("%s:%d: profile %s is already defined in %s", path, p.lines["id"], p.ID, where)
		}
		out.profiles[p.ID] = p
		local = append(local, p)
	}
	var errs []string
	for _, p := range local {
		errs = append(errs, out.profileProblems(p)...)
	}
	errs = append(errs, out.profileCycles()...)
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return &out, nil
}

func decodeProfile(path string, b []byte) (*Profile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
		return nil, fmt.Errorf("%s: %s", path, strings.TrimSpace(strings.SplitN(msg, "\n", 2)[0]))
	}
	p.File = path
	p.lines = map[string]int{}
	if len(doc.Content) > 0 {
		profileLines(doc.Content[0], "", p.lines)
	}
	return &p, nil
}

func profileLines(n *yaml.Node, prefix string, out map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			out[k] = n.Content[i].Line
			profileLines(n.Content[i+1], k, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			k := prefix + "[" + strconv.Itoa(i) + "]"
			out[k] = c.Line
			profileLines(c, k, out)
		}
	}
}
