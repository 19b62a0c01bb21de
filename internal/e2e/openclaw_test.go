// Package e2e tests clawgov against the real OpenClaw from npm: fixture
// state dirs are built with the real `openclaw config set` and checked with
// `openclaw config validate`, and clawgov's audit is compared with
// `openclaw security audit --json` on the same state.
//
// The tests need CLAWGOV_OPENCLAW to point at an OpenClaw command (the
// wrapper printed by scripts/install-openclaw.sh; scripts/test.sh sets it).
// Without it they skip with that reason.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openclawBin returns the OpenClaw command or skips the test.
func openclawBin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("CLAWGOV_OPENCLAW")
	if bin == "" {
		t.Skip("CLAWGOV_OPENCLAW is not set: run scripts/test.sh (it installs the pinned OpenClaw) to run tests against the real program")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("CLAWGOV_OPENCLAW=%s: %v", bin, err)
	}
	return bin
}

// ocEnv is the environment for a real OpenClaw run in a throw-away home:
// no mDNS, no update checks, nothing from the developer's own setup.
func ocEnv(home string) []string {
	env := []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"OPENCLAW_DISABLE_BONJOUR=1",
		"OPENCLAW_NO_AUTO_UPDATE=1",
		"NO_COLOR=1",
		"TMPDIR=" + filepath.Join(home, "tmp"),
	}
	return env
}

// runOC runs the real openclaw with args in home and returns stdout.
func runOC(t testing.TB, bin, home string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = ocEnv(home)
	cmd.Dir = home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("openclaw %s: %v\nstderr: %s", strings.Join(args, " "), err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// setOp is one `openclaw config set --batch-json` operation.
type setOp struct {
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// buildFixture creates a fresh home, applies ops with the real `openclaw
// config set --batch-json`, validates with `openclaw config validate
// --json`, then runs setup (file modes and the like).
func buildFixture(t testing.TB, bin string, ops []setOp, setup func(home string)) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	// "LOGFILE" stands for a private log path inside this home.
	logFile, _ := json.Marshal(filepath.Join(home, ".openclaw", "logs", "openclaw.log"))
	b = bytes.ReplaceAll(b, []byte(`"LOGFILE"`), logFile)
	runOC(t, bin, home, "config", "set", "--batch-json", string(b))
	var v struct {
		Valid bool `json:"valid"`
	}
	out := runOC(t, bin, home, "config", "validate", "--json")
	if err := json.Unmarshal(lastJSON(out), &v); err != nil || !v.Valid {
		t.Fatalf("fixture config is not valid for the real OpenClaw: %s", out)
	}
	if setup != nil {
		setup(home)
	}
	return home
}

// lastJSON returns the last top-level JSON object in out: OpenClaw may
// print banners before it.
func lastJSON(out []byte) []byte {
	i := bytes.IndexByte(out, '{')
	if i < 0 {
		return out
	}
	return out[i:]
}

// ocAuditFinding is one finding of `openclaw security audit --json`.
type ocAuditFinding struct {
	CheckID  string `json:"checkId"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Detail   string `json:"detail"`
}

func openclawAudit(t testing.TB, bin, home string) []ocAuditFinding {
	t.Helper()
	out := runOC(t, bin, home, "security", "audit", "--json")
	var r struct {
		Findings []ocAuditFinding `json:"findings"`
	}
	if err := json.Unmarshal(lastJSON(out), &r); err != nil {
		t.Fatalf("parse openclaw security audit --json: %v\n%s", err, tail(string(out), 2000))
	}
	return r.Findings
}
