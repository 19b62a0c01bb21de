package provenance

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/finding"
	hostfacts "github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/manifest"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/posture"
)

// The official registry is injected: tests never name a real registry.
const officialReg = "https://registry.npm.example/"

const officialRepo = "git+https://github.com/openclaw/openclaw.git"

func official(context.Context) (string, error) { return officialReg, nil }

// tree builds an install tree under a temp rootfs.
type tree struct {
	t      *testing.T
	rootfs string
	inv    *openclaw.Inventory
}

func newTree(t *testing.T) *tree {
	rootfs := t.TempDir()
	return &tree{t: t, rootfs: rootfs, inv: &openclaw.Inventory{Rootfs: rootfs, Env: map[string]string{}, Paths: openclaw.Paths{Home: "/home/claw"}}}
}

func (tr *tree) write(p string, data string) {
	tr.t.Helper()
	full := filepath.Join(tr.rootfs, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		tr.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
		tr.t.Fatal(err)
	}
}

// pkg writes package.json (and build-info unless noBuildInfo) and adds the
// install to the inventory, as the inventory engineer's detection would.
func (tr *tree) pkg(root, name, version, repo string, bins []string, method string, buildInfo bool) *openclaw.Install {
	tr.t.Helper()
	pj := map[string]any{"name": name, "version": version}
	if repo != "" {
		pj["repository"] = map[string]string{"type": "git", "url": repo}
	}
	if len(bins) > 0 {
		bm := map[string]string{}
		for _, b := range bins {
			bm[b] = "bin/" + b + ".mjs"
		}
		pj["bin"] = bm
	}
	b, _ := json.Marshal(pj)
	tr.write(path.Join(root, "package.json"), string(b))
	if buildInfo {
		tr.write(path.Join(root, "dist/build-info.json"), `{"version":"`+version+`","commit":"eb377ac59e6c0000000000000000000000000000","builtAt":"2026-09-23T16:33:12Z"}`)
	}
	tr.inv.Installs = append(tr.inv.Installs, openclaw.Install{Root: root, Name: name, Version: version, Repository: repo, Bins: bins, Method: method, OnPath: len(tr.inv.Installs) == 0})
	return &tr.inv.Installs[len(tr.inv.Installs)-1]
}

// cacheIndex writes an npm cache index entry for a tarball fetch.
func (tr *tree) cacheIndex(registry, name, version, integrity string) {
	key := "make-fetch-happen:request-cache:" + strings.TrimSuffix(registry, "/") + "/" + name + "/-/" + name + "-" + version + ".tgz"
	e, _ := json.Marshal(map[string]any{"key": key, "integrity": integrity, "time": 1})
	tr.write("/home/claw/.npm/_cacache/index-v5/ab/cd/"+name+version, "5f0e\t"+string(e)+"\n")
}

func (tr *tree) run(e Engine) ([]string, []finding.Finding) {
	tr.t.Helper()
	if e.OfficialRegistry == nil {
		e.OfficialRegistry = official
	}
	if e.Manifest == nil {
		// Fixture trees hold a package.json, not the release's 12,000
		// files: the file manifest is tested on the real install.
		e.Manifest = noManifest
	}
	deep := tr.inv.Live != nil
	ran, fs, errs := e.Run(context.Background(), &posture.Snapshot{OC: tr.inv, Deep: deep})
	if len(errs) > 0 {
		tr.t.Fatalf("run errors: %+v", errs)
	}
	if !deep && len(tr.inv.Installs) > 0 {
		// Without a probe CG-INS-012 did not run and says so (never a
		// silent pass). Asserted here once, so each case lists only the
		// findings it is about.
		i := slices.IndexFunc(fs, func(f finding.Finding) bool {
			return f.CheckID == CheckLiveMismatch && f.Status == finding.Skip && f.MessageKey == "not_deep"
		})
		if i < 0 {
			tr.t.Fatalf("no CG-INS-012 skip/not_deep without --deep: %v", keyed(fs))
		}
		fs = slices.Delete(fs, i, i+1)
	}
	return ran, fs
}

