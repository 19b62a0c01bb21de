package provenance

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	hostfacts "github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/posture"
)

// ownChecks reads this engine's and the advisory engine's catalog files
// directly, so the test does not depend on the rest of the catalog (the
// catalog's own test validates the whole).
func ownChecks(t *testing.T) map[string]*catalog.Check {
	t.Helper()
	out := map[string]*catalog.Check{}
	for _, f := range []string{"../catalog/data/checks/install.yaml", "../catalog/data/checks/advisory.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cs []*catalog.Check
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&cs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cs {
			out[c.ID] = c
		}
	}
	return out
}

var leftover = regexp.MustCompile(`\{[a-z_]+\}`)

// checkRendered renders every finding in both languages from the catalog
// and fails on a missing template or an unfilled placeholder.
func checkRendered(t *testing.T, fs []finding.Finding) {
	t.Helper()
	cat := ownChecks(t)
	for _, f := range fs {
		ch, ok := cat[f.CheckID]
		if !ok {
			t.Errorf("%s: not in the catalog", f.CheckID)
			continue
		}
		if f.MessageKey == "" {
			continue
		}
		tmpl, ok := ch.Messages[f.MessageKey]
		if !ok {
			t.Errorf("%s: no message %q in the catalog", f.CheckID, f.MessageKey)
			continue
		}
		for _, l := range []catalog.Lang{catalog.EN, catalog.ZH} {
			if s := catalog.Render(tmpl.Get(l), f.Params); leftover.MatchString(s) {
				t.Errorf("%s/%s (%s): unfilled placeholder in %q", f.CheckID, f.MessageKey, l, s)
			}
		}
	}
}

// TestEveryMessageRenders drives both engines through cases that produce
// every message key and renders them.
func TestEveryMessageRenders(t *testing.T) {
	var all []finding.Finding
	build := []func(tr *tree){
		func(tr *tree) {},
		func(tr *tree) { tr.inv.State = &openclaw.State{AppVersion: "2026.9.6"} },
		func(tr *tree) {
			tr.pkg("/a/node_modules/@romiluz/clawmongo", "@romiluz/clawmongo", "2026.4.8", "x", []string{"openclaw"}, "npm-global", false)
			tr.pkg("/b/node_modules/openclaw-cn", "openclaw-cn", "2026.1.31", "", nil, "npm-global", false)
			tr.pkg("/c/node_modules/clawdbot", "clawdbot", "2026.1.24-3", "", nil, "npm-global", false)
			tr.pkg("/d/lib/node_modules/openclaw", "openclaw", "2026.9.99", "", nil, "npm-global", false)
			tr.pkg("/e/lib/node_modules/openclaw", "openclaw", "2026.1.29", "https://github.com/x/y", nil, "npm-global", true)
			tr.write("/e/lib/node_modules/openclaw/dist/build-info.json", `{"version":"2026.1.30"}`)
			tr.pkg("/f/lib/node_modules/openclaw", "openclaw", "2026.9.1-beta.1", officialRepo, nil, "npm-global", true)
			tr.pkg("/g/openclaw", "openclaw", "2026.9.7", officialRepo, nil, "git", false)
			tr.pkg("/h/lib/node_modules/openclaw", "openclaw", "bogus", officialRepo, nil, "npm-global", true)
			tr.pkg("/i/lib/node_modules/openclaw", "openclaw", "2026.9.5", officialRepo, nil, "npm-global", true)
			tr.pkg("/j/lib/node_modules/openclaw", "openclaw", "2026.1.20", officialRepo, nil, "npm-global", true)
			tr.write("/home/claw/.npmrc", "registry=https://mirror.example.cn/\nregistry=file:../local\n")
			tr.cacheIndex(officialReg, "openclaw", "2026.9.5", "sha512-bad")
			tr.inv.State = &openclaw.State{AppVersion: "2026.9.6"}
			tr.inv.Live = &openclaw.LiveGateway{URL: "http://127.0.0.1:18789", Version: "2026.1.1"}
		},
	}
	for _, b := range build {
		tr := newTree(t)
		b(tr)
		_, fs := tr.run(Engine{})
		all = append(all, fs...)
		_, afs, _ := advisory.Engine{Load: advisory.Embedded}.Run(context.Background(), &posture.Snapshot{OC: tr.inv, Deep: tr.inv.Live != nil, Now: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)})
		all = append(all, afs...)
	}
	tr := newTree(t)
	tr.pkg(global, "openclaw", "2026.9.6", officialRepo, nil, "npm-global", true)
	tr.write("/home/claw/.npmrc", "registry=https://mirror.example.cn/\n")
	_, fs := tr.run(Engine{OfficialRegistry: func(context.Context) (string, error) { return "", context.Canceled }})
	all = append(all, fs...)

	// An organisation baseline above the installed version.
	btr := newTree(t)
	btr.pkg(global, "openclaw", "2026.3.7", officialRepo, nil, "npm-global", true)
	_, bfs, _ := Engine{OfficialRegistry: official}.Run(context.Background(), &posture.Snapshot{OC: btr.inv, MinVersion: "2026.9.6"})
	all = append(all, bfs...)
	// The skips of the live-state check (tr.run strips the not_deep one).
	for _, s := range []*posture.Snapshot{{OC: tr.inv}, {OC: tr.inv, Host: &hostfacts.Facts{Rootfs: "/mnt/img"}}} {
		_, fs, _ := Engine{OfficialRegistry: official}.Run(context.Background(), s)
		all = append(all, fs...)
	}
	seen := map[string]bool{}
	for _, f := range all {
		seen[f.CheckID+"/"+f.MessageKey] = true
	}
	cat := ownChecks(t)
	for _, id := range append(append([]string{}, AllChecks...), advisory.AllChecks...) {
		ch, ok := cat[id]
		if !ok {
			t.Errorf("%s missing from the catalog", id)
			continue
		}
		for key := range ch.Messages {
			// Keys exercised elsewhere (fixture tests) or needing a config
			// tree: their placeholders are checked by the catalog's
			// same-placeholders rule and by TestFixtures.
			exempt := map[string]bool{"CG-INS-012/live_newer": true, "CG-INS-011/config_older": true, "CG-INS-011/config_newer": true, "CG-INS-011/state_newer": true, "CG-INS-005/commit_mismatch": true}
			for _, k := range fileMessages {
				exempt[CheckIntegrity+"/"+k] = true // TestFileManifestDecidesWithoutLockfile, on the real install
			}
			if !seen[id+"/"+key] && !exempt[id+"/"+key] {
				t.Errorf("message %s/%s never produced by the test cases", id, key)
			}
		}
	}
	checkRendered(t, all)
}

// TestCatalogMatchesEngines: the catalog's install/advisory checks are
// exactly the ones the engines evaluate.
func TestCatalogMatchesEngines(t *testing.T) {
	want := map[string][]string{
		"install":  AllChecks,
		"advisory": advisory.AllChecks,
	}
	got := map[string][]string{}
	for id, c := range ownChecks(t) {
		got[c.Engine] = append(got[c.Engine], id)
	}
	for eng, ids := range want {
		g := got[eng]
		slices.Sort(g)
		w := slices.Clone(ids)
		slices.Sort(w)
		if !slices.Equal(g, w) {
			t.Errorf("engine %s: catalog %v, engine %v", eng, g, w)
		}
	}
}
