package posture

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// TestAreaAgainstRealOpenClaw builds deployments that stress this area's
// checks with the real OpenClaw (config validate, approvals set), runs
// `openclaw security audit --json` on each, gathers the same state with
// clawgov's inventory, and requires every critical/warn checkId that this
// area claims (openclaw_audit_ids) to be raised by one of the claiming
// checks. It needs CLAWGOV_OPENCLAW (the pinned OpenClaw wrapper) and
// skips without it; the e2e package does the same for the whole audit.
func TestAreaAgainstRealOpenClaw(t *testing.T) {
	bin := os.Getenv("CLAWGOV_OPENCLAW")
	if bin == "" {
		t.Skip("CLAWGOV_OPENCLAW is not set: the real OpenClaw is needed")
	}
	withPolicies(t)
	base := `"gateway":{"mode":"local"},"discovery":{"mdns":{"mode":"off"}},"update":{"checkOnStart":false}`
	// Three deployments keep the run short (each real audit takes seconds
	// and ~0.5 GB); each mixes findings that do not mask one another.
	cases := []struct {
		name      string
		cfg       string
		approvals string
		setup     func(t *testing.T, state string)
	}{
		{name: "open-channel-exec-perms",
			cfg: `{` + base + `,"channels":{"telegram":{"enabled":true,"botToken":"123456:ABCDEFghijklmnopqrstuv","dmPolicy":"open","allowFrom":["*"],"groupPolicy":"open"}},"tools":{"profile":"messaging","alsoAllow":["exec"],"exec":{"mode":"ask"}}}`,
			setup: func(t *testing.T, state string) {
				must(t, os.MkdirAll(filepath.Join(state, "credentials", "whatsapp", "default"), 0o700))
				must(t, os.WriteFile(filepath.Join(state, "credentials", "whatsapp", "default", "creds.json"), []byte("{}"), 0o644))
				must(t, os.Chmod(filepath.Join(state, "credentials"), 0o777))
				must(t, os.Chmod(filepath.Join(state, "openclaw.json"), 0o640))
				must(t, os.Chmod(state, 0o775))
			}},
		{name: "agents-approvals",
			cfg:       `{` + base + `,"tools":{"exec":{"mode":"ask"},"profile":"minimal"},"agents":{"ownership":"explicit","entries":{"main":{},"ops":{"tools":{"profile":"coding","exec":{"mode":"full","host":"sandbox"}}},"ro":{"tools":{"profile":"coding","deny":["group:fs"]}}}}}`,
			approvals: `{ version: 1, defaults: { security: "allowlist", ask: "on-miss", autoAllowSkills: true }, agents: { main: { allowlist: [ { pattern: "/usr/bin/python3" } ] } } }`},
		{name: "sandbox-safebins-browser",
			cfg: `{` + base + `,"tools":{"deny":["group:fs"],"exec":{"mode":"full","safeBins":["jq","awk","cut"],"safeBinTrustedDirs":["/opt/homebrew/bin","/usr/bin"],"applyPatch":{"workspaceOnly":false}},"fs":{"workspaceOnly":false},"elevated":{"allowFrom":{"discord":["*"]}}},` +
				`"agents":{"defaults":{"sandbox":{"mode":"off","workspaceAccess":"rw","docker":{"network":"none","binds":["/etc:/host-etc:ro"],"dangerouslyAllowExternalBindSources":true}}}},"browser":{"ssrfPolicy":{"dangerouslyAllowPrivateNetwork":true}}}`},
	}
	claims := map[string][]string{} // OpenClaw checkId pattern -> this area's checks
	cat := lpCatalog(t)
	for _, id := range lpAreaIDs() {
		for _, p := range cat[id].OpenClawAuditIDs {
			claims[p] = append(claims[p], id)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			state := filepath.Join(home, ".openclaw")
			must(t, os.MkdirAll(filepath.Join(home, "tmp"), 0o700))
			must(t, os.MkdirAll(state, 0o700))
			must(t, os.WriteFile(filepath.Join(state, "openclaw.json"), []byte(tc.cfg), 0o600))
			lpOC(t, bin, home, "", "config", "validate")
			if tc.approvals != "" {
				lpOC(t, bin, home, tc.approvals, "approvals", "set", "--stdin")
			}
			if tc.setup != nil {
				tc.setup(t, state)
			}
			var rep struct {
				Findings []struct{ CheckID, Severity, Detail string }
			}
			if err := json.Unmarshal(lpOC(t, bin, home, "", "security", "audit", "--json"), &rep); err != nil {
				t.Fatalf("audit json: %v", err)
			}
			env := map[string]string{"HOME": home}
			inv, err := openclaw.Gather(context.Background(), openclaw.Options{StateDir: state, Getenv: func(k string) string { return env[k] }})
			if err != nil {
				t.Fatalf("gather: %v", err)
			}
			s := &Snapshot{OC: inv, Now: time.Now()}
			raised := map[string]bool{}
			for _, id := range lpAreaIDs() {
				for _, f := range registry[id](s) {
					if f.Status == finding.Fail || f.Status == finding.Warn {
						raised[id] = true
					}
				}
			}
			checked := 0
			for _, of := range rep.Findings {
				if of.Severity != "critical" && of.Severity != "warn" {
					continue
				}
				var mine []string
				for p, ids := range claims {
					if ok, _ := path.Match(p, of.CheckID); ok {
						mine = append(mine, ids...)
					}
				}
				if len(mine) == 0 {
					continue // another area's finding
				}
				checked++
				covered := false
				for _, id := range mine {
					covered = covered || raised[id]
				}
				if !covered {
					t.Errorf("OpenClaw %s %s (%s) is not raised by any of %v", of.Severity, of.CheckID, strings.SplitN(of.Detail, "\n", 2)[0], mine)
				}
			}
			if checked == 0 {
				t.Errorf("OpenClaw raised nothing this area claims; the case tests nothing")
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// lpOC runs the real OpenClaw in a throw-away home and returns stdout.
func lpOC(t *testing.T, bin, home, stdin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1", "NO_COLOR=1", "TMPDIR=" + filepath.Join(home, "tmp")}
	cmd.Dir = home
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("openclaw %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}