// TestLiveMismatchNeedsLiveHost: the running gateway's version is live
// state. Without --deep the check says it did not run; on a disk image it
// does not apply; with a probe it is evaluated.
func TestLiveMismatchNeedsLiveHost(t *testing.T) {
	tr := newTree(t)
	v := latest(t)
	tr.pkg(global, "openclaw", v, officialRepo, []string{"openclaw"}, "npm-global", true)
	tr.cacheIndex(officialReg, "openclaw", v, integrityOf(t, v))
	e := Engine{OfficialRegistry: official, Manifest: noManifest}
	run := func(s *posture.Snapshot) []string {
		_, fs, _ := e.Run(context.Background(), s)
		var out []string
		for _, f := range fs {
			if f.CheckID == CheckLiveMismatch {
				out = append(out, f.MessageKey+"/"+string(f.Status))
			}
		}
		return out
	}
	if got := run(&posture.Snapshot{OC: tr.inv}); !slices.Equal(got, []string{"not_deep/skip"}) {
		t.Errorf("live host without --deep: %v", got)
	}
	if got := run(&posture.Snapshot{OC: tr.inv, Host: &hostfacts.Facts{Rootfs: "/mnt/img"}}); !slices.Equal(got, []string{posture.NoLiveHostKey + "/skip"}) {
		t.Errorf("disk image: %v", got)
	}
	tr.inv.Live = &openclaw.LiveGateway{URL: "http://127.0.0.1:18789", Reachable: true, Version: v}
	if got := run(&posture.Snapshot{OC: tr.inv, Deep: true, Host: &hostfacts.Facts{Live: true}}); len(got) != 0 {
		t.Errorf("probed, same version: %v", got)
	}
}

func noManifest(string) (*manifest.Release, bool, error) { return nil, false, nil }

func integrityOf(t *testing.T, v string) string {
	rel, err := advisory.EmbeddedReleases()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := rel.Lookup(advisory.MustParseVersion(v))
	if !ok {
		t.Fatalf("%s not in the release table", v)
	}
	return r.Integrity
}

func latest(t *testing.T) string {
	rel, err := advisory.EmbeddedReleases()
	if err != nil {
		t.Fatal(err)
	}
	return rel.Latest().Version
}

// keyed returns "CHECK/key" for each finding, sorted.
func keyed(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.CheckID+"/"+f.MessageKey+"/"+string(f.Status))
	}
	slices.Sort(out)
	return out
}

const global = "/usr/local/lib/node_modules/openclaw"

func TestOfficialCurrentInstallIsClean(t *testing.T) {
	tr := newTree(t)
	v := latest(t)
	tr.pkg(global, "openclaw", v, officialRepo, []string{"openclaw"}, "npm-global", true)
	tr.cacheIndex(officialReg, "openclaw", v, integrityOf(t, v))
	ran, fs := tr.run(Engine{})
	if !slices.Equal(ran, AllChecks) {
		t.Errorf("ran %v", ran)
	}
	if len(fs) != 0 {
		t.Fatalf("official current install raised %v", keyed(fs))
	}
}

