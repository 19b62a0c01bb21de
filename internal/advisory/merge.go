package advisory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// OSVRecord is the part of an OSV record (schema 1.x) the database keeps.
// Unknown fields are ignored: OSV grows, and the record's prose (details) is
// deliberately not copied.
type OSVRecord struct {
	SchemaVersion string   `json:"schema_version"`
	ID            string   `json:"id"`
	Modified      string   `json:"modified"`
	Published     string   `json:"published"`
	Withdrawn     string   `json:"withdrawn"`
	Aliases       []string `json:"aliases"`
	Summary       string   `json:"summary"`
	Severity      []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
	References []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"references"`
	DatabaseSpecific struct {
		CWEIDs   []string `json:"cwe_ids"`
		Severity string   `json:"severity"`
	} `json:"database_specific"`
}

var osvIDRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z][A-Z0-9]*-[0-9A-Za-z-]{4,60}$`) })

// ParseOSV decodes one OSV record and checks the fields the database relies
// on, so a garbage file is refused with a reason rather than half-imported.
func ParseOSV(b []byte) (*OSVRecord, error) {
	var r OSVRecord
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("not an OSV record: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not an OSV record: trailing data after the JSON object")
	}
	if !osvIDRe().MatchString(r.ID) {
		return nil, fmt.Errorf("not an OSV record: bad or missing id %q", truncate(r.ID, 40))
	}
	if r.Modified == "" {
		return nil, fmt.Errorf("OSV record %s: missing modified", r.ID)
	}
	if len(r.Affected) == 0 && r.Withdrawn == "" {
		return nil, fmt.Errorf("OSV record %s: no affected packages", r.ID)
	}
	for _, af := range r.Affected {
		if af.Package.Name == "" {
			return nil, fmt.Errorf("OSV record %s: affected entry without a package name", r.ID)
		}
		for _, rg := range af.Ranges {
			for _, ev := range rg.Events {
				for k, v := range ev {
					if k != "introduced" && k != "fixed" && k != "last_affected" && k != "limit" {
						return nil, fmt.Errorf("OSV record %s: unknown range event %q", r.ID, k)
					}
					if v != "0" && k != "limit" {
						if _, err := ParseVersion(v); err != nil {
							return nil, fmt.Errorf("OSV record %s: %s %s: %w", r.ID, af.Package.Name, k, err)
						}
					}
				}
			}
		}
	}
	return &r, nil
}

// SeedRecord is one record of openclaw-advisories-seed.json (the research
// seed compiled from public CVE trackers).
type SeedRecord struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Summary  *string  `json:"summary"`
	Severity *string  `json:"severity"`
	CVSS     struct {
		Score   *float64 `json:"score"`
		Version *string  `json:"version"`
		Vector  *string  `json:"vector"`
	} `json:"cvss"`
	CWE      []string `json:"cwe"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
	Published  string `json:"published"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
	DetailsLevel string `json:"details_level"`
	GHSAKind     string `json:"ghsa_kind"`
	ProductNote  string `json:"product_note"`
}

// PartialRecord is one entry of osv-partial.json: a seed record with no
// full OSV file, and why.
type PartialRecord struct {
	Seed             SeedRecord `json:"seed_record"`
	CollectionStatus string     `json:"collection_status"`
}

// Tags maps a tag to advisory IDs (any ID or alias).
type Tags map[string][]string

// ParseTags reads tags.json (keys starting with "_" are comments).
func ParseTags(b []byte) (Tags, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("decode tags: %w", err)
	}
	t := Tags{}
	for k, v := range raw {
		if strings.HasPrefix(k, "_") {
			continue
		}
		var ids []string
		if err := json.Unmarshal(v, &ids); err != nil {
			return nil, fmt.Errorf("tags %s: %w", k, err)
		}
		t[k] = ids
	}
	return t, nil
}

// Builder merges advisories from several sources. Facts are merged per
// advisory (grouped by any shared ID or alias); for each fact the fuller
// value wins, and on a tie the source added with wins=true.
type Builder struct {
	advs []*Advisory
	byID map[string]*Advisory
	// Conflicts records groups that had to be joined (two records sharing
	// an alias), for the generator to print.
	Conflicts []string
}

