package openclaw

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// binNames are the commands of OpenClaw and its forks and legacy names
// (openclaw-internals.md §3.5). @romiluz/clawmongo also ships a bin
// called "openclaw" that shadows the real one.
var binNames = []string{"openclaw", "clawdbot", "moltbot", "openclaw-cn", "clawdbot-cn", "clawmongo"}

// packageNames are the npm packages looked for under global prefixes.
var packageNames = []string{"openclaw", "clawdbot", "moltbot", "openclaw-cn", "@romiluz/clawmongo"}

// InstallOptions tell FindInstalls where to look.
type InstallOptions struct {
	Rootfs string
	// PathDirs is the PATH of the gateway (or clawgov) in order.
	PathDirs []string
	Home     string
	Getenv   func(string) string
}

type installFinder struct {
	rfs    rootFS
	opts   InstallOptions
	getenv func(string) string
	byRoot map[string]*Install
	order  []string
	probs  []Problem
}

// FindInstalls finds every OpenClaw-like package: the commands on PATH
// (followed through symlinks and wrapper scripts to their package root)
// and the usual global prefixes of npm, pnpm, bun, the install-cli script
// and a git checkout. The install `openclaw` resolves to on PATH comes
// first with OnPath set.
func FindInstalls(opts InstallOptions) ([]Install, []Problem) {
	f := &installFinder{rfs: newRootFS(opts.Rootfs), opts: opts, getenv: opts.Getenv, byRoot: map[string]*Install{}}
	if f.getenv == nil {
		f.getenv = func(string) string { return "" }
	}
	onPathDone := false
	for _, dir := range f.searchDirs() {
		for _, name := range binNames {
			bin := path.Join(dir, name)
			fi, err := f.rfs.Stat(bin)
			if err != nil {
				if errors.Is(err, errSymlinkLoop) || errors.Is(err, syscall.ELOOP) {
					f.probs = append(f.probs, Problem{Path: bin, Area: "install", Err: pathErr("stat", bin, err)})
				}
				continue
			}
			if fi.IsDir() || fi.Mode()&0o111 == 0 {
				continue
			}
			root := f.rootForBin(bin)
			if root == "" {
				continue
			}
			inst := f.add(root)
			if inst == nil {
				continue
			}
			if inst.Bin == "" {
				inst.Bin = bin
			}
			if name == "openclaw" && !onPathDone && f.inPath(dir) {
				inst.OnPath = true
				inst.Bin = bin
				onPathDone = true
			}
		}
	}
	for _, root := range f.prefixRoots() {
		f.add(root)
	}
	out := make([]Install, 0, len(f.order))
	for _, r := range f.order {
		out = append(out, *f.byRoot[r])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].OnPath && !out[j].OnPath })
	return out, f.probs
}

func (f *installFinder) home() string { return f.opts.Home }

func (f *installFinder) inPath(dir string) bool {
	for _, d := range f.opts.PathDirs {
		if path.Clean(d) == dir {
			return true
		}
	}
	return false
}

// searchDirs is PATH followed by the places installers put commands.
func (f *installFinder) searchDirs() []string {
	h := f.home()
	dirs := append([]string{}, f.opts.PathDirs...)
	dirs = append(dirs, "/usr/local/bin", "/usr/bin", "/bin", "/opt/homebrew/bin",
		path.Join(h, ".npm-global/bin"), path.Join(h, ".local/bin"), path.Join(h, ".openclaw/bin"),
		path.Join(h, ".bun/bin"), path.Join(h, ".local/share/pnpm"), path.Join(h, ".yarn/bin"))
	if p := f.getenv("PNPM_HOME"); p != "" {
		dirs = append(dirs, p)
	}
	for _, v := range f.nvmVersions() {
		dirs = append(dirs, path.Join(v, "bin"))
	}
	for _, p := range f.npmPrefixes() {
		dirs = append(dirs, path.Join(p, "bin"))
	}
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		if d == "" || !path.IsAbs(d) {
			continue
		}
		d = path.Clean(d)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

func (f *installFinder) nvmVersions() []string {
	base := path.Join(f.home(), ".nvm/versions/node")
	if d := f.getenv("NVM_DIR"); d != "" {
		base = path.Join(d, "versions/node")
	}
	ents, _, err := f.rfs.ReadDirLimit(base, 200)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		out = append(out, path.Join(base, e.Name()))
	}
	sort.Strings(out)
	return out
}

