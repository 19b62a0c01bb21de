package openclaw

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Skill discovery limits: OpenClaw finds SKILL.md up to 6 levels below a
// root; the directory budget keeps a huge tree from stalling the audit.
const (
	skillMaxDepth   = 6
	skillDirBudget  = 20000
	maxSkillMDBytes = 1 << 20
)

// skillRoot is one place skills are installed.
type skillRoot struct {
	dir  string
	kind string // workspace, workspace-agents, user-agents, managed, workshop, extra, plugin
	// workspace is the workspace whose .clawhub/lock.json applies.
	workspace string
}

// skillRoots lists the roots of openclaw-internals.md §5.2 except bundled skills, which
// ship inside the package and are not installed skills.
func skillRoots(rfs rootFS, p Paths, cfg *Config, plugins []Plugin) []skillRoot {
	var roots []skillRoot
	ws := make([]string, 0, len(p.AgentWorkspaces))
	for _, w := range p.AgentWorkspaces {
		ws = append(ws, w)
	}
	if p.Workspace != "" && !containsStr(ws, p.Workspace) {
		ws = append(ws, p.Workspace)
	}
	sort.Strings(ws)
	for _, w := range ws {
		roots = append(roots, skillRoot{dir: path.Join(w, "skills"), kind: "workspace", workspace: w})
		roots = append(roots, skillRoot{dir: path.Join(w, ".agents", "skills"), kind: "workspace-agents", workspace: w})
	}
	// ~/.agents/skills is read only for the default state dir.
	if strings.HasPrefix(p.How["state"], "default") {
		roots = append(roots, skillRoot{dir: path.Join(p.Home, ".agents", "skills"), kind: "user-agents"})
	}
	roots = append(roots, skillRoot{dir: path.Join(p.StateDir, "skills"), kind: "managed"})
	if ents, _, err := rfs.ReadDirLimit(path.Join(p.StateDir, "agents"), 1000); err == nil {
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, n := range names {
			roots = append(roots, skillRoot{dir: path.Join(p.StateDir, "agents", n, "agent", "workshop-skills"), kind: "workshop"})
		}
	}
	if cfg != nil {
		for _, d := range cfg.Get("skills.load.extraDirs").Strings() {
			d = strings.TrimSpace(d)
			if d == "" {
				continue
			}
			d = expandTilde(d, p.Home)
			if !path.IsAbs(d) {
				d = path.Join(path.Dir(cfg.Path), d)
			}
			roots = append(roots, skillRoot{dir: path.Clean(d), kind: "extra"})
		}
	}
	for _, pl := range plugins {
		for _, d := range pl.SkillDirs {
			roots = append(roots, skillRoot{dir: d, kind: "plugin"})
		}
	}
	return roots
}

// FindSkills walks the skill roots for SKILL.md directories.
func FindSkills(rootfs string, p Paths, cfg *Config, plugins []Plugin) ([]Skill, []Problem) {
	rfs := newRootFS(rootfs)
	var out []Skill
	var probs []Problem
	seen := map[string]bool{}
	locks := map[string]map[string]lockEntry{}
	for _, r := range skillRoots(rfs, p, cfg, plugins) {
		if !rfs.IsDir(r.dir) {
			continue
		}
		if r.workspace != "" {
			if _, ok := locks[r.workspace]; !ok {
				locks[r.workspace] = readLock(rfs, r.workspace, &probs)
			}
		}
		budget := skillDirBudget
		var walk func(dir string, depth int)
		walk = func(dir string, depth int) {
			if budget <= 0 {
				return
			}
			budget--
			if fi, err := rfs.Stat(path.Join(dir, "SKILL.md")); err == nil && fi.Mode().IsRegular() {
				real, err := rfs.Realpath(dir)
				if err != nil {
					probs = append(probs, Problem{Path: dir, Area: "skills", Err: pathErr("resolve", dir, err)})
					return
				}
				if seen[real] {
					return
				}
				seen[real] = true
				s := Skill{Name: skillName(rfs, dir), Dir: dir, Root: r.kind}
				s.Origin = readOrigin(rfs, dir, &probs)
				if s.Origin == nil && r.workspace != "" {
					if e, ok := locks[r.workspace][path.Base(dir)]; ok {
						s.Origin = e.origin()
					}
				}
				out = append(out, s)
				return // a skill's own subdirectories are its files
			}
			if depth >= skillMaxDepth {
				return
			}
			ents, more, err := rfs.ReadDirLimit(dir, 5000)
			if err != nil {
				probs = append(probs, Problem{Path: dir, Area: "skills", Err: pathErr("list", dir, err)})
				return
			}
			if more {
				probs = append(probs, Problem{Path: dir, Area: "skills", Err: fmt.Errorf("list %s: more than 5000 entries, rest not scanned", dir)})
			}
			names := make([]string, 0, len(ents))
			for _, e := range ents {
				n := e.Name()
				if n == "node_modules" || strings.HasPrefix(n, ".") {
					continue
				}
				if e.IsDir() || e.Type()&fs.ModeSymlink != 0 {
					names = append(names, n)
				}
			}
			sort.Strings(names)
			for _, n := range names {
				sub := path.Join(dir, n)
				if rfs.IsDir(sub) {
					walk(sub, depth+1)
				}
			}
		}
		walk(r.dir, 0)
		if budget <= 0 {
			probs = append(probs, Problem{Path: r.dir, Area: "skills", Err: fmt.Errorf("scan %s: stopped after %d directories", r.dir, skillDirBudget)})
		}
	}
	return out, probs
}