// NewBuilder starts an empty merge.
func NewBuilder() *Builder { return &Builder{byID: map[string]*Advisory{}} }

// AddDB seeds the builder with an existing database (e.g. the embedded one
// before applying an update), keeping its provenance.
func (b *Builder) AddDB(db *DB) {
	db.materialize()
	for _, a := range db.Advisories {
		c := cloneAdvisory(a)
		b.add(&c, "", false)
	}
}

// AddSeed adds a seed record. detailNote carries extra caveats (collection
// status from osv-partial.json).
func (b *Builder) AddSeed(r SeedRecord, notes ...string) error {
	src := "seed:" + r.ID
	a := &Advisory{ID: canonID(r.ID), Detail: r.DetailsLevel, Published: r.Published, Provenance: map[string]string{}}
	if a.ID == "" {
		return fmt.Errorf("seed record without id")
	}
	for _, al := range r.Aliases {
		a.Aliases = append(a.Aliases, canonID(al))
	}
	if r.Summary != nil {
		a.Summary = strings.TrimSpace(*r.Summary)
	}
	if r.CVSS.Vector != nil && *r.CVSS.Vector != "" {
		a.CVSS = &CVSS{Vector: *r.CVSS.Vector}
		if r.CVSS.Version != nil {
			a.CVSS.Version = *r.CVSS.Version
		}
	}
	if r.CVSS.Score != nil && *r.CVSS.Score > 0 {
		if a.CVSS == nil {
			a.CVSS = &CVSS{}
		}
		a.CVSS.Score = *r.CVSS.Score
	}
	if r.Severity != nil {
		a.Severity = normSeverity(*r.Severity)
	}
	a.CWE = append(a.CWE, r.CWE...)
	if r.GHSAKind == "duplicate" {
		a.Withdrawn = "duplicate advisory (seed)"
	}
	if r.ProductNote != "" {
		notes = append(notes, "product: "+r.ProductNote)
	}
	for _, af := range r.Affected {
		e := Affected{Package: af.Package.Name, RangeKnown: true}
		bounded := false
		for _, rg := range af.Ranges {
			iv, err := eventsToIntervals(rg.Events)
			if err != nil {
				return fmt.Errorf("seed %s: %s: %w", r.ID, e.Package, err)
			}
			for _, x := range iv {
				if x.Fixed != "" || x.LastAffected != "" || (x.Introduced != "" && x.Introduced != "0") {
					bounded = true
				}
			}
			e.Ranges = append(e.Ranges, iv...)
		}
		// The seed writes "introduced 0" with no end when the fixed
		// version was never captured: that is "unknown", not "every
		// version" (reading it as every version is how peer tools report
		// hundreds of bogus vulnerabilities). The same goes for records
		// whose product is not verified to be the npm package.
		if !bounded || r.ProductNote != "" {
			e.RangeKnown = false
			e.Ranges = nil
		}
		a.Affected = append(a.Affected, e)
	}
	for _, ref := range r.References {
		a.References = append(a.References, ref.URL)
	}
	a.Notes = notes
	setAllProvenance(a, src)
	b.add(a, src, false)
	return nil
}

