package advisory

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Packages are the npm packages the database covers: the product and its
// pre-rename names.
var Packages = []string{"openclaw", "clawdbot", "moltbot"}

// Advisory is one vulnerability with its facts merged from every source.
// Provenance says, per fact, which source it came from ("osv:GHSA-….json",
// "seed:CVE-…", "bundle:GHSA-….json").
type Advisory struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	// Summary is the record's title (OSV summary or the seed's short title).
	Summary string `json:"summary,omitempty"`
	// Severity is critical, high, medium, low, none or "" (unknown),
	// computed from the CVSS v3 vector where there is one.
	Severity string   `json:"severity,omitempty"`
	CVSS     *CVSS    `json:"cvss,omitempty"`
	CWE      []string `json:"cwe,omitempty"`
	// Published and Modified are RFC 3339 or YYYY-MM-DD as the source wrote.
	Published string `json:"published,omitempty"`
	Modified  string `json:"modified,omitempty"`
	// Withdrawn is set for withdrawn or duplicate advisories, which never
	// match.
	Withdrawn string     `json:"withdrawn,omitempty"`
	Affected  []Affected `json:"affected,omitempty"`
	// References are advisory URLs (GHSA, CVE, NVD).
	References []string `json:"references,omitempty"`
	// Tags classify the advisory (e.g. "browser-hijack", which the audit
	// reports under DO-5 as well).
	Tags []string `json:"tags,omitempty"`
	// Detail is how complete the facts are: osv (a full OSV record), full,
	// partial, ghsa-only, id-only (seed levels).
	Detail string `json:"detail,omitempty"`
	// Notes carry caveats from the sources (collection status, product
	// notes).
	Notes      []string          `json:"notes,omitempty"`
	Provenance map[string]string `json:"provenance,omitempty"`
}

// CVSS is a score and, where known, its vector.
type CVSS struct {
	Version string  `json:"version,omitempty"`
	Vector  string  `json:"vector,omitempty"`
	Score   float64 `json:"score,omitempty"`
}

// Affected is one package and the version intervals it is affected in.
type Affected struct {
	Package string     `json:"package"`
	Ranges  []Interval `json:"ranges,omitempty"`
	// Versions lists explicitly affected versions (OSV "versions").
	Versions []string `json:"versions,omitempty"`
	// RangeKnown is false when the source names the package but not the
	// versions (a seed record whose fixed version was never captured).
	// Such an entry cannot decide "affected" either way.
	RangeKnown bool `json:"range_known"`
}

// Interval is [Introduced, Fixed) or [Introduced, LastAffected]. Introduced
// "0" or "" means since the first release.
type Interval struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
}

// AllIDs returns the ID and the aliases.
func (a *Advisory) AllIDs() []string { return append([]string{a.ID}, a.Aliases...) }

// HasTag reports whether the advisory carries tag.
func (a *Advisory) HasTag(tag string) bool { return slices.Contains(a.Tags, tag) }

// CVE returns the first CVE identifier among the ID and aliases, or "".
func (a *Advisory) CVE() string {
	for _, id := range a.AllIDs() {
		if strings.HasPrefix(id, "CVE-") {
			return id
		}
	}
	return ""
}

// DB is a loaded advisory database with its matching index.
type DB struct {
	Schema      int               `json:"schema"`
	Attribution string            `json:"attribution,omitempty"`
	Sources     map[string]string `json:"sources,omitempty"`
	// Modified is the newest modified/published time of any record: the
	// database's age, used to prefer a newer update over the embedded copy.
	Modified   string     `json:"modified"`
	Advisories []Advisory `json:"advisories"`

	ids   *idIndex
	index map[string][]compiled
	lazy  *lazyAdvisories // set on a lite database (see unpack)
}

// idIndex maps IDs and aliases to advisories, built on first lookup: an
// audit never looks one up.
type idIndex struct {
	once sync.Once
	m    map[string]int
}

type compiled struct {
	adv   int
	aff   int
	spans []span
	vers  []Version
	known bool
}

