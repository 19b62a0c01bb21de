package output

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/schema"
)

// compileSchema compiles a schema document with format assertions on, so
// "uri" and "date-time" are checked, not just annotated.
func compileSchema(t *testing.T, name string, doc []byte) *jsonschema.Schema {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("parse schema %s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := "file:///" + name
	if err := c.AddResource(url, v); err != nil {
		t.Fatalf("add schema %s: %v", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile schema %s: %v", name, err)
	}
	return s
}

func validateJSON(t *testing.T, s *jsonschema.Schema, doc []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	return s.Validate(v)
}

func compiledSARIFSchema(t *testing.T) *jsonschema.Schema {
	b, err := os.ReadFile(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	return compileSchema(t, "sarif-schema-2.1.0.json", b)
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	s := compiledSARIFSchema(t)
	for _, lang := range []catalog.Lang{catalog.EN, catalog.ZH} {
		if err := validateJSON(t, s, render(t, "sarif", lang)); err != nil {
			t.Errorf("sarif (%s) does not validate:\n%v", lang, err)
		}
	}
	// An empty scan must validate too.
	var buf bytes.Buffer
	if err := (SARIFWriter{}).Write(&buf, emptyReport(t)); err != nil {
		t.Fatal(err)
	}
	if err := validateJSON(t, s, buf.Bytes()); err != nil {
		t.Errorf("empty sarif does not validate:\n%v", err)
	}
}

// TestSARIFSchemaRejects proves the schema test can fail: outputs with the
// mistakes a hand-rolled writer could make are rejected.
func TestSARIFSchemaRejects(t *testing.T) {
	s := compiledSARIFSchema(t)
	good := render(t, "sarif", catalog.EN)
	for name, mutate := range map[string]func(map[string]any){
		"bad level":        func(m map[string]any) { result0(m)["level"] = "fatal" },
		"bad kind":         func(m map[string]any) { result0(m)["kind"] = "failed" },
		"no message":       func(m map[string]any) { delete(result0(m), "message") },
		"unknown property": func(m map[string]any) { result0(m)["severity"] = "high" },
		"zero start line": func(m map[string]any) {
			loc := result0(m)["locations"].([]any)[0].(map[string]any)
			loc["physicalLocation"].(map[string]any)["region"] = map[string]any{"startLine": 0}
		},
		"wrong version": func(m map[string]any) { m["version"] = "2.0.0" },
		"no driver name": func(m map[string]any) {
			delete(m["runs"].([]any)[0].(map[string]any)["tool"].(map[string]any)["driver"].(map[string]any), "name")
		},
	} {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		mutate(m)
		b, _ := json.Marshal(m)
		if err := validateJSON(t, s, b); err == nil {
			t.Errorf("%s: schema accepted an invalid log", name)
		}
	}
}

func result0(m map[string]any) map[string]any {
	return m["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
}

// TestSARIFGitHubRequirements checks what GitHub code scanning needs on
// upload beyond the schema: every result names a rule the driver lists,
// has at least one location with a URI, and carries a fingerprint; rules
// are unique and in a stable (sorted) order; security-severity parses as
// a number in GitHub's bands.
func TestSARIFGitHubRequirements(t *testing.T) {
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID         string         `json:"id"`
						Help       sarifText      `json:"help"`
						Short      sarifText      `json:"shortDescription"`
						Default    map[string]any `json:"defaultConfiguration"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []sarifResult `json:"results"`
		} `json:"runs"`
	}
	r := fixtureReport(t, catalog.EN)
	if err := json.Unmarshal(render(t, "sarif", catalog.EN), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("version %q, %d runs", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(r.Checks) {
		t.Errorf("%d rules for %d checks", len(run.Tool.Driver.Rules), len(r.Checks))
	}
	idx := map[string]int{}
	prev := ""
	for i, rule := range run.Tool.Driver.Rules {
		if _, dup := idx[rule.ID]; dup {
			t.Errorf("rule %s listed twice", rule.ID)
		}
		idx[rule.ID] = i
		if rule.ID < prev {
			t.Errorf("rules not sorted: %s after %s", rule.ID, prev)
		}
		prev = rule.ID
		if rule.Help.Text == "" || rule.Help.Markdown == "" || rule.Short.Text == "" {
			t.Errorf("rule %s lacks help or short description", rule.ID)
		}
		sev, ok := rule.Properties["security-severity"].(string)
		if f, err := strconv.ParseFloat(sev, 64); !ok || err != nil || f < 0 || f > 10 {
			t.Errorf("rule %s security-severity %v is not a number in 0..10", rule.ID, rule.Properties["security-severity"])
		}
	}
	// The remediation and controls reach the rule help.
	net := run.Tool.Driver.Rules[idx["CG-NET-001"]]
	if !strings.Contains(net.Help.Markdown, "Set gateway.bind to loopback") || !strings.Contains(net.Help.Markdown, "DO-2 Strictly control internet exposure") {
		t.Errorf("CG-NET-001 help lacks remediation or control:\n%s", net.Help.Markdown)
	}
	if net.Default["level"] != "error" || net.Properties["security-severity"] != "9.5" {
		t.Errorf("CG-NET-001 (critical) level %v security-severity %v", net.Default["level"], net.Properties["security-severity"])
	}
	// Only the safe reference becomes helpUri; javascript: never does.
	if strings.Contains(string(render(t, "sarif", catalog.EN)), "javascript:alert(1)\"") {
		t.Error("javascript: reference emitted as a link")
	}

	want := 0
	for _, f := range r.Findings {
		if f.Status != finding.Pass && f.Status != finding.Skip {
			want++
		}
	}
	if len(run.Results) != want {
		t.Errorf("%d results, want %d", len(run.Results), want)
	}
	for _, res := range run.Results {
		i, ok := idx[res.RuleID]
		if !ok || i != res.RuleIndex {
			t.Errorf("result %s: ruleIndex %d, rule at %d (found %v)", res.RuleID, res.RuleIndex, i, ok)
		}
		if len(res.Locations) == 0 {
			t.Errorf("result %s has no location", res.RuleID)
		}
		for _, l := range res.Locations {
			if l.PhysicalLocation.ArtifactLocation.URI == "" || l.PhysicalLocation.Region == nil || l.PhysicalLocation.Region.StartLine < 1 {
				t.Errorf("result %s: location %+v lacks a URI or region.startLine (GitHub rules GH1001, GH1003)", res.RuleID, l.PhysicalLocation)
			}
		}
		if len(res.PartialFingerprints["primaryLocationLineHash"]) != 32 {
			t.Errorf("result %s fingerprint %q", res.RuleID, res.PartialFingerprints)
		}
		if c, _ := res.Properties["controls"].([]any); len(c) == 0 {
			t.Errorf("result %s carries no control IDs", res.RuleID)
		}
		if strings.ContainsAny(res.Message.Text, "\n\x1b") {
			t.Errorf("result %s message keeps control characters: %q", res.RuleID, res.Message.Text)
		}
	}
	byRule := map[string]sarifResult{}
	for _, res := range run.Results {
		byRule[res.RuleID] = res
	}
	for id, want := range map[string][2]string{
		"CG-NET-001":   {"fail", "error"},   // critical fail
		"CG-PRIV-002":  {"fail", "warning"}, // medium warn
		"CG-SKILL-002": {"fail", "note"},    // low warn
		"CG-BRW-001":   {"review", "none"},  // manual
	} {
		if got := byRule[id]; got.Kind != want[0] || got.Level != want[1] {
			t.Errorf("%s: kind/level %s/%s, want %s/%s", id, got.Kind, got.Level, want[0], want[1])
		}
	}
	// Absolute evidence paths become file:// URIs with the line.
	loc := byRule["CG-NET-001"].Locations[0].PhysicalLocation
	if loc.ArtifactLocation.URI != "file:///home/claw/.openclaw/openclaw.json" || loc.Region == nil || loc.Region.StartLine != 12 {
		t.Errorf("CG-NET-001 location %+v", loc)
	}
	// A finding without a file falls back to the config path.
	if u := byRule["CG-PRIV-002"].Locations[0].PhysicalLocation.ArtifactLocation.URI; u != "file:///home/claw/.openclaw/openclaw.json" {
		t.Errorf("CG-PRIV-002 fallback location %q", u)
	}
}

// TestSARIFFingerprintIgnoresLines: moving a finding to another line must
// not change its fingerprint, or GitHub would close and reopen the alert.
func TestSARIFFingerprintIgnoresLines(t *testing.T) {
	a := finding.Finding{CheckID: "CG-NET-001", Target: "local", Evidence: []finding.Evidence{{File: "/x/openclaw.json", KeyPath: "gateway.bind", Line: 12}}}
	b := a
	b.Evidence = []finding.Evidence{{File: "/x/openclaw.json", KeyPath: "gateway.bind", Line: 40}}
	if a.ComputeFingerprint() != b.ComputeFingerprint() {
		t.Error("fingerprint depends on the line number")
	}
}

func reportSchema(t *testing.T) *jsonschema.Schema {
	return compileSchema(t, "report.schema.json", schema.Report)
}

func TestJSONValidatesAgainstReportSchema(t *testing.T) {
	s := reportSchema(t)
	for _, lang := range []catalog.Lang{catalog.EN, catalog.ZH} {
		if err := validateJSON(t, s, render(t, "json", lang)); err != nil {
			t.Errorf("json (%s) does not validate against schema/report.schema.json (a field added to report.Report or finding.Finding must be added to the schema too):\n%v", lang, err)
		}
	}
	var buf bytes.Buffer
	if err := (JSONWriter{}).Write(&buf, emptyReport(t)); err != nil {
		t.Fatal(err)
	}
	if err := validateJSON(t, s, buf.Bytes()); err != nil {
		t.Errorf("empty report does not validate:\n%v\n%s", err, buf.String())
	}
	// The embedded copy is the file in the repository.
	disk, err := os.ReadFile(filepath.Join("..", "..", "schema", "report.schema.json"))
	if err != nil || !bytes.Equal(disk, schema.Report) {
		t.Errorf("schema.Report differs from schema/report.schema.json (%v)", err)
	}
}

func TestReportSchemaRejects(t *testing.T) {
	s := reportSchema(t)
	good := render(t, "json", catalog.EN)
	for name, mutate := range map[string]func(map[string]any){
		"unknown top-level field": func(m map[string]any) { m["extra"] = true },
		"bad status":              func(m map[string]any) { m["controls"].([]any)[0].(map[string]any)["status"] = "ok" },
		"bad severity":            func(m map[string]any) { m["findings"].([]any)[0].(map[string]any)["severity"] = "urgent" },
		"bad check id":            func(m map[string]any) { m["findings"].([]any)[0].(map[string]any)["check_id"] = "NET-1" },
		"null findings":           func(m map[string]any) { m["findings"] = nil },
		"missing zh title": func(m map[string]any) {
			delete(m["controls"].([]any)[0].(map[string]any)["title"].(map[string]any), "zh")
		},
		"bad created_at": func(m map[string]any) { m["created_at"] = "yesterday" },
		"unknown notice id": func(m map[string]any) {
			m["meta"].(map[string]any)["notices"].([]any)[0].(map[string]any)["id"] = "something"
		},
		"bad data date": func(m map[string]any) {
			m["meta"].(map[string]any)["data"].(map[string]any)["advisories"].(map[string]any)["date"] = "last year"
		},
		"unknown meta field":   func(m map[string]any) { m["meta"].(map[string]any)["extra"] = 1 },
		"wrong schema_version": func(m map[string]any) { m["schema_version"] = 2 },
	} {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		mutate(m)
		b, _ := json.Marshal(m)
		if err := validateJSON(t, s, b); err == nil {
			t.Errorf("%s: schema accepted an invalid report", name)
		}
	}
}

// emptyReport is a skills scan that raised nothing: no controls, checks,
// findings or errors. Writers must still produce valid documents.
func emptyReport(t *testing.T) *report.Report {
	t.Helper()
	r, err := report.Build(testCatalog(t), report.Input{
		Kind: "skills-scan", Tool: report.Tool{Name: "clawgov", Version: "dev"}, Lang: catalog.EN, ProfileID: "miit-2026",
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
