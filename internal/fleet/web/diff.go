package web

import (
	"sort"

	"github.com/clawgov/clawgov/internal/report"
)

// ControlChange is one control whose status differs between two reports.
type ControlChange struct {
	ID       string
	From, To string
}

// FindingChange is one finding present in only one of two reports.
type FindingChange struct {
	CheckID, Title, Severity, Status, Message, Fingerprint string
}

// ReportDiff is what changed from one report to a later one.
type ReportDiff struct {
	Controls []ControlChange
	New      []FindingChange
	Resolved []FindingChange
}

// Empty reports whether nothing changed.
func (d ReportDiff) Empty() bool {
	return len(d.Controls) == 0 && len(d.New) == 0 && len(d.Resolved) == 0
}

// Diff compares two reports: control statuses by control ID (a control in
// one report only is "unknown" in the other) and findings by fingerprint,
// which survives line moves. Output is sorted so it renders the same twice.
func Diff(from, to *report.Report) ReportDiff {
	var d ReportDiff
	status := func(r *report.Report) map[string]string {
		m := map[string]string{}
		if r == nil {
			return m
		}
		for _, c := range r.Controls {
			m[c.ID] = string(c.Status)
		}
		return m
	}
	a, b := status(from), status(to)
	ids := map[string]bool{}
	for id := range a {
		ids[id] = true
	}
	for id := range b {
		ids[id] = true
	}
	for id := range ids {
		x, y := orUnknown(a[id]), orUnknown(b[id])
		if x != y {
			d.Controls = append(d.Controls, ControlChange{ID: id, From: x, To: y})
		}
	}
	sort.Slice(d.Controls, func(i, j int) bool { return controlLess(d.Controls[i].ID, d.Controls[j].ID) })

	prints := func(r *report.Report) map[string]FindingChange {
		m := map[string]FindingChange{}
		if r == nil {
			return m
		}
		for _, f := range r.Findings {
			if f.Status == "pass" {
				continue
			}
			key := f.Fingerprint
			if key == "" {
				key = f.CheckID + "\x00" + f.Target + "\x00" + f.Message
			}
			m[key] = FindingChange{CheckID: f.CheckID, Title: f.Title, Severity: f.Severity.String(), Status: string(f.Status), Message: f.Message, Fingerprint: f.Fingerprint}
		}
		return m
	}
	fa, fb := prints(from), prints(to)
	for k, f := range fb {
		if _, ok := fa[k]; !ok {
			d.New = append(d.New, f)
		}
	}
	for k, f := range fa {
		if _, ok := fb[k]; !ok {
			d.Resolved = append(d.Resolved, f)
		}
	}
	byCheck := func(s []FindingChange) {
		sort.Slice(s, func(i, j int) bool {
			if s[i].CheckID != s[j].CheckID {
				return s[i].CheckID < s[j].CheckID
			}
			return s[i].Fingerprint+s[i].Message < s[j].Fingerprint+s[j].Message
		})
	}
	byCheck(d.New)
	byCheck(d.Resolved)
	return d
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// controlLess orders DO-1..DO-6 before DONT-1..DONT-6, numerically.
func controlLess(a, b string) bool {
	ka, na := splitControl(a)
	kb, nb := splitControl(b)
	if ka != kb {
		return ka < kb
	}
	if na != nb {
		return na < nb
	}
	return a < b
}

func splitControl(id string) (string, int) {
	n, mul := 0, 1
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' {
		n += int(id[i-1]-'0') * mul
		mul *= 10
		i--
	}
	return id[:i], n
}
