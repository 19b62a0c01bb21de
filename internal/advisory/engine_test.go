package advisory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/posture"
)

// embeddedEngine never reads the user's cache.
var embeddedEngine = Engine{Load: Embedded}

func runEngine(t *testing.T, inv *openclaw.Inventory, deep bool) []finding.Finding {
	t.Helper()
	ran, fs, errs := embeddedEngine.Run(context.Background(), &posture.Snapshot{OC: inv, Deep: deep})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !slices.Equal(ran, AllChecks) {
		t.Errorf("ran %v", ran)
	}
	return fs
}

func install(name, version string) openclaw.Install {
	return openclaw.Install{Root: "/usr/local/lib/node_modules/" + name, Name: name, Version: version, Method: "npm-global"}
}

func byCheck(fs []finding.Finding, id string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.CheckID == id {
			out = append(out, f)
		}
	}
	return out
}

func hasAdvisory(fs []finding.Finding, id string) *finding.Finding {
	for i := range fs {
		if fs[i].Params["id"] == id {
			return &fs[i]
		}
	}
	return nil
}

func TestEngineCurrentVersionIsClean(t *testing.T) {
	rel, _ := EmbeddedReleases()
	fs := runEngine(t, &openclaw.Inventory{Installs: []openclaw.Install{install("openclaw", rel.Latest().Version)}}, false)
	if n := len(byCheck(fs, CheckVulnerable)) + len(byCheck(fs, CheckBrowserHijack)); n != 0 {
		t.Fatalf("latest release reported vulnerable %d times", n)
	}
	// Unknown-range advisories published after the release: manual, never
	// fail, never pass silently.
	for _, f := range byCheck(fs, CheckUnknownRange) {
		if f.Status != finding.Manual {
			t.Errorf("unknown range reported as %s", f.Status)
		}
	}
}

func TestEngineOldVersion(t *testing.T) {
	fs := runEngine(t, &openclaw.Inventory{Installs: []openclaw.Install{install("openclaw", "2026.1.28")}}, false)
	f := hasAdvisory(byCheck(fs, CheckBrowserHijack), "GHSA-g8p2-7wf7-98mq")
	if f == nil {
		t.Fatal("CVE-2026-25253 not reported under the browser-hijack check")
	}
	if f.Status != finding.Fail || f.Severity != finding.High || f.Params["fixed"] != "2026.1.29" ||
		f.Params["upgrade"] != "npm i -g openclaw@2026.1.29" || !strings.Contains(f.Params["aliases"], "CVE-2026-25253") {
		t.Errorf("finding %+v", f)
	}
	if hasAdvisory(byCheck(fs, CheckVulnerable), "GHSA-g8p2-7wf7-98mq") != nil {
		t.Error("browser-hijack advisory also reported under CG-ADV-001")
	}
	if len(byCheck(fs, CheckVulnerable)) < 50 {
		t.Errorf("2026.1.28 matched only %d advisories", len(byCheck(fs, CheckVulnerable)))
	}
	// One finding per advisory.
	seen := map[string]bool{}
	for _, f := range fs {
		if f.CheckID == CheckUnknownRange {
			continue
		}
		if seen[f.Params["id"]] {
			t.Errorf("advisory %s reported twice", f.Params["id"])
		}
		seen[f.Params["id"]] = true
	}
}

func TestEngineIntroducedRange(t *testing.T) {
	in := func(v string) bool {
		fs := runEngine(t, &openclaw.Inventory{Installs: []openclaw.Install{install("openclaw", v)}}, false)
		return hasAdvisory(fs, "CVE-2026-43575") != nil
	}
	if in("2026.2.20") || !in("2026.2.21") || !in("2026.4.9") || in("2026.4.10") {
		t.Error("CVE-2026-43575 must affect exactly [2026.2.21, 2026.4.10)")
	}
}

