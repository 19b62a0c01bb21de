package skillscan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDumpMatches(t *testing.T) {
	dirs := os.Getenv("DUMP_DIRS")
	if dirs == "" {
		t.Skip()
	}
	s, _ := New(Options{Skip: harnessFile})
	for _, d := range strings.Fields(dirs) {
		r := s.ScanDir(context.Background(), d, filepath.Base(d))
		fmt.Printf("== %s %s %s\n", d, r.Verdict, r.Explanation)
		for _, m := range r.Matches {
			if m.Severity >= 2 {
				fmt.Printf("  %s %s %s:%d [%s] %s\n", m.RuleID, m.Severity, m.File, m.Line, m.Via, m.Text)
			}
		}
	}
}
