package advisory

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sharedData is the team's shared data directory (never copied into the
// repository).
func sharedData(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"../../../shared/data", "../../shared/data", "/work/shared/data"} {
		if st, err := os.Stat(filepath.Join(p, "osv")); err == nil && st.IsDir() {
			return p
		}
	}
	t.Skip("shared data directory (../shared/data) not present")
	return ""
}

// TestRegenerationReproducible regenerates the database from the shared
// data twice and compares with the committed file byte for byte.
func TestRegenerationReproducible(t *testing.T) {
	dir := sharedData(t)
	var outs [][]byte
	for range 2 {
		db, _, err := Generate(os.DirFS(dir))
		if err != nil {
			t.Fatal(err)
		}
		b, err := db.Encode()
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("two generations differ")
	}
	if !bytes.Equal(outs[0], advisoriesJSON) {
		t.Fatal("embedded data/advisories.json is stale: run go run ./internal/advisory/gen -data ../shared/data")
	}
}

func mustDB(t testing.TB) *DB {
	t.Helper()
	db, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func matchIDs(db *DB, pkg, v string, kind MatchKind) []string {
	var ids []string
	for _, m := range db.Match(pkg, MustParseVersion(v)) {
		if m.Kind == kind {
			ids = append(ids, m.Advisory.AllIDs()...)
		}
	}
	return ids
}

// TestRealAdvisories pins matches against real advisories.
func TestRealAdvisories(t *testing.T) {
	db := mustDB(t)
	tests := []struct {
		id, pkg, version string
		want             bool
	}{
		// CVE-2026-25253: < 2026.1.29, for openclaw (seed) and clawdbot (OSV).
		{"CVE-2026-25253", "openclaw", "2026.1.28", true},
		{"CVE-2026-25253", "openclaw", "2026.1.29-beta.1", true},
		{"CVE-2026-25253", "openclaw", "2026.1.29", false},
		{"CVE-2026-25253", "openclaw", "2026.1.29-1", false},
		{"CVE-2026-25253", "clawdbot", "2026.1.24-3", true},
		{"CVE-2026-25253", "openclaw", "2026.9.6", false},
		// CVE-2026-43575: introduced 2026.2.21, fixed 2026.4.10.
		{"CVE-2026-43575", "openclaw", "2026.2.20", false},
		{"CVE-2026-43575", "openclaw", "2026.2.21-beta.1", false},
		{"CVE-2026-43575", "openclaw", "2026.2.21", true},
		{"CVE-2026-43575", "openclaw", "2026.2.21-2", true},
		{"CVE-2026-43575", "openclaw", "2026.4.9", true},
		{"CVE-2026-43575", "openclaw", "2026.4.10-beta.1", true},
		{"CVE-2026-43575", "openclaw", "2026.4.10", false},
		// CVE-2026-32025 (GHSA-jmmg-jqc7-5qf4): < 2026.2.25.
		{"GHSA-jmmg-jqc7-5qf4", "openclaw", "2026.2.24", true},
		{"GHSA-jmmg-jqc7-5qf4", "openclaw", "2026.2.25", false},
		// GHSA-rmxw-jxxx-4cpc: >= 2026.1.14-1 (a correction, newer than 2026.1.14).
		{"GHSA-rmxw-jxxx-4cpc", "openclaw", "2026.1.14", false},
		{"GHSA-rmxw-jxxx-4cpc", "openclaw", "2026.1.14-1", true},
		// Withdrawn duplicate never matches.
		{"GHSA-r2c6-8jc8-g32w", "openclaw", "2026.1.1", false},
	}
	for _, tt := range tests {
		got := slices.Contains(matchIDs(db, tt.pkg, tt.version, MatchAffected), tt.id)
		if got != tt.want {
			t.Errorf("%s on %s@%s: affected=%v, want %v", tt.id, tt.pkg, tt.version, got, tt.want)
		}
	}
	// Lookup by alias, case-insensitively.
	a, ok := db.Get("cve-2026-25253")
	if !ok || a.ID != "GHSA-g8p2-7wf7-98mq" {
		t.Fatalf("Get(cve-2026-25253) = %v, %v", a, ok)
	}
	if a.Provenance["affected:openclaw"] != "seed:CVE-2026-25253" || a.Provenance["affected:clawdbot"] != "osv:GHSA-g8p2-7wf7-98mq.json" {
		t.Errorf("provenance of affected ranges: %v", a.Provenance)
	}
	if a.Severity != "high" || a.CVSS == nil || a.CVSS.Score != 8.8 {
		t.Errorf("severity from CVSS: %s %+v", a.Severity, a.CVSS)
	}
	if !a.HasTag(TagBrowserHijack) {
		t.Error("CVE-2026-25253 must be tagged browser-hijack")
	}
	// The seed-only CVE-2026-43581 is joined to its OSV record GHSA-525j.
	if a, ok := db.Get("CVE-2026-43581"); !ok || a.ID != "GHSA-525j-hqq2-66r4" {
		t.Errorf("CVE-2026-43581 not joined with GHSA-525j-hqq2-66r4: %v", a)
	}
}

// TestUnknownRangeNeverAffected guards against the peer-tool failure of
// reading "introduced 0, fixed unknown" as "every version is affected".
func TestUnknownRangeNeverAffected(t *testing.T) {
	db := mustDB(t)
	unknown := 0
	for _, a := range db.Advisories {
		for _, af := range a.Affected {
			if !af.RangeKnown {
				unknown++
			}
		}
	}
	if unknown == 0 {
		t.Fatal("expected seed records without ranges in the database")
	}
	ms := db.Match("openclaw", MustParseVersion("2026.9.6"))
	for _, m := range ms {
		if m.Kind == MatchAffected {
			t.Errorf("2026.9.6 (newest release) reported affected by %s %s", m.Advisory.ID, m.Range)
		}
	}
	rel, _ := EmbeddedReleases()
	open, fixed := SplitUnknown(ms, MustParseVersion("2026.9.6"), rel)
	if len(fixed) == 0 || len(open) > 5 {
		t.Errorf("unknown-range split for 2026.9.6: %d open, %d presumed fixed", len(open), len(fixed))
	}
}

func TestMergeFullerFactWins(t *testing.T) {
	s := func(x string) *string { return &x }
	b := NewBuilder()
	seed := SeedRecord{ID: "CVE-2026-0001", Aliases: []string{"GHSA-aaaa-bbbb-cccc"}, Summary: s("seed title"), Severity: s("MEDIUM"), DetailsLevel: "full"}
	seed.Affected = append(seed.Affected, struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
	}{})
	seed.Affected[0].Package.Name = "openclaw"
	seed.Affected[0].Ranges = append(seed.Affected[0].Ranges, struct {
		Events []map[string]string `json:"events"`
	}{Events: []map[string]string{{"introduced": "0"}, {"fixed": "2026.3.1"}}})
	if err := b.AddSeed(seed); err != nil {
		t.Fatal(err)
	}
	osv, err := ParseOSV([]byte(`{"id":"GHSA-aaaa-bbbb-cccc","modified":"2026-03-02T00:00:00Z","summary":"osv title",
	 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
	 "affected":[{"package":{"ecosystem":"npm","name":"openclaw"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]},
	             {"package":{"ecosystem":"npm","name":"clawdbot"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2026.1.29"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AddOSV(osv, "osv:test.json"); err != nil {
		t.Fatal(err)
	}
	db, err := b.Build(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Advisories) != 1 {
		t.Fatalf("want one merged advisory, got %d", len(db.Advisories))
	}
	a := db.Advisories[0]
	if a.ID != "GHSA-aaaa-bbbb-cccc" || !slices.Equal(a.Aliases, []string{"CVE-2026-0001"}) {
		t.Errorf("ids: %s %v", a.ID, a.Aliases)
	}
	if a.Summary != "osv title" || a.Provenance["summary"] != "osv:test.json" {
		t.Errorf("summary: OSV wins ties: %q from %s", a.Summary, a.Provenance["summary"])
	}
	if a.Severity != "critical" || a.CVSS.Score != 9.8 {
		t.Errorf("severity computed from the vector: %s %v", a.Severity, a.CVSS.Score)
	}
	// The seed's bounded range is fuller than OSV's open one.
	if a.Provenance["affected:openclaw"] != "seed:CVE-2026-0001" {
		t.Errorf("fuller affected range must win: %v", a.Provenance)
	}
	if got := matchIDs(db, "openclaw", "2026.3.1", MatchAffected); len(got) != 0 {
		t.Errorf("2026.3.1 is fixed, got %v", got)
	}
	if got := matchIDs(db, "clawdbot", "2026.1.28", MatchAffected); len(got) == 0 {
		t.Error("clawdbot range from OSV lost")
	}
}

func TestParseOSVRejectsGarbage(t *testing.T) {
	for name, in := range map[string]string{
		"not json":    `{"id":`,
		"no id":       `{"modified":"2026-01-01T00:00:00Z","affected":[{"package":{"name":"openclaw"}}]}`,
		"bad id":      `{"id":"../../etc","modified":"x","affected":[{"package":{"name":"openclaw"}}]}`,
		"no modified": `{"id":"GHSA-aaaa-bbbb-cccc","affected":[{"package":{"name":"openclaw"}}]}`,
		"no affected": `{"id":"GHSA-aaaa-bbbb-cccc","modified":"2026-01-01T00:00:00Z"}`,
		"bad version": `{"id":"GHSA-aaaa-bbbb-cccc","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"name":"openclaw"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"soon"}]}]}]}`,
		"bad event":   `{"id":"GHSA-aaaa-bbbb-cccc","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"name":"openclaw"},"ranges":[{"type":"ECOSYSTEM","events":[{"patched":"1.2.3"}]}]}]}`,
		"trailing":    `{"id":"GHSA-aaaa-bbbb-cccc","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"name":"openclaw"}}]} {}`,
		"array":       `[1,2,3]`,
	} {
		if _, err := ParseOSV([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error not one line: %q", name, err)
		}
	}
}

func TestCVSS3(t *testing.T) {
	for vec, want := range map[string]float64{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H": 8.8,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": 9.8,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H": 10,
		"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N": 3.3,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N": 6.1, // the classic reflected XSS
		"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H": 8.8,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N": 0,
	} {
		got, err := cvss3Score(vec)
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", vec, got, err, want)
		}
	}
	for _, bad := range []string{"", "CVSS:4.0/AV:N", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N"} {
		if _, err := cvss3Score(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestReleaseStanding(t *testing.T) {
	rel, err := EmbeddedReleases()
	if err != nil {
		t.Fatal(err)
	}
	latest := rel.Latest().Version
	st := rel.Stand(MustParseVersion(latest), false)
	if !st.Official || st.ReleasesBehind != 0 || st.DaysBehind != 0 || st.Channel != ChannelStable {
		t.Errorf("latest %s: %+v", latest, st)
	}
	old := rel.Stand(MustParseVersion("2026.2.21"), false)
	if !old.Official || old.ReleasesBehind < 50 || old.DaysBehind < 150 {
		t.Errorf("2026.2.21: %+v", old)
	}
	if st := rel.Stand(MustParseVersion("2026.5.16-beta.3"), false); st.Channel != ChannelBeta || !st.Official {
		t.Errorf("beta: %+v", st)
	}
	if st := rel.Stand(MustParseVersion("2026.7.35"), false); st.Channel != ChannelExtendedStable || st.ReleasesBehind != 0 || st.Latest.Version != "2026.7.35" {
		t.Errorf("newest extended-stable: %+v", st)
	}
	if st := rel.Stand(MustParseVersion("2026.6.33"), false); st.Channel != ChannelExtendedStable || st.ReleasesBehind != 5 || st.Latest.Version != "2026.7.35" {
		t.Errorf("older extended-stable is behind its own line: %+v", st)
	}
	if st := rel.Stand(MustParseVersion("2026.9.6"), true); st.Channel != ChannelDev {
		t.Errorf("git: %+v", st)
	}
	if st := rel.Stand(MustParseVersion("2026.9.7"), false); st.Official || !st.Newer {
		t.Errorf("unknown newer: %+v", st)
	}
	r, ok := rel.Lookup(MustParseVersion("2026.9.6"))
	if !ok || !strings.HasPrefix(r.Integrity, "sha512-Ie0kyQSCVfFqixsgVg39vevUDq01Ch5u3") {
		t.Errorf("2026.9.6 integrity: %+v", r)
	}
	if bytes.Contains(releasesJSON, []byte("://")) {
		t.Error("release table must hold no URLs (and so no registry host)")
	}
}

// BenchmarkMatchAllReleases matches every version of the release table
// against the whole database: `clawgov advisories match` for each release.
func BenchmarkMatchAllReleases(b *testing.B) {
	db := mustDB(b)
	rel, err := EmbeddedReleases()
	if err != nil {
		b.Fatal(err)
	}
	vs := rel.Versions()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, v := range vs {
			for _, pkg := range Packages {
				n += len(db.Match(pkg, v))
			}
		}
		if n == 0 {
			b.Fatal("no matches at all")
		}
	}
	b.ReportMetric(float64(len(vs)), "versions/op")
}

// BenchmarkLoadAndMatchAll includes parsing the embedded database, as a
// fresh `clawgov advisories match` process does.
func BenchmarkLoadAndMatchAll(b *testing.B) {
	rel, err := EmbeddedReleases()
	if err != nil {
		b.Fatal(err)
	}
	vs := rel.Versions()
	for b.Loop() {
		db, err := ParseDB(advisoriesJSON)
		if err != nil {
			b.Fatal(err)
		}
		for _, v := range vs {
			db.Match("openclaw", v)
		}
	}
}

func FuzzParseOSV(f *testing.F) {
	f.Add([]byte(`{"id":"GHSA-aaaa-bbbb-cccc","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"name":"openclaw"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2026.1.29"}]}]}]}`))
	f.Add([]byte(`{"id":"x"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseOSV(b)
		if err != nil {
			return
		}
		bl := NewBuilder()
		if err := bl.AddOSV(r, "osv:fuzz.json"); err != nil {
			return
		}
		db, err := bl.Build(nil, nil)
		if err != nil {
			return
		}
		db.Match("openclaw", MustParseVersion("2026.1.1"))
	})
}

// TestMatchAgreesWithRanges checks Match against a direct evaluation of
// every stored interval, for every release in the table and the versions
// around each range bound.
func TestMatchAgreesWithRanges(t *testing.T) {
	db := mustDB(t)
	rel, _ := EmbeddedReleases()
	versions := rel.Versions()
	for _, a := range db.Advisories {
		for _, af := range a.Affected {
			for _, r := range af.Ranges {
				for _, b := range []string{r.Introduced, r.Fixed, r.LastAffected} {
					if b != "" && b != "0" {
						v := MustParseVersion(b)
						versions = append(versions, v, Version{Core: v.Core, Correction: v.Correction + 1}, Version{Core: v.Core, Pre: []string{"beta", "1"}})
					}
				}
			}
		}
	}
	for _, pkg := range []string{"openclaw", "clawdbot", "moltbot"} {
		for _, v := range versions {
			got := map[string]bool{}
			for _, m := range db.Match(pkg, v) {
				if m.Kind == MatchAffected {
					got[m.Advisory.ID] = true
				}
			}
			for _, a := range db.Advisories {
				want := false
				for _, af := range a.Affected {
					if af.Package != pkg || !af.RangeKnown || a.Withdrawn != "" {
						continue
					}
					for _, r := range af.Ranges {
						in := r.Introduced == "" || r.Introduced == "0" || MustParseVersion(r.Introduced).Compare(v) <= 0
						switch {
						case r.Fixed != "":
							in = in && v.Less(MustParseVersion(r.Fixed))
						case r.LastAffected != "":
							in = in && v.Compare(MustParseVersion(r.LastAffected)) <= 0
						}
						want = want || in
					}
					for _, x := range af.Versions {
						want = want || MustParseVersion(x).Compare(v) == 0
					}
				}
				if got[a.ID] != want {
					t.Fatalf("%s@%s %s: Match=%v, ranges say %v", pkg, v, a.ID, got[a.ID], want)
				}
			}
		}
	}
}

// TestEverySourceRecordIsInTheDB: every OSV file and every seed record is
// findable by its own ID after the merge.
func TestEverySourceRecordIsInTheDB(t *testing.T) {
	dir := sharedData(t)
	db := mustDB(t)
	files, _ := filepath.Glob(filepath.Join(dir, "osv", "*.json"))
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".json")
		a, ok := db.Get(id)
		if !ok {
			t.Errorf("OSV %s missing", id)
			continue
		}
		if a.Detail != "osv" {
			t.Errorf("%s: detail %q, want osv", id, a.Detail)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "openclaw-advisories-seed.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seed []SeedRecord
	if err := json.Unmarshal(b, &seed); err != nil {
		t.Fatal(err)
	}
	for _, r := range seed {
		a, ok := db.Get(r.ID)
		if !ok {
			t.Errorf("seed %s missing", r.ID)
			continue
		}
		for _, al := range r.Aliases {
			if !slices.Contains(a.AllIDs(), canonID(al)) {
				t.Errorf("seed %s: alias %s lost", r.ID, al)
			}
		}
	}
	if len(files) == 0 || len(seed) == 0 {
		t.Fatal("no source records read")
	}
}
