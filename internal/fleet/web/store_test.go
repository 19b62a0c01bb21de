package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/fleet/auth"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

func TestMain(m *testing.M) { os.Exit(sqldbtest.Main(m)) }

// seedStore enrolls hosts and ingests real reports into a real store.
func seedStore(t *testing.T, db *sqldb.DB) *store.SQL {
	t.Helper()
	ctx := context.Background()
	if _, err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	s := store.New(db)
	for _, u := range []struct{ name, pw, role string }{{"admin", "admin-pw", RoleAdmin}, {"viewer", "viewer-pw", RoleViewer}} {
		h, err := auth.HashPassword(u.pw)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, store.User{ID: store.NewID(), Name: u.name, Role: u.role, PasswordHash: h, CreatedAt: fixedNow}); err != nil {
			t.Fatal(err)
		}
	}
	tok := store.HashToken("enroll")
	if err := s.CreateEnrollToken(ctx, store.EnrollToken{ID: "t1", TokenHash: tok, CreatedAt: fixedNow.Add(-100 * time.Hour), ExpiresAt: fixedNow, MaxUses: 10}); err != nil {
		t.Fatal(err)
	}
	netFail := finding.Finding{CheckID: "CG-NET-001", Severity: finding.Critical, Status: finding.Fail, MessageKey: "bind",
		Params: map[string]string{"bind": "0.0.0.0", "port": "18789", "auth": "none"}}
	for i, h := range []struct {
		id, name string
		at       time.Time
		fs       []finding.Finding
	}{
		{"h1", "gw-01.example", fixedNow.Add(-time.Hour), nil},
		{"h2", hostileHost, fixedNow.Add(-30 * time.Hour), []finding.Finding{netFail}},
		{"h3", "old.example", fixedNow.Add(-90 * time.Hour), []finding.Finding{netFail}},
	} {
		if _, err := s.EnrollHost(ctx, store.EnrollParams{TokenHash: tok, HostID: h.id, PublicKey: []byte("k" + h.id), KeyFP: "fp-" + h.id,
			Hostname: h.name, MachineFP: "m-" + h.id, BootID: "b", Addresses: []string{"10.0.0." + string(rune('1'+i))}, At: fixedNow.Add(-95 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		r := buildReport(t, h.name, "2026.2.0", h.at, h.fs)
		body, _ := json.Marshal(r)
		ctl := controlsOf(r)
		var sf []store.Finding
		for _, f := range r.Findings {
			sf = append(sf, store.Finding{HostID: h.id, Hostname: h.name, Fingerprint: f.Fingerprint, CheckID: f.CheckID, Controls: f.Controls,
				Severity: f.Severity.String(), Status: string(f.Status), Title: f.Title, Message: f.Message})
		}
		if _, err := s.Ingest(ctx, store.IngestParams{HostID: h.id, ReportID: "r-" + h.id, ReceivedAt: h.at, CollectedAt: h.at, ContentSHA256: "x" + h.id,
			Signature: "sig", KeyFP: "fp-" + h.id, Body: body, Hostname: h.name, MachineFP: "m-" + h.id, BootID: "b", Profile: "miit-2026",
			OpenClaw: "2026.2.0", Controls: ctl, Findings: sf, FindingsTotal: len(sf)}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func storeDashboard(t *testing.T, s store.Store) *Dashboard {
	t.Helper()
	cat := testCatalog(t)
	var ids []string
	for _, c := range cat.Controls {
		ids = append(ids, c.ID)
	}
	src := &StoreSource{Store: s, StaleAfter: 48 * time.Hour, ControlIDs: ids, Now: func() time.Time { return fixedNow }}
	d, err := New(Options{Source: src, Users: src, Sessions: src, Catalog: cat, BundleKey: testKey(),
		Now: func() time.Time { return fixedNow }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDashboardOverStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := seedStore(t, db)
		a, b := newClient(t, storeDashboard(t, s)), newClient(t, storeDashboard(t, s))
		tok := a.login("admin", "admin-pw")

		_, page := a.do("GET", "/", nil)
		// Three hosts, h3 stale: its controls count unknown.
		for _, want := range []string{"<b>3</b><span>Hosts</span>", "<b>1</b><span>Stale</span>"} {
			if !strings.Contains(page, want) {
				t.Errorf("overview lacks %q", want)
			}
		}
		_, page = a.do("GET", "/hosts?control=DO-2&status=fail", nil)
		if !strings.Contains(page, "&lt;script&gt;") || strings.Contains(page, "old.example") || strings.Contains(page, "gw-01.example") {
			t.Errorf("hosts failing DO-2 should be exactly the hostile-named h2")
		}
		_, page = a.do("GET", "/hosts/h3", nil)
		if strings.Contains(page, `class="cell fail"`) || !strings.Contains(page, `class="cell unknown"`) {
			t.Error("stale h3 shows its old fail instead of unknown")
		}
		resp, page := a.do("GET", "/hosts/h2/reports/r-h2", nil)
		if resp.StatusCode != 200 || !strings.Contains(page, "DONT-2") || strings.Contains(page, `<script>alert("h")`) {
			t.Errorf("report HTML: %d", resp.StatusCode)
		}
		if resp, _ := a.do("GET", "/hosts/h1/reports/r-h2", nil); resp.StatusCode != 404 {
			t.Errorf("report through another host: %d, want 404", resp.StatusCode)
		}
		_, page = a.do("GET", "/findings?check=CG-NET-001", nil)
		if !strings.Contains(page, "old.example") || !strings.Contains(page, "&lt;script&gt;") {
			t.Error("findings for CG-NET-001 should list h2 and h3")
		}

		// The session lives in the database: server B accepts A's cookie.
		u, _ := url.Parse(a.srv.URL)
		ub, _ := url.Parse(b.srv.URL)
		b.http.Jar.SetCookies(ub, a.http.Jar.Cookies(u))
		if resp, _ := b.do("GET", "/hosts", nil); resp.StatusCode != 200 {
			t.Errorf("server B with A's session: %d, want 200", resp.StatusCode)
		}
		// Logout on A ends it on B.
		a.do("POST", "/logout", url.Values{"csrf": {tok}})
		if resp, _ := b.do("GET", "/hosts", nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("server B after logout on A: %d, want redirect", resp.StatusCode)
		}

		// Viewer: read yes, change no.
		v := newClient(t, storeDashboard(t, s))
		vtok := v.login("viewer", "viewer-pw")
		if resp, _ := v.do("POST", "/hosts/h1/tags", url.Values{"csrf": {vtok}, "tags": {"x"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer set tags: %d", resp.StatusCode)
		}
		if h, _ := s.Host(context.Background(), "h1", store.ScopeAll); len(h.Tags) != 0 {
			t.Errorf("viewer changed tags: %v", h.Tags)
		}
		// The login throttle is stored: failures on one server lock out
		// the account on another.
		for range maxFailsAccount {
			_, p := a.do("GET", "/login", nil)
			a.do("POST", "/login", url.Values{"csrf": {csrfOf(t, p)}, "username": {"admin"}, "password": {"nope"}})
		}
		_, p := b.do("GET", "/login", nil)
		if resp, _ := b.do("POST", "/login", url.Values{"csrf": {csrfOf(t, p)}, "username": {"admin"}, "password": {"admin-pw"}}); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("login on B after failures on A: %d, want 429", resp.StatusCode)
		}
		// Unknown user and wrong password look the same.
		_, p = b.do("GET", "/login", nil)
		if resp, _ := b.do("POST", "/login", url.Values{"csrf": {csrfOf(t, p)}, "username": {"nobody"}, "password": {"x"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("unknown user: %d", resp.StatusCode)
		}
	})
}
