package output

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/config"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/schema"
)

// policyFixtureReport is the canonical fixture judged by a sector profile
// with waivers (active, expired, stale), one attested and one open
// attestation, and a baseline in which one finding is old, one is gone.
func policyFixtureReport(t testing.TB, lang catalog.Lang) *report.Report {
	t.Helper()
	in := fixtureInput(lang)
	in.ProfileID = "sector-test"
	in.Config = &config.Config{Path: "/etc/clawgov/clawgov.yaml", Digest: "feedface", Organisation: "Example Bank 示例银行 <b>",
		Bundle: &config.BundleRef{Version: 7, Digest: "4ca275cac0b354c2d1f0e0d5a9b1c3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7", KeyID: "0f1e2d3c4b5a6978", Created: "2026-03-01T09:00:00Z"}}
	in.Waivers = []config.Waiver{
		{ID: "W-PRIV", Check: "CG-PRIV-002", Reason: "Approvals are off on the isolated lab host | <b>", Owner: "secops@example.cn",
			Ticket: "SEC-1", Created: "2026-03-01", Expires: "2026-06-30", Source: "/etc/clawgov/clawgov.yaml:12"},
		{ID: "W-OLD", Check: "CG-NET-001", Reason: "Temporary exposure for the migration", Expires: "2026-03-01", Source: "/etc/clawgov/clawgov.yaml:20"},
		{ID: "W-GONE", Check: "CG-UPD-001", Reason: "Update reminders handled by MDM", Expires: "2026-12-31", Source: "/etc/clawgov/clawgov.yaml:26"},
	}
	in.Attestations = map[string]config.Attestation{
		"ATT-TST-001": {By: "张三 (CISO)", Date: "2026-03-10", Evidence: "SIEM policy RP-7: 400 days"},
	}
	r, err := report.Build(testCatalog(t), in)
	if err != nil {
		t.Fatalf("build policy fixture: %v", err)
	}
	prev := fixtureReport(t, lang)
	prev.CreatedAt = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	// The baseline had the exposure finding but not the skill ones, and a
	// finding that is now gone.
	var kept []finding.Finding
	for _, f := range prev.Findings {
		if !strings.HasPrefix(f.CheckID, "CG-SKILL") {
			kept = append(kept, f)
		}
	}
	kept = append(kept, finding.Finding{CheckID: "CG-INST-001", Title: "resolved since", Severity: finding.High, Status: finding.Fail, Controls: []string{"DO-1"}, Fingerprint: "00000000000000000000000000000001"})
	prev.Findings = kept
	if err := report.ApplyBaseline(r, prev, "previous.json"); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPolicyGolden(t *testing.T) {
	for _, format := range Formats() {
		for _, lang := range []catalog.Lang{catalog.EN, catalog.ZH} {
			name := "policy." + string(lang) + "." + goldenExt[format]
			t.Run(name, func(t *testing.T) {
				w, err := New(format, Options{})
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				r := policyFixtureReport(t, lang)
				if err := w.Write(&buf, r); err != nil {
					t.Fatal(err)
				}
				got := normalize(buf.Bytes())
				path := filepath.Join("testdata", "golden", name)
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("read golden (run go test ./internal/output -update): %v", err)
				}
				if !bytes.Equal(got, normalize(want)) {
					t.Errorf("%s differs from golden; run `go test ./internal/output -update`\n%s", path, firstDiff(string(want), string(got)))
				}
				switch format {
				case "json":
					if err := validateJSON(t, compileSchema(t, "report.schema.json", schema.Report), got); err != nil {
						t.Errorf("policy JSON report does not match schema/report.schema.json: %v", err)
					}
				case "sarif":
					if err := validateJSON(t, compiledSARIFSchema(t), got); err != nil {
						t.Errorf("policy SARIF does not match the SARIF 2.1.0 schema: %v", err)
					}
					if !bytes.Contains(got, []byte(`"suppressions"`)) || !bytes.Contains(got, []byte(`"justification"`)) {
						t.Error("waived result has no SARIF suppression with justification")
					}
				case "junit":
					if !bytes.Contains(got, []byte(`<skipped message="waived: `)) {
						t.Error("waived check is not a JUnit skipped case with the reason")
					}
				}
				// Nothing waived disappears from any format.
				for _, f := range r.Findings {
					if f.Status == finding.Waived && !bytes.Contains(got, []byte(f.CheckID)) {
						t.Errorf("%s: waived finding %s missing", name, f.CheckID)
					}
				}
				// The waiver's reason is shown wherever a human reads it.
				if format != "json" && !bytes.Contains(got, []byte("isolated lab host")) {
					t.Errorf("%s: waiver reason not shown", name)
				}
			})
		}
	}
}

func TestPolicyFixtureSemantics(t *testing.T) {
	r := policyFixtureReport(t, catalog.EN)
	byID := map[string]finding.Finding{}
	for _, f := range r.Findings {
		byID[f.CheckID] = f
	}
	if f := byID["CG-PRIV-002"]; f.Status != finding.Waived || f.Waiver == nil || f.Waiver.OriginalStatus != finding.Warn {
		t.Errorf("active waiver not applied: %+v", f)
	}
	if f := byID["CG-NET-001"]; f.Status != finding.Fail {
		t.Errorf("expired waiver still applies: %s", f.Status)
	}
	if f := byID["CG-BRW-001"]; f.Status != finding.Fail {
		t.Errorf("required check left %s, want fail", f.Status)
	}
	states := map[string]string{}
	for _, w := range r.Waivers {
		states[w.ID] = w.State
	}
	if states["W-PRIV"] != "active" || states["W-OLD"] != "expired" || states["W-GONE"] != "stale" {
		t.Errorf("waiver states %v", states)
	}
	att := map[string]finding.Status{}
	for _, a := range r.Attestations {
		att[a.ID] = a.Status
	}
	if att["ATT-TST-001"] != finding.Pass || att["ATT-TST-002"] != finding.Manual {
		t.Errorf("attestations %v", att)
	}
	if r.Baseline == nil || r.Baseline.New == 0 || len(r.Baseline.Resolved) != 1 {
		t.Errorf("baseline %+v", r.Baseline)
	}
	if r.Policy == nil || r.Policy.Profile != "sector-test" || r.Policy.ConfigDigest != "feedface" {
		t.Errorf("policy %+v", r.Policy)
	}
	// A waived warn no longer decides the exit code.
	if r.FailingNew(finding.Critical) != true {
		t.Error("new critical skill finding should fail --fail-on-new")
	}
}
