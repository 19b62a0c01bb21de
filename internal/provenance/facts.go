// Package provenance decides where the installed OpenClaw came from and
// whether it is the official build: fork and look-alike packages, legacy
// clawdbot/moltbot, the repository field, dist/build-info.json, the
// registry the package was resolved from (.npmrc, lockfiles, the npm cache
// index), integrity against the embedded release table, release standing
// and channel, and version drift between package, state and the running
// gateway. It is the audit engine "install" (checks CG-INS-NNN).
package provenance

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// The inventory (internal/openclaw) reports what it found; the facts below
// are the few extra ones this engine needs, read under the rootfs from the
// install's own location. Every path in evidence is the path as the
// deployment sees it.

// RegistryFact is one place that says which registry served the package.
type RegistryFact struct {
	// URL is the registry base or the resolved tarball URL.
	URL string
	// Source is the file (or "env:npm_config_registry") it was read from.
	Source string
	// Key is the setting or lockfile key ("registry", "@openclaw:registry",
	// "packages.node_modules/openclaw.resolved").
	Key string
}

// IntegrityFact is a recorded tarball integrity for the installed version.
type IntegrityFact struct {
	Integrity string
	Source    string
}

// Facts are the extra provenance facts for one install.
type Facts struct {
	Registries []RegistryFact
	Integrity  []IntegrityFact
	// BuildInfo is dist/build-info.json as read here; BuildInfoMissing is
	// true when the file does not exist.
	BuildInfo        *openclaw.BuildInfo
	BuildInfoMissing bool
	// Git is true when the package root is a git checkout.
	Git bool
}

// hostPath maps a deployment path to this machine's path under rootfs
// through host.Root, the one rooted-path resolver: symlinks are resolved
// inside the root, so a link in a disk image never points the audit at this
// machine's own files. ok is false when the path does not resolve.
func hostPath(rootfs, p string) (string, bool) {
	if rootfs == "" {
		return p, true
	}
	r, err := host.NewRoot(rootfs)
	if err != nil {
		return "", false
	}
	defer r.Close()
	res, err := r.Resolve(p)
	if err != nil {
		return "", false
	}
	return r.HostPath(res), true
}

// maxRead bounds every file this package reads: these are config files
// and lockfiles, and a hostile tree must not make the audit read gigabytes.
const maxRead = 32 << 20

