package openclaw

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func resolveFor(t *testing.T, opts Options) (Paths, *envState) {
	t.Helper()
	env := newEnvState(opts)
	r := &pathResolver{rfs: newRootFS(opts.Rootfs), env: env, opts: opts, how: map[string]string{}}
	p := r.resolve()
	var probs []Problem
	r.loadDotEnv(&p, &probs)
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	return p, env
}

func TestResolvePathsRootfs(t *testing.T) {
	tests := []struct {
		name       string
		files      []string // created under the rootfs ("dir/" = directory)
		env        map[string]string
		opts       Options
		wantState  string
		wantConfig string
		wantCreds  string
		wantHow    string // substring of How["state"]
		legacy     bool
	}{
		{name: "default exists", files: []string{"home/u/.openclaw/openclaw.json"}, env: map[string]string{"HOME": "/home/u"},
			wantState: "/home/u/.openclaw", wantConfig: "/home/u/.openclaw/openclaw.json", wantCreds: "/home/u/.openclaw/credentials", wantHow: "default"},
		{name: "nothing exists", env: map[string]string{"HOME": "/home/u"},
			wantState: "/home/u/.openclaw", wantConfig: "/home/u/.openclaw/openclaw.json", wantHow: "absent"},
		{name: "legacy clawdbot", files: []string{"home/u/.clawdbot/clawdbot.json"}, env: map[string]string{"HOME": "/home/u"},
			wantState: "/home/u/.clawdbot", wantConfig: "/home/u/.clawdbot/clawdbot.json", wantHow: "legacy ~/.clawdbot", legacy: true},
		{name: "legacy moltbot", files: []string{"home/u/.moltbot/moltbot.json"}, env: map[string]string{"HOME": "/home/u"},
			wantState: "/home/u/.moltbot", wantConfig: "/home/u/.moltbot/moltbot.json", wantHow: "legacy ~/.moltbot", legacy: true},
		{name: "new dir wins over legacy", files: []string{"home/u/.openclaw/", "home/u/.clawdbot/clawdbot.json"}, env: map[string]string{"HOME": "/home/u"},
			wantState: "/home/u/.openclaw", wantConfig: "/home/u/.clawdbot/clawdbot.json", legacy: true},
		{name: "clawdbot.json in new dir", files: []string{"home/u/.openclaw/clawdbot.json"}, env: map[string]string{"HOME": "/home/u"},
			wantState: "/home/u/.openclaw", wantConfig: "/home/u/.openclaw/clawdbot.json", legacy: true},
		{name: "state dir env tilde", files: []string{"home/u/.openclaw/openclaw.json"}, env: map[string]string{"HOME": "/home/u", "OPENCLAW_STATE_DIR": " ~/oc "},
			wantState: "/home/u/oc", wantConfig: "/home/u/oc/openclaw.json", wantHow: "OPENCLAW_STATE_DIR"},
		{name: "config path env", env: map[string]string{"HOME": "/home/u", "OPENCLAW_CONFIG_PATH": "~/etc/oc.json5"},
			wantState: "/home/u/.openclaw", wantConfig: "/home/u/etc/oc.json5"},
		{name: "openclaw home", files: []string{"srv/oc/.openclaw/"}, env: map[string]string{"HOME": "/home/u", "OPENCLAW_HOME": "/srv/oc"},
			wantState: "/srv/oc/.openclaw", wantConfig: "/srv/oc/.openclaw/openclaw.json"},
		{name: "openclaw home tilde", env: map[string]string{"HOME": "/home/u", "OPENCLAW_HOME": "~/sub"},
			wantState: "/home/u/sub/.openclaw"},
		{name: "blank and null count as unset", env: map[string]string{"HOME": "null", "OPENCLAW_HOME": "  "},
			wantState: "/root/.openclaw", wantHow: "default"},
		{name: "profile flag", env: map[string]string{"HOME": "/home/u"}, opts: Options{Profile: "work"},
			wantState: "/home/u/.openclaw-work", wantConfig: "/home/u/.openclaw-work/openclaw.json", wantHow: "profile work"},
		{name: "dev profile", env: map[string]string{"HOME": "/home/u"}, opts: Options{Profile: "dev"},
			wantState: "/home/u/.openclaw-dev"},
		{name: "profile env alone does not move state", env: map[string]string{"HOME": "/home/u", "OPENCLAW_PROFILE": "work"},
			wantState: "/home/u/.openclaw"},
		{name: "profile keeps explicit config", env: map[string]string{"HOME": "/home/u", "OPENCLAW_CONFIG_PATH": "/etc/oc.json"}, opts: Options{Profile: "work"},
			wantState: "/home/u/.openclaw-work", wantConfig: "/etc/oc.json"},
		{name: "flags win", env: map[string]string{"HOME": "/home/u", "OPENCLAW_STATE_DIR": "/a", "OPENCLAW_CONFIG_PATH": "/a/x.json"}, opts: Options{StateDir: "/b"},
			wantState: "/b", wantConfig: "/b/openclaw.json", wantHow: "--state-dir"},
		{name: "config flag", env: map[string]string{"HOME": "/home/u"}, opts: Options{ConfigPath: "/c/oc.json"},
			wantConfig: "/c/oc.json", wantState: "/home/u/.openclaw"},
		{name: "oauth dir", env: map[string]string{"HOME": "/home/u", "OPENCLAW_OAUTH_DIR": "~/creds"},
			wantCreds: "/home/u/creds"},
		{name: "home option under rootfs", opts: Options{HomeDir: "/home/svc"}, env: map[string]string{"HOME": "/root"},
			wantState: "/home/svc/.openclaw"},
		{name: "service env HOME beats home option", opts: Options{HomeDir: "/home/svc", ServiceEnv: map[string]string{"HOME": "/var/lib/oc"}},
			wantState: "/var/lib/oc/.openclaw"},
		{name: "no home under rootfs", wantState: "/root/.openclaw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range tt.files {
				p := filepath.Join(root, f)
				if strings.HasSuffix(f, "/") {
					must(t, os.MkdirAll(p, 0o700))
					continue
				}
				must(t, os.MkdirAll(filepath.Dir(p), 0o700))
				must(t, os.WriteFile(p, []byte("{}"), 0o600))
			}
			opts := tt.opts
			opts.Rootfs = root
			opts.Getenv = envMap(tt.env)
			p, _ := resolveFor(t, opts)
			if tt.wantState != "" && p.StateDir != tt.wantState {
				t.Errorf("state %s want %s (how %v)", p.StateDir, tt.wantState, p.How)
			}
			if tt.wantConfig != "" && p.ConfigPath != tt.wantConfig {
				t.Errorf("config %s want %s (how %v)", p.ConfigPath, tt.wantConfig, p.How)
			}
			if tt.wantCreds != "" && p.CredentialsDir != tt.wantCreds {
				t.Errorf("creds %s want %s", p.CredentialsDir, tt.wantCreds)
			}
			if tt.wantHow != "" && !strings.Contains(p.How["state"], tt.wantHow) {
				t.Errorf("how %q want %q", p.How["state"], tt.wantHow)
			}
			if p.Legacy != tt.legacy {
				t.Errorf("legacy %v want %v", p.Legacy, tt.legacy)
			}
			if p.StateDirExists != dirExists(filepath.Join(root, p.StateDir)) || p.ConfigExists != fileExists(filepath.Join(root, p.ConfigPath)) {
				t.Errorf("exists flags wrong: %+v", p)
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestDotEnv(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"home/u/.openclaw/.env": "# c\nexport OPENCLAW_GATEWAY_TOKEN=from-dotenv\nOPENCLAW_LOG_LEVEL=debug # inline\n" +
			"QUOTED=\"a\\nb\"\nSINGLE='x y'\nMULTI=\"l1\nl2\"\nNODE_OPTIONS=--require=/x.js\nALREADY=dotenv\nbad-key=1\n",
		"home/u/.config/openclaw/gateway.env": "OPENCLAW_LOG_LEVEL=trace\nGW_ONLY=1\n",
	})
	opts := Options{Rootfs: root, Getenv: envMap(map[string]string{"HOME": "/home/u", "ALREADY": "process"})}
	p, env := resolveFor(t, opts)
	want := map[string]string{
		"OPENCLAW_GATEWAY_TOKEN": "from-dotenv", "OPENCLAW_LOG_LEVEL": "debug", "QUOTED": "a\nb", "SINGLE": "x y",
		"MULTI": "l1\nl2", "ALREADY": "process", "GW_ONLY": "1", "NODE_OPTIONS": "--require=/x.js",
	}
	for k, v := range want {
		if got := env.get(k); got != v {
			t.Errorf("%s = %q want %q", k, got, v)
		}
	}
	if env.src["OPENCLAW_GATEWAY_TOKEN"] != "dotenv:/home/u/.openclaw/.env" || env.src["GW_ONLY"] != "dotenv:/home/u/.config/openclaw/gateway.env" {
		t.Errorf("sources %v", env.src)
	}
	if len(p.DotEnvFiles) != 2 {
		t.Errorf("dotenv files %v", p.DotEnvFiles)
	}
}

func TestWorkspaces(t *testing.T) {
	cases := []struct {
		name string
		cfg  string
		env  map[string]string
		opts Options
		want map[string]string
	}{
		{"default", `{}`, nil, Options{}, map[string]string{"main": "/home/u/.openclaw/workspace"}},
		{"env workspace", `{}`, map[string]string{"OPENCLAW_WORKSPACE_DIR": "/ws"}, Options{}, map[string]string{"main": "/ws"}},
		{"state env", `{}`, map[string]string{"OPENCLAW_STATE_DIR": "/st"}, Options{}, map[string]string{"main": "/st/workspace"}},
		{"defaults.workspace", `{agents:{defaults:{workspace:"~/w"}, list:[{id:"main"},{id:"ops", workspace:"/ops"},{id:"x"}]}}`,
			map[string]string{"OPENCLAW_WORKSPACE_DIR": "/ws"}, Options{},
			map[string]string{"main": "/home/u/w", "ops": "/ops", "x": "/home/u/w/x"}},
		{"entries shape and default flag", `{agents:{entries:{a:{default:true}, b:{}}}}`, nil, Options{},
			map[string]string{"a": "/home/u/.openclaw/workspace", "b": "/home/u/.openclaw/workspace-b"}},
		{"profile", `{}`, nil, Options{Profile: "work"}, map[string]string{"main": "/home/u/.openclaw-work/workspace"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"HOME": "/home/u"}
			for k, v := range tt.env {
				env[k] = v
			}
			opts := tt.opts
			opts.Rootfs = t.TempDir()
			opts.Getenv = envMap(env)
			es := newEnvState(opts)
			r := &pathResolver{rfs: newRootFS(opts.Rootfs), env: es, opts: opts, how: map[string]string{}}
			p := r.resolve()
			cfg, err := ParseConfig("/c.json", []byte(tt.cfg), nil)
			must(t, err)
			r.resolveWorkspaces(&p, cfg)
			for id, w := range tt.want {
				if p.AgentWorkspaces[id] != w {
					t.Errorf("%s: %s want %s (all %v)", id, p.AgentWorkspaces[id], w, p.AgentWorkspaces)
				}
			}
			if len(p.AgentWorkspaces) != len(tt.want) {
				t.Errorf("workspaces %v", p.AgentWorkspaces)
			}
		})
	}
}

