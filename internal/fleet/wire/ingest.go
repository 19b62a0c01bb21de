package wire

import (
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/report"
)

// Ingest is what the server stores from a report besides its bytes: the
// verdicts, the findings and the facts shown per host.
type Ingest struct {
	ReportID        string
	CollectedAt     time.Time
	AgentVersion    string
	Host            HostFacts
	FindingsTotal   int
	Truncated       bool
	Profile         string
	OpenClawVersion string
	PolicyVersion   int64
	Controls        []IngestControl
	Findings        []finding.Finding
}

// IngestControl is one control verdict.
type IngestControl struct {
	ID     string
	Status string
}

// The ingest shapes mirror Envelope, report.Report and
// report.ControlResult member for member, so unknown members are refused
// at every level that is decoded; members the server does not read
// (checks, framework, meta, the controls' texts: about four fifths of a
// report) are jsontext.Value, checked for syntax, depth and string length
// but not converted into Go values.
type ingestEnvelope struct {
	SchemaVersion int           `json:"schema_version"`
	ReportID      string        `json:"report_id"`
	CollectedAt   time.Time     `json:"collected_at"`
	AgentVersion  string        `json:"agent_version"`
	Host          HostFacts     `json:"host"`
	FindingsTotal int           `json:"findings_total"`
	Truncated     bool          `json:"truncated,omitempty"`
	Report        *ingestReport `json:"report"`
}

type ingestReport struct {
	SchemaVersion int               `json:"schema_version"`
	Kind          string            `json:"kind"`
	Tool          jsontext.Value    `json:"tool"`
	CreatedAt     jsontext.Value    `json:"created_at"`
	Lang          jsontext.Value    `json:"lang"`
	Framework     jsontext.Value    `json:"framework"`
	Profile       string            `json:"profile"`
	Target        report.Target     `json:"target"`
	Controls      []ingestControl   `json:"controls"`
	Checks        jsontext.Value    `json:"checks"`
	Findings      []finding.Finding `json:"findings"`
	Errors        jsontext.Value    `json:"errors"`
	Summary       jsontext.Value    `json:"summary"`
	Policy        *report.Policy    `json:"policy,omitempty"`
	Waivers       jsontext.Value    `json:"waivers,omitempty"`
	Attestations  jsontext.Value    `json:"attestations,omitempty"`
	Baseline      jsontext.Value    `json:"baseline,omitempty"`
	Meta          jsontext.Value    `json:"meta"`
}

type ingestControl struct {
	ID           string         `json:"id"`
	Item         jsontext.Value `json:"item,omitempty"`
	Kind         jsontext.Value `json:"kind"`
	Title        jsontext.Value `json:"title"`
	Description  jsontext.Value `json:"description,omitempty"`
	Status       finding.Status `json:"status"`
	CheckIDs     jsontext.Value `json:"check_ids"`
	Summary      jsontext.Value `json:"summary"`
	Guidance     jsontext.Value `json:"guidance,omitempty"`
	Counts       jsontext.Value `json:"counts"`
	Attestations jsontext.Value `json:"attestations,omitempty"`
}

// DecodeIngest validates a report body for ingest as Decode does (the
// same envelope, report kind, schema, host, control and completeness
// rules, the same error codes) and returns what the server stores. It
// decodes once and skips converting what the server never reads, which
// is most of the CPU an ingest used to spend; what it skips is still
// checked to be well-formed JSON within the shape limits.
// TestDecodeIngestMatchesDecode and FuzzDecodeIngest hold that every body
// Decode accepts, DecodeIngest accepts with the same result.
func DecodeIngest(body []byte, headerID string, known map[string]bool) (*Ingest, *Error) {
	if !utf8.Valid(body) {
		return nil, Errorf(CodeMalformed, "body is not valid UTF-8")
	}
	if err := checkShape(body); err != nil {
		return nil, Errorf(CodeMalformed, "%v", err)
	}
	var env ingestEnvelope
	if err := jsonv2.Unmarshal(body, &env, jsonv2.RejectUnknownMembers(true)); err != nil {
		return nil, Errorf(CodeMalformed, "decode envelope: %v", trimErr(err))
	}
	if env.SchemaVersion != SchemaVersion {
		return nil, Errorf(CodeUnsupported, "envelope schema_version %d (want %d)", env.SchemaVersion, SchemaVersion)
	}
	if env.ReportID != headerID {
		return nil, Errorf(CodeMalformed, "report_id in body differs from the signed header")
	}
	r := env.Report
	if r == nil {
		return nil, Errorf(CodeMalformed, "no report")
	}
	if r.Kind != "audit" {
		return nil, Errorf(CodeMalformed, "report kind %q (want audit)", r.Kind)
	}
	if r.SchemaVersion != report.SchemaVersion {
		return nil, Errorf(CodeUnsupported, "report schema_version %d (want %d)", r.SchemaVersion, report.SchemaVersion)
	}
	if env.Host.Hostname == "" || len(env.Host.Hostname) > 253 {
		return nil, Errorf(CodeMalformed, "host.hostname missing or too long")
	}
	if len(env.Host.Addresses) > 64 {
		return nil, Errorf(CodeMalformed, "more than 64 host addresses")
	}
	out := &Ingest{ReportID: env.ReportID, CollectedAt: env.CollectedAt, AgentVersion: env.AgentVersion, Host: env.Host,
		FindingsTotal: env.FindingsTotal, Truncated: env.Truncated, Profile: r.Profile, OpenClawVersion: r.Target.OpenClaw.Version,
		Controls: make([]IngestControl, 0, len(r.Controls)), Findings: r.Findings}
	if r.Policy != nil && r.Policy.Bundle != nil {
		out.PolicyVersion = r.Policy.Bundle.Version
	}
	seen := make(map[string]bool, len(r.Controls))
	for _, c := range r.Controls {
		if !controlID.MatchString(c.ID) || !known[c.ID] {
			return nil, Errorf(CodeUnknownControl, "unknown control ID %q", clip(c.ID))
		}
		if seen[c.ID] {
			return nil, Errorf(CodeMalformed, "control %s listed twice", c.ID)
		}
		seen[c.ID] = true
		if !validCtl[string(c.Status)] {
			return nil, Errorf(CodeIncomplete, "control %s has status %q", c.ID, clip(string(c.Status)))
		}
		out.Controls = append(out.Controls, IngestControl{ID: c.ID, Status: string(c.Status)})
	}
	for id := range known {
		if !seen[id] {
			return nil, Errorf(CodeIncomplete, "control %s missing: partial reports are not stored", id)
		}
	}
	if out.FindingsTotal < len(out.Findings) {
		out.FindingsTotal = len(out.Findings)
	}
	if len(out.Findings) > MaxFindings {
		out.Findings = out.Findings[:MaxFindings]
		out.Truncated = true
	}
	return out, nil
}