func TestEngineLegacyAndForks(t *testing.T) {
	fs := runEngine(t, &openclaw.Inventory{Installs: []openclaw.Install{install("clawdbot", "2026.1.24-3")}}, false)
	f := hasAdvisory(fs, "GHSA-g8p2-7wf7-98mq")
	if f == nil {
		t.Fatal("legacy clawdbot not matched against its advisories")
	}
	rel, _ := EmbeddedReleases()
	if f.Params["upgrade"] != "npm i -g openclaw@"+rel.Latest().Version {
		t.Errorf("legacy upgrade must move to openclaw latest: %q", f.Params["upgrade"])
	}
	// Forks are the install engine's business: their version numbers are
	// not openclaw's.
	fs = runEngine(t, &openclaw.Inventory{Installs: []openclaw.Install{install("openclaw-cn", "2026.1.5")}}, false)
	if len(fs) != 1 || fs[0].MessageKey != "no_version" || fs[0].Status != finding.Manual {
		t.Errorf("fork only: %+v", fs)
	}
}

func TestEngineNoVersionIsManual(t *testing.T) {
	fs := runEngine(t, &openclaw.Inventory{}, false)
	if len(fs) != 1 || fs[0].Status != finding.Manual || fs[0].CheckID != CheckVulnerable {
		t.Fatalf("%+v", fs)
	}
	// State only: the state's last writer is matched.
	fs = runEngine(t, &openclaw.Inventory{State: &openclaw.State{AppVersion: "2026.1.28"}}, false)
	if f := hasAdvisory(fs, "GHSA-g8p2-7wf7-98mq"); f == nil || f.Evidence[0].Kind != "state" {
		t.Errorf("state version not matched: %v", f)
	}
}

func TestEngineDeepMatchesRunningGateway(t *testing.T) {
	rel, _ := EmbeddedReleases()
	inv := &openclaw.Inventory{Installs: []openclaw.Install{install("openclaw", rel.Latest().Version)},
		Live: &openclaw.LiveGateway{URL: "http://127.0.0.1:18789", Version: "2026.1.28"}}
	fs := runEngine(t, inv, true)
	f := hasAdvisory(fs, "GHSA-g8p2-7wf7-98mq")
	if f == nil || !strings.HasPrefix(f.Target, "gateway ") {
		t.Fatalf("running old gateway not matched: %+v", f)
	}
	// Without --deep the live version is not used.
	if fs := runEngine(t, inv, false); hasAdvisory(fs, "GHSA-g8p2-7wf7-98mq") != nil {
		t.Error("live version used without --deep")
	}
}

func TestEngineUnparseableVersionIsError(t *testing.T) {
	fs := runEngine(t, &openclaw.Inventory{Installs: []openclaw.Install{install("openclaw", "latest-and-greatest")}}, false)
	if len(fs) != 1 || fs[0].Status != finding.Error {
		t.Fatalf("%+v", fs)
	}
}

func TestUpgradeCommand(t *testing.T) {
	for _, c := range [][3]string{
		{"npm-global", "2026.4.10", "npm i -g openclaw@2026.4.10"},
		{"pnpm-global", "2026.4.10", "pnpm add -g openclaw@2026.4.10"},
		{"bun-global", "", "bun add -g openclaw@latest"},
		{"git", "2026.9.6", "openclaw update --tag v2026.9.6"},
	} {
		if got := UpgradeCommand(c[0], c[1]); got != c[2] {
			t.Errorf("UpgradeCommand(%s,%s) = %q", c[0], c[1], got)
		}
	}
}

func TestEngineOfficialPlugin(t *testing.T) {
	db := mustDB(t)
	var pkg string
	var fixed string
	for _, a := range db.Advisories {
		for _, af := range a.Affected {
			if strings.HasPrefix(af.Package, "@openclaw/") && af.RangeKnown && len(af.Ranges) > 0 && af.Ranges[0].Fixed != "" {
				pkg, fixed = af.Package, af.Ranges[0].Fixed
			}
		}
	}
	if pkg == "" {
		t.Skip("no plugin advisory with a fixed version in the database")
	}
	v := MustParseVersion(fixed)
	older := Version{Core: []int{v.Core[0], v.Core[1], 0}}
	if older.Compare(v) >= 0 {
		older = Version{Core: []int{v.Core[0] - 1, 1, 1}}
	}
	plug := func(ver string) *openclaw.Inventory {
		return &openclaw.Inventory{Plugins: []openclaw.Plugin{{Name: pkg, Version: ver, Dir: "/home/claw/.openclaw/extensions/x"}}}
	}
	fs := runEngine(t, plug(older.String()), false)
	found := false
	for _, f := range fs {
		if f.Params["package"] == pkg {
			found = true
			if f.Params["upgrade"] != "openclaw plugins install "+pkg+"@"+MustParseVersion(fixed).String() {
				t.Errorf("plugin upgrade command %q", f.Params["upgrade"])
			}
		}
	}
	if !found {
		t.Errorf("%s %s not matched", pkg, older)
	}
	for _, f := range runEngine(t, plug(fixed), false) {
		if f.Params["package"] == pkg {
			t.Errorf("%s %s (fixed) matched", pkg, fixed)
		}
	}
}

