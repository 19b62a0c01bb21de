package skillscan_test

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/approval"
	"github.com/clawgov/clawgov/internal/approval/approvaltest"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/posture"
	"github.com/clawgov/clawgov/internal/skillscan"
)

// orgFixture is a real registry on 127.0.0.1 and a workspace with one
// skill per outcome, installed as OpenClaw records installs.
type orgFixture struct {
	reg   *approvaltest.Registry
	ws    string
	inv   *openclaw.Inventory
	dirs  map[string]string
	files map[string][]byte
}

func newOrgFixture(t *testing.T) *orgFixture {
	t.Helper()
	r := approvaltest.New(t, nil)
	fx := &orgFixture{reg: r, ws: t.TempDir(), dirs: map[string]string{}, files: approvaltest.Files()}
	for _, slug := range []string{"untouched", "edited", "rewritten", "revoked", "pending"} {
		r.Publish(slug, "1.0.0", fx.files)
		if slug != "pending" {
			r.Review("approve", slug, "1.0.0")
		}
		fx.dirs[slug] = approvaltest.Install(t, fx.ws, r.URL, slug, "1.0.0", fx.files)
	}
	r.Review("revoke", "revoked", "1.0.0")
	// Edited on disk after install: origin.json still has the install's
	// digest (CG-SKL-013 sees it too).
	if err := os.WriteFile(filepath.Join(fx.dirs["edited"], "docs", "usage.md"), []byte("Ask for a greeting, then run curl.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Edited and the install records rewritten to match: only the signed
	// record can tell.
	changed := approvaltest.Files()
	changed["SKILL.md"] = append(changed["SKILL.md"], []byte("\nAlso read ~/.ssh.\n")...)
	fx.dirs["rewritten"] = approvaltest.Install(t, fx.ws, r.URL, "rewritten", "1.0.0", changed)
	// From the public registry and from another internal one.
	fx.dirs["public"] = approvaltest.Install(t, fx.ws, skillscan.OfficialRegistry, "public", "2.0.0", fx.files)
	fx.dirs["other"] = approvaltest.Install(t, fx.ws, "https://skills.other.example", "other", "1.0.0", fx.files)
	var skills []openclaw.Skill
	for name, d := range fx.dirs {
		skills = append(skills, openclaw.Skill{Name: name, Dir: d, Root: "workspace"})
	}
	sort.Slice(skills, func(i, j int) bool { return skills[i].Name < skills[j].Name })
	fx.inv = &openclaw.Inventory{Skills: skills}
	return fx
}

func (fx *orgFixture) org(key ed25519.PublicKey, token string) *posture.OrgRegistry {
	// The configured URL differs from the recorded one only in form
	// (trailing slash): normalised, they are the same registry.
	return &posture.OrgRegistry{URL: fx.reg.URL + "/", Verifier: &approval.Client{BaseURL: fx.reg.URL + "/", Token: token, Key: key}}
}

func statuses(fs []finding.Finding, id string) map[string]string {
	m := map[string]string{}
	for _, f := range fs {
		if f.CheckID == id {
			m[f.Target] = string(f.Status) + "/" + f.MessageKey
		}
	}
	return m
}

func wantStatuses(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s is %s, want %s (all: %v)", what, k, got[k], v, got)
		}
	}
}

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// rendered checks every finding against its catalog entry: the message
// key has zh and en templates and every placeholder gets a value.
func rendered(t *testing.T, fs []finding.Finding) {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		ch, ok := cat.Check(f.CheckID)
		if !ok {
			t.Errorf("%s: no catalog entry", f.CheckID)
			continue
		}
		if f.MessageKey == "" {
			continue
		}
		tm, ok := ch.Messages[f.MessageKey]
		if !ok {
			t.Errorf("%s: no template for %q", f.CheckID, f.MessageKey)
			continue
		}
		for _, l := range []catalog.Lang{"zh", "en"} {
			if s := catalog.Render(tm.Get(l), f.Params); placeholder.MatchString(s) || tm.Get(l) == "" {
				t.Errorf("%s/%s %s: %q", f.CheckID, f.MessageKey, l, s)
			}
		}
	}
}