// npmPrefixes are npm global prefixes: the common ones, nvm's, the
// install-cli prefix (~/.openclaw), NPM_CONFIG_PREFIX and prefix= from
// the user npmrc.
func (f *installFinder) npmPrefixes() []string {
	h := f.home()
	out := []string{"/usr/local", "/usr", "/opt/homebrew", path.Join(h, ".npm-global"), path.Join(h, ".openclaw"), path.Join(h, ".local")}
	out = append(out, f.nvmVersions()...)
	for _, k := range []string{"NPM_CONFIG_PREFIX", "npm_config_prefix"} {
		if v := f.getenv(k); v != "" {
			out = append(out, expandTilde(v, h))
		}
	}
	if kv := f.readNpmrc(f.userNpmrc()); kv["prefix"] != "" {
		out = append(out, expandTilde(kv["prefix"], h))
	}
	return out
}

func (f *installFinder) userNpmrc() string {
	for _, k := range []string{"NPM_CONFIG_USERCONFIG", "npm_config_userconfig"} {
		if v := f.getenv(k); v != "" {
			return expandTilde(v, f.home())
		}
	}
	return path.Join(f.home(), ".npmrc")
}

// prefixRoots lists package roots present under the global prefixes.
func (f *installFinder) prefixRoots() []string {
	var roots []string
	for _, p := range f.npmPrefixes() {
		for _, n := range packageNames {
			roots = append(roots, path.Join(p, "lib/node_modules", n))
		}
	}
	pnpmHomes := []string{path.Join(f.home(), ".local/share/pnpm")}
	if p := f.getenv("PNPM_HOME"); p != "" {
		pnpmHomes = append([]string{p}, pnpmHomes...)
	}
	for _, ph := range pnpmHomes {
		ents, _, err := f.rfs.ReadDirLimit(path.Join(ph, "global"), 50)
		if err != nil {
			continue
		}
		for _, e := range ents {
			for _, n := range packageNames {
				roots = append(roots, path.Join(ph, "global", e.Name(), "node_modules", n))
			}
		}
	}
	for _, n := range packageNames {
		roots = append(roots, path.Join(f.home(), ".bun/install/global/node_modules", n))
	}
	gitDir := path.Join(f.home(), "openclaw")
	if v := f.getenv("OPENCLAW_GIT_DIR"); v != "" {
		gitDir = expandTilde(v, f.home())
	}
	roots = append(roots, gitDir)
	return roots
}

// scriptPathRE finds a package path inside a wrapper script.
var scriptPathRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`((?:\$basedir|\$\{basedir\}|"\$basedir"|~|/)[^\s"'` + "`" + `;|&]*?/node_modules/(?:@[^/\s"']+/)?[^/\s"']+)/`)
})

// openclawEntryRE finds a checkout's entry script in a wrapper
// (git method: node ~/openclaw/openclaw.mjs).
var openclawEntryRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`((?:~|/)[^\s"'` + "`" + `;|&]*?)/(?:openclaw\.mjs|dist/entry\.js)`)
})

// rootForBin follows a command to its package root: through symlinks
// (resolved inside the rootfs), then up to the nearest package.json, or
// through a wrapper script's node_modules path.
func (f *installFinder) rootForBin(bin string) string {
	real, err := f.rfs.Realpath(bin)
	if err != nil {
		f.probs = append(f.probs, Problem{Path: bin, Area: "install", Err: pathErr("resolve", bin, err)})
		return ""
	}
	if root := f.packageAbove(real); root != "" {
		return root
	}
	data, err := f.rfs.ReadFile(real, 64<<10)
	if err != nil || bytes.IndexByte(data, 0) >= 0 {
		return ""
	}
	script := string(data)
	for _, m := range scriptPathRE().FindAllStringSubmatch(script, -1) {
		p := strings.Trim(m[1], `"`)
		p = strings.NewReplacer("${basedir}", path.Dir(real), "$basedir", path.Dir(real)).Replace(p)
		p = expandTilde(p, f.home())
		if f.isPackage(p) {
			return path.Clean(p)
		}
	}
	for _, m := range openclawEntryRE().FindAllStringSubmatch(script, -1) {
		p := expandTilde(m[1], f.home())
		if f.isPackage(p) {
			return path.Clean(p)
		}
	}
	return ""
}

func (f *installFinder) isPackage(dir string) bool {
	fi, err := f.rfs.Stat(path.Join(dir, "package.json"))
	return err == nil && fi.Mode().IsRegular()
}

// packageAbove returns the nearest directory above file (at most 6
// levels) holding a package.json whose bin points at file.
func (f *installFinder) packageAbove(file string) string {
	dir := path.Dir(file)
	for i := 0; i < 6 && dir != "/"; i++ {
		if f.isPackage(dir) {
			pj, err := f.readPackageJSON(dir)
			if err == nil {
				for _, b := range pj.bins() {
					if path.Clean(path.Join(dir, b.target)) == file {
						return dir
					}
				}
			}
			return ""
		}
		dir = path.Dir(dir)
	}
	return ""
}

