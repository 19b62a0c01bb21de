package store_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// bruteSummary is Summary computed the slow, obvious way: every host's
// effective statuses at now.
func bruteSummary(t *testing.T, s *store.SQL, scope store.Scope, now time.Time, window time.Duration) store.Summary {
	t.Helper()
	hs, err := s.ListHosts(context.Background(), store.HostFilter{Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	sum := store.Summary{Hosts: len(hs), Controls: map[string]map[string]int{}}
	for _, c := range ctlIDs {
		sum.Controls[c] = map[string]int{}
		for _, st := range store.Statuses {
			sum.Controls[c][st] = 0
		}
	}
	for _, h := range hs {
		if h.Stale(now, window) {
			sum.Stale++
		}
		for c, st := range h.Effective(ctlIDs, now, window) {
			sum.Controls[c][st]++
		}
	}
	return sum
}

// TestRollupMatchesHosts drives random ingests, retags and revocations
// across hours and days and checks, after every step and for every
// scope, that the rollup-backed Summary and the SQL-filtered host list
// equal what the hosts themselves say (stale hosts unknown at the query
// clock, tag scopes applied), and that a rebuild from scratch agrees.
func TestRollupMatchesHosts(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := open(t, db)
		rng := rand.New(rand.NewPCG(7, 11))
		tok := store.HashToken("tok")
		if err := s.CreateEnrollToken(ctx, store.EnrollToken{ID: "t", TokenHash: tok, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), MaxUses: 100}); err != nil {
			t.Fatal(err)
		}
		const n = 12
		for i := 0; i < n; i++ {
			enroll(t, s, tok, fmt.Sprint(i), fmt.Sprint("m", i))
		}
		tags := [][]string{{"a"}, {"b"}, {"a", "b"}, nil}
		scopes := []store.Scope{store.ScopeAll, {Tags: []string{"a"}}, {Tags: []string{"b"}}, {Tags: []string{"a", "b"}}, {Tags: []string{"zz"}}}
		sts := []string{"pass", "warn", "fail", "manual", "error"}
		window := 3 * time.Hour
		now := t0
		revoked := map[int]bool{}
		check := func(step int) {
			t.Helper()
			for _, sc := range scopes {
				got, err := s.Summary(ctx, sc, now, window, ctlIDs)
				if err != nil {
					t.Fatal(err)
				}
				if want := bruteSummary(t, s, sc, now, window); !reflect.DeepEqual(got, want) {
					t.Fatalf("step %d scope %+v: summary\n got %+v\nwant %+v", step, sc, got, want)
				}
				all, _ := s.ListHosts(ctx, store.HostFilter{Scope: sc})
				for _, f := range []store.HostFilter{{Stale: "yes"}, {Stale: "no"}, {Control: "DO-1", Status: "fail"}, {Control: "DONT-1", Status: "unknown"}, {Control: "DO-1", Status: "pass", Stale: "no"}} {
					f.Scope, f.Now, f.StaleAfter = sc, now, window
					var want []string
					for _, h := range all {
						if f.Stale == "yes" && !h.Stale(now, window) || f.Stale == "no" && h.Stale(now, window) {
							continue
						}
						if f.Control != "" && h.Effective(ctlIDs, now, window)[f.Control] != f.Status {
							continue
						}
						want = append(want, h.ID)
					}
					hs, err := s.ListHosts(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, h := range hs {
						got = append(got, h.ID)
					}
					cnt, err := s.CountHosts(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) || cnt != len(want) {
						t.Fatalf("step %d filter %+v: got %v (count %d), want %v", step, f, got, cnt, want)
					}
				}
			}
		}
		for step := 0; step < 120; step++ {
			now = now.Add(time.Duration(rng.IntN(90)) * time.Minute)
			i := rng.IntN(n)
			id := fmt.Sprint(i)
			switch r := rng.IntN(20); {
			case r == 0 && !revoked[i]:
				if err := s.RevokeHost(ctx, id, now); err != nil {
					t.Fatal(err)
				}
				revoked[i] = true
			case r < 3:
				if err := s.SetHostTags(ctx, id, tags[rng.IntN(len(tags))]); err != nil {
					t.Fatal(err)
				}
			default:
				if revoked[i] {
					continue
				}
				ctl := map[string]string{}
				for _, c := range ctlIDs {
					ctl[c] = sts[rng.IntN(len(sts))]
				}
				if _, err := ingest(s, id, fmt.Sprint("r", step), now, ctl, fmt.Sprint("b", step)); err != nil {
					t.Fatal(err)
				}
			}
			check(step)
			// No row is left all zeros (an hour every host has left):
			// without pruning, one stayed for every hour ever reported.
			var empty int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM fleet_rollup WHERE n_pass = 0 AND n_warn = 0 AND n_fail = 0 AND n_manual = 0 AND n_error = 0 AND n_other = 0`).Scan(&empty); err != nil {
				t.Fatal(err)
			}
			if empty != 0 {
				t.Fatalf("step %d: %d empty rollup rows left", step, empty)
			}
		}
		// A rebuild from the tables lands on the same hourly rollup.
		before, _ := s.Summary(ctx, store.ScopeAll, now, window, ctlIDs)
		if err := s.RebuildRollups(ctx); err != nil {
			t.Fatal(err)
		}
		after, _ := s.Summary(ctx, store.ScopeAll, now, window, ctlIDs)
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("rebuild changed the summary:\n%+v\n%+v", before, after)
		}
		// The daily rollup: today each active host that reported today
		// counts once per control, with its latest statuses.
		ds, err := s.Daily(ctx, store.ScopeAll, now, now)
		if err != nil || len(ds) != 1 {
			t.Fatalf("daily: %v %v", ds, err)
		}
		hs, _ := s.ListHosts(ctx, store.HostFilter{Scope: store.ScopeAll})
		want := map[string]int{}
		for _, h := range hs {
			if h.LastReport != nil && h.LastReport.UTC().Format("2006-01-02") == now.UTC().Format("2006-01-02") {
				want[h.Controls["DO-1"]]++
			}
		}
		got := map[string]int{}
		for st, v := range ds[0].Controls["DO-1"] {
			if v != 0 {
				got[st] = v
			}
		}
		if !reflect.DeepEqual(got, want) || ds[0].Hosts != len(hs) {
			t.Fatalf("daily today: got %v (hosts %d), want %v (hosts %d)", got, ds[0].Hosts, want, len(hs))
		}
	})
}

// TestGroupCommit ingests concurrently, with replays mixed in: each
// replay fails alone (its savepoint is rolled back) while the reports
// sharing its transaction are stored, and every stored report is whole.
func TestGroupCommit(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := open(t, db)
		tok := store.HashToken("tok")
		_ = s.CreateEnrollToken(ctx, store.EnrollToken{ID: "t", TokenHash: tok, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), MaxUses: 10})
		for i := 0; i < 4; i++ {
			enroll(t, s, tok, fmt.Sprint(i), fmt.Sprint("m", i))
		}
		ctl := map[string]string{"DO-1": "pass", "DONT-1": "fail"}
		for i := 0; i < 4; i++ {
			if _, err := ingest(s, fmt.Sprint(i), "r-first", t0, ctl, "first"); err != nil {
				t.Fatal(err)
			}
		}
		const n = 40
		errs := make([]error, n)
		done := make(chan int)
		for k := 0; k < n; k++ {
			go func() {
				host := fmt.Sprint(k % 4)
				if k%5 == 0 { // a replay: same ID, other content
					_, errs[k] = ingest(s, host, "r-first", t0.Add(time.Minute), ctl, "other")
				} else {
					_, errs[k] = ingest(s, host, fmt.Sprint("r", k), t0.Add(time.Duration(k)*time.Second), ctl, fmt.Sprint("b", k))
				}
				done <- k
			}()
		}
		for k := 0; k < n; k++ {
			<-done
		}
		stored := 0
		for i := 0; i < 4; i++ {
			reps, err := s.ListReports(ctx, fmt.Sprint(i), store.ScopeAll, 0)
			if err != nil {
				t.Fatal(err)
			}
			stored += len(reps)
		}
		for k, err := range errs {
			if k%5 == 0 {
				if !errors.Is(err, store.ErrReplay) {
					t.Fatalf("replay %d: %v", k, err)
				}
			} else if err != nil {
				t.Fatalf("ingest %d: %v", k, err)
			}
		}
		if want := 4 + n - n/5; stored != want {
			t.Fatalf("stored %d reports, want %d", stored, want)
		}
		for i := 0; i < 4; i++ {
			r, err := s.Report(ctx, fmt.Sprint(i), "r-first", store.ScopeAll)
			if err != nil || string(r.Body) != "first" {
				t.Fatalf("replayed report changed: %q %v", r.Body, err)
			}
		}
	})
}

// TestMigratePrunesEmptyRollups: a database from before pruning (schema
// through 0003) loses its empty rollup rows on migration and keeps the
// others.
func TestMigratePrunesEmptyRollups(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		old := fstest.MapFS{}
		for _, name := range []string{"0001_init.sql", "0002_policy.sql", "0003_rollup.sql"} {
			b, err := fs.ReadFile(store.Migrations(), name)
			if err != nil {
				t.Fatal(err)
			}
			old[name] = &fstest.MapFile{Data: b}
		}
		if _, err := db.Migrate(ctx, store.Component, old); err != nil {
			t.Fatal(err)
		}
		for _, row := range []string{
			// Rollups already built: Migrate keeps the rows as they are.
			`INSERT INTO fleet_settings (name, value) VALUES ('rollup_v1', '1')`,
			`INSERT INTO fleet_rollup (kind, bucket, tags, control_id) VALUES ('h', 1, '[]', 'DO-1')`,
			`INSERT INTO fleet_rollup (kind, bucket, tags, control_id, n_fail) VALUES ('h', 2, '[]', 'DO-1', 3)`,
		} {
			if _, err := db.Exec(ctx, row); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := store.Migrate(ctx, db); err != nil || n != 1 {
			t.Fatalf("migrate: %d %v", n, err)
		}
		var buckets []int64
		rows, err := db.Query(ctx, `SELECT bucket FROM fleet_rollup WHERE control_id = 'DO-1' ORDER BY bucket`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var b int64
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			buckets = append(buckets, b)
		}
		if !reflect.DeepEqual(buckets, []int64{2}) {
			t.Fatalf("rollup buckets after migrate: %v, want [2]", buckets)
		}
	})
}