func readFile(rootfs, p string) ([]byte, error) {
	f, err := host.Open(rootfs, p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > maxRead {
		return nil, errors.New("file too large")
	}
	b := make([]byte, st.Size())
	n, err := f.Read(b)
	if err != nil && n == 0 && st.Size() > 0 {
		return nil, err
	}
	return b[:n], nil
}

// Gather reads the extra facts for inst.
func Gather(inv *openclaw.Inventory, inst openclaw.Install) Facts {
	var f Facts
	rootfs := inv.Rootfs
	root := path.Clean(filepath.ToSlash(inst.Root))

	// dist/build-info.json
	if inst.BuildInfo != nil {
		f.BuildInfo = inst.BuildInfo
	} else if b, err := readFile(rootfs, path.Join(root, "dist/build-info.json")); err == nil {
		var bi struct {
			Version, Commit, BuiltAt, BuildID string
		}
		if json.Unmarshal(b, &bi) == nil {
			f.BuildInfo = &openclaw.BuildInfo{Version: bi.Version, Commit: bi.Commit, BuiltAt: bi.BuiltAt, BuildID: bi.BuildID}
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		f.BuildInfoMissing = true
	}
	if st, err := host.Stat(rootfs, path.Join(root, ".git")); err == nil && (st.IsDir() || st.Mode().IsRegular()) {
		f.Git = true
	}

	// Registry settings, in npm's order of precedence (project, user,
	// global, builtin) plus the environment; every one is recorded, the
	// check reports any that is not official.
	if inst.Registry != "" {
		f.Registries = append(f.Registries, RegistryFact{URL: inst.Registry, Source: orDefault(inst.RegistrySource, "inventory"), Key: "registry"})
	}
	for _, k := range []string{"npm_config_registry", "NPM_CONFIG_REGISTRY"} {
		if v := inv.Env[k]; v != "" {
			f.Registries = append(f.Registries, RegistryFact{URL: v, Source: "env:" + k, Key: "registry"})
		}
	}
	for _, rc := range npmrcCandidates(inv, inst, root) {
		b, err := readFile(rootfs, rc)
		if err != nil {
			continue
		}
		for _, kv := range parseNpmrc(b) {
			if kv[0] == "registry" || kv[0] == "@openclaw:registry" {
				f.Registries = append(f.Registries, RegistryFact{URL: kv[1], Source: rc, Key: kv[0]})
			}
		}
	}

	// Lockfiles of a local project install record the resolved URL and the
	// integrity of node_modules/openclaw.
	if proj, ok := projectDir(root); ok {
		for _, lf := range []string{path.Join(proj, "package-lock.json"), path.Join(proj, "node_modules/.package-lock.json")} {
			b, err := readFile(rootfs, lf)
			if err != nil {
				continue
			}
			var lock struct {
				Packages map[string]struct {
					Version   string `json:"version"`
					Resolved  string `json:"resolved"`
					Integrity string `json:"integrity"`
				} `json:"packages"`
			}
			if json.Unmarshal(b, &lock) != nil {
				continue
			}
			key := "node_modules/" + inst.Name
			if p, ok := lock.Packages[key]; ok {
				if p.Resolved != "" {
					f.Registries = append(f.Registries, RegistryFact{URL: p.Resolved, Source: lf, Key: "packages." + key + ".resolved"})
				}
				if p.Integrity != "" && (p.Version == "" || p.Version == inst.Version) {
					f.Integrity = append(f.Integrity, IntegrityFact{Integrity: p.Integrity, Source: lf})
				}
			}
		}
		if b, err := readFile(rootfs, path.Join(proj, "pnpm-lock.yaml")); err == nil {
			for _, u := range pnpmTarballs(b, inst.Name) {
				f.Registries = append(f.Registries, RegistryFact{URL: u, Source: path.Join(proj, "pnpm-lock.yaml"), Key: "resolution.tarball"})
			}
		}
	}
	if inst.Integrity != "" {
		f.Integrity = append(f.Integrity, IntegrityFact{Integrity: inst.Integrity, Source: orDefault(inst.IntegritySource, "inventory")})
	}

	// The npm cache index records the exact tarball URL fetched and its
	// integrity: the only integrity record a global npm install leaves.
	if home := inv.Paths.Home; home != "" && inst.Version != "" {
		for _, e := range cacheEntries(rootfs, path.Join(home, ".npm/_cacache/index-v5"), inst.Name, inst.Version) {
			f.Registries = append(f.Registries, RegistryFact{URL: e.url, Source: e.file, Key: "npm cache index"})
			if e.integrity != "" {
				f.Integrity = append(f.Integrity, IntegrityFact{Integrity: e.integrity, Source: e.file})
			}
		}
	}
	f.Integrity = dedupeIntegrity(f.Integrity)
	f.Registries = dedupeRegistries(f.Registries)
	return f
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// npmrcCandidates lists the npmrc files that apply to inst.
func npmrcCandidates(inv *openclaw.Inventory, inst openclaw.Install, root string) []string {
	var out []string
	if proj, ok := projectDir(root); ok {
		out = append(out, path.Join(proj, ".npmrc"))
	}
	if home := inv.Paths.Home; home != "" {
		out = append(out, path.Join(home, ".npmrc"), path.Join(home, ".config/pnpm/rc"))
	}
	if v := inv.Env["NPM_CONFIG_USERCONFIG"]; v != "" {
		out = append(out, v)
	}
	if prefix, ok := globalPrefix(root); ok {
		out = append(out, path.Join(prefix, "etc/npmrc"))
	}
	out = append(out, "/etc/npmrc", "/usr/local/etc/npmrc")
	seen := map[string]bool{}
	var uniq []string
	for _, p := range out {
		if !seen[p] {
			seen[p] = true
			uniq = append(uniq, p)
		}
	}
	return uniq
}

// globalPrefix returns <prefix> for <prefix>/lib/node_modules/<pkg>.
func globalPrefix(root string) (string, bool) {
	dir := path.Dir(root)
	if path.Base(dir) == "node_modules" && path.Base(path.Dir(dir)) == "lib" {
		return path.Dir(path.Dir(dir)), true
	}
	return "", false
}

// projectDir returns <proj> for <proj>/node_modules/<pkg> (not a global
// lib/node_modules).
func projectDir(root string) (string, bool) {
	dir := path.Dir(root)
	if strings.HasPrefix(path.Base(dir), "@") { // scoped package
		dir = path.Dir(dir)
	}
	if path.Base(dir) != "node_modules" {
		return "", false
	}
	if _, global := globalPrefix(root); global {
		return "", false
	}
	return path.Dir(dir), true
}

// parseNpmrc returns the key=value pairs of an npmrc (ini without
// sections; comments start with ; or #).
func parseNpmrc(b []byte) [][2]string {
	var out [][2]string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == ';' || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		v = strings.Trim(v, `"'`)
		out = append(out, [2]string{k, v})
	}
	return out
}

// pnpmTarballs finds resolution.tarball URLs for pkg in a pnpm lockfile
// without a YAML parser: the lines are "resolution: {integrity: …,
// tarball: URL}" under the package's key.
func pnpmTarballs(b []byte, pkg string) []string {
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		i := strings.Index(line, "tarball:")
		if i < 0 || !strings.Contains(line, "/"+pkg+"/-/") {
			continue
		}
		u := strings.TrimSpace(line[i+len("tarball:"):])
		u = strings.TrimRight(u, "}, ")
		out = append(out, strings.Trim(u, `"'`))
	}
	return out
}

type cacheEntry struct{ url, integrity, file string }

// cacheEntries scans the npm cache index (index-v5: one file per key, each
// line "<sha1>\t<json>") for the tarball of pkg@version. The walk is
// bounded so a huge cache cannot stall the audit.
func cacheEntries(rootfs, dir, pkg, version string) []cacheEntry {
	want := "/" + pkg + "/-/" + pkg + "-" + version + ".tgz"
	var out []cacheEntry
	files := 0
	base, ok := hostPath(rootfs, dir)
	if !ok {
		return nil
	}
	_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // directories are walked; links are not followed
		}
		files++
		if files > 200000 {
			return filepath.SkipAll
		}
		info, err := d.Info()
		if err != nil || info.Size() > 1<<20 {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), want) {
			return nil
		}
		for _, line := range strings.Split(string(b), "\n") {
			_, js, ok := strings.Cut(line, "\t")
			if !ok {
				continue
			}
			var e struct {
				Key       string `json:"key"`
				Integrity string `json:"integrity"`
			}
			if json.Unmarshal([]byte(js), &e) != nil || !strings.HasSuffix(e.Key, want) {
				continue
			}
			u := e.Key[strings.Index(e.Key, ":request-cache:")+len(":request-cache:"):]
			if !strings.Contains(e.Key, ":request-cache:") {
				continue
			}
			rel, _ := filepath.Rel(base, p)
			out = append(out, cacheEntry{url: u, integrity: e.Integrity, file: path.Join(dir, filepath.ToSlash(rel))})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].file < out[j].file })
	return out
}

