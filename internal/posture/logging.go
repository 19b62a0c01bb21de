package posture

import (
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// Logging checks (DONT-6: never disable detailed log auditing). Sources:
// openclaw-internals §2.7 and §8. The effective log level follows OpenClaw:
// --log-level on the gateway command line, then OPENCLAW_LOG_LEVEL from the
// gateway's environment, then logging.level (default info).

func init() {
	register("CG-LOG-001", lpWrap(checkLOG001))
	register("CG-LOG-002", lpWrap(checkLOG002))
	register("CG-LOG-003", lpWrap(checkLOG003))
	register("CG-LOG-004", lpWrap(checkLOG004))
	register("CG-LOG-005", lpWrap(checkLOG005))
	register("CG-LOG-006", lpWrap(checkLOG006))
	register("CG-LOG-007", lpWrap(checkLOG007))
	register("CG-LOG-008", lpWrap(checkLOG008))
	register("CG-LOG-009", lpWrap(checkLOG009))
}

// logStaleAfter is how old the newest log may be while a gateway runs.
// Dated files roll daily and are pruned after 24 h, so two days without a
// write means logging stopped.
const logStaleAfter = 48 * time.Hour

// lpLogLevel returns the effective file log level and where it came from.
func lpLogLevel(s *Snapshot, c conf) (level, source string, ev finding.Evidence) {
	if v, e, ok := cliFlag(s, "log-level"); ok && v != "" {
		return strings.ToLower(v), "--log-level", e
	}
	if v, ok := envValue(s, "OPENCLAW_LOG_LEVEL"); ok {
		e := envEvidence(s, "OPENCLAW_LOG_LEVEL")
		e.Value = v
		return strings.ToLower(strings.TrimSpace(v)), "OPENCLAW_LOG_LEVEL", e
	}
	l, v := c.str("logging.level", "info")
	e := c.ev("logging.level", v, l)
	src := "logging.level"
	if v == nil {
		src = "default"
		e.Detail = "unset: defaults to info"
	}
	return strings.ToLower(l), src, e
}

func checkLOG001(s *Snapshot) []finding.Finding {
	const id = "CG-LOG-001"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	level, src, e := lpLogLevel(s, c)
	switch level {
	case "silent", "off", "none":
		return []finding.Finding{newFinding(id, finding.Fail, finding.High, "silent", kv("level", level, "source", src), e)}
	case "error", "fatal":
		return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "quiet", kv("level", level, "source", src), e)}
	}
	return nil
}

// lpLogFile returns the gateway's file log path (configured or default).
func lpLogFile(s *Snapshot, c conf) (string, finding.Evidence, bool) {
	p, v := c.str("logging.file", "")
	if p != "" {
		return p, c.ev("logging.file", v, p), true
	}
	name := "openclaw-YYYY-MM-DD.log"
	if s != nil && s.OC != nil && s.OC.Paths.Profile != "" {
		name = "openclaw-" + s.OC.Paths.Profile + "-YYYY-MM-DD.log"
	}
	def := "/tmp/openclaw/" + name
	e := c.ev("logging.file", nil, "")
	e.Detail = "unset: defaults to " + def
	return def, e, false
}

func lpSharedTmp(p string) bool {
	clean := path.Clean(p)
	for _, t := range []string{"/tmp", "/var/tmp", "/dev/shm"} {
		if clean == t || strings.HasPrefix(clean, t+"/") {
			return true
		}
	}
	return false
}

func checkLOG002(s *Snapshot) []finding.Finding {
	const id = "CG-LOG-002"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	p, e, set := lpLogFile(s, c)
	if !lpSharedTmp(p) {
		return nil
	}
	src := "logging.file"
	if !set {
		src = "default"
	}
	return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "shared_tmp", kv("path", p, "source", src), e)}
}

