package output

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// MarkdownWriter writes GitHub-flavoured Markdown sized for a pull-request
// comment: a control table, a findings table and the remediation of each
// failing check. Untrusted text goes through mdEscape, so a skill cannot
// add table cells, raw HTML, links, images or @-mentions to the comment.
type MarkdownWriter struct {
	// MaxFindings caps the findings table (GitHub comments stop at 65,536
	// characters); 0 means the default of 100.
	MaxFindings int
}

var _ Writer = (*MarkdownWriter)(nil)

var statusIcon = map[finding.Status]string{
	finding.Pass: "✅", finding.Warn: "⚠️", finding.Fail: "❌", finding.Manual: "🔍", finding.Error: "⛔", finding.Skip: "➖", finding.Waived: "⏸️",
}

// Write renders r as a Markdown pull-request comment.
func (m *MarkdownWriter) Write(w io.Writer, r *report.Report) error {
	bw := bufio.NewWriter(w)
	L := labelsFor(r.Lang)
	max := m.MaxFindings
	if max <= 0 {
		max = 100
	}

	fmt.Fprintf(bw, "## clawgov · %s\n\n", L.get("report_title"))
	fmt.Fprintf(bw, "%s\n\n", mdEscape(r.Framework.Title.Get(r.Lang)))
	ver := r.Target.OpenClaw.Version
	if ver == "" {
		ver = L.get("none")
	}
	facts := []string{
		fmt.Sprintf("**%s:** %s", L.get("host"), mdEscape(r.Target.Host)),
		fmt.Sprintf("**%s:** %s", L.get("openclaw"), mdEscape(ver)),
		fmt.Sprintf("**%s:** %s", L.get("profile"), mdEscape(r.Profile)),
		fmt.Sprintf("**%s:** clawgov %s", L.get("tool"), mdEscape(r.Tool.Version)),
		fmt.Sprintf("**%s:** %s", L.get("generated"), r.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")),
	}
	if r.Policy != nil && r.Policy.Organisation != "" {
		facts = append(facts, fmt.Sprintf("**%s:** %s", L.get("organisation"), mdEscape(r.Policy.Organisation)))
	}
	if b := bundleLine(r, L); b != "" {
		facts = append(facts, fmt.Sprintf("**%s:** %s", L.get("policy_bundle"), mdEscape(b)))
	}
	fmt.Fprintf(bw, "%s\n\n", strings.Join(facts, " · "))
	if d := dataLine(r, L); d != "" {
		fmt.Fprintf(bw, "**%s:** %s\n\n", L.get("data"), mdEscape(d))
	}
	for _, n := range r.Meta.Notices {
		fmt.Fprintf(bw, "> **%s:** %s\n\n", L.get("notice"), mdEscape(n.Message))
	}
	m.writeBaseline(bw, L, r)
	open, waived := openFindings(r.Findings)

	if len(r.Controls) > 0 {
		var parts []string
		for _, st := range statusOrder {
			if n := r.Summary.Controls[string(st)]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %s %d", statusIcon[st], L.status(st), n))
			}
		}
		fmt.Fprintf(bw, "**%s** (%d %s): %s\n\n", L.get("summary"), len(r.Controls), L.get("controls"), strings.Join(parts, " · "))
		fmt.Fprintf(bw, "### %s\n\n", L.get("overview"))
		fmt.Fprintf(bw, "| | %s | %s | %s |\n|---|---|---|---|\n", L.get("control"), L.get("status"), L.get("summary"))
		for _, c := range r.Controls {
			fmt.Fprintf(bw, "| %s | **%s** %s | %s | %s |\n", statusIcon[c.Status], c.ID, mdEscape(c.Title.Get(r.Lang)), L.status(c.Status), mdEscape(c.Summary))
		}
		bw.WriteString("\n")
	}

	fmt.Fprintf(bw, "### %s\n\n", L.get("findings_title"))
	if len(open) == 0 {
		fmt.Fprintf(bw, "%s\n\n", L.get("no_findings"))
	} else {
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|\n",
			L.get("severity"), L.get("status"), L.get("check"), L.get("controls_hdr"), L.get("message"), L.get("location"))
		for i, f := range open {
			if i == max {
				fmt.Fprintf(bw, "\n… %d %s\n", len(open)-max, L.get("more"))
				break
			}
			msg := f.Message
			if f.Target != "" && f.Target != "local" {
				msg = f.Target + ": " + msg
			}
			fmt.Fprintf(bw, "| %s | %s %s | %s %s | %s | %s | %s |\n",
				L.severity(f.Severity), statusIcon[f.Status], L.status(f.Status), mdCode(f.CheckID), mdEscape(f.Title),
				strings.Join(f.Controls, ", "), mdEscape(msg), mdLocation(f))
		}
		bw.WriteString("\n")
	}

	// Remediation once per check that needs action, in finding order.
	seen := map[string]bool{}
	var fixes []string
	for _, f := range r.Findings {
		if seen[f.CheckID] || f.Remediation == "" || (f.Status != finding.Fail && f.Status != finding.Warn && f.Status != finding.Manual) {
			continue
		}
		seen[f.CheckID] = true
		fixes = append(fixes, fmt.Sprintf("- **%s** %s: %s", mdEscape(f.CheckID), mdEscape(f.Title), mdEscape(f.Remediation)))
	}
	if len(fixes) > 0 {
		fmt.Fprintf(bw, "<details><summary>%s (%d)</summary>\n\n%s\n\n</details>\n\n", L.get("fix_title"), len(fixes), strings.Join(fixes, "\n"))
	}

	// What a person still has to confirm: controls in manual status with
	// the framework's guidance.
	var manual []string
	for _, c := range r.Controls {
		if c.Status == finding.Manual && c.Guidance != "" {
			manual = append(manual, fmt.Sprintf("- 🔍 **%s** %s: %s", c.ID, mdEscape(c.Title.Get(r.Lang)), mdEscape(c.Guidance)))
		}
	}
	if len(manual) > 0 {
		fmt.Fprintf(bw, "### %s\n\n%s\n\n", L.get("guidance_t"), strings.Join(manual, "\n"))
	}

	m.writePolicy(bw, L, r, waived)

	if len(r.Errors) > 0 {
		fmt.Fprintf(bw, "### %s\n\n", L.get("errors_title"))
		for _, e := range r.Errors {
			line := fmt.Sprintf("- ⛔ **%s**: %s", mdEscape(e.Source), mdEscape(e.Message))
			if len(e.Checks) > 0 {
				line += fmt.Sprintf(" (%s: %s)", L.get("affected_checks"), mdEscape(strings.Join(e.Checks, ", ")))
			}
			bw.WriteString(line + "\n")
		}
		bw.WriteString("\n")
	}
	fmt.Fprintf(bw, "<sub>clawgov %s · %s %s · %s</sub>\n", mdEscape(r.Tool.Version), mdEscape(r.Framework.ID), mdEscape(r.Framework.Version), L.get("md_footer"))
	return bw.Flush()
}

