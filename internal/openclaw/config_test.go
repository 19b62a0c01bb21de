package openclaw

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/json5"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeTree writes files (path relative to dir -> content) and returns dir.
func writeTree(t testing.TB, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustString(t *testing.T, c *Config, key, want string) {
	t.Helper()
	got, ok := c.String(key)
	if !ok || got != want {
		t.Fatalf("%s = %q (%v), want %q", key, got, ok, want)
	}
}

func TestParseConfigSubstitution(t *testing.T) {
	src := `{
  gateway: { auth: { token: "${GW_TOKEN}", password: "pre-${MISSING}-post" } },
  hooks: { token: "$${GW_TOKEN}", path: "a$b ${lower} ${EMPTY}" },
  list: ["${GW_TOKEN}", 1],
  env: { vars: { FROM_CFG: "cfgval", NODE_OPTIONS: "--inspect" }, DIRECT: "d" },
  x: "${FROM_CFG}/${DIRECT}/${NODE_OPTIONS}",
}`
	c, err := ParseConfig("/h/.openclaw/openclaw.json", []byte(src), envMap(map[string]string{"GW_TOKEN": "tok123", "EMPTY": ""}))
	if err != nil {
		t.Fatal(err)
	}
	mustString(t, c, "gateway.auth.token", "tok123")
	mustString(t, c, "gateway.auth.password", "pre-${MISSING}-post")
	mustString(t, c, "hooks.token", "${GW_TOKEN}")
	mustString(t, c, "hooks.path", "a$b ${lower} ${EMPTY}")
	mustString(t, c, "list.0", "tok123")
	mustString(t, c, "x", "cfgval/d/${NODE_OPTIONS}")
	if tpl := c.Get("gateway.auth.token").Template; tpl != "${GW_TOKEN}" {
		t.Fatalf("template %q", tpl)
	}
	if c.Get("hooks.path").Template != "" {
		t.Fatalf("unchanged string got a template")
	}
	want := []string{"MISSING", "EMPTY", "NODE_OPTIONS"}
	if strings.Join(c.Unresolved, ",") != strings.Join(want, ",") {
		t.Fatalf("unresolved %v want %v", c.Unresolved, want)
	}
	if r := c.UnresolvedRefs[0]; r.Key != "gateway.auth.password" || r.Pos.Line != 2 {
		t.Fatalf("ref %+v", r)
	}
}

func TestParseConfigError(t *testing.T) {
	_, err := ParseConfig("/h/openclaw.json", []byte("{\n a: ,\n}"), nil)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Path != "/h/openclaw.json" {
		t.Fatalf("err %v", err)
	}
	if got := err.Error(); got != "config /h/openclaw.json:2:5: invalid character ',' looking for beginning of value" {
		t.Fatalf("message %q", got)
	}
}

func TestLoadConfigIncludes(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"openclaw.json": `{
  // single include replaces the object, siblings override
  gateway: { $include: "./parts/gateway.json5", port: 19000 },
  agents: { $include: ["./parts/a.json5", "./parts/b.json5"] },
  list: [{ $include: "parts/item.json5" }],
}`,
		"parts/gateway.json5":  `{ bind: "lan", port: 18789, auth: { mode: "token", token: "${T}" }, tags: ["x"] }`,
		"parts/a.json5":        `{ defaults: { workspace: "/w/a", sandbox: { mode: "off" } }, names: ["a"] }`,
		"parts/b.json5":        `{ $include: "./nested/c.json5", defaults: { sandbox: { mode: "all" } }, names: ["b"] }`,
		"parts/nested/c.json5": `{ extra: true, names: ["c"] }`,
		"parts/item.json5":     `{ id: "main" }`,
	})
	cfgPath := filepath.Join(dir, "openclaw.json")
	c, err := LoadConfig("", cfgPath, envMap(map[string]string{"T": "secret-t"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	mustString(t, c, "gateway.bind", "lan")
	mustString(t, c, "gateway.auth.token", "secret-t")
	if n, _ := c.Get("gateway.port").AsNumber(); n != 19000 {
		t.Fatalf("sibling did not override: %v", n)
	}
	mustString(t, c, "agents.defaults.workspace", "/w/a")
	mustString(t, c, "agents.defaults.sandbox.mode", "all")
	if b, _ := c.Bool("agents.extra"); !b {
		t.Fatal("nested include lost")
	}
	// arrays concatenate in merge order: a, then b's include (c), then b.
	if got := strings.Join(c.Get("agents.names").Strings(), ","); got != "a,c,b" {
		t.Fatalf("names %q", got)
	}
	mustString(t, c, "list.0.id", "main")
	// Positions stay in the file each value came from.
	bind := c.Get("gateway.bind")
	if bind.Pos.File != filepath.Join(dir, "parts/gateway.json5") || bind.Pos.Line != 1 {
		t.Fatalf("bind pos %+v", bind.Pos)
	}
	if p := c.Get("gateway.port").Pos; p.File != cfgPath || p.Line != 3 {
		t.Fatalf("port pos %+v", p)
	}
	if p := c.Get("agents.defaults.sandbox.mode").Pos; !strings.HasSuffix(p.File, "parts/b.json5") {
		t.Fatalf("mode pos %+v", p)
	}
	wantInc := []string{"parts/gateway.json5", "parts/a.json5", "parts/b.json5", "parts/nested/c.json5", "parts/item.json5"}
	if len(c.Includes) != len(wantInc) {
		t.Fatalf("includes %v", c.Includes)
	}
	for i, w := range wantInc {
		if c.Includes[i] != filepath.Join(dir, w) {
			t.Fatalf("includes[%d] = %s want %s", i, c.Includes[i], w)
		}
	}
}

func TestLoadConfigIncludeErrors(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"ext.json5": `{ a: 1 }`})
	tests := []struct {
		name  string
		files map[string]string
		setup func(t *testing.T, dir string)
		roots func(dir string) []string
		want  string
	}{
		{name: "cycle", files: map[string]string{
			"openclaw.json": `{ $include: "./a.json5" }`,
			"a.json5":       `{ $include: "./b.json5" }`,
			"b.json5":       `{ $include: "./a.json5" }`,
		}, want: "circular include detected"},
		{name: "self cycle", files: map[string]string{
			"openclaw.json": `{ x: { $include: "./openclaw.json" } }`,
		}, want: "circular include detected"},
		{name: "escape dotdot", files: map[string]string{
			"openclaw.json": `{ $include: "../x.json5" }`,
		}, want: "escapes config directory"},
		{name: "escape absolute", files: map[string]string{
			"openclaw.json": `{ $include: "/etc/passwd" }`,
		}, want: "escapes config directory"},
		{name: "escape symlink", files: map[string]string{
			"openclaw.json": `{ $include: "./link.json5" }`,
		}, setup: func(t *testing.T, dir string) {
			if err := os.Symlink(filepath.Join(outside, "ext.json5"), filepath.Join(dir, "link.json5")); err != nil {
				t.Fatal(err)
			}
		}, want: "resolves outside config directory (symlink)"},
		{name: "missing", files: map[string]string{
			"openclaw.json": `{ $include: "./nope.json5" }`,
		}, want: "no such file"},
		{name: "bad value", files: map[string]string{
			"openclaw.json": `{ $include: 5 }`,
		}, want: "expected string or array of strings, got number"},
		{name: "bad array item", files: map[string]string{
			"openclaw.json": `{ $include: ["./a.json5", true] }`, "a.json5": `{}`,
		}, want: "invalid $include array item"},
		{name: "siblings need object", files: map[string]string{
			"openclaw.json": `{ x: { $include: "./a.json5", y: 1 } }`, "a.json5": `[1]`,
		}, want: "sibling keys require"},
		{name: "include parse error", files: map[string]string{
			"openclaw.json": `{ $include: "./a.json5" }`, "a.json5": "{\n  a: @\n}",
		}, want: "a.json5:2:6: invalid character '@'"},
		{name: "include is dir", files: map[string]string{
			"openclaw.json": `{ $include: "./d" }`, "d/x": "",
		}, want: "failed security checks"},
		{name: "hardlink", files: map[string]string{
			"openclaw.json": `{ $include: "./a.json5" }`, "a.json5": `{}`,
		}, setup: func(t *testing.T, dir string) {
			if err := os.Link(filepath.Join(dir, "a.json5"), filepath.Join(dir, "hl.json5")); err != nil {
				t.Fatal(err)
			}
		}, want: "no hardlinks"},
		{name: "depth", files: depthChain(11), want: "maximum include depth (10) exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, t.TempDir(), tt.files)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			var roots []string
			if tt.roots != nil {
				roots = tt.roots(dir)
			}
			_, err := LoadConfig("", filepath.Join(dir, "openclaw.json"), nil, roots)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want ConfigError, got %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, dir) {
				t.Fatalf("error %q, want one line naming the file and containing %q", msg, tt.want)
			}
		})
	}
}

