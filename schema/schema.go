// Package schema publishes the JSON Schema of clawgov's JSON report
// (report.schema.json), embedded so tools such as the fleet server can
// validate a pushed report with the exact schema of the build that reads
// it. The output package's tests validate real writer output against it.
package schema

import _ "embed"

// Report is the JSON Schema (draft 2020-12) of report.Report as written by
// `--format json`.
//
//go:embed report.schema.json
var Report []byte

// Config is the JSON Schema (draft 2020-12) of clawgov.yaml, the
// configuration of clawgov itself.
//
//go:embed clawgov-config.schema.json
var Config []byte

// EgressPolicy is the JSON Schema (draft 2020-12) of a `clawgov egress`
// policy file.
//
//go:embed egress-policy.schema.json
var EgressPolicy []byte
