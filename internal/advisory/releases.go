package advisory

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Release is one official npm release of openclaw.
type Release struct {
	Version   string `json:"version"`
	Published string `json:"published"`
	Integrity string `json:"integrity"`
	Shasum    string `json:"shasum"`
	// Commit is the registry's gitHead when it records one.
	Commit     string `json:"commit,omitempty"`
	Deprecated string `json:"deprecated,omitempty"`

	v Version
}

// Releases is the embedded release table, sorted by version.
type Releases struct {
	Package  string            `json:"package"`
	Source   string            `json:"source"`
	Modified string            `json:"modified"`
	DistTags map[string]string `json:"dist_tags"`
	Releases []Release         `json:"releases"`

	byVersion map[string]int
}

// ParseReleases decodes and sorts a release table.
func ParseReleases(b []byte) (*Releases, error) {
	var r Releases
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode release table: %w", err)
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return &r, nil
}

// finish validates a decoded table, sorts it by version and indexes it.
func (r *Releases) finish() error {
	if r.Package == "" || len(r.Releases) == 0 {
		return fmt.Errorf("release table: empty")
	}
	for i := range r.Releases {
		v, err := ParseVersion(r.Releases[i].Version)
		if err != nil {
			return fmt.Errorf("release table: %w", err)
		}
		r.Releases[i].v = v
	}
	sort.SliceStable(r.Releases, func(i, j int) bool { return r.Releases[i].v.Less(r.Releases[j].v) })
	r.byVersion = map[string]int{}
	for i, rel := range r.Releases {
		r.byVersion[rel.v.String()] = i
	}
	if _, ok := r.DistTags["latest"]; !ok {
		return fmt.Errorf("release table: no latest dist-tag")
	}
	return nil
}

// Lookup returns the official release with version v.
func (r *Releases) Lookup(v Version) (*Release, bool) {
	i, ok := r.byVersion[v.String()]
	if !ok {
		return nil, false
	}
	return &r.Releases[i], true
}

// Latest returns the release the "latest" dist-tag points at (the newest
// stable).
func (r *Releases) Latest() *Release {
	v, err := ParseVersion(r.DistTags["latest"])
	if err == nil {
		if rel, ok := r.Lookup(v); ok {
			return rel
		}
	}
	// A table whose tag names a missing version: fall back to the newest
	// non-pre-release.
	for i := len(r.Releases) - 1; i >= 0; i-- {
		if !r.Releases[i].v.IsPrerelease() {
			return &r.Releases[i]
		}
	}
	return &r.Releases[len(r.Releases)-1]
}

// Versions returns every version in the table in order.
func (r *Releases) Versions() []Version {
	out := make([]Version, len(r.Releases))
	for i, rel := range r.Releases {
		out[i] = rel.v
	}
	return out
}

// Channels OpenClaw publishes on.
const (
	ChannelStable         = "stable"
	ChannelExtendedStable = "extended-stable"
	ChannelBeta           = "beta"
	ChannelDev            = "dev"
)

// Standing is where an installed version stands against the table.
type Standing struct {
	Version Version
	// Official is true when the version is an official release.
	Official bool
	Release  *Release
	Latest   *Release
	// ReleasesBehind counts the stable releases newer than the installed
	// version up to and including latest.
	ReleasesBehind int
	// DaysBehind is the calendar distance between the installed version's
	// date and the latest stable's (see releaseDate).
	DaysBehind int
	// Newer is true when the installed version is newer than latest
	// (a beta ahead of stable, or a build the table does not know).
	Newer   bool
	Channel string
}