// skillName is the front matter name, else the directory name.
func skillName(rfs rootFS, dir string) string {
	data, err := rfs.ReadFile(path.Join(dir, "SKILL.md"), maxSkillMDBytes)
	if err == nil {
		text := strings.ReplaceAll(string(data), "\r\n", "\n")
		text = strings.TrimPrefix(text, "\ufeff")
		if strings.HasPrefix(text, "---\n") {
			end := strings.Index(text[4:], "\n---")
			if end >= 0 {
				for _, line := range strings.Split(text[4:4+end], "\n") {
					if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "name" {
						if v = strings.Trim(strings.TrimSpace(v), `"'`); v != "" {
							return v
						}
					}
				}
			}
		}
	}
	return path.Base(dir)
}

// originDoc is .clawhub/origin.json; lock entries share its fields.
type originDoc struct {
	Registry         string `json:"registry"`
	Slug             string `json:"slug"`
	OwnerHandle      string `json:"ownerHandle"`
	InstalledVersion string `json:"installedVersion"`
	// Version is the document version (1) in origin.json and the
	// installed version in lock.json entries.
	Version        json.RawMessage `json:"version"`
	TrustState     string          `json:"trustState"`
	FileTreeSHA256 string          `json:"fileTreeSha256"`
	Artifact       struct {
		Integrity string `json:"integrity"`
		SHA256    string `json:"sha256"`
	} `json:"artifact"`
}

type lockEntry struct {
	originDoc
	slug string
}

func (o *originDoc) origin(source, slug string) *SkillOrigin {
	v := o.InstalledVersion
	if v == "" {
		var s string
		if json.Unmarshal(o.Version, &s) == nil {
			v = s
		}
	}
	if o.Slug != "" {
		slug = o.Slug
	}
	return &SkillOrigin{Source: source, Registry: o.Registry, Slug: slug, OwnerHandle: o.OwnerHandle, InstalledVersion: v,
		TrustState: o.TrustState, Integrity: o.Artifact.Integrity, FileTreeSHA256: o.FileTreeSHA256}
}

func (e lockEntry) origin() *SkillOrigin { return e.originDoc.origin("lock.json", e.slug) }

func readOrigin(rfs rootFS, dir string, probs *[]Problem) *SkillOrigin {
	for _, d := range []string{".clawhub", ".clawdhub"} {
		p := path.Join(dir, d, "origin.json")
		data, err := rfs.ReadFile(p, 1<<20)
		if err != nil {
			if !isNotExist(err) {
				*probs = append(*probs, Problem{Path: p, Area: "skills", Err: pathErr("read", p, err)})
			}
			continue
		}
		var o originDoc
		if err := json.Unmarshal(data, &o); err != nil {
			*probs = append(*probs, Problem{Path: p, Area: "skills", Err: pathErr("parse", p, err)})
			continue
		}
		return o.origin("origin.json", path.Base(dir))
	}
	return nil
}

