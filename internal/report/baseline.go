package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/clawgov/clawgov/internal/finding"
)

// Baseline states of a finding compared with an earlier report.
const (
	BaselineNew       = "new"
	BaselineUnchanged = "unchanged"
)

// BaselineDiff summarises a comparison with an earlier report.
type BaselineDiff struct {
	File      string    `json:"file"`
	CreatedAt time.Time `json:"created_at"`
	New       int       `json:"new"`
	Unchanged int       `json:"unchanged"`
	// Resolved lists what the earlier report raised and this one does not.
	Resolved []ResolvedFinding `json:"resolved"`
}

// ResolvedFinding is a finding of the baseline that is gone.
type ResolvedFinding struct {
	CheckID     string           `json:"check_id"`
	Title       string           `json:"title"`
	Severity    finding.Severity `json:"severity"`
	Controls    []string         `json:"controls"`
	Target      string           `json:"target,omitempty"`
	Fingerprint string           `json:"fingerprint"`
}

// MaxBaselineSize bounds the earlier report read for --baseline.
const MaxBaselineSize = 64 << 20

// LoadBaseline reads an earlier JSON report (any format version this
// build understands).
func LoadBaseline(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxBaselineSize+1))
	if err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", path, err)
	}
	if len(b) > MaxBaselineSize {
		return nil, fmt.Errorf("baseline %s: larger than %d bytes", path, MaxBaselineSize)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("baseline %s: not a clawgov JSON report: %w", path, err)
	}
	if r.SchemaVersion == 0 || r.Tool.Name == "" {
		return nil, fmt.Errorf("baseline %s: not a clawgov JSON report (no schema_version/tool)", path)
	}
	if r.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("baseline %s: schema_version %d is newer than this clawgov (%d)", path, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}

// ErrBaselineKind says the baseline is a different kind of run.
var ErrBaselineKind = errors.New("baseline is a different kind of report")

// ApplyBaseline marks every raised finding of r as new or unchanged
// against prev, and lists prev's findings that are gone. Matching is by
// fingerprint (which ignores line numbers, so reformatting a config moves
// nothing); a finding whose fingerprint changed because its file was
// renamed or moved is still matched by check, target, key path and
// evidence kind when that pairing is unambiguous on both sides. Controls
// are not part of the match: a check remapped to another control is the
// same finding.
func ApplyBaseline(r, prev *Report, file string) error {
	if prev.Kind != "" && r.Kind != "" && prev.Kind != r.Kind {
		return fmt.Errorf("%w: %s, this run is %s", ErrBaselineKind, prev.Kind, r.Kind)
	}
	d := &BaselineDiff{File: file, CreatedAt: prev.CreatedAt, Resolved: []ResolvedFinding{}}
	prevRaised := []*finding.Finding{}
	for i := range prev.Findings {
		if raised(prev.Findings[i]) {
			prevRaised = append(prevRaised, &prev.Findings[i])
		}
	}
	byFP := map[string][]*finding.Finding{}
	for _, f := range prevRaised {
		byFP[f.Fingerprint] = append(byFP[f.Fingerprint], f)
	}
	used := map[*finding.Finding]bool{}
	var unmatched []*finding.Finding
	for i := range r.Findings {
		f := &r.Findings[i]
		if !raised(*f) {
			continue
		}
		if m := takeFirst(byFP[f.Fingerprint], used); m != nil {
			f.Baseline = BaselineUnchanged
			continue
		}
		unmatched = append(unmatched, f)
	}
	// Second pass: loose keys, only where one finding on each side has it.
	curByLoose := map[string][]*finding.Finding{}
	for _, f := range unmatched {
		curByLoose[looseKey(f)] = append(curByLoose[looseKey(f)], f)
	}
	prevByLoose := map[string][]*finding.Finding{}
	for _, f := range prevRaised {
		if !used[f] {
			prevByLoose[looseKey(f)] = append(prevByLoose[looseKey(f)], f)
		}
	}
	for k, cur := range curByLoose {
		if p := prevByLoose[k]; len(cur) == 1 && len(p) == 1 {
			cur[0].Baseline = BaselineUnchanged
			used[p[0]] = true
		}
	}
	for _, f := range unmatched {
		if f.Baseline == "" {
			f.Baseline = BaselineNew
		}
	}
	for i := range r.Findings {
		switch r.Findings[i].Baseline {
		case BaselineNew:
			d.New++
		case BaselineUnchanged:
			d.Unchanged++
		}
	}
	for _, f := range prevRaised {
		if used[f] {
			continue
		}
		d.Resolved = append(d.Resolved, ResolvedFinding{
			CheckID: f.CheckID, Title: f.Title, Severity: f.Severity, Controls: f.Controls,
			Target: f.Target, Fingerprint: f.Fingerprint,
		})
	}
	sort.SliceStable(d.Resolved, func(i, j int) bool {
		a, b := d.Resolved[i], d.Resolved[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		return a.Fingerprint < b.Fingerprint
	})
	r.Baseline = d
	return nil
}

// raised is a finding that says something is wrong or undecided: what a
// pull-request comment is about. Waived ones count too, so a waiver
// expiring later shows the finding as unchanged, not new.
func raised(f finding.Finding) bool {
	switch f.Status {
	case finding.Fail, finding.Warn, finding.Manual, finding.Error, finding.Waived:
		return true
	}
	return false
}

func takeFirst(fs []*finding.Finding, used map[*finding.Finding]bool) *finding.Finding {
	for _, f := range fs {
		if !used[f] {
			used[f] = true
			return f
		}
	}
	return nil
}

func looseKey(f *finding.Finding) string {
	var key, kind string
	if len(f.Evidence) > 0 {
		key, kind = f.Evidence[0].KeyPath, f.Evidence[0].Kind
	}
	return f.CheckID + "\x00" + f.Target + "\x00" + key + "\x00" + kind
}

// FailingNew is Failing restricted to findings the baseline did not have.
func (r *Report) FailingNew(threshold finding.Severity) bool {
	for _, f := range r.Findings {
		if f.Baseline == BaselineNew && (f.Status == finding.Fail || f.Status == finding.Warn) && f.Severity >= threshold {
			return true
		}
	}
	return false
}