// AddOSV adds a full OSV record; src names it ("osv:GHSA-….json").
// OSV facts win ties over seed facts.
func (b *Builder) AddOSV(r *OSVRecord, src string) error {
	a := &Advisory{ID: canonID(r.ID), Summary: strings.TrimSpace(r.Summary), Published: r.Published, Modified: r.Modified, Withdrawn: r.Withdrawn, Detail: "osv", Provenance: map[string]string{}}
	for _, al := range r.Aliases {
		a.Aliases = append(a.Aliases, canonID(al))
	}
	for _, s := range r.Severity {
		if strings.HasPrefix(s.Score, "CVSS:") {
			ver := strings.TrimPrefix(strings.SplitN(s.Score, "/", 2)[0], "CVSS:")
			// Prefer a v3 vector (computable here) over v4.
			if a.CVSS == nil || (strings.HasPrefix(ver, "3") && !strings.HasPrefix(a.CVSS.Version, "3")) {
				a.CVSS = &CVSS{Version: ver, Vector: s.Score}
			}
		}
	}
	a.Severity = normSeverity(r.DatabaseSpecific.Severity)
	a.CWE = append(a.CWE, r.DatabaseSpecific.CWEIDs...)
	for _, af := range r.Affected {
		e := Affected{Package: af.Package.Name, RangeKnown: true, Versions: af.Versions}
		for _, rg := range af.Ranges {
			if rg.Type != "ECOSYSTEM" && rg.Type != "SEMVER" {
				continue // GIT ranges name commits, not versions
			}
			iv, err := eventsToIntervals(rg.Events)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", src, e.Package, err)
			}
			e.Ranges = append(e.Ranges, iv...)
		}
		a.Affected = append(a.Affected, e)
	}
	for _, ref := range r.References {
		if ref.Type == "ADVISORY" || strings.Contains(ref.URL, "/security/advisories/") {
			a.References = append(a.References, ref.URL)
		}
	}
	setAllProvenance(a, src)
	b.add(a, src, true)
	return nil
}

// eventsToIntervals turns OSV events into intervals, sorting them by the
// OpenClaw ordering as the OSV spec requires ("0" first).
func eventsToIntervals(events []map[string]string) ([]Interval, error) {
	type ev struct {
		kind, val string
		v         Version
	}
	var evs []ev
	for _, e := range events {
		for k, v := range e {
			if k == "limit" {
				continue
			}
			x := ev{kind: k, val: v}
			if v != "0" {
				pv, err := ParseVersion(v)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", k, err)
				}
				x.v = pv
				x.val = v
			}
			evs = append(evs, x)
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].val == "0" || evs[j].val == "0" {
			return evs[i].val == "0" && evs[j].val != "0"
		}
		return evs[i].v.Less(evs[j].v)
	})
	var out []Interval
	var cur *Interval
	for _, e := range evs {
		switch e.kind {
		case "introduced":
			if cur != nil {
				continue // already open: keep the earliest start
			}
			out = append(out, Interval{Introduced: e.val})
			cur = &out[len(out)-1]
		case "fixed", "last_affected":
			if cur == nil {
				// An end without a start: OSV allows it as "since 0".
				out = append(out, Interval{Introduced: "0"})
				cur = &out[len(out)-1]
			}
			if e.kind == "fixed" {
				cur.Fixed = e.val
			} else {
				cur.LastAffected = e.val
			}
			cur = nil
		default:
			return nil, fmt.Errorf("unknown event %q", e.kind)
		}
	}
	return out, nil
}

func setAllProvenance(a *Advisory, src string) {
	if a.Provenance == nil {
		a.Provenance = map[string]string{}
	}
	set := func(k string, ok bool) {
		if ok {
			a.Provenance[k] = src
		}
	}
	set("id", true)
	for _, al := range a.Aliases {
		set("alias:"+al, true)
	}
	set("summary", a.Summary != "")
	set("cvss", a.CVSS != nil)
	set("severity_label", a.Severity != "")
	set("cwe", len(a.CWE) > 0)
	set("published", a.Published != "")
	set("modified", a.Modified != "")
	set("withdrawn", a.Withdrawn != "")
	for _, af := range a.Affected {
		set("affected:"+af.Package, true)
	}
}

// add merges a into the advisory sharing any of its IDs, joining groups
// when a links two of them.
func (b *Builder) add(a *Advisory, src string, wins bool) {
	var hits []*Advisory
	for _, id := range a.AllIDs() {
		if h, ok := b.byID[id]; ok && !slices.Contains(hits, h) {
			hits = append(hits, h)
		}
	}
	if len(hits) == 0 {
		b.advs = append(b.advs, a)
		b.index(a)
		return
	}
	dst := hits[0]
	for _, other := range hits[1:] {
		b.Conflicts = append(b.Conflicts, fmt.Sprintf("%s joins %s and %s", a.ID, dst.ID, other.ID))
		mergeInto(dst, other, false)
		b.advs = slices.DeleteFunc(b.advs, func(x *Advisory) bool { return x == other })
	}
	mergeInto(dst, a, wins)
	b.index(dst)
}

