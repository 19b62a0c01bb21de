package store_test

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// BenchmarkStoreIngest stores reports of a realistic size (25 KB body,
// 12 controls, 40 findings) for 200 hosts one after another, so it times
// the store's own statements without HTTP or decoding.
func BenchmarkStoreIngest(b *testing.B) {
	ctx := context.Background()
	db := sqldbtest.SQLite(b)
	if _, err := store.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	s := store.New(db)
	if err := s.CreateEnrollToken(ctx, store.EnrollToken{ID: "t", TokenHash: "th", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), MaxUses: 1000}); err != nil {
		b.Fatal(err)
	}
	const hosts = 200
	for i := range hosts {
		id := fmt.Sprint(i)
		if _, err := s.EnrollHost(ctx, store.EnrollParams{TokenHash: "th", HostID: id, PublicKey: []byte("k" + id), KeyFP: "fp-" + id,
			Hostname: "h-" + id, MachineFP: "m" + id, BootID: "b1", Addresses: []string{"10.0.0." + id}, At: t0}); err != nil {
			b.Fatal(err)
		}
	}
	body := []byte(strings.Repeat("x", 25<<10))
	ctl := map[string]string{}
	for i := range 6 {
		ctl[fmt.Sprintf("DO-%d", i+1)], ctl[fmt.Sprintf("DONT-%d", i+1)] = "pass", "fail"
	}
	var fs []store.Finding
	for i := range 40 {
		fs = append(fs, store.Finding{Fingerprint: fmt.Sprintf("%032x", i), CheckID: "CG-GW-001", Controls: []string{"DO-2"}, Severity: "high", Status: "fail",
			Title: "title", Message: "message"})
	}
	b.ResetTimer()
	cpu0 := processCPU()
	for n := range b.N {
		id := fmt.Sprint(n % hosts)
		at := t0.Add(time.Duration(n) * time.Millisecond)
		if _, err := s.Ingest(ctx, store.IngestParams{HostID: id, ReportID: fmt.Sprintf("report-%08d", n), ReceivedAt: at, CollectedAt: at, ContentSHA256: fmt.Sprint(n),
			Signature: "sig", KeyFP: "fp-" + id, Body: body, Hostname: "h-" + id, MachineFP: "m" + id, BootID: "b1", Addresses: []string{"10.0.0." + id},
			Profile: "miit-2026", OpenClaw: "2026.2.0", Controls: ctl, Findings: fs, FindingsTotal: len(fs)}); err != nil {
			b.Fatal(err)
		}
	}
	// Process CPU (the checkpointer included), steadier than wall time on
	// a shared machine.
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu_ms/ingest")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
