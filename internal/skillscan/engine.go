package skillscan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/clawgov/clawgov/internal/approval"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/posture"
	"github.com/clawgov/clawgov/internal/report"
)

// Check IDs this package evaluates (metadata in the catalog's
// checks/skills.yaml).
const (
	CheckVerdict       = "CG-SKL-001"
	CheckMatch         = "CG-SKL-002"
	CheckNoOrigin      = "CG-SKL-010"
	CheckRegistry      = "CG-SKL-011"
	CheckIntegrity     = "CG-SKL-012"
	CheckTreeHash      = "CG-SKL-013"
	CheckNotScanned    = "CG-SKL-014"
	CheckLockMismatch  = "CG-SKL-015"
	CheckApproval      = "CG-SKL-016"
	CheckInstallPolicy = "CG-SKL-020"
	CheckUploads       = "CG-SKL-021"
	CheckAutonomous    = "CG-SKL-022"
	CheckExtraDirs     = "CG-SKL-023"
	CheckPinned        = "CG-SKL-024"
)

// Engine is the audit engine "skills": it scans every installed skill and
// plugin folder (DONT-4) and checks their provenance and the skill
// settings (DO-4).
type Engine struct {
	// Options for the scanner; zero value = defaults.
	Options Options
}

// Name is the catalog engine name.
func (Engine) Name() string { return "skills" }

// target is one folder to scan in the audit.
type target struct {
	name, dir, hostDir, root string
	plugin                   bool
}

// Run implements the audit engine.
func (e Engine) Run(ctx context.Context, s *posture.Snapshot) ([]string, []finding.Finding, []report.RunError) {
	ran := []string{CheckVerdict, CheckMatch, CheckNoOrigin, CheckRegistry, CheckIntegrity, CheckTreeHash, CheckNotScanned, CheckLockMismatch, CheckApproval, CheckInstallPolicy, CheckUploads, CheckAutonomous, CheckExtraDirs, CheckPinned}
	if s == nil || s.OC == nil {
		return ran, nil, []report.RunError{{Source: "skills", Message: "no OpenClaw inventory was gathered", Checks: ran}}
	}
	inv := s.OC
	var fs []finding.Finding
	var errs []report.RunError
	fs = append(fs, settingsFindings(inv)...)
	fs = append(fs, pinnedFindings(s)...)
	if s.Registry == nil || s.Registry.URL == "" {
		fs = append(fs, finding.Finding{CheckID: CheckApproval, Status: finding.Skip, MessageKey: noRegistryKey, MatchKey: noRegistryKey})
	}

	targets := installedTargets(inv)
	if len(targets) == 0 {
		// Nothing installed: compiling the rule set would only cost
		// start-up time (it is the largest part of an audit's CPU).
		return ran, fs, errs
	}
	sc, err := New(e.Options)
	if err != nil {
		return ran, fs, []report.RunError{{Source: "skills", Message: "load skill rules: " + err.Error(), Checks: ran}}
	}
	for _, ir := range sc.scanTargets(ctx, targets) {
		fs = append(fs, ResultFindings(ir.Result, ir.Shown, "en")...)
		t := ir.t
		if t.hostDir != "" && !t.plugin && t.root != "bundled" {
			p := ReadProvenance(t.hostDir)
			fs = append(fs, provenanceFindings(t, p, s.Registry)...)
			if fromOrg(s.Registry, recordedRegistry(p)) {
				fs = append(fs, approvalFindings(ctx, s.Registry, t, p)...)
			}
		}
	}
	return ran, fs, errs
}

// InstalledResult is the scan of one installed skill or plugin folder.
type InstalledResult struct {
	Result
	// Shown is the folder as the deployment sees it.
	Shown string
	t     target
}

// ScanInstalled scans every skill and plugin folder of the inventory.
func (s *Scanner) ScanInstalled(ctx context.Context, inv *openclaw.Inventory) []InstalledResult {
	return s.scanTargets(ctx, installedTargets(inv))
}

func (s *Scanner) scanTargets(ctx context.Context, ts []target) []InstalledResult {
	var units []*unit
	var idx []int
	out := make([]InstalledResult, len(ts))
	for i, t := range ts {
		out[i] = InstalledResult{Shown: t.dir, t: t}
		if t.hostDir == "" {
			out[i].Result = Result{Name: t.name, Source: t.dir, Verdict: Clean, Errors: []string{"folder does not resolve inside the audited root"}}
			continue
		}
		u := readDirUnit(t.hostDir, s.opts.Limits)
		u.name, u.source = t.name, t.hostDir
		units = append(units, u)
		idx = append(idx, i)
	}
	res := s.scanUnitsOrdered(ctx, units)
	for k, i := range idx {
		out[i].Result = res[k]
		out[i].Result.Source = ts[i].dir
	}
	return out
}

