package advisory

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/clawgov/clawgov/internal/packed"
)

// The embedded advisory database and release table are compiled from
// data/advisories.json and data/releases.json at build time (`go generate
// ./internal/advisory`, which runs ./gen/pack): decoding JSON at every
// start was a large share of clawgov's start-up. The JSON files stay the
// reviewed source; TestPackedUpToDate fails when they and the .pack files
// disagree. Update bundles and files given on the command line keep the
// JSON path (ParseDB, ParseReleases).
//
//go:generate go run ./gen/pack
var (
	//go:embed data/advisories.pack
	packedDB string
	//go:embed data/releases.pack
	packedReleases string
)

// packVersion changes whenever the packed layout does.
const packVersion = 1

// PackDB validates a JSON advisory database and returns its packed form.
func PackDB(jsonDB []byte) ([]byte, error) {
	db, err := ParseDB(jsonDB)
	if err != nil {
		return nil, err
	}
	return db.pack(), nil
}

// PackReleases validates a JSON release table and returns its packed form.
func PackReleases(jsonTable []byte) ([]byte, error) {
	r, err := ParseReleases(jsonTable)
	if err != nil {
		return nil, err
	}
	return r.pack(), nil
}

func (db *DB) pack() []byte {
	w := packed.NewWriter()
	w.Int(db.Schema)
	w.String(db.Attribution)
	w.StringMap(db.Sources)
	w.String(db.Modified)
	w.Len(len(db.Advisories), db.Advisories == nil)
	for i := range db.Advisories {
		a := &db.Advisories[i]
		w.String(a.ID)
		w.Strings(a.Aliases)
		w.String(a.Summary)
		w.String(a.Severity)
		w.Bool(a.CVSS != nil)
		if a.CVSS != nil {
			w.String(a.CVSS.Version)
			w.String(a.CVSS.Vector)
			w.Float(a.CVSS.Score)
		}
		w.Strings(a.CWE)
		w.String(a.Published)
		w.String(a.Modified)
		w.String(a.Withdrawn)
		w.Len(len(a.Affected), a.Affected == nil)
		for _, af := range a.Affected {
			w.String(af.Package)
			w.Len(len(af.Ranges), af.Ranges == nil)
			for _, r := range af.Ranges {
				w.String(r.Introduced)
				w.String(r.Fixed)
				w.String(r.LastAffected)
			}
			w.Strings(af.Versions)
			w.Bool(af.RangeKnown)
		}
		w.Strings(a.References)
		w.Strings(a.Tags)
		w.String(a.Detail)
		w.Strings(a.Notes)
		w.StringMap(a.Provenance)
	}
	return w.Bytes(packVersion)
}

// unpackDB decodes a packed database and builds its index. The ranges
// were validated when the data was packed; compile still parses the
// versions, which the index needs anyway.
func unpackDB(data string) (*DB, error) { return unpack(data, false) }

