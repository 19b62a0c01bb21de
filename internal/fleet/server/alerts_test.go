package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/agent"
	"github.com/clawgov/clawgov/internal/fleet/alert"
	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

type chanSink chan alert.Event

func (c chanSink) Send(_ context.Context, e alert.Event) error { c <- e; return nil }

func next(t *testing.T, c chanSink) alert.Event {
	t.Helper()
	select {
	case e := <-c:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no alert")
	}
	return alert.Event{}
}

func TestAlerts(t *testing.T) {
	f := setup(t, sqldbtest.SQLite(t))
	sink := make(chanSink, 16)
	srv, err := server.New(server.Options{Store: f.st, StaleAfter: 3 * time.Hour, Now: f.clk.Now, Alerts: []alert.Sink{sink}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	a := enrollAgent(t, f, f.token(1), 1)
	a.State.Server = hs.URL
	rep := minimalReport(t)
	send := func() {
		id := agent.NewReportID(f.clk.Now())
		body, _ := agent.Envelope(rep, facts(1), id, f.clk.Now())
		if ack, err := a.Send(context.Background(), id, body); err != nil || !ack.Acknowledged() {
			t.Fatalf("send: %+v %v", ack, err)
		}
	}
	send() // all pass: no alert
	rep.Controls[1].Status = "fail"
	send()
	e := next(t, sink)
	if e.Kind != alert.KindNonCompliant || len(e.Controls) != 1 || e.Controls[0] != rep.Controls[1].ID {
		t.Fatalf("alert %+v", e)
	}
	send() // still failing: no new alert
	req, _ := http.NewRequest("POST", hs.URL+wire.PathGateways, strings.NewReader(`{"gateways":[{"address":"10.1.0.1:18789"},{"address":"10.7.7.7:18789"}]}`))
	req.Header.Set("Authorization", "Bearer "+f.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("upload %v %v", resp, err)
	}
	resp.Body.Close()
	if e := next(t, sink); e.Kind != alert.KindUnmanaged || e.Address != "10.7.7.7:18789" {
		t.Fatalf("unmanaged alert %+v", e)
	}
	f.clk.Add(4 * time.Hour)
	for i := 0; i < 2; i++ {
		if err := srv.SweepStale(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if e := next(t, sink); e.Kind != alert.KindStale || e.HostID != a.State.HostID {
		t.Fatalf("stale alert %+v", e)
	}
	time.Sleep(100 * time.Millisecond) // let any wrongly duplicated alert arrive
	if len(sink) != 0 {
		t.Fatalf("extra alerts: %d (%+v)", len(sink), <-sink)
	}
}