// Stand computes the standing of version v; git is true for a source
// checkout (the dev channel).
func (r *Releases) Stand(v Version, git bool) Standing {
	st := Standing{Version: v, Latest: r.Latest()}
	st.Release, st.Official = r.Lookup(v)
	st.Channel = channelOf(v, git, r.DistTags)
	// The extended-stable line is measured against its own newest release:
	// staying on it is a supported choice, not falling behind "latest".
	track := func(x Version) bool { return !x.IsPrerelease() }
	if st.Channel == ChannelExtendedStable {
		if ext := r.latestExtended(); ext != nil {
			st.Latest = ext
			track = func(x Version) bool { return !x.IsPrerelease() && isExtended(x) }
		}
	}
	lv := st.Latest.v
	st.Newer = lv.Less(v)
	for _, rel := range r.Releases {
		if track(rel.v) && v.Less(rel.v) && !lv.Less(rel.v) {
			st.ReleasesBehind++
		}
	}
	if !st.Newer {
		a, aok := releaseDate(v, st.Release)
		b, bok := releaseDate(lv, st.Latest)
		if aok && bok && b.After(a) {
			st.DaysBehind = int(b.Sub(a).Hours() / 24)
		}
	}
	return st
}

func isExtended(v Version) bool { return len(v.Core) >= 3 && v.Core[2] >= 33 }

// latestExtended is the extended-stable dist-tag's release, else the newest
// release with PATCH >= 33.
func (r *Releases) latestExtended() *Release {
	if t, ok := r.DistTags[ChannelExtendedStable]; ok {
		if v, err := ParseVersion(t); err == nil {
			if rel, ok := r.Lookup(v); ok {
				return rel
			}
		}
	}
	for i := len(r.Releases) - 1; i >= 0; i-- {
		if v := r.Releases[i].v; !v.IsPrerelease() && isExtended(v) {
			return &r.Releases[i]
		}
	}
	return nil
}

// channelOf names the channel of a version: dev for a git checkout, beta for
// pre-releases (or a version a beta/dev dist-tag points at), extended-stable
// for the monthly line (PATCH >= 33), stable otherwise.
func channelOf(v Version, git bool, tags map[string]string) string {
	if git {
		return ChannelDev
	}
	for _, tag := range []string{ChannelDev, ChannelBeta} {
		if t, ok := tags[tag]; ok {
			if tv, err := ParseVersion(t); err == nil && tv.Compare(v) == 0 && tags["latest"] != t {
				return tag
			}
		}
	}
	if v.IsPrerelease() {
		return ChannelBeta
	}
	if isExtended(v) {
		return ChannelExtendedStable
	}
	return ChannelStable
}

// releaseDate is the date a version was released. The calendar version
// encodes it (YYYY.M.D; the extended-stable PATCH >= 33 is clamped to the
// end of the month). The registry's publish time is used only for versions
// that are not calendar versions: mirrors and re-publications rewrite
// publish times (the table holds 2026.2.22-1 "published" after 2026.9.6),
// while the version string cannot drift.
func releaseDate(v Version, rel *Release) (time.Time, bool) {
	if len(v.Core) >= 3 && v.Core[0] >= 2000 && v.Core[0] < 3000 && v.Core[1] >= 1 && v.Core[1] <= 12 {
		first := time.Date(v.Core[0], time.Month(v.Core[1]), 1, 0, 0, 0, 0, time.UTC)
		last := first.AddDate(0, 1, -1).Day()
		d := min(max(v.Core[2], 1), last)
		return time.Date(v.Core[0], time.Month(v.Core[1]), d, 0, 0, 0, 0, time.UTC), true
	}
	if rel != nil {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999-07:00"} {
			if t, err := time.Parse(layout, rel.Published); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// Date is the table's own date (YYYY-MM-DD): its modified field when the
// generator recorded one, else the newest publication time it lists (the
// table is at least that recent). "" when neither is known.
func (r *Releases) Date() string {
	if len(r.Modified) >= 10 {
		return r.Modified[:10]
	}
	newest := ""
	for _, rel := range r.Releases {
		if len(rel.Published) >= 10 && rel.Published[:10] > newest {
			newest = rel.Published[:10]
		}
	}
	return newest
}

// Label names the table for a reader: which package's releases, from
// where, as of when.
func (r *Releases) Label() string {
	d := r.Date()
	if d == "" {
		d = "date unknown"
	}
	return fmt.Sprintf("embedded %s release table of %s", r.Package, d)
}
