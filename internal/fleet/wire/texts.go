package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// Texts are the catalog texts an audit report repeats for every check,
// finding and control: titles, descriptions, remediation and references.
// They are two thirds of a report's bytes, and the same in every report of
// one clawgov build, so a compact envelope (SchemaVersion 2 with Texts
// set) leaves them out and names the Texts it omitted by their digest.
// The server keeps the Texts of its own build under that digest (fleet
// settings, so they outlive an upgrade) and puts them back when it renders
// a stored report; the stored, signed bytes stay the compact ones.
type Texts struct {
	Checks   map[string]CheckTexts   `json:"checks"`
	Controls map[string]ControlTexts `json:"controls"`
}

// CheckTexts are one check's catalog texts, in both languages, with the
// severity and controls a check result repeats from the catalog.
type CheckTexts struct {
	Title       catalog.Text     `json:"title"`
	Description catalog.Text     `json:"description"`
	Remediation catalog.Text     `json:"remediation"`
	References  []string         `json:"references,omitempty"`
	Severity    finding.Severity `json:"severity"`
	Controls    []string         `json:"controls,omitempty"`
}

// ControlTexts are one control's framework texts, in both languages, with
// the checks it lists.
type ControlTexts struct {
	Title       catalog.Text `json:"title"`
	Description catalog.Text `json:"description"`
	Checks      []string     `json:"checks,omitempty"`
}

// TextsOf collects cat's texts.
func TextsOf(cat *catalog.Catalog) *Texts {
	t := &Texts{Checks: map[string]CheckTexts{}, Controls: map[string]ControlTexts{}}
	for _, id := range cat.CheckIDs() {
		c, _ := cat.Check(id)
		t.Checks[id] = CheckTexts{Title: c.Title, Description: c.Description, Remediation: c.Remediation, References: c.References,
			Severity: c.Severity, Controls: c.Controls}
	}
	for _, c := range cat.Controls {
		t.Controls[c.ID] = ControlTexts{Title: c.Title, Description: c.Description, Checks: c.Checks}
	}
	return t
}

// Encode is t's canonical JSON (maps marshal in key order) and its digest,
// the name a compact envelope refers to it by.
func (t *Texts) Encode() (data []byte, digest string, err error) {
	data, err = json.Marshal(t)
	if err != nil {
		return nil, "", fmt.Errorf("encode catalog texts: %w", err)
	}
	s := sha256.Sum256(data)
	return data, hex.EncodeToString(s[:]), nil
}

// DecodeTexts parses Texts stored by a server and checks they are the
// ones digest names.
func DecodeTexts(data []byte, digest string) (*Texts, error) {
	var t Texts
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("decode catalog texts %s: %w", digest, err)
	}
	if _, d, err := t.Encode(); err != nil {
		return nil, err
	} else if d != digest {
		return nil, fmt.Errorf("catalog texts stored as %s hash to %s", digest, d)
	}
	return &t, nil
}

// OwnTexts are the texts of this build's embedded catalog, their JSON
// and digest.
var OwnTexts = sync.OnceValues(func() (*OwnTextSet, error) {
	cat, err := catalog.Default()
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	t := TextsOf(cat)
	data, d, err := t.Encode()
	if err != nil {
		return nil, err
	}
	return &OwnTextSet{Texts: t, JSON: data, Digest: d}, nil
})

// OwnTextSet is this build's Texts with their encoding.
type OwnTextSet struct {
	Texts  *Texts
	JSON   []byte
	Digest string
}

// TextsSetting is the fleet setting that keeps the Texts named digest.
func TextsSetting(digest string) string { return "catalog-texts:" + digest }

