package openclaw

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/finding"
)

// Fixture secrets: each must be covered by KnownSecrets.
var fixtureSecrets = map[string]string{
	"gateway.auth.token":              "gw-token-0f1e2d3c4b5a6978",
	"hooks.token":                     "hook-token-1234567890abcdef",
	"telegram botToken":               "123456:AAH-telegram-bot-token-xyz",
	"slack appToken":                  "xapp-1-slack-app-token-abc",
	"slack signingSecret":             "slack-signing-secret-0987",
	"openai apiKey via ${VAR}":        "sk-proj-openai-from-service-env",
	"weather SecretRef env":           "weather-secretref-value-42",
	"env.vars token":                  "custom-secret-token-value-77",
	"dotenv gateway password":         "dotenv-gateway-password-55",
	"service OPENCLAW_GATEWAY_TOKEN":  "service-env-gateway-token-66",
	"exec approvals socket token":     "sock-token-abcdef123456",
	"included channel token":          "discord-token-from-include-88",
	"mcp header authorization":        "Bearer mcp-header-secret-99",
	"provider key in list":            "list-api-key-value-31",
	"password in secrets subtree key": "s3cr3t-provider-password-12",
}

func gatherFixture(t testing.TB) (root string, opts Options) {
	t.Helper()
	root = t.TempDir()
	s := fixtureSecrets
	buildTree(t, root, tree{
		"home/oc/.openclaw/openclaw.json": `// risky deployment
{
  gateway: { bind: "lan", auth: { mode: "token", token: "` + s["gateway.auth.token"] + `" } },
  hooks: { enabled: true, token: "` + s["hooks.token"] + `" },
  channels: {
    $include: "./channels.json5",
    telegram: { botToken: "` + s["telegram botToken"] + `" },
    slack: { appToken: "` + s["slack appToken"] + `", signingSecret: "` + s["slack signingSecret"] + `", mode: "socket" },
  },
  models: { providers: { openai: { apiKey: "${OPENAI_API_KEY}", baseUrl: "https://api.openai.example/v1" },
                         other: { keys: ["` + s["provider key in list"] + `"] } } },
  skills: { entries: { weather: { apiKey: { source: "env", provider: "default", id: "WEATHER_KEY" } } } },
  env: { vars: { CUSTOM_SECRET_TOKEN: "` + s["env.vars token"] + `", PLAIN_SETTING: "not-a-secret-value" } },
  mcp: { servers: { x: { headers: { Authorization: "` + s["mcp header authorization"] + `" } } } },
  secrets: { providers: { vault: { source: "file", path: "~/.openclaw/secrets.json", password: "` + s["password in secrets subtree key"] + `" } } },
  logging: { file: "/var/log/openclaw/openclaw.log" },
  agents: { defaults: { workspace: "~/.openclaw/workspace" } },
}`,
		"home/oc/.openclaw/channels.json5":                           `{ discord: { token: "` + s["included channel token"] + `" } }`,
		"home/oc/.openclaw/.env":                                     "OPENCLAW_GATEWAY_PASSWORD=" + s["dotenv gateway password"] + "\n",
		"home/oc/.openclaw/credentials/whatsapp/default/creds.json":  `{}`,
		"home/oc/.openclaw/credentials/telegram-allowFrom.json":      `[]`,
		"home/oc/.openclaw/agents/main/agent/openclaw-agent.sqlite":  "",
		"home/oc/.openclaw/agents/main/sessions/sessions.json":       `{}`,
		"home/oc/.openclaw/workspace/skills/weather/SKILL.md":        skillMD("weather"),
		"home/oc/.openclaw/extensions/voice/package.json":            `{"name":"@openclaw/voice","version":"1.0.0"}`,
		"var/log/openclaw/openclaw.log":                              "{}\n",
		"usr/local/bin/openclaw":                                     "->/usr/local/lib/node_modules/openclaw/openclaw.mjs",
		"usr/local/lib/node_modules/openclaw/openclaw.mjs":           "",
		"usr/local/lib/node_modules/openclaw/package.json":           pkg("openclaw", "2026.9.6", `{"openclaw":"openclaw.mjs"}`),
		"usr/local/lib/node_modules/openclaw/skills/github/SKILL.md": skillMD("bundled-github"),
	})
	must(t, os.Chmod(filepath.Join(root, "home/oc/.openclaw/openclaw.json"), 0o644))
	createStateDB(t, filepath.Join(root, "home/oc/.openclaw"), fixtureRows...)
	opts = Options{
		Rootfs:            root,
		Getenv:            envMap(map[string]string{"HOME": "/root", "PATH": "/usr/bin"}),
		HomeDir:           "/home/oc",
		ServiceEnv:        map[string]string{"OPENCLAW_GATEWAY_TOKEN": s["service OPENCLAW_GATEWAY_TOKEN"], "OPENAI_API_KEY": s["openai apiKey via ${VAR}"], "WEATHER_KEY": s["weather SecretRef env"], "PATH": "/usr/local/bin:/usr/bin"},
		ServiceEnvSources: map[string]string{"OPENCLAW_GATEWAY_TOKEN": "unit:/etc/systemd/system/openclaw-gateway.service"},
		Now:               func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) },
	}
	return root, opts
}