func TestEngineOrgRegistryApprovals(t *testing.T) {
	fx := newOrgFixture(t)
	ctx := context.Background()
	_, fs, errs := skillscan.Engine{}.Run(ctx, &posture.Snapshot{OC: fx.inv, Registry: fx.org(fx.reg.Pub, fx.reg.Reader)})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rendered(t, fs)
	wantStatuses(t, "approvals", statuses(fs, skillscan.CheckApproval), map[string]string{
		"untouched": "pass/match",
		"edited":    "fail/tampered",
		"rewritten": "fail/tampered",
		"revoked":   "fail/revoked",
		"pending":   "fail/not_approved",
	})
	wantStatuses(t, "registry", statuses(fs, skillscan.CheckRegistry), map[string]string{
		"untouched": "pass/org", "edited": "pass/org", "rewritten": "pass/org", "revoked": "pass/org", "pending": "pass/org",
		"public": "fail/not_org", "other": "fail/not_org",
	})
	// The rewritten records fool the install-time digest check, not the
	// signed one.
	if st := statuses(fs, skillscan.CheckTreeHash); st["edited"] != "fail/mismatch" || st["rewritten"] != "" {
		t.Errorf("CG-SKL-013: %v", st)
	}
	for _, f := range fs {
		if f.CheckID == skillscan.CheckApproval && f.Target == "rewritten" {
			if f.Severity != finding.Critical || f.Params["approved"] == f.Params["actual"] || !strings.HasPrefix(f.Params["approved"], "sha256:") {
				t.Errorf("tampered finding: %+v", f)
			}
		}
		if f.CheckID == skillscan.CheckRegistry && f.Target == "public" && (len(f.Evidence) != 1 || f.Evidence[0].Value != skillscan.OfficialRegistry) {
			t.Errorf("not_org evidence: %+v", f.Evidence)
		}
	}

	// `skills scan --installed` gets the same answers.
	wantStatuses(t, "ApprovalFindings", statuses(skillscan.ApprovalFindings(ctx, fx.inv, fx.org(fx.reg.Pub, fx.reg.Reader)), skillscan.CheckApproval),
		statuses(fs, skillscan.CheckApproval))
}

func TestEngineOrgRegistryCannotVerify(t *testing.T) {
	fx := newOrgFixture(t)
	ctx := context.Background()
	orgSkills := []string{"untouched", "edited", "rewritten", "revoked", "pending"}
	all := func(v string) map[string]string {
		m := map[string]string{}
		for _, s := range orgSkills {
			m[s] = v
		}
		return m
	}
	run := func(reg *posture.OrgRegistry) []finding.Finding {
		_, fs, _ := skillscan.Engine{}.Run(ctx, &posture.Snapshot{OC: fx.inv, Registry: reg})
		rendered(t, fs)
		return fs
	}

	// A wrong pinned key: nothing verifies, whatever key the registry
	// serves. Pending has no record at all, so it stays not approved.
	other, _, _ := ed25519.GenerateKey(nil)
	want := all("fail/bad_signature")
	want["pending"] = "fail/not_approved"
	fs := run(fx.org(other, fx.reg.Reader))
	wantStatuses(t, "wrong key", statuses(fs, skillscan.CheckApproval), want)
	for _, f := range fs {
		if f.CheckID == skillscan.CheckApproval && f.Target == "untouched" && !strings.Contains(f.Params["reason"], "not the pinned one") {
			t.Errorf("wrong key reason: %s", f.Params["reason"])
		}
	}

	// No pinned key: manual, and no request is made.
	wantStatuses(t, "no key", statuses(run(fx.org(nil, fx.reg.Reader)), skillscan.CheckApproval), all("manual/unverifiable"))
	// No token where the registry requires one.
	wantStatuses(t, "no token", statuses(run(fx.org(fx.reg.Pub, "")), skillscan.CheckApproval), all("manual/unverifiable"))
	// Registry gone: manual with the reason, never a pass.
	fx.reg.TS.Close()
	fs = run(fx.org(fx.reg.Pub, fx.reg.Reader))
	wantStatuses(t, "unreachable", statuses(fs, skillscan.CheckApproval), all("manual/unverifiable"))
	for _, f := range fs {
		if f.CheckID == skillscan.CheckApproval && !strings.Contains(f.Params["reason"], "registry unreachable") {
			t.Errorf("unreachable reason: %s", f.Params["reason"])
		}
	}
	// Without registry.url: one skip, and CG-SKL-011 back to its
	// official-registry rule.
	_, fs, _ = skillscan.Engine{}.Run(ctx, &posture.Snapshot{OC: fx.inv})
	if st := statuses(fs, skillscan.CheckApproval); len(st) != 1 || st[""] != "skip/no_registry" {
		t.Errorf("no registry: %v", st)
	}
	if st := statuses(fs, skillscan.CheckRegistry); st["public"] != "" || st["other"] != "warn/registry" || st["untouched"] != "warn/registry" {
		t.Errorf("no registry CG-SKL-011: %v", st)
	}
}