// depthChain builds openclaw.json -> i1 -> i2 ... -> iN.
func depthChain(n int) map[string]string {
	files := map[string]string{"openclaw.json": `{ $include: "./i1.json5" }`}
	for i := 1; i <= n; i++ {
		next := `{ leaf: true }`
		if i < n {
			next = `{ $include: "./i` + itoa(i+1) + `.json5" }`
		}
		files["i"+itoa(i)+".json5"] = next
	}
	return files
}

func TestLoadConfigDepthLimitExact(t *testing.T) {
	dir := writeTree(t, t.TempDir(), depthChain(10))
	c, err := LoadConfig("", filepath.Join(dir, "openclaw.json"), nil, nil)
	if err != nil {
		t.Fatalf("10 levels must load: %v", err)
	}
	if b, _ := c.Bool("leaf"); !b || len(c.Includes) != 10 {
		t.Fatalf("leaf missing, includes %d", len(c.Includes))
	}
}

func TestLoadConfigIncludeRoots(t *testing.T) {
	outside := writeTree(t, t.TempDir(), map[string]string{"shared.json5": `{ a: 1 }`})
	dir := writeTree(t, t.TempDir(), map[string]string{
		"openclaw.json": `{ x: { $include: "` + filepath.Join(outside, "shared.json5") + `" } }`,
	})
	if _, err := LoadConfig("", filepath.Join(dir, "openclaw.json"), nil, nil); err == nil {
		t.Fatal("include outside config dir accepted without roots")
	}
	c, err := LoadConfig("", filepath.Join(dir, "openclaw.json"), nil, []string{outside})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Get("x.a").AsNumber(); n != 1 {
		t.Fatal("include root not honoured")
	}
	roots := IncludeRoots(envMap(map[string]string{"OPENCLAW_INCLUDE_ROOTS": " ~/inc : /opt/x:rel:/opt/x"}), "/home/u")
	if strings.Join(roots, ",") != "/home/u/inc,/opt/x" {
		t.Fatalf("IncludeRoots = %v", roots)
	}
}

