package posture

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
)

func init() {
	// Shared with other packages' golden tests; register once.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func lpUpdateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// lpRiskySnap is a deployment that trips most checks of this area.
func lpRiskySnap(t *testing.T) *Snapshot {
	t.Helper()
	s := lpSnap(t, `{
  // a risky deployment
  tools: {
    exec: { security: "full", ask: "off", safeBins: ["python3", "jq"], safeBinTrustedDirs: ["/tmp/bin"], applyPatch: { workspaceOnly: false } },
    fs: { workspaceOnly: false },
    elevated: { allowFrom: { telegram: ["*"] } },
  },
  channels: { telegram: { dmPolicy: "open", groupPolicy: "open", allowFrom: ["*"] } },
  agents: {
    defaults: { sandbox: { mode: "off", docker: { network: "host", binds: ["/var/run/docker.sock:/var/run/docker.sock"], apparmorProfile: "unconfined", dangerouslyAllowContainerNamespaceJoin: true } } },
    list: [{ id: "ops", tools: { exec: { host: "sandbox" } } }, { id: "dev" }],
  },
  browser: { noSandbox: true, ssrfPolicy: { dangerouslyAllowPrivateNetwork: true }, profiles: { remote: { cdpUrl: "http://10.0.0.5:9222" }, me: { driver: "extension" } }, extraArgs: ["--remote-debugging-address=0.0.0.0"], allowSystemProfileImport: true },
  logging: { level: "error", file: "/tmp/oc/openclaw.log", audit: { enabled: false }, redactSensitive: "off" },
  diagnostics: { otel: { captureContent: true } },
}`)
	s.OC.Env["OPENCLAW_RAW_STREAM"] = "1"
	s.OC.EnvSources["OPENCLAW_RAW_STREAM"] = "unit:/etc/systemd/system/openclaw-gateway.service"
	st := lpTestState
	for _, f := range []openclaw.FileInfo{
		lpFile(st, "state-dir", fs.ModeDir|0o755, 0),
		lpFile(lpTestConfig, "config", 0o644, 0),
		lpFile(st+"/credentials", "credentials-dir", fs.ModeDir|0o777, 0),
		lpFile(st+"/agents/main", "agent-dir", fs.ModeDir|0o755, 0),
		lpFile(st+"/agents/main/sessions", "sessions-dir", fs.ModeDir|0o755, 0),
		lpFile(st+"/state/openclaw.sqlite", "sqlite", 0o644, 0),
		lpFile(st+"/workspace", "workspace", fs.ModeDir|0o755, 0),
	} {
		s.OC.Files[f.Path] = f
	}
	old := lpFile("/tmp/oc/openclaw.log", "log", 0o644, 0)
	old.ModTime = lpTestNow.Add(-72 * time.Hour)
	s.OC.LogFiles = []openclaw.FileInfo{old}
	s.OC.State = &openclaw.State{Path: st + "/state/openclaw.sqlite",
		ExecApprovals: &openclaw.ExecApprovals{Source: "sqlite", AutoAllowSkills: true, AskFallback: "full",
			Agents: map[string]openclaw.AgentApprovals{"dev": {Allowlist: []string{"node *"}}}},
		CronJobs: []openclaw.CronJob{{ID: "dream", Name: "Memory Dreaming Promotion", Enabled: true, ToolsAllow: []string{"*"}, PayloadKind: "agentTurn", Schedule: "0 3 * * *"}}}
	s.Host.Units = []host.Unit{{Path: "/etc/systemd/system/openclaw-gateway.service", Kind: "systemd-system", Name: "openclaw-gateway.service", ExecStart: "/usr/bin/openclaw gateway run", RunAs: "root"}}
	s.Host.Processes[0].UID, s.Host.Processes[0].EUID, s.Host.Processes[0].User = 0, 0, "root"
	s.Host.Sudoers = []host.SudoRule{{File: "/etc/sudoers.d/alice", Line: 2, Who: "alice", Rule: "alice ALL=(ALL) NOPASSWD: ALL", NoPasswd: true, All: true, NoPasswdAll: true}}
	yes := true
	s.Host.Container = host.Container{InContainer: true, Privileged: &yes, DockerSocket: true, DockerSocketPath: "/var/run/docker.sock", Markers: []string{"/.dockerenv"}}
	return s
}

// TestAreaGolden renders every finding of this area for the risky
// deployment in both languages, with evidence, and compares with
// testdata/golden/privilege-area.txt (go test -run TestAreaGolden -update).
func TestAreaGolden(t *testing.T) {
	withPolicies(t)
	withEgressFiles(t, nil)
	cat := lpCatalog(t)
	s := lpRiskySnap(t)
	var lines []string
	for _, id := range lpAreaIDs() {
		fs := registry[id](s)
		sort.SliceStable(fs, func(i, j int) bool { return fs[i].MessageKey+fs[i].MatchKey < fs[j].MessageKey+fs[j].MatchKey })
		for _, f := range fs {
			lpValidate(t, cat, id, f)
			meta := cat[id]
			en, zh := f.Message, f.Message
			if f.MessageKey != "" {
				en = catalog.Render(meta.Messages[f.MessageKey].EN, f.Params)
				zh = catalog.Render(meta.Messages[f.MessageKey].ZH, f.Params)
			}
			lines = append(lines, fmt.Sprintf("%s %s %s %s", id, f.Status, f.Severity, f.MessageKey), "  en: "+en, "  zh: "+zh)
			for _, e := range f.Evidence {
				lines = append(lines, fmt.Sprintf("  evidence: %s %s %s:%d %q %s", e.Kind, e.File, e.KeyPath, e.Line, e.Value, e.Detail))
			}
		}
	}
	got := strings.Join(lines, "\n") + "\n"
	golden := filepath.Join("testdata", "golden", "privilege-area.txt")
	if lpUpdateGolden() {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("findings differ from %s (run with -update after checking the change):\n%s", golden, lpDiff(string(want), got))
	}
}

// lpDiff shows the first differing lines.
func lpDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d\n- %s\n+ %s", i+1, x, y)
		}
	}
	return ""
}

