// Package gctune sets the Go collector for the life of a command (an
// audit, a server) and puts it back afterwards. The values and why belong
// to each command; this is only the mechanism they share.
package gctune

import (
	"runtime/debug"
	"sync"
)

var (
	mu             sync.Mutex
	users, percent int
	limit          int64
)

// Set applies the GC percent and soft memory limit and returns the undo.
// GOGC or GOMEMLIMIT in the environment (getenv) win: then nothing
// changes. Users running side by side in one process (tests) share one
// setting: the first sets it, the last undo restores what was before.
func Set(getenv func(string) string, gcPercent int, memoryLimit int64) (undo func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	mu.Lock()
	defer mu.Unlock()
	if users == 0 {
		percent = debug.SetGCPercent(gcPercent)
		limit = debug.SetMemoryLimit(memoryLimit)
	}
	users++
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if users--; users == 0 {
			debug.SetMemoryLimit(limit)
			debug.SetGCPercent(percent)
		}
	}
}
