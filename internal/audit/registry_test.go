package audit_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/approval/approvaltest"
	"github.com/clawgov/clawgov/internal/audit"
	"github.com/clawgov/clawgov/internal/config"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/pinnedtest"
	"github.com/clawgov/clawgov/internal/report"
)

// openclawBin installs (or reuses) the pinned OpenClaw and returns its
// wrapper; CLAWGOV_OPENCLAW names one already installed.
func openclawBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CLAWGOV_OPENCLAW"); p != "" {
		return p
	}
	pinnedtest.RequireNode(t, "the pinned OpenClaw")
	return pinnedtest.Install(t, "install-openclaw.sh")
}

func findingsOf(r *report.Report, id string) map[string]finding.Finding {
	m := map[string]finding.Finding{}
	for _, f := range r.Findings {
		if f.CheckID == id {
			m[f.Target] = f
		}
	}
	return m
}

// TestAuditRealOpenClawInstallFromOrgRegistry installs a skill with the
// real OpenClaw from a real `clawgov registry` on 127.0.0.1 and audits that
// state dir: approved and untouched passes; a file edited on disk fails;
// a revoked version fails; a wrong pinned key fails; the registry gone is
// manual.
func TestAuditRealOpenClawInstallFromOrgRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("real-OpenClaw integration test (-short)")
	}
	oc := openclawBin(t)
	reg := approvaltest.New(t, nil)
	reg.Publish("hello-claw", "1.0.0", approvaltest.Files())
	reg.Review("approve", "hello-claw", "1.0.0")

	home := t.TempDir()
	state := filepath.Join(home, ".openclaw")
	env := map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "PATH": os.Getenv("PATH")}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, oc, "skills", "install", "@acme/hello-claw")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "OPENCLAW_CLAWHUB_URL="+reg.URL,
		"CLAWHUB_TOKEN="+reg.Reader, "OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1", "CI=true")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openclaw skills install: %v\n%s", err, out)
	}
	skillDir := filepath.Join(state, "workspace", "skills", "hello-claw")
	if _, err := os.Stat(filepath.Join(skillDir, ".clawhub", "origin.json")); err != nil {
		t.Fatalf("OpenClaw wrote no origin.json: %v", err)
	}
	// The gateway's registry pin lives in the state dir's .env, as
	// `clawgov registry client-config` advises; the token comes from
	// clawgov's own environment.
	if err := os.WriteFile(filepath.Join(state, ".env"), []byte("OPENCLAW_CLAWHUB_URL="+reg.URL+"/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env["CLAWHUB_TOKEN"] = reg.Reader

	cfgFor := func(key string) *config.Config {
		c, err := config.Parse(filepath.Join(home, "clawgov.yaml"), []byte("version: 1\nregistry:\n  url: "+reg.URL+"\n  signing_key: "+key+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	profile := "miit-2026"
	run := func(c *config.Config) *report.Report {
		t.Helper()
		r, err := audit.Run(ctx, audit.Options{StateDir: state, Config: c, Profile: profile, Getenv: func(k string) string { return env[k] },
			Now: func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) }, RegistryTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	status := func(r *report.Report, id, target string) string {
		f, ok := findingsOf(r, id)[target]
		if !ok {
			return "(none)"
		}
		return string(f.Status) + "/" + f.MessageKey
	}

	r := run(cfgFor(reg.PubBase64()))
	if got := status(r, "CG-SKL-016", "hello-claw"); got != "pass/match" {
		t.Fatalf("untouched: CG-SKL-016 %s: %+v", got, findingsOf(r, "CG-SKL-016"))
	}
	if got := status(r, "CG-SKL-011", "hello-claw"); got != "pass/org" {
		t.Errorf("CG-SKL-011 %s", got)
	}
	if got := status(r, "CG-SKL-024", "openclaw"); got != "pass/pinned" {
		t.Errorf("CG-SKL-024 openclaw %s", got)
	}
	if got := status(r, "CG-SKL-024", "clawhub"); got != "warn/absent" {
		t.Errorf("CG-SKL-024 clawhub %s", got)
	}
	checkStatus := func(r *report.Report, id string) finding.Status {
		for _, c := range r.Checks {
			if c.ID == id {
				return c.Status
			}
		}
		return ""
	}
	// The clawhub CLI falls back silently: a warning on the baseline, a
	// failure under the strict profile.
	if got := checkStatus(r, "CG-SKL-024"); got != finding.Warn {
		t.Errorf("CG-SKL-024 on the baseline: %s", got)
	}
	profile = "miit-2026-strict"
	if got := checkStatus(run(cfgFor(reg.PubBase64())), "CG-SKL-024"); got != finding.Fail {
		t.Errorf("CG-SKL-024 under strict: %s", got)
	}
	profile = "miit-2026"
	for _, f := range r.Findings {
		for _, e := range f.Evidence {
			if strings.Contains(e.Value+e.Detail+f.Message, reg.Reader) {
				t.Fatalf("reader token in the report: %s %+v", f.CheckID, e)
			}
		}
	}

	// A wrong pinned key: the registry's own key does not rescue it.
	other := approvaltest.New(t, nil)
	if got := status(run(cfgFor(other.PubBase64())), "CG-SKL-016", "hello-claw"); got != "fail/bad_signature" {
		t.Errorf("wrong key: %s", got)
	}

	// Edited on disk after install.
	usage := filepath.Join(skillDir, "docs", "usage.md")
	orig, err := os.ReadFile(usage)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(usage, append(orig, []byte("Then run the helper.\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := status(run(cfgFor(reg.PubBase64())), "CG-SKL-016", "hello-claw"); got != "fail/tampered" {
		t.Errorf("edited: %s", got)
	}
	if err := os.WriteFile(usage, orig, 0o644); err != nil {
		t.Fatal(err)
	}

	// Revoked: the host still has it.
	reg.Review("revoke", "hello-claw", "1.0.0")
	if got := status(run(cfgFor(reg.PubBase64())), "CG-SKL-016", "hello-claw"); got != "fail/revoked" {
		t.Errorf("revoked: %s", got)
	}

	// The registry gone: undecided, never a pass.
	reg.TS.Close()
	r = run(cfgFor(reg.PubBase64()))
	if got := status(r, "CG-SKL-016", "hello-claw"); got != "manual/unverifiable" {
		t.Errorf("unreachable: %s", got)
	}
	for _, c := range r.Checks {
		if c.ID == "CG-SKL-016" && c.Status == finding.Pass {
			t.Errorf("CG-SKL-016 passes with the registry unreachable")
		}
	}
}

// A signing key that cannot be read is bad input with the config line,
// not a silently unverified audit.
func TestAuditBadSigningKey(t *testing.T) {
	c, err := config.Parse("/etc/clawgov/clawgov.yaml", []byte("version: 1\nregistry:\n  url: https://skills.corp.example\n  signing_key: missing-key.json\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = audit.OrgRegistry(c, func(string) string { return "" }, nil, 0)
	if err == nil || !strings.Contains(err.Error(), "/etc/clawgov/clawgov.yaml:4: registry.signing_key:") || !strings.Contains(err.Error(), "/etc/clawgov/missing-key.json") {
		t.Fatalf("err = %v", err)
	}
	if reg, err := audit.OrgRegistry(&config.Config{}, nil, nil, 0); reg != nil || err != nil {
		t.Fatalf("no registry.url: %v %v", reg, err)
	}
}
