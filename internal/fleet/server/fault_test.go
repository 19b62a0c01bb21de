package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/fleet/agent"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

func minimalReport(t testing.TB) *report.Report {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{SchemaVersion: report.SchemaVersion, Kind: "audit", Profile: "miit-2026"}
	for _, c := range cat.Controls {
		rep.Controls = append(rep.Controls, report.ControlResult{ID: c.ID, Status: "pass"})
	}
	return rep
}

// TestDiskFull fills the SQLite database (max_page_count) and checks the
// server answers 503 unavailable and stores nothing partial.
func TestDiskFull(t *testing.T) {
	db := sqldbtest.SQLite(t)
	db.SetMaxOpenConns(1)
	f := setup(t, db)
	a := enrollAgent(t, f, f.token(1), 1)
	ctx := context.Background()
	var pages int
	if err := db.QueryRow(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	rep := minimalReport(t)
	// Large findings text so the insert needs new pages.
	for i := 0; i < 50; i++ {
		rep.Findings = append(rep.Findings, findingN(i))
	}
	id := agent.NewReportID(f.clk.Now())
	body, _ := agent.Envelope(rep, facts(1), id, f.clk.Now())
	ack, err := a.Send(ctx, id, body)
	if err != nil || ack.Status != http.StatusServiceUnavailable || ack.Err == nil || ack.Err.Code != wire.CodeUnavailable {
		t.Fatalf("disk full: %+v %v", ack, err)
	}
	if _, err := db.Exec(ctx, `PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if reps, _ := f.st.ListReports(ctx, a.State.HostID, store.ScopeAll, 0); len(reps) != 0 {
		t.Fatalf("partial write stored %d reports", len(reps))
	}
	// Space again: the same report goes through.
	if ack, err := a.Send(ctx, id, body); err != nil || ack.Status != 201 {
		t.Fatalf("after space freed: %+v %v", ack, err)
	}
}

// TestKillServer kills the server process with SIGKILL while agents push
// concurrently, restarts it, and checks every acknowledged report is
// stored exactly once.
func TestKillServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "clawgov")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/clawgov").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbPath := filepath.Join(t.TempDir(), "fleet.db")
	dsn := "sqlite://" + dbPath
	start := func() (*exec.Cmd, string) {
		cmd := exec.Command(bin, "server", "--db", dsn, "--listen", "127.0.0.1:0", "--insecure-http")
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`listening on (http://[0-9.:]+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				go func() { _, _ = io.Copy(io.Discard, stderr) }()
				return cmd, m[1]
			}
		}
		t.Fatalf("server did not start")
		return nil, ""
	}
	cmd, url := start()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := store.New(db)
	tok := enrollToken(t, st, time.Now(), 8)
	rep := minimalReport(t)
	var agents []*agent.Agent
	for i := 0; i < 8; i++ {
		a, err := agent.Enroll(ctx, t.TempDir(), url, tok, "", facts(i))
		if err != nil {
			t.Fatal(err)
		}
		agents = append(agents, a)
	}
	var mu sync.Mutex
	acked := map[string]string{} // report ID -> host ID
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("r%02d-%06d", i, n)
				body, _ := agent.Envelope(rep, facts(i), id, time.Now())
				ack, err := a.Send(ctx, id, body)
				if err != nil {
					return // the server is gone
				}
				if ack.Acknowledged() {
					mu.Lock()
					acked[id] = a.State.HostID
					mu.Unlock()
				}
			}
		}()
	}
	// Let load build up, then kill without warning.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	cmd2, _ := start()
	defer func() { _ = cmd2.Process.Kill(); _ = cmd2.Wait() }()
	for id, host := range acked {
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM fleet_reports WHERE host_id = ? AND report_id = ?`, host, id).Scan(&n); err != nil || n != 1 {
			t.Fatalf("acknowledged report %s: %d rows (%v)", id, n, err)
		}
	}
	var total int
	_ = db.QueryRow(ctx, `SELECT COUNT(*) FROM fleet_reports`).Scan(&total)
	t.Logf("%d acknowledged before kill -9, %d stored", len(acked), total)
	if total < len(acked) {
		t.Fatalf("lost reports: %d stored < %d acknowledged", total, len(acked))
	}
	_ = os.Remove(bin)
}

func findingN(i int) finding.Finding {
	return finding.Finding{CheckID: "CG-GW-001", Controls: []string{"DO-1"}, Status: "fail", Title: fmt.Sprintf("finding %d", i),
		Message: string(make([]byte, 0)) + fmt.Sprintf("%0400d", i), Fingerprint: fmt.Sprintf("fp%04d", i)}
}