// installedTargets lists skill and plugin folders from the inventory,
// mapped to host paths under the rootfs.
func installedTargets(inv *openclaw.Inventory) []target {
	var out []target
	seen := map[string]bool{}
	add := func(t target) {
		if seen[t.dir] || t.dir == "" {
			return
		}
		seen[t.dir] = true
		t.hostDir = hostDir(inv.Rootfs, t.dir)
		out = append(out, t)
	}
	for _, sk := range inv.Skills {
		name := sk.Name
		if name == "" {
			name = filepath.Base(sk.Dir)
		}
		add(target{name: name, dir: sk.Dir, root: sk.Root})
	}
	for _, p := range inv.Plugins {
		name := p.ID
		if name == "" {
			name = filepath.Base(p.Dir)
		}
		add(target{name: "plugin:" + name, dir: p.Dir, root: "plugin", plugin: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out
}

// hostDir maps a deployment path to the host path under rootfs through
// host.Root, the audit's one rooted-path resolver: symlinks in the image
// are resolved inside it (an absolute link names a path in the image), so
// no folder can lead the scan out of the root. "" when the path cannot be
// resolved (a symlink loop); a missing folder keeps its path so the scan
// reports the read error.
func hostDir(rootfs, dir string) string {
	if rootfs == "" || rootfs == "/" {
		return dir
	}
	if strings.HasPrefix(dir, rootfs+string(os.PathSeparator)) {
		return dir
	}
	r, err := host.NewRoot(rootfs)
	if err != nil {
		return ""
	}
	defer r.Close()
	res, err := r.Resolve(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return r.HostPath(dir)
	case err != nil:
		return ""
	}
	return r.HostPath(res)
}

// ResultFindings turns one scan result into findings: CG-SKL-001 with the
// verdict and CG-SKL-002 per match. shown is the path reported for the
// skill; lang ("zh" or "en") picks the rule titles.
func ResultFindings(res Result, shown, lang string) []finding.Finding {
	var out []finding.Finding
	params := map[string]string{"skill": res.Name, "dir": shown, "explanation": res.Explanation}
	v := finding.Finding{CheckID: CheckVerdict, Target: res.Name, Params: params, MatchKey: "verdict",
		Evidence: []finding.Evidence{{Kind: "skill", File: shown, Detail: fmt.Sprintf("%d files, %d bytes, verdict %s", res.Files, res.Bytes, res.Verdict)}}}
	switch res.Verdict {
	case Malicious:
		v.Status, v.Severity, v.MessageKey = finding.Fail, finding.Critical, "malicious"
	case Suspicious:
		v.Status, v.Severity, v.MessageKey = finding.Warn, finding.High, "suspicious"
	default:
		v.Status, v.Severity, v.MessageKey = finding.Pass, finding.Info, "clean"
	}
	if res.Incomplete() && res.Verdict != Malicious {
		// What could not be read could hold anything: never a pass.
		v.Status, v.MessageKey = finding.Error, "incomplete"
		params["errors"] = strings.Join(res.Errors, "; ")
	}
	for i, m := range res.Matches {
		if i >= 10 {
			break
		}
		v.Evidence = append(v.Evidence, finding.Evidence{Kind: "file", File: joinShown(shown, m.File), Line: m.Line, Value: m.Text, Detail: m.RuleID + " " + m.Severity.String()})
	}
	out = append(out, v)
	for _, m := range res.Matches {
		st := finding.Warn
		switch res.Verdict {
		case Malicious:
			st = finding.Fail
		case Clean:
			// Below the verdict threshold: shown for review, not failed.
			st = finding.Pass
		}
		note := ""
		if m.Via != "" {
			note += " (decoded: " + m.Via + ")"
		}
		if m.Context != "" {
			note += " (" + m.Context + ")"
		}
		out = append(out, finding.Finding{
			CheckID: CheckMatch, Status: st, Severity: max(m.Severity, finding.Low), Target: res.Name,
			MessageKey: "match", MatchKey: m.RuleID + "\x00" + m.Text,
			Params:   map[string]string{"rule": m.RuleID, "rule_title": m.Title.Get(lang), "file": m.File, "line": strconv.Itoa(m.Line), "text": m.Text, "note": note},
			Evidence: []finding.Evidence{{Kind: "file", File: joinShown(shown, m.File), Line: m.Line, Value: m.Text, Detail: m.RuleID + " " + m.Category}},
		})
	}
	return out
}

func joinShown(dir, rel string) string {
	if dir == "" {
		return rel
	}
	if strings.HasSuffix(dir, rel) {
		return dir
	}
	return strings.TrimSuffix(dir, "/") + "/" + rel
}

func provenanceFindings(t target, p *Provenance, org *posture.OrgRegistry) []finding.Finding {
	var out []finding.Finding
	ev := func(file string) []finding.Evidence { return []finding.Evidence{{Kind: "file", File: file}} }
	for _, err := range p.ReadErrs {
		out = append(out, finding.Finding{CheckID: CheckLockMismatch, Status: finding.Error, Target: t.name, MessageKey: "unreadable",
			Params: map[string]string{"error": err.Error()}, Evidence: ev(t.dir)})
	}
	o := p.Origin
	if o == nil && p.Lock == nil {
		if t.root == "workshop" {
			// Agent-authored skills have no registry origin by design;
			// CG-SKL-022 covers whether the agent may apply them.
			return out
		}
		e := ev(t.dir)
		// A path, git or archive install records where it came from in
		// .openclaw/source-origin.json; say so, it is still not ClawHub.
		if b, err := readSmall(filepath.Join(t.hostDir, ".openclaw", "source-origin.json")); err == nil {
			var so struct{ Source, Spec string }
			if json.Unmarshal(b, &so) == nil && so.Source != "" {
				e[0].Detail = "installed from " + so.Source + " " + so.Spec + " (.openclaw/source-origin.json)"
			}
		}
		return append(out, finding.Finding{CheckID: CheckNoOrigin, Status: finding.Warn, Target: t.name, MessageKey: "no_origin",
			Params: map[string]string{"skill": t.name, "dir": t.dir}, Evidence: e})
	}
	reg, regFile := "", ""
	if o != nil {
		reg, regFile = o.Registry, o.File
	} else {
		reg, regFile = p.Lock.Registry, p.Lock.File
	}
	regEv := []finding.Evidence{{Kind: "file", File: regFile, KeyPath: "registry", Value: reg}}
	switch {
	case org != nil && org.URL != "":
		// With an organisation registry configured, it is the only
		// acceptable source: the public ClawHub included, anything else
		// skipped its review.
		params := map[string]string{"skill": t.name, "registry": orNone(reg), "file": regFile, "org": approval.NormalizeURL(org.URL)}
		if fromOrg(org, reg) {
			out = append(out, finding.Finding{CheckID: CheckRegistry, Status: finding.Pass, Target: t.name, MessageKey: "org", Params: params, Evidence: regEv})
		} else {
			out = append(out, finding.Finding{CheckID: CheckRegistry, Status: finding.Fail, Target: t.name, MessageKey: "not_org", Params: params, Evidence: regEv})
		}
	case reg != "" && strings.TrimRight(reg, "/") != OfficialRegistry:
		out = append(out, finding.Finding{CheckID: CheckRegistry, Status: finding.Warn, Target: t.name, MessageKey: "registry",
			Params: map[string]string{"skill": t.name, "registry": reg, "file": regFile}, Evidence: regEv})
	}
	if o != nil {
		var missing []string
		if o.Artifact == nil || o.Artifact.Integrity == "" {
			missing = append(missing, "artifact.integrity")
		}
		if o.FileTreeSHA256 == "" {
			missing = append(missing, "fileTreeSha256")
		}
		if len(missing) > 0 {
			out = append(out, finding.Finding{CheckID: CheckIntegrity, Status: finding.Warn, Target: t.name, MessageKey: "missing",
				Params: map[string]string{"skill": t.name, "file": o.File, "fields": strings.Join(missing, ", ")}, Evidence: ev(o.File)})
		}
		if o.FileTreeSHA256 != "" {
			switch {
			case p.TreeErr != nil:
				out = append(out, finding.Finding{CheckID: CheckTreeHash, Status: finding.Error, Target: t.name, MessageKey: "error",
					Params: map[string]string{"skill": t.name, "error": p.TreeErr.Error()}, Evidence: ev(t.dir)})
			case p.TreeSHA256 != o.FileTreeSHA256:
				out = append(out, finding.Finding{CheckID: CheckTreeHash, Status: finding.Fail, Target: t.name, MessageKey: "mismatch",
					Params:   map[string]string{"skill": t.name, "recorded": o.FileTreeSHA256, "actual": p.TreeSHA256},
					Evidence: []finding.Evidence{{Kind: "file", File: o.File, KeyPath: "fileTreeSha256", Value: o.FileTreeSHA256, Detail: "on disk " + p.TreeSHA256}}})
			}
		}
		if o.TrustState == "not-scanned-by-clawhub" {
			ref := o.RequestedReference
			if ref == "" {
				ref = o.Slug
			}
			out = append(out, finding.Finding{CheckID: CheckNotScanned, Status: finding.Warn, Target: t.name, MessageKey: "not_scanned",
				Params: map[string]string{"skill": t.name, "reference": ref}, Evidence: []finding.Evidence{{Kind: "file", File: o.File, KeyPath: "trustState", Value: o.TrustState}}})
		}
	}
	if o != nil && p.Lock != nil {
		for _, d := range [][3]string{
			{"version", o.InstalledVersion, p.Lock.Version},
			{"registry", o.Registry, p.Lock.Registry},
			{"fileTreeSha256", o.FileTreeSHA256, p.Lock.FileTreeSHA256},
			{"trustState", o.TrustState, p.Lock.TrustState},
		} {
			if d[1] != d[2] {
				out = append(out, finding.Finding{CheckID: CheckLockMismatch, Status: finding.Warn, Target: t.name, MessageKey: "differ",
					Params: map[string]string{"skill": t.name, "field": d[0], "origin": orNone(d[1]), "lock": orNone(d[2])}, MatchKey: d[0],
					Evidence: []finding.Evidence{{Kind: "file", File: p.Lock.File, KeyPath: "skills." + o.Slug + "." + d[0], Value: d[2]}}})
			}
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// settingsFindings checks the skill-related configuration (DO-4).
func settingsFindings(inv *openclaw.Inventory) []finding.Finding {
	var out []finding.Finding
	c := inv.Config
	cfgFile := ""
	if c != nil {
		cfgFile = c.Path
	}
	line := func(path string) string {
		if v := c.Get(path); v != nil {
			return strconv.Itoa(v.Line())
		}
		return "0"
	}
	ev := func(key, val string) []finding.Evidence {
		l, _ := strconv.Atoi(line(key))
		return []finding.Evidence{{Kind: "config", File: cfgFile, KeyPath: key, Line: l, Value: val}}
	}
	enabled, _ := c.Bool("security.installPolicy.enabled")
	cmd, _ := c.String("security.installPolicy.exec.command")
	switch {
	case !enabled:
		out = append(out, finding.Finding{CheckID: CheckInstallPolicy, Status: finding.Fail, MessageKey: "disabled", Evidence: ev("security.installPolicy.enabled", fmt.Sprint(enabled))})
	case strings.TrimSpace(cmd) == "":
		out = append(out, finding.Finding{CheckID: CheckInstallPolicy, Status: finding.Fail, MessageKey: "no_command", Evidence: ev("security.installPolicy.exec.command", "")})
	default:
		if tv := c.Get("security.installPolicy.targets"); tv != nil {
			ok := false
			for _, t := range tv.Strings() {
				if t == "skill" {
					ok = true
				}
			}
			if !ok {
				out = append(out, finding.Finding{CheckID: CheckInstallPolicy, Status: finding.Fail, MessageKey: "targets", Evidence: ev("security.installPolicy.targets", strings.Join(tv.Strings(), ","))})
			}
		}
	}
	if v, ok := c.Bool("skills.install.allowUploadedArchives"); ok && v {
		out = append(out, finding.Finding{CheckID: CheckUploads, Status: finding.Fail, MessageKey: "enabled",
			Params: map[string]string{"file": cfgFile, "line": line("skills.install.allowUploadedArchives")}, Evidence: ev("skills.install.allowUploadedArchives", "true")})
	}
	if v, ok := c.String("skills.workshop.autonomous.mode"); ok && v == "auto" {
		out = append(out, finding.Finding{CheckID: CheckAutonomous, Status: finding.Fail, MessageKey: "auto",
			Params: map[string]string{"file": cfgFile, "line": line("skills.workshop.autonomous.mode")}, Evidence: ev("skills.workshop.autonomous.mode", v)})
	}
	if dirs := c.Get("skills.load.extraDirs"); dirs != nil {
		for _, d := range dirs.Strings() {
			hd := hostDir(inv.Rootfs, expandHome(d, inv.Paths.Home))
			st, err := os.Stat(hd)
			if err != nil {
				if !os.IsNotExist(err) {
					out = append(out, finding.Finding{CheckID: CheckExtraDirs, Status: finding.Error, MessageKey: "missing", MatchKey: d,
						Params: map[string]string{"dir": d, "error": err.Error()}, Evidence: ev("skills.load.extraDirs", d)})
				}
				continue
			}
			m := st.Mode()
			if m.Perm()&0o002 != 0 && m&os.ModeSticky == 0 {
				out = append(out, finding.Finding{CheckID: CheckExtraDirs, Status: finding.Fail, MessageKey: "writable", MatchKey: d,
					Params: map[string]string{"dir": d, "mode": fmt.Sprintf("%04o", m.Perm())}, Evidence: ev("skills.load.extraDirs", d)})
			}
		}
	}
	return out
}

func expandHome(p, home string) string {
	if home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		return filepath.Join(home, strings.TrimPrefix(p, "~"))
	}
	return p
}