type span struct {
	lo, hi     Version // lo zero = -inf; hi zero = +inf
	hiIncluded bool    // last_affected
}

// dbSchema is the version of the on-disk format.
const dbSchema = 1

// ParseDB decodes and indexes a database file, rejecting malformed data
// with an error that names the advisory and the field.
func ParseDB(b []byte) (*DB, error) {
	var db DB
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&db); err != nil {
		return nil, fmt.Errorf("decode advisory database: %w", err)
	}
	if db.Schema != dbSchema {
		return nil, fmt.Errorf("advisory database: schema %d, want %d", db.Schema, dbSchema)
	}
	if err := db.compile(); err != nil {
		return nil, err
	}
	return &db, nil
}

// compile validates every range and builds the per-package index.
func (db *DB) compile() error {
	db.ids = &idIndex{}
	db.index = map[string][]compiled{}
	for i := range db.Advisories {
		if err := db.indexAdvisory(i, &db.Advisories[i]); err != nil {
			return err
		}
	}
	return nil
}

// indexAdvisory validates the ranges of advisory i and adds them to the
// per-package index.
func (db *DB) indexAdvisory(i int, a *Advisory) error {
	if a.ID == "" {
		return fmt.Errorf("advisory database: advisory %d has no id", i)
	}
	for j, af := range a.Affected {
		c := compiled{adv: i, aff: j, known: af.RangeKnown}
		for _, r := range af.Ranges {
			var s span
			var err error
			if r.Introduced != "" && r.Introduced != "0" {
				if s.lo, err = ParseVersion(r.Introduced); err != nil {
					return fmt.Errorf("advisory %s: %s: introduced: %w", a.ID, af.Package, err)
				}
			}
			switch {
			case r.Fixed != "" && r.LastAffected != "":
				return fmt.Errorf("advisory %s: %s: a range has both fixed and last_affected", a.ID, af.Package)
			case r.Fixed != "":
				if s.hi, err = ParseVersion(r.Fixed); err != nil {
					return fmt.Errorf("advisory %s: %s: fixed: %w", a.ID, af.Package, err)
				}
			case r.LastAffected != "":
				if s.hi, err = ParseVersion(r.LastAffected); err != nil {
					return fmt.Errorf("advisory %s: %s: last_affected: %w", a.ID, af.Package, err)
				}
				s.hiIncluded = true
			}
			c.spans = append(c.spans, s)
		}
		for _, v := range af.Versions {
			pv, err := ParseVersion(v)
			if err != nil {
				return fmt.Errorf("advisory %s: %s: versions: %w", a.ID, af.Package, err)
			}
			c.vers = append(c.vers, pv)
		}
		db.index[af.Package] = append(db.index[af.Package], c)
	}
	return nil
}

// Get returns the advisory with id as its ID or an alias (case-insensitive).
func (db *DB) Get(id string) (*Advisory, bool) {
	db.materialize()
	if db.ids == nil {
		return nil, false
	}
	db.ids.once.Do(func() {
		db.ids.m = map[string]int{}
		for i := range db.Advisories {
			for _, id := range db.Advisories[i].AllIDs() {
				if _, dup := db.ids.m[id]; !dup {
					db.ids.m[id] = i
				}
			}
		}
	})
	i, ok := db.ids.m[strings.ToUpper(strings.TrimSpace(id))]
	if !ok {
		// GHSA ids are lower-case after the prefix.
		i, ok = db.ids.m[canonID(id)]
	}
	if !ok {
		return nil, false
	}
	return &db.Advisories[i], true
}

func canonID(id string) string {
	id = strings.TrimSpace(id)
	if len(id) > 5 && strings.EqualFold(id[:5], "GHSA-") {
		return "GHSA-" + strings.ToLower(id[5:])
	}
	return strings.ToUpper(id)
}

// MatchKind says how sure a match is.
type MatchKind string

// Match kinds.
const (
	// MatchAffected: the version lies in a known affected range.
	MatchAffected MatchKind = "affected"
	// MatchUnknown: the advisory names the package but its ranges are not known.
	MatchUnknown MatchKind = "unknown"
)

