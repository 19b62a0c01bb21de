package output

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// Sections shared by the text and Markdown writers for what the policy
// layer adds: the baseline diff (first, as a pull-request comment needs
// it), waived findings (kept apart, never dropped), what became of each
// waiver, and the profile's manual attestations.

// openFindings are the findings a control section lists: everything but
// the waived ones, which get their own section.
func openFindings(fs []finding.Finding) (open, waived []finding.Finding) {
	for _, f := range fs {
		if f.Status == finding.Waived {
			waived = append(waived, f)
		} else {
			open = append(open, f)
		}
	}
	return open, waived
}

func waiverLine(L labeler, w *finding.AppliedWaiver) string {
	parts := []string{L.get("waiver") + " " + w.ID, L.get("waiver_reason") + ": " + w.Reason}
	if w.Owner != "" {
		parts = append(parts, L.get("waiver_owner")+": "+w.Owner)
	}
	if w.Ticket != "" {
		parts = append(parts, L.get("waiver_ticket")+": "+w.Ticket)
	}
	parts = append(parts, L.get("waiver_expires")+": "+w.Expires, L.get("waiver_was")+": "+L.status(w.OriginalStatus))
	return strings.Join(parts, "; ")
}

func waiverState(L labeler, w report.WaiverResult) string {
	switch w.State {
	case report.WaiverExpired:
		return L.get("waiver_expired")
	case report.WaiverStale:
		return L.get("waiver_stale")
	}
	return L.get("waiver_active")
}

func waiverTarget(w report.WaiverResult) string {
	t := w.Check
	if w.Fingerprint != "" {
		t = strings.TrimSpace(t + " " + w.Fingerprint)
	}
	var scope []string
	for k, v := range map[string]string{"host": w.Scope.Host, "path": w.Scope.Path, "skill": w.Scope.Skill} {
		if v != "" {
			scope = append(scope, k+"="+v)
		}
	}
	if len(scope) > 0 {
		sort.Strings(scope)
		t += " (" + strings.Join(scope, ", ") + ")"
	}
	return t
}

func (t *TextWriter) writeBaseline(w io.Writer, L labeler, r *report.Report) {
	b := r.Baseline
	if b == nil {
		return
	}
	fmt.Fprintf(w, "\n%s (%s, %s): %s %d, %s %d, %s %d\n", L.get("baseline_title"), oneLine(b.File), b.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
		L.get("baseline_new"), b.New, L.get("baseline_unchanged"), b.Unchanged, L.get("baseline_resolved"), len(b.Resolved))
	n := 0
	for _, f := range r.Findings {
		if f.Baseline == report.BaselineNew {
			t.writeFinding(w, L, f)
			n++
		}
	}
	if n == 0 {
		fmt.Fprintf(w, "  %s\n", L.get("baseline_none_new"))
	}
	for _, f := range b.Resolved {
		fmt.Fprintf(w, "  %s %s %s [%s]\n", strings.ToUpper(L.get("baseline_resolved")), oneLine(f.CheckID), f.Severity, oneLine(f.Title))
	}
}

func (t *TextWriter) writePolicy(w io.Writer, L labeler, r *report.Report, waived []finding.Finding) {
	if len(waived) > 0 {
		fmt.Fprintf(w, "\n%s\n", L.get("waived_title"))
		for _, f := range waived {
			t.writeFinding(w, L, f)
		}
	}
	if len(r.Waivers) > 0 {
		fmt.Fprintf(w, "\n%s\n", L.get("waivers_title"))
		for _, wr := range r.Waivers {
			fmt.Fprintf(w, "  %s %s — %s (%s %d; %s %s; %s)\n", oneLine(wr.ID), oneLine(waiverTarget(wr)), waiverState(L, wr),
				L.get("waiver_matched"), wr.Matched, L.get("waiver_expires"), oneLine(wr.Expires), oneLine(wr.Source))
		}
	}
	if len(r.Attestations) > 0 {
		fmt.Fprintf(w, "\n%s\n", L.get("attest_title"))
		for _, a := range r.Attestations {
			fmt.Fprintf(w, "  %s %s %-6s %s — %s\n", t.paint(a.Status, "["+strings.ToUpper(string(a.Status))+"]"), a.ID, a.Control, oneLine(a.Title), oneLine(a.Source))
			if a.Status == finding.Pass {
				fmt.Fprintf(w, "      %s %s, %s: %s\n", L.get("attested_by"), oneLine(a.By), oneLine(a.Date), oneLine(a.Evidence))
			} else {
				note := L.get("attest_missing")
				if a.Note != "" {
					note = a.Note
				}
				fmt.Fprintf(w, "      %s; %s: %s\n", oneLine(note), L.get("guidance"), oneLine(a.Guidance))
			}
		}
	}
}