// lpLogFiles returns the log files and log directories the inventory
// stat-ed, by path.
func lpLogFiles(inv *openclaw.Inventory) []openclaw.FileInfo {
	out := append([]openclaw.FileInfo{}, inv.LogFiles...)
	seen := map[string]bool{}
	for _, f := range out {
		seen[f.Path] = true
	}
	for _, f := range lpFilesByRole(inv, "log", "log-dir") {
		if !seen[f.Path] {
			out = append(out, f)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Path < out[j-1].Path; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func checkLOG003(s *Snapshot) []finding.Finding {
	const id = "CG-LOG-003"
	if s == nil || s.OC == nil {
		return errorFinding(id, "no OpenClaw inventory was gathered")
	}
	// The account the gateway runs as, when exactly one non-root account
	// is known: a log dir someone else owns (e.g. a pre-created
	// /tmp/openclaw) is theirs to read, swap or empty.
	svcUID, svcUser := -1, ""
	if s.Host != nil {
		for _, p := range lpIdentities(s, false) {
			if p.isRoot() || p.UID < 0 {
				continue
			}
			if svcUID >= 0 && svcUID != p.UID {
				svcUID = -2 // several accounts: cannot say whose dir it should be
				break
			}
			svcUID, svcUser = p.UID, lpUserLabel(p)
		}
	}
	var out []finding.Finding
	for _, f := range lpLogFiles(s.OC) {
		if !f.Exists || f.Err != "" {
			continue
		}
		if f.IsDir && svcUID >= 0 && f.UID != svcUID && f.UID != 0 {
			nf := newFinding(id, finding.Warn, finding.Medium, "dir_foreign_owner", kv("path", f.Path, "uid", strconv.Itoa(f.UID), "user", svcUser), lpFileEv(f, ""))
			nf.MatchKey = "dir_foreign_owner:" + f.Path
			out = append(out, nf)
		}
		perm := f.Mode.Perm()
		p := kv("path", f.Path, "mode", fsMode(f.Mode))
		switch {
		case f.IsDir && perm&0o022 != 0 && f.Mode&fs.ModeSticky == 0:
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "dir_open", p, lpFileEv(f, "")))
		case !f.IsDir && perm&0o066 != 0:
			sev := finding.Medium
			if perm&0o006 != 0 {
				sev = finding.High
			}
			out = append(out, newFinding(id, finding.Warn, sev, "file_readable", p, lpFileEv(f, "")))
		}
	}
	return out
}

func checkLOG004(s *Snapshot) []finding.Finding {
	const id = "CG-LOG-004"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	if b, v := c.boolean("logging.audit.enabled", true); !b {
		return []finding.Finding{newFinding(id, finding.Fail, finding.High, "audit_off", nil, c.ev("logging.audit.enabled", v, "false"))}
	}
	return nil
}

func checkLOG005(s *Snapshot) []finding.Finding {
	const id = "CG-LOG-005"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	if r, v := c.str("logging.redactSensitive", ""); strings.EqualFold(r, "off") {
		out = append(out, newFinding(id, finding.Fail, finding.Medium, "redact_off", nil, c.ev("logging.redactSensitive", v, r)))
	}
	if v := c.get("logging.redactPatterns"); v != nil && len(v.Elems) > 0 {
		out = append(out, newFinding(id, finding.Warn, finding.Low, "custom_patterns", kv("count", strconv.Itoa(len(v.Elems))), c.ev("logging.redactPatterns", v, "")))
	}
	return out
}

func checkLOG006(s *Snapshot) []finding.Finding {
	const id = "CG-LOG-006"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	inv := s.OC
	if !inv.Paths.StateDirExists {
		return nil // OpenClaw never ran here
	}
	if level, _, _ := lpLogLevel(s, c); level == "silent" || level == "off" {
		return nil // CG-LOG-001 reports a disabled log
	}
	if !lpFilesCollected(inv) {
		return []finding.Finding{newFinding(id, finding.Error, finding.Info, "unknown", kv("reason", "the deployment's files were not collected"))}
	}
	p, _, _ := lpLogFile(s, c)
	var newest *openclaw.FileInfo
	for _, f := range lpLogFiles(inv) {
		if f.IsDir || !f.Exists {
			continue
		}
		if f.Err != "" {
			return []finding.Finding{newFinding(id, finding.Error, finding.Info, "unknown", kv("reason", f.Path+": "+f.Err), lpFileEv(f, ""))}
		}
		if newest == nil || f.ModTime.After(newest.ModTime) {
			ff := f
			newest = &ff
		}
	}
	if newest == nil {
		logDir := path.Dir(p)
		for _, pr := range inv.Problems {
			if pr.Area == "logs" || pr.Area == "log" || pr.Path == logDir || pr.Path == p {
				why := pr.Path
				if pr.Err != nil {
					why += ": " + pr.Err.Error()
				}
				return []finding.Finding{newFinding(id, finding.Error, finding.Info, "unknown", kv("reason", why))}
			}
		}
		return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "absent", kv("path", logDir),
			finding.Evidence{Kind: "file", File: logDir, Detail: "no gateway log files found"})}
	}
	running := s.Host != nil && s.Host.Live && len(s.Host.Processes) > 0
	if running && !s.Now.IsZero() && s.Now.Sub(newest.ModTime) > logStaleAfter {
		days := int(s.Now.Sub(newest.ModTime).Hours() / 24)
		return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "stale", kv("path", newest.Path, "days", strconv.Itoa(days)),
			lpFileEv(*newest, "modified "+newest.ModTime.UTC().Format(time.RFC3339)))}
	}
	return nil
}