// mdLocation is "path:line" and the key path, escaped.
func mdLocation(f finding.Finding) string {
	for _, e := range f.Evidence {
		loc := e.File
		if e.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, e.Line)
		}
		if e.KeyPath != "" {
			if loc != "" {
				loc += " "
			}
			loc += e.KeyPath
		}
		if loc != "" {
			return mdEscape(loc)
		}
	}
	return ""
}

// mdEscaper neutralises everything Markdown or the HTML GitHub allows in
// comments could act on: table pipes, emphasis, links and images, code,
// raw HTML and entities, and
// @-mentions and #-references that would notify people or link issues.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"(", `\(`, ")", `\)`, "#", "&#35;", "|", `\|`, "~", `\~`, ">", "&gt;",
	"<", "&lt;", "&", "&amp;", "@", "&#64;", ":", "&#58;",
)

// mdEscape makes untrusted text inert inside a Markdown table cell or list
// item: one line, every inline Markdown/HTML metacharacter escaped. Block
// markers (#, -, +, 1.) cannot act because the text never starts a line:
// callers always put it after a cell pipe or a list marker. Escaping ":"
// breaks GitHub's bare-URL autolinking, so a hostile URL is shown but not
// clickable.
func mdEscape(s string) string {
	return mdEscaper.Replace(oneLine(s))
}

// mdCode puts an identifier in a code span. Backslashes are literal in
// code spans, so instead of escaping, characters that could end the span
// or the table cell are dropped; check IDs never contain them.
func mdCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '`' || r == '|' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return "`" + s + "`"
}
