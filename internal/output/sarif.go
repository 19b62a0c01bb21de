package output

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// SARIFWriter writes SARIF 2.1.0 for GitHub code scanning and other SARIF
// consumers. The structs below are a small hand-rolled subset of the
// format (gitleaks' approach): fewer dependencies, and the schema test in
// sarif_test.go keeps them honest.
//
// Mapping choices:
//   - one rule per check in the report, in the report's (sorted) check
//     order, so ruleIndex is stable between runs;
//   - rule level and properties.security-severity come from the check's
//     severity (GitHub reads security-severity as a numeric string);
//   - fail findings are kind "fail" with the severity's level; warn
//     findings are kind "fail" capped at level "warning"; manual findings
//     are kind "review" and error findings kind "open", both level "none"
//     as SARIF requires for non-fail kinds; pass and skip produce no result;
//   - partialFingerprints carry Finding.Fingerprint, which leaves line
//     numbers out, so an alert survives reformatting of the config file;
//   - run errors become tool execution notifications, not results.
type SARIFWriter struct{}

var _ Writer = (*SARIFWriter)(nil)

const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	toolInfoURI  = "https://github.com/clawgov/clawgov"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool              `json:"tool"`
	Invocations       []sarifInvocation      `json:"invocations"`
	AutomationDetails *sarifAutomation       `json:"automationDetails,omitempty"`
	Results           []sarifResult          `json:"results"`
	Properties        map[string]interface{} `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string                 `json:"id"`
	Name                 string                 `json:"name,omitempty"`
	ShortDescription     sarifText              `json:"shortDescription"`
	FullDescription      sarifText              `json:"fullDescription"`
	Help                 sarifText              `json:"help"`
	HelpURI              string                 `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConfig        `json:"defaultConfiguration"`
	Properties           map[string]interface{} `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level          string             `json:"level"`
	Message        sarifText          `json:"message"`
	AssociatedRule *sarifRuleRef      `json:"associatedRule,omitempty"`
	Properties     map[string]any     `json:"properties,omitempty"`
	Descriptor     *sarifDescriptorID `json:"descriptor,omitempty"`
}

type sarifDescriptorID struct {
	ID string `json:"id"`
}

type sarifRuleRef struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifResult struct {
	RuleID              string                 `json:"ruleId"`
	RuleIndex           int                    `json:"ruleIndex"`
	Kind                string                 `json:"kind"`
	Level               string                 `json:"level"`
	Message             sarifText              `json:"message"`
	Locations           []sarifLocation        `json:"locations"`
	PartialFingerprints map[string]string      `json:"partialFingerprints"`
	Suppressions        []sarifSuppression     `json:"suppressions,omitempty"`
	BaselineState       string                 `json:"baselineState,omitempty"`
	Properties          map[string]interface{} `json:"properties"`
}

// sarifSuppression records a waiver: code scanning shows the result as
// dismissed with the justification instead of dropping it.
type sarifSuppression struct {
	Kind          string                 `json:"kind"`
	Status        string                 `json:"status"`
	Justification string                 `json:"justification"`
	Properties    map[string]interface{} `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
	Message          *sarifText    `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// securitySeverity maps to GitHub's CVSS-like bands: >=9.0 critical,
// 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.Critical:
		return "9.5"
	case finding.High:
		return "8.0"
	case finding.Medium:
		return "5.5"
	case finding.Low:
		return "3.0"
	}
	return "0.0"
}

func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	}
	return "note"
}

// sarifKindLevel decides kind and level of a result from a finding; ok is
// false for outcomes that are not results (pass, skip).
func sarifKindLevel(f finding.Finding) (kind, level string, ok bool) {
	st := f.Status
	if st == finding.Waived && f.Waiver != nil {
		// A waived result keeps the kind and level it had; the suppression
		// says it was accepted.
		st = f.Waiver.OriginalStatus
	}
	switch st {
	case finding.Fail:
		return "fail", sarifLevel(f.Severity), true
	case finding.Warn:
		if l := sarifLevel(f.Severity); l == "note" {
			return "fail", l, true
		}
		return "fail", "warning", true
	case finding.Manual:
		return "review", "none", true
	case finding.Error:
		return "open", "none", true
	}
	return "", "", false
}

// sarifURI turns an evidence path into a URI: absolute paths become file://
// URIs, relative ones stay relative (GitHub resolves them against the
// repository root).
func sarifURI(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	if strings.HasPrefix(p, "/") {
		return (&url.URL{Scheme: "file", Path: path.Clean(p)}).String()
	}
	return (&url.URL{Path: p}).EscapedPath()
}

// Write renders r as one SARIF 2.1.0 log with a single run.
func (SARIFWriter) Write(w io.Writer, r *report.Report) error {
	L := labelsFor(r.Lang)
	ctlTitle := map[string]string{}
	for _, c := range r.Controls {
		ctlTitle[c.ID] = controlTitle(c.ID, c.Title, r.Lang)
	}

	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "clawgov", Version: r.Tool.Version, InformationURI: toolInfoURI, Rules: []sarifRule{},
		}},
		AutomationDetails: &sarifAutomation{ID: "clawgov/" + kindOr(r.Kind) + "/"},
		Results:           []sarifResult{},
		Properties: map[string]interface{}{
			"framework":        r.Framework.ID,
			"frameworkVersion": r.Framework.Version,
			"profile":          r.Profile,
			"host":             r.Target.Host,
			"openclawVersion":  r.Target.OpenClaw.Version,
			"lang":             string(r.Lang),
			"createdAt":        r.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
		},
	}
	if len(r.Controls) > 0 {
		ctls := make([]map[string]string, 0, len(r.Controls))
		for _, c := range r.Controls {
			ctls = append(ctls, map[string]string{"id": c.ID, "status": string(c.Status)})
		}
		run.Properties["controls"] = ctls
	}

	ruleIndex := map[string]int{}
	addRule := func(id, title, desc, remediation string, sev finding.Severity, controls, refs []string) {
		if _, ok := ruleIndex[id]; ok {
			return
		}
		ruleIndex[id] = len(run.Tool.Driver.Rules)
		if title == "" {
			title = id
		}
		if desc == "" {
			desc = title
		}
		var md strings.Builder
		fmt.Fprintf(&md, "**%s** %s\n\n%s\n", id, mdEscape(title), mdEscape(desc))
		text := title + "\n\n" + desc
		if remediation != "" {
			fmt.Fprintf(&md, "\n**%s:** %s\n", L.get("fix_title"), mdEscape(remediation))
			text += "\n\n" + L.get("fix_title") + ": " + remediation
		}
		if len(controls) > 0 {
			fmt.Fprintf(&md, "\n**%s:**\n\n", L.get("controls_hdr"))
			text += "\n\n" + L.get("controls_hdr") + ":"
			for _, c := range controls {
				t := ctlTitle[c]
				if t == "" {
					t = c
				}
				fmt.Fprintf(&md, "- %s\n", mdEscape(t))
				text += "\n- " + t
			}
		}
		helpURI := ""
		var links []string
		for _, ref := range refs {
			if safeURL(ref) {
				links = append(links, ref)
				if helpURI == "" {
					helpURI = ref
				}
			}
		}
		if len(links) > 0 {
			fmt.Fprintf(&md, "\n**%s:**\n\n", L.get("references"))
			text += "\n\n" + L.get("references") + ":"
			for _, l := range links {
				fmt.Fprintf(&md, "- <%s>\n", l)
				text += "\n- " + l
			}
		}
		tags := append([]string{"security", "openclaw"}, controls...)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   id,
			ShortDescription:     sarifText{Text: oneLine(title)},
			FullDescription:      sarifText{Text: oneLine(desc)},
			Help:                 sarifText{Text: text, Markdown: md.String()},
			HelpURI:              helpURI,
			DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(sev)},
			Properties: map[string]interface{}{
				"tags":              tags,
				"security-severity": securitySeverity(sev),
				"severity":          sev.String(),
				"precision":         "high",
				"controls":          nonNil(controls),
			},
		})
	}
	for _, c := range r.Checks {
		addRule(c.ID, c.Title, c.Description, c.Remediation, c.Severity, c.Controls, c.References)
	}
	// Findings of checks absent from r.Checks (a scan that lists only what
	// ran) still need a rule.
	for _, f := range r.Findings {
		addRule(f.CheckID, f.Title, "", f.Remediation, f.Severity, f.Controls, f.References)
	}

	for _, f := range r.Findings {
		kind, level, ok := sarifKindLevel(f)
		if !ok {
			continue
		}
		msg := f.Message
		if f.Target != "" && f.Target != "local" {
			msg = f.Target + ": " + msg
		}
		if msg == "" {
			msg = f.Title
		}
		res := sarifResult{
			RuleID:    f.CheckID,
			RuleIndex: ruleIndex[f.CheckID],
			Kind:      kind,
			Level:     level,
			Message:   sarifText{Text: oneLine(msg)},
			Locations: sarifLocations(r, f),
			PartialFingerprints: map[string]string{
				"primaryLocationLineHash": f.Fingerprint,
				"clawgovFingerprint/v1":   f.Fingerprint,
			},
			Properties: map[string]interface{}{
				"controls":          nonNil(f.Controls),
				"severity":          f.Severity.String(),
				"security-severity": securitySeverity(f.Severity),
				"status":            string(f.Status),
				"target":            f.Target,
			},
		}
		if ev := sarifEvidence(f.Evidence); len(ev) > 0 {
			res.Properties["evidence"] = ev
		}
		if w := f.Waiver; w != nil && f.Status == finding.Waived {
			props := map[string]interface{}{"waiver": w.ID, "expires": w.Expires}
			if w.Owner != "" {
				props["owner"] = w.Owner
			}
			if w.Ticket != "" {
				props["ticket"] = w.Ticket
			}
			res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: oneLine(w.Reason), Properties: props}}
		}
		switch f.Baseline {
		case report.BaselineNew:
			res.BaselineState = "new"
		case report.BaselineUnchanged:
			res.BaselineState = "unchanged"
		}
		run.Results = append(run.Results, res)
	}

	inv := sarifInvocation{ExecutionSuccessful: len(r.Errors) == 0}
	for _, e := range r.Errors {
		n := sarifNotification{
			Level:      "error",
			Message:    sarifText{Text: oneLine(e.Source + ": " + e.Message)},
			Descriptor: &sarifDescriptorID{ID: "clawgov/" + e.Source},
		}
		if len(e.Checks) > 0 {
			n.Properties = map[string]any{"checks": e.Checks}
			if i, ok := ruleIndex[e.Checks[0]]; ok {
				n.AssociatedRule = &sarifRuleRef{ID: e.Checks[0], Index: i}
			}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	run.Invocations = []sarifInvocation{inv}

	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// HTML escaping stays on: SARIF viewers are web pages.
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

// sarifLocations lists one location per distinct evidence file. GitHub
// code scanning does not show a result without a location URI (validator
// rule GH1001), so a finding with no file evidence points at the OpenClaw
// config (or state directory) the audit examined.
// maxSARIFLocations is GitHub's display limit per result; further
// evidence stays in properties.evidence.
const maxSARIFLocations = 10

func sarifLocations(r *report.Report, f finding.Finding) []sarifLocation {
	var locs []sarifLocation
	seen := map[string]bool{}
	for _, e := range f.Evidence {
		if e.File == "" {
			continue
		}
		k := fmt.Sprintf("%s:%d", e.File, e.Line)
		if seen[k] || len(locs) == maxSARIFLocations {
			continue
		}
		seen[k] = true
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(e.File)}, Region: lineRegion(e.Line)}}
		if d := evidenceNote(e); d != "" {
			loc.Message = &sarifText{Text: d}
		}
		locs = append(locs, loc)
	}
	if len(locs) > 0 {
		return locs
	}
	fallback := r.Target.ConfigPath
	if fallback == "" {
		fallback = r.Target.StateDir
	}
	if fallback == "" {
		fallback = "openclaw.json"
	}
	loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(fallback)}, Region: lineRegion(0)}}
	if len(f.Evidence) > 0 {
		if d := evidenceNote(f.Evidence[0]); d != "" {
			loc.Message = &sarifText{Text: d}
		}
	}
	return []sarifLocation{loc}
}

// lineRegion always gives a region: GitHub code scanning only places a
// result that has region.startLine (SARIF validator rule GH1003), so a
// file-level finding (line unknown) points at line 1.
func lineRegion(line int) *sarifRegion {
	if line < 1 {
		line = 1
	}
	return &sarifRegion{StartLine: line}
}

// evidenceNote is "key = value (detail)" on one line.
func evidenceNote(e finding.Evidence) string {
	var parts []string
	if e.KeyPath != "" {
		parts = append(parts, e.KeyPath)
	}
	if e.Value != "" {
		parts = append(parts, "= "+e.Value)
	}
	if e.Detail != "" {
		parts = append(parts, "("+e.Detail+")")
	}
	return oneLine(strings.Join(parts, " "))
}

func sarifEvidence(evs []finding.Evidence) []map[string]interface{} {
	var out []map[string]interface{}
	for _, e := range evs {
		m := map[string]interface{}{"kind": e.Kind}
		for k, v := range map[string]string{"file": e.File, "keyPath": e.KeyPath, "value": e.Value, "detail": e.Detail} {
			if v != "" {
				m[k] = oneLine(v)
			}
		}
		if e.Line > 0 {
			m["line"] = e.Line
		}
		out = append(out, m)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func kindOr(k string) string {
	if k == "" {
		return "audit"
	}
	return k
}

// safeURL accepts only absolute http(s) URLs for links; anything else
// (javascript:, data:, relative junk) is shown as text or dropped.
func safeURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
