package server

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	pct0 := debug.SetGCPercent(100)
	lim0 := debug.SetMemoryLimit(-1)
	defer func() { debug.SetGCPercent(pct0); debug.SetMemoryLimit(lim0) }()
	undo := TuneGC(func(string) string { return "" })
	if p, l := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1); p != GCPercent || l != MemoryLimit {
		t.Fatalf("tuned: GC percent %d, limit %d; want %d, %d", p, l, GCPercent, MemoryLimit)
	}
	debug.SetGCPercent(GCPercent) // SetGCPercent(-1) above turned it off
	undo()
	if p := debug.SetGCPercent(-1); p != 100 {
		t.Fatalf("undo left GC percent %d, want 100", p)
	}
	debug.SetGCPercent(100)
	// The environment wins: nothing changes.
	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		undo := TuneGC(func(name string) string {
			if name == k {
				return "200"
			}
			return ""
		})
		if p := debug.SetGCPercent(100); p != 100 {
			t.Fatalf("%s set: GC percent changed to %d", k, p)
		}
		undo()
	}
}
