package posture

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/finding"
)

// Update and lasting-protection checks (CG-UPD-*): update reminders on
// (DO-1), a stable update channel and a regularly scheduled security audit
// (DO-6).

func init() {
	register("CG-UPD-001", checkUpdateReminders)
	register("CG-UPD-002", checkUpdateChannel)
	register("CG-UPD-003", checkScheduledAudit)
	register("CG-UPD-004", checkAuditSuppressions)
}

// CG-UPD-001: update.checkOnStart false turns off the update check the
// gateway runs at start (and the update pings of headless nodes), so
// nobody is told a fix is out. OPENCLAW_NO_AUTO_UPDATE only stops
// automatic applies; it is reported when it overrides update.auto.
func checkUpdateReminders(s *Snapshot) []finding.Finding {
	c, errs, ok := confOf(s, "CG-UPD-001")
	if !ok {
		return errs
	}
	var out []finding.Finding
	if on, v := c.boolean("update.checkOnStart", true); !on {
		out = append(out, newFinding("CG-UPD-001", finding.Warn, finding.Medium, "check_off", nil, c.ev("update.checkOnStart", v, "false")))
	}
	if auto, v := c.isTrue("update.auto.enabled"); auto {
		if val, set := envValue(s, "OPENCLAW_NO_AUTO_UPDATE"); set && val != "0" && !strings.EqualFold(val, "false") {
			out = append(out, newFinding("CG-UPD-001", finding.Warn, finding.Low, "auto_blocked", nil,
				c.ev("update.auto.enabled", v, "true"), envEvidence(s, "OPENCLAW_NO_AUTO_UPDATE")))
		}
	}
	return out
}

// stableChannels are the release channels fit for production.
var stableChannels = map[string]bool{"stable": true, "extended-stable": true}

// CG-UPD-002: beta and dev channels run pre-release code (dev tracks git
// main); production stays on stable or extended-stable.
func checkUpdateChannel(s *Snapshot) []finding.Finding {
	c, errs, ok := confOf(s, "CG-UPD-002")
	if !ok {
		return errs
	}
	ch, v := c.str("update.channel", "stable")
	if stableChannels[ch] {
		return nil
	}
	sev := finding.Medium
	if ch == "beta" {
		sev = finding.Low
	}
	return []finding.Finding{newFinding("CG-UPD-002", finding.Warn, sev, "prerelease", kv("channel", ch), c.ev("update.channel", v, ch))}
}

// auditCommandRe matches commands that run a security audit of OpenClaw:
// the built-in audit (also under the pre-rename binary names), OpenClaw's
// doctor, and clawgov's audit or fleet agent.
var auditCommandRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(openclaw|clawdbot|moltbot)\S*\s+(?:-\S+(?:\s+[^-\s]\S*)?\s+)*(security\s+audit|doctor)\b|\bclawgov\S*\s+(?:-\S+(?:\s+[^-\s]\S*)?\s+)*(audit|agent)\b`)
})

// CG-UPD-003: a security audit that runs on a schedule. Looks at OpenClaw
// cron jobs, host crontabs and systemd timers. When the host schedule
// could not be read the answer is manual, never pass.
func checkScheduledAudit(s *Snapshot) []finding.Finding {
	if s == nil || s.OC == nil {
		return errorFinding("CG-UPD-003", "no OpenClaw inventory was gathered")
	}
	if st := s.OC.State; st != nil {
		for _, j := range st.CronJobs {
			if j.Enabled && (auditCommandRe().MatchString(j.Command) || auditCommandRe().MatchString(j.Name)) {
				return nil
			}
		}
	}
	hostRead := false
	if h := s.Host; h != nil {
		hostRead = h.Coverage.Scheduled
		for _, j := range h.Scheduled {
			if auditCommandRe().MatchString(j.Command) {
				return nil
			}
		}
	}
	ev := finding.Evidence{Kind: "state", KeyPath: "cron_jobs"}
	if s.OC.State != nil {
		ev.File = s.OC.State.Path
	}
	if !hostRead {
		return []finding.Finding{newFinding("CG-UPD-003", finding.Manual, finding.Medium, "unknown", nil, ev)}
	}
	return []finding.Finding{newFinding("CG-UPD-003", finding.Warn, finding.Medium, "none", nil, ev, finding.Evidence{Kind: "file", KeyPath: "crontab, cron.d, systemd timers"})}
}

// CG-UPD-004: security.audit.suppressions hide findings of OpenClaw's own
// audit (they move to suppressedFindings), so a scheduled audit no longer
// reports them. Each suppression needs a recorded reason and a review;
// one without a reason is an unexplained blind spot.
func checkAuditSuppressions(s *Snapshot) []finding.Finding {
	c, errs, ok := confOf(s, "CG-UPD-004")
	if !ok {
		return errs
	}
	list := c.get("security.audit.suppressions")
	if list == nil || len(list.Elems) == 0 {
		return nil
	}
	var out []finding.Finding
	for i, e := range list.Elems {
		path := fmt.Sprintf("security.audit.suppressions.%d", i)
		id, _ := e.Get("checkId").AsString()
		reason, _ := e.Get("reason").AsString()
		key, st, sev := "suppressed", finding.Warn, finding.Low
		if strings.TrimSpace(reason) == "" {
			key, sev = "no_reason", finding.Medium
		}
		out = append(out, newFinding("CG-UPD-004", st, sev, key, kv("check", strings.TrimSpace(id)), c.ev(path, e, strings.TrimSpace(id))))
	}
	return out
}
