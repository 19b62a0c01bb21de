package probe

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
)

// DiscoverChecks are the checks a discover run evaluates; with no gateway
// found they pass.
var DiscoverChecks = []string{"CG-EXP-010", "CG-EXP-011", "CG-EXP-012", "CG-EXP-020", "CG-EXP-021", "CG-EXP-022"}

// Findings turns scan results into findings: one CG-EXP-020 per gateway
// found, plus one per exposed extra. Endpoints that are not OpenClaw raise
// nothing (they are in the discovery records, not the findings).
func Findings(results []Result) []finding.Finding {
	var out []finding.Finding
	for i := range results {
		r := &results[i]
		if !r.IsGateway() {
			continue
		}
		target := r.Endpoint()
		if r.Host != "" {
			target += " (" + r.Host + ")"
		}
		params := map[string]string{
			"target":  target,
			"product": r.Product,
			"version": orUnknown(r.Version),
			"auth":    r.Auth,
			"extras":  orNone(strings.Join(r.Extras(), ", ")),
		}
		ev := r.evidence()
		loop := isLoopback(r.Address)
		reach := finding.Finding{
			CheckID: "CG-EXP-020", Target: target, MessageKey: "reachable", Params: params,
			Status: finding.Fail, Evidence: ev, MatchKey: r.Product,
		}
		if loop {
			// Reachable from this host only: worth knowing, not network
			// exposure.
			reach.MessageKey, reach.Status, reach.Severity = "loopback", finding.Warn, finding.Low
		}
		out = append(out, reach)
		if r.Auth == AuthOpen {
			out = append(out, finding.Finding{CheckID: "CG-EXP-010", Target: target, MessageKey: "open", Params: params, Status: finding.Fail, Evidence: r.evidenceFor("/tools/invoke")})
		}
		switch r.OpenAI {
		case OpenAIOpen:
			out = append(out, finding.Finding{CheckID: "CG-EXP-011", Target: target, MessageKey: "open", Params: params, Status: finding.Fail, Evidence: r.evidenceFor("/v1/models")})
		case OpenAIOn:
			out = append(out, finding.Finding{CheckID: "CG-EXP-011", Target: target, MessageKey: "on", Params: params, Status: finding.Warn, Severity: finding.Medium, Evidence: r.evidenceFor("/v1/models")})
		}
		if r.Terminal != nil && *r.Terminal {
			st := finding.Warn
			if !loop {
				st = finding.Fail
			}
			out = append(out, finding.Finding{CheckID: "CG-EXP-012", Target: target, MessageKey: "enabled", Params: params, Status: st, Evidence: r.evidenceFor("GET / ")})
		}
		if len(r.Advisories) > 0 {
			ids := r.Advisories
			if len(ids) > 8 {
				ids = append(append([]string(nil), ids[:8]...), fmt.Sprintf("+%d more", len(r.Advisories)-8))
			}
			p := map[string]string{"target": target, "product": r.Product, "version": orUnknown(r.Version), "count": strconv.Itoa(len(r.Advisories)), "ids": strings.Join(ids, ", ")}
			out = append(out, finding.Finding{CheckID: "CG-EXP-022", Target: target, MessageKey: "affected", Params: p, Status: finding.Fail, Evidence: r.evidenceFor("/startupz"), MatchKey: r.Version})
		}
		if r.UIConfig == "open" && r.Auth != AuthOpen {
			out = append(out, finding.Finding{CheckID: "CG-EXP-021", Target: target, MessageKey: "open", Params: params, Status: finding.Warn, Evidence: r.evidenceFor("control-ui-config")})
		}
	}
	return out
}

// evidence records what the probe saw, one entry per request, so a reader
// can check the verdict without re-running the scan.
func (r *Result) evidence() []finding.Evidence {
	summary := finding.Evidence{Kind: "probe", File: r.Endpoint(), KeyPath: "product", Value: r.Product,
		Detail: "version " + orUnknown(r.Version) + "; auth " + r.Auth + "; extras " + orNone(strings.Join(r.Extras(), ", "))}
	out := []finding.Evidence{summary}
	for _, e := range r.Evidence {
		out = append(out, finding.Evidence{Kind: "probe", File: r.Endpoint(), Detail: e})
	}
	return out
}

// evidenceFor is the summary plus the request lines containing what.
func (r *Result) evidenceFor(what string) []finding.Evidence {
	all := r.evidence()
	out := all[:1]
	for _, e := range all[1:] {
		if strings.Contains(e.Detail, what) {
			out = append(out, e)
		}
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func isLoopback(a string) bool {
	ip, err := netip.ParseAddr(a)
	return err == nil && ip.Unmap().IsLoopback()
}

// MDNSCheck is the check an mDNS browse evaluates.
const MDNSCheck = "CG-EXP-023"

// MDNSFindings reports adverts whose TXT records leak full-mode details.
func MDNSFindings(ads []MDNSAdvert) []finding.Finding {
	var out []finding.Finding
	for i := range ads {
		a := &ads[i]
		leaks := a.Leaks()
		if len(leaks) == 0 {
			continue
		}
		var ev []finding.Evidence
		for _, k := range leaks {
			ev = append(ev, finding.Evidence{Kind: "mdns", File: a.From, KeyPath: "txt." + k, Value: a.TXT[k]})
		}
		out = append(out, finding.Finding{
			CheckID: MDNSCheck, Target: a.From, Status: finding.Fail, MessageKey: "leaks",
			Params:   map[string]string{"from": a.From, "instance": a.Instance, "keys": strings.Join(leaks, ", ")},
			Evidence: ev, MatchKey: a.Instance,
		})
	}
	return out
}
