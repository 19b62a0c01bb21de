package openclaw

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindInstallsRealPrefix reads the real npm global prefix that
// scripts/install-openclaw.sh created (bin/openclaw -> ../lib/node_modules/openclaw/openclaw.mjs).
func TestFindInstallsRealPrefix(t *testing.T) {
	bin := openclawBin(t)
	prefix := filepath.Join(filepath.Dir(filepath.Dir(bin)), "openclaw-2026.9.6")
	if _, err := os.Stat(filepath.Join(prefix, "lib/node_modules/openclaw/package.json")); err != nil {
		t.Skipf("no real install tree at %s", prefix)
	}
	home := t.TempDir()
	insts, probs := FindInstalls(InstallOptions{PathDirs: []string{filepath.Join(prefix, "bin")}, Home: home, Getenv: envMap(map[string]string{"NPM_CONFIG_USERCONFIG": filepath.Join(home, "none")})})
	if len(probs) > 0 {
		t.Fatalf("problems %v", probs)
	}
	if len(insts) == 0 {
		t.Fatal("no install found")
	}
	in := insts[0]
	if !in.OnPath || in.Name != "openclaw" || in.Version != "2026.9.6" || in.Method != "npm-global" ||
		in.Root != filepath.Join(prefix, "lib/node_modules/openclaw") || in.Bin != filepath.Join(prefix, "bin/openclaw") ||
		in.Repository != "git+https://github.com/openclaw/openclaw.git" || strings.Join(in.Bins, ",") != "openclaw" {
		t.Fatalf("install %+v", in)
	}
	if in.BuildInfo == nil || in.BuildInfo.Commit != "eb377ac59e6c9fd6c7705028034812becf00271b" || in.BuildInfo.Version != "2026.9.6" {
		t.Fatalf("build info %+v", in.BuildInfo)
	}
	if in.Registry != "" || in.RegistrySource != "default" || in.Integrity != "" {
		t.Fatalf("registry/integrity for a global install without npmrc or lockfile: %+v", in)
	}
}

type tree map[string]string // path -> content; "->target" makes a symlink; "" with trailing / a dir

func buildTree(t testing.TB, root string, tr tree) {
	t.Helper()
	for p, c := range tr {
		full := filepath.Join(root, p)
		must(t, os.MkdirAll(filepath.Dir(full), 0o755))
		switch {
		case strings.HasPrefix(c, "->"):
			must(t, os.Symlink(c[2:], full))
		case strings.HasSuffix(p, "/"):
			must(t, os.MkdirAll(full, 0o755))
		default:
			mode := os.FileMode(0o644)
			if strings.Contains(p, "/bin/") || strings.HasSuffix(p, ".mjs") || strings.HasPrefix(c, "#!") {
				mode = 0o755
			}
			must(t, os.WriteFile(full, []byte(c), mode))
		}
	}
}

func pkg(name, version, bins string) string {
	return `{"name":"` + name + `","version":"` + version + `","repository":{"type":"git","url":"git+https://example.test/` + name + `.git"},"bin":` + bins + `}`
}

