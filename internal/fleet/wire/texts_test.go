package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/audit"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/report"
)

func auditReport(t *testing.T, lang catalog.Lang) *report.Report {
	t.Helper()
	cfgs, _ := filepath.Glob("../../posture/testdata/openclaw-audit/*.json5")
	if len(cfgs) == 0 {
		t.Fatal("fixtures missing")
	}
	dir := t.TempDir()
	raw, _ := os.ReadFile(cfgs[0])
	_ = os.WriteFile(filepath.Join(dir, "openclaw.json"), raw, 0o600)
	rep, err := audit.Run(context.Background(), audit.Options{StateDir: dir, ConfigPath: filepath.Join(dir, "openclaw.json"), Lang: lang,
		Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestCompactRoundTrip: a compact envelope is much smaller, passes the
// ingest decoder, and renders back to exactly the full report, in both
// languages; Expand gives the full envelope the old schema carried.
func TestCompactRoundTrip(t *testing.T) {
	own, err := OwnTexts()
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := catalog.Default()
	known := map[string]bool{}
	for _, c := range cat.Controls {
		known[c.ID] = true
	}
	for _, lang := range []catalog.Lang{catalog.EN, catalog.ZH} {
		rep := auditReport(t, lang)
		env := Envelope{SchemaVersion: SchemaVersion, ReportID: "report-0001", CollectedAt: time.Unix(1, 0).UTC(), Host: HostFacts{Hostname: "h", MachineFP: "m", BootID: "b"}, Report: rep}
		full, _ := json.Marshal(rep)
		fullEnv, _ := json.Marshal(env)
		small, err := Compact(env)
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := json.Marshal(rep); !bytes.Equal(r, full) {
			t.Fatalf("%s: Compact changed the report it was given", lang)
		}
		if len(small)*3 > len(fullEnv) {
			t.Errorf("%s: compact envelope %d bytes, full %d: texts not left out", lang, len(small), len(fullEnv))
		}
		in, werr := DecodeIngest(small, "report-0001", known)
		if werr != nil {
			t.Fatalf("%s: compact envelope refused: %v", lang, werr)
		}
		if in.Texts != own.Digest {
			t.Errorf("%s: texts digest %q, want %q", lang, in.Texts, own.Digest)
		}
		if len(in.PassedChecks) == 0 {
			t.Errorf("%s: no passed check left out", lang)
		}
		if werr := CheckCompact(in, own.Texts); werr != nil {
			t.Errorf("%s: %v", lang, werr)
		}
		back, err := StoredReport(small, func(d string) (*Texts, error) {
			if d != own.Digest {
				return nil, errors.New("unknown digest")
			}
			return own.Texts, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(back); !bytes.Equal(got, full) {
			t.Errorf("%s: rendered compact report differs from the full one", lang)
		}
		exp, err := Expand(small)
		if err != nil {
			t.Fatal(err)
		}
		var e1 Envelope
		if err := json.Unmarshal(exp, &e1); err != nil || e1.SchemaVersion != 1 || e1.Texts != "" {
			t.Fatalf("%s: expanded envelope: %v %+v", lang, err, e1.SchemaVersion)
		}
		if got, _ := json.Marshal(e1.Report); !bytes.Equal(got, full) {
			t.Errorf("%s: expanded report differs from the full one", lang)
		}
		if _, werr := DecodeIngest(exp, "report-0001", known); werr != nil {
			t.Errorf("%s: expanded envelope refused: %v", lang, werr)
		}
	}
}

// TestCompactKeepsOwnTexts: a text that differs from the catalog (a
// rule's own title, say) stays in the compact report.
func TestCompactKeepsOwnTexts(t *testing.T) {
	rep := auditReport(t, catalog.EN)
	rep.Findings[0].Title = "a title of its own"
	rep.Checks[0].Remediation = "remediation of its own"
	small, err := Compact(Envelope{ReportID: "report-0001", Host: HostFacts{Hostname: "h"}, Report: rep})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"a title of its own", "remediation of its own"} {
		if !bytes.Contains(small, []byte(s)) {
			t.Errorf("compact report lost %q", s)
		}
	}
}

// TestStoredReportTexts: a stored compact report whose texts cannot be
// found is an error, never a report rendered without its texts; a bare
// stored report still decodes.
func TestStoredReportTexts(t *testing.T) {
	rep := auditReport(t, catalog.EN)
	small, _ := Compact(Envelope{ReportID: "report-0001", Host: HostFacts{Hostname: "h"}, Report: rep})
	if _, err := StoredReport(small, func(string) (*Texts, error) { return nil, errors.New("no such texts") }); err == nil || !strings.Contains(err.Error(), "no such texts") {
		t.Errorf("missing texts: %v", err)
	}
	bare, _ := json.Marshal(rep)
	got, err := StoredReport(bare, nil)
	if err != nil || len(got.Checks) != len(rep.Checks) || got.Checks[0].Title != rep.Checks[0].Title {
		t.Errorf("bare report: %v", err)
	}
}

// TestTextsDigest: stored texts must hash to the digest they are kept
// under.
func TestTextsDigest(t *testing.T) {
	own, _ := OwnTexts()
	if _, err := DecodeTexts(own.JSON, own.Digest); err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(own.JSON, []byte(`"title"`), []byte(`"title" `), 1)
	tampered = bytes.Replace(tampered, []byte("gateway"), []byte("gatewav"), 1)
	if _, err := DecodeTexts(tampered, own.Digest); err == nil {
		t.Error("tampered texts accepted under the original digest")
	}
}

// TestDecodeTextsField: texts needs schema version 2 and a digest.
func TestDecodeTextsField(t *testing.T) {
	for name, mut := range map[string]func(*Envelope){
		"v1 with texts": func(e *Envelope) { e.SchemaVersion = 1; e.Texts = strings.Repeat("a", 64) },
		"not a digest":  func(e *Envelope) { e.SchemaVersion = 2; e.Texts = "abc" },
	} {
		e := envelope("report-0001")
		mut(e)
		b, _ := json.Marshal(e)
		if _, werr := Decode(b, "report-0001", known); werr == nil || werr.Code != CodeMalformed {
			t.Errorf("%s: %v, want malformed", name, werr)
		}
	}
	for _, v := range []int{1, 2} {
		e := envelope("report-0001")
		e.SchemaVersion = v
		b, _ := json.Marshal(e)
		if _, werr := Decode(b, "report-0001", known); werr != nil {
			t.Errorf("schema %d refused: %v", v, werr)
		}
	}
}

// TestCheckCompact: a passed check must be one of the texts' checks,
// listed once, and not also among the report's checks.
func TestCheckCompact(t *testing.T) {
	own, _ := OwnTexts()
	var id string
	for k := range own.Texts.Checks {
		id = k
		break
	}
	for name, in := range map[string]*Ingest{
		"unknown check":  {PassedChecks: []string{"CG-NOPE-999"}},
		"listed twice":   {PassedChecks: []string{id, id}},
		"also in report": {PassedChecks: []string{id}, CheckIDs: []string{id}},
	} {
		if werr := CheckCompact(in, own.Texts); werr == nil || werr.Code != CodeMalformed {
			t.Errorf("%s: %v, want malformed", name, werr)
		}
	}
	if werr := CheckCompact(&Ingest{PassedChecks: []string{id}}, own.Texts); werr != nil {
		t.Errorf("valid: %v", werr)
	}
	e := envelope("report-0001")
	e.SchemaVersion, e.PassedChecks = 2, []string{id}
	b, _ := json.Marshal(e)
	if _, werr := Decode(b, "report-0001", known); werr == nil || werr.Code != CodeMalformed {
		t.Errorf("passed_checks without texts: %v, want malformed", werr)
	}
}

// TestExpandFullV2: a version 2 envelope that went full (no texts) still
// becomes version 1 for an older server; a version 1 body stays as it is.
func TestExpandFullV2(t *testing.T) {
	e := envelope("report-0001")
	e.SchemaVersion = 2
	b, _ := json.Marshal(e)
	out, err := Expand(b)
	var back Envelope
	if err != nil || json.Unmarshal(out, &back) != nil || back.SchemaVersion != 1 {
		t.Fatalf("expand full v2: %v %s", err, out)
	}
	if again, err := Expand(out); err != nil || !bytes.Equal(again, out) {
		t.Errorf("expand v1 changed it: %v", err)
	}
}
