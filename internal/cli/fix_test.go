package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/iostreams"
)

const fixConfig = `// hand-written
{
  gateway: {
    mode: "local",
    bind: "lan", // exposed
    auth: { mode: "token", token: "weaktoken12345" },
  },
}
`

func fixHome(t *testing.T) (home, state, cfg string) {
	t.Helper()
	home = t.TempDir()
	state = filepath.Join(home, ".openclaw")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(state, "openclaw.json")
	if err := os.WriteFile(cfg, []byte(fixConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return
}

// runFixCLI runs clawgov with stdin in and the given TTY-ness.
func runFixCLI(t *testing.T, home, in string, tty bool, args ...string) (int, string, string) {
	t.Helper()
	io, stdin, out, errOut := iostreams.Test()
	stdin.WriteString(in)
	io.InTTY = tty
	env := map[string]string{"HOME": home, "LANG": "en_US.UTF-8", "PATH": ""}
	f := &factory{IO: io, Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }, Logger: discardLogger()}
	code := run(args, f)
	return code, out.String(), errOut.String()
}

func fixArgs(state, cfg string, extra ...string) []string {
	// The auth action depends on gateways running on this machine; the
	// CLI behaviour under test does not.
	// --yes-restart-needed: a gateway someone runs on this machine must
	// not turn these tests into refusals.
	return append([]string{"fix", "--state-dir", state, "--config", cfg, "--only", "CG-GW-001", "--yes-restart-needed"}, extra...)
}

func TestFixUsageErrors(t *testing.T) {
	home, state, cfg := fixHome(t)
	for _, args := range [][]string{
		fixArgs(state, cfg, "--format", "xml"),
		fixArgs(state, cfg, "--rollback", "--list-backups"),
		fixArgs(state, cfg, "--lang", "fr"),
		fixArgs(state, cfg, "stray-argument"),
		fixArgs(state, cfg, "--skip", "CG-GW-999"),
	} {
		if code, _, _ := runFixCLI(t, home, "", false, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}

func TestFixNonTTYIsDryRun(t *testing.T) {
	home, state, cfg := fixHome(t)
	code, out, errOut := runFixCLI(t, home, "", false, fixArgs(state, cfg)...)
	if code != 0 || !strings.Contains(out, `gateway.bind: "lan" → "loopback"`) || !strings.Contains(errOut, "Dry run") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "-    bind: \"lan\", // exposed\n+    bind: \"loopback\", // exposed") {
		t.Fatalf("no diff:\n%s", out)
	}
	if b, _ := os.ReadFile(cfg); string(b) != fixConfig {
		t.Fatal("dry run changed the config")
	}
}

func TestFixTTYConfirmation(t *testing.T) {
	home, state, cfg := fixHome(t)
	code, _, errOut := runFixCLI(t, home, "n\n", true, fixArgs(state, cfg)...)
	if code != 0 || !strings.Contains(errOut, "Apply 1 actions? [y/N]") {
		t.Fatalf("exit %d %s", code, errOut)
	}
	if b, _ := os.ReadFile(cfg); string(b) != fixConfig {
		t.Fatal("answer n changed the config")
	}
	code, out, errOut := runFixCLI(t, home, "y\n", true, fixArgs(state, cfg)...)
	if code != 0 || !strings.Contains(out, "Applied 1 actions") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(cfg); !strings.Contains(string(b), `bind: "loopback", // exposed`) {
		t.Fatalf("answer y did not apply:\n%s", b)
	}

	// --list-backups and --rollback.
	code, out, _ = runFixCLI(t, home, "", false, "fix", "--state-dir", state, "--list-backups", "--format", "json")
	var list []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0]["status"] != "applied" {
		t.Fatalf("list-backups: %d %s", code, out)
	}
	id, _ := list[0]["id"].(string)
	code, out, _ = runFixCLI(t, home, "", false, "fix", "--state-dir", state, "--rollback", id)
	if code != 0 || !strings.Contains(out, "rolled back "+id) {
		t.Fatalf("rollback: %d %s", code, out)
	}
	if b, _ := os.ReadFile(cfg); string(b) != fixConfig {
		t.Fatal("rollback did not restore the config")
	}
	code, out, _ = runFixCLI(t, home, "", false, "fix", "--state-dir", state, "--rollback")
	if code != 0 || !strings.Contains(out, "nothing to roll back") {
		t.Fatalf("second rollback: %d %s", code, out)
	}
	if code, _, _ := runFixCLI(t, home, "", false, "fix", "--state-dir", state, "--restore", "nope"); code != ExitUsage {
		t.Fatalf("restore of an unknown id: exit %d", code)
	}
}

func TestFixJSONAndZH(t *testing.T) {
	home, state, cfg := fixHome(t)
	code, out, _ := runFixCLI(t, home, "", false, fixArgs(state, cfg, "--format", "json", "--lang", "zh")...)
	var p struct {
		Lang    string `json:"lang"`
		Actions []struct {
			ID      string `json:"id"`
			Summary string `json:"summary"`
			Restart bool   `json:"restart"`
			Changes []struct {
				File, KeyPath, Old, New string
				Line                    int
			} `json:"changes"`
		} `json:"actions"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil {
		t.Fatalf("exit %d %s", code, out)
	}
	if p.Lang != "zh" || len(p.Actions) != 1 || !strings.Contains(p.Actions[0].Summary, "回环") || !p.Actions[0].Restart || p.Actions[0].Changes[0].Line != 5 {
		t.Fatalf("%+v", p)
	}
}

func TestFixShowToken(t *testing.T) {
	home, state, cfg := fixHome(t)
	args := []string{"fix", "--state-dir", state, "--config", cfg, "--only", "CG-GW-005", "--yes", "--yes-restart-needed"}
	code, out, errOut := runFixCLI(t, home, "", false, args...)
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	if strings.Contains(out, "referencing") {
		t.Skip("a gateway on this machine provides OPENCLAW_GATEWAY_TOKEN; no token was generated")
	}
	env, err := os.ReadFile(filepath.Join(state, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(strings.TrimPrefix(string(env), "OPENCLAW_GATEWAY_TOKEN="))
	if strings.Contains(out+errOut, tok) || strings.Contains(out+errOut, "weaktoken12345") {
		t.Fatal("token printed without --show-token")
	}
	if !strings.Contains(out, filepath.Join(state, ".env")) {
		t.Fatalf("output does not say where the token is:\n%s", out)
	}
	// Roll back, then apply with --show-token.
	if code, _, _ := runFixCLI(t, home, "", false, "fix", "--state-dir", state, "--rollback"); code != 0 {
		t.Fatal("rollback")
	}
	code, out, _ = runFixCLI(t, home, "", false, append(args, "--show-token")...)
	m := regexp.MustCompile(`OPENCLAW_GATEWAY_TOKEN=([A-Za-z0-9_-]{43})\n`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("--show-token: %d\n%s", code, out)
	}
	env, _ = os.ReadFile(filepath.Join(state, ".env"))
	if !bytes.Contains(env, []byte(m[1])) {
		t.Fatal("shown token differs from the stored one")
	}
}

// TestCheckIDsRetiredAlias: a retired check ID in --only/--skip names its
// replacement; an unknown one is still a usage error.
func TestCheckIDsRetiredAlias(t *testing.T) {
	only := []string{"cg-ch-006", "CG-GW-001"}
	if err := checkIDs(only); err != nil {
		t.Fatal(err)
	}
	if only[0] != "CG-TL-009" || only[1] != "CG-GW-001" {
		t.Errorf("retired alias not mapped: %v", only)
	}
	if err := checkIDs([]string{"CG-GW-999"}); err == nil {
		t.Error("unknown check ID accepted")
	}
	// A retired ID without a replacement names nothing to fix.
	if err := checkIDs([]string{"CG-ADV-004"}); err == nil {
		t.Error("retired CG-ADV-004 accepted as a fix target")
	}
}

// TestFixJudgesByClawgovYAML: fix resolves --profile through the local
// profile files of clawgov.yaml (a local profile name was an unknown
// profile before) and leaves a waived finding alone unless --only names
// it.
func TestFixJudgesByClawgovYAML(t *testing.T) {
	home, state, cfg := fixHome(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "branch.yaml"), []byte(`id: branch-local
extends: miit-2026
title: {zh: 分行, en: Branch}
description: {zh: 分行补充要求, en: Branch additions}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := filepath.Join(dir, "clawgov.yaml")
	write := func(waivers string) {
		t.Helper()
		if err := os.WriteFile(yml, []byte("version: 1\nprofile: branch-local\nprofiles: [branch.yaml]\n"+waivers), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	type plan struct {
		Actions []struct {
			ID     string   `json:"id"`
			Checks []string `json:"checks"`
		} `json:"actions"`
		Skipped []struct {
			ID      string   `json:"id"`
			Checks  []string `json:"checks"`
			Skipped string   `json:"skipped"`
		} `json:"skipped"`
	}
	has := func(checks []string, id string) bool {
		for _, c := range checks {
			if c == id {
				return true
			}
		}
		return false
	}
	fix := func(extra ...string) plan {
		t.Helper()
		args := append([]string{"--config-file", yml, "fix", "--state-dir", state, "--config", cfg, "--yes-restart-needed", "--format", "json"}, extra...)
		code, out, errOut := runFixCLI(t, home, "", false, args...)
		var p plan
		if code != 0 || json.Unmarshal([]byte(out), &p) != nil {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		return p
	}

	// No waiver: the local profile resolves and the bind is planned.
	write("")
	p := fix()
	planned := false
	for _, a := range p.Actions {
		planned = planned || has(a.Checks, "CG-GW-001")
	}
	if !planned {
		t.Fatalf("CG-GW-001 not planned under the local profile: %+v", p)
	}

	// Waived: skipped, with the waiver named.
	write(`waivers:
  - id: W-BIND
    check: CG-GW-001
    reason: LAN access until the VPN lands
    owner: secops@example.cn
    expires: 2027-06-30
`)
	p = fix()
	for _, a := range p.Actions {
		if has(a.Checks, "CG-GW-001") {
			t.Fatalf("waived CG-GW-001 still planned: %+v", p)
		}
	}
	skipped := false
	for _, a := range p.Skipped {
		if has(a.Checks, "CG-GW-001") {
			skipped = true
			if !strings.Contains(a.Skipped, "W-BIND") || !strings.Contains(a.Skipped, "LAN access until the VPN lands") || !strings.Contains(a.Skipped, "--only") {
				t.Errorf("skip reason does not name the waiver: %q", a.Skipped)
			}
		}
	}
	if !skipped {
		t.Fatalf("waived action not listed as skipped: %+v", p)
	}

	// Named with --only: the user overrides the accepted risk.
	p = fix("--only", "CG-GW-001")
	if len(p.Actions) != 1 || !has(p.Actions[0].Checks, "CG-GW-001") {
		t.Fatalf("--only CG-GW-001 did not plan the waived fix: %+v", p)
	}

	// An expired waiver no longer applies: the fix is planned again.
	write(`waivers:
  - id: W-BIND
    check: CG-GW-001
    reason: LAN access until the VPN lands
    expires: 2026-01-31
`)
	p = fix()
	planned = false
	for _, a := range p.Actions {
		planned = planned || has(a.Checks, "CG-GW-001")
	}
	if !planned {
		t.Fatalf("expired waiver still keeps CG-GW-001 out of the plan: %+v", p)
	}
}
