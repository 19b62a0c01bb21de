package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/agent"
	"github.com/clawgov/clawgov/internal/fleet/auth"
	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// BenchmarkIngest drives the real HTTP server with simulated signed
// agents (200 hosts, 16 concurrent senders, a real audit report of a
// fixture deployment) and reports ingests/s and p50/p99 latency.
func BenchmarkIngest(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchIngest(b, sqldbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchIngest(b, sqldbtest.Postgres(b)) })
}

func benchIngest(b *testing.B, db *sqldb.DB) {
	ctx := context.Background()
	if _, err := store.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	st := store.New(db)
	srv, err := server.New(server.Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	tok := auth.NewToken("cge_")
	_ = st.CreateEnrollToken(ctx, store.EnrollToken{ID: "t", TokenHash: store.HashToken(tok), CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), MaxUses: 1000})
	rep := auditFixtureB(b)
	const hosts, workers = 200, 16
	agents := make([]*agent.Agent, hosts)
	tr := &http.Transport{MaxIdleConnsPerHost: workers * 2}
	for i := range agents {
		a, err := agent.Enroll(ctx, b.TempDir(), hs.URL, tok, "", facts(i))
		if err != nil {
			b.Fatal(err)
		}
		a.HTTP = &http.Client{Transport: tr, Timeout: 30 * time.Second}
		agents[i] = a
	}
	// Bodies are built ahead so the clock measures the server.
	type job struct {
		a    *agent.Agent
		id   string
		body []byte
	}
	jobs := make([]job, b.N)
	for n := range jobs {
		a := agents[n%hosts]
		id := fmt.Sprintf("bench-%08d-%s", n, b.Name()[len(b.Name())-6:])
		body, _ := agent.Envelope(rep, facts(n%hosts), id, time.Now())
		jobs[n] = job{a, id, body}
	}
	lat := make([]time.Duration, b.N)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1) - 1)
				if n >= len(jobs) {
					return
				}
				t0 := time.Now()
				ack, err := jobs[n].a.Send(ctx, jobs[n].id, jobs[n].body)
				lat[n] = time.Since(t0)
				if err != nil || !ack.Acknowledged() {
					if failed.Load() < 3 {
						b.Logf("ingest %d: %v %+v", n, err, ack)
					}
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d ingests failed", failed.Load())
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/el.Seconds(), "ingests/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(len(jobs[0].body)), "report_bytes")
	// CPU per ingest of the whole process (server and simulated agents):
	// the machine is shared, so wall-clock rates move with other load while
	// this stays put.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu_ms/ingest")
}

// processCPU is the user+system CPU time this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func auditFixtureB(b *testing.B) *report.Report {
	cfgs, _ := filepath.Glob("../../posture/testdata/openclaw-audit/lanweak.json5")
	if len(cfgs) != 1 {
		b.Fatal("fixture missing")
	}
	return auditFixture(b, cfgs[0])
}