func TestLoadConfigRootfs(t *testing.T) {
	root := t.TempDir()
	// An absolute symlink inside the image must resolve inside the image,
	// and an include through it stays confined to the config dir there.
	writeTree(t, root, map[string]string{
		"home/oc/.openclaw/openclaw.json": `{ $include: "/home/oc/.openclaw/conf.d/main.json5", gateway: { bind: "lan" } }`,
		"data/conf/main.json5":            `{ gateway: { port: 1 }, logging: { file: "/var/log/openclaw/x.log" } }`,
	})
	if err := os.Symlink("/data/conf", filepath.Join(root, "home/oc/.openclaw/conf.d")); err != nil {
		t.Fatal(err)
	}
	// The symlink target is outside the config dir: OpenClaw rejects it.
	_, err := LoadConfig(root, "/home/oc/.openclaw/openclaw.json", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "symlink") || strings.Contains(err.Error(), root) {
		t.Fatalf("want symlink escape error naming deployment paths, got %v", err)
	}
	c, err := LoadConfig(root, "/home/oc/.openclaw/openclaw.json", nil, []string{"/data"})
	if err != nil {
		t.Fatal(err)
	}
	mustString(t, c, "gateway.bind", "lan")
	if c.Includes[0] != "/home/oc/.openclaw/conf.d/main.json5" || c.Get("gateway.port").Pos.File != "/home/oc/.openclaw/conf.d/main.json5" {
		t.Fatalf("paths must be deployment paths: %v %+v", c.Includes, c.Get("gateway.port").Pos)
	}
	// A symlink pointing at the auditor's /etc must not be followed out.
	if err := os.Symlink("/etc/hostname", filepath.Join(root, "home/oc/.openclaw/evil.json5")); err != nil {
		t.Fatal(err)
	}
	writeTree(t, root, map[string]string{"home/oc/.openclaw/openclaw.json": `{ $include: "./evil.json5" }`})
	_, err = LoadConfig(root, "/home/oc/.openclaw/openclaw.json", nil, []string{"/"})
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("symlink to host /etc/hostname must resolve inside rootfs (missing there): %v", err)
	}
}

