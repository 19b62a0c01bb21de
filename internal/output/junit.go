package output

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// JUnitWriter writes JUnit XML for CI dashboards: a "controls" suite with
// one testcase per framework control and a "checks" suite with one
// testcase per check.
//
// Status mapping (the same for controls and checks):
//   - pass: a passing testcase;
//   - fail and warn: <failure type="fail|warn">, because --fail-on counts
//     warnings as well as failures and a dashboard should not show green
//     for either;
//   - error: <error>, the check could not be evaluated;
//   - manual: <skipped> with the manual-review guidance, so a person's
//     decision is never shown as passed;
//   - skip: <skipped> (not applicable or disabled by the profile).
//
// encoding/xml escapes all text and replaces characters XML 1.0 cannot
// carry (such as ESC), so hostile evidence cannot break the document.
type JUnitWriter struct{}

var _ Writer = (*JUnitWriter)(nil)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// outcome fills the failure/error/skipped element of tc for st.
func (s *junitSuite) add(tc junitCase, st finding.Status, message, body string) {
	message = oneLine(message)
	switch st {
	case finding.Fail, finding.Warn:
		tc.Failure = &junitProblem{Message: message, Type: string(st), Body: body}
		s.Failures++
	case finding.Error:
		tc.Error = &junitProblem{Message: message, Type: "error", Body: body}
		s.Errors++
	case finding.Manual, finding.Skip, finding.Waived:
		tc.Skipped = &junitSkipped{Message: string(st) + ": " + message}
		tc.SystemOut = body
		s.Skipped++
	default:
		tc.SystemOut = body
	}
	s.Tests++
	s.Cases = append(s.Cases, tc)
}

// Write renders r as a JUnit XML <testsuites> document.
func (JUnitWriter) Write(w io.Writer, r *report.Report) error {
	L := labelsFor(r.Lang)
	ts := r.CreatedAt.UTC().Format("2006-01-02T15:04:05")
	props := []junitProperty{
		{Name: "framework", Value: r.Framework.ID + " " + r.Framework.Version},
		{Name: "profile", Value: r.Profile},
		{Name: "openclaw.version", Value: r.Target.OpenClaw.Version},
		{Name: "tool.version", Value: r.Tool.Version},
		{Name: "lang", Value: string(r.Lang)},
	}
	for i := range props {
		props[i].Value = oneLine(props[i].Value)
	}

	byCheck := map[string][]finding.Finding{}
	for _, f := range r.Findings {
		byCheck[f.CheckID] = append(byCheck[f.CheckID], f)
	}
	errsByCheck := map[string][]string{}
	for _, e := range r.Errors {
		for _, id := range e.Checks {
			errsByCheck[id] = append(errsByCheck[id], oneLine(e.Source+": "+e.Message))
		}
	}

	var suites []junitSuite
	if len(r.Controls) > 0 {
		cs := junitSuite{Name: "controls", Time: "0", Timestamp: ts, Hostname: oneLine(r.Target.Host), Properties: props}
		for _, c := range r.Controls {
			var body strings.Builder
			for _, id := range c.CheckIDs {
				st := finding.Skip
				for _, ch := range r.Checks {
					if ch.ID == id {
						st = ch.Status
					}
				}
				fmt.Fprintf(&body, "%-6s %s\n", strings.ToUpper(string(st)), id)
			}
			msg := c.Summary
			if c.Status == finding.Manual && c.Guidance != "" {
				msg += " — " + c.Guidance
			}
			cs.add(junitCase{Name: oneLine(controlTitle(c.ID, c.Title, r.Lang)), Classname: "clawgov.controls", Time: "0"}, c.Status, msg, body.String())
		}
		suites = append(suites, cs)
	}

	ks := junitSuite{Name: "checks", Time: "0", Timestamp: ts, Hostname: oneLine(r.Target.Host), Properties: props}
	for _, c := range r.Checks {
		fs := byCheck[c.ID]
		var body strings.Builder
		for _, f := range fs {
			writeJUnitFinding(&body, L, f)
		}
		for _, e := range errsByCheck[c.ID] {
			fmt.Fprintf(&body, "ERROR %s\n", e)
		}
		msg := ""
		switch {
		case c.Status == finding.Waived && len(fs) > 0 && fs[0].Waiver != nil:
			msg = waiverLine(L, fs[0].Waiver)
		case len(fs) > 0:
			msg = fs[0].Message
			if len(fs) > 1 {
				msg = fmt.Sprintf("%s (+%d)", msg, len(fs)-1)
			}
		case len(errsByCheck[c.ID]) > 0:
			msg = errsByCheck[c.ID][0]
		case c.Status == finding.Skip:
			msg = "not evaluated"
		}
		name := oneLine(c.ID + " " + c.Title)
		ks.add(junitCase{Name: name, Classname: "clawgov.checks", Time: "0"}, c.Status, msg, body.String())
	}
	suites = append(suites, ks)

	all := junitSuites{Name: "clawgov", Time: "0", Suites: suites}
	for _, s := range suites {
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Errors += s.Errors
		all.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func writeJUnitFinding(b *strings.Builder, L labeler, f finding.Finding) {
	msg := f.Message
	if f.Target != "" && f.Target != "local" {
		msg = f.Target + ": " + msg
	}
	fmt.Fprintf(b, "%s [%s] %s\n", strings.ToUpper(string(f.Status)), f.Severity, oneLine(msg))
	if f.Waiver != nil {
		fmt.Fprintf(b, "  %s\n", oneLine(waiverLine(L, f.Waiver)))
	}
	for _, e := range f.Evidence {
		loc := e.File
		if e.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, e.Line)
		}
		if note := evidenceNote(e); note != "" {
			loc = strings.TrimSpace(loc + " " + note)
		}
		if loc != "" {
			fmt.Fprintf(b, "  %s %s\n", L.get("evidence"), oneLine(loc))
		}
	}
	if f.Remediation != "" {
		fmt.Fprintf(b, "  %s: %s\n", L.get("fix"), oneLine(f.Remediation))
	}
	fmt.Fprintf(b, "  %s: %s\n", L.get("fp"), f.Fingerprint)
}