func TestGatherFixture(t *testing.T) {
	root, opts := gatherFixture(t)
	inv, err := Gather(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Paths.StateDir != "/home/oc/.openclaw" || inv.Paths.ConfigPath != "/home/oc/.openclaw/openclaw.json" || !inv.Paths.ConfigExists ||
		inv.Paths.Workspace != "/home/oc/.openclaw/workspace" || inv.Paths.How["home"] != "service user home" {
		t.Fatalf("paths %+v", inv.Paths)
	}
	if b, _ := inv.Config.String("gateway.bind"); b != "lan" {
		t.Fatalf("config not loaded")
	}
	if v := inv.Config.Get("channels.discord.token"); v == nil || v.Pos.File != "/home/oc/.openclaw/channels.json5" {
		t.Fatalf("include not merged with its position: %+v", v)
	}
	if inv.EnvSources["OPENCLAW_GATEWAY_TOKEN"] != "unit:/etc/systemd/system/openclaw-gateway.service" ||
		inv.EnvSources["OPENCLAW_GATEWAY_PASSWORD"] != "dotenv:/home/oc/.openclaw/.env" ||
		!strings.HasPrefix(inv.EnvSources["CUSTOM_SECRET_TOKEN"], "config:") || inv.EnvSources["OPENAI_API_KEY"] != "service" {
		t.Fatalf("env sources %v", inv.EnvSources)
	}
	if inv.State == nil || inv.State.AppVersion != "2026.9.6" || len(inv.State.Secrets) != 3 {
		t.Fatalf("state %+v", inv.State)
	}
	if len(inv.Installs) != 1 || !inv.Installs[0].OnPath || inv.Installs[0].Version != "2026.9.6" {
		t.Fatalf("installs %+v", inv.Installs)
	}
	if len(inv.Skills) != 1 || inv.Skills[0].Name != "weather" {
		t.Fatalf("skills (bundled must not count) %+v", inv.Skills)
	}
	if len(inv.Plugins) != 1 || inv.Plugins[0].ID != "voice" {
		t.Fatalf("plugins %+v", inv.Plugins)
	}
	wantRoles := map[string]string{
		"/home/oc/.openclaw":                                         "state-dir",
		"/home/oc/.openclaw/openclaw.json":                           "config",
		"/home/oc/.openclaw/channels.json5":                          "include",
		"/home/oc/.openclaw/credentials":                             "credentials-dir",
		"/home/oc/.openclaw/credentials/whatsapp/default/creds.json": "credential",
		"/home/oc/.openclaw/credentials/telegram-allowFrom.json":     "credential",
		"/home/oc/.openclaw/agents/main":                             "agent-dir",
		"/home/oc/.openclaw/agents/main/agent":                       "agent-dir",
		"/home/oc/.openclaw/agents/main/agent/openclaw-agent.sqlite": "sqlite",
		"/home/oc/.openclaw/agents/main/sessions/sessions.json":      "sessions",
		"/home/oc/.openclaw/state/openclaw.sqlite":                   "sqlite",
		"/home/oc/.openclaw/state/openclaw.sqlite-wal":               "sqlite",
		"/home/oc/.openclaw/workspace":                               "workspace",
		"/home/oc/.openclaw/.env":                                    "env-file",
		"/var/log/openclaw/openclaw.log":                             "log",
		"/var/log/openclaw":                                          "log-dir",
	}
	for p, role := range wantRoles {
		fi, ok := inv.Files[p]
		if !ok || fi.Role != role || !fi.Exists {
			t.Errorf("file %s: %+v (want role %s)", p, fi, role)
		}
	}
	if fi := inv.Files["/home/oc/.openclaw/openclaw.json"]; fi.Mode.Perm() != 0o644 || fi.UID != os.Getuid() {
		t.Errorf("config mode/owner %+v", fi)
	}
	if len(inv.LogFiles) != 1 || inv.LogFiles[0].Path != "/var/log/openclaw/openclaw.log" {
		t.Errorf("log files %+v", inv.LogFiles)
	}
	for _, p := range inv.Problems {
		t.Errorf("problem: %v", p.Err)
	}
	// Nothing in the inventory names the rootfs mount.
	if dump := fmt.Sprintf("%+v", inv.Paths) + fmt.Sprint(inv.Files); strings.Contains(dump, root) {
		t.Errorf("host path leaked into deployment paths")
	}
}

// TestKnownSecretsCoverFixture: every secret the fixture holds is known,
// and scrubbing a full dump of the inventory leaves none of them.
func TestKnownSecretsCoverFixture(t *testing.T) {
	_, opts := gatherFixture(t)
	inv, err := Gather(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	known := KnownSecrets(inv)
	set := map[string]bool{}
	for _, k := range known {
		set[k] = true
	}
	for what, v := range fixtureSecrets {
		if !set[v] {
			t.Errorf("KnownSecrets misses %s", what)
		}
	}
	for _, notSecret := range []string{"not-a-secret-value", "file", "socket", "token", "https://api.openai.example/v1", "lan"} {
		if set[notSecret] {
			t.Errorf("%q wrongly treated as a secret", notSecret)
		}
	}
	dump := fmt.Sprintf("%#v %#v %#v %#v", inv.Config.Root, inv.Env, inv.State, inv.Paths)
	scrubbed := finding.RedactAll(dump, known)
	for what, v := range fixtureSecrets {
		if strings.Contains(scrubbed, v) {
			t.Errorf("%s survives scrubbing", what)
		}
	}
	if strings.Contains(dump, fixtureSecret) || strings.Contains(dump, fixtureAuthKey) {
		t.Error("a secret store or auth profile value is held in the inventory")
	}
	if KnownSecrets(nil) != nil || len(KnownSecrets(&Inventory{})) != 0 {
		t.Error("empty inventory")
	}
}

func TestGatherNoDeployment(t *testing.T) {
	inv, err := Gather(context.Background(), Options{Rootfs: t.TempDir(), Getenv: envMap(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Config != nil || inv.State != nil || inv.Paths.StateDirExists || inv.Paths.StateDir != "/root/.openclaw" || len(inv.Installs) != 0 || len(inv.Skills) != 0 {
		t.Fatalf("%+v", inv)
	}
	if fi := inv.Files["/root/.openclaw"]; fi.Exists || fi.Role != "state-dir" {
		t.Fatalf("absent state dir must be recorded as absent: %+v", fi)
	}
}

func TestGatherConfigErrors(t *testing.T) {
	cases := []struct {
		name  string
		files tree
		want  string
	}{
		{"malformed", tree{"root/.openclaw/openclaw.json": "{\n  gateway: { bind: 'lan' \n"}, "config /root/.openclaw/openclaw.json:2:"},
		{"include cycle", tree{"root/.openclaw/openclaw.json": `{ $include: "./a.json5" }`, "root/.openclaw/a.json5": `{ $include: "./openclaw.json" }`}, "circular include"},
		{"include escape", tree{"root/.openclaw/openclaw.json": `{ $include: "/etc/shadow" }`}, "escapes config directory"},
		{"config is a directory", tree{"root/.openclaw/openclaw.json/": ""}, "is a directory"},
		{"symlink loop", tree{"root/.openclaw/openclaw.json": "->openclaw.json"}, "symbolic links"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			buildTree(t, root, tt.files)
			_, err := Gather(context.Background(), Options{Rootfs: root, Getenv: envMap(nil)})
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want ConfigError, got %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "/root/.openclaw/") || strings.Contains(msg, root) || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error %q: want one line naming the deployment file and %q", msg, tt.want)
			}
		})
	}
}

// TestGatherUnreadable simulates unreadable files. Tests run as root,
// which bypasses permission bits, so "unreadable" is a directory where a
// file is expected, or a file where a directory is expected.
func TestGatherUnreadable(t *testing.T) {
	root := t.TempDir()
	buildTree(t, root, tree{
		"root/.openclaw/openclaw.json":        `{}`,
		"root/.openclaw/.env/":                "",
		"root/.openclaw/credentials":          "not a dir",
		"root/.openclaw/exec-approvals.json/": "",
		"root/.openclaw/cron/jobs.json":       "{not json",
		"root/.openclaw/extensions":           "file",
	})
	inv, err := Gather(context.Background(), Options{Rootfs: root, Getenv: envMap(nil)})
	if err != nil {
		t.Fatal(err)
	}
	joined := ""
	for _, p := range inv.Problems {
		msg := p.Err.Error()
		if strings.ContainsAny(msg, "\n") || strings.Contains(msg, root) {
			t.Errorf("bad problem message %q", msg)
		}
		joined += msg + "|"
	}
	for _, want := range []string{"/root/.openclaw/.env", "/root/.openclaw/exec-approvals.json", "/root/.openclaw/cron/jobs.json", "/root/.openclaw/extensions"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no problem naming %s in %s", want, joined)
		}
	}
	if fi := inv.Files["/root/.openclaw/credentials"]; !fi.Exists || fi.IsDir {
		t.Errorf("credentials file recorded as %+v", fi)
	}
}

// TestGatherHugeStateDir: 100k files in a state dir must not make the
// inventory walk them all.
func TestGatherHugeStateDir(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 100k files")
	}
	root := t.TempDir()
	state := filepath.Join(root, "root/.openclaw")
	buildTree(t, root, tree{"root/.openclaw/openclaw.json": `{}`})
	mk := func(dir string, n int, isDir bool) {
		must(t, os.MkdirAll(dir, 0o700))
		for i := 0; i < n; i++ {
			p := filepath.Join(dir, "f"+strconv.Itoa(i)+".json")
			if isDir {
				must(t, os.Mkdir(p, 0o700))
				continue
			}
			must(t, os.WriteFile(p, nil, 0o600))
		}
	}
	mk(filepath.Join(state, "agents/main/sessions"), 50000, false)
	mk(filepath.Join(state, "credentials"), 20000, false)
	mk(filepath.Join(state, "agents"), 10000, true)
	mk(filepath.Join(state, "workspace/skills"), 10000, true)
	mk(filepath.Join(state, "extensions"), 10000, true)
	start := time.Now()
	inv, err := Gather(context.Background(), Options{Rootfs: root, Getenv: envMap(nil)})
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("gather over 100k files: %v, %d file facts, %d problems", d, len(inv.Files), len(inv.Problems))
	if d > 30*time.Second {
		t.Fatalf("too slow: %v", d)
	}
	if len(inv.Files) > 10000 {
		t.Fatalf("walked too much: %d file facts", len(inv.Files))
	}
	capped := 0
	for _, p := range inv.Problems {
		if strings.Contains(p.Err.Error(), "more than") || strings.Contains(p.Err.Error(), "stopped after") {
			capped++
		}
	}
	if capped < 3 {
		t.Fatalf("caps must be recorded as problems: %v", inv.Problems)
	}
}

