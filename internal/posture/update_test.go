package posture

import (
	"testing"

	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
)

func TestUPD001Reminders(t *testing.T) {
	runCases(t, "CG-UPD-001", []checkCase{
		{name: "default on", cfg: ``, want: nil},
		{name: "off", cfg: `{update: {checkOnStart: false}}`, want: []string{"warn/medium/check_off"}},
		{name: "explicit on", cfg: `{update: {checkOnStart: true}}`, want: nil},
		{name: "auto blocked by env", cfg: `{update: {auto: {enabled: true}}}`, opts: []snapOpt{optEnv("OPENCLAW_NO_AUTO_UPDATE", "1")}, want: []string{"warn/low/auto_blocked"}},
		{name: "env without auto", cfg: ``, opts: []snapOpt{optEnv("OPENCLAW_NO_AUTO_UPDATE", "1")}, want: nil},
	})
}

func TestUPD002Channel(t *testing.T) {
	runCases(t, "CG-UPD-002", []checkCase{
		{name: "default stable", cfg: ``, want: nil},
		{name: "extended-stable", cfg: `{update: {channel: "extended-stable"}}`, want: nil},
		{name: "beta", cfg: `{update: {channel: "beta"}}`, want: []string{"warn/low/prerelease"}},
		{name: "dev", cfg: `{update: {channel: "dev"}}`, want: []string{"warn/medium/prerelease"}},
	})
}

func optScheduled(read bool, jobs ...host.ScheduledJob) snapOpt {
	return func(s *Snapshot) {
		s.Host.Coverage.Scheduled = read
		s.Host.Scheduled = jobs
	}
}

func TestUPD003ScheduledAudit(t *testing.T) {
	runCases(t, "CG-UPD-003", []checkCase{
		{name: "host unread, nothing in OpenClaw cron", cfg: ``, want: []string{"manual/medium/unknown"}},
		{name: "host read, none", cfg: ``, opts: []snapOpt{optScheduled(true, host.ScheduledJob{Kind: "crontab", Command: "/usr/bin/backup.sh"})}, want: []string{"warn/medium/none"}},
		{name: "crontab clawgov", cfg: ``, opts: []snapOpt{optScheduled(true, host.ScheduledJob{Kind: "crontab", Command: "/usr/local/bin/clawgov audit --format json --output /var/log/cg.json"})}, want: nil},
		{name: "timer openclaw audit", cfg: ``, opts: []snapOpt{optScheduled(false, host.ScheduledJob{Kind: "systemd-timer", Command: "/usr/bin/openclaw security audit --json"})}, want: nil},
		{name: "timer openclaw with flags", cfg: ``, opts: []snapOpt{optScheduled(true, host.ScheduledJob{Kind: "systemd-timer", Command: "openclaw --profile work security audit --deep"})}, want: nil},
		{name: "openclaw cron job", cfg: ``, opts: []snapOpt{optState(&openclaw.State{Path: "/s", CronJobs: []openclaw.CronJob{{ID: "a", Name: "nightly audit", Enabled: true, PayloadKind: "exec", Command: "openclaw security audit --json > /tmp/a.json"}}})}, want: nil},
		{name: "disabled cron job", cfg: ``, opts: []snapOpt{optScheduled(true), optState(&openclaw.State{Path: "/s", CronJobs: []openclaw.CronJob{{ID: "a", Enabled: false, Command: "openclaw security audit"}}})}, want: []string{"warn/medium/none"}},
		{name: "unrelated openclaw command", cfg: ``, opts: []snapOpt{optScheduled(true, host.ScheduledJob{Kind: "crontab", Command: "openclaw update"})}, want: []string{"warn/medium/none"}},
		{name: "no host facts", cfg: ``, opts: []snapOpt{optNoHost()}, want: []string{"manual/medium/unknown"}},
	})
}

func TestUPD004Suppressions(t *testing.T) {
	runCases(t, "CG-UPD-004", []checkCase{
		{name: "none", cfg: ``, want: nil},
		{name: "empty list", cfg: `{security: {audit: {suppressions: []}}}`, want: nil},
		{name: "with and without reason", cfg: `{security: {audit: {suppressions: [
			{checkId: "gateway.trusted_proxies_missing", reason: "no reverse proxy; UI is local only"},
			{checkId: "hooks.default_session_key_unset"},
		]}}}`, want: []string{"warn/low/suppressed", "warn/medium/no_reason"}},
	})
}
