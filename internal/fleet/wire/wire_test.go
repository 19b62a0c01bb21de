package wire

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/audit"
	"github.com/clawgov/clawgov/internal/catalog"
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

// decodeV1 is the reference: encoding/json with unknown fields refused, the
// decoder the dashboard reads stored bodies with.
func decodeV1(b []byte) (*Envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var env Envelope
	if err := dec.Decode(&env); err != nil {
		return nil, err
	}
	return &env, nil
}

// matchesV1 checks that a body Decode accepts decodes the same with the
// v1 decoder (so every stored report renders in the dashboard).
func matchesV1(t *testing.T, b []byte) {
	t.Helper()
	env, werr := Decode(b, "report-0001", known)
	if werr != nil {
		return
	}
	ref, err := decodeV1(b)
	if err != nil {
		t.Fatalf("Decode accepted what encoding/json refuses: %v", err)
	}
	ref.Cap(MaxFindings)
	if ref.FindingsTotal < env.FindingsTotal {
		ref.FindingsTotal = env.FindingsTotal
	}
	if !reflect.DeepEqual(env, ref) {
		t.Fatalf("v2 and v1 decodes differ:\n%+v\n%+v", env.Report, ref.Report)
	}
}

// TestDecodeMatchesV1 decodes real audit reports of the posture fixtures
// both ways.
func TestDecodeMatchesV1(t *testing.T) {
	cfgs, _ := filepath.Glob("../../posture/testdata/openclaw-audit/*.json5")
	if len(cfgs) < 3 {
		t.Fatalf("want posture fixtures, got %d", len(cfgs))
	}
	all := map[string]bool{}
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cat.Controls {
		all[c.ID] = true
	}
	for _, cfg := range cfgs {
		dir := t.TempDir()
		raw, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "openclaw.json"), raw, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Run(context.Background(), audit.Options{StateDir: dir, ConfigPath: filepath.Join(dir, "openclaw.json"), Lang: catalog.EN,
			Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatalf("audit %s: %v", cfg, err)
		}
		e := &Envelope{SchemaVersion: 1, ReportID: "report-0001", CollectedAt: time.Now().UTC(), Host: HostFacts{Hostname: "h<script>", MachineFP: "m", BootID: "b"}, Report: rep}
		b := body(t, e)
		env, werr := Decode(b, "report-0001", all)
		if werr != nil {
			t.Fatalf("%s: %v", cfg, werr)
		}
		ref, err := decodeV1(b)
		if err != nil {
			t.Fatal(err)
		}
		ref.Cap(MaxFindings)
		if !reflect.DeepEqual(env, ref) {
			t.Fatalf("%s: v2 and v1 decodes differ", cfg)
		}
	}
	// v2 is stricter where v1 is lax: a case-folded member name and a
	// duplicate member are refused, not silently merged.
	ok := string(body(t, envelope("report-0001")))
	for name, b := range map[string]string{
		"case-folded": strings.Replace(ok, `"report_id"`, `"Report_ID"`, 1),
		"duplicate":   strings.Replace(ok, `"schema_version":1,`, `"schema_version":1,"schema_version":1,`, 1),
	} {
		if _, err := Decode([]byte(b), "report-0001", known); err == nil || err.Code != CodeMalformed {
			t.Errorf("%s: got %v, want malformed", name, err)
		}
	}
}