func BenchmarkGather(b *testing.B) {
	_, opts := gatherFixture(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Gather(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDefaultLogFiles(t *testing.T) {
	root := t.TempDir()
	buildTree(t, root, tree{
		"tmp/openclaw/openclaw-2026-11-25.log":        "{}\n",
		"tmp/openclaw/openclaw-2026-11-24.log":        "{}\n",
		"tmp/openclaw/other.txt":                      "",
		"tmp/openclaw-1000/openclaw-2026-11-25.log":   "{}\n",
		"tmp/openclaw-work-x/openclaw-2026-11-25.log": "{}\n",
	})
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	files, logs, probs := FileFacts(root, Paths{StateDir: "/root/.openclaw", Home: "/root"}, nil, "", now)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	var got []string
	for _, l := range logs {
		got = append(got, l.Path)
	}
	want := "/tmp/openclaw-1000/openclaw-2026-11-25.log,/tmp/openclaw/openclaw-2026-11-24.log,/tmp/openclaw/openclaw-2026-11-25.log"
	if strings.Join(got, ",") != want {
		t.Fatalf("logs %v", got)
	}
	if files["/tmp/openclaw"].Role != "log-dir" || !files["/tmp/openclaw"].IsDir {
		t.Fatalf("log dir %+v", files["/tmp/openclaw"])
	}
	// A profile's dated file carries the profile name.
	_, logs, _ = FileFacts(root, Paths{StateDir: "/root/.openclaw", Home: "/root"}, nil, "work", now)
	if _, ok := files["/tmp/openclaw/openclaw-work-2026-11-25.log"]; ok || len(logs) != 3 {
		t.Fatalf("profile logs %+v", logs)
	}
}