// TestConfigPathMatchesOpenClaw asks the real OpenClaw (`openclaw config
// file`) where its config is for several layouts and compares.
func TestConfigPathMatchesOpenClaw(t *testing.T) {
	bin := openclawBin(t)
	cases := []struct {
		name    string
		files   []string
		env     map[string]string
		profile string
	}{
		{name: "empty home"},
		{name: "default", files: []string{".openclaw/openclaw.json"}},
		{name: "legacy dir", files: []string{".clawdbot/clawdbot.json"}},
		{name: "legacy name in new dir", files: []string{".openclaw/clawdbot.json"}},
		{name: "state env", files: []string{"st/clawdbot.json"}, env: map[string]string{"OPENCLAW_STATE_DIR": "@/st"}},
		{name: "openclaw home", files: []string{"oh/.openclaw/openclaw.json"}, env: map[string]string{"OPENCLAW_HOME": "@/oh"}},
		{name: "profile", profile: "work"},
		{name: "profile env only", env: map[string]string{"OPENCLAW_PROFILE": "work"}},
	}
	if testing.Short() {
		cases = cases[:2]
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			for _, f := range tt.files {
				writeTree(t, home, map[string]string{f: "{}"})
			}
			env := map[string]string{"HOME": home}
			for k, v := range tt.env {
				env[k] = strings.ReplaceAll(v, "@", home)
			}
			args := []string{"config", "file"}
			if tt.profile != "" {
				args = append([]string{"--profile", tt.profile}, args...)
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1"}
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("openclaw config file: %v", err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			want := strings.TrimSpace(lines[len(lines)-1])
			// Resolve after OpenClaw ran: it creates state/openclaw.sqlite
			// (and so the state dir) on first use.
			p, _ := resolveFor(t, Options{Getenv: envMap(env), Profile: tt.profile})
			if p.ConfigPath != want {
				t.Fatalf("config path %s, OpenClaw says %s (how %v)", p.ConfigPath, want, p.How)
			}
		})
	}
}

// openclawBin finds the pinned OpenClaw wrapper installed by
// scripts/install-openclaw.sh, skipping when it is absent.
func openclawBin(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("CLAWGOV_OPENCLAW_BIN"); b != "" {
		return b
	}
	home, _ := os.UserHomeDir()
	b := filepath.Join(home, ".cache/clawgov/bin/openclaw-2026.9.6")
	if _, err := os.Stat(b); err != nil {
		t.Skipf("real OpenClaw not installed (%s); run scripts/install-openclaw.sh", b)
	}
	return b
}