func TestFindInstallsRootfs(t *testing.T) {
	root := t.TempDir()
	buildTree(t, root, tree{
		// npm global under /usr/local with an absolute symlink (must resolve inside the rootfs)
		"usr/local/bin/openclaw":                                   "->/usr/local/lib/node_modules/openclaw/openclaw.mjs",
		"usr/local/lib/node_modules/openclaw/openclaw.mjs":         "#!/usr/bin/env node\n",
		"usr/local/lib/node_modules/openclaw/package.json":         pkg("openclaw", "2026.3.1", `{"openclaw":"openclaw.mjs"}`),
		"usr/local/lib/node_modules/openclaw/dist/build-info.json": `{"version":"2026.3.1","commit":"abc","builtAt":"x","buildId":"y"}`,
		"usr/local/etc/npmrc":                                      "registry=https://mirror.example.test/npm/\n",
		// fork shadowing openclaw in nvm, via PATH order it is second
		"home/u/.nvm/versions/node/v22.1.0/bin/clawmongo":                                    "->../lib/node_modules/@romiluz/clawmongo/bin/cm.js",
		"home/u/.nvm/versions/node/v22.1.0/lib/node_modules/@romiluz/clawmongo/bin/cm.js":    "#!/usr/bin/env node\n",
		"home/u/.nvm/versions/node/v22.1.0/lib/node_modules/@romiluz/clawmongo/package.json": pkg("@romiluz/clawmongo", "2026.4.8", `{"openclaw":"bin/cm.js","clawmongo":"bin/cm.js"}`),
		"home/u/.npmrc": "@romiluz:registry=https://scoped.example.test/\nregistry=https://user.example.test/\n",
		// install-cli prefix with a wrapper script
		"home/u/.openclaw/bin/openclaw":                           "#!/bin/sh\nexec \"/home/u/.openclaw/tools/node/bin/node\" \"/home/u/.openclaw/lib/node_modules/openclaw/openclaw.mjs\" \"$@\"\n",
		"home/u/.openclaw/lib/node_modules/openclaw/openclaw.mjs": "",
		"home/u/.openclaw/lib/node_modules/openclaw/package.json": pkg("openclaw", "2026.9.6", `{"openclaw":"openclaw.mjs"}`),
		// pnpm global shim using $basedir
		"home/u/.local/share/pnpm/openclaw-cn":                                     "#!/bin/sh\nbasedir=$(dirname \"$0\")\nexec node \"$basedir/global/5/node_modules/openclaw-cn/dist/entry.js\" \"$@\"\n",
		"home/u/.local/share/pnpm/global/5/node_modules/openclaw-cn/package.json":  pkg("openclaw-cn", "2026.1.31", `{"openclaw-cn":"dist/entry.js","clawdbot-cn":"dist/entry.js"}`),
		"home/u/.local/share/pnpm/global/5/node_modules/openclaw-cn/dist/entry.js": "",
		// bun global without a bin link
		"home/u/.bun/install/global/node_modules/clawdbot/package.json": pkg("clawdbot", "2026.1.24", `{"clawdbot":"dist/entry.js"}`),
		// git checkout with a ~/.local/bin wrapper
		"home/u/.local/bin/openclaw":   "#!/bin/sh\nexec node ~/openclaw/openclaw.mjs \"$@\"\n",
		"home/u/openclaw/package.json": pkg("openclaw", "2026.9.7-dev", `{"openclaw":"openclaw.mjs"}`),
		"home/u/openclaw/openclaw.mjs": "",
		"home/u/openclaw/.git/HEAD":    "ref: refs/heads/main\n",
		// local project install with a lockfile
		"srv/bot/node_modules/openclaw/package.json": pkg("openclaw", "2026.8.1", `{"openclaw":"openclaw.mjs"}`),
		"srv/bot/node_modules/openclaw/openclaw.mjs": "",
		"srv/bot/node_modules/.bin/openclaw":         "->../openclaw/openclaw.mjs",
		"srv/bot/package-lock.json":                  `{"lockfileVersion":3,"packages":{"node_modules/openclaw":{"version":"2026.8.1","resolved":"https://lock.example.test/npm/openclaw/-/openclaw-2026.8.1.tgz","integrity":"sha512-LOCK"}}}`,
		// a symlink loop on PATH must not hang or fail the scan
		"opt/loop/bin/openclaw": "->openclaw",
		// an unrelated package with a clashing dir name is ignored
		"usr/lib/node_modules/moltbot/package.json": `{"name":"something-else","version":"1"}`,
	})
	opts := InstallOptions{Rootfs: root, Home: "/home/u", PathDirs: []string{"/opt/loop/bin", "/usr/local/bin", "/home/u/.nvm/versions/node/v22.1.0/bin", "/srv/bot/node_modules/.bin"},
		Getenv: envMap(nil)}
	insts, probs := FindInstalls(opts)
	got := map[string]Install{}
	for _, in := range insts {
		got[in.Root] = in
	}
	if len(probs) != 1 || !strings.Contains(probs[0].Err.Error(), "/opt/loop/bin/openclaw") || strings.Contains(probs[0].Err.Error(), root) {
		t.Errorf("want one problem for the symlink loop naming the deployment path, got %v", probs)
	}
	if len(insts) != 7 {
		for _, in := range insts {
			t.Logf("%+v", in)
		}
		t.Fatalf("found %d installs", len(insts))
	}
	first := insts[0]
	if !first.OnPath || first.Root != "/usr/local/lib/node_modules/openclaw" || first.Bin != "/usr/local/bin/openclaw" || first.Method != "npm-global" ||
		first.Version != "2026.3.1" || first.BuildInfo == nil || first.BuildInfo.Commit != "abc" ||
		first.Registry != "https://user.example.test/" || first.RegistrySource != "/home/u/.npmrc" {
		t.Errorf("on-path install %+v", first)
	}
	checks := []struct {
		root, name, method, registry, regSrc string
	}{
		{"/home/u/.nvm/versions/node/v22.1.0/lib/node_modules/@romiluz/clawmongo", "@romiluz/clawmongo", "npm-global", "https://scoped.example.test/", "/home/u/.npmrc"},
		{"/home/u/.openclaw/lib/node_modules/openclaw", "openclaw", "install-cli", "https://user.example.test/", "/home/u/.npmrc"},
		{"/home/u/.local/share/pnpm/global/5/node_modules/openclaw-cn", "openclaw-cn", "pnpm-global", "https://user.example.test/", "/home/u/.npmrc"},
		{"/home/u/.bun/install/global/node_modules/clawdbot", "clawdbot", "bun-global", "https://user.example.test/", "/home/u/.npmrc"},
		{"/home/u/openclaw", "openclaw", "git", "https://user.example.test/", "/home/u/.npmrc"},
		{"/srv/bot/node_modules/openclaw", "openclaw", "local", "https://lock.example.test/npm/", "/srv/bot/package-lock.json"},
	}
	for _, c := range checks {
		in, ok := got[c.root]
		if !ok {
			t.Errorf("missing %s", c.root)
			continue
		}
		if in.Name != c.name || in.Method != c.method || in.Registry != c.registry || in.RegistrySource != c.regSrc || in.OnPath {
			t.Errorf("%s: %+v", c.root, in)
		}
	}
	if in := got["/srv/bot/node_modules/openclaw"]; in.Integrity != "sha512-LOCK" || in.IntegritySource != "/srv/bot/package-lock.json" || in.Bin != "/srv/bot/node_modules/.bin/openclaw" {
		t.Errorf("local install %+v", in)
	}
	if in := got["/home/u/.local/share/pnpm/global/5/node_modules/openclaw-cn"]; strings.Join(in.Bins, ",") != "clawdbot-cn,openclaw-cn" || in.Bin != "/home/u/.local/share/pnpm/openclaw-cn" {
		t.Errorf("pnpm install %+v", in)
	}
	// The npm env override beats every npmrc.
	opts.Getenv = envMap(map[string]string{"npm_config_registry": "https://env.example.test/"})
	insts, _ = FindInstalls(opts)
	if insts[0].Registry != "https://env.example.test/" || insts[0].RegistrySource != "env npm_config_registry" {
		t.Errorf("env registry: %+v", insts[0])
	}
}

func TestFindInstallsNothing(t *testing.T) {
	insts, probs := FindInstalls(InstallOptions{Rootfs: t.TempDir(), Home: "/root", PathDirs: []string{"/usr/bin"}})
	if len(insts) != 0 || len(probs) != 0 {
		t.Fatalf("%v %v", insts, probs)
	}
}
