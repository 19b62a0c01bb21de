package server_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/auth"
	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/fleet/web"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// BenchmarkScale seeds a store with CLAWGOV_SCALE_HOSTS hosts (default
// 50,000) and 30 days of control history, then times the read paths a
// fleet of that size hits most through the real HTTP handler (API and
// dashboard, one process, as 'clawgov server' mounts them) and reports
// p95 latency per path and the Go heap.
func BenchmarkScale(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchScale(b, sqldbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchScale(b, sqldbtest.Postgres(b)) })
}

const scaleDays = 30

func scaleHosts() int {
	if n, err := strconv.Atoi(os.Getenv("CLAWGOV_SCALE_HOSTS")); err == nil && n > 0 {
		return n
	}
	return 50000
}

// seedScale writes hosts, tags, current state and change-only daily
// history straight into the tables in multi-row INSERTs: what years of
// ingests would leave, in seconds. Every host has one of 10 team tags,
// 10% have not reported for longer than the stale window, and on each of
// the 30 days half the hosts change one control's status.
func seedScale(b *testing.B, db *sqldb.DB, st *store.SQL, hosts int, now time.Time, controls []string) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	statuses := []string{"pass", "pass", "pass", "warn", "fail", "manual"}
	type table struct {
		name, cols string
		n          int
		rows       []any
	}
	flush := func(tx *sqldb.Tx, t *table) {
		if t.n == 0 {
			return
		}
		nc := strings.Count(t.cols, ",") + 1
		ph := "(" + strings.TrimSuffix(strings.Repeat("?,", nc), ",") + ")"
		q := "INSERT INTO " + t.name + " (" + t.cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(ph+",", t.n), ",")
		if _, err := tx.Exec(ctx, q, t.rows...); err != nil {
			b.Fatalf("seed %s: %v", t.name, err)
		}
		t.n, t.rows = 0, t.rows[:0]
	}
	add := func(tx *sqldb.Tx, t *table, vals ...any) {
		t.rows = append(t.rows, vals...)
		t.n++
		if t.n == 400 {
			flush(tx, t)
		}
	}
	start := now.AddDate(0, 0, -(scaleDays - 1))
	const chunk = 5000
	for lo := 0; lo < hosts; lo += chunk {
		err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			th := &table{name: "fleet_hosts", cols: "id, key_fp, public_key, hostname, machine_fp, boot_id, tags, addresses, profile, openclaw_version, enrolled_at, last_seen, last_report, last_report_id"}
			tt := &table{name: "fleet_host_tags", cols: "host_id, tag"}
			tc := &table{name: "fleet_current_state", cols: "host_id, control_id, status, since"}
			tH := &table{name: "fleet_control_history", cols: "host_id, control_id, day, status, at, report_id"}
			for i := lo; i < min(hosts, lo+chunk); i++ {
				id := fmt.Sprintf("h%07d", i)
				tag := fmt.Sprintf("team-%d", i%10)
				last := now.Add(-time.Duration(rng.IntN(50)) * time.Minute)
				if i%10 == 9 {
					last = now.Add(-time.Duration(4+rng.IntN(200)) * time.Hour)
				}
				add(tx, th, id, "fp-"+id, "", fmt.Sprintf("gw-%06d.example", i), "m-"+id, "b", `["`+tag+`"]`, fmt.Sprintf(`["10.%d.%d.%d"]`, i>>16&255, i>>8&255, i&255),
					"miit-2026", fmt.Sprintf("2026.%d.0", i%5), start.AddDate(0, 0, -1).UnixMilli(), last.UnixMilli(), last.UnixMilli(), "r-last")
				add(tx, tt, id, tag)
				cur := make([]string, len(controls))
				for c := range controls {
					cur[c] = statuses[rng.IntN(len(statuses))]
				}
				changes := map[int]int{} // day -> control changed that day
				for d := 1; d < scaleDays; d++ {
					if rng.IntN(2) == 0 {
						changes[d] = rng.IntN(len(controls))
					}
				}
				since := make([]int64, len(controls))
				for c, cid := range controls {
					at := start.Add(time.Hour)
					add(tx, tH, id, cid, at.Format("2006-01-02"), cur[c], at.UnixMilli(), "r0")
					since[c] = at.UnixMilli()
				}
				for d := 1; d < scaleDays; d++ {
					c, ok := changes[d]
					if !ok {
						continue
					}
					cur[c] = statuses[(rng.IntN(len(statuses)-1)+1+indexOf(statuses, cur[c]))%len(statuses)]
					at := start.AddDate(0, 0, d).Add(time.Hour)
					if at.After(last) {
						break
					}
					add(tx, tH, id, controls[c], at.Format("2006-01-02"), cur[c], at.UnixMilli(), fmt.Sprintf("r%d", d))
					since[c] = at.UnixMilli()
				}
				for c, cid := range controls {
					add(tx, tc, id, cid, cur[c], since[c])
				}
			}
			for _, t := range []*table{th, tt, tc, tH} {
				flush(tx, t)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := st.RebuildRollups(ctx); err != nil {
		b.Fatal(err)
	}
	// Planner statistics, as a database that grew by ingest has them
	// (autovacuum on PostgreSQL; SQLite's optimizer uses them too).
	if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

func indexOf(v []string, s string) int {
	for i, x := range v {
		if x == s {
			return i
		}
	}
	return 0
}

func benchScale(b *testing.B, db *sqldb.DB) {
	// The collector as 'clawgov server' sets it, so heap and RSS are the server's.
	defer server.TuneGC(os.Getenv)()
	ctx := context.Background()
	if _, err := store.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	st := store.New(db)
	now := time.Now().UTC()
	clock := func() time.Time { return now }
	// The server wired as 'clawgov server' wires it: API plus dashboard.
	var dash *web.Dashboard
	srv, err := server.New(server.Options{Store: st, Now: clock, Authenticate: func(r *http.Request) *server.Principal {
		u, ok := dash.SessionUser(r)
		if !ok {
			return nil
		}
		return &server.Principal{Name: "user:" + u.Name, Role: u.Role, Scope: web.Scope(u)}
	}, Web: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { dash.ServeHTTP(w, r) })})
	if err != nil {
		b.Fatal(err)
	}
	src := &web.StoreSource{Store: st, StaleAfter: srv.StaleAfter(), ControlIDs: srv.ControlIDs(), Now: clock}
	dash, err = web.New(web.Options{Source: src, Users: src, Sessions: src, Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	hosts := scaleHosts()
	t0 := time.Now()
	seedScale(b, db, st, hosts, now, srv.ControlIDs())
	seedTook := time.Since(t0)

	admin, scoped := auth.NewToken("cga_"), auth.NewToken("cga_")
	_ = st.CreateAPIToken(ctx, store.APIToken{ID: "a", TokenHash: store.HashToken(admin), Name: "admin", Role: "admin", CreatedAt: now})
	_ = st.CreateAPIToken(ctx, store.APIToken{ID: "s", TokenHash: store.HashToken(scoped), Name: "team3", Role: "viewer", Tags: []string{"team-3"}, CreatedAt: now})
	_ = st.CreateUser(ctx, store.User{ID: "u", Name: "admin", Role: "admin", PasswordHash: "x", CreatedAt: now})
	session := auth.NewToken("")
	if err := st.CreateSession(ctx, store.Session{TokenHash: web.SessionID(session), UserID: "u", CSRF: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	client := &http.Client{Timeout: time.Minute}

	type path struct{ name, url, bearer string }
	paths := []path{
		{"api_summary", "/api/v1/summary", admin},
		{"api_summary_scoped", "/api/v1/summary", scoped},
		{"api_hosts_page", "/api/v1/hosts?limit=100", admin},
		{"api_hosts_filtered", "/api/v1/hosts?control=DO-3&status=fail&tag=team-4&limit=100", admin},
		{"web_fleet", "/", ""},
		{"web_hosts", "/hosts", ""},
		{"web_hosts_filtered", "/hosts?control=DO-3&status=fail&tag=team-4", ""},
	}
	var peakHeap atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peakHeap.Load() {
				peakHeap.Store(m.HeapInuse)
			}
		}
	}()
	runtime.GC()
	b.ResetTimer()
	for _, p := range paths {
		const n = 20 // per path; run with -benchtime 1x (seeding dominates)
		lat := make([]time.Duration, 0, n)
		var size int
		for i := 0; i < n+1; i++ {
			req, _ := http.NewRequest("GET", hs.URL+p.url, nil)
			if p.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+p.bearer)
			} else {
				req.AddCookie(&http.Cookie{Name: "clawgov_session", Value: session})
			}
			t := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			d := time.Since(t)
			if resp.StatusCode != 200 {
				b.Fatalf("%s: HTTP %d: %.300s", p.name, resp.StatusCode, body)
			}
			if i > 0 { // the first request warms caches and prepared statements
				lat = append(lat, d)
			}
			size = len(body)
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, p.name+"_p95_ms")
		b.Logf("%-20s p50 %6.1f ms  p95 %6.1f ms  %7d bytes", p.name, float64(lat[len(lat)/2].Microseconds())/1000, float64(lat[len(lat)*95/100].Microseconds())/1000, size)
	}
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(hosts), "hosts")
	b.ReportMetric(seedTook.Seconds(), "seed_s")
	b.ReportMetric(float64(peakHeap.Load())/(1<<20), "peak_heap_MiB")
	// RSS of the whole process: server, database engine (SQLite runs in
	// it, its page cache included), HTTP client and the seeding.
	b.ReportMetric(procStatusMiB("VmRSS"), "rss_MiB")
	b.ReportMetric(procStatusMiB("VmHWM"), "peak_rss_MiB")
}

func procStatusMiB(field string) float64 {
	raw, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