func checkLOG007(s *Snapshot) []finding.Finding {
	const id = "CG-LOG-007"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	if t, v := c.isTrue("diagnostics.otel.captureContent"); t {
		return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "capture_content", nil, c.ev("diagnostics.otel.captureContent", v, "true"))}
	}
	return nil
}

func checkLOG008(s *Snapshot) []finding.Finding {
	const id = "CG-LOG-008"
	if s == nil || s.OC == nil {
		return errorFinding(id, "no OpenClaw inventory was gathered")
	}
	if v, ok := envValue(s, "OPENCLAW_RAW_STREAM"); ok && lpTruthy(v) {
		e := envEvidence(s, "OPENCLAW_RAW_STREAM")
		e.Value = v
		return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "raw_stream", kv("source", "OPENCLAW_RAW_STREAM"), e)}
	}
	if s.Host != nil {
		for _, p := range s.Host.Processes {
			if lpHasFlag(p.Cmdline, "--raw-stream") {
				return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "raw_stream", kv("source", "--raw-stream"),
					finding.Evidence{Kind: "process", KeyPath: "pid " + strconv.Itoa(p.PID), Value: "--raw-stream"})}
			}
		}
		for _, u := range s.Host.Units {
			if lpHasFlag(u.ExecStart, "--raw-stream") {
				return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "raw_stream", kv("source", "--raw-stream"),
					finding.Evidence{Kind: "unit", File: u.Path, KeyPath: "ExecStart", Value: "--raw-stream"})}
			}
		}
	}
	return nil
}

func lpTruthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

func lpHasFlag(cmd, flag string) bool {
	for _, f := range strings.Fields(cmd) {
		if f == flag || strings.HasPrefix(f, flag+"=") {
			return !strings.HasSuffix(f, "=false") && !strings.HasSuffix(f, "=0")
		}
	}
	return false
}

func checkLOG009(s *Snapshot) []finding.Finding {
	const id = "CG-LOG-009"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	p, e, set := lpLogFile(s, c)
	days := s.Thresholds.LogRetentionDays
	if level, _, _ := lpLogLevel(s, c); level == "silent" || level == "off" {
		return nil // CG-LOG-001 reports a disabled log
	}
	// Logs exported over OpenTelemetry outlive the local file.
	exported := false
	if en, _ := c.isTrue("diagnostics.otel.enabled"); en {
		if lg, _ := c.isTrue("diagnostics.otel.logs"); lg {
			exported = true
		}
	}
	if days > 1 && (set || exported) {
		// A fixed file rotates by size and an exported log lives in a
		// collector: neither says how many days are kept. A profile with
		// a retention rule needs a person to confirm it, never a pass.
		how := "logging.file, rotated by size"
		if exported {
			how = "exported with diagnostics.otel.logs"
		}
		params := kv("path", p)
		params["days"] = strconv.Itoa(days)
		params["how"] = how
		return []finding.Finding{newFinding(id, finding.Manual, finding.Medium, "retention_unverified", params, e)}
	}
	if set || exported {
		return nil // a fixed file is never pruned by date; exported logs outlive it
	}
	e.Detail += "; dated files are pruned after 24 hours; diagnostics.otel.logs not enabled"
	if days > 1 {
		params := kv("path", p)
		params["days"] = strconv.Itoa(days)
		return []finding.Finding{newFinding(id, finding.Fail, finding.Medium, "retention_below", params, e)}
	}
	return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "short_retention", kv("path", p), e)}
}
