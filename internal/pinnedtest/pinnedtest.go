// Package pinnedtest installs the pinned real clients (OpenClaw, the
// clawhub CLI) for tests, through the repository's own install scripts
// (scripts/install-openclaw.sh, scripts/install-clawhub.sh), which cache
// the install and serialise concurrent runs.
package pinnedtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RequireNode skips t when node or npm is not on PATH; what names what
// the test would install with them.
func RequireNode(t testing.TB, what string) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH: the test needs node and npm to install %s", tool, what)
		}
	}
}

// Install runs scripts/SCRIPT and returns the wrapper path it prints. A
// failing install fails t, with the script's own log (passed through to
// the test output) saying why.
func Install(t testing.TB, script string) string {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(repoRoot(t), "scripts", script))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	return strings.TrimSpace(string(out))
}

// repoRoot is the nearest directory above the test's working directory
// (its package) that holds go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = up
	}
}
