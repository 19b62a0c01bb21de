package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/agent"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/fleet/web"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/output"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

func html(t *testing.T, r *report.Report) string {
	t.Helper()
	var b strings.Builder
	if err := (output.HTMLWriter{}).Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestCompactReportStoredAndRendered: an agent sends a real audit report
// compact; the server stores exactly the signed compact bytes, keeps its
// catalog texts in the database, and the dashboard renders the stored
// report to the same HTML as the report the agent audited.
func TestCompactReportStoredAndRendered(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		a := enrollAgent(t, f, f.token(1), 1)
		cfgs, _ := filepath.Glob("../../posture/testdata/openclaw-audit/lanweak.json5")
		rep := auditFixture(t, cfgs[0])
		id := push(t, a, rep, facts(1))
		req, _ := http.NewRequest("GET", f.http.URL+"/api/v1/hosts/"+a.State.HostID+"/reports/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+f.viewer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		own, _ := wire.OwnTexts()
		var env wire.Envelope
		if err := json.Unmarshal(raw, &env); err != nil || env.Texts != own.Digest || env.SchemaVersion != 2 {
			t.Fatalf("stored envelope is not the compact one: %v texts=%q", err, env.Texts)
		}
		if wire.Digest(raw) != resp.Header.Get(wire.HeaderDigest) {
			t.Fatal("stored bytes are not the signed ones")
		}
		if v, err := f.st.Setting(context.Background(), wire.TextsSetting(own.Digest)); err != nil || v != string(own.JSON) {
			t.Fatalf("catalog texts not kept: %v", err)
		}
		// The fleet findings view keeps the titles and controls the compact
		// report left to the catalog.
		fs, err := f.st.Findings(context.Background(), store.FindingFilter{Scope: store.ScopeAll})
		if err != nil || len(fs) == 0 {
			t.Fatalf("findings: %d %v", len(fs), err)
		}
		byFP := map[string]store.Finding{}
		for _, x := range fs {
			byFP[x.Fingerprint] = x
		}
		for _, x := range rep.Findings {
			got, ok := byFP[x.Fingerprint]
			if !ok || got.Title != x.Title || strings.Join(got.Controls, ",") != strings.Join(x.Controls, ",") {
				t.Errorf("stored finding %s: title %q controls %v, want %q %v", x.CheckID, got.Title, got.Controls, x.Title, x.Controls)
			}
		}
		src := &web.StoreSource{Store: f.st, ControlIDs: f.srv.ControlIDs()}
		sr, err := src.Report(context.Background(), web.User{Role: "admin"}, a.State.HostID, id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sr.Raw, raw) {
			t.Error("dashboard's raw report differs from the stored bytes")
		}
		// The agent's report went through Cap and JSON; compare like with like.
		var want report.Report
		b, _ := json.Marshal(rep)
		_ = json.Unmarshal(b, &want)
		got := html(t, sr.Report)
		if !strings.Contains(got, want.Checks[0].Title) || !strings.Contains(got, want.Controls[0].Description) {
			t.Error("rendered report lacks the catalog texts")
		}
		if got != html(t, &want) {
			t.Error("stored compact report renders differently from the audited report")
		}
		// The evidence bundle carries the texts the compact JSON leaves out.
		_, key, _ := ed25519.GenerateKey(nil)
		var zb bytes.Buffer
		if err := web.WriteBundle(&zb, []web.StoredReport{sr}, key, time.Now(), "admin"); err != nil {
			t.Fatal(err)
		}
		m, err := web.VerifyBundle(zb.Bytes(), key.Public().(ed25519.PublicKey))
		if err != nil || len(m.Reports) != 1 || m.Reports[0].Texts == "" {
			t.Fatalf("bundle: %v %+v", err, m)
		}
		zr, _ := zip.NewReader(bytes.NewReader(zb.Bytes()), int64(zb.Len()))
		for _, zf := range zr.File {
			if zf.Name == m.Reports[0].Texts {
				rc, _ := zf.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				if _, err := wire.DecodeTexts(b, env.Texts); err != nil {
					t.Errorf("bundle texts: %v", err)
				}
			}
		}
	})
}