// compact returns a copy of r without the texts t holds for it (a field
// is left out only where it equals t's text in the report language), and
// the IDs of the checks it left out whole: those that passed without
// findings and hold nothing but catalog data, most of an audit's checks.
// r itself is not changed.
func compact(r *report.Report, t *Texts) (*report.Report, []string) {
	c := *r
	l := r.Lang
	c.Checks = make([]report.CheckResult, 0, len(r.Checks))
	var passed []string
	for _, x := range r.Checks {
		ct, ok := t.Checks[x.ID]
		if !ok {
			c.Checks = append(c.Checks, x)
			continue
		}
		if x.Status == finding.Pass && x.Findings == 0 && x.Severity == ct.Severity && slices.Equal(x.Controls, ct.Controls) &&
			x.Title == ct.Title.Get(l) && x.Description == ct.Description.Get(l) && x.Remediation == ct.Remediation.Get(l) && slices.Equal(x.References, ct.References) {
			passed = append(passed, x.ID)
			continue
		}
		if x.Title == ct.Title.Get(l) {
			x.Title = ""
		}
		if x.Description == ct.Description.Get(l) {
			x.Description = ""
		}
		if x.Remediation == ct.Remediation.Get(l) {
			x.Remediation = ""
		}
		if slices.Equal(x.References, ct.References) {
			x.References = nil
		}
		c.Checks = append(c.Checks, x)
	}
	c.Findings = slices.Clone(r.Findings)
	for i := range c.Findings {
		f := &c.Findings[i]
		ct, ok := t.Checks[f.CheckID]
		if !ok {
			continue
		}
		if f.Title == ct.Title.Get(l) {
			f.Title = ""
		}
		if f.Remediation == ct.Remediation.Get(l) {
			f.Remediation = ""
		}
		if slices.Equal(f.References, ct.References) {
			f.References = nil
		}
		if len(f.Controls) > 0 && slices.Equal(f.Controls, sortedControls(ct)) {
			f.Controls = nil
		}
	}
	c.Controls = slices.Clone(r.Controls)
	for i := range c.Controls {
		x := &c.Controls[i]
		ct, ok := t.Controls[x.ID]
		if !ok {
			continue
		}
		if x.Title == ct.Title {
			x.Title = catalog.Text{}
		}
		if x.Description == ct.Description.Get(l) {
			x.Description = ""
		}
		if len(x.CheckIDs) > 0 && slices.Equal(x.CheckIDs, ct.Checks) {
			x.CheckIDs = nil
		}
	}
	return &c, passed
}

// sortedControls are a check's controls as a finding lists them.
func sortedControls(ct CheckTexts) []string {
	return slices.Sorted(slices.Values(ct.Controls))
}

// rehydrate puts t's texts back into the fields compact left empty and
// the passed checks it left out back among the checks (in ID order, the
// order a report lists its checks in).
func rehydrate(r *report.Report, passed []string, t *Texts) {
	l := r.Lang
	if len(passed) > 0 {
		for _, id := range passed {
			ct := t.Checks[id]
			r.Checks = append(r.Checks, report.CheckResult{ID: id, Severity: ct.Severity, Status: finding.Pass, Controls: slices.Clone(ct.Controls)})
		}
		slices.SortStableFunc(r.Checks, func(a, b report.CheckResult) int { return strings.Compare(a.ID, b.ID) })
	}
	for i := range r.Checks {
		x := &r.Checks[i]
		ct, ok := t.Checks[x.ID]
		if !ok {
			continue
		}
		if x.Title == "" {
			x.Title = ct.Title.Get(l)
		}
		if x.Description == "" {
			x.Description = ct.Description.Get(l)
		}
		if x.Remediation == "" {
			x.Remediation = ct.Remediation.Get(l)
		}
		if len(x.References) == 0 && len(ct.References) > 0 {
			x.References = slices.Clone(ct.References)
		}
	}
	RehydrateFindings(r.Findings, l, t)
	for i := range r.Controls {
		x := &r.Controls[i]
		ct, ok := t.Controls[x.ID]
		if !ok {
			continue
		}
		if x.Title == (catalog.Text{}) {
			x.Title = ct.Title
		}
		if x.Description == "" {
			x.Description = ct.Description.Get(l)
		}
		if x.CheckIDs == nil && len(ct.Checks) > 0 {
			x.CheckIDs = slices.Clone(ct.Checks)
		}
	}
}

