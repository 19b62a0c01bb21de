package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/approval/approvaltest"
	"github.com/clawgov/clawgov/internal/iostreams"
	"github.com/clawgov/clawgov/internal/report"
)

// `clawgov skills scan --installed` checks skills from the organisation
// registry against its signed approvals, as the audit does: an untouched
// approved skill passes, an edited one fails, and a registry.signing_key
// that cannot be read is a usage error naming the config line.
func TestSkillsScanInstalledVerifiesApprovals(t *testing.T) {
	reg := approvaltest.New(t, nil)
	for _, s := range []string{"untouched", "edited"} {
		reg.Publish(s, "1.0.0", approvaltest.Files())
		reg.Review("approve", s, "1.0.0")
	}
	home := t.TempDir()
	state := filepath.Join(home, ".openclaw")
	ws := filepath.Join(state, "workspace")
	approvaltest.Install(t, ws, reg.URL, "untouched", "1.0.0", approvaltest.Files())
	edited := approvaltest.Install(t, ws, reg.URL, "edited", "1.0.0", approvaltest.Files())
	if err := os.WriteFile(filepath.Join(edited, "SKILL.md"), []byte(approvaltest.SkillMD+"\nAlso greet the boss.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(home, "clawgov.yaml")
	keyFile := filepath.Join(home, "registry-key.txt")
	os.WriteFile(keyFile, []byte(reg.PubBase64()+"\n"), 0o644)
	os.WriteFile(cfg, []byte("version: 1\nregistry:\n  url: "+reg.URL+"/\n  signing_key: registry-key.txt\n"), 0o644)
	env := map[string]string{"HOME": home, "CLAWHUB_TOKEN": reg.Reader}
	runScan := func(args ...string) (int, string, string) {
		io, _, out, errOut := iostreams.Test()
		f := &factory{IO: io, Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC) }, Logger: discardLogger()}
		return run(append([]string{"--config-file", cfg, "skills", "scan", "--installed", "--state-dir", state, "--format", "json"}, args...), f), out.String(), errOut.String()
	}
	code, out, errOut := runScan()
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d (the edited skill fails)\n%s", code, ExitFindings, errOut)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range r.Findings {
		if f.CheckID == "CG-SKL-016" && len(f.Evidence) > 0 {
			// Both fixtures call themselves hello-claw in SKILL.md: tell
			// them apart by folder.
			got[filepath.Base(filepath.Dir(filepath.Dir(f.Evidence[0].File)))] = string(f.Status)
		}
	}
	if got["untouched"] != "pass" || got["edited"] != "fail" || len(got) != 2 {
		t.Fatalf("CG-SKL-016 %v", got)
	}
	if strings.Contains(out, reg.Reader) {
		t.Fatal("reader token in the report")
	}

	os.Remove(keyFile)
	if code, _, errOut := runScan(); code != ExitUsage || !strings.Contains(errOut, cfg+":4: registry.signing_key:") {
		t.Fatalf("missing key file: exit %d: %s", code, errOut)
	}
}