// A deployment hardened the way the remediations say raises nothing in
// this area except the manual documents check: the checks do not fire on
// good practice.
func TestHardenedDeploymentPasses(t *testing.T) {
	withPolicies(t)
	s := lpSnap(t, `{
  tools: {
    profile: "messaging",
    exec: { mode: "ask", strictInlineEval: true },
    fs: { workspaceOnly: true },
    sessions: { visibility: "agent" },
    agentToAgent: { enabled: false },
    elevated: { enabled: false },
    web: { fetch: { enabled: false } },
  },
  channels: { telegram: { dmPolicy: "pairing", groupPolicy: "allowlist" } },
  agents: { defaults: { sandbox: { mode: "all", workspaceAccess: "ro", sessionToolsVisibility: "spawned" } } },
  browser: { enabled: false },
  logging: { level: "info", file: "/home/oc/.openclaw/logs/openclaw.log" },
}`)
	s.Host.Users[1].Shell = "/usr/sbin/nologin"
	s.OC.State = &openclaw.State{Path: lpTestState + "/state/openclaw.sqlite",
		ExecApprovals: &openclaw.ExecApprovals{Source: "sqlite", DefaultSecurity: "allowlist", DefaultAsk: "on-miss", AskFallback: "deny"}}
	for _, f := range []openclaw.FileInfo{
		lpFile(lpTestState+"/credentials", "credentials-dir", fs.ModeDir|0o700, 999),
		lpFile(lpTestState+"/agents/main", "agent-dir", fs.ModeDir|0o700, 999),
		lpFile(lpTestState+"/state/openclaw.sqlite", "sqlite", 0o600, 999),
		lpFile("/home/oc/.openclaw/logs", "log-dir", fs.ModeDir|0o700, 999),
	} {
		s.OC.Files[f.Path] = f
	}
	for _, id := range lpAreaIDs() {
		for _, f := range registry[id](s) {
			if (id == "CG-BRW-010" && f.Status == "manual") || f.Status == "pass" {
				continue
			}
			t.Errorf("%s raised %s %s %v on a hardened deployment", id, f.Status, f.MessageKey, f.Params)
		}
	}
}