// Compact encodes env with the texts of this build's catalog left out
// (SchemaVersion 2, Texts set). It falls back to the full report (Texts
// empty) unless putting the texts back yields exactly the report given,
// so a compact envelope always stands for the full one it was made from.
func Compact(env Envelope) ([]byte, error) {
	env.SchemaVersion = SchemaVersion
	env.Texts = ""
	full, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	own, err := OwnTexts()
	if err != nil || env.Report == nil {
		return full, nil // no catalog to refer to: send every text
	}
	c := env
	c.Report, c.PassedChecks = compact(env.Report, own.Texts)
	c.Texts = own.Digest
	small, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	// Check the round trip the server's renderer will make.
	var back Envelope
	if err := json.Unmarshal(small, &back); err != nil || back.Report == nil {
		return full, nil // keep the full form
	}
	rehydrate(back.Report, back.PassedChecks, own.Texts)
	back.Texts, back.PassedChecks = "", nil
	again, err := json.Marshal(back)
	if err != nil || !bytes.Equal(again, full) {
		return full, nil // keep the full form
	}
	return small, nil
}

// Expand turns an envelope body into the full schema version 1 one (the
// texts of a compact one put back with this build's), for a server that
// does not take compact reports or version 2. A version 1 body is returned
// unchanged.
func Expand(body []byte) ([]byte, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("decode spooled report: %w", err)
	}
	if env.SchemaVersion == 1 {
		return body, nil
	}
	if env.Texts == "" {
		env.SchemaVersion = 1
		b, err := json.Marshal(env)
		if err != nil {
			return nil, fmt.Errorf("encode report: %w", err)
		}
		return b, nil
	}
	own, err := OwnTexts()
	if err != nil {
		return nil, err
	}
	if env.Texts != own.Digest {
		return nil, fmt.Errorf("report refers to catalog texts %.12s, this build has %.12s", env.Texts, own.Digest)
	}
	if env.Report != nil {
		rehydrate(env.Report, env.PassedChecks, own.Texts)
	}
	env.Texts, env.PassedChecks = "", nil
	env.SchemaVersion = 1
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return b, nil
}

// StoredReport decodes a stored report body for rendering: an envelope
// (a compact one gets its texts back from texts, which looks them up by
// digest) or, for bodies stored bare, a report.
func StoredReport(body []byte, texts func(digest string) (*Texts, error)) (*report.Report, error) {
	var env struct {
		Texts        string          `json:"texts"`
		PassedChecks []string        `json:"passed_checks"`
		Report       json.RawMessage `json:"report"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("decode stored report: %w", err)
	}
	raw := []byte(env.Report)
	if len(raw) == 0 || string(raw) == "null" {
		raw = body // a bare report
	}
	var r report.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode stored report: %w", err)
	}
	if env.Texts != "" {
		t, err := texts(env.Texts)
		if err != nil {
			return nil, err
		}
		rehydrate(&r, env.PassedChecks, t)
	}
	return &r, nil
}

// RehydrateFindings puts t's texts (in lang) back into the findings of a
// compact report: titles, remediation, references and controls. The
// server does it at ingest for the findings it stores per host.
func RehydrateFindings(fs []finding.Finding, l catalog.Lang, t *Texts) {
	for i := range fs {
		f := &fs[i]
		ct, ok := t.Checks[f.CheckID]
		if !ok {
			continue
		}
		if f.Title == "" {
			f.Title = ct.Title.Get(l)
		}
		if f.Remediation == "" {
			f.Remediation = ct.Remediation.Get(l)
		}
		if len(f.References) == 0 && len(ct.References) > 0 {
			f.References = slices.Clone(ct.References)
		}
		if f.Controls == nil && len(ct.Controls) > 0 {
			f.Controls = sortedControls(ct)
		}
	}
}

// CheckCompact checks what a compact envelope leaves out is in t: every
// passed check is one of t's, listed once and not also in the report.
func CheckCompact(in *Ingest, t *Texts) *Error {
	seen := make(map[string]bool, len(in.PassedChecks)+len(in.CheckIDs))
	for _, id := range in.CheckIDs {
		seen[id] = true
	}
	for _, id := range in.PassedChecks {
		if _, ok := t.Checks[id]; !ok {
			return Errorf(CodeMalformed, "passed check %q is not in the catalog texts", clip(id))
		}
		if seen[id] {
			return Errorf(CodeMalformed, "check %s listed twice", id)
		}
		seen[id] = true
	}
	return nil
}
