// Package report turns findings into the per-control report every writer
// and the fleet server consume. It applies the profile, renders messages in
// the report language, rolls check outcomes up to the 12 controls and
// answers exit-code questions, so the CLI stays thin.
package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/config"
	"github.com/clawgov/clawgov/internal/finding"
)

// SchemaVersion of the JSON report. Bump on breaking changes.
const SchemaVersion = 1

// Tool names the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// OpenClawInfo is what was found about the OpenClaw install.
type OpenClawInfo struct {
	Version string `json:"version,omitempty"`
	Package string `json:"package,omitempty"`
	// Source says where the version came from (package.json, sqlite,
	// config meta, probe) so a reader can judge it.
	Source  string `json:"source,omitempty"`
	Path    string `json:"path,omitempty"`
	Channel string `json:"channel,omitempty"`
}

// Target is what was audited.
type Target struct {
	Host       string       `json:"host"`
	Rootfs     string       `json:"rootfs,omitempty"`
	StateDir   string       `json:"state_dir,omitempty"`
	ConfigPath string       `json:"config_path,omitempty"`
	OpenClaw   OpenClawInfo `json:"openclaw"`
}

// ControlResult is the roll-up for one framework control.
type ControlResult struct {
	ID    string       `json:"id"`
	Item  int          `json:"item,omitempty"`
	Kind  string       `json:"kind"`
	Title catalog.Text `json:"title"`
	// Description is the framework's text for the control in the report
	// language, so a report can carry the framework reference itself.
	Description string         `json:"description,omitempty"`
	Status      finding.Status `json:"status"`
	CheckIDs    []string       `json:"check_ids"`
	Summary     string         `json:"summary"`
	// Guidance is shown when a person has to decide part of the control.
	Guidance string         `json:"guidance,omitempty"`
	Counts   map[string]int `json:"counts"`
	// Attestations lists the profile's manual items for this control.
	Attestations []string `json:"attestations,omitempty"`
}

