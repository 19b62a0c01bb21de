package report

import (
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/config"
	"github.com/clawgov/clawgov/internal/finding"
)

var policyNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func build(t *testing.T, profile string, fs []finding.Finding, ran []string, mod func(*Input)) *Report {
	t.Helper()
	in := Input{Kind: "audit", Now: policyNow, Lang: catalog.EN, ProfileID: profile, Ran: ran, Findings: fs,
		Target: Target{Host: "gw-01.bank.example"}}
	if mod != nil {
		mod(&in)
	}
	r, err := Build(catalog.MustDefault(), in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func statusOf(r *Report, check string) finding.Status {
	for _, c := range r.Checks {
		if c.ID == check {
			return c.Status
		}
	}
	return ""
}

func controlStatus(r *Report, id string) finding.Status {
	for _, c := range r.Controls {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}

func TestRequiredChecks(t *testing.T) {
	cases := []struct {
		name    string
		profile string
		fs      []finding.Finding
		ran     []string
		errored bool
		want    finding.Status
	}{
		{name: "baseline keeps manual", profile: "miit-2026", fs: []finding.Finding{{CheckID: "CG-BRW-001", Status: finding.Manual}}, want: finding.Manual},
		{name: "required manual fails", profile: "miit-2026-regulated", fs: []finding.Finding{{CheckID: "CG-BRW-001", Status: finding.Manual}}, want: finding.Fail},
		{name: "required warn fails", profile: "miit-2026-regulated", fs: []finding.Finding{{CheckID: "CG-BRW-001", Status: finding.Warn}}, want: finding.Fail},
		{name: "required pass passes", profile: "miit-2026-regulated", ran: []string{"CG-BRW-001"}, want: finding.Pass},
		{name: "required not evaluated fails", profile: "miit-2026-regulated", want: finding.Fail},
		{name: "required errored fails", profile: "miit-2026-regulated", ran: []string{"CG-BRW-001"}, errored: true, want: finding.Fail},
		{name: "required but not applicable stays skip", profile: "miit-2026-regulated", fs: []finding.Finding{{CheckID: "CG-BRW-001", Status: finding.Skip}}, want: finding.Skip},
		{name: "not required skip stays skip", profile: "miit-2026", fs: []finding.Finding{{CheckID: "CG-BRW-001", Status: finding.Skip}}, want: finding.Skip},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := build(t, c.profile, c.fs, c.ran, func(in *Input) {
				if c.errored {
					in.Errors = []RunError{{Source: "x", Message: "unreadable", Checks: []string{"CG-BRW-001"}}}
				}
			})
			if got := statusOf(r, "CG-BRW-001"); got != c.want {
				t.Fatalf("CG-BRW-001 = %s, want %s", got, c.want)
			}
			if c.want == finding.Fail {
				found := false
				for _, f := range r.Findings {
					for _, e := range f.Evidence {
						if f.CheckID == "CG-BRW-001" && e.Kind == "policy" {
							found = true
						}
					}
				}
				if !found {
					t.Error("failing required check has no policy evidence naming the requirement")
				}
			}
		})
	}
}

func TestSeverityOverrideAndThresholdsResolve(t *testing.T) {
	r := build(t, "miit-2026-cii", []finding.Finding{{CheckID: "CG-EXP-003", Status: finding.Fail, Severity: finding.High}}, nil, nil)
	for _, f := range r.Findings {
		if f.CheckID == "CG-EXP-003" && f.Severity != finding.Critical {
			t.Fatalf("cii overrides CG-EXP-003 to critical, got %s", f.Severity)
		}
	}
	if r.Policy == nil || r.Policy.Profile != "miit-2026-cii" || r.Policy.ProfileDigest == "" {
		t.Fatalf("policy %+v", r.Policy)
	}
}

func TestWaiverStatesAndScopes(t *testing.T) {
	fs := []finding.Finding{
		{CheckID: "CG-GW-004", Status: finding.Warn, Evidence: []finding.Evidence{{Kind: "config", File: "/srv/openclaw/openclaw.json", KeyPath: "gateway.auth"}}},
		{CheckID: "CG-SKL-002", Status: finding.Fail, Target: "weather-pro"},
		{CheckID: "CG-SKL-002", Status: finding.Fail, Target: "notes"},
		{CheckID: "CG-GW-001", Status: finding.Fail},
	}
	ws := []config.Waiver{
		{ID: "host-match", Check: "CG-GW-004", Scope: config.Scope{Host: "gw-*", Path: "/srv/openclaw"}, Reason: "r", Expires: "2026-12-31"},
		{ID: "skill", Check: "CG-SKL-002", Scope: config.Scope{Skill: "weather-*"}, Reason: "r", Expires: "2026-12-01"}, // expires end of today: still active
		{ID: "other-host", Check: "CG-GW-001", Scope: config.Scope{Host: "db-*"}, Reason: "r", Expires: "2027-01-01"},
		{ID: "expired", Check: "CG-GW-001", Reason: "r", Expires: "2026-11-30"},
		{ID: "stale", Check: "CG-UPD-001", Reason: "r", Expires: "2027-01-01"},
	}
	r := build(t, "miit-2026", fs, nil, func(in *Input) { in.Waivers = ws })
	byTarget := map[string]finding.Status{}
	for _, f := range r.Findings {
		byTarget[f.CheckID+"/"+f.Target] = f.Status
	}
	want := map[string]finding.Status{
		"CG-GW-004/local": finding.Waived, "CG-SKL-002/weather-pro": finding.Waived,
		"CG-SKL-002/notes": finding.Fail, "CG-GW-001/local": finding.Fail,
	}
	for k, v := range want {
		if byTarget[k] != v {
			t.Errorf("%s = %s, want %s", k, byTarget[k], v)
		}
	}
	states := map[string]string{}
	for _, w := range r.Waivers {
		states[w.ID] = w.State
	}
	wantStates := map[string]string{"host-match": WaiverActive, "skill": WaiverActive, "other-host": WaiverStale, "expired": WaiverExpired, "stale": WaiverStale}
	for k, v := range wantStates {
		if states[k] != v {
			t.Errorf("waiver %s = %s, want %s", k, states[k], v)
		}
	}
	// Waived findings decide nothing: CG-GW-004's only finding is waived.
	if got := statusOf(r, "CG-GW-004"); got != finding.Waived {
		t.Errorf("check status %s, want waived", got)
	}
	if r.Summary.Findings["waived"] != 2 {
		t.Errorf("summary %+v", r.Summary.Findings)
	}
	// The exit code ignores waived findings but not the unwaived ones.
	if !r.Failing(finding.Info) {
		t.Error("unwaived failures must still fail")
	}
	only := build(t, "miit-2026", fs[:1], nil, func(in *Input) { in.Waivers = ws })
	if only.Failing(finding.Info) {
		t.Error("a waived warning must not fail --fail-on")
	}
	// A waiver never turns a manual or error outcome into waived.
	m := build(t, "miit-2026", []finding.Finding{{CheckID: "CG-GW-004", Status: finding.Manual}}, nil, func(in *Input) { in.Waivers = ws })
	if m.Findings[0].Status != finding.Manual {
		t.Errorf("manual finding waived: %s", m.Findings[0].Status)
	}
}

func TestAttestations(t *testing.T) {
	att := map[string]config.Attestation{
		"ATT-FIN-001": {By: "ciso", Date: "2026-11-01", Evidence: "review"},
		"ATT-FIN-002": {By: "ciso", Date: "2026-10-01", Expires: "2026-11-30", Evidence: "old"},
		"ATT-LOG-001": {By: "ciso", Date: "2027-01-01", Evidence: "future"},
	}
	r := build(t, "miit-2026-finance", nil, catalog.MustDefault().CheckIDs(), func(in *Input) { in.Attestations = att })
	got := map[string]finding.Status{}
	for _, a := range r.Attestations {
		got[a.ID] = a.Status
	}
	want := map[string]finding.Status{"ATT-FIN-001": finding.Pass, "ATT-FIN-002": finding.Manual, "ATT-LOG-001": finding.Manual, "ATT-LOG-002": finding.Manual}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	// DO-3: every check ran and passed, ATT-FIN-001 is attested: pass.
	// DO-1: ATT-FIN-002 expired: manual, never a silent pass.
	if s := controlStatus(r, "DO-3"); s != finding.Pass {
		t.Errorf("DO-3 = %s, want pass", s)
	}
	if s := controlStatus(r, "DO-1"); s != finding.Manual {
		t.Errorf("DO-1 = %s, want manual", s)
	}
}

func TestBaseline(t *testing.T) {
	cfgFinding := func(file string, line int) finding.Finding {
		f := finding.Finding{CheckID: "CG-GW-001", Status: finding.Fail, Severity: finding.High,
			Evidence: []finding.Evidence{{Kind: "config", File: file, KeyPath: "gateway.bind", Line: line}}}
		f.Fingerprint = f.ComputeFingerprint()
		return f
	}
	prev := build(t, "miit-2026", []finding.Finding{
		cfgFinding("/h/.openclaw/openclaw.json", 12),
		{CheckID: "CG-LOG-001", Status: finding.Fail, Severity: finding.High},
		{CheckID: "CG-TL-001", Status: finding.Fail, Severity: finding.High},
	}, nil, nil)

	cases := []struct {
		name               string
		cur                []finding.Finding
		wantNew, wantUnch  int
		wantResolved       []string
		mutatePrevControls bool
	}{
		// Reformatting moves the line; the fingerprint has no line.
		{name: "reformatted config", cur: []finding.Finding{cfgFinding("/h/.openclaw/openclaw.json", 40), {CheckID: "CG-LOG-001", Status: finding.Fail}, {CheckID: "CG-TL-001", Status: finding.Fail}}, wantUnch: 3, wantResolved: nil},
		// A renamed file changes the fingerprint; matched by check, target, key.
		{name: "renamed file", cur: []finding.Finding{cfgFinding("/h/.openclaw/openclaw.json5", 12), {CheckID: "CG-LOG-001", Status: finding.Fail}, {CheckID: "CG-TL-001", Status: finding.Fail}}, wantUnch: 3},
		// One fixed, one new.
		{name: "fixed and new", cur: []finding.Finding{cfgFinding("/h/.openclaw/openclaw.json", 12), {CheckID: "CG-LOG-001", Status: finding.Fail}, {CheckID: "CG-SBX-001", Status: finding.Warn}}, wantNew: 1, wantUnch: 2, wantResolved: []string{"CG-TL-001"}},
		// A check remapped to other controls is the same finding.
		{name: "moved controls", cur: []finding.Finding{cfgFinding("/h/.openclaw/openclaw.json", 12), {CheckID: "CG-LOG-001", Status: finding.Fail}, {CheckID: "CG-TL-001", Status: finding.Fail}}, wantUnch: 3, mutatePrevControls: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := *prev
			p.Findings = append([]finding.Finding(nil), prev.Findings...)
			if c.mutatePrevControls {
				for i := range p.Findings {
					p.Findings[i].Controls = []string{"DO-6"}
				}
			}
			r := build(t, "miit-2026", c.cur, nil, nil)
			if err := ApplyBaseline(r, &p, "prev.json"); err != nil {
				t.Fatal(err)
			}
			if r.Baseline.New != c.wantNew || r.Baseline.Unchanged != c.wantUnch {
				t.Errorf("new %d unchanged %d, want %d %d", r.Baseline.New, r.Baseline.Unchanged, c.wantNew, c.wantUnch)
			}
			var res []string
			for _, f := range r.Baseline.Resolved {
				res = append(res, f.CheckID)
			}
			if len(res) != len(c.wantResolved) || (len(res) > 0 && res[0] != c.wantResolved[0]) {
				t.Errorf("resolved %v, want %v", res, c.wantResolved)
			}
			if c.wantNew > 0 && !r.FailingNew(finding.Info) {
				t.Error("FailingNew false with a new warning")
			}
			if c.wantNew == 0 && r.FailingNew(finding.Info) {
				t.Error("FailingNew true with nothing new")
			}
		})
	}
	other := build(t, "miit-2026", nil, nil, nil)
	other.Kind = "skills-scan"
	if err := ApplyBaseline(build(t, "miit-2026", nil, nil, nil), other, "x.json"); err == nil {
		t.Error("a skills-scan baseline accepted for an audit")
	}
}