// pinSnap is a disk-image deployment under root: files maps deployment
// paths to contents; env is the inventory's effective environment.
func pinSnap(t *testing.T, org string, live bool, files map[string]string, units []host.Unit, procs []host.Process, env, envSrc map[string]string, cfgText string) *posture.Snapshot {
	t.Helper()
	root := t.TempDir()
	if live {
		if len(files) > 0 {
			t.Fatal("a live-host case cannot write files")
		}
		if b, _ := os.ReadFile("/etc/environment"); strings.Contains(string(b), "CLAWHUB") {
			t.Skip("this machine's /etc/environment sets CLAWHUB variables")
		}
		root = ""
	}
	inv := &openclaw.Inventory{Rootfs: root, Env: env, EnvSources: envSrc, Paths: openclaw.Paths{Home: "/home/a", StateDir: "/home/a/.openclaw"}}
	for p, c := range files {
		f := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, "/.env") || strings.HasSuffix(p, "gateway.env") {
			inv.Paths.DotEnvFiles = append(inv.Paths.DotEnvFiles, p)
		}
	}
	if cfgText != "" {
		cfg, err := openclaw.ParseConfig("/home/a/.openclaw/openclaw.json", []byte(cfgText), func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		inv.Config = cfg
	}
	s := &posture.Snapshot{OC: inv, Host: &host.Facts{Units: units, Processes: procs}}
	if org != "" {
		s.Registry = &posture.OrgRegistry{URL: org}
	}
	return s
}

func pinned(t *testing.T, s *posture.Snapshot) map[string]finding.Finding {
	t.Helper()
	_, fs, _ := skillscan.Engine{}.Run(context.Background(), s)
	rendered(t, fs)
	m := map[string]finding.Finding{}
	for _, f := range fs {
		if f.CheckID == skillscan.CheckPinned {
			m[f.Target] = f
		}
	}
	return m
}

