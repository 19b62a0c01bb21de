package output

import (
	"encoding/json"
	"io"

	"github.com/clawgov/clawgov/internal/report"
)

// JSONWriter writes the report as indented JSON (the contract described by
// schema/report.schema.json).
type JSONWriter struct{}

var _ Writer = (*JSONWriter)(nil)

func (JSONWriter) Write(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
