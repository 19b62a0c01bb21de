// Package output renders a report.Report. There is one Writer per format;
// New picks one by name and refuses names it does not know.
package output

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/clawgov/clawgov/internal/report"
)

// Writer renders a report to w.
type Writer interface {
	Write(w io.Writer, r *report.Report) error
}

// Options shared by writers.
type Options struct {
	// Color enables ANSI colour (text only; the CLI sets it on a TTY).
	Color bool
}

// factories maps a format name to its constructor. Writers for further
// formats register here, in this package, so the list is in one place.
var factories = map[string]func(Options) Writer{
	"html":     func(Options) Writer { return &HTMLWriter{} },
	"json":     func(Options) Writer { return &JSONWriter{} },
	"junit":    func(Options) Writer { return &JUnitWriter{} },
	"markdown": func(Options) Writer { return &MarkdownWriter{} },
	"sarif":    func(Options) Writer { return &SARIFWriter{} },
	"text":     func(o Options) Writer { return &TextWriter{Color: o.Color} },
}

// Formats lists the supported format names, sorted.
func Formats() []string {
	names := make([]string, 0, len(factories))
	for n := range factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New returns the writer for format.
func New(format string, o Options) (Writer, error) {
	f, ok := factories[strings.ToLower(format)]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	return f(o), nil
}

// dataLine summarises the report's meta.data (the auditor's own data sets
// and the organisation's baseline) in one line; "" when there is none.
// bundleLine names the signed organisation policy bundle the report was
// judged by ("" when the host's own clawgov.yaml applied).
func bundleLine(r *report.Report, L labeler) string {
	if r.Policy == nil || r.Policy.Bundle == nil {
		return ""
	}
	b := r.Policy.Bundle
	d := b.Digest
	if len(d) > 16 {
		d = d[:16]
	}
	return fmt.Sprintf(L.get("policy_bundle_fmt"), b.Version, b.KeyID, d, b.Created)
}

func dataLine(r *report.Report, L labeler) string {
	d := r.Meta.Data
	if d == nil {
		return ""
	}
	var parts []string
	set := func(key string, ds *report.DataSet) {
		if ds == nil {
			return
		}
		p := fmt.Sprintf("%s %s (%s", L.get(key), orLabel(ds.Date, L.get("unknown")), ds.Source)
		if ds.AgeDays >= 0 {
			p += fmt.Sprintf(", %d %s", ds.AgeDays, L.get("days_old"))
		}
		parts = append(parts, p+")")
	}
	set("data_adv", d.Advisories)
	set("data_rel", d.Releases)
	if d.MinVersion != "" {
		parts = append(parts, L.get("data_min")+" "+d.MinVersion)
	}
	return strings.Join(parts, "; ")
}
