package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/agent"
	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// BenchmarkIngest drives the real HTTP server with simulated signed
// agents (200 hosts, 16 concurrent senders, a real audit report of a
// fixture deployment) and reports ingests/s and p50/p99 latency.
//
// The load generator shares this machine's two cores with the server, so
// by default it is a lean one, as wrk or vegeta would be: every request is
// built and signed by the agent's own code (wire.Sign, agent.Envelope)
// before the clock starts, and sent over 16 keep-alive connections by a
// bare HTTP/1.1 client. The "-agent" run sends through agent.Send and
// net/http instead (what a real agent does, signing as it sends), whose
// own CPU then counts against the server's throughput.
func BenchmarkIngest(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchIngest(b, sqldbtest.SQLite(b), false) })
	b.Run("postgres", func(b *testing.B) { benchIngest(b, sqldbtest.Postgres(b), false) })
	b.Run("sqlite-agent", func(b *testing.B) { benchIngest(b, sqldbtest.SQLite(b), true) })
}

func benchIngest(b *testing.B, db *sqldb.DB, viaAgent bool) {
	// The collector as 'clawgov server' sets it from its start.
	defer server.TuneGC(os.Getenv)()
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
	tok := enrollToken(b, st, time.Now(), 1000)
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
	// Bodies (and, for the lean client, whole signed requests) are built
	// ahead so the clock measures the server. Signatures made now stay
	// within the server's clock-skew window for the run. They live in an
	// arena outside the Go heap: thousands of prebuilt 25 KB requests on
	// the heap would raise the collector's goal far above what a real
	// server holds, and the fresh pages its garbage then spreads over cost
	// page faults (on this VM, more than the decode) that no server pays.
	ar := newArena(b, b.N*(64<<10))
	defer ar.free()
	type job struct {
		a    *agent.Agent
		id   string
		body []byte
		raw  []byte
	}
	jobs := make([]job, b.N)
	for n := range jobs {
		a := agents[n%hosts]
		id := fmt.Sprintf("bench-%08d-%s", n, strings.TrimPrefix(b.Name(), "BenchmarkIngest/"))
		body, err := agent.Envelope(rep, facts(n%hosts), id, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		jobs[n] = job{a: a, id: id, body: ar.copy(body)}
		if !viaAgent {
			req, _ := http.NewRequest(http.MethodPost, hs.URL+wire.PathReports, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			wire.Sign(req, a.Key, time.Now(), id, body)
			var raw bytes.Buffer
			if err := req.Write(&raw); err != nil {
				b.Fatal(err)
			}
			jobs[n].raw = ar.copy(raw.Bytes())
		}
	}
	lat := make([]time.Duration, b.N)
	var next, failed atomic.Int64
	fail := func(n int, format string, args ...any) {
		if failed.Add(1) <= 3 {
			b.Logf("ingest %d: "+format, append([]any{n}, args...)...)
		}
	}
	var wg sync.WaitGroup
	b.ResetTimer()
	resetPeakRSS()
	cpu0, flt0 := usage()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var conn net.Conn
			var br *bufio.Reader
			if !viaAgent {
				c, err := net.Dial("tcp", hs.Listener.Addr().String())
				if err != nil {
					fail(-1, "dial: %v", err)
					return
				}
				defer c.Close()
				conn, br = c, bufio.NewReaderSize(c, 16<<10)
			}
			for {
				n := int(next.Add(1) - 1)
				if n >= len(jobs) {
					return
				}
				t0 := time.Now()
				if viaAgent {
					ack, err := jobs[n].a.Send(ctx, jobs[n].id, jobs[n].body)
					lat[n] = time.Since(t0)
					if err != nil || ack.Status != http.StatusCreated {
						fail(n, "%v %+v", err, ack)
					}
					continue
				}
				if _, err := conn.Write(jobs[n].raw); err != nil {
					fail(n, "write: %v", err)
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					fail(n, "read: %v", err)
					return
				}
				msg, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[n] = time.Since(t0)
				if resp.StatusCode != http.StatusCreated {
					fail(n, "status %d: %s", resp.StatusCode, msg)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	cpu, flt := usage()
	cpu, flt = cpu-cpu0, flt-flt0
	peak := procStatusMiB("VmHWM")
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d ingests failed", failed.Load())
	}
	// Every acknowledged report is stored, once.
	var stored int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM fleet_reports`).Scan(&stored); err != nil || stored != b.N {
		b.Fatalf("%d reports stored after %d acknowledged ingests (%v)", stored, b.N, err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/el.Seconds(), "ingests/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(len(jobs[0].body)), "report_bytes")
	// CPU per ingest of the whole process (server and load generator):
	// the machine is shared, so wall-clock rates move with other load while
	// this stays put.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu_ms/ingest")
	// Page faults are costly on virtual machines: a heap that grows and is
	// handed back to the system shows here first.
	b.ReportMetric(float64(flt)/float64(b.N), "faults/ingest")
	// Peak resident memory of the process during the run, less the
	// prebuilt requests (resident in the arena from before the clock
	// started): the server, its SQLite page cache and the small load
	// generator. An upper bound for the server: it also holds what the
	// setup's heap kept resident (returning that first gave the same
	// peak, the collector's goal at GOGC=400 being reached during the run
	// anyway, and cost the run the page faults of regrowing it). Not
	// reported where the kernel keeps no peak to read.
	if peak > 0 {
		b.ReportMetric(peak-float64(ar.off)/(1<<20), "peak_rss_MiB")
	}
}

// resetPeakRSS sets the process's recorded peak resident size (VmHWM,
// which procStatusMiB reads) to its current one (Linux: 5 written to
// clear_refs), so the peak is measured from here.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// usage is the user+system CPU time this process used so far and the
// minor page faults it took.
func usage() (time.Duration, int64) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Minflt
}

// arena is memory outside the Go heap (an anonymous mapping, touched
// once so its pages are in before the clock starts).
type arena struct {
	mem []byte
	off int
}

func newArena(b *testing.B, size int) *arena {
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		b.Fatal(err)
	}
	return &arena{mem: mem}
}

func (a *arena) copy(p []byte) []byte {
	if a.off+len(p) > len(a.mem) {
		panic("bench arena full")
	}
	out := a.mem[a.off : a.off+len(p) : a.off+len(p)]
	copy(out, p)
	a.off += len(p)
	return out
}

func (a *arena) free() { _ = syscall.Munmap(a.mem) }

func auditFixtureB(b *testing.B) *report.Report {
	cfgs, _ := filepath.Glob("../../posture/testdata/openclaw-audit/lanweak.json5")
	if len(cfgs) != 1 {
		b.Fatal("fixture missing")
	}
	return auditFixture(b, cfgs[0])
}