// TestEngineUnknownRange: an advisory naming openclaw without a range is
// manual when published after the installed release, absent when
// published before it, and never a failure.
func TestEngineUnknownRange(t *testing.T) {
	s := func(x string) *string { return &x }
	mk := func(published string) func() (*DB, error) {
		return func() (*DB, error) {
			b := NewBuilder()
			r := SeedRecord{ID: "CVE-2026-77777", Summary: s("range never captured"), Published: published, DetailsLevel: "id-only"}
			r.Affected = make([]struct {
				Package struct {
					Name string `json:"name"`
				} `json:"package"`
				Ranges []struct {
					Events []map[string]string `json:"events"`
				} `json:"ranges"`
			}, 1)
			r.Affected[0].Package.Name = "openclaw"
			r.Affected[0].Ranges = append(r.Affected[0].Ranges, struct {
				Events []map[string]string `json:"events"`
			}{Events: []map[string]string{{"introduced": "0"}}})
			if err := b.AddSeed(r); err != nil {
				return nil, err
			}
			return b.Build(nil, nil)
		}
	}
	inv := &openclaw.Inventory{Installs: []openclaw.Install{install("openclaw", "2026.5.26")}}
	run := func(published string) []finding.Finding {
		_, fs, errs := Engine{Load: mk(published)}.Run(context.Background(), &posture.Snapshot{OC: inv})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return fs
	}
	fs := run("2026-07-01")
	if len(fs) != 1 || fs[0].CheckID != CheckUnknownRange || fs[0].Status != finding.Manual || fs[0].Params["ids"] != "CVE-2026-77777" {
		t.Fatalf("published after the release: %+v", fs)
	}
	if fs := run("2026-03-01"); len(fs) != 0 {
		t.Errorf("published before the release: %+v", fs)
	}
	if fs := run(""); len(fs) != 1 || fs[0].CheckID != CheckUnknownRange {
		t.Errorf("unknown publication date must stay manual: %+v", fs)
	}
}

// TestStaleDatabaseIsANoticeNotAFinding: the age of clawgov's own data is
// reported by Describe (the report's meta.data and notice), and the engine
// raises nothing for it however old the data is.
func TestStaleDatabaseIsANoticeNotAFinding(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the embedded database, never a user's cache
	db := mustDB(t)
	mod, err := parseDay(db.Modified)
	if err != nil {
		t.Fatal(err)
	}
	inv := &openclaw.Inventory{Installs: []openclaw.Install{install("openclaw", "2026.9.6")}}
	old := mod.AddDate(0, 0, DefaultStaleDays+10)
	_, fs, _ := embeddedEngine.Run(context.Background(), &posture.Snapshot{OC: inv, Now: old})
	for _, f := range fs {
		if f.CheckID == "CG-ADV-004" {
			t.Errorf("retired CG-ADV-004 still raised: %+v", f)
		}
	}
	fresh := Describe(mod.AddDate(0, 0, DefaultStaleDays), 0)
	if fresh.Advisories == nil || fresh.Advisories.Stale || fresh.Advisories.AgeDays != DefaultStaleDays || fresh.Advisories.Date != db.Modified[:10] {
		t.Errorf("fresh: %+v", fresh.Advisories)
	}
	stale := Describe(old, 0)
	if !stale.Advisories.Stale || stale.Advisories.AgeDays != DefaultStaleDays+10 || stale.Advisories.Source != "embedded database" {
		t.Errorf("stale: %+v", stale.Advisories)
	}
	if stale.Releases == nil || stale.Releases.Date == "" || !strings.Contains(stale.Releases.Source, "release table") {
		t.Errorf("releases: %+v", stale.Releases)
	}
	if fmt.Sprint(Describe(old, DefaultStaleDays+11).Advisories.Stale) != "false" {
		t.Error("a larger threshold must not be stale")
	}
}
