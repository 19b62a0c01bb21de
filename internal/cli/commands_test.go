package cli

import (
	"log/slog"
	"runtime/debug"
	"slices"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/iostreams"
)

func testFactory() *factory {
	io, _, _, _ := iostreams.Test()
	return &factory{IO: io, Getenv: func(string) string { return "" }, Now: time.Now, Logger: slog.New(slog.DiscardHandler)}
}

// The names run uses to build one command must be the commands' own.
func TestTopCommandNames(t *testing.T) {
	root := newRootCmd(testFactory())
	var built, listed []string
	for _, c := range root.Commands() {
		built = append(built, c.Name())
		if len(c.Aliases) > 0 {
			t.Errorf("%s has aliases; commandFor does not know them", c.Name())
		}
	}
	for _, c := range topCommands() {
		listed = append(listed, c.name)
		one := newRootCmdFor(testFactory(), c.name)
		if cs := one.Commands(); len(cs) != 1 || cs[0].Name() != c.name {
			t.Errorf("root for %s has %d commands", c.name, len(cs))
		}
	}
	slices.Sort(built)
	slices.Sort(listed)
	if !slices.Equal(built, listed) {
		t.Errorf("built commands %v, listed %v", built, listed)
	}
}

func TestCommandFor(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--format", "json"}, "audit"},
		{[]string{"-v", "audit"}, "audit"},
		{[]string{"--config-file", "audit", "version"}, "version"},
		{[]string{"--config-file=x.yaml", "skills", "scan", "dir"}, "skills"},
		{[]string{"audit", "--help"}, ""},
		{[]string{"-h"}, ""},
		{[]string{"help", "audit"}, ""},
		{[]string{"__complete", "au"}, ""},
		{[]string{"audti"}, ""},
		{[]string{"--", "audit"}, ""},
		{nil, ""},
	} {
		if got := commandFor(c.args); got != c.want {
			t.Errorf("commandFor(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

func TestOneShotGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	undo := oneShotGC(func(string) string { return "" })
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("GC percent during an audit = %d, want -1 (off until the limit)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 64<<20 {
		t.Errorf("memory limit during an audit = %d", got)
	}
	undo()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent after the audit = %d, want it restored", got)
	}
	// The user's own setting wins.
	undo = oneShotGC(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: GC percent changed to %d", got)
	}
	undo()
}