// TestDecodePresizedLists: the decoder starts the report's lists with room
// to spare; a list the body leaves out must still decode to nil, and []
// and null to what a fresh decode gives, for every list given room.
func TestDecodePresizedLists(t *testing.T) {
	ok := body(t, envelope("report-0001"))
	for _, member := range []string{"controls", "checks", "findings"} {
		for form, want := range map[string]string{"absent": "nil", "[]": "empty", "null": "nil"} {
			var doc map[string]any
			if err := json.Unmarshal(ok, &doc); err != nil {
				t.Fatal(err)
			}
			rep := doc["report"].(map[string]any)
			switch form {
			case "absent":
				delete(rep, member)
			case "[]":
				rep[member] = []any{}
			case "null":
				rep[member] = nil
			}
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			matchesV1(t, b)
			env, werr := Decode(b, "report-0001", known)
			if member == "controls" {
				// A report without its controls is refused, never stored.
				if werr == nil || werr.Code != CodeIncomplete {
					t.Errorf("controls %s: got %v, want incomplete", form, werr)
				}
				continue
			}
			if werr != nil {
				t.Fatalf("%s %s: %v", member, form, werr)
			}
			var n int
			var isNil bool
			switch member {
			case "checks":
				n, isNil = len(env.Report.Checks), env.Report.Checks == nil
			case "findings":
				n, isNil = len(env.Report.Findings), env.Report.Findings == nil
			}
			if got := map[bool]string{true: "nil", false: "empty"}[isNil]; n != 0 || got != want {
				t.Errorf("%s %s: got %d elements, %s; want %s", member, form, n, got, want)
			}
		}
	}
}

func FuzzDecodeMatchesV1(f *testing.F) {
	f.Add(body(f, envelope("report-0001")))
	f.Add([]byte(`{"schema_version":1,"report_id":"report-0001","collected_at":null,"host":{"hostname":"h"},"report":{"schema_version":1,"kind":"audit","controls":[{"id":"DO-1","status":"pass"},{"id":"DONT-1","status":"fail"}],"findings":[{"severity":"high"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) { matchesV1(t, b) })
}

// checkShapeRef is the plain byte-by-byte scan checkShape must agree with.
func checkShapeRef(body []byte) error {
	depth, strLen := 0, 0
	inStr, esc := false, false
	for _, c := range body {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
				continue
			}
			strLen++
			if strLen > maxString {
				return errors.New("long string")
			}
			continue
		}
		switch c {
		case '"':
			inStr, strLen = true, 0
		case '{', '[':
			depth++
			if depth > maxDepth {
				return errors.New("deep")
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

func TestCheckShape(t *testing.T) {
	long := `"` + strings.Repeat("a", maxString+1) + `"`
	cases := map[string]bool{ // body -> rejected
		`{"a":"x"}`: false,
		long:        true,
		`"` + strings.Repeat("a", maxString) + `"`:                            false,
		`"` + strings.Repeat(`\\`, maxString/2) + `"`:                         false,
		`"` + strings.Repeat(`\"`, maxString/2) + `a"`:                        true,
		`["` + strings.Repeat("[", 100) + `"]`:                                false, // brackets in a string are text
		`["\"` + strings.Repeat("[", 100) + `"]`:                              false,
		`["\\"` + strings.Repeat(",[", 40) + strings.Repeat("]", 40) + `]`:    true, // \\ ends the string
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth):         false,
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1):     true,
		`{"k":"` + strings.Repeat("x", 10) + `\\\"` + strings.Repeat("[", 50): false, // unterminated: left to the decoder
	}
	for b, reject := range cases {
		if got := checkShape([]byte(b)) != nil; got != reject {
			t.Errorf("checkShape(%.40q...) rejected=%v, want %v", b, got, reject)
		}
		if json.Valid([]byte(b)) && (checkShapeRef([]byte(b)) != nil) != reject {
			t.Errorf("reference disagrees on %.40q", b)
		}
	}
}

// FuzzCheckShape: on valid JSON the fast scan and the byte-by-byte scan
// agree.
func FuzzCheckShape(f *testing.F) {
	f.Add([]byte(`{"a":["b\"[[",{"c":"\\"}]}`))
	f.Add([]byte(`[[[["\\\\"]]]]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := checkShape(b) != nil
		if json.Valid(b) && got != (checkShapeRef(b) != nil) {
			t.Fatalf("checkShape=%v, reference=%v", got, !got)
		}
	})
}
