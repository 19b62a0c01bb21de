package wire

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/audit"
	"github.com/clawgov/clawgov/internal/catalog"
)

func realBody(b *testing.B) ([]byte, []byte, map[string]bool) {
	b.Helper()
	cfgs, _ := filepath.Glob("../../posture/testdata/openclaw-audit/*.json5")
	dir := b.TempDir()
	raw, _ := os.ReadFile(cfgs[0])
	_ = os.WriteFile(filepath.Join(dir, "openclaw.json"), raw, 0o600)
	rep, err := audit.Run(context.Background(), audit.Options{StateDir: dir, ConfigPath: filepath.Join(dir, "openclaw.json"), Lang: catalog.ZH,
		Getenv: func(string) string { return "" }})
	if err != nil {
		b.Fatal(err)
	}
	cat, _ := catalog.Default()
	all := map[string]bool{}
	for _, c := range cat.Controls {
		all[c.ID] = true
	}
	e := &Envelope{SchemaVersion: 1, ReportID: "report-0001", CollectedAt: time.Now().UTC(), Host: HostFacts{Hostname: "h", MachineFP: "m", BootID: "b"}, Report: rep}
	compact, err := Compact(*e)
	if err != nil {
		b.Fatal(err)
	}
	return body(b, e), compact, all
}

// BenchmarkDecode compares the full decoder with the ingest decoder on a
// real audit report, and times the ingest decode of its compact form (what
// agents send).
func BenchmarkDecode(b *testing.B) {
	body, compact, ids := realBody(b)
	b.Run("full", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			if _, err := Decode(body, "report-0001", ids); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ingest", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			if _, err := DecodeIngest(body, "report-0001", ids); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ingest-compact", func(b *testing.B) {
		b.SetBytes(int64(len(compact)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := DecodeIngest(compact, "report-0001", ids); err != nil {
				b.Fatal(err)
			}
		}
	})
}
