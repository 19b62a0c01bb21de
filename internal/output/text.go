package output

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// TextWriter prints a human report grouped by control.
type TextWriter struct {
	Color bool
}

var _ Writer = (*TextWriter)(nil)

func (t *TextWriter) paint(st finding.Status, s string) string {
	if !t.Color {
		return s
	}
	code := map[finding.Status]string{
		finding.Fail: "31;1", finding.Error: "35", finding.Warn: "33", finding.Manual: "36", finding.Pass: "32",
	}[st]
	if code == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Write renders r for a terminal, grouped by control.
func (t *TextWriter) Write(w io.Writer, r *report.Report) error {
	bw := bufio.NewWriter(w)
	L := labelsFor(r.Lang)
	fmt.Fprintf(bw, "clawgov %s — %s\n", oneLine(r.Tool.Version), oneLine(r.Framework.Title.Get(r.Lang)))
	fmt.Fprintf(bw, "%s: %s", L.get("target"), oneLine(r.Target.Host))
	if r.Target.Rootfs != "" {
		fmt.Fprintf(bw, " (rootfs %s)", oneLine(r.Target.Rootfs))
	}
	if r.Target.StateDir != "" {
		fmt.Fprintf(bw, "  %s", oneLine(r.Target.StateDir))
	}
	fmt.Fprintln(bw)
	oc := r.Target.OpenClaw
	ver := oneLine(oc.Version)
	if ver == "" {
		ver = L.get("none")
	}
	fmt.Fprintf(bw, "%s: %s", L.get("openclaw"), ver)
	if oc.Package != "" {
		fmt.Fprintf(bw, " (%s", oneLine(oc.Package))
		if oc.Source != "" {
			fmt.Fprintf(bw, ", %s", oneLine(oc.Source))
		}
		fmt.Fprint(bw, ")")
	}
	fmt.Fprintf(bw, "\n%s: %s\n", L.get("profile"), oneLine(r.Profile))
	if r.Policy != nil && r.Policy.Organisation != "" {
		fmt.Fprintf(bw, "%s: %s\n", L.get("organisation"), oneLine(r.Policy.Organisation))
	}
	if b := bundleLine(r, L); b != "" {
		fmt.Fprintf(bw, "%s: %s\n", L.get("policy_bundle"), oneLine(b))
	}
	t.writeBaseline(bw, L, r)
	if d := dataLine(r, L); d != "" {
		fmt.Fprintf(bw, "%s: %s\n", L.get("data"), oneLine(d))
	}
	for _, n := range r.Meta.Notices {
		fmt.Fprintf(bw, "%s: %s\n", t.paint(finding.Manual, "["+strings.ToUpper(L.get("notice"))+"]"), oneLine(n.Message))
	}

	open, waived := openFindings(r.Findings)
	byControl := map[string][]finding.Finding{}
	var other []finding.Finding
	for _, f := range open {
		if len(f.Controls) == 0 {
			other = append(other, f)
		}
		for _, c := range f.Controls {
			byControl[c] = append(byControl[c], f)
		}
	}
	for _, c := range r.Controls {
		fmt.Fprintf(bw, "\n%s %-6s %s — %s\n", t.paint(c.Status, "["+strings.ToUpper(string(c.Status))+"]"), c.ID, oneLine(c.Title.Get(r.Lang)), oneLine(c.Summary))
		for _, f := range byControl[c.ID] {
			t.writeFinding(bw, L, f)
		}
		if c.Status == finding.Manual && c.Guidance != "" {
			fmt.Fprintf(bw, "    %s: %s\n", L.get("guidance"), oneLine(c.Guidance))
		}
	}
	if len(r.Controls) == 0 || len(other) > 0 {
		if len(r.Controls) > 0 {
			fmt.Fprintf(bw, "\n%s\n", L.get("other"))
		}
		list := other
		if len(r.Controls) == 0 {
			list = open
		}
		for _, f := range list {
			t.writeFinding(bw, L, f)
		}
	}
	t.writePolicy(bw, L, r, waived)
	if len(r.Errors) > 0 {
		fmt.Fprintf(bw, "\n%s:\n", L.get("errors"))
		for _, e := range r.Errors {
			fmt.Fprintf(bw, "  %s: %s\n", oneLine(e.Source), oneLine(e.Message))
		}
	}
	fmt.Fprintf(bw, "\n%s: %s %s; %s %s\n", L.get("summary"), L.get("controls"), counts(r.Summary.Controls), L.get("findings"), counts(r.Summary.BySeverity))
	return bw.Flush()
}

func (t *TextWriter) writeFinding(w io.Writer, L labeler, f finding.Finding) {
	msg := f.Message
	if f.Target != "" && f.Target != "local" {
		msg = f.Target + ": " + msg
	}
	mark := strings.ToUpper(string(f.Status))
	if f.Baseline == report.BaselineNew {
		mark += " NEW"
	}
	fmt.Fprintf(w, "  %s %s %s [%s] %s\n", t.paint(f.Status, mark), oneLine(f.CheckID), f.Severity, oneLine(f.Title), oneLine(msg))
	if f.Waiver != nil {
		fmt.Fprintf(w, "      %s\n", oneLine(waiverLine(L, f.Waiver)))
	}
	for _, e := range f.Evidence {
		loc := e.File
		if e.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, e.Line)
		}
		parts := []string{}
		for _, p := range []string{loc, e.KeyPath, quoteIf(e.Value), e.Detail} {
			if p != "" {
				parts = append(parts, oneLine(p))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "      %s %s\n", L.get("evidence"), strings.Join(parts, "  "))
		}
	}
	if f.Remediation != "" {
		fmt.Fprintf(w, "      %s: %s\n", L.get("fix"), oneLine(f.Remediation))
	}
}

func quoteIf(v string) string {
	if v == "" {
		return ""
	}
	return "= " + v
}

// oneLine neutralises control characters so hostile text (skill content,
// banners) cannot forge extra report lines or terminal escapes.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r):
			return '?'
		}
		return r
	}, s)
}

// isBidiControl reports the Unicode bidirectional overrides and isolates
// that can make displayed text read differently from its bytes ("Trojan
// Source"); reports show them as replacement characters.
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// visible keeps line structure but makes every other control character
// visible as its Unicode control picture (ESC shows as ␛), so hostile
// escapes are shown, not acted on or silently dropped.
func visible(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case r < 0x20:
			return 0x2400 + r
		case r == 0x7f:
			return 0x2421
		case (r >= 0x80 && r < 0xa0) || isBidiControl(r):
			return 0xfffd
		}
		return r
	}, s)
}

func counts(m map[string]int) string {
	order := []string{"fail", "error", "warn", "manual", "pass", "waived", "skip", "critical", "high", "medium", "low", "info"}
	var parts []string
	for _, k := range order {
		if v := m[k]; v > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, v))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}