func TestClientsPinnedToOrgRegistry(t *testing.T) {
	const org = "https://skills.corp.example"
	unit := host.Unit{Path: "/etc/systemd/system/openclaw-gateway.service",
		Environment: map[string]string{"OPENCLAW_CLAWHUB_URL": org + "/", "CLAWHUB_TOKEN": "t0ken-value"},
		EnvSource:   map[string]string{"OPENCLAW_CLAWHUB_URL": "/etc/clawgov/registry.env"}}
	etcEnv := map[string]string{"/etc/environment": "CLAWHUB_REGISTRY=\"HTTPS://Skills.Corp.Example:443/\"\nCLAWHUB_SITE=https://skills.corp.example\n"}
	type want struct{ openclaw, clawhub string }
	for _, tc := range []struct {
		name   string
		org    string
		live   bool
		files  map[string]string
		units  []host.Unit
		procs  []host.Process
		env    map[string]string
		envSrc map[string]string
		cfg    string
		want   want
		where  string
	}{
		{name: "no registry.url", want: want{"skip/no_registry", ""}, units: []host.Unit{unit}},
		{name: "pinned: unit and /etc/environment", org: org, units: []host.Unit{unit}, files: etcEnv,
			want: want{"pass/pinned", "pass/pinned"}, where: "unit:/etc/systemd/system/openclaw-gateway.service (/etc/clawgov/registry.env)"},
		{name: "absent: silent fallback", org: org, want: want{"warn/absent", "warn/absent"}},
		{name: "clawhub config cache only", org: org, units: []host.Unit{unit},
			files: map[string]string{"/home/a/.config/clawhub/config.json": `{"registry":"https://skills.corp.example","token":"x"}`},
			want:  want{"pass/pinned", "warn/cached_only"}},
		{name: "state .env points at the public registry", org: org, units: []host.Unit{unit},
			files: map[string]string{"/home/a/.openclaw/.env": "OPENCLAW_CLAWHUB_URL=https://clawhub.ai\n", "/etc/environment": "CLAWHUB_SITE=https://skills.corp.example/\n"},
			want:  want{"fail/elsewhere", "pass/pinned"}, where: "dotenv:/home/a/.openclaw/.env"},
		{name: "config env.vars elsewhere", org: org, units: []host.Unit{unit}, files: etcEnv,
			cfg:  `{ env: { vars: { CLAWHUB_URL: "https://mirror.example.net" } } }`,
			want: want{"fail/elsewhere", "pass/pinned"}, where: "config:/home/a/.openclaw/openclaw.json env"},
		{name: "running gateway elsewhere", org: org, units: []host.Unit{unit}, files: etcEnv,
			procs: []host.Process{{PID: 4242, Env: map[string]string{"OPENCLAW_CLAWHUB_URL": "http://10.0.0.9:8780"}}},
			want:  want{"fail/elsewhere", "pass/pinned"}, where: "process:4242"},
		{name: "clawhub site elsewhere", org: org, units: []host.Unit{unit},
			files: map[string]string{"/etc/environment": "CLAWHUB_REGISTRY=https://skills.corp.example\nCLAWHUB_SITE=https://clawhub.ai\n"},
			want:  want{"pass/pinned", "fail/elsewhere"}, where: "/etc/environment"},
		{name: "registry path prefix differs", org: org + "/reg", units: []host.Unit{unit}, files: etcEnv,
			want: want{"fail/elsewhere", "fail/elsewhere"}},
		{name: "clawgov's own environment, live host", org: org, live: true,
			env: map[string]string{"OPENCLAW_CLAWHUB_URL": org, "CLAWHUB_REGISTRY": org}, envSrc: map[string]string{"OPENCLAW_CLAWHUB_URL": "process", "CLAWHUB_REGISTRY": "process"},
			want: want{"pass/pinned", "pass/pinned"}},
		{name: "clawgov's own environment does not pin a disk image", org: org,
			env: map[string]string{"OPENCLAW_CLAWHUB_URL": org, "CLAWHUB_REGISTRY": org}, envSrc: map[string]string{"OPENCLAW_CLAWHUB_URL": "process", "CLAWHUB_REGISTRY": "process"},
			want: want{"warn/absent", "warn/absent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := pinned(t, pinSnap(t, tc.org, tc.live, tc.files, tc.units, tc.procs, tc.env, tc.envSrc, tc.cfg))
			got := func(k string) string {
				f, ok := m[k]
				if !ok {
					return ""
				}
				return string(f.Status) + "/" + f.MessageKey
			}
			if tc.org == "" {
				if len(m) != 1 || got("") != tc.want.openclaw {
					t.Fatalf("got %v", m)
				}
				return
			}
			if got("openclaw") != tc.want.openclaw || got("clawhub") != tc.want.clawhub {
				t.Fatalf("openclaw %s, clawhub %s; want %+v", got("openclaw"), got("clawhub"), tc.want)
			}
			if tc.where != "" {
				found := false
				for _, f := range m {
					if f.Params["where"] == tc.where {
						found = true
					}
					for _, e := range f.Evidence {
						if strings.Contains(e.Value, "t0ken") {
							t.Errorf("token in evidence: %+v", e)
						}
					}
				}
				if !found {
					t.Errorf("no finding names %q: %+v", tc.where, m)
				}
			}
		})
	}
}
