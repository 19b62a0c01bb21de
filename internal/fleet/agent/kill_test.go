package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/agent"
	"github.com/clawgov/clawgov/internal/fleet/auth"
	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// TestKillAgent runs the real agent binary ('clawgov agent once') as its
// own process against a real server and store, and SIGKILLs it at random
// points: while the server is down (the report only spools) and, once the
// server is up, in the middle of sends, including the worst moment (the
// server stored the report, the agent has not seen the receipt). After
// every kill the spool must hold only whole envelopes; at the end every
// report that ever reached the spool must be on the server exactly once,
// stored in the order the agent produced them, with the spool empty.
func TestKillAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	bin := filepath.Join(t.TempDir(), "clawgov")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/clawgov").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx := context.Background()
	db := sqldbtest.SQLite(t)
	if _, err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := store.New(db)
	srv, err := server.New(server.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}

	// The agent talks to the server through this front: down, it drops
	// every connection (the agent sees a transport error); up, it serves
	// the real handler and, when armed, kills the agent after the server
	// answered and before the answer leaves.
	var (
		up        atomic.Bool
		armed     atomic.Int32 // kills left to make after a stored report
		ackKills  atomic.Int32
		dupes     atomic.Int32
		mu        sync.Mutex
		running   *exec.Cmd
		killedRun bool
	)
	kill := func() {
		mu.Lock()
		defer mu.Unlock()
		if running != nil && running.Process != nil {
			_ = running.Process.Kill() // SIGKILL
			killedRun = true
		}
	}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
				}
			}
			return
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, r)
		if r.URL.Path == wire.PathReports {
			if rec.Code == http.StatusOK {
				dupes.Add(1)
			}
			if rec.Code == http.StatusCreated && armed.Load() > 0 {
				armed.Add(-1)
				ackKills.Add(1)
				kill()
				return
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	defer front.Close()

	up.Store(true)
	tok := auth.NewToken("cge_")
	if err := st.CreateEnrollToken(ctx, store.EnrollToken{ID: "t", TokenHash: store.HashToken(tok), CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), MaxUses: 1}); err != nil {
		t.Fatal(err)
	}
	agentDir := t.TempDir()
	a, err := agent.Enroll(ctx, agentDir, front.URL, tok, "", wire.HostFacts{Hostname: "killed", MachineFP: "m1", BootID: "b1"})
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	if err := os.WriteFile(filepath.Join(state, "openclaw.json"), []byte(`{"gateway":{"mode":"local","bind":"loopback","auth":{"mode":"token","token":"Zq8vN3kLw5Rt7Yp2Xs4Hd6Jf9Bm1Cg0Qa"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}

	spooled := map[string]bool{} // every report ID ever seen whole in the spool
	checkSpool := func(when string) {
		t.Helper()
		sp := filepath.Join(agentDir, "spool")
		es, err := os.ReadDir(sp)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range es {
			name := e.Name()
			if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(sp, name))
			if err != nil {
				t.Fatal(err)
			}
			var env wire.Envelope
			id := strings.TrimSuffix(strings.SplitN(name, "_", 2)[1], ".json")
			if err := json.Unmarshal(b, &env); err != nil || env.ReportID != id || env.Report == nil || len(env.Report.Controls) != 12 {
				t.Fatalf("%s: spool entry %s is not a whole envelope (%d bytes, %v)", when, name, len(b), err)
			}
			spooled[id] = true
		}
	}
	// run starts 'agent once' and kills it after killAfter (0: never). It
	// returns the exit code, -1 when the process was killed.
	run := func(killAfter time.Duration) (int, time.Duration) {
		t.Helper()
		cmd := exec.Command(bin, "agent", "once", "--agent-dir", agentDir, "--state-dir", state)
		cmd.Env = append(os.Environ(), "HOME="+state)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		mu.Lock()
		killedRun = false
		running = cmd
		if err := cmd.Start(); err != nil {
			mu.Unlock()
			t.Fatal(err)
		}
		mu.Unlock()
		start := time.Now()
		var timer *time.Timer
		if killAfter > 0 {
			timer = time.AfterFunc(killAfter, kill)
		}
		err := cmd.Wait()
		took := time.Since(start)
		if timer != nil {
			timer.Stop()
		}
		mu.Lock()
		running = nil
		killed := killedRun
		mu.Unlock()
		if killed {
			return -1, took
		}
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), took
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, took
	}

	// Phase 1: server down. Unkilled runs spool and exit 3; killed runs
	// die anywhere in audit, spool write or the failing flush.
	up.Store(false)
	code, typical := run(0)
	if code != 3 {
		t.Fatalf("server down: exit %d, want 3", code)
	}
	checkSpool("server down")
	kills := 0
	for i := 0; i < 10; i++ {
		after := time.Duration(0)
		if i%2 == 1 {
			after = time.Duration(rng.Int64N(int64(typical))) + time.Millisecond
		}
		code, _ := run(after)
		if code == -1 {
			kills++
		} else if code != 3 {
			t.Fatalf("server down run %d: exit %d", i, code)
		}
		checkSpool(fmt.Sprintf("server down run %d", i))
	}
	if len(spooled) < 6 {
		t.Fatalf("only %d reports spooled while the server was down", len(spooled))
	}
	t.Logf("server down: %d reports spooled, %d runs killed (a run takes %s)", len(spooled), kills, typical)

	// Phase 2: server up. Three runs die right after the server stored a
	// report (the receipt never arrives), three at random moments; then
	// runs go unkilled until one is acknowledged with nothing pending.
	up.Store(true)
	for i := 0; i < 3; i++ {
		armed.Store(1)
		if code, _ := run(0); code != -1 {
			t.Fatalf("run %d was to be killed after a stored report: exit %d", i, code)
		}
		armed.Store(0)
		checkSpool(fmt.Sprintf("killed after store %d", i))
	}
	for i := 0; i < 3; i++ {
		_, _ = run(time.Duration(rng.Int64N(int64(typical))) + time.Millisecond)
		checkSpool(fmt.Sprintf("server up random kill %d", i))
	}
	done := false
	for i := 0; i < 5 && !done; i++ {
		code, _ := run(0)
		checkSpool("drain")
		done = code == 0 && a.Pending() == 0
	}
	if !done {
		t.Fatalf("spool did not drain: %d pending", a.Pending())
	}
	if ackKills.Load() != 3 || dupes.Load() < 3 {
		t.Fatalf("kills after store %d, duplicate resends %d: the lost-receipt path was not exercised", ackKills.Load(), dupes.Load())
	}

	// Every spooled report exactly once, in production order.
	rows, err := db.Query(ctx, `SELECT report_id FROM fleet_reports WHERE host_id = ? ORDER BY rowid`, a.State.HostID)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, id)
	}
	rows.Close()
	seen := map[string]int{}
	for _, id := range stored {
		seen[id]++
	}
	for id := range spooled {
		if seen[id] != 1 {
			t.Fatalf("spooled report %s stored %d times", id, seen[id])
		}
	}
	if !sort.StringsAreSorted(stored) {
		t.Fatalf("reports stored out of order: %v", stored)
	}
	if len(seen) != len(stored) {
		t.Fatalf("a report stored twice: %v", stored)
	}
	if a.Corrupt() != 0 {
		t.Fatalf("%d corrupt spool entries after kill -9 (the atomic write should make that impossible)", a.Corrupt())
	}
	es, _ := os.ReadDir(filepath.Join(agentDir, "spool"))
	for _, e := range es {
		if e.Name() != ".lock" {
			t.Fatalf("spool left %s", e.Name())
		}
	}
	t.Logf("%d reports stored, %d seen in the spool, %d duplicate resends answered 200", len(stored), len(spooled), dupes.Load())
}
