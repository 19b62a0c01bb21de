package posture

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
)

func TestLoggingChecks(t *testing.T) {
	env := func(k, v string) func(*Snapshot) {
		return func(s *Snapshot) {
			s.OC.Env[k] = v
			s.OC.EnvSources[k] = "unit:/etc/systemd/system/openclaw-gateway.service"
		}
	}
	retention := func(days int) func(*Snapshot) {
		return func(s *Snapshot) { s.Thresholds.LogRetentionDays = days }
	}
	logs := func(fis ...openclaw.FileInfo) func(*Snapshot) {
		return func(s *Snapshot) { s.OC.LogFiles = fis }
	}
	old := func(age time.Duration) openclaw.FileInfo {
		f := lpFile("/tmp/openclaw/openclaw-2026-11-20.log", "log", 0o600, 999)
		f.ModTime = lpTestNow.Add(-age)
		return f
	}
	lpRun(t, []lpCase{
		// CG-LOG-001
		{name: "default info", check: "CG-LOG-001"},
		{name: "silent in config", cfg: `{logging: {level: "silent"}}`, check: "CG-LOG-001", want: []string{"fail:silent"}},
		{name: "error only", cfg: `{logging: {level: "error"}}`, check: "CG-LOG-001", want: []string{"warn:quiet"}},
		{name: "env override silences a good config", cfg: `{logging: {level: "info"}}`, mut: env("OPENCLAW_LOG_LEVEL", "silent"), check: "CG-LOG-001", want: []string{"fail:silent"}},
		{name: "env override restores a silent config", cfg: `{logging: {level: "silent"}}`, mut: env("OPENCLAW_LOG_LEVEL", "info"), check: "CG-LOG-001"},
		{name: "blank env ignored", cfg: `{logging: {level: "silent"}}`, mut: env("OPENCLAW_LOG_LEVEL", " "), check: "CG-LOG-001", want: []string{"fail:silent"}},
		{name: "--log-level on the unit", mut: func(s *Snapshot) {
			s.Host.Processes = nil
			s.Host.Units[0].ExecStart = "/usr/bin/openclaw gateway run --log-level silent"
		}, check: "CG-LOG-001", want: []string{"fail:silent"}},

		// CG-LOG-002
		{name: "default /tmp log", check: "CG-LOG-002", want: []string{"warn:shared_tmp_default"}},
		{name: "configured /tmp log", cfg: `{logging: {file: "/tmp/oc.log"}}`, check: "CG-LOG-002", want: []string{"warn:shared_tmp"}},
		{name: "private log path", cfg: `{logging: {file: "/home/oc/.openclaw/logs/openclaw.log"}}`, check: "CG-LOG-002"},
		{name: "var log", cfg: `{logging: {file: "/var/log/openclaw/openclaw.log"}}`, check: "CG-LOG-002"},

		// CG-LOG-003
		{name: "600 log", check: "CG-LOG-003"},
		{name: "644 log", mut: logs(lpFile("/var/log/openclaw/openclaw.log", "log", 0o644, 999)), check: "CG-LOG-003", want: []string{"warn:file_readable"}},
		{name: "640 log", mut: logs(lpFile("/var/log/openclaw/openclaw.log", "log", 0o640, 999)), check: "CG-LOG-003", want: []string{"warn:file_readable"}},
		{name: "world-writable log dir", mut: func(s *Snapshot) {
			s.OC.Files["/var/log/openclaw"] = lpFile("/var/log/openclaw", "log-dir", fs.ModeDir|0o777, 999)
		}, check: "CG-LOG-003", want: []string{"warn:dir_open"}},
		{name: "sticky shared dir", mut: func(s *Snapshot) {
			s.OC.Files["/tmp/openclaw"] = lpFile("/tmp/openclaw", "log-dir", fs.ModeDir|fs.ModeSticky|0o777, 0)
		}, check: "CG-LOG-003"},

		{name: "log dir owned by another user", mut: func(s *Snapshot) {
			s.OC.Files["/tmp/openclaw"] = lpFile("/tmp/openclaw", "log-dir", fs.ModeDir|0o755, 1000)
		}, check: "CG-LOG-003", want: []string{"warn:dir_foreign_owner"}},
		{name: "log dir owned by the service user", mut: func(s *Snapshot) {
			s.OC.Files["/tmp/openclaw"] = lpFile("/tmp/openclaw", "log-dir", fs.ModeDir|0o755, 999)
		}, check: "CG-LOG-003"},
		{name: "log dir owned by root", mut: func(s *Snapshot) {
			s.OC.Files["/var/log/openclaw"] = lpFile("/var/log/openclaw", "log-dir", fs.ModeDir|0o755, 0)
		}, check: "CG-LOG-003"},

		// CG-LOG-004
		{name: "audit default on", check: "CG-LOG-004"},
		{name: "audit off", cfg: `{logging: {audit: {enabled: false}}}`, check: "CG-LOG-004", want: []string{"fail:audit_off"}},

		// CG-LOG-005
		{name: "redaction on", cfg: `{logging: {redactSensitive: "tools"}}`, check: "CG-LOG-005"},
		{name: "redaction off", cfg: `{logging: {redactSensitive: "off"}}`, check: "CG-LOG-005", want: []string{"fail:redact_off"}},
		{name: "custom patterns", cfg: `{logging: {redactPatterns: ["ACME-[0-9]+"]}}`, check: "CG-LOG-005", want: []string{"warn:custom_patterns"}},

		// CG-LOG-006
		{name: "fresh log", check: "CG-LOG-006"},
		{name: "no logs at all", mut: logs(), check: "CG-LOG-006", want: []string{"warn:absent"}},
		{name: "logs unreadable", mut: func(s *Snapshot) {
			s.OC.LogFiles = nil
			s.OC.Problems = append(s.OC.Problems, openclaw.Problem{Path: "/tmp/openclaw", Area: "logs", Err: errors.New("permission denied")})
		}, check: "CG-LOG-006", want: []string{"error:unknown"}},
		{name: "stale while running", mut: logs(old(5 * 24 * time.Hour)), check: "CG-LOG-006", want: []string{"warn:stale"}},
		{name: "stale but gateway stopped", mut: func(s *Snapshot) { logs(old(5 * 24 * time.Hour))(s); s.Host.Processes = nil }, check: "CG-LOG-006"},
		{name: "recent", mut: logs(old(3 * time.Hour)), check: "CG-LOG-006"},
		{name: "default log dir unlistable", mut: func(s *Snapshot) {
			s.OC.LogFiles = nil
			s.OC.Problems = append(s.OC.Problems, openclaw.Problem{Path: "/tmp/openclaw", Area: "files", Err: errors.New("list /tmp/openclaw: permission denied")})
		}, check: "CG-LOG-006", want: []string{"error:unknown"}},
		{name: "files not collected", mut: func(s *Snapshot) { s.OC.LogFiles = nil; s.OC.Files = nil }, check: "CG-LOG-006", want: []string{"error:unknown"}},
		{name: "never ran", mut: func(s *Snapshot) { s.OC.LogFiles = nil; s.OC.Paths.StateDirExists = false }, check: "CG-LOG-006"},
		{name: "silent level reported elsewhere", cfg: `{logging: {level: "silent"}}`, mut: logs(), check: "CG-LOG-006"},

		// CG-LOG-007
		{name: "capture content", cfg: `{diagnostics: {otel: {captureContent: true}}}`, check: "CG-LOG-007", want: []string{"warn:capture_content"}},
		{name: "no capture", cfg: `{diagnostics: {otel: {enabled: true}}}`, check: "CG-LOG-007"},

		// CG-LOG-009
		{name: "default dated log", check: "CG-LOG-009", want: []string{"warn:short_retention"}},
		{name: "fixed log file", cfg: `{logging: {file: "/var/log/openclaw/openclaw.log"}}`, check: "CG-LOG-009"},
		{name: "otel log export", cfg: `{diagnostics: {otel: {enabled: true, logs: true, endpoint: "http://127.0.0.1:4318"}}}`, check: "CG-LOG-009"},
		{name: "otel without logs", cfg: `{diagnostics: {otel: {enabled: true}}}`, check: "CG-LOG-009", want: []string{"warn:short_retention"}},
		// CG-LOG-009 under a profile that requires 180 days of logs.
		{name: "dated log below retention", mut: retention(180), check: "CG-LOG-009", want: []string{"fail:retention_below"}},
		{name: "fixed file with retention rule", cfg: `{logging: {file: "/var/log/openclaw/openclaw.log"}}`, mut: retention(180), check: "CG-LOG-009", want: []string{"manual:retention_unverified"}},
		{name: "otel export with retention rule", cfg: `{diagnostics: {otel: {enabled: true, logs: true, endpoint: "http://127.0.0.1:4318"}}}`, mut: retention(180), check: "CG-LOG-009", want: []string{"manual:retention_unverified"}},
		{name: "one-day rule is met by dated files", mut: retention(1), check: "CG-LOG-009", want: []string{"warn:short_retention"}},

		// CG-LOG-008
		{name: "raw stream env", mut: env("OPENCLAW_RAW_STREAM", "1"), check: "CG-LOG-008", want: []string{"warn:raw_stream"}},
		{name: "raw stream env 0", mut: env("OPENCLAW_RAW_STREAM", "0"), check: "CG-LOG-008"},
		{name: "raw stream flag", mut: func(s *Snapshot) { s.Host.Processes[0].Cmdline += " --raw-stream" }, check: "CG-LOG-008", want: []string{"warn:raw_stream"}},
		{name: "no raw stream", check: "CG-LOG-008"},
		{name: "raw stream in unit", mut: func(s *Snapshot) {
			s.Host.Units = []host.Unit{{Path: "/u", ExecStart: "openclaw gateway --raw-stream"}}
		}, check: "CG-LOG-008", want: []string{"warn:raw_stream"}},
	})
}

func TestLogLevelEvidenceNamesEnvSource(t *testing.T) {
	s := lpSnap(t, `{logging: {level: "info"}}`)
	s.OC.Env["OPENCLAW_LOG_LEVEL"] = "silent"
	s.OC.EnvSources["OPENCLAW_LOG_LEVEL"] = "unit:/etc/systemd/system/openclaw-gateway.service"
	fs := checkLOG001(s)
	if len(fs) != 1 || fs[0].Evidence[0].Kind != "env" || fs[0].Evidence[0].Detail != "unit:/etc/systemd/system/openclaw-gateway.service" || fs[0].Params["source"] != "OPENCLAW_LOG_LEVEL" {
		t.Fatalf("findings %+v", fs)
	}
}
