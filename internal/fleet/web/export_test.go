package web

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestExportCSV(t *testing.T) {
	c := newClient(t, newTestDashboard(t, newFixture(t)))
	c.login("viewer", "viewer-pw")
	resp, body := c.do("GET", "/export/hosts.csv", nil)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(resp.Header.Get("Content-Disposition"), "hosts.csv") {
		t.Fatalf("content type %q / %q", ct, resp.Header.Get("Content-Disposition"))
	}
	if !strings.HasPrefix(body, "\ufeff") {
		t.Error("CSV lacks the UTF-8 BOM Excel needs for Chinese")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if len(recs) != 1+3*12 {
		t.Fatalf("%d rows, want header + 3 hosts x 12 controls", len(recs))
	}
	var sawFormula, sawHostile bool
	for _, r := range recs[1:] {
		if r[1] == "'"+formulaHost {
			sawFormula = true
		}
		if strings.HasPrefix(r[1], "=") {
			t.Errorf("formula left live: %q", r[1])
		}
		if r[1] == hostileHost {
			sawHostile = true
			if r[10] != "unknown" {
				t.Errorf("stale host %s exported as %s, want unknown", r[9], r[10])
			}
		}
	}
	if !sawFormula || !sawHostile {
		t.Errorf("formula host defused: %v; hostile host kept verbatim: %v", sawFormula, sawHostile)
	}
	_, body = c.do("GET", "/export/findings.csv?check=CG-NET-001", nil)
	recs, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("findings CSV: %d rows, %v", len(recs), err)
	}
}

func TestExportJSONL(t *testing.T) {
	c := newClient(t, newTestDashboard(t, newFixture(t)))
	c.login("viewer", "viewer-pw")
	_, body := c.do("GET", "/export/hosts.jsonl?stale=no", nil)
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want the 2 fresh hosts", len(lines))
	}
	for _, l := range lines {
		var h HostRecord
		if err := json.Unmarshal([]byte(l), &h); err != nil {
			t.Fatalf("bad JSONL line %q: %v", l, err)
		}
		if len(h.Controls) != 12 {
			t.Errorf("%s: %d controls, want 12", h.ID, len(h.Controls))
		}
	}
	_, body = c.do("GET", "/export/findings.jsonl", nil)
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		var f FindingRecord
		if err := json.Unmarshal([]byte(l), &f); err != nil || f.CheckID == "" {
			t.Fatalf("bad findings line %q: %v", l, err)
		}
	}
}

func TestEvidenceBundle(t *testing.T) {
	c := newClient(t, newTestDashboard(t, newFixture(t)))
	tok := c.login("viewer", "viewer-pw")
	resp, body := c.do("POST", "/export/bundle", url.Values{"csrf": {tok}, "report": {"h1/r-0002", "h1/r-0001", "h2/r-0003"}})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("bundle: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	pub := testKey().Public().(ed25519.PublicKey)
	m, err := VerifyBundle([]byte(body), pub)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if len(m.Reports) != 3 || len(m.Files) != 7 || m.CreatedBy != "viewer" {
		t.Errorf("manifest: %d reports, %d files, by %q", len(m.Reports), len(m.Files), m.CreatedBy)
	}
	// The JSON in the bundle is the exact stored bytes.
	zr, _ := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
	src := newFixture(t)
	for _, f := range zr.File {
		if f.Name == m.Reports[0].JSON {
			rc, _ := f.Open()
			var b bytes.Buffer
			b.ReadFrom(rc)
			rc.Close()
			want, _ := src.Report(t.Context(), User{Role: RoleAdmin}, m.Reports[0].HostID, m.Reports[0].ID)
			if !bytes.Equal(b.Bytes(), want.Raw) {
				t.Error("bundle JSON differs from the stored report bytes")
			}
		}
	}

	// Tampering anywhere is caught.
	other, _, _ := ed25519.GenerateKey(nil)
	if _, err := VerifyBundle([]byte(body), other); err == nil {
		t.Error("bundle verified with the wrong key")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		data := b.Bytes()
		if strings.HasSuffix(f.Name, ".html") {
			data = append(data, []byte("<!-- edited -->")...)
		}
		w, _ := zw.Create(f.Name)
		w.Write(data)
	}
	zw.Close()
	if _, err := VerifyBundle(buf.Bytes(), pub); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("edited report not caught: %v", err)
	}

	// Out-of-scope and malformed picks are refused; no CSRF, no bundle.
	if resp, _ := c.do("POST", "/export/bundle", url.Values{"csrf": {tok}, "report": {"h1/r-0003"}}); resp.StatusCode != 404 {
		t.Errorf("report under the wrong host: %d, want 404", resp.StatusCode)
	}
	if resp, _ := c.do("POST", "/export/bundle", url.Values{"csrf": {tok}, "report": {"r-0003"}}); resp.StatusCode != 400 {
		t.Errorf("malformed pick: %d, want 400", resp.StatusCode)
	}
	if resp, _ := c.do("POST", "/export/bundle", url.Values{"report": {"h1/r-0001"}}); resp.StatusCode != 403 {
		t.Errorf("bundle without csrf: %d, want 403", resp.StatusCode)
	}
}

