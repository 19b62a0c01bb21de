package server

import "github.com/clawgov/clawgov/internal/gctune"

// Collector settings for a long-running server, applied by TuneGC unless
// the environment sets GOGC or GOMEMLIMIT.
const (
	// GCPercent lets the heap grow to five times what is live before a
	// collection. A server's live heap is small (under 10 MiB at 50,000
	// hosts) while an ingest allocates about 100 KB, so at Go's default of
	// 100 the collector ran every few dozen ingests and took about a fifth
	// of the CPU per ingest (BenchmarkIngest: 1.05 ms at 100, 0.85 ms at
	// 400).
	GCPercent = 400
	// MemoryLimit caps what GCPercent may grow to, so a burst of large live
	// data (a dashboard export at a large fleet) collects sooner instead of
	// growing five-fold: the server stays under its 200 MiB budget.
	MemoryLimit = 150 << 20
)

// TuneGC applies GCPercent and MemoryLimit for the life of a server and
// returns the undo. GOGC or GOMEMLIMIT in the environment (getenv) win:
// then nothing changes.
func TuneGC(getenv func(string) string) (undo func()) {
	return gctune.Set(getenv, GCPercent, MemoryLimit)
}