func TestLoadConfigSymlinkLoop(t *testing.T) {
	for _, rootfs := range []bool{false, true} {
		root := t.TempDir()
		dir := filepath.Join(root, "s")
		writeTree(t, dir, map[string]string{"openclaw.json": `{ $include: "./loop.json5" }`})
		if err := os.Symlink("loop.json5", filepath.Join(dir, "loop.json5")); err != nil {
			t.Fatal(err)
		}
		rfs, cfg := "", filepath.Join(dir, "openclaw.json")
		if rootfs {
			rfs, cfg = root, "/s/openclaw.json"
		}
		_, err := LoadConfig(rfs, cfg, nil, nil)
		if err == nil || !strings.Contains(err.Error(), "symbolic links") || strings.ContainsAny(err.Error(), "\n") {
			t.Fatalf("rootfs=%v: want symlink loop error, got %v", rootfs, err)
		}
		// The main config itself as a loop.
		if err := os.Remove(filepath.Join(dir, "openclaw.json")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("openclaw.json", filepath.Join(dir, "openclaw.json")); err != nil {
			t.Fatal(err)
		}
		_, err = LoadConfig(rfs, cfg, nil, nil)
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "openclaw.json") {
			t.Fatalf("rootfs=%v: main config loop: %v", rootfs, err)
		}
	}
}

func TestLoadConfigLimits(t *testing.T) {
	dir := t.TempDir()
	big := `{ a: "` + strings.Repeat("x", maxIncludeBytes) + `" }`
	writeTree(t, dir, map[string]string{"openclaw.json": `{ $include: "./big.json5" }`, "big.json5": big})
	if _, err := LoadConfig("", filepath.Join(dir, "openclaw.json"), nil, nil); err == nil || !strings.Contains(err.Error(), "max 2097152 bytes") {
		t.Fatalf("oversized include: %v", err)
	}
	f, err := os.Create(filepath.Join(dir, "huge.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxConfigBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := LoadConfig("", filepath.Join(dir, "huge.json"), nil, nil); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("oversized config: %v", err)
	}
	if _, err := LoadConfig("", dir, nil, nil); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("config is a dir: %v", err)
	}
}

func TestMergeDeepBlockedKeys(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"openclaw.json": `{ $include: "./a.json5", "__proto__": { polluted: true }, b: 2 }`,
		"a.json5":       `{ a: 1, constructor: 1 }`,
	})
	c, err := LoadConfig("", filepath.Join(dir, "openclaw.json"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Get("__proto__") != nil || c.Get("constructor") != nil || c.Get("a") == nil || c.Get("b") == nil {
		t.Fatalf("keys %v", c.Root.Keys())
	}
}

// Every value in a loaded config must point into a file that was read.
func checkFiles(t *testing.T, c *Config) {
	files := map[string]bool{c.Path: true}
	for _, f := range c.Includes {
		files[f] = true
	}
	var walk func(v *json5.Value)
	walk = func(v *json5.Value) {
		if !files[v.Pos.File] {
			t.Fatalf("value at %+v from unknown file", v.Pos)
		}
		for _, m := range v.Members {
			walk(m.Value)
		}
		for _, e := range v.Elems {
			walk(e)
		}
	}
	walk(c.Root)
}

// A FIFO where the config belongs must not hang the loader.
func TestLoadConfigFIFO(t *testing.T) {
	for _, rootfs := range []bool{false, true} {
		dir := t.TempDir()
		must(t, syscall.Mkfifo(filepath.Join(dir, "openclaw.json"), 0o600))
		rfs, cfg := "", filepath.Join(dir, "openclaw.json")
		if rootfs {
			rfs, cfg = dir, "/openclaw.json"
		}
		done := make(chan error, 1)
		go func() { _, err := LoadConfig(rfs, cfg, nil, nil); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Fatalf("rootfs=%v: %v", rootfs, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("rootfs=%v: loader blocked on a FIFO", rootfs)
		}
	}
}
