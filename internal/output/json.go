package output

import (
	"io"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// JSONWriter writes the report as indented JSON (the contract described by
// schema/report.schema.json). Top-level lists are always arrays, never
// null, so consumers can iterate without a nil check.
type JSONWriter struct{}

var _ Writer = (*JSONWriter)(nil)

// Write renders r as indented JSON.
func (JSONWriter) Write(w io.Writer, r *report.Report) error {
	out := *r
	if out.Controls == nil {
		out.Controls = []report.ControlResult{}
	}
	if out.Checks == nil {
		out.Checks = []report.CheckResult{}
	}
	if out.Findings == nil {
		out.Findings = []finding.Finding{}
	}
	if out.Errors == nil {
		out.Errors = []report.RunError{}
	}
	// The three long lists go out element by element (see
	// encodeIndentedSpliced): the encoder's buffer then grows to one
	// check's size, not the whole report's.
	skel := out
	skel.Controls, skel.Checks, skel.Findings = []report.ControlResult{}, []report.CheckResult{}, []finding.Finding{}
	return encodeIndentedSpliced(w, &skel, []splice{
		{"controls", len(out.Controls), func(i int) any { return &out.Controls[i] }},
		{"checks", len(out.Checks), func(i int) any { return &out.Checks[i] }},
		{"findings", len(out.Findings), func(i int) any { return &out.Findings[i] }},
	})
}
