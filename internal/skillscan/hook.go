package skillscan

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/clawgov/clawgov/internal/finding"
)

// HookRequest is what OpenClaw's security.installPolicy.exec sends on
// stdin (docs/tools/skills-config.md, "Operator Install Policy"). Only the
// fields the decision needs are decoded; unknown ones are ignored.
type HookRequest struct {
	ProtocolVersion int    `json:"protocolVersion"`
	OpenClawVersion string `json:"openclawVersion"`
	TargetType      string `json:"targetType"`
	TargetName      string `json:"targetName"`
	SourcePath      string `json:"sourcePath"`
	SourcePathKind  string `json:"sourcePathKind"`
	Origin          struct {
		Type     string `json:"type"`
		Registry string `json:"registry"`
		Slug     string `json:"slug"`
		Version  string `json:"version"`
	} `json:"origin"`
	Request struct {
		Kind               string `json:"kind"`
		Mode               string `json:"mode"`
		RequestedSpecifier string `json:"requestedSpecifier"`
	} `json:"request"`
}

// HookFinding is one entry of the response's findings array.
type HookFinding struct {
	RuleID   string `json:"ruleId"`
	Message  string `json:"message"`
	Severity string `json:"severity"` // info, warn, critical
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Evidence string `json:"evidence,omitempty"`
}

// HookResponse is the one JSON object written to stdout.
type HookResponse struct {
	ProtocolVersion int           `json:"protocolVersion"`
	Decision        string        `json:"decision"` // allow, warn, block
	Reason          string        `json:"reason,omitempty"`
	Findings        []HookFinding `json:"findings,omitempty"`
}

// Limits of the OpenClaw side: reason and finding text up to 1,000
// characters, and a warn whose rendered review exceeds 4,000 characters
// fails closed, so warnings carry few, short findings.
const (
	hookMaxReason       = 900
	hookMaxFindings     = 100
	hookMaxWarnFindings = 6
	hookMaxText         = 160
	hookMaxRequest      = 1 << 20
)

func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func block(reason string) HookResponse {
	return HookResponse{ProtocolVersion: 1, Decision: "block", Reason: truncRunes(reason, hookMaxReason)}
}

// Decide answers one install-policy request: malicious blocks, suspicious
// warns (OpenClaw then asks the operator), clean allows. Anything that
// prevents a full scan blocks: the policy fails closed, like OpenClaw's
// own handling of a broken policy.
func (s *Scanner) Decide(ctx context.Context, in io.Reader) HookResponse {
	b, err := io.ReadAll(io.LimitReader(in, hookMaxRequest+1))
	if err != nil {
		return block("clawgov: cannot read the policy request: " + err.Error())
	}
	if len(b) > hookMaxRequest {
		return block("clawgov: policy request larger than 1 MiB")
	}
	var req HookRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return block("clawgov: policy request is not valid JSON: " + err.Error())
	}
	if req.ProtocolVersion != 1 {
		return block(fmt.Sprintf("clawgov: unsupported install-policy protocol version %d (supported: 1)", req.ProtocolVersion))
	}
	if req.SourcePath == "" {
		return block("clawgov: policy request has no sourcePath to scan")
	}
	st, err := os.Stat(req.SourcePath)
	if err != nil {
		return block("clawgov: cannot open the staged source: " + err.Error())
	}
	name := req.TargetName
	var results []Result
	if st.IsDir() {
		results = []Result{s.ScanDir(ctx, req.SourcePath, name)}
	} else {
		var errs []error
		results, errs = s.ScanPaths(ctx, []string{req.SourcePath})
		if len(errs) > 0 {
			return block("clawgov: cannot scan the staged source: " + errs[0].Error())
		}
	}
	return hookDecision(req, results)
}

func hookDecision(req HookRequest, results []Result) HookResponse {
	resp := HookResponse{ProtocolVersion: 1, Decision: "allow"}
	worst := Clean
	var incomplete []string
	var ms []Match
	score := 0
	for _, r := range results {
		switch {
		case r.Verdict == Malicious:
			worst = Malicious
		case r.Verdict == Suspicious && worst == Clean:
			worst = Suspicious
		}
		if r.Incomplete() {
			incomplete = append(incomplete, r.Errors...)
		}
		ms = append(ms, r.Matches...)
		score = max(score, r.Score)
	}
	// Strongest matches first.
	sortMatches(ms)
	what := req.TargetType
	if what == "" {
		what = "skill"
	}
	switch {
	case worst == Malicious:
		resp.Decision = "block"
		resp.Reason = fmt.Sprintf("clawgov: %s %q is malicious (score %d): %s", what, req.TargetName, score, summary(ms))
	case len(incomplete) > 0:
		resp.Decision = "block"
		resp.Reason = fmt.Sprintf("clawgov: %s %q could not be fully scanned: %s", what, req.TargetName, strings.Join(incomplete, "; "))
	case worst == Suspicious:
		resp.Decision = "warn"
		resp.Reason = fmt.Sprintf("clawgov: %s %q is suspicious (score %d): %s", what, req.TargetName, score, summary(ms))
	default:
		resp.Reason = ""
	}
	resp.Reason = truncRunes(resp.Reason, hookMaxReason)
	limit := hookMaxFindings
	if resp.Decision == "warn" {
		limit = hookMaxWarnFindings
	}
	for _, m := range ms {
		if len(resp.Findings) >= limit {
			break
		}
		if resp.Decision != "allow" && m.Severity < finding.Medium {
			continue
		}
		sev := "warn"
		switch {
		case m.Severity >= finding.High:
			sev = "critical"
		case m.Severity <= finding.Low:
			sev = "info"
		}
		hf := HookFinding{RuleID: m.RuleID, Message: truncRunes(m.Title.EN, hookMaxText), Severity: sev, File: m.File, Line: m.Line, Evidence: truncRunes(m.Text, hookMaxText)}
		if hf.File == "" {
			hf.File = "."
		}
		if hf.Evidence == "" {
			hf.Evidence = "-"
		}
		resp.Findings = append(resp.Findings, hf)
	}
	return resp
}

func summary(ms []Match) string {
	var parts []string
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.RuleID] || m.Severity < finding.Medium {
			continue
		}
		seen[m.RuleID] = true
		parts = append(parts, fmt.Sprintf("%s %s (%s:%d)", m.RuleID, m.Title.EN, m.File, m.Line))
		if len(parts) == 3 {
			break
		}
	}
	return strings.Join(parts, "; ")
}