func readLock(rfs rootFS, workspace string, probs *[]Problem) map[string]lockEntry {
	out := map[string]lockEntry{}
	for _, d := range []string{".clawdhub", ".clawhub"} { // the current one wins
		p := path.Join(workspace, d, "lock.json")
		data, err := rfs.ReadFile(p, 8<<20)
		if err != nil {
			if !isNotExist(err) {
				*probs = append(*probs, Problem{Path: p, Area: "skills", Err: pathErr("read", p, err)})
			}
			continue
		}
		var lock struct {
			Skills map[string]originDoc `json:"skills"`
		}
		if err := json.Unmarshal(data, &lock); err != nil {
			*probs = append(*probs, Problem{Path: p, Area: "skills", Err: pathErr("parse", p, err)})
			continue
		}
		for slug, o := range lock.Skills {
			e := lockEntry{originDoc: o, slug: slug}
			out[slug] = e
			// Owner-scoped slugs ("@owner/slug") install as <slug>.
			if i := strings.LastIndexByte(slug, '/'); i >= 0 {
				out[slug[i+1:]] = e
			}
		}
	}
	return out
}

// skipPluginDir mirrors the audit's plugin directory filter.
func skipPluginDir(n string) bool {
	return strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".bak") || strings.Contains(n, ".backup-") ||
		strings.Contains(n, ".disabled") || n == "node_modules"
}

// FindPlugins lists installed plugins under <state>/extensions and the
// workspace's .openclaw/extensions.
func FindPlugins(rootfs string, p Paths) ([]Plugin, []Problem) {
	rfs := newRootFS(rootfs)
	var out []Plugin
	var probs []Problem
	dirs := []string{path.Join(p.StateDir, "extensions")}
	if p.Workspace != "" {
		dirs = append(dirs, path.Join(p.Workspace, ".openclaw", "extensions"))
	}
	for _, base := range dirs {
		ents, more, err := rfs.ReadDirLimit(base, 2000)
		if err != nil {
			if !isNotExist(err) {
				probs = append(probs, Problem{Path: base, Area: "plugins", Err: pathErr("list", base, err)})
			}
			continue
		}
		if more {
			probs = append(probs, Problem{Path: base, Area: "plugins", Err: fmt.Errorf("list %s: more than 2000 entries, rest not scanned", base)})
		}
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			if !skipPluginDir(e.Name()) {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			dir := path.Join(base, n)
			if !rfs.IsDir(dir) {
				continue
			}
			out = append(out, readPlugin(rfs, n, dir, &probs))
		}
	}
	return out, probs
}

func readPlugin(rfs rootFS, id, dir string, probs *[]Problem) Plugin {
	pl := Plugin{ID: id, Dir: dir}
	if data, err := rfs.ReadFile(path.Join(dir, "package.json"), 4<<20); err == nil {
		var pj struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		}
		if json.Unmarshal(data, &pj) == nil {
			pl.Name, pl.Version = pj.Name, pj.Version
		}
	}
	mp := path.Join(dir, "openclaw.plugin.json")
	if data, err := rfs.ReadFile(mp, 4<<20); err == nil {
		var m struct {
			ID      string          `json:"id"`
			Name    string          `json:"name"`
			Version string          `json:"version"`
			Skills  json.RawMessage `json:"skills"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			*probs = append(*probs, Problem{Path: mp, Area: "plugins", Err: pathErr("parse", mp, err)})
		} else {
			if m.ID != "" {
				pl.ManifestID = m.ID
			}
			if pl.Name == "" {
				pl.Name = m.Name
			}
			if pl.Version == "" {
				pl.Version = m.Version
			}
			var dirs []string
			if json.Unmarshal(m.Skills, &dirs) != nil {
				var one string
				if json.Unmarshal(m.Skills, &one) == nil && one != "" {
					dirs = []string{one}
				}
			}
			for _, d := range dirs {
				if d = strings.TrimSpace(d); d == "" || path.IsAbs(d) {
					continue
				}
				sd := path.Join(dir, d)
				if isInside(dir, sd) {
					pl.SkillDirs = append(pl.SkillDirs, sd)
				}
			}
		}
	}
	return pl
}
