package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/auth"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// TestScopeEveryEndpoint: a viewer scoped to tag "hospital" sees no data
// of a "bank" host on any read endpoint, counts included (the
// Dependency-Track lesson), while a "bank" viewer does.
func TestScopeEveryEndpoint(t *testing.T) {
	f := setup(t, sqldbtest.SQLite(t))
	ctx := context.Background()
	tok := auth.NewToken("cge_")
	_ = f.st.CreateEnrollToken(ctx, store.EnrollToken{ID: "b", TokenHash: store.HashToken(tok), Tags: []string{"bank"}, CreatedAt: f.clk.Now(), ExpiresAt: f.clk.Now().Add(time.Hour), MaxUses: 1})
	a := enrollAgent(t, f, tok, 1)
	rep := minimalReport(t)
	rep.Findings = append(rep.Findings, findingN(1))
	rid := push(t, a, rep, facts(1))
	mk := func(tags ...string) string {
		s := auth.NewToken("cga_")
		_ = f.st.CreateAPIToken(ctx, store.APIToken{ID: store.NewID(), TokenHash: store.HashToken(s), Name: "v", Role: "viewer", Tags: tags, CreatedAt: f.clk.Now()})
		return s
	}
	hospital, bank := mk("hospital"), mk("bank")
	h := a.State.HostID
	paths := []string{"/api/v1/hosts", "/api/v1/hosts/" + h, "/api/v1/hosts/" + h + "/reports", "/api/v1/hosts/" + h + "/reports/" + rid,
		"/api/v1/hosts/" + h + "/history", "/api/v1/summary", "/api/v1/findings", "/api/v1/unmanaged", "/metrics"}
	body := func(tok, p string) (int, string) {
		req, _ := http.NewRequest("GET", f.http.URL+p, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, p := range paths {
		st, b := body(hospital, p)
		if strings.Contains(b, h) || strings.Contains(b, "host-01") || strings.Contains(b, `"hosts": 1`) || strings.Contains(b, "clawgov_fleet_hosts 1") {
			t.Errorf("%s leaks the bank host to a hospital viewer (%d): %.200s", p, st, b)
		}
		if st2, b2 := body(bank, p); st2 != 200 {
			t.Errorf("%s for the bank viewer: %d %.200s", p, st2, b2)
		}
	}
	if _, b := body(bank, "/api/v1/summary"); !strings.Contains(b, `"hosts": 1`) {
		t.Errorf("bank summary: %s", b)
	}
}