func TestWriteBundleDeterministic(t *testing.T) {
	src := newFixture(t)
	var a, b bytes.Buffer
	for _, w := range []*bytes.Buffer{&a, &b} {
		if err := WriteBundle(w, src.reports["h1"], testKey(), time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), "x"); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two bundles of the same reports at the same time differ")
	}
}

func TestDiff(t *testing.T) {
	src := newFixture(t)
	newer, older := src.reports["h1"][0].Report, src.reports["h1"][1].Report
	d := Diff(older, newer)
	if len(d.New) != 1 || d.New[0].CheckID != "CG-SKILL-002" || len(d.Resolved) != 1 || d.Resolved[0].CheckID != "CG-NET-001" {
		t.Errorf("diff findings: new %+v resolved %+v", d.New, d.Resolved)
	}
	var got []string
	for _, c := range d.Controls {
		got = append(got, c.ID+":"+c.From+">"+c.To)
	}
	if strings.Join(got, ",") != "DO-2:fail>pass,DO-4:pass>warn" {
		t.Errorf("diff controls = %v", got)
	}
	if !Diff(newer, newer).Empty() {
		t.Error("a report differs from itself")
	}
}

func TestHistoryCarriesForward(t *testing.T) {
	p := newPage(labelsFor("en"), "en", "")
	ctls := []controlInfo{{ID: "DO-1"}}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	_, rows := buildHistory(p, ctls, []HistoryEntry{{Day: day(11), Control: "DO-1", Status: "fail"}, {Day: day(13), Control: "DO-1", Status: "pass"}}, day(15), 6)
	var got []string
	for _, c := range rows[0].Cells {
		got = append(got, c.Status)
	}
	if strings.Join(got, ",") != "unknown,fail,fail,pass,pass,pass" {
		t.Errorf("history = %v", got)
	}
}

func TestTrendSVGGolden(t *testing.T) {
	src := newFixture(t)
	golden(t, "trend.en.svg", []byte(TrendSVG(src.trend, labelsFor("en"), "Trend")))
	golden(t, "trend.zh.svg", []byte(TrendSVG(src.trend[:3], labelsFor("zh"), `<趋势 & "x">`)))
	if TrendSVG(nil, labelsFor("en"), "x") != "" {
		t.Error("empty trend should render nothing")
	}
	s := string(TrendSVG([]TrendDay{{Day: fixedNow, Counts: map[string]int{"<b>new</b>": 2}}}, labelsFor("en"), "x"))
	if strings.Contains(s, "<b>") || !strings.Contains(s, "&lt;b&gt;new&lt;/b&gt;: 2") {
		t.Errorf("unknown status not escaped or dropped: %s", s)
	}
}