func TestFixtures(t *testing.T) {
	tests := []struct {
		name  string
		build func(tr *tree)
		want  []string // every finding, as CHECK/key/status
	}{
		{"old vulnerable version", func(tr *tree) {
			tr.pkg(global, "openclaw", "2026.2.21", officialRepo, []string{"openclaw"}, "npm-global", true)
			tr.cacheIndex(officialReg, "openclaw", "2026.2.21", integrityOf(tr.t, "2026.2.21"))
		}, []string{"CG-INS-009/far_behind/fail"}},
		{"older than every listed release", func(tr *tree) {
			tr.pkg(global, "openclaw", "2026.1.20", officialRepo, []string{"openclaw"}, "npm-global", true)
		}, []string{"CG-INS-008/unlisted_old/fail", "CG-INS-009/far_behind/fail"}},
		{"slightly behind", func(tr *tree) {
			tr.pkg(global, "openclaw", "2026.9.5", officialRepo, []string{"openclaw"}, "npm-global", true)
			tr.cacheIndex(officialReg, "openclaw", "2026.9.5", integrityOf(tr.t, "2026.9.5"))
		}, []string{"CG-INS-009/behind/warn"}},
		{"fork shadowing the openclaw bin", func(tr *tree) {
			tr.pkg("/usr/local/lib/node_modules/@romiluz/clawmongo", "@romiluz/clawmongo", "2026.4.8", "git+https://github.com/romiluz/ClawMongo-v2.git", []string{"openclaw", "clawmongo"}, "npm-global", false)
		}, []string{"CG-INS-002/fork_shadow/fail"}},
		{"look-alike package", func(tr *tree) {
			tr.pkg("/usr/local/lib/node_modules/openclaw-cn", "openclaw-cn", "2026.1.31", "", []string{"openclaw-cn", "clawdbot-cn"}, "npm-global", false)
		}, []string{"CG-INS-002/fork/fail"}},
		{"legacy clawdbot", func(tr *tree) {
			tr.pkg("/usr/local/lib/node_modules/clawdbot", "clawdbot", "2026.1.24-3", "", []string{"clawdbot"}, "npm-global", false)
		}, []string{"CG-INS-003/legacy/fail"}},
		{"mirror registry in .npmrc", func(tr *tree) {
			v := latest(tr.t)
			tr.pkg(global, "openclaw", v, officialRepo, []string{"openclaw"}, "npm-global", true)
			tr.write("/home/claw/.npmrc", "; mirror for speed\nregistry=https://mirror.example.cn/\n")
			tr.cacheIndex("https://mirror.example.cn", "openclaw", v, integrityOf(tr.t, v))
		}, []string{"CG-INS-006/mirror/fail", "CG-INS-006/mirror/fail"}},
		{"mirror from the environment, scoped", func(tr *tree) {
			v := latest(tr.t)
			tr.pkg(global, "openclaw", v, officialRepo, []string{"openclaw"}, "npm-global", true)
			tr.inv.Env["npm_config_registry"] = "https://mirror.example.cn"
			tr.write("/usr/local/etc/npmrc", "@openclaw:registry=https://other-mirror.example/npm/\n")
			tr.cacheIndex(officialReg, "openclaw", v, integrityOf(tr.t, v))
		}, []string{"CG-INS-006/mirror/fail", "CG-INS-006/mirror/fail"}},
		{"tampered integrity in a project lockfile", func(tr *tree) {
			v := latest(tr.t)
			root := "/srv/bot/node_modules/openclaw"
			tr.pkg(root, "openclaw", v, officialRepo, []string{"openclaw"}, "local", true)
			lock := `{"lockfileVersion":3,"packages":{"node_modules/openclaw":{"version":"` + v + `","resolved":"` + officialReg + `openclaw/-/openclaw-` + v + `.tgz","integrity":"sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}}}`
			tr.write("/srv/bot/package-lock.json", lock)
		}, []string{"CG-INS-007/mismatch/fail"}},
		{"integrity not recorded", func(tr *tree) {
			tr.pkg(global, "openclaw", latest(tr.t), officialRepo, []string{"openclaw"}, "npm-global", true)
		}, []string{"CG-INS-007/unrecorded/manual"}},
		{"git checkout (dev channel)", func(tr *tree) {
			v := latest(tr.t)
			tr.pkg("/home/claw/openclaw", "openclaw", v, officialRepo, []string{"openclaw"}, "git", false)
			tr.write("/home/claw/openclaw/.git/HEAD", "ref: refs/heads/main\n")
		}, []string{"CG-INS-007/unrecorded/manual", "CG-INS-010/dev/warn"}},
		{"git checkout of an unreleased version", func(tr *tree) {
			tr.pkg("/home/claw/openclaw", "openclaw", "2026.9.7", officialRepo, []string{"openclaw"}, "unknown", false)
			tr.write("/home/claw/openclaw/.git/HEAD", "ref: refs/heads/main\n")
		}, []string{"CG-INS-008/git_unreleased/warn", "CG-INS-010/dev/warn"}},
		{"beta channel", func(tr *tree) {
			tr.pkg(global, "openclaw", "2026.9.1-beta.1", officialRepo, []string{"openclaw"}, "npm-global", true)
			tr.cacheIndex(officialReg, "openclaw", "2026.9.1-beta.1", integrityOf(tr.t, "2026.9.1-beta.1"))
		}, []string{"CG-INS-009/behind/warn", "CG-INS-010/beta/warn"}},
		{"repository elsewhere", func(tr *tree) {
			v := latest(tr.t)
			tr.pkg(global, "openclaw", v, "git+https://github.com/someone/openclaw.git", []string{"openclaw"}, "npm-global", true)
			tr.cacheIndex(officialReg, "openclaw", v, integrityOf(tr.t, v))
		}, []string{"CG-INS-004/repository/fail"}},
		{"no repository, no build info, unofficial version", func(tr *tree) {
			tr.pkg(global, "openclaw", "2026.9.99", "", []string{"openclaw"}, "npm-global", false)
		}, []string{"CG-INS-004/no_repository/fail", "CG-INS-005/missing/warn", "CG-INS-008/not_official/fail"}},
		{"build info for another version", func(tr *tree) {
			v := latest(tr.t)
			tr.pkg(global, "openclaw", v, officialRepo, []string{"openclaw"}, "npm-global", false)
			tr.write(global+"/dist/build-info.json", `{"version":"2026.9.5","commit":"abc"}`)
			tr.cacheIndex(officialReg, "openclaw", v, integrityOf(tr.t, v))
		}, []string{"CG-INS-005/version_mismatch/fail"}},
		{"no install at all", func(tr *tree) {}, []string{"CG-INS-001/none/manual"}},
		{"no install, state only", func(tr *tree) {
			tr.inv.State = &openclaw.State{Path: "/home/claw/.openclaw/state/openclaw.sqlite", AppVersion: "2026.9.6"}
		}, []string{"CG-INS-001/state_only/manual"}},
		{"state written by an older version (not restarted)", func(tr *tree) {
			v := latest(tr.t)
			tr.pkg(global, "openclaw", v, officialRepo, []string{"openclaw"}, "npm-global", true)
			tr.cacheIndex(officialReg, "openclaw", v, integrityOf(tr.t, v))
			tr.inv.State = &openclaw.State{Path: "/home/claw/.openclaw/state/openclaw.sqlite", AppVersion: "2026.9.5"}
		}, []string{"CG-INS-011/state_older/warn"}},
		{"state written by a newer version (downgrade)", func(tr *tree) {
			tr.pkg(global, "openclaw", "2026.9.5", officialRepo, []string{"openclaw"}, "npm-global", true)
			tr.cacheIndex(officialReg, "openclaw", "2026.9.5", integrityOf(tr.t, "2026.9.5"))
			tr.inv.State = &openclaw.State{Path: "/home/claw/.openclaw/state/openclaw.sqlite", AppVersion: "2026.9.6"}
		}, []string{"CG-INS-009/behind/warn", "CG-INS-011/state_newer/warn"}},
		{"state matches", func(tr *tree) {
			v := latest(tr.t)
			tr.pkg(global, "openclaw", v, officialRepo, []string{"openclaw"}, "npm-global", true)
			tr.cacheIndex(officialReg, "openclaw", v, integrityOf(tr.t, v))
			tr.inv.State = &openclaw.State{AppVersion: v}
		}, nil},
		{"deep: running gateway is older (restart needed)", func(tr *tree) {
			v := latest(tr.t)
			tr.pkg(global, "openclaw", v, officialRepo, []string{"openclaw"}, "npm-global", true)
			tr.cacheIndex(officialReg, "openclaw", v, integrityOf(tr.t, v))
			tr.inv.Live = &openclaw.LiveGateway{URL: "http://127.0.0.1:18789", Reachable: true, Version: "2026.9.4"}
		}, []string{"CG-INS-012/live_older/fail"}},
		{"deep: running gateway matches", func(tr *tree) {
			v := latest(tr.t)
			tr.pkg(global, "openclaw", v, officialRepo, []string{"openclaw"}, "npm-global", true)
			tr.cacheIndex(officialReg, "openclaw", v, integrityOf(tr.t, v))
			tr.inv.Live = &openclaw.LiveGateway{URL: "http://127.0.0.1:18789", Reachable: true, Version: v}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTree(t)
			tt.build(tr)
			_, fs := tr.run(Engine{})
			got := keyed(fs)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("findings\n got %v\nwant %v", got, want)
			}
			for _, f := range fs {
				if f.MessageKey == "" || f.Target == "" && f.CheckID != CheckNoInstall {
					t.Errorf("%s: finding without message key or target: %+v", f.CheckID, f)
				}
			}
		})
	}
}

