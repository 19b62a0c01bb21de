package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/iostreams"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// The scheduled audit: each run adds one dated report, --keep rotates the
// oldest away, same-second runs never overwrite each other, and files the
// audit did not name are never touched.
func TestAuditOutputDirRotates(t *testing.T) {
	isolateCache(t)
	root := filepath.Join(t.TempDir(), "root")
	if err := os.MkdirAll(filepath.Join(root, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "reports", "daily")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	// Someone else's files in the directory survive any rotation.
	for _, n := range []string{"notes.txt", "audit-latest.json", "audit-20200101T000000Z.md"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	clock := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	runAt := func(at time.Time, args ...string) int {
		io, _, out, errOut := iostreams.Test()
		f := &factory{IO: io, Getenv: func(string) string { return "" }, Now: func() time.Time { return at }, Logger: discardLogger()}
		code := run(append([]string{"audit", "--rootfs", root, "--fail-on", "none"}, args...), f)
		if out.Len() != 0 {
			t.Errorf("--output-dir run wrote to stdout: %q", out.String())
		}
		if strings.Contains(errOut.String(), "panic") {
			t.Fatal(errOut.String())
		}
		return code
	}
	for day := 0; day < 4; day++ {
		if c := runAt(clock.AddDate(0, 0, day), "--format", "json", "--output-dir", dir, "--keep", "3"); c != 0 {
			t.Fatalf("day %d: exit %d", day, c)
		}
	}
	// Two runs in the same second as day 3.
	if c := runAt(clock.AddDate(0, 0, 3), "--format", "json", "--output-dir", dir, "--keep", "3"); c != 0 {
		t.Fatalf("same-second run: exit %d", c)
	}
	want := []string{
		"audit-20200101T000000Z.md", "audit-20261203T030000Z.json", "audit-20261204T030000Z-1.json",
		"audit-20261204T030000Z.json", "audit-latest.json", "notes.txt",
	}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Fatalf("reports after rotation:\n got %v\nwant %v", got, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, "audit-20261204T030000Z-1.json"))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(b)), "{") {
		t.Fatalf("dated report is not the JSON report: %v %.40q", err, b)
	}
	// Without --keep nothing is removed, and another format rotates apart.
	if c := runAt(clock.AddDate(0, 0, 5), "--format", "markdown", "--output-dir", dir); c != 0 {
		t.Fatalf("markdown run: exit %d", c)
	}
	if got := dirNames(t, dir); !slices.Contains(got, "audit-20261206T030000Z.md") || !slices.Contains(got, "audit-20200101T000000Z.md") || len(got) != len(want)+1 {
		t.Fatalf("markdown run changed other reports: %v", got)
	}
	// The directory is created when missing.
	fresh := filepath.Join(t.TempDir(), "new", "reports")
	if c := runAt(clock, "--format", "sarif", "--output-dir", fresh, "--keep", "1"); c != 0 {
		t.Fatalf("fresh dir: exit %d", c)
	}
	if got := dirNames(t, fresh); !slices.Equal(got, []string{"audit-20261201T030000Z.sarif"}) {
		t.Fatalf("fresh dir: %v", got)
	}
}

func TestAuditOutputDirBadFlags(t *testing.T) {
	isolateCache(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--output-dir", t.TempDir(), "-o", "x.json"}, "--output and --output-dir exclude each other"},
		{[]string{"--keep", "3"}, "--keep needs --output-dir"},
		{[]string{"--output-dir", t.TempDir(), "--keep", "-1"}, "--keep -1"},
		{[]string{"--output-dir", file}, "--output-dir " + file},
	} {
		code, out, errOut := auditRun(t, nil, append([]string{"audit", "--rootfs", t.TempDir(), "--fail-on", "none"}, tc.args...)...)
		var errs []string
		for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
			if !strings.HasPrefix(l, "clawgov: warning: ") {
				errs = append(errs, l)
			}
		}
		if code != ExitUsage || len(errs) != 1 || !strings.Contains(errs[0], tc.msg) {
			t.Errorf("%v: exit %d, stderr %q (want exit 2 with %q on one line)", tc.args, code, errOut, tc.msg)
		}
		if out != "" {
			t.Errorf("%v: wrote stdout %q", tc.args, out)
		}
	}
}