func (b *Builder) index(a *Advisory) {
	for _, id := range a.AllIDs() {
		b.byID[id] = a
	}
}

// mergeInto folds src into dst. wins breaks ties in src's favour.
func mergeInto(dst, src *Advisory, wins bool) {
	take := func(key string) { dst.Provenance[key] = src.Provenance[key] }
	if dst.Provenance == nil {
		dst.Provenance = map[string]string{}
	}
	// The ID: a GHSA (OSV's own key) over a CVE.
	ids := append(dst.AllIDs(), src.AllIDs()...)
	if !strings.HasPrefix(dst.ID, "GHSA-") && strings.HasPrefix(src.ID, "GHSA-") {
		dst.ID = src.ID
		take("id")
	}
	var aliases []string
	for _, id := range ids {
		if id != dst.ID && !slices.Contains(aliases, id) {
			aliases = append(aliases, id)
		}
	}
	sort.Strings(aliases)
	dst.Aliases = aliases
	for _, al := range src.Aliases {
		if _, ok := dst.Provenance["alias:"+al]; !ok {
			take("alias:" + al)
		}
	}
	if src.ID != dst.ID {
		if _, ok := dst.Provenance["alias:"+src.ID]; !ok {
			dst.Provenance["alias:"+src.ID] = src.Provenance["id"]
		}
	}
	delete(dst.Provenance, "alias:"+dst.ID)

	if src.Summary != "" && (dst.Summary == "" || wins) {
		dst.Summary = src.Summary
		take("summary")
	}
	if cvssRank(src.CVSS) > cvssRank(dst.CVSS) || (wins && src.CVSS != nil && cvssRank(src.CVSS) == cvssRank(dst.CVSS)) {
		dst.CVSS = src.CVSS
		take("cvss")
	}
	if src.Severity != "" && (dst.Severity == "" || wins) {
		dst.Severity = src.Severity
		take("severity_label")
	}
	for _, c := range src.CWE {
		if !slices.Contains(dst.CWE, c) {
			dst.CWE = append(dst.CWE, c)
			if _, ok := dst.Provenance["cwe"]; !ok {
				take("cwe")
			} else if !strings.Contains(dst.Provenance["cwe"], src.Provenance["cwe"]) {
				dst.Provenance["cwe"] += " + " + src.Provenance["cwe"]
			}
		}
	}
	sort.Strings(dst.CWE)
	if src.Published != "" && (dst.Published == "" || wins) {
		dst.Published = src.Published
		take("published")
	}
	if src.Modified > dst.Modified {
		dst.Modified = src.Modified
		take("modified")
	}
	if src.Withdrawn != "" && (dst.Withdrawn == "" || wins) {
		dst.Withdrawn = src.Withdrawn
		take("withdrawn")
	}
	for _, sa := range src.Affected {
		i := slices.IndexFunc(dst.Affected, func(x Affected) bool { return x.Package == sa.Package })
		key := "affected:" + sa.Package
		switch {
		case i < 0:
			dst.Affected = append(dst.Affected, sa)
			take(key)
		case affRank(sa) > affRank(dst.Affected[i]) || (wins && affRank(sa) == affRank(dst.Affected[i])):
			dst.Affected[i] = sa
			take(key)
		}
	}
	sort.Slice(dst.Affected, func(i, j int) bool { return dst.Affected[i].Package < dst.Affected[j].Package })
	for _, r := range src.References {
		if !slices.Contains(dst.References, r) {
			dst.References = append(dst.References, r)
		}
	}
	if detailRank(src.Detail) > detailRank(dst.Detail) {
		dst.Detail = src.Detail
	}
	for _, n := range src.Notes {
		if !slices.Contains(dst.Notes, n) {
			dst.Notes = append(dst.Notes, n)
		}
	}
}

func cvssRank(c *CVSS) int {
	switch {
	case c == nil:
		return 0
	case c.Vector != "":
		return 2
	case c.Score > 0:
		return 1
	}
	return 0
}