func TestOfficialRegistryUnknownIsManual(t *testing.T) {
	tr := newTree(t)
	v := latest(t)
	tr.pkg(global, "openclaw", v, officialRepo, []string{"openclaw"}, "npm-global", true)
	tr.write("/home/claw/.npmrc", "registry=https://mirror.example.cn/\n")
	_, fs := tr.run(Engine{OfficialRegistry: func(context.Context) (string, error) { return "", errors.New("npm not found") }})
	if got := keyed(fs); !slices.Contains(got, "CG-INS-006/official_unknown/manual") || slices.Contains(got, "CG-INS-006/mirror/fail") {
		t.Errorf("got %v", got)
	}
}

func TestRegistryBase(t *testing.T) {
	tests := map[string]string{
		"https://registry.npm.example/":                          "https://registry.npm.example",
		"https://Registry.NPM.example/openclaw/-/openclaw-1.tgz": "https://registry.npm.example",
		"https://r.example/npm/openclaw/-/openclaw-2026.9.6.tgz": "https://r.example/npm",
		"http://127.0.0.1:4873/":                                 "http://127.0.0.1:4873",
	}
	for in, want := range tests {
		if got, ok := RegistryBase(in, "openclaw"); !ok || got != want {
			t.Errorf("RegistryBase(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "not a url", "file:../x.tgz", "git+ssh://x"} {
		if got, ok := RegistryBase(bad, "openclaw"); ok {
			t.Errorf("RegistryBase(%q) = %q, want rejection", bad, got)
		}
	}
}

func TestIsOfficialRepo(t *testing.T) {
	for _, ok := range []string{officialRepo, "https://github.com/openclaw/openclaw", "git@github.com:openclaw/openclaw.git", "github:openclaw/openclaw", "openclaw/openclaw"} {
		if !isOfficialRepo(ok) {
			t.Errorf("%q not recognised", ok)
		}
	}
	for _, bad := range []string{"", "https://github.com/openclaw/openclaw-cn", "https://github.com/romiluz/ClawMongo-v2", "https://gitlab.com/openclaw/openclaw"} {
		if isOfficialRepo(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRealInstall runs the engine over the real OpenClaw 2026.9.6 package
// tree installed by scripts/install-openclaw.sh.
func TestRealInstall(t *testing.T) {
	home, _ := os.UserHomeDir()
	root := filepath.Join(home, ".cache/clawgov/openclaw-2026.9.6/lib/node_modules/openclaw")
	b, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err != nil {
		t.Skipf("real install not present (%v); run scripts/install-openclaw.sh", err)
	}
	var pj struct {
		Name, Version string
		Repository    struct{ URL string }
		Bin           map[string]string
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		t.Fatal(err)
	}
	var bins []string
	for k := range pj.Bin {
		bins = append(bins, k)
	}
	inv := &openclaw.Inventory{Env: map[string]string{}, Paths: openclaw.Paths{Home: t.TempDir()},
		Installs: []openclaw.Install{{Root: root, Name: pj.Name, Version: pj.Version, Repository: pj.Repository.URL, Bins: bins, Method: "npm-global", OnPath: true}}}
	_, fs, errs := Engine{OfficialRegistry: official}.Run(context.Background(), &posture.Snapshot{OC: inv})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, f := range fs {
		switch f.CheckID {
		case CheckFork, CheckLegacy, CheckRepository, CheckBuildInfo, CheckOfficial:
			t.Errorf("real official package flagged: %s %s %v", f.CheckID, f.MessageKey, f.Params)
		case CheckIntegrity:
			// No lockfile is given here: the embedded file manifest decides.
			if f.Status != finding.Pass || f.MessageKey != "files_match" {
				t.Errorf("real official package: %s %s %s %v", f.CheckID, f.Status, f.MessageKey, f.Params)
			}
		}
	}
	facts := Gather(inv, inv.Installs[0])
	if facts.BuildInfo == nil || !strings.HasPrefix(facts.BuildInfo.Commit, "eb377ac") {
		t.Errorf("build-info not read from the real package: %+v", facts.BuildInfo)
	}
}

func TestDefaultRegistryFromNpm(t *testing.T) {
	if os.Getenv("CLAWGOV_OFFICIAL_REGISTRY") != "" {
		t.Skip("overridden by CLAWGOV_OFFICIAL_REGISTRY")
	}
	if _, err := exec_LookPath("npm"); err != nil {
		t.Skip("npm not installed")
	}
	// A mirror in the environment must not leak into the answer.
	t.Setenv("npm_config_registry", "https://mirror.example.cn/")
	got, err := DefaultRegistry(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := RegistryBase(got, "openclaw"); !ok || strings.Contains(got, "mirror.example.cn") {
		t.Errorf("DefaultRegistry = %q", got)
	}
}

func FuzzParseNpmrc(f *testing.F) {
	f.Add([]byte("registry=https://x.example/\n@openclaw:registry = 'https://y.example'\n; c\n# c\n[section]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, kv := range parseNpmrc(b) {
			if strings.ContainsAny(kv[0], "\n") {
				t.Fatalf("key with newline: %q", kv[0])
			}
			RegistryBase(kv[1], "openclaw")
		}
		pnpmTarballs(b, "openclaw")
	})
}

// TestCommitMismatch uses a release table that records commits (the
// registry's gitHead), which the embedded table lacks today.
func TestCommitMismatch(t *testing.T) {
	table := `{"package":"openclaw","source":"test","modified":"","dist_tags":{"latest":"2026.9.6"},
	 "releases":[{"version":"2026.9.6","published":"2026-09-24T00:00:00Z","integrity":"sha512-x","shasum":"00","commit":"eb377ac59e6c1111111111111111111111111111"}]}`
	rel, err := advisory.ParseReleases([]byte(table))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		commit string
		want   bool
	}{{"eb377ac59e6c1111111111111111111111111111", false}, {"eb377ac", false}, {"deadbeef00000000000000000000000000000000", true}} {
		tr := newTree(t)
		tr.pkg(global, "openclaw", "2026.9.6", officialRepo, nil, "npm-global", false)
		tr.write(global+"/dist/build-info.json", `{"version":"2026.9.6","commit":"`+c.commit+`"}`)
		_, fs := tr.run(Engine{Releases: func() (*advisory.Releases, error) { return rel, nil }})
		got := slices.Contains(keyed(fs), "CG-INS-005/commit_mismatch/fail")
		if got != c.want {
			t.Errorf("commit %s: mismatch=%v, want %v (%v)", c.commit, got, c.want, keyed(fs))
		}
	}
}

// TestMirrorCredentialsNeverInOutput: a mirror configured with a token in
// its URL is reported without the token.
func TestMirrorCredentialsNeverInOutput(t *testing.T) {
	const token = "npm_S3cr3tT0kenValue42"
	tr := newTree(t)
	v := latest(t)
	tr.pkg(global, "openclaw", v, officialRepo, nil, "npm-global", true)
	tr.write("/home/claw/.npmrc", "registry=https://deploy:"+token+"@mirror.example.cn/npm/\n//mirror.example.cn/npm/:_authToken="+token+"\n")
	tr.inv.Env["npm_config_registry"] = "https://mirror.example.cn/?token=" + token
	tr.cacheIndex(officialReg, "openclaw", v, integrityOf(t, v))
	_, fs := tr.run(Engine{})
	if len(fs) != 2 {
		t.Fatalf("want two mirror findings, got %v", keyed(fs))
	}
	b, _ := json.Marshal(fs)
	if strings.Contains(string(b), token) {
		t.Fatalf("token leaked into findings: %s", b)
	}
	for _, in := range []string{"https://u:p@h.example/x", "https://h.example/?k=v", "garbage@token"} {
		if got := RedactURL(in); strings.Contains(got, "p@") || strings.Contains(got, "k=v") || strings.Contains(got, "token") {
			t.Errorf("RedactURL(%q) = %q", in, got)
		}
	}
}

// TestInventoryFactsNotDoubled: a registry and integrity the inventory
// already read from the same file are not reported twice.
func TestInventoryFactsNotDoubled(t *testing.T) {
	tr := newTree(t)
	v := latest(t)
	in := tr.pkg(global, "openclaw", v, officialRepo, nil, "npm-global", true)
	tr.write("/home/claw/.npmrc", "registry=https://mirror.example.cn/\n")
	in.Registry, in.RegistrySource = "https://mirror.example.cn", "/home/claw/.npmrc"
	in.Integrity, in.IntegritySource = "sha512-x", "/srv/lock"
	_, fs := tr.run(Engine{})
	if got := keyed(fs); !slices.Equal(got, []string{"CG-INS-006/mirror/fail", "CG-INS-007/mismatch/fail"}) {
		t.Errorf("got %v", got)
	}
	// The same for the environment, which the inventory labels "env NAME".
	tr = newTree(t)
	in = tr.pkg(global, "openclaw", v, officialRepo, nil, "npm-global", true)
	tr.inv.Env["npm_config_registry"] = "https://mirror.example.cn/"
	in.Registry, in.RegistrySource = "https://mirror.example.cn/", "env npm_config_registry"
	tr.cacheIndex(officialReg, "openclaw", v, integrityOf(t, v))
	if _, fs := tr.run(Engine{}); len(fs) != 1 {
		t.Errorf("env registry doubled: %v", keyed(fs))
	}
}

// TestRealInstallWithRealCache verifies the real 2026.9.6 package against
// the real npm cache index and npm's real default registry: integrity must
// be the official one and the registry must not read as a mirror.
func TestRealInstallWithRealCache(t *testing.T) {
	home, _ := os.UserHomeDir()
	root := filepath.Join(home, ".cache/clawgov/openclaw-2026.9.6/lib/node_modules/openclaw")
	if _, err := os.Stat(filepath.Join(root, "package.json")); err != nil {
		t.Skip("real install not present; run scripts/install-openclaw.sh")
	}
	if _, err := exec_LookPath("npm"); err != nil {
		t.Skip("npm not installed")
	}
	inv := &openclaw.Inventory{Env: map[string]string{}, Paths: openclaw.Paths{Home: home},
		Installs: []openclaw.Install{{Root: root, Name: "openclaw", Version: "2026.9.6", Repository: officialRepo, Bins: []string{"openclaw"}, Method: "npm-global", OnPath: true}}}
	facts := Gather(inv, inv.Installs[0])
	if len(facts.Integrity) == 0 {
		t.Skip("the npm cache holds no entry for openclaw-2026.9.6.tgz on this machine")
	}
	_, fs, errs := Engine{}.Run(context.Background(), &posture.Snapshot{OC: inv})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, f := range fs {
		if f.CheckID == CheckIntegrity && f.Status == finding.Pass && f.MessageKey == "files_match" {
			continue // the file manifest also matched
		}
		if f.CheckID == CheckIntegrity || f.CheckID == CheckRegistry {
			t.Errorf("real official install from the real cache: %s %s %v", f.CheckID, f.MessageKey, f.Params)
		}
	}
}

// TestMinVersionBaseline: an organisation's own baseline replaces the
// latest stable as the bar for CG-INS-009, and without one the verdict
// names the release table it measured against.
func TestMinVersionBaseline(t *testing.T) {
	const old = "2026.3.7"
	run := func(min string) []finding.Finding {
		tr := newTree(t)
		tr.pkg(global, "openclaw", old, officialRepo, []string{"openclaw"}, "npm-global", true)
		tr.cacheIndex(officialReg, "openclaw", old, integrityOf(t, old))
		_, fs, errs := Engine{OfficialRegistry: official}.Run(context.Background(), &posture.Snapshot{OC: tr.inv, MinVersion: min})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		var out []finding.Finding
		for _, f := range fs {
			if f.CheckID == CheckBehind {
				out = append(out, f)
			}
		}
		return out
	}
	rel, err := advisory.EmbeddedReleases()
	if err != nil {
		t.Fatal(err)
	}
	// No baseline: far behind the latest stable, per the named table.
	fs := run("")
	if len(fs) != 1 || fs[0].MessageKey != "far_behind" || fs[0].Params["table"] != rel.Label() || !strings.Contains(rel.Label(), rel.Date()) {
		t.Fatalf("no baseline: %+v", fs)
	}
	// Baseline at the installed version (or below): passes.
	for _, min := range []string{old, "2026.2.21"} {
		if fs := run(min); len(fs) != 0 {
			t.Errorf("baseline %s: %+v", min, fs)
		}
	}
	// Baseline above: fails, naming the baseline.
	fs = run("2026.9.6")
	if len(fs) != 1 || fs[0].Status != finding.Fail || fs[0].MessageKey != "below_baseline" || fs[0].Params["baseline"] != "2026.9.6" {
		t.Fatalf("baseline above: %+v", fs)
	}
}