// Match is one advisory that (possibly) affects a version.
type Match struct {
	Advisory *Advisory
	Package  string
	Kind     MatchKind
	// Range is the interval the version fell in, as text (">= 2026.2.21, < 2026.4.10").
	Range string
	// Fixed is the first fixed version above the installed one, "" if none
	// is known (last_affected only, or unknown range).
	Fixed string
}

// Match returns the advisories affecting pkg at version v, sorted by
// severity then ID. Withdrawn advisories never match. Advisories whose
// range is unknown come back with Kind MatchUnknown, never as MatchAffected.
// On the audit's lite database (see unpack) an unknown-range match carries
// only the advisory's ID, summary, severity and dates: the audit lists
// those IDs and needs no more, and they are most of the database.
func (db *DB) Match(pkg string, v Version) []Match {
	var out []Match
	seen := map[int]bool{}
	for _, c := range db.index[pkg] {
		if seen[c.adv] || db.withdrawn(c.adv) {
			continue
		}
		if !c.known {
			seen[c.adv] = true
			out = append(out, Match{Advisory: db.advisory(c.adv, false), Package: pkg, Kind: MatchUnknown})
			continue
		}
		hit := -1
		for i, s := range c.spans {
			if s.contains(v) {
				hit = i
				break
			}
		}
		explicit := slices.ContainsFunc(c.vers, func(x Version) bool { return x.Compare(v) == 0 })
		if hit < 0 && !explicit {
			continue
		}
		seen[c.adv] = true
		m := Match{Advisory: db.advisory(c.adv, true), Package: pkg, Kind: MatchAffected}
		if hit >= 0 {
			m.Range = c.spans[hit].String()
		} else {
			m.Range = "= " + v.String()
		}
		m.Fixed = fixedAbove(c, v)
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind == MatchAffected
		}
		if ra, rb := sevRank(a.Advisory.Severity), sevRank(b.Advisory.Severity); ra != rb {
			return ra > rb
		}
		return a.Advisory.ID < b.Advisory.ID
	})
	return out
}

// fixedAbove is the smallest fixed version greater than v in the entry:
// the version to upgrade to at least.
func fixedAbove(c compiled, v Version) string {
	var best Version
	for _, s := range c.spans {
		if s.hiIncluded || s.hi.IsZero() || !v.Less(s.hi) {
			continue
		}
		if best.IsZero() || s.hi.Less(best) {
			best = s.hi
		}
	}
	if best.IsZero() {
		return ""
	}
	return best.String()
}

func (s span) contains(v Version) bool {
	if !s.lo.IsZero() && v.Less(s.lo) {
		return false
	}
	if s.hi.IsZero() {
		return true
	}
	c := v.Compare(s.hi)
	return c < 0 || (c == 0 && s.hiIncluded)
}

func (s span) String() string {
	var p []string
	if !s.lo.IsZero() {
		p = append(p, ">= "+s.lo.String())
	}
	switch {
	case s.hi.IsZero():
	case s.hiIncluded:
		p = append(p, "<= "+s.hi.String())
	default:
		p = append(p, "< "+s.hi.String())
	}
	if len(p) == 0 {
		return "all versions"
	}
	return strings.Join(p, ", ")
}

func sevRank(s string) int {
	switch s {
	case "critical":
		return 4
	case "high":
		return 3
	case "medium":
		return 2
	case "low":
		return 1
	}
	return 0
}

// Count returns the number of advisories and how many are withdrawn.
func (db *DB) Count() (total, withdrawn int) {
	db.materialize()
	for _, a := range db.Advisories {
		total++
		if a.Withdrawn != "" {
			withdrawn++
		}
	}
	return total, withdrawn
}

// Encode renders the database deterministically (advisories sorted by ID,
// two-space indent, trailing newline).
func (db *DB) Encode() ([]byte, error) {
	db.materialize()
	sort.Slice(db.Advisories, func(i, j int) bool { return db.Advisories[i].ID < db.Advisories[j].ID })
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(db); err != nil {
		return nil, fmt.Errorf("encode advisory database: %w", err)
	}
	if err := db.compile(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}