// TestCompactTextsOfAnotherBuild: a stored compact report naming texts a
// server of another build kept renders with those texts, not this
// build's; texts nobody kept make the report an error, not a page
// without its texts.
func TestCompactTextsOfAnotherBuild(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		a := enrollAgent(t, f, f.token(1), 1)
		rep := minimalReport(t)
		own, _ := wire.OwnTexts()
		var other wire.Texts
		_ = json.Unmarshal(own.JSON, &other)
		ctl := rep.Controls[0].ID
		ct := other.Controls[ctl]
		ct.Description.EN, ct.Description.ZH = "older wording", "older wording"
		other.Controls[ctl] = ct
		data, digest, _ := other.Encode()
		rep.Controls[0].Description = ""
		for i, d := range []string{digest, strings.Repeat("cd", 32)} {
			env := wire.Envelope{SchemaVersion: 2, ReportID: "report-other-" + string(rune('a'+i)), Host: facts(1), Texts: d, Report: rep}
			body, _ := json.Marshal(env)
			if _, err := f.st.Ingest(ctx, store.IngestParams{HostID: a.State.HostID, ReportID: env.ReportID, ReceivedAt: f.clk.Now(), CollectedAt: f.clk.Now(),
				ContentSHA256: wire.Digest(body), Signature: "s", KeyFP: a.State.KeyFP, Body: body, Hostname: "host-01", Controls: map[string]string{}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.st.PutSetting(ctx, wire.TextsSetting(digest), string(data)); err != nil {
			t.Fatal(err)
		}
		src := &web.StoreSource{Store: f.st, ControlIDs: f.srv.ControlIDs()}
		sr, err := src.Report(ctx, web.User{Role: "admin"}, a.State.HostID, "report-other-a")
		if err != nil {
			t.Fatal(err)
		}
		if got := sr.Report.Controls[0].Description; got != "older wording" {
			t.Errorf("control description %q, want the other build's text", got)
		}
		if _, err := src.Report(ctx, web.User{Role: "admin"}, a.State.HostID, "report-other-b"); err == nil {
			t.Error("report naming unknown texts rendered")
		}
	})
}

// TestAgentFallsBackToFullReport: a server that does not take compact
// reports (an older one answers schema_unsupported) gets the full report
// under the same ID, once.
func TestAgentFallsBackToFullReport(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		a := enrollAgent(t, f, f.token(1), 1)
		refused := 0
		old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == wire.PathReports {
				b, _ := io.ReadAll(r.Body)
				if bytes.Contains(b, []byte(`"schema_version":2`)) {
					refused++
					wire.WriteError(w, wire.Errorf(wire.CodeUnsupported, "envelope schema_version 2 (want 1)"))
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
			f.srv.Handler().ServeHTTP(w, r)
		}))
		defer old.Close()
		a.State.Server = old.URL
		cfgs, _ := filepath.Glob("../../posture/testdata/openclaw-audit/lanweak.json5")
		rep := auditFixture(t, cfgs[0])
		id := agent.NewReportID(a.Now())
		body, _ := agent.Envelope(rep, facts(1), id, a.Now())
		ack, err := a.Send(context.Background(), id, body)
		if err != nil || !ack.Acknowledged() || refused != 1 {
			t.Fatalf("send: %+v %v (refused %d)", ack, err, refused)
		}
		sr, err := f.st.Report(context.Background(), a.State.HostID, id, store.ScopeAll)
		if err != nil {
			t.Fatal(err)
		}
		var env wire.Envelope
		if err := json.Unmarshal(sr.Body, &env); err != nil || env.SchemaVersion != 1 || env.Texts != "" || env.Report.Checks[0].Title == "" {
			t.Fatalf("stored report is not the full one: %v", err)
		}
	})
}
