package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

func TestMain(m *testing.M) { os.Exit(sqldbtest.Main(m)) }

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

var ctlIDs = []string{"DO-1", "DONT-1"}

func open(t *testing.T, db *sqldb.DB) *store.SQL {
	t.Helper()
	if _, err := store.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	// Migrating twice is a no-op.
	if n, err := store.Migrate(context.Background(), db); err != nil || n != 0 {
		t.Fatalf("second migrate: %d %v", n, err)
	}
	return store.New(db)
}

func enroll(t *testing.T, s *store.SQL, tokenHash, id, machine string) store.Host {
	t.Helper()
	h, err := s.EnrollHost(context.Background(), store.EnrollParams{TokenHash: tokenHash, HostID: id, PublicKey: []byte("k" + id), KeyFP: "fp-" + id,
		Hostname: "h-" + id, MachineFP: machine, BootID: "b1", Addresses: []string{"10.0.0." + id}, At: t0})
	if err != nil {
		t.Fatalf("enroll %s: %v", id, err)
	}
	return h
}

func ingest(s *store.SQL, host, rid string, at time.Time, ctl map[string]string, body string, fs ...store.Finding) (store.Receipt, error) {
	return s.Ingest(context.Background(), store.IngestParams{HostID: host, ReportID: rid, ReceivedAt: at, CollectedAt: at, ContentSHA256: "sha-" + body,
		Signature: "sig", KeyFP: "fp-" + host, Body: []byte(body), Hostname: "h-" + host, MachineFP: "m-" + host, BootID: "b1",
		Addresses: []string{"10.0.0." + host}, Profile: "miit-2026", OpenClaw: "2026.1.1", Controls: ctl, Findings: fs, FindingsTotal: len(fs)})
}

func TestStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := open(t, db)
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		tok := store.HashToken("secret-token")
		if err := s.CreateEnrollToken(ctx, store.EnrollToken{ID: "t1", TokenHash: tok, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), MaxUses: 2, Tags: []string{"bank"}}); err != nil {
			t.Fatal(err)
		}
		enroll(t, s, tok, "1", "m-1")
		enroll(t, s, tok, "2", "m-2")
		// Used up: a third enrollment fails and creates nothing.
		if _, err := s.EnrollHost(ctx, store.EnrollParams{TokenHash: tok, HostID: "3", KeyFP: "fp-3", MachineFP: "m-3", At: t0}); !errors.Is(err, store.ErrTokenInvalid) {
			t.Fatalf("used-up token: %v", err)
		}
		if _, err := s.Host(ctx, "3", store.ScopeAll); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("host 3 exists: %v", err)
		}

		pass := map[string]string{"DO-1": "pass", "DONT-1": "pass"}
		fail := map[string]string{"DO-1": "fail", "DONT-1": "pass"}
		f := store.Finding{Fingerprint: "f1", CheckID: "CG-GW-001", Controls: []string{"DO-1"}, Severity: "high", Status: "fail", Title: "<b>x</b>", Message: "'; DROP TABLE fleet_hosts; --"}
		if _, err := ingest(s, "1", "r1", t0.Add(time.Minute), pass, "a"); err != nil {
			t.Fatal(err)
		}
		rec, err := ingest(s, "1", "r2", t0.Add(2*time.Minute), fail, "b", f)
		if err != nil || rec.Duplicate {
			t.Fatalf("r2: %+v %v", rec, err)
		}
		// Idempotent by report ID.
		dup, err := ingest(s, "1", "r2", t0.Add(3*time.Minute), fail, "b", f)
		if err != nil || !dup.Duplicate || !dup.StoredAt.Equal(rec.StoredAt) {
			t.Fatalf("duplicate: %+v %v", dup, err)
		}
		if _, err := ingest(s, "1", "r2", t0.Add(3*time.Minute), fail, "other"); !errors.Is(err, store.ErrReplay) {
			t.Fatalf("replay: %v", err)
		}
		reps, err := s.ListReports(ctx, "1", store.ScopeAll, 0)
		if err != nil || len(reps) != 2 || reps[0].ReportID != "r2" {
			t.Fatalf("reports: %+v %v", reps, err)
		}
		got, err := s.Report(ctx, "1", "r2", store.ScopeAll)
		if err != nil || string(got.Body) != "b" || got.Controls["DO-1"] != "fail" {
			t.Fatalf("report: %+v %v", got, err)
		}
		h, _ := s.Host(ctx, "1", store.ScopeAll)
		if h.Controls["DO-1"] != "fail" || h.LastReportID != "r2" || h.LastReport == nil || h.CloneSuspect {
			t.Fatalf("host: %+v", h)
		}
		// History: DO-1 pass then fail on the same day keeps one row (fail);
		// DONT-1 unchanged keeps its first row only.
		hist, err := s.History(ctx, "1", store.ScopeAll, "", "")
		if err != nil || len(hist) != 2 || hist[0].ControlID != "DO-1" || hist[0].Status != "fail" || hist[1].Status != "pass" {
			t.Fatalf("history: %+v %v", hist, err)
		}
		// Next day, unchanged: no new rows.
		if _, err := ingest(s, "1", "r3", t0.Add(25*time.Hour), fail, "b", f); err != nil {
			t.Fatal(err)
		}
		if hist, _ := s.History(ctx, "1", store.ScopeAll, "", ""); len(hist) != 2 {
			t.Fatalf("unchanged report wrote history: %+v", hist)
		}
		fs, err := s.Findings(ctx, store.FindingFilter{Scope: store.ScopeAll, CheckID: "CG-GW-001"})
		if err != nil || len(fs) != 1 || fs[0].Message != f.Message || fs[0].HostID != "1" {
			t.Fatalf("findings: %+v %v", fs, err)
		}
		if fs, _ := s.Findings(ctx, store.FindingFilter{Scope: store.ScopeAll, ControlID: "DO-1"}); len(fs) != 1 {
			t.Fatalf("findings by control: %+v", fs)
		}
		if fs, _ := s.Findings(ctx, store.FindingFilter{Scope: store.ScopeAll, ControlID: "DO-"}); len(fs) != 0 {
			t.Fatalf("control prefix matched: %+v", fs)
		}

		// Summary at t0+25h with a 2h window: host 1 fresh (fail), host 2
		// never reported and enrolled long ago: stale, unknown.
		now := t0.Add(25*time.Hour + time.Minute)
		sum, err := s.Summary(ctx, store.ScopeAll, now, 2*time.Hour, ctlIDs)
		if err != nil || sum.Hosts != 2 || sum.Stale != 1 || sum.Controls["DO-1"]["fail"] != 1 || sum.Controls["DO-1"]["unknown"] != 1 || sum.Controls["DONT-1"]["pass"] != 1 {
			t.Fatalf("summary: %+v %v", sum, err)
		}
		// Later, host 1 goes stale too: everything unknown, never its old verdict.
		sum, _ = s.Summary(ctx, store.ScopeAll, now.Add(3*time.Hour), 2*time.Hour, ctlIDs)
		if sum.Stale != 2 || sum.Controls["DO-1"]["unknown"] != 2 || sum.Controls["DO-1"]["fail"] != 0 {
			t.Fatalf("stale summary: %+v", sum)
		}
		h, _ = s.Host(ctx, "1", store.ScopeAll)
		if e := h.Effective(ctlIDs, now.Add(3*time.Hour), 2*time.Hour); e["DO-1"] != "unknown" {
			t.Fatalf("effective: %v", e)
		}

		// Scope: a viewer scoped to another tag sees nothing, counts included.
		other := store.Scope{Tags: []string{"hospital"}}
		if sum, _ := s.Summary(ctx, other, now, 2*time.Hour, ctlIDs); sum.Hosts != 0 || sum.Controls["DO-1"]["fail"] != 0 {
			t.Fatalf("scoped summary leaks: %+v", sum)
		}
		if hs, _ := s.ListHosts(ctx, store.HostFilter{Scope: other}); len(hs) != 0 {
			t.Fatalf("scoped hosts leak: %d", len(hs))
		}
		if fs, _ := s.Findings(ctx, store.FindingFilter{Scope: other}); len(fs) != 0 {
			t.Fatalf("scoped findings leak")
		}
		if _, err := s.Host(ctx, "1", other); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("scoped host: %v", err)
		}
		if hs, _ := s.ListHosts(ctx, store.HostFilter{Scope: store.Scope{Tags: []string{"bank"}}, Search: "H-1"}); len(hs) != 1 {
			t.Fatalf("search: %d", len(hs))
		}
		if hs, _ := s.ListHosts(ctx, store.HostFilter{Scope: store.ScopeAll, Search: "%"}); len(hs) != 0 {
			t.Fatalf("LIKE wildcard not escaped: %d", len(hs))
		}

		// Clone: the same key reports from machine A, B, A.
		for i, m := range []string{"m-x", "m-1"} {
			p := store.IngestParams{HostID: "2", ReportID: "c" + string(rune('0'+i)), ReceivedAt: now, CollectedAt: now, ContentSHA256: "s" + m,
				Body: []byte("{}"), Hostname: "h-2", MachineFP: m, BootID: "b", Controls: pass}
			if _, err := s.Ingest(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		h2, _ := s.Host(ctx, "2", store.ScopeAll)
		if h2.CloneSuspect {
			t.Fatalf("one identity change flagged as clone")
		}
		p := store.IngestParams{HostID: "2", ReportID: "c9", ReceivedAt: now, CollectedAt: now, ContentSHA256: "s9", Body: []byte("{}"), Hostname: "h-2", MachineFP: "m-x", BootID: "b", Controls: pass}
		if _, err := s.Ingest(ctx, p); err != nil {
			t.Fatal(err)
		}
		if h2, _ = s.Host(ctx, "2", store.ScopeAll); !h2.CloneSuspect {
			t.Fatalf("alternating identities not flagged")
		}

		// Unmanaged: a gateway on an enrolled host's address is managed.
		fresh, err := s.UpsertGateways(ctx, []store.Gateway{{Address: "10.0.0.1:18789", IP: "10.0.0.1", Port: 18789}, {Address: "10.9.9.9:18789", IP: "10.9.9.9", Port: 18789}}, now)
		if err != nil || len(fresh) != 2 {
			t.Fatalf("upsert: %v %v", fresh, err)
		}
		if fresh, _ := s.UpsertGateways(ctx, []store.Gateway{{Address: "10.9.9.9:18789", IP: "10.9.9.9", Port: 18789}}, now); len(fresh) != 0 {
			t.Fatalf("known gateway reported new")
		}
		um, err := s.Unmanaged(ctx)
		if err != nil || len(um) != 1 || um[0].IP != "10.9.9.9" {
			t.Fatalf("unmanaged: %+v %v", um, err)
		}

		// Users, sessions, login failures, API tokens, events, settings.
		if err := s.CreateUser(ctx, store.User{ID: "u1", Name: "alice", Role: "admin", PasswordHash: "h", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, store.User{ID: "u2", Name: "alice", Role: "viewer", CreatedAt: t0}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("dup user: %v", err)
		}
		if err := s.CreateUser(ctx, store.User{ID: "u3", Name: "bob", Role: "root", CreatedAt: t0}); err == nil {
			t.Fatal("bad role accepted")
		}
		if err := s.CreateSession(ctx, store.Session{TokenHash: "sh", UserID: "u1", CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, "sh", t0.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired session: %v", err)
		}
		if n, _ := s.LoginFailure(ctx, "alice", t0, time.Minute); n != 1 {
			t.Fatal(n)
		}
		if n, _ := s.LoginFailure(ctx, "alice", t0.Add(time.Second), time.Minute); n != 2 {
			t.Fatal(n)
		}
		if n, _ := s.LoginFailures(ctx, "alice", t0, time.Minute); n != 2 {
			t.Fatal(n)
		}
		if err := s.CreateAPIToken(ctx, store.APIToken{ID: "a1", TokenHash: store.HashToken("api"), Role: "viewer", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if at, err := s.APITokenByHash(ctx, store.HashToken("api"), t0); err != nil || at.Role != "viewer" {
			t.Fatalf("api token: %+v %v", at, err)
		}
		_ = s.RevokeAPIToken(ctx, "a1", t0)
		if _, err := s.APITokenByHash(ctx, store.HashToken("api"), t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoked token: %v", err)
		}
		if err := s.AppendEvent(ctx, store.Event{At: t0, Actor: "system", Action: "test", Outcome: "ok", Details: map[string]string{"k": "v"}}); err != nil {
			t.Fatal(err)
		}
		if ev, _ := s.Events(ctx, t0, 0); len(ev) != 1 || ev[0].Details["k"] != "v" {
			t.Fatalf("events: %+v", ev)
		}
		if ok, _ := s.PutSettingIfAbsent(ctx, "bootstrap", "x"); !ok {
			t.Fatal("first put")
		}
		if ok, _ := s.PutSettingIfAbsent(ctx, "bootstrap", "y"); ok {
			t.Fatal("second put wrote")
		}
		if v, _ := s.Setting(ctx, "bootstrap"); v != "x" {
			t.Fatal(v)
		}
		// Revoked hosts drop out of the summary.
		if err := s.RevokeHost(ctx, "2", now); err != nil {
			t.Fatal(err)
		}
		if sum, _ := s.Summary(ctx, store.ScopeAll, now, 2*time.Hour, ctlIDs); sum.Hosts != 1 {
			t.Fatalf("revoked host counted: %+v", sum)
		}
		// A revoked host's report is refused in the storing transaction,
		// a new one and a resend alike, and nothing of it is kept.
		before, err := s.ListReports(ctx, "2", store.ScopeAll, 100)
		if err != nil || len(before) == 0 {
			t.Fatalf("reports of host 2: %v %v", before, err)
		}
		hostBefore, _ := s.Host(ctx, "2", store.ScopeAll)
		for _, rid := range []string{"after-revoke", before[0].ReportID} {
			if _, err := ingest(s, "2", rid, now.Add(time.Minute), map[string]string{"DO-1": "pass"}, "late"); !errors.Is(err, store.ErrRevoked) {
				t.Fatalf("ingest %s after revoke: got %v, want ErrRevoked", rid, err)
			}
		}
		after, _ := s.ListReports(ctx, "2", store.ScopeAll, 100)
		hostAfter, _ := s.Host(ctx, "2", store.ScopeAll)
		if len(after) != len(before) || !reflect.DeepEqual(hostAfter.LastSeen, hostBefore.LastSeen) {
			t.Fatalf("revoked host changed: %d -> %d reports, last seen %v -> %v", len(before), len(after), hostBefore.LastSeen, hostAfter.LastSeen)
		}
	})
}

func TestCloneEnroll(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := open(t, db)
		tok := store.HashToken("t")
		_ = s.CreateEnrollToken(ctx, store.EnrollToken{ID: "t", TokenHash: tok, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), MaxUses: 5})
		enroll(t, s, tok, "1", "same")
		b := enroll(t, s, tok, "2", "same")
		a, _ := s.Host(ctx, "1", store.ScopeAll)
		if !a.CloneSuspect || !b.CloneSuspect {
			t.Fatalf("same machine enrolled twice not flagged: %v %v", a.CloneSuspect, b.CloneSuspect)
		}
		if _, err := s.EnrollHost(ctx, store.EnrollParams{TokenHash: tok, HostID: "9", KeyFP: "fp-1", MachineFP: "z", At: t0}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("same key enrolled twice: %v", err)
		}
	})
}

