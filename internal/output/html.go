package output

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// HTMLWriter writes one self-contained HTML file: embedded CSS, inline SVG
// charts, no scripts, fonts, images or links to fetch. It uses
// html/template only, because findings carry hostile text (skill content,
// gateway banners); the template's contextual escaping is the defence, and
// a Content-Security-Policy of default-src 'none' is the backstop.
type HTMLWriter struct{}

var _ Writer = (*HTMLWriter)(nil)

var (
	//go:embed html/report.html.tmpl
	htmlTemplateText string
	//go:embed html/report.css
	htmlCSS string

	// htmlTemplate is parsed on first use: most runs write no HTML.
	htmlTemplate = sync.OnceValue(func() *template.Template {
		return template.Must(template.New("report").Parse(htmlTemplateText))
	})
)

// statusColor is shared by the chart and the legend; it matches the CSS
// variables in report.css.
var statusColor = map[finding.Status]string{
	finding.Pass: "#1a7f37", finding.Warn: "#d4a72c", finding.Fail: "#cf222e",
	finding.Manual: "#0969da", finding.Error: "#8250df", finding.Skip: "#afb8c1", finding.Waived: "#6e7781",
}

var severityColor = map[finding.Severity]string{
	finding.Critical: "#a40e26", finding.High: "#cf222e", finding.Medium: "#bc4c00", finding.Low: "#d4a72c", finding.Info: "#8c959f",
}

type htmlView struct {
	R         *report.Report
	L         labeler
	HTMLLang  string
	OtherLang catalog.Lang
	CSS       template.CSS
	Generated string

	PassCount int
	Donut     []htmlArc
	Legend    []htmlLegend
	SevBars   []htmlBar
	Grid      []htmlGridRow

	Findings        []htmlFinding
	Waived          []htmlFinding
	Baseline        *report.BaselineDiff
	BaselineNew     []htmlFinding
	Errors          []report.RunError
	Checks          []htmlCheck
	Facts           []htmlFact
	Ref             []htmlRef
	FrameworkSource *htmlLink
	// Notices are the report-level notices, shown as a banner; Data is
	// the one-line summary of meta.data.
	Notices []report.Notice
	Data    string
	// Bundle names the organisation policy bundle ("" when none).
	Bundle string
}

// T returns a label in the report language (called from the template).
func (v *htmlView) T(key string) string { return v.L.get(key) }

// StatusLabel names a status in the report language.
func (v *htmlView) StatusLabel(s finding.Status) string { return v.L.status(s) }

// WaiverState names a waiver state in the report language.
func (v *htmlView) WaiverState(state string) string {
	return waiverState(v.L, report.WaiverResult{State: state})
}

type htmlArc struct {
	Color, Dash, Offset, Label string
	N                          int
}

type htmlLegend struct {
	Color template.CSS
	Label string
	N     int
}

type htmlBar struct {
	Label, Color, W string
	N               int
}

type htmlGridRow struct {
	Label string
	Cells []htmlCell
}

type htmlCell struct {
	ID, Title, Summary, StatusLabel string
	Status                          finding.Status
}

type htmlLink struct {
	URL  string
	Safe bool
}

type htmlEvidence struct {
	Kind, Location, KeyPath, Value, Detail string
}

type htmlFinding struct {
	CheckID, Title, Message, Target, Remediation, Fingerprint string
	Severity                                                  string
	SeverityLabel, StatusLabel                                string
	Status                                                    finding.Status
	Controls                                                  []string
	Evidence                                                  []htmlEvidence
	Links                                                     []htmlLink
	// Waiver is the applied waiver in one line; New marks a finding the
	// baseline did not have.
	Waiver string
	New    bool
}

type htmlCheck struct {
	report.CheckResult
	SeverityLabel, StatusLabel string
}

type htmlFact struct {
	K, V string
	Mono bool
}

type htmlRef struct {
	ID, KindLabel, Title, AltTitle, Description, Guidance, StatusLabel string
	Status                                                             finding.Status
	Checks                                                             []string
}