// affRank orders how much an affected entry says: a fixed bound beats a
// last_affected bound beats an open range beats an unknown range.
func affRank(a Affected) int {
	if !a.RangeKnown {
		return 0
	}
	r := 1
	for _, x := range a.Ranges {
		switch {
		case x.Fixed != "":
			r = max(r, 3)
		case x.LastAffected != "":
			r = max(r, 2)
		}
	}
	if len(a.Versions) > 0 {
		r = max(r, 2)
	}
	return r
}

func detailRank(d string) int {
	switch d {
	case "osv":
		return 5
	case "full":
		return 4
	case "partial":
		return 3
	case "ghsa-only":
		return 2
	case "id-only":
		return 1
	}
	return 0
}

// Build finalises the merge: computes severities, applies tags, sorts and
// compiles. modified is the newest modified/published date among records.
func (b *Builder) Build(tags Tags, sources map[string]string) (*DB, error) {
	db := &DB{Schema: dbSchema, Sources: sources, Attribution: attribution}
	for _, a := range b.advs {
		finalize(a, tags)
		db.Advisories = append(db.Advisories, *a)
		for _, t := range []string{a.Modified, a.Published} {
			if t > db.Modified {
				db.Modified = t
			}
		}
	}
	sort.Slice(db.Advisories, func(i, j int) bool { return db.Advisories[i].ID < db.Advisories[j].ID })
	if err := db.compile(); err != nil {
		return nil, err
	}
	return db, nil
}

const attribution = "Facts derived from the GitHub Advisory Database (CC-BY-4.0) OSV records and public CVE records; merged by clawgov with per-fact provenance."

func finalize(a *Advisory, tags Tags) {
	// Severity: from the CVSS v3 vector when there is one (computed here),
	// else the CVSS score, else the source's label.
	delete(a.Provenance, "severity")
	if a.CVSS != nil && strings.HasPrefix(a.CVSS.Vector, "CVSS:3") {
		if s, err := cvss3Score(a.CVSS.Vector); err == nil {
			a.CVSS.Score = s
			if a.CVSS.Version == "" {
				a.CVSS.Version = strings.TrimPrefix(strings.SplitN(a.CVSS.Vector, "/", 2)[0], "CVSS:")
			}
			a.Severity = severityFromScore(s)
			a.Provenance["severity"] = "computed from cvss (" + a.Provenance["cvss"] + ")"
		}
	}
	if a.Provenance["severity"] == "" {
		switch {
		case a.CVSS != nil && a.CVSS.Score > 0 && !strings.HasPrefix(a.CVSS.Vector, "CVSS:4"):
			a.Severity = severityFromScore(a.CVSS.Score)
			a.Provenance["severity"] = "cvss score (" + a.Provenance["cvss"] + ")"
		case a.Severity != "":
			a.Provenance["severity"] = "label (" + a.Provenance["severity_label"] + ")"
		}
	}
	a.Tags = nil
	for tag, ids := range tags {
		for _, id := range ids {
			if slices.Contains(a.AllIDs(), canonID(id)) {
				a.Tags = append(a.Tags, tag)
				break
			}
		}
	}
	sort.Strings(a.Tags)
	sort.Strings(a.Notes)
	sort.Strings(a.References)
}

func cloneAdvisory(a Advisory) Advisory {
	c := a
	c.Aliases = slices.Clone(a.Aliases)
	c.CWE = slices.Clone(a.CWE)
	c.References = slices.Clone(a.References)
	c.Tags = slices.Clone(a.Tags)
	c.Notes = slices.Clone(a.Notes)
	c.Affected = nil
	for _, af := range a.Affected {
		af.Ranges = slices.Clone(af.Ranges)
		af.Versions = slices.Clone(af.Versions)
		c.Affected = append(c.Affected, af)
	}
	if a.CVSS != nil {
		x := *a.CVSS
		c.CVSS = &x
	}
	c.Provenance = map[string]string{}
	for k, v := range a.Provenance {
		c.Provenance[k] = v
	}
	return c
}
