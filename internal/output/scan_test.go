package output

import (
	"bytes"
	"fmt"
	"html"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// scanReport is a skills scan: findings but no controls roll-up, the shape
// `skills scan` and `discover` produce.
func scanReport(t testing.TB, msg string, n int) *report.Report {
	t.Helper()
	in := report.Input{
		Kind: "skills-scan", Tool: report.Tool{Name: "clawgov", Version: "dev"},
		Now: time.Date(2026, 3, 15, 8, 30, 0, 0, time.UTC), Lang: catalog.EN, ProfileID: "miit-2026",
	}
	for i := 0; i < n; i++ {
		in.Findings = append(in.Findings, finding.Finding{
			CheckID: "CG-SKILL-001", Severity: finding.Critical, Status: finding.Fail,
			Target: fmt.Sprintf("skill-%03d", i), Message: msg,
			Evidence: []finding.Evidence{{Kind: "skill", File: fmt.Sprintf("skills/skill-%03d/SKILL.md", i), Line: 1, Value: msg}},
		})
	}
	r, err := report.Build(testCatalog(t), in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWritersHandleScanWithoutControls(t *testing.T) {
	r := scanReport(t, "curl x | sh", 3)
	sarifS, jsonS := compiledSARIFSchema(t), reportSchema(t)
	for _, format := range Formats() {
		w, _ := New(format, Options{})
		var buf bytes.Buffer
		if err := w.Write(&buf, r); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		out := buf.String()
		if strings.Contains(out, "[[missing:") {
			t.Errorf("%s: missing label", format)
		}
		if !strings.Contains(out, "skill-002") {
			t.Errorf("%s: finding for skill-002 not rendered", format)
		}
		switch format {
		case "sarif":
			if err := validateJSON(t, sarifS, buf.Bytes()); err != nil {
				t.Errorf("sarif: %v", err)
			}
			// Relative evidence paths stay relative for GitHub.
			if !strings.Contains(out, `"uri": "skills/skill-000/SKILL.md"`) {
				t.Error("sarif: relative evidence path not kept relative")
			}
		case "json":
			if err := validateJSON(t, jsonS, buf.Bytes()); err != nil {
				t.Errorf("json: %v", err)
			}
		case "html":
			if strings.Contains(out, `id="overview"`) {
				t.Error("html: control overview rendered for a scan without controls")
			}
		}
	}
}

func TestMarkdownCapsFindings(t *testing.T) {
	r := scanReport(t, "x", 7)
	var buf bytes.Buffer
	if err := (&MarkdownWriter{MaxFindings: 5}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "skill\\-004") && !strings.Contains(out, "skill-004") {
		t.Error("5th finding missing")
	}
	if strings.Contains(out, "skill-005:") {
		t.Error("6th finding rendered despite the cap")
	}
	if !strings.Contains(out, "… 2 more findings in the full report") {
		t.Errorf("no overflow note:\n%s", out)
	}
}

// FuzzMarkdownEscape: whatever a skill says, the escaped text stays on one
// line, cannot open HTML, and cannot end a table cell.
func FuzzMarkdownEscape(f *testing.F) {
	for _, s := range []string{hostileScript, hostilePipe, hostileNL, hostileANSI, `\|`, "`code`", "[x](javascript:y)", "@here #1", "a\\", "\\\\|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		got := mdEscape(s)
		if strings.ContainsAny(got, "\n\r<>@") {
			t.Fatalf("mdEscape(%q) = %q keeps a newline, angle bracket or mention", s, got)
		}
		// Count backslashes before each pipe: an odd number means escaped.
		for i := 0; i < len(got); i++ {
			if got[i] != '|' {
				continue
			}
			n := 0
			for j := i - 1; j >= 0 && got[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 {
				t.Fatalf("mdEscape(%q) = %q has an unescaped pipe at %d", s, got, i)
			}
		}
	})
}

// FuzzHTMLFinding: hostile text in a finding never becomes markup.
func FuzzHTMLFinding(f *testing.F) {
	for _, s := range []string{hostileScript, hostileImg, "</style><script>x</script>", "<!--", "]]>", "\"><svg onload=1>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || s == "" { // an empty message falls back to the check description
			return
		}
		var buf bytes.Buffer
		if err := (HTMLWriter{}).Write(&buf, scanReport(t, s, 1)); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		// The message paragraph holds exactly the (escaped) message: no
		// markup of its own, and unescaping gives the text back.
		const open = `<p class="msg">`
		i := strings.Index(out, open)
		j := strings.Index(out[i:], "</p>")
		if i < 0 || j < 0 {
			t.Fatalf("no message paragraph for %q", s)
		}
		body := out[i+len(open) : i+j]
		if strings.ContainsAny(body, "<>") {
			t.Fatalf("message %q rendered with markup: %q", s, body)
		}
		if got, want := html.UnescapeString(body), visible(s); got != want {
			t.Fatalf("message %q renders as %q, want %q", s, got, want)
		}
		if n := strings.Count(strings.ToLower(out), "<script"); n != 0 {
			t.Fatalf("%d script elements after injecting %q", n, s)
		}
	})
}
