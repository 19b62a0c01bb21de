package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/audit"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/fleet/agent"
	"github.com/clawgov/clawgov/internal/fleet/auth"
	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

func TestMain(m *testing.M) { os.Exit(sqldbtest.Main(m)) }

// clock is a settable server/agent clock shared by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t      *testing.T
	st     *store.SQL
	srv    *server.Server
	http   *httptest.Server
	clk    *clock
	admin  string
	viewer string
}

func setup(t *testing.T, db *sqldb.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	if _, err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := store.New(db)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	srv, err := server.New(server.Options{Store: st, StaleAfter: 3 * time.Hour, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	f := &fixture{t: t, st: st, srv: srv, http: hs, clk: clk, admin: auth.NewToken("cga_"), viewer: auth.NewToken("cga_")}
	for tok, role := range map[string]string{f.admin: "admin", f.viewer: "viewer"} {
		if err := st.CreateAPIToken(ctx, store.APIToken{ID: store.NewID(), TokenHash: store.HashToken(tok), Name: role, Role: role, CreatedAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) token(uses int) string { return enrollToken(f.t, f.st, f.clk.Now(), uses) }

// enrollToken creates an enrollment token valid for a day from at for
// uses enrollments and returns it.
func enrollToken(tb testing.TB, st *store.SQL, at time.Time, uses int) string {
	tb.Helper()
	tok := auth.NewToken("cge_")
	if err := st.CreateEnrollToken(context.Background(), store.EnrollToken{ID: store.NewID(), TokenHash: store.HashToken(tok), CreatedAt: at,
		ExpiresAt: at.Add(24 * time.Hour), MaxUses: uses}); err != nil {
		tb.Fatal(err)
	}
	return tok
}

func (f *fixture) get(tok, path string, out any) int {
	f.t.Helper()
	req, _ := http.NewRequest("GET", f.http.URL+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return resp.StatusCode
}

func facts(i int) wire.HostFacts {
	return wire.HostFacts{Hostname: fmt.Sprintf("host-%02d", i), MachineFP: fmt.Sprintf("machine-%02d", i), BootID: "boot-1", Addresses: []string{fmt.Sprintf("10.1.0.%d", i)}}
}

// auditFixture audits one of the posture test configurations as its own
// deployment (a state directory with that openclaw.json).
func auditFixture(t testing.TB, cfg string) *report.Report {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "openclaw.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Run(context.Background(), audit.Options{StateDir: dir, ConfigPath: filepath.Join(dir, "openclaw.json"), Lang: catalog.EN,
		Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatalf("audit %s: %v", cfg, err)
	}
	return rep
}

func enrollAgent(t *testing.T, f *fixture, tok string, i int) *agent.Agent {
	t.Helper()
	a, err := agent.Enroll(context.Background(), t.TempDir(), f.http.URL, tok, "", facts(i))
	if err != nil {
		t.Fatalf("enroll %d: %v", i, err)
	}
	a.Now = f.clk.Now
	return a
}

func push(t *testing.T, a *agent.Agent, rep *report.Report, fx wire.HostFacts) string {
	t.Helper()
	id := agent.NewReportID(a.Now())
	body, err := agent.Envelope(rep, fx, id, a.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Spool(id, body); err != nil {
		t.Fatal(err)
	}
	res, err := a.Flush(context.Background())
	if err != nil || len(res.Sent) != 1 || res.Sent[0] != id {
		t.Fatalf("flush: %+v %v", res, err)
	}
	return id
}

func TestFleetEndToEnd(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		cfgs, _ := filepath.Glob("../../posture/testdata/openclaw-audit/*.json5")
		sort.Strings(cfgs)
		if len(cfgs) < 12 {
			t.Fatalf("want 12 fixture deployments, found %d", len(cfgs))
		}
		cfgs = cfgs[:12]
		tok := f.token(12)
		want := map[string]map[string]int{}
		var agents []*agent.Agent
		var reports []*report.Report
		for i, cfg := range cfgs {
			rep := auditFixture(t, cfg)
			a := enrollAgent(t, f, tok, i)
			push(t, a, rep, facts(i))
			agents, reports = append(agents, a), append(reports, rep)
			for _, c := range rep.Controls {
				if want[c.ID] == nil {
					want[c.ID] = map[string]int{}
				}
				want[c.ID][string(c.Status)]++
			}
		}
		// The enrollment token is used up.
		if _, err := agent.Enroll(context.Background(), t.TempDir(), f.http.URL, tok, "", facts(99)); err == nil || !strings.Contains(err.Error(), "token_invalid") {
			t.Fatalf("13th enrollment: %v", err)
		}

		var sum store.Summary
		if st := f.get(f.viewer, "/api/v1/summary", &sum); st != 200 {
			t.Fatalf("summary %d", st)
		}
		if sum.Hosts != 12 || sum.Stale != 0 || len(sum.Controls) != 12 {
			t.Fatalf("summary: %+v", sum)
		}
		distinct := map[string]bool{}
		for id, m := range sum.Controls {
			for _, st := range store.Statuses {
				if m[st] != want[id][st] {
					t.Errorf("%s %s: server %d, audits %d", id, st, m[st], want[id][st])
				}
				if m[st] > 0 {
					distinct[id+st] = true
				}
			}
		}
		if len(distinct) <= 12 {
			t.Errorf("fixtures give no variety (%d control/status pairs); the comparison proves little", len(distinct))
		}
		var hl struct{ Hosts []server.HostJSON }
		f.get(f.viewer, "/api/v1/hosts", &hl)
		if len(hl.Hosts) != 12 {
			t.Fatalf("hosts: %d", len(hl.Hosts))
		}
		for _, h := range hl.Hosts {
			if h.LastSeen == nil || h.LastReport == nil || h.Stale || len(h.Controls) != 12 || h.CloneSuspect {
				t.Fatalf("host %+v", h)
			}
		}
		// Findings across the fleet match the reports' findings.
		nf := 0
		for _, r := range reports {
			seen := map[string]bool{}
			for _, x := range r.Findings {
				if !seen[x.Fingerprint] {
					seen[x.Fingerprint] = true
					nf++
				}
			}
		}
		var fl struct{ Findings []map[string]any }
		f.get(f.viewer, "/api/v1/findings", &fl)
		if len(fl.Findings) != nf {
			t.Errorf("findings: server %d, reports %d", len(fl.Findings), nf)
		}
		if len(fl.Findings) > 0 {
			check := fl.Findings[0]["check_id"].(string)
			var one struct{ Findings []map[string]any }
			f.get(f.viewer, "/api/v1/findings?check="+check, &one)
			for _, x := range one.Findings {
				if x["check_id"] != check {
					t.Fatalf("filter by check leaked %v", x["check_id"])
				}
			}
		}
		var hr struct{ Reports []map[string]any }
		f.get(f.viewer, "/api/v1/hosts/"+agents[0].State.HostID+"/reports", &hr)
		if len(hr.Reports) != 1 {
			t.Fatalf("reports: %+v", hr)
		}

		// Stale: the hosts stop reporting; their controls go unknown.
		f.clk.Add(4 * time.Hour)
		f.get(f.viewer, "/api/v1/summary", &sum)
		if sum.Stale != 12 {
			t.Fatalf("stale: %+v", sum)
		}
		for id, m := range sum.Controls {
			if m["unknown"] != 12 {
				t.Fatalf("%s after stale window: %v", id, m)
			}
		}
		var h0 server.HostJSON
		f.get(f.viewer, "/api/v1/hosts/"+agents[0].State.HostID, &h0)
		if !h0.Stale || h0.Controls["DO-1"] != "unknown" {
			t.Fatalf("stale host: %+v", h0)
		}
		// One host reports again: it alone is fresh.
		push(t, agents[0], reports[0], facts(0))
		f.get(f.viewer, "/api/v1/summary", &sum)
		if sum.Stale != 11 {
			t.Fatalf("after one fresh report: %+v", sum)
		}

		// Clone: host 1's agent directory copied to another machine; the
		// two take turns reporting with the same key.
		clone := *agents[1]
		other := facts(50)
		push(t, agents[1], reports[1], facts(1))
		push(t, &clone, reports[1], other)
		var h1 server.HostJSON
		f.get(f.viewer, "/api/v1/hosts/"+agents[1].State.HostID, &h1)
		if h1.CloneSuspect {
			t.Fatalf("flagged after one change")
		}
		push(t, agents[1], reports[1], facts(1))
		f.get(f.viewer, "/api/v1/hosts/"+agents[1].State.HostID, &h1)
		if !h1.CloneSuspect || h1.CloneReason == "" {
			t.Fatalf("clone not flagged: %+v", h1)
		}
		// ... and not merged: still 12 hosts.
		f.get(f.viewer, "/api/v1/hosts", &hl)
		if len(hl.Hosts) != 12 {
			t.Fatalf("hosts after clone: %d", len(hl.Hosts))
		}

		// Viewers read only.
		req, _ := http.NewRequest("POST", f.http.URL+"/api/v1/hosts/"+agents[2].State.HostID+"/revoke", nil)
		req.Header.Set("Authorization", "Bearer "+f.viewer)
		resp, _ := http.DefaultClient.Do(req)
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Fatalf("viewer revoke: %d", resp.StatusCode)
		}
		req.Header.Set("Authorization", "Bearer "+f.admin)
		resp, _ = http.DefaultClient.Do(req)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("admin revoke: %d", resp.StatusCode)
		}
		// A revoked host's key is refused with its own code.
		id := agent.NewReportID(f.clk.Now())
		body, _ := agent.Envelope(reports[2], facts(2), id, f.clk.Now())
		ack, err := agents[2].Send(context.Background(), id, body)
		if err != nil || ack.Status != 401 || ack.Err == nil || ack.Err.Code != wire.CodeRevoked {
			t.Fatalf("revoked: %+v %v", ack, err)
		}

		// Unmanaged: discover uploads two gateways; the one on host 3's
		// address is managed.
		up := `{"gateways":[{"address":"10.1.0.3:18789"},{"address":"10.9.9.9:18789","version":"<script>alert(1)</script>"}]}`
		req, _ = http.NewRequest("POST", f.http.URL+wire.PathGateways, strings.NewReader(up))
		req.Header.Set("Authorization", "Bearer "+f.admin)
		resp, _ = http.DefaultClient.Do(req)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("upload: %d", resp.StatusCode)
		}
		var um struct{ Unmanaged []map[string]any }
		f.get(f.viewer, "/api/v1/unmanaged", &um)
		if len(um.Unmanaged) != 1 || um.Unmanaged[0]["ip"] != "10.9.9.9" {
			t.Fatalf("unmanaged: %+v", um)
		}

		// Health, readiness, metrics, OpenAPI.
		if st := f.get("", "/healthz", nil); st != 200 {
			t.Fatal(st)
		}
		if st := f.get("", "/readyz", nil); st != 200 {
			t.Fatal(st)
		}
		var doc map[string]any
		if st := f.get("", "/api/v1/openapi.json", &doc); st != 200 || doc["openapi"] == nil {
			t.Fatal(st)
		}
		req, _ = http.NewRequest("GET", f.http.URL+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+f.viewer)
		resp, _ = http.DefaultClient.Do(req)
		mb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(mb, []byte(`clawgov_fleet_agent_requests_total{code="accepted"}`)) || !bytes.Contains(mb, []byte("clawgov_fleet_hosts 11")) {
			t.Fatalf("metrics:\n%s", mb)
		}
		if st := f.get("", "/api/v1/summary", nil); st != 401 {
			t.Fatalf("unauthenticated summary: %d", st)
		}
	})
}

// TestIngestRejects sends each kind of bad request and checks its
// documented status and code, and that nothing was stored.
func TestIngestRejects(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		a := enrollAgent(t, f, f.token(1), 1)
		_, stranger, _ := ed25519.GenerateKey(nil)
		cat, _ := catalog.Default()
		good := func(id string) *wire.Envelope {
			rep := &report.Report{SchemaVersion: report.SchemaVersion, Kind: "audit", Profile: "miit-2026"}
			for _, c := range cat.Controls {
				rep.Controls = append(rep.Controls, report.ControlResult{ID: c.ID, Status: "pass"})
			}
			return &wire.Envelope{SchemaVersion: 1, ReportID: id, Host: facts(1), Report: rep}
		}
		enc := func(e *wire.Envelope) []byte { b, _ := json.Marshal(e); return b }
		type tc struct {
			name   string
			build  func() *http.Request
			status int
			code   wire.Code
		}
		signed := func(key ed25519.PrivateKey, at time.Time, id string, body []byte) *http.Request {
			req, _ := http.NewRequest("POST", f.http.URL+wire.PathReports, bytes.NewReader(body))
			wire.Sign(req, key, at, id, body)
			return req
		}
		now := f.clk.Now
		// A stored report to replay against.
		first := enc(good("report-first"))
		resp, err := http.DefaultClient.Do(signed(a.Key, now(), "report-first", first))
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("first: %v %v", resp, err)
		}
		resp.Body.Close()
		sqlish := good("report-sqlhtml")
		sqlish.Host.Hostname = "'); DROP TABLE fleet_hosts; --<script>"
		sqlish.Report.Controls[0].ID = "<b>DO-1</b>"
		cases := []tc{
			{"unauthenticated", func() *http.Request {
				r, _ := http.NewRequest("POST", f.http.URL+wire.PathReports, bytes.NewReader(enc(good("report-unauth"))))
				return r
			}, 401, wire.CodeUnauthenticated},
			{"unknown host", func() *http.Request { return signed(stranger, now(), "report-stranger", enc(good("report-stranger"))) }, 401, wire.CodeUnknownHost},
			{"wrong signature", func() *http.Request {
				r := signed(a.Key, now(), "report-badsig", enc(good("report-badsig")))
				r.Header.Set(wire.HeaderSignature, signed(stranger, now(), "report-badsig", enc(good("report-badsig"))).Header.Get(wire.HeaderSignature))
				return r
			}, 401, wire.CodeBadSignature},
			{"future timestamp", func() *http.Request {
				return signed(a.Key, now().Add(time.Hour), "report-future", enc(good("report-future")))
			}, 401, wire.CodeClockSkew},
			{"old captured request", func() *http.Request {
				return signed(a.Key, now().Add(-time.Hour), "report-old", enc(good("report-old")))
			}, 401, wire.CodeClockSkew},
			{"replay with other content", func() *http.Request {
				e := good("report-first")
				e.Report.Controls[0].Status = "fail"
				return signed(a.Key, now(), "report-first", enc(e))
			}, 409, wire.CodeReplay},
			{"body differs from signed digest", func() *http.Request {
				r := signed(a.Key, now(), "report-digest", enc(good("report-digest")))
				b := enc(good("report-digest"))
				b[len(b)-2] = ' '
				r.Body = io.NopCloser(bytes.NewReader(b))
				return r
			}, 400, wire.CodeDigestMismatch},
			{"100 MB body", func() *http.Request {
				r := signed(a.Key, now(), "report-huge", []byte("x"))
				r.Body = io.NopCloser(io.LimitReader(zeros{}, 100<<20))
				r.ContentLength = 100 << 20
				return r
			}, 413, wire.CodeTooLarge},
			{"malformed JSON", func() *http.Request { return signed(a.Key, now(), "report-malformed", []byte(`{"schema_version":1,`)) }, 400, wire.CodeMalformed},
			{"unknown control IDs", func() *http.Request {
				e := good("report-unknownctl")
				e.Report.Controls[0].ID = "DO-99"
				return signed(a.Key, now(), "report-unknownctl", enc(e))
			}, 422, wire.CodeUnknownControl},
			{"partial report", func() *http.Request {
				e := good("report-partial")
				e.Report.Controls = e.Report.Controls[:5]
				return signed(a.Key, now(), "report-partial", enc(e))
			}, 422, wire.CodeIncomplete},
			{"compact report naming other catalog texts", func() *http.Request {
				e := good("report-othertexts")
				e.SchemaVersion, e.Texts = 2, strings.Repeat("ab", 32)
				return signed(a.Key, now(), "report-othertexts", enc(e))
			}, 422, wire.CodeTextsUnknown},
			{"compact report passing a check the catalog lacks", func() *http.Request {
				own, _ := wire.OwnTexts()
				e := good("report-badpassed")
				e.SchemaVersion, e.Texts, e.PassedChecks = 2, own.Digest, []string{"CG-NOPE-999"}
				return signed(a.Key, now(), "report-badpassed", enc(e))
			}, 400, wire.CodeMalformed},
			{"SQL and HTML strings", func() *http.Request { return signed(a.Key, now(), "report-sqlhtml", enc(sqlish)) }, 422, wire.CodeUnknownControl},
			{"report ID injection", func() *http.Request {
				r := signed(a.Key, now(), "x", enc(good("x")))
				r.Header.Set(wire.HeaderReportID, "'; DROP TABLE fleet_reports; --")
				return r
			}, 400, wire.CodeMalformed},
		}
		for _, c := range cases {
			resp, err := http.DefaultClient.Do(c.build())
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			e := wire.ReadError(b)
			if resp.StatusCode != c.status || e == nil || e.Code != c.code {
				t.Errorf("%s: got %d %s, want %d %s", c.name, resp.StatusCode, b, c.status, c.code)
			}
		}
		// Nothing but the first report was stored.
		reps, err := f.st.ListReports(context.Background(), a.State.HostID, store.ScopeAll, 0)
		if err != nil || len(reps) != 1 || reps[0].ReportID != "report-first" {
			t.Fatalf("stored: %+v %v", reps, err)
		}
		h, _ := f.st.Host(context.Background(), a.State.HostID, store.ScopeAll)
		if h.Hostname != "host-01" || h.Controls["DO-1"] != "pass" {
			t.Fatalf("host changed by a rejected report: %+v", h)
		}
		// The identical request again is idempotent: 200 with the receipt.
		resp, _ = http.DefaultClient.Do(signed(a.Key, now(), "report-first", first))
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"duplicate": true`)) {
			t.Fatalf("duplicate: %d %s", resp.StatusCode, b)
		}
		if reps, _ := f.st.ListReports(context.Background(), a.State.HostID, store.ScopeAll, 0); len(reps) != 1 {
			t.Fatalf("duplicate stored twice")
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}