// Write renders r as one self-contained HTML document.
func (HTMLWriter) Write(w io.Writer, r *report.Report) error {
	L := labelsFor(r.Lang)
	v := &htmlView{
		R: r, L: L, CSS: template.CSS(htmlCSS),
		HTMLLang: "en", OtherLang: catalog.ZH,
		Generated: r.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
	}
	for _, e := range r.Errors {
		v.Errors = append(v.Errors, report.RunError{Source: visible(e.Source), Message: visible(e.Message), Checks: e.Checks})
	}
	if r.Lang == catalog.ZH {
		v.HTMLLang, v.OtherLang = "zh-CN", catalog.EN
	}

	// Overview: the 12 controls as two rows (要 / 不要) and the donut.
	if len(r.Controls) > 0 {
		rows := map[string]*htmlGridRow{}
		var order []string
		for _, c := range r.Controls {
			k := c.Kind
			if _, ok := rows[k]; !ok {
				label := L.get("kind_" + k)
				if k != "do" && k != "dont" {
					label = k
				}
				rows[k] = &htmlGridRow{Label: label}
				order = append(order, k)
			}
			rows[k].Cells = append(rows[k].Cells, htmlCell{
				ID: c.ID, Title: c.Title.Get(r.Lang), Summary: c.Summary, Status: c.Status, StatusLabel: L.status(c.Status),
			})
		}
		for _, k := range order {
			v.Grid = append(v.Grid, *rows[k])
		}
		total := len(r.Controls)
		v.PassCount = r.Summary.Controls[string(finding.Pass)]
		offset := 0.0
		for _, st := range statusOrder {
			n := r.Summary.Controls[string(st)]
			if n == 0 {
				continue
			}
			pct := 100 * float64(n) / float64(total)
			v.Donut = append(v.Donut, htmlArc{
				Color: statusColor[st], N: n, Label: L.status(st),
				Dash:   fmt.Sprintf("%.3f %.3f", pct, 100-pct),
				Offset: fmt.Sprintf("%.3f", -offset),
			})
			v.Legend = append(v.Legend, htmlLegend{Color: template.CSS(statusColor[st]), Label: L.status(st), N: n})
			offset += pct
		}
	}
	// Open findings (fail or warn) by severity, scaled to the largest bar.
	maxN := 0
	for _, s := range severityOrder {
		maxN = max(maxN, r.Summary.BySeverity[s.String()])
	}
	if len(r.Controls) > 0 || len(r.Findings) > 0 {
		for _, s := range severityOrder {
			n := r.Summary.BySeverity[s.String()]
			w := 0.0
			if maxN > 0 {
				w = math.Max(100*float64(n)/float64(maxN), 2)
			}
			v.SevBars = append(v.SevBars, htmlBar{Label: L.severity(s), Color: severityColor[s], N: n, W: fmt.Sprintf("%.1f", w)})
		}
	}

	for _, f := range r.Findings {
		hf := htmlFinding{
			CheckID: f.CheckID, Title: visible(f.Title), Message: visible(f.Message), Remediation: visible(f.Remediation), Fingerprint: f.Fingerprint,
			Severity: f.Severity.String(), SeverityLabel: L.severity(f.Severity), Status: f.Status, StatusLabel: L.status(f.Status),
			Controls: f.Controls,
		}
		if f.Target != "local" {
			hf.Target = visible(f.Target)
		}
		for _, e := range f.Evidence {
			loc := e.File
			if e.Line > 0 {
				loc = fmt.Sprintf("%s:%d", loc, e.Line)
			}
			hf.Evidence = append(hf.Evidence, htmlEvidence{
				Kind: visible(e.Kind), Location: visible(loc), KeyPath: visible(e.KeyPath), Value: visible(e.Value), Detail: visible(e.Detail),
			})
		}
		for _, ref := range f.References {
			hf.Links = append(hf.Links, htmlLink{URL: visible(ref), Safe: safeURL(ref)})
		}
		if f.Waiver != nil {
			hf.Waiver = visible(waiverLine(L, f.Waiver))
		}
		hf.New = f.Baseline == report.BaselineNew
		if f.Status == finding.Waived {
			v.Waived = append(v.Waived, hf)
		} else {
			v.Findings = append(v.Findings, hf)
		}
		if hf.New {
			v.BaselineNew = append(v.BaselineNew, hf)
		}
	}
	v.Baseline = r.Baseline

	for _, c := range r.Checks {
		v.Checks = append(v.Checks, htmlCheck{CheckResult: c, SeverityLabel: L.severity(c.Severity), StatusLabel: L.status(c.Status)})
	}

	t, oc := r.Target, r.Target.OpenClaw
	for _, f := range []htmlFact{
		{K: L.get("host"), V: t.Host},
		{K: L.get("rootfs"), V: t.Rootfs, Mono: true},
		{K: L.get("state_dir"), V: t.StateDir, Mono: true},
		{K: L.get("config_path"), V: t.ConfigPath, Mono: true},
		{K: L.get("openclaw") + " " + L.get("version"), V: orLabel(oc.Version, L.get("none"))},
		{K: L.get("package"), V: oc.Package},
		{K: L.get("source"), V: oc.Source},
		{K: L.get("install_path"), V: oc.Path, Mono: true},
		{K: L.get("channel"), V: oc.Channel},
		{K: L.get("profile"), V: r.Profile},
		{K: L.get("kind"), V: r.Kind},
		{K: L.get("tool"), V: r.Tool.Name + " " + r.Tool.Version},
		{K: L.get("generated"), V: r.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")},
		{K: L.get("language"), V: string(r.Lang)},
	} {
		if f.V != "" {
			f.V = visible(f.V)
			v.Facts = append(v.Facts, f)
		}
	}

	for _, c := range r.Controls {
		other := c.Title.Get(v.OtherLang)
		v.Ref = append(v.Ref, htmlRef{
			ID: c.ID, KindLabel: L.get("kind_" + c.Kind), Title: c.Title.Get(r.Lang), AltTitle: other,
			Description: c.Description, Guidance: c.Guidance, Status: c.Status, StatusLabel: L.status(c.Status),
			Checks: sortedCopy(c.CheckIDs),
		})
	}
	for _, n := range r.Meta.Notices {
		n.Message = visible(n.Message)
		v.Notices = append(v.Notices, n)
	}
	v.Data = visible(dataLine(r, L))
	v.Bundle = visible(bundleLine(r, L))
	if s := r.Framework.Source; s != "" {
		v.FrameworkSource = &htmlLink{URL: s, Safe: safeURL(s)}
	}

	var buf strings.Builder
	if err := htmlTemplate().Execute(&buf, v); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	_, err := io.WriteString(w, buf.String())
	return err
}

func orLabel(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