func (m *MarkdownWriter) writeBaseline(w io.Writer, L labeler, r *report.Report) {
	b := r.Baseline
	if b == nil {
		return
	}
	fmt.Fprintf(w, "### %s\n\n", L.get("baseline_title"))
	fmt.Fprintf(w, "**%s** %d · **%s** %d · **%s** %d (%s, %s)\n\n", L.get("baseline_new"), b.New, L.get("baseline_unchanged"), b.Unchanged,
		L.get("baseline_resolved"), len(b.Resolved), mdEscape(b.File), b.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"))
	var rows []string
	for _, f := range r.Findings {
		if f.Baseline == report.BaselineNew {
			rows = append(rows, fmt.Sprintf("| 🆕 %s | %s %s | %s %s | %s |", L.severity(f.Severity), statusIcon[f.Status], L.status(f.Status), mdCode(f.CheckID), mdEscape(f.Title), mdEscape(f.Message)))
		}
	}
	for _, f := range b.Resolved {
		rows = append(rows, fmt.Sprintf("| ✔️ %s | %s | %s %s | |", L.severity(f.Severity), L.get("baseline_resolved"), mdCode(f.CheckID), mdEscape(f.Title)))
	}
	if len(rows) == 0 {
		fmt.Fprintf(w, "%s\n\n", L.get("baseline_none_new"))
		return
	}
	fmt.Fprintf(w, "| %s | %s | %s | %s |\n|---|---|---|---|\n%s\n\n", L.get("severity"), L.get("status"), L.get("check"), L.get("message"), strings.Join(rows, "\n"))
}

func (m *MarkdownWriter) writePolicy(w io.Writer, L labeler, r *report.Report, waived []finding.Finding) {
	if len(waived) > 0 {
		fmt.Fprintf(w, "### %s\n\n| %s | %s | %s |\n|---|---|---|\n", L.get("waived_title"), L.get("check"), L.get("message"), L.get("waiver"))
		for _, f := range waived {
			fmt.Fprintf(w, "| %s %s | %s | %s |\n", mdCode(f.CheckID), mdEscape(f.Title), mdEscape(f.Message), mdEscape(waiverLine(L, f.Waiver)))
		}
		fmt.Fprintln(w)
	}
	if len(r.Waivers) > 0 {
		fmt.Fprintf(w, "### %s\n\n", L.get("waivers_title"))
		for _, wr := range r.Waivers {
			fmt.Fprintf(w, "- **%s** %s: %s (%s %d; %s %s)\n", mdEscape(wr.ID), mdEscape(waiverTarget(wr)), mdEscape(waiverState(L, wr)),
				L.get("waiver_matched"), wr.Matched, L.get("waiver_expires"), mdEscape(wr.Expires))
		}
		fmt.Fprintln(w)
	}
	if len(r.Attestations) > 0 {
		fmt.Fprintf(w, "### %s\n\n", L.get("attest_title"))
		for _, a := range r.Attestations {
			detail := mdEscape(a.Guidance)
			if a.Status == finding.Pass {
				detail = fmt.Sprintf("%s %s, %s: %s", L.get("attested_by"), mdEscape(a.By), mdEscape(a.Date), mdEscape(a.Evidence))
			}
			fmt.Fprintf(w, "- %s **%s** %s %s: %s (%s)\n", statusIcon[a.Status], mdEscape(a.ID), a.Control, mdEscape(a.Title), detail, mdEscape(a.Source))
		}
		fmt.Fprintln(w)
	}
}
