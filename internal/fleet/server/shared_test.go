package server_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/agent"
	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// TestTwoServersOnePostgres runs two servers, each with its own
// connection pool, on one PostgreSQL database: an agent enrolled through
// one and reporting alternately through both shows the same state on
// both, and the enrollment token's use count holds across them.
func TestTwoServersOnePostgres(t *testing.T) {
	dsn := sqldbtest.PostgresDSN(t)
	ctx := context.Background()
	var urls []string
	var stores []*store.SQL
	for i := 0; i < 2; i++ {
		st, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		srv, err := server.New(server.Options{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv.Handler())
		t.Cleanup(hs.Close)
		urls, stores = append(urls, hs.URL), append(stores, st)
	}
	tok := enrollToken(t, stores[0], time.Now(), 1)
	a, err := agent.Enroll(ctx, t.TempDir(), urls[0], tok, "", facts(1))
	if err != nil {
		t.Fatal(err)
	}
	// The single use is spent for both servers.
	if _, err := agent.Enroll(ctx, t.TempDir(), urls[1], tok, "", facts(2)); err == nil {
		t.Fatal("token used twice through two servers")
	}
	rep := minimalReport(t)
	for i := 0; i < 4; i++ {
		a.State.Server = urls[i%2]
		id := agent.NewReportID(time.Now())
		body, _ := agent.Envelope(rep, facts(1), id, time.Now())
		if ack, err := a.Send(ctx, id, body); err != nil || !ack.Acknowledged() {
			t.Fatalf("send via server %d: %+v %v", i%2, ack, err)
		}
		// The same report through the other server is a duplicate.
		a.State.Server = urls[(i+1)%2]
		if ack, err := a.Send(ctx, id, body); err != nil || ack.Status != 200 {
			t.Fatalf("duplicate via other server: %+v %v", ack, err)
		}
	}
	var sums [2]store.Summary
	for i, st := range stores {
		s, err := st.Summary(ctx, store.ScopeAll, time.Now(), time.Hour, []string{"DO-1"})
		if err != nil {
			t.Fatal(err)
		}
		sums[i] = s
		reps, _ := st.ListReports(ctx, a.State.HostID, store.ScopeAll, 0)
		if len(reps) != 4 {
			t.Fatalf("server %d sees %d reports", i, len(reps))
		}
	}
	if sums[0].Hosts != 1 || sums[0].Controls["DO-1"]["pass"] != 1 || sums[1].Controls["DO-1"]["pass"] != 1 || sums[0].Stale != sums[1].Stale {
		t.Fatalf("inconsistent: %+v vs %+v", sums[0], sums[1])
	}
}

// TestRevokedElsewhere: a server that authenticated a host's key recently
// (and so has it cached) must still refuse, and store nothing of, the
// host's next report once another server revoked the key, a resend of an
// already stored report included.
func TestRevokedElsewhere(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := setup(t, db)
		st := f.st
		a, err := agent.Enroll(ctx, t.TempDir(), f.http.URL, f.token(1), "", facts(1))
		if err != nil {
			t.Fatal(err)
		}
		rep := minimalReport(t)
		first := agent.NewReportID(time.Now())
		body, _ := agent.Envelope(rep, facts(1), first, time.Now())
		if ack, err := a.Send(ctx, first, body); err != nil || ack.Status != 201 {
			t.Fatalf("first report: %+v %v", ack, err)
		}
		// Revoked as another server does it, behind this one's back.
		if err := st.RevokeHost(ctx, a.State.HostID, time.Now()); err != nil {
			t.Fatal(err)
		}
		h0, _ := st.Host(ctx, a.State.HostID, store.ScopeAll)
		later := agent.NewReportID(time.Now().Add(time.Second))
		lbody, _ := agent.Envelope(rep, facts(1), later, time.Now())
		for name, send := range map[string][2]any{"new report": {later, lbody}, "resend": {first, body}} {
			ack, err := a.Send(ctx, send[0].(string), send[1].([]byte))
			if err != nil || ack.Status != 401 || ack.Err == nil || ack.Err.Code != wire.CodeRevoked {
				t.Fatalf("%s after revoke elsewhere: %+v %v", name, ack, err)
			}
		}
		reps, _ := st.ListReports(ctx, a.State.HostID, store.ScopeAll, 0)
		h1, _ := st.Host(ctx, a.State.HostID, store.ScopeAll)
		if len(reps) != 1 || !h1.LastSeen.Equal(*h0.LastSeen) {
			t.Fatalf("revoked host changed: %d reports, last seen %v -> %v", len(reps), h0.LastSeen, h1.LastSeen)
		}
	})
}