// unpack decodes a packed database. lite leaves out what matching does
// not need (CWE, references, tags, detail, notes, provenance) and keeps
// where each advisory starts, so complete can decode one in full when a
// match returns it: an audit needs a few of the ~600 advisories.
func unpack(data string, lite bool) (*DB, error) {
	r, err := packed.NewReader(data, packVersion)
	if err != nil {
		return nil, err
	}
	db := &DB{Schema: r.Int(), Attribution: r.String(), Sources: r.StringMap(), Modified: r.String()}
	n, isNil := r.Len(15)
	if lite {
		// The ranges go straight into the index; of each advisory only what
		// a listing shows is kept (liteRecord), and where it starts.
		db.ids = &idIndex{}
		db.index = map[string][]compiled{}
		db.lazy = &lazyAdvisories{r: r, recs: make([]liteRecord, n), isNil: isNil}
		var a Advisory
		for i := 0; i < n && r.Err() == nil; i++ {
			start := r.Pos()
			a = Advisory{Affected: a.Affected[:0]}
			decodeAdvisory(r, &a, true)
			db.lazy.recs[i] = liteRecord{ID: a.ID, Summary: a.Summary, Severity: a.Severity, Published: a.Published,
				Modified: a.Modified, Withdrawn: a.Withdrawn, start: start}
			if r.Err() == nil {
				if err := db.indexAdvisory(i, &a); err != nil {
					return nil, err
				}
			}
		}
	} else if !isNil {
		db.Advisories = make([]Advisory, n)
		for i := range db.Advisories {
			decodeAdvisory(r, &db.Advisories[i], false)
		}
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	if db.Schema != dbSchema {
		return nil, fmt.Errorf("schema %d, want %d", db.Schema, dbSchema)
	}
	if !lite {
		if err := db.compile(); err != nil {
			return nil, err
		}
	}
	return db, nil
}

// decodeAdvisory decodes one advisory. lite leaves out what indexing and
// listing do not need (aliases, CWE, references, tags, detail, notes,
// provenance) and reuses a.Affected's storage.
func decodeAdvisory(r *packed.Reader, a *Advisory, lite bool) {
	a.ID = r.String()
	if lite {
		r.SkipStrings()
	} else {
		a.Aliases = r.Strings()
	}
	a.Summary = r.String()
	a.Severity = r.String()
	if r.Bool() {
		cv := CVSS{Version: r.String(), Vector: r.String(), Score: r.Float()}
		if !lite {
			a.CVSS = &cv
		}
	}
	if lite {
		r.SkipStrings()
	} else {
		a.CWE = r.Strings()
	}
	a.Published = r.String()
	a.Modified = r.String()
	a.Withdrawn = r.String()
	if m, isNil := r.Len(4); !isNil {
		if !lite || cap(a.Affected) < m {
			a.Affected = make([]Affected, m)
		}
		a.Affected = a.Affected[:m]
		for j := range a.Affected {
			af := &a.Affected[j]
			af.Package = r.String()
			if k, isNil := r.Len(3); !isNil {
				af.Ranges = make([]Interval, k)
				for x := range af.Ranges {
					af.Ranges[x] = Interval{Introduced: r.String(), Fixed: r.String(), LastAffected: r.String()}
				}
			} else {
				af.Ranges = nil
			}
			af.Versions = r.Strings()
			af.RangeKnown = r.Bool()
		}
	}
	if lite {
		r.SkipStrings()
		r.SkipStrings()
		_ = r.String()
		r.SkipStrings()
		r.SkipStringMap()
		return
	}
	a.References = r.Strings()
	a.Tags = r.Strings()
	a.Detail = r.String()
	a.Notes = r.Strings()
	a.Provenance = r.StringMap()
}

// liteRecord is what a lite database keeps of an advisory: what an
// unknown-range listing shows.
type liteRecord struct {
	ID, Summary, Severity, Published, Modified, Withdrawn string
	start                                                 int       // offset of the packed advisory
	lite                                                  *Advisory // the listing form, made on first use
	full                                                  *Advisory // decoded in full, made on first use
}

// lazyAdvisories holds a lite database's records until they are needed.
type lazyAdvisories struct {
	mu    sync.Mutex
	r     *packed.Reader
	isNil bool
	recs  []liteRecord
}

func (db *DB) withdrawn(i int) bool {
	if db.lazy == nil {
		return db.Advisories[i].Withdrawn != ""
	}
	return db.lazy.recs[i].Withdrawn != ""
}

// advisory returns advisory i; on a lite database full decodes it whole,
// otherwise only its listing fields are set.
func (db *DB) advisory(i int, full bool) *Advisory {
	l := db.lazy
	if l == nil {
		return &db.Advisories[i]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	rec := &l.recs[i]
	if rec.full != nil {
		return rec.full
	}
	if full {
		a := &Advisory{}
		decodeAdvisory(l.r.At(rec.start), a, false) // decoded once already: cannot fail
		rec.full = a
		return a
	}
	if rec.lite == nil {
		rec.lite = &Advisory{ID: rec.ID, Summary: rec.Summary, Severity: rec.Severity, Published: rec.Published, Modified: rec.Modified, Withdrawn: rec.Withdrawn}
	}
	return rec.lite
}

// materialize turns a lite database into a full one, for callers that
// range over db.Advisories or look IDs up.
func (db *DB) materialize() {
	l := db.lazy
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if db.lazy == nil {
		return
	}
	if !l.isNil {
		db.Advisories = make([]Advisory, len(l.recs))
		for i := range l.recs {
			decodeAdvisory(l.r.At(l.recs[i].start), &db.Advisories[i], false)
		}
	}
	db.lazy = nil
	db.ids = &idIndex{}
}

func (t *Releases) pack() []byte {
	w := packed.NewWriter()
	w.String(t.Package)
	w.String(t.Source)
	w.String(t.Modified)
	w.StringMap(t.DistTags)
	w.Len(len(t.Releases), t.Releases == nil)
	for _, rel := range t.Releases {
		w.String(rel.Version)
		w.String(rel.Published)
		w.String(rel.Integrity)
		w.String(rel.Shasum)
		w.String(rel.Commit)
		w.String(rel.Deprecated)
	}
	return w.Bytes(packVersion)
}

func unpackReleases(data string) (*Releases, error) {
	r, err := packed.NewReader(data, packVersion)
	if err != nil {
		return nil, err
	}
	t := &Releases{Package: r.String(), Source: r.String(), Modified: r.String(), DistTags: r.StringMap()}
	if n, isNil := r.Len(6); !isNil {
		t.Releases = make([]Release, n)
		for i := range t.Releases {
			t.Releases[i] = Release{Version: r.String(), Published: r.String(), Integrity: r.String(), Shasum: r.String(), Commit: r.String(), Deprecated: r.String()}
		}
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	if err := t.finish(); err != nil {
		return nil, err
	}
	return t, nil
}
