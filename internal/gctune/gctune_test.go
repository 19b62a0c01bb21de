package gctune

import (
	"runtime/debug"
	"testing"
)

// TestShared: overlapping users share the first one's setting, and only the
// last undo restores what was there before.
func TestShared(t *testing.T) {
	pct0 := debug.SetGCPercent(100)
	lim0 := debug.SetMemoryLimit(1 << 40)
	defer func() { debug.SetGCPercent(pct0); debug.SetMemoryLimit(lim0) }()
	env := func(string) string { return "" }
	read := func() (int, int64) {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1)
	}
	first := Set(env, 300, 100<<20)
	second := Set(env, 50, 10<<20)
	if p, l := read(); p != 300 || l != 100<<20 {
		t.Fatalf("two users: %d, %d; want the first's 300, %d", p, l, 100<<20)
	}
	first()
	if p, l := read(); p != 300 || l != 100<<20 {
		t.Fatalf("one user left: %d, %d; want 300, %d", p, l, 100<<20)
	}
	second()
	if p, l := read(); p != 100 || l != 1<<40 {
		t.Fatalf("after the last undo: %d, %d; want 100, %d", p, l, int64(1<<40))
	}
	// The environment wins.
	undo := Set(func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1GiB"
		}
		return ""
	}, 300, 100<<20)
	if p, _ := read(); p != 100 {
		t.Fatalf("GOMEMLIMIT set: GC percent changed to %d", p)
	}
	undo()
}
