package wire

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

var known = map[string]bool{"DO-1": true, "DONT-1": true}

func envelope(id string) *Envelope {
	return &Envelope{SchemaVersion: 1, ReportID: id, CollectedAt: time.Unix(1, 0).UTC(), Host: HostFacts{Hostname: "h", MachineFP: "m", BootID: "b"},
		Report: &report.Report{SchemaVersion: report.SchemaVersion, Kind: "audit", Controls: []report.ControlResult{{ID: "DO-1", Status: "pass"}, {ID: "DONT-1", Status: "fail"}}}}
}

func body(t testing.TB, e *Envelope) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecode(t *testing.T) {
	ok := body(t, envelope("report-0001"))
	if env, err := Decode(ok, "report-0001", known); err != nil || len(env.Report.Controls) != 2 {
		t.Fatalf("valid: %v", err)
	}
	mut := func(f func(e *Envelope)) []byte { e := envelope("report-0001"); f(e); return body(t, e) }
	cases := []struct {
		name string
		body []byte
		code Code
	}{
		{"not json", []byte("{"), CodeMalformed},
		{"trailing", append(append([]byte{}, ok...), []byte(" {}")...), CodeMalformed},
		{"invalid utf8", []byte("{\"x\":\"\xff\"}"), CodeMalformed},
		{"unknown field", []byte(`{"schema_version":1,"bogus":1}`), CodeMalformed},
		{"deep", []byte(strings.Repeat("[", 100) + strings.Repeat("]", 100)), CodeMalformed},
		{"schema", mut(func(e *Envelope) { e.SchemaVersion = 9 }), CodeUnsupported},
		{"id mismatch", mut(func(e *Envelope) { e.ReportID = "other-0001" }), CodeMalformed},
		{"no report", mut(func(e *Envelope) { e.Report = nil }), CodeMalformed},
		{"unknown control", mut(func(e *Envelope) { e.Report.Controls[0].ID = "DO-99" }), CodeUnknownControl},
		{"sql control", mut(func(e *Envelope) { e.Report.Controls[0].ID = "'; DROP TABLE x" }), CodeUnknownControl},
		{"missing control", mut(func(e *Envelope) { e.Report.Controls = e.Report.Controls[:1] }), CodeIncomplete},
		{"bad status", mut(func(e *Envelope) { e.Report.Controls[0].Status = "skip" }), CodeIncomplete},
		{"dup control", mut(func(e *Envelope) { e.Report.Controls[1].ID = "DO-1" }), CodeMalformed},
		{"no hostname", mut(func(e *Envelope) { e.Host.Hostname = "" }), CodeMalformed},
	}
	for _, c := range cases {
		if _, err := Decode(c.body, "report-0001", known); err == nil || err.Code != c.code {
			t.Errorf("%s: got %v, want %s", c.name, err, c.code)
		}
	}
	// Findings are capped with a truncation flag and the full count.
	big := envelope("report-0001")
	for i := 0; i < MaxFindings+7; i++ {
		big.Report.Findings = append(big.Report.Findings, finding.Finding{CheckID: "CG-X"})
	}
	env, err := Decode(body(t, big), "report-0001", known)
	if err != nil || !env.Truncated || env.FindingsTotal != MaxFindings+7 || len(env.Report.Findings) != MaxFindings {
		t.Fatalf("cap: %v %+v", err, env)
	}
}

func TestSignVerify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	now := time.Unix(1_800_000_000, 0)
	b := []byte("{}")
	req, _ := http.NewRequest("POST", "http://x"+PathReports, nil)
	Sign(req, priv, now, "report-0001", b)
	s, err := ParseHeaders(req.Header)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyFP != KeyFP(pub) || s.Digest != Digest(b) {
		t.Fatal("headers")
	}
	if err := s.Verify(pub, "POST", PathReports); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckSkew(now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckSkew(now.Add(-time.Hour)); err == nil || err.Code != CodeClockSkew || err.ServerTime == nil {
		t.Fatalf("future timestamp: %v", err)
	}
	if err := s.Verify(pub, "POST", "/api/v1/other"); err == nil || err.Code != CodeBadSignature {
		t.Fatalf("other path: %v", err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if err := s.Verify(other, "POST", PathReports); err == nil || err.Code != CodeBadSignature {
		t.Fatalf("other key: %v", err)
	}
	s2 := s
	s2.Digest = Digest([]byte("tampered"))
	if err := s2.Verify(pub, "POST", PathReports); err == nil {
		t.Fatal("tampered digest verified")
	}
	h := http.Header{}
	if _, err := ParseHeaders(h); err == nil || err.Code != CodeUnauthenticated {
		t.Fatalf("no headers: %v", err)
	}
	for c, st := range map[Code]int{CodeTooLarge: 413, CodeRevoked: 401, CodeReplay: 409, CodeUnknownControl: 422, CodeUnavailable: 503, CodeMalformed: 400} {
		if c.Status() != st {
			t.Errorf("%s: %d", c, c.Status())
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(body(f, envelope("report-0001")))
	f.Add([]byte(`{"schema_version":1,"report_id":"report-0001","report":{"kind":"audit","controls":[{"id":"DO-1","status":"pass"}]}}`))
	f.Add([]byte(`[[[[[[`))
	f.Add([]byte(`{"report":{"findings":[{"check_id":"<script>"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := Decode(b, "report-0001", known)
		if err == nil {
			if env == nil || env.Report == nil || len(env.Report.Findings) > MaxFindings {
				t.Fatal("accepted envelope breaks invariants")
			}
			for id := range known {
				found := false
				for _, c := range env.Report.Controls {
					found = found || c.ID == id
				}
				if !found {
					t.Fatal("accepted partial report")
				}
			}
		} else if err.Code.Status() < 400 {
			t.Fatal("error without status")
		}
	})
}
