package openclaw

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func skillMD(name string) string {
	return "---\nname: " + name + "\ndescription: test\n---\n# body\n"
}

func TestFindSkillsAndPlugins(t *testing.T) {
	root := t.TempDir()
	buildTree(t, root, tree{
		"h/.openclaw/workspace/skills/weather/SKILL.md":                  skillMD("weather"),
		"h/.openclaw/workspace/skills/weather/.clawhub/origin.json":      `{"version":1,"registry":"https://clawhub.example","slug":"weather","ownerHandle":"alice","installedVersion":"1.2.0","artifact":{"kind":"archive","integrity":"sha512-W"},"fileTreeSha256":"abc"}`,
		"h/.openclaw/workspace/skills/weather/sub/SKILL.md":              skillMD("nested-not-a-skill"),
		"h/.openclaw/workspace/skills/locked/SKILL.md":                   skillMD("locked-skill"),
		"h/.openclaw/workspace/.clawhub/lock.json":                       `{"version":1,"skills":{"@bob/locked":{"version":"0.3.0","registry":"https://mirror.example","trustState":"not-scanned-by-clawhub"}}}`,
		"h/.openclaw/workspace/skills/legacy/SKILL.md":                   "no front matter\n",
		"h/.openclaw/workspace/skills/legacy/.clawdhub/origin.json":      `{"registry":"https://clawdhub.example","slug":"legacy","installedVersion":"0.1.0"}`,
		"h/.openclaw/workspace/skills/a/b/c/d/e/deep/SKILL.md":           skillMD("deep5"),
		"h/.openclaw/workspace/skills/a/b/c/d/e/f/toodeep/SKILL.md":      skillMD("too-deep"),
		"h/.openclaw/workspace/skills/node_modules/x/SKILL.md":           skillMD("ignored"),
		"h/.openclaw/workspace/.agents/skills/wa/SKILL.md":               skillMD("wa"),
		"h/.agents/skills/ua/SKILL.md":                                   skillMD("ua"),
		"h/.openclaw/skills/managed/SKILL.md":                            skillMD("managed"),
		"h/.openclaw/agents/main/agent/workshop-skills/ws1/SKILL.md":     skillMD("workshop1"),
		"opt/extra/x1/SKILL.md":                                          skillMD("extra1"),
		"h/.openclaw/extensions/voice/package.json":                      `{"name":"@openclaw/voice","version":"1.2.0"}`,
		"h/.openclaw/extensions/voice/openclaw.plugin.json":              `{"id":"voice","skills":["skills","../../escape"]}`,
		"h/.openclaw/extensions/voice/skills/speak/SKILL.md":             skillMD("speak"),
		"h/.openclaw/extensions/old.bak/package.json":                    `{"name":"old"}`,
		"h/.openclaw/extensions/x.backup-1/package.json":                 `{"name":"x"}`,
		"h/.openclaw/extensions/y.disabled/package.json":                 `{"name":"y"}`,
		"h/.openclaw/extensions/.hidden/package.json":                    `{"name":"h"}`,
		"h/.openclaw/extensions/node_modules/":                           "",
		"h/.openclaw/extensions/bare/index.js":                           "",
		"h/.openclaw/workspace/.openclaw/extensions/wsplug/package.json": `{"name":"wsplug","version":"0.0.1"}`,
		// bundled skills of a package are not installed skills
		"usr/lib/node_modules/openclaw/skills/github/SKILL.md": skillMD("github"),
	})
	// a symlink loop inside a skill root must not hang
	must(t, os.Symlink(".", filepath.Join(root, "h/.openclaw/skills/loop")))

	opts := Options{Rootfs: root, Getenv: envMap(map[string]string{"HOME": "/h"})}
	env := newEnvState(opts)
	r := &pathResolver{rfs: newRootFS(root), env: env, opts: opts, how: map[string]string{}}
	p := r.resolve()
	cfg, err := ParseConfig("/h/.openclaw/openclaw.json", []byte(`{skills:{load:{extraDirs:["/opt/extra", "  "]}}}`), nil)
	must(t, err)
	r.resolveWorkspaces(&p, cfg)

	plugins, probs := FindPlugins(root, p)
	if len(probs) > 0 {
		t.Fatalf("plugin problems %v", probs)
	}
	var ids []string
	for _, pl := range plugins {
		ids = append(ids, pl.ID)
	}
	if strings.Join(ids, ",") != "bare,voice,wsplug" {
		t.Fatalf("plugins %v", ids)
	}
	if v := plugins[1]; v.Name != "@openclaw/voice" || v.Version != "1.2.0" || v.ManifestID != "voice" || len(v.SkillDirs) != 1 || v.SkillDirs[0] != "/h/.openclaw/extensions/voice/skills" {
		t.Fatalf("voice %+v", v)
	}

	skills, probs := FindSkills(root, p, cfg, plugins)
	if len(probs) > 0 {
		t.Fatalf("skill problems %v", probs)
	}
	got := map[string]Skill{}
	var names []string
	for _, s := range skills {
		got[s.Name] = s
		names = append(names, s.Name+"@"+s.Root)
	}
	sort.Strings(names)
	want := "deep5@workspace,extra1@extra,legacy@workspace,locked-skill@workspace,managed@managed,speak@plugin,ua@user-agents,wa@workspace-agents,weather@workspace,workshop1@workshop"
	if strings.Join(names, ",") != want {
		t.Fatalf("skills\n got %s\nwant %s", strings.Join(names, ","), want)
	}
	if o := got["weather"].Origin; o == nil || o.Source != "origin.json" || o.Registry != "https://clawhub.example" || o.OwnerHandle != "alice" ||
		o.InstalledVersion != "1.2.0" || o.Integrity != "sha512-W" || o.FileTreeSHA256 != "abc" || o.Slug != "weather" {
		t.Errorf("weather origin %+v", o)
	}
	if o := got["locked-skill"].Origin; o == nil || o.Source != "lock.json" || o.Registry != "https://mirror.example" || o.InstalledVersion != "0.3.0" ||
		o.TrustState != "not-scanned-by-clawhub" || o.Slug != "@bob/locked" {
		t.Errorf("locked origin %+v", o)
	}
	if o := got["legacy"].Origin; o == nil || o.Registry != "https://clawdhub.example" {
		t.Errorf("legacy origin %+v", o)
	}
	if got["legacy"].Dir != "/h/.openclaw/workspace/skills/legacy" {
		t.Errorf("dir %s", got["legacy"].Dir)
	}
	if got["managed"].Origin != nil {
		t.Errorf("managed has no origin: %+v", got["managed"].Origin)
	}
}

func TestFindSkillsUserAgentsOnlyForDefaultState(t *testing.T) {
	root := t.TempDir()
	buildTree(t, root, tree{"h/.agents/skills/ua/SKILL.md": skillMD("ua")})
	p := Paths{Home: "/h", StateDir: "/custom", How: map[string]string{"state": "OPENCLAW_STATE_DIR"}}
	skills, _ := FindSkills(root, p, nil, nil)
	if len(skills) != 0 {
		t.Fatalf("~/.agents/skills read for a non-default state dir: %+v", skills)
	}
}