// CheckResult is the outcome of one check (pass when it raised nothing).
type CheckResult struct {
	ID       string           `json:"id"`
	Title    string           `json:"title"`
	Severity finding.Severity `json:"severity"`
	Status   finding.Status   `json:"status"`
	Controls []string         `json:"controls"`
	Findings int              `json:"findings"`
	// Description, Remediation and References come from the catalog in
	// the report language so writers (SARIF rule help, HTML) can explain a
	// check that raised nothing.
	Description string   `json:"description,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	References  []string `json:"references,omitempty"`
}

// RunError is an engine-level problem kept apart from findings: something
// could not be read or probed. The checks it affected report error.
type RunError struct {
	Source  string   `json:"source"`
	Message string   `json:"message"`
	Checks  []string `json:"checks,omitempty"`
}

// Summary counts findings and controls.
type Summary struct {
	Controls   map[string]int `json:"controls"`
	Checks     map[string]int `json:"checks"`
	Findings   map[string]int `json:"findings"`
	BySeverity map[string]int `json:"by_severity"`
}

// DataSet describes one of clawgov's own data sets a verdict relied on.
// Its age is a property of the auditor, not of the deployment, so it is
// reported here and never as a finding that changes a control.
type DataSet struct {
	// Date is the data set's own date (YYYY-MM-DD): the newest record of
	// the advisory database, the newest release in the release table.
	Date string `json:"date"`
	// Source says where the data came from (embedded, an update cache).
	Source string `json:"source"`
	// AgeDays is the age of Date at the report's clock (-1 unknown).
	AgeDays int `json:"age_days"`
	// Stale is true beyond the age at which a notice is raised.
	Stale bool `json:"stale,omitempty"`
}

// DataInfo lists the data sets behind the verdicts.
type DataInfo struct {
	Advisories *DataSet `json:"advisories,omitempty"`
	Releases   *DataSet `json:"releases,omitempty"`
	// MinVersion is the organisation's own version baseline when one was
	// set (--min-version or the profile's min_version); the "behind
	// latest" verdict then measures against it.
	MinVersion string `json:"min_version,omitempty"`
}

// Notice is a report-level statement about the run itself (what could not
// be observed, how old the auditor's data is). Notices change no verdict;
// writers show them ahead of the controls.
type Notice struct {
	// ID is stable: no-live-host, advisory-data-stale.
	ID string `json:"id"`
	// Level is info or warning.
	Level   string `json:"level"`
	Message string `json:"message"`
}

// Notice IDs.
const (
	NoticeNoLiveHost = "no-live-host"
	NoticeStaleData  = "advisory-data-stale"
)

// Meta is what a reader needs to judge the report itself.
type Meta struct {
	Data    *DataInfo `json:"data,omitempty"`
	Notices []Notice  `json:"notices,omitempty"`
}

// Report is the whole result of one audit or scan.
type Report struct {
	SchemaVersion int               `json:"schema_version"`
	Kind          string            `json:"kind"`
	Tool          Tool              `json:"tool"`
	CreatedAt     time.Time         `json:"created_at"`
	Lang          catalog.Lang      `json:"lang"`
	Framework     catalog.Framework `json:"framework"`
	Profile       string            `json:"profile"`
	Target        Target            `json:"target"`
	Controls      []ControlResult   `json:"controls"`
	Checks        []CheckResult     `json:"checks"`
	Findings      []finding.Finding `json:"findings"`
	Errors        []RunError        `json:"errors"`
	Summary       Summary           `json:"summary"`
	// Policy, Waivers, Attestations and Baseline are present when a
	// profile, clawgov.yaml or --baseline contributed to the verdicts.
	Policy       *Policy             `json:"policy,omitempty"`
	Waivers      []WaiverResult      `json:"waivers,omitempty"`
	Attestations []AttestationResult `json:"attestations,omitempty"`
	Baseline     *BaselineDiff       `json:"baseline,omitempty"`
	Meta         Meta                `json:"meta"`
}

// Input is what a builder needs.
type Input struct {
	Kind      string // "audit", "skills-scan", "discover"
	Tool      Tool
	Now       time.Time
	Lang      catalog.Lang
	ProfileID string
	Target    Target
	// Ran lists the checks that were evaluated. A check that ran and raised
	// nothing passes; a check that did not run is reported as skip, never
	// pass.
	Ran      []string
	Findings []finding.Finding
	Errors   []RunError
	// Waivers and Attestations come from clawgov.yaml; Config names it
	// (path and digest) for the report's policy record.
	Waivers      []config.Waiver
	Attestations map[string]config.Attestation
	Config       *config.Config
	// Data describes the auditor's data sets (nil: none used).
	Data *DataInfo
}

// Build renders and rolls up the findings.
func Build(cat *catalog.Catalog, in Input) (*Report, error) {
	prof, err := cat.Profile(in.ProfileID)
	if err != nil {
		return nil, err
	}
	disabled := map[string]bool{}
	for _, id := range prof.Disabled {
		disabled[id] = true
	}
	r := &Report{
		SchemaVersion: SchemaVersion,
		Kind:          in.Kind,
		Tool:          in.Tool,
		CreatedAt:     in.Now.UTC(),
		Lang:          in.Lang,
		Framework:     cat.Framework,
		Profile:       prof.ID,
		Target:        in.Target,
		Errors:        append([]RunError{}, in.Errors...),
	}
	ran := map[string]bool{}
	for _, id := range in.Ran {
		if !disabled[id] {
			ran[id] = true
		}
	}
	// Checks named in a run error could not be evaluated.
	errored := map[string]bool{}
	for _, e := range in.Errors {
		for _, id := range e.Checks {
			errored[id] = true
		}
	}

	checkStatus := map[string]finding.Status{}
	checkCount := map[string]int{}
	rendered := make([]finding.Finding, 0, len(in.Findings))
	for _, f := range in.Findings {
		if disabled[f.CheckID] {
			continue
		}
		meta, ok := cat.Check(f.CheckID)
		if !ok {
			return nil, fmt.Errorf("finding for unknown check %s", f.CheckID)
		}
		orig := f.Status
		f = render(meta, f, in.Lang, prof)
		enforceRequired(prof, in.Lang, &f, orig)
		rendered = append(rendered, f)
	}
	// A required check with no outcome at all fails: under a profile that
	// requires it, "not measured" is not "met".
	has := map[string]bool{}
	for _, f := range rendered {
		has[f.CheckID] = true
	}
	for _, req := range prof.Requires {
		if has[req.Check] {
			continue
		}
		was := finding.Skip
		switch {
		case errored[req.Check]:
			was = finding.Error
		case ran[req.Check] && !disabled[req.Check]:
			continue // ran and raised nothing: passed
		}
		meta, _ := cat.Check(req.Check)
		f := requiredUnevaluated(prof, in.Lang, meta, req, was)
		f.Controls = append([]string{}, meta.Controls...)
		sort.Strings(f.Controls)
		f.Remediation = meta.Remediation.Get(in.Lang)
		f.Fingerprint = f.ComputeFingerprint()
		rendered = append(rendered, f)
		delete(errored, req.Check)
	}
	r.Waivers = applyWaivers(in.Waivers, in.Now, in.Target.Host, rendered)
	if len(rendered) > 0 {
		r.Findings = make([]finding.Finding, 0, len(rendered))
	}
	for _, f := range rendered {
		r.Findings = append(r.Findings, f)
		ran[f.CheckID] = true
		// The first finding sets the status even when it is skip (whose
		// rank equals the empty status): a check that only reported
		// "not applicable" must show skip, never pass.
		if prev, seen := checkStatus[f.CheckID]; !seen {
			checkStatus[f.CheckID] = f.Status
		} else {
			checkStatus[f.CheckID] = finding.Worse(prev, f.Status)
		}
		checkCount[f.CheckID]++
	}
	finding.Sort(r.Findings)

	ids := cat.CheckIDs()
	r.Checks = make([]CheckResult, 0, len(ids))
	for _, id := range ids {
		meta, _ := cat.Check(id)
		st := finding.Skip
		switch {
		case disabled[id]:
			st = finding.Skip
		case checkStatus[id] != "":
			st = checkStatus[id]
		case errored[id]:
			st = finding.Error
		case ran[id]:
			st = finding.Pass
		}
		if errored[id] {
			st = finding.Worse(st, finding.Error)
		}
		sev := meta.Severity
		if o, ok := prof.SeverityOverrides[id]; ok {
			sev = o
		}
		// Only report checks relevant to this kind of run: those that ran,
		// errored, or belong to a control (an audit lists all of them so a
		// skipped check is visible, never silently passed).
		if in.Kind != "audit" && st == finding.Skip {
			continue
		}
		r.Checks = append(r.Checks, CheckResult{
			ID: id, Title: meta.Title.Get(in.Lang), Severity: sev, Status: st,
			Controls: append([]string{}, meta.Controls...), Findings: checkCount[id],
			Description: meta.Description.Get(in.Lang), Remediation: meta.Remediation.Get(in.Lang),
			References: append([]string(nil), meta.References...),
		})
	}
	if len(r.Checks) == 0 {
		r.Checks = nil // as before the capacity was reserved
	}

	var atts []AttestationResult
	if in.Kind == "audit" {
		atts = attestations(prof, in.Lang, in.Now, in.Attestations)
		r.Attestations = atts
	}
	r.Policy = policyOf(prof, in.Config)
	if in.Kind == "audit" {
		byID := map[string]CheckResult{}
		for _, c := range r.Checks {
			byID[c.ID] = c
		}
		for _, ctl := range cat.Controls {
			cr := ControlResult{ID: ctl.ID, Item: ctl.Item, Kind: ctl.Kind, Title: ctl.Title, Description: ctl.Description.Get(in.Lang), CheckIDs: append([]string{}, ctl.Checks...), Counts: map[string]int{}}
			st := finding.Status("")
			evaluated := 0
			for _, id := range ctl.Checks {
				c := byID[id]
				cr.Counts[string(c.Status)]++
				if c.Status == finding.Skip {
					continue
				}
				evaluated++
				cs := c.Status
				if cs == finding.Waived {
					// An accepted risk decides nothing; the waiver stays
					// visible in the findings and the waiver section.
					cs = finding.Pass
				}
				if st == "" {
					st = cs
				} else {
					st = finding.Worse(st, cs)
				}
			}
			// A control none of whose checks could run has not been shown
			// to hold: a person must look.
			if evaluated == 0 {
				st = finding.Manual
			}
			for _, a := range atts {
				if a.Control != ctl.ID {
					continue
				}
				cr.Attestations = append(cr.Attestations, a.ID)
				st = finding.Worse(st, a.Status)
			}
			cr.Status = st
			if ctl.ManualGuidance != nil {
				cr.Guidance = ctl.ManualGuidance.Get(in.Lang)
			}
			cr.Summary = controlSummary(in.Lang, cr)
			r.Controls = append(r.Controls, cr)
		}
	}
	r.Summary = summarize(r)
	r.Meta = meta(in)
	sort.SliceStable(r.Errors, func(i, j int) bool {
		if r.Errors[i].Source != r.Errors[j].Source {
			return r.Errors[i].Source < r.Errors[j].Source
		}
		return r.Errors[i].Message < r.Errors[j].Message
	})
	return r, nil
}

var noticeText = map[catalog.Lang]map[string]string{
	catalog.EN: {
		NoticeNoLiveHost: "Live state was not observed: %s was audited as a disk or container image (--rootfs), so checks of sockets, processes, the firewall at run time and the live gateway were skipped (\"no live host (disk image)\") and the controls rest on the files alone.",
		NoticeStaleData:  "clawgov's advisory data is %d days old (newest record %s, %s): a clean result may miss newer advisories. Update it with clawgov advisories update. This says nothing about the deployment and changes no control.",
	},
	catalog.ZH: {
		NoticeNoLiveHost: "未观察运行时状态：%s 作为磁盘或容器镜像（--rootfs）审计，套接字、进程、运行时防火墙和在线网关的检查已跳过（\"无运行中的主机（磁盘镜像）\"），控制项仅依据文件判定。",
		NoticeStaleData:  "clawgov 的安全公告数据已有 %d 天（最新记录 %s，%s）：结果干净也可能遗漏较新的公告。请运行 clawgov advisories update 更新。此提示与被审计部署无关，不影响任何控制项。",
	},
}

// meta builds the report-level notices. They are rendered here, like the
// control summaries, so every writer shows the same text.
func meta(in Input) Meta {
	t := noticeText[in.Lang]
	if t == nil {
		t = noticeText[catalog.EN]
	}
	m := Meta{Data: in.Data}
	if in.Kind == "audit" && in.Target.Rootfs != "" {
		m.Notices = append(m.Notices, Notice{ID: NoticeNoLiveHost, Level: "info", Message: fmt.Sprintf(t[NoticeNoLiveHost], in.Target.Rootfs)})
	}
	if in.Data != nil && in.Data.Advisories != nil && in.Data.Advisories.Stale {
		a := in.Data.Advisories
		m.Notices = append(m.Notices, Notice{ID: NoticeStaleData, Level: "warning", Message: fmt.Sprintf(t[NoticeStaleData], a.AgeDays, a.Date, a.Source)})
	}
	return m
}

func render(meta *catalog.Check, f finding.Finding, lang catalog.Lang, prof *catalog.Profile) finding.Finding {
	f.Controls = append([]string{}, meta.Controls...)
	sort.Strings(f.Controls)
	if f.Title == "" {
		f.Title = meta.Title.Get(lang)
	}
	if f.MessageKey != "" {
		if t, ok := meta.Messages[f.MessageKey]; ok {
			f.Message = catalog.Render(t.Get(lang), f.Params)
		} else if f.Message == "" {
			f.Message = f.MessageKey
		}
	}
	if f.Message == "" {
		f.Message = meta.Description.Get(lang)
	}
	if f.Remediation == "" {
		f.Remediation = meta.Remediation.Get(lang)
	}
	if len(f.References) == 0 {
		f.References = append([]string{}, meta.References...)
	}
	if o, ok := prof.SeverityOverrides[f.CheckID]; ok {
		f.Severity = o
	} else if f.Severity == finding.Info && meta.Severity != finding.Info {
		// Producers may leave severity unset and inherit the check's.
		f.Severity = meta.Severity
	}
	if prof.WarnAsFail && f.Status == finding.Warn {
		f.Status = finding.Fail
	}
	if f.Status == "" {
		f.Status = finding.Fail
	}
	if f.Target == "" {
		f.Target = "local"
	}
	if f.Fingerprint == "" {
		f.Fingerprint = f.ComputeFingerprint()
	}
	return f
}

var summaryText = map[catalog.Lang]map[finding.Status]string{
	catalog.EN: {
		finding.Pass:   "all %d evaluated checks passed",
		finding.Fail:   "%d of %d evaluated checks failed",
		finding.Warn:   "%d of %d evaluated checks raised warnings",
		finding.Error:  "%d of %d checks could not be evaluated",
		finding.Manual: "needs manual review (%d of %d checks)",
		"attest":       "needs manual attestation (%s)",
	},
	catalog.ZH: {
		finding.Pass:   "已评估的%d项检查全部通过",
		finding.Fail:   "%d/%d项已评估检查不通过",
		finding.Warn:   "%d/%d项已评估检查存在警告",
		finding.Error:  "%d/%d项检查无法评估",
		finding.Manual: "需要人工核查（%d/%d项检查）",
		"attest":       "需要人工证明（%s）",
	},
}

func controlSummary(lang catalog.Lang, cr ControlResult) string {
	t := summaryText[lang]
	if t == nil {
		t = summaryText[catalog.EN]
	}
	total := len(cr.CheckIDs)
	evaluated := total - cr.Counts[string(finding.Skip)]
	if cr.Status == finding.Pass {
		return fmt.Sprintf(t[finding.Pass], evaluated)
	}
	n := cr.Counts[string(cr.Status)]
	if cr.Status == finding.Manual && evaluated == 0 {
		n = total
	}
	if cr.Status == finding.Manual && n == 0 && len(cr.Attestations) > 0 {
		return sprintf(t["attest"], strings.Join(cr.Attestations, ", "))
	}
	return fmt.Sprintf(t[cr.Status], n, total)
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

func policyOf(prof *catalog.Profile, cfg *config.Config) *Policy {
	p := &Policy{Profile: prof.ID, ProfileDigest: prof.Digest, ProfileFile: prof.File}
	if cfg != nil && cfg.Path != "" {
		p.Config, p.ConfigDigest, p.Organisation, p.Bundle = cfg.Path, cfg.Digest, cfg.Organisation, cfg.Bundle
	}
	return p
}

func summarize(r *Report) Summary {
	s := Summary{Controls: map[string]int{}, Checks: map[string]int{}, Findings: map[string]int{}, BySeverity: map[string]int{}}
	for _, c := range r.Controls {
		s.Controls[string(c.Status)]++
	}
	for _, c := range r.Checks {
		s.Checks[string(c.Status)]++
	}
	for _, f := range r.Findings {
		s.Findings[string(f.Status)]++
		if f.Status == finding.Fail || f.Status == finding.Warn {
			s.BySeverity[f.Severity.String()]++
		}
	}
	return s
}

// Failing reports whether any failing or warning finding is at or above
// threshold. Manual and error outcomes are not "findings at or above": they
// are surfaced in the report and, for errors, by the run-error exit code.
func (r *Report) Failing(threshold finding.Severity) bool {
	for _, f := range r.Findings {
		if (f.Status == finding.Fail || f.Status == finding.Warn) && f.Severity >= threshold {
			return true
		}
	}
	return false
}