// dedupeRegistries drops repeats of the same URL from the same source (the
// inventory and this package may both read the same .npmrc).
func dedupeRegistries(xs []RegistryFact) []RegistryFact {
	seen := map[string]bool{}
	var out []RegistryFact
	for _, x := range xs {
		u := strings.TrimRight(strings.TrimSpace(x.URL), "/")
		if b, ok := RegistryBase(x.URL, "openclaw"); ok {
			u = b
		}
		// The inventory writes "env NAME", this package "env:NAME".
		k := u + "\x00" + strings.Replace(x.Source, "env ", "env:", 1)
		if !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}

func dedupeIntegrity(xs []IntegrityFact) []IntegrityFact {
	seen := map[string]bool{}
	var out []IntegrityFact
	for _, x := range xs {
		k := x.Integrity + "\x00" + x.Source
		if !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}

// RegistryBase reduces a registry or tarball URL to scheme://host[:port]
// plus any path prefix before the package name, lower-cased, for
// comparison ("https://r.example/npm/openclaw/-/openclaw-1.tgz" ->
// "https://r.example/npm").
func RegistryBase(raw, pkg string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	p := u.Path
	if i := strings.Index(p, "/"+pkg+"/-/"); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimRight(p, "/")
	return strings.ToLower(u.Scheme + "://" + u.Host + p), true
}

// RedactURL removes credentials from a registry URL before it goes into
// evidence: mirrors are often configured as https://user:token@host/ or
// with a token in the query string.
func RedactURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		// Not a URL we understand: keep only a prefix that cannot hold a
		// credential-looking tail.
		if i := strings.IndexAny(raw, "@?#"); i >= 0 {
			return raw[:i] + "…"
		}
		return raw
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	u.Fragment = ""
	return u.String()
}
