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
	return encodeIndented(w, &out)
}