type packageJSON struct {
	Name       string          `json:"name"`
	Version    string          `json:"version"`
	Repository json.RawMessage `json:"repository"`
	Bin        json.RawMessage `json:"bin"`
}

type binEntry struct{ name, target string }

func (p *packageJSON) bins() []binEntry {
	var s string
	if json.Unmarshal(p.Bin, &s) == nil && s != "" {
		n := p.Name
		if i := strings.LastIndexByte(n, '/'); i >= 0 {
			n = n[i+1:]
		}
		return []binEntry{{n, s}}
	}
	var m map[string]string
	if json.Unmarshal(p.Bin, &m) != nil {
		return nil
	}
	var out []binEntry
	for k, v := range m {
		out = append(out, binEntry{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (p *packageJSON) repository() string {
	var s string
	if json.Unmarshal(p.Repository, &s) == nil {
		return s
	}
	var o struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(p.Repository, &o) == nil {
		return o.URL
	}
	return ""
}

func (f *installFinder) readPackageJSON(dir string) (*packageJSON, error) {
	p := path.Join(dir, "package.json")
	data, err := f.rfs.ReadFile(p, 4<<20)
	if err != nil {
		return nil, pathErr("read", p, err)
	}
	var pj packageJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return nil, pathErr("parse", p, err)
	}
	return &pj, nil
}

// add records the package at root (once, keyed by its real path).
func (f *installFinder) add(root string) *Install {
	if !f.isPackage(root) {
		return nil
	}
	real, err := f.rfs.Realpath(root)
	if err != nil {
		f.probs = append(f.probs, Problem{Path: root, Area: "install", Err: pathErr("resolve", root, err)})
		return nil
	}
	if inst, ok := f.byRoot[real]; ok {
		return inst
	}
	pj, err := f.readPackageJSON(real)
	if err != nil {
		f.probs = append(f.probs, Problem{Path: root, Area: "install", Err: err})
		return nil
	}
	if !isOpenClawLike(pj, real) {
		return nil
	}
	inst := &Install{Root: real, Name: pj.Name, Version: pj.Version, Repository: pj.repository()}
	for _, b := range pj.bins() {
		inst.Bins = append(inst.Bins, b.name)
	}
	inst.Method = f.method(real)
	inst.BuildInfo = f.buildInfo(real)
	f.registryAndIntegrity(inst)
	f.byRoot[real] = inst
	f.order = append(f.order, real)
	return inst
}

// isOpenClawLike accepts the known package names and anything that ships
// one of the known bins (a renamed fork still installs "openclaw").
func isOpenClawLike(pj *packageJSON, root string) bool {
	if containsStr(packageNames, pj.Name) {
		return true
	}
	for _, b := range pj.bins() {
		if containsStr(binNames, b.name) {
			return true
		}
	}
	return false
}

func (f *installFinder) method(root string) string {
	h := f.home()
	switch {
	case isInside(path.Join(h, ".openclaw/lib/node_modules"), root):
		return "install-cli"
	case f.rfs.IsDir(path.Join(root, ".git")):
		return "git"
	case strings.Contains(root, "/.bun/install/global/"):
		return "bun-global"
	case strings.Contains(root, "/pnpm/global/") || strings.Contains(root, "/.pnpm/") ||
		(f.getenv("PNPM_HOME") != "" && isInside(path.Join(f.getenv("PNPM_HOME"), "global"), root)):
		return "pnpm-global"
	}
	parent := path.Dir(root)
	if strings.HasPrefix(path.Base(parent), "@") {
		parent = path.Dir(parent)
	}
	if path.Base(parent) == "node_modules" {
		if path.Base(path.Dir(parent)) == "lib" {
			return "npm-global"
		}
		return "local"
	}
	return "unknown"
}

func (f *installFinder) buildInfo(root string) *BuildInfo {
	p := path.Join(root, "dist/build-info.json")
	data, err := f.rfs.ReadFile(p, 1<<20)
	if err != nil {
		if !isNotExist(err) {
			f.probs = append(f.probs, Problem{Path: p, Area: "install", Err: pathErr("read", p, err)})
		}
		return nil
	}
	var bi struct {
		Version string `json:"version"`
		Commit  string `json:"commit"`
		BuiltAt string `json:"builtAt"`
		BuildID string `json:"buildId"`
	}
	if err := json.Unmarshal(data, &bi); err != nil {
		f.probs = append(f.probs, Problem{Path: p, Area: "install", Err: pathErr("parse", p, err)})
		return nil
	}
	return &BuildInfo{Version: bi.Version, Commit: bi.Commit, BuiltAt: bi.BuiltAt, BuildID: bi.BuildID}
}

// readNpmrc reads key=value pairs of an npmrc (ini) file; ${VAR} is
// expanded as npm does.
func (f *installFinder) readNpmrc(p string) map[string]string {
	data, err := f.rfs.ReadFile(p, 1<<20)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"'`)
		v, _ = SubstituteEnv(v, f.getenv)
		out[k] = v
	}
	return out
}

// registryAndIntegrity finds where the package came from: a lockfile's
// resolved URL and integrity first (what actually happened), else the
// npm configuration that applies (env, project, user, global npmrc; the
// pnpm rc for pnpm installs). An empty Registry means npm's default.
func (f *installFinder) registryAndIntegrity(inst *Install) {
	project := ""
	modules := path.Dir(inst.Root)
	if strings.HasPrefix(path.Base(modules), "@") {
		modules = path.Dir(modules)
	}
	if path.Base(modules) == "node_modules" {
		project = path.Dir(modules)
	}
	if project != "" {
		rel := "node_modules/" + inst.Name
		for _, lf := range []string{path.Join(project, "package-lock.json"), path.Join(modules, ".package-lock.json"), path.Join(project, "npm-shrinkwrap.json")} {
			if integ, resolved, ok := f.lockEntry(lf, rel); ok {
				if integ != "" && inst.Integrity == "" {
					inst.Integrity, inst.IntegritySource = integ, lf
				}
				if reg := registryFromResolved(resolved, inst.Name); reg != "" && inst.Registry == "" {
					inst.Registry, inst.RegistrySource = reg, lf
				}
			}
		}
	}
	if inst.Registry != "" {
		return
	}
	key := "registry"
	if strings.HasPrefix(inst.Name, "@") {
		key = strings.SplitN(inst.Name, "/", 2)[0] + ":registry"
	}
	for _, k := range []string{"npm_config_" + key, "NPM_CONFIG_" + strings.ToUpper(key)} {
		if key == "registry" {
			if v := f.getenv(k); v != "" {
				inst.Registry, inst.RegistrySource = v, "env "+k
				return
			}
		}
	}
	var rcs []string
	if project != "" && inst.Method == "local" {
		rcs = append(rcs, path.Join(project, ".npmrc"))
	}
	if inst.Method == "pnpm-global" {
		rcs = append(rcs, path.Join(f.home(), ".config/pnpm/rc"))
	}
	rcs = append(rcs, f.userNpmrc())
	if inst.Method == "npm-global" || inst.Method == "install-cli" {
		prefix := path.Dir(path.Dir(modules)) // <prefix>/lib/node_modules
		rcs = append(rcs, path.Join(prefix, "etc/npmrc"))
	}
	rcs = append(rcs, "/etc/npmrc", "/usr/local/etc/npmrc")
	for _, rc := range rcs {
		kv := f.readNpmrc(rc)
		if v := kv[key]; v != "" {
			inst.Registry, inst.RegistrySource = v, rc
			return
		}
		if v := kv["registry"]; v != "" && key != "registry" {
			inst.Registry, inst.RegistrySource = v, rc
			return
		}
	}
	inst.RegistrySource = "default"
}

func (f *installFinder) lockEntry(lockfile, rel string) (integrity, resolved string, ok bool) {
	data, err := f.rfs.ReadFile(lockfile, 64<<20)
	if err != nil {
		return "", "", false
	}
	var lock struct {
		Packages map[string]struct {
			Integrity string `json:"integrity"`
			Resolved  string `json:"resolved"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		f.probs = append(f.probs, Problem{Path: lockfile, Area: "install", Err: pathErr("parse", lockfile, err)})
		return "", "", false
	}
	e, ok := lock.Packages[rel]
	if !ok {
		return "", "", false
	}
	return e.Integrity, e.Resolved, true
}

// registryFromResolved turns ".../openclaw/-/openclaw-1.2.3.tgz" into the
// registry base URL.
func registryFromResolved(resolved, name string) string {
	if resolved == "" {
		return ""
	}
	u, err := url.Parse(resolved)
	if err != nil || u.Host == "" {
		return ""
	}
	if i := strings.Index(u.Path, "/"+name+"/-/"); i >= 0 {
		u.Path = u.Path[:i+1]
	} else {
		u.Path = "/"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}