func TestPolicies(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := open(t, db)
		if _, err := s.CurrentPolicy(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("no policy yet: %v", err)
		}
		pol := func(v int64) store.Policy {
			return store.Policy{Version: v, Digest: fmt.Sprintf("%064d", v), KeyID: "k1", Created: "2026-12-06T10:00:00Z",
				Comment: "v" + fmt.Sprint(v), Body: []byte(fmt.Sprintf(`{"v":%d}`, v)), PublishedBy: "admin", PublishedAt: t0}
		}
		if err := s.PublishPolicy(ctx, pol(2)); err != nil {
			t.Fatal(err)
		}
		// Only upwards: the same or a lower version is refused.
		for _, v := range []int64{2, 1} {
			if err := s.PublishPolicy(ctx, pol(v)); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("publish v%d after v2: %v", v, err)
			}
		}
		if err := s.PublishPolicy(ctx, pol(5)); err != nil {
			t.Fatal(err)
		}
		cur, err := s.CurrentPolicy(ctx)
		if err != nil || cur.Version != 5 || string(cur.Body) != `{"v":5}` || cur.PublishedBy != "admin" || !cur.PublishedAt.Equal(t0) {
			t.Fatalf("current %+v %v", cur, err)
		}
		list, err := s.ListPolicies(ctx)
		if err != nil || len(list) != 2 || list[0].Version != 5 || list[1].Version != 2 || list[0].Body != nil {
			t.Fatalf("list %+v %v", list, err)
		}

		// Concurrent publishes of one version: exactly one wins.
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = s.PublishPolicy(ctx, pol(9)) }()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrConflict):
				t.Fatalf("concurrent publish: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d concurrent publishes of v9 won", won)
		}

		// The policy version a report names is kept on the host and the report.
		tok := store.HashToken("p")
		_ = s.CreateEnrollToken(ctx, store.EnrollToken{ID: "tp", TokenHash: tok, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), MaxUses: 1})
		enroll(t, s, tok, "7", "m-7")
		p := store.IngestParams{HostID: "7", ReportID: "r1", ReceivedAt: t0, CollectedAt: t0, ContentSHA256: "x", Signature: "sig", KeyFP: "fp-7",
			Body: []byte("{}"), Hostname: "h-7", MachineFP: "m-7", BootID: "b1", Profile: "miit-2026", OpenClaw: "2026.1.1", PolicyVersion: 5,
			Controls: map[string]string{"DO-1": "pass", "DONT-1": "pass"}}
		if _, err := s.Ingest(ctx, p); err != nil {
			t.Fatal(err)
		}
		h, _ := s.Host(ctx, "7", store.ScopeAll)
		reps, _ := s.ListReports(ctx, "7", store.ScopeAll, 0)
		if h.PolicyVersion != 5 || len(reps) != 1 || reps[0].PolicyVersion != 5 {
			t.Fatalf("policy version not kept: host %d reports %+v", h.PolicyVersion, reps)
		}
	})
}
