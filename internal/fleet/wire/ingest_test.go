package wire

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/audit"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
)

// agree checks DecodeIngest against Decode on one body: the same error
// code, or the same result.
func agree(t *testing.T, name string, b []byte, ids map[string]bool) {
	t.Helper()
	env, werr := Decode(b, "report-0001", ids)
	got, gerr := DecodeIngest(b, "report-0001", ids)
	if werr != nil {
		if gerr == nil || gerr.Code != werr.Code {
			t.Fatalf("%s: Decode said %v, DecodeIngest %v", name, werr, gerr)
		}
		return
	}
	if gerr != nil {
		t.Fatalf("%s: Decode accepted, DecodeIngest refused: %v", name, gerr)
	}
	if want := IngestOf(env); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: results differ:\n%+v\n%+v", name, got, want)
	}
}

func TestDecodeIngestMatchesDecode(t *testing.T) {
	ok := body(t, envelope("report-0001"))
	mut := func(f func(e *Envelope)) []byte { e := envelope("report-0001"); f(e); return body(t, e) }
	big := envelope("report-0001")
	for i := 0; i < MaxFindings+7; i++ {
		big.Report.Findings = append(big.Report.Findings, finding.Finding{CheckID: "CG-X"})
	}
	s := string(ok)
	for name, b := range map[string][]byte{
		"ok":              ok,
		"capped":          body(t, big),
		"not json":        []byte("{"),
		"trailing":        append(append([]byte{}, ok...), []byte(" {}")...),
		"invalid utf8":    []byte("{\"x\":\"\xff\"}"),
		"unknown field":   []byte(`{"schema_version":1,"bogus":1}`),
		"unknown report":  []byte(strings.Replace(s, `"kind":"audit"`, `"kind":"audit","bogus":1`, 1)),
		"unknown control": []byte(strings.Replace(s, `"id":"DO-1"`, `"id":"DO-1","bogus":1`, 1)),
		"bad checks":      []byte(strings.Replace(s, `"kind":"audit"`, `"kind":"audit","checks":[1,`, 1)),
		"deep":            []byte(strings.Repeat("[", 100) + strings.Repeat("]", 100)),
		"check member":    []byte(strings.Replace(s, `"checks":[`, `"checks":[{"x":1},`, 1)),
		"check text type": []byte(strings.Replace(s, `"checks":[{`, `"checks":[{"description":7,`, 1)),
		"schema":          mut(func(e *Envelope) { e.SchemaVersion = 9 }),
		"id mismatch":     mut(func(e *Envelope) { e.ReportID = "other-0001" }),
		"no report":       mut(func(e *Envelope) { e.Report = nil }),
		"kind":            mut(func(e *Envelope) { e.Report.Kind = "skills-scan" }),
		"control id":      mut(func(e *Envelope) { e.Report.Controls[0].ID = "DO-99" }),
		"missing control": mut(func(e *Envelope) { e.Report.Controls = e.Report.Controls[:1] }),
		"bad status":      mut(func(e *Envelope) { e.Report.Controls[0].Status = "skip" }),
		"dup control":     mut(func(e *Envelope) { e.Report.Controls[1].ID = "DO-1" }),
		"no hostname":     mut(func(e *Envelope) { e.Host.Hostname = "" }),
		"case-folded":     []byte(strings.Replace(s, `"report_id"`, `"Report_ID"`, 1)),
		"duplicate":       []byte(strings.Replace(s, `"schema_version":1,`, `"schema_version":1,"schema_version":1,`, 1)),
	} {
		agree(t, name, b, known)
	}
	// Real audit reports of the posture fixtures.
	cfgs, _ := filepath.Glob("../../posture/testdata/openclaw-audit/*.json5")
	if len(cfgs) < 3 {
		t.Fatalf("want posture fixtures, got %d", len(cfgs))
	}
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]bool{}
	for _, c := range cat.Controls {
		all[c.ID] = true
	}
	for _, cfg := range cfgs {
		dir := t.TempDir()
		raw, _ := os.ReadFile(cfg)
		_ = os.WriteFile(filepath.Join(dir, "openclaw.json"), raw, 0o600)
		rep, err := audit.Run(context.Background(), audit.Options{StateDir: dir, ConfigPath: filepath.Join(dir, "openclaw.json"), Lang: catalog.EN,
			Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		e := &Envelope{SchemaVersion: 1, ReportID: "report-0001", CollectedAt: time.Now().UTC(), Host: HostFacts{Hostname: "h", MachineFP: "m", BootID: "b"}, Report: rep}
		agree(t, cfg, body(t, e), all)
	}
}

func FuzzDecodeIngest(f *testing.F) {
	f.Add(body(f, envelope("report-0001")))
	f.Add([]byte(`{"schema_version":1,"report_id":"report-0001","collected_at":null,"host":{"hostname":"h"},"report":{"schema_version":1,"kind":"audit","checks":[{"x":1}],"controls":[{"id":"DO-1","status":"pass"},{"id":"DONT-1","status":"fail"}],"findings":[{"severity":"high"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, werr := Decode(b, "report-0001", known)
		got, gerr := DecodeIngest(b, "report-0001", known)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("Decode said %v, DecodeIngest %v: a stored report must be one Decode reads back", werr, gerr)
		}
		if werr == nil {
			if !reflect.DeepEqual(got, IngestOf(env)) {
				t.Fatalf("results differ")
			}
		}
	})
}
