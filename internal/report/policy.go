package report

import (
	"path"
	"sort"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/config"
	"github.com/clawgov/clawgov/internal/finding"
)

// Policy says which policy a report was judged by: the resolved profile
// (with its digest) and the clawgov.yaml it came with, so two reports of
// one host can be compared knowing whether the rules changed.
type Policy struct {
	Profile       string `json:"profile"`
	ProfileDigest string `json:"profile_digest"`
	ProfileFile   string `json:"profile_file,omitempty"`
	Config        string `json:"config,omitempty"`
	ConfigDigest  string `json:"config_digest,omitempty"`
	Organisation  string `json:"organisation,omitempty"`
	// Bundle is the signed organisation policy bundle the config came
	// from, when the fleet distributed it.
	Bundle *config.BundleRef `json:"bundle,omitempty"`
}

// Waiver states.
const (
	WaiverActive  = "active"
	WaiverExpired = "expired"
	WaiverStale   = "stale"
)

// WaiverResult is what became of one declared waiver in this run.
type WaiverResult struct {
	config.Waiver
	// State is active (applied to at least one finding), expired (past its
	// date: it no longer applies and the findings count again) or stale
	// (still valid but matched nothing: the risk is gone or the waiver is
	// wrong, either way someone should look).
	State   string `json:"state"`
	Matched int    `json:"matched"`
}

// AttestationResult is one manual item of the profile.
type AttestationResult struct {
	ID       string         `json:"id"`
	Control  string         `json:"control"`
	Title    string         `json:"title"`
	Guidance string         `json:"guidance"`
	Source   string         `json:"source"`
	Status   finding.Status `json:"status"`
	// By, Date and Evidence come from clawgov.yaml when a person attested.
	By       string `json:"by,omitempty"`
	Date     string `json:"date,omitempty"`
	Expires  string `json:"expires,omitempty"`
	Evidence string `json:"evidence,omitempty"`
	Note     string `json:"note,omitempty"`
}

var policyText = map[catalog.Lang]map[string]string{
	catalog.EN: {
		"required":         "required by profile %s (%s): %s",
		"required_missing": "Required check could not be evaluated",
		"required_status":  "status would have been %s",
		"att_expired":      "attestation expired on %s",
		"att_future":       "attestation dated in the future (%s)",
	},
	catalog.ZH: {
		"required":         "配置 %s 强制要求（%s）：%s",
		"required_missing": "强制要求的检查无法评估",
		"required_status":  "原状态为 %s",
		"att_expired":      "证明已于 %s 过期",
		"att_future":       "证明日期晚于当前日期（%s）",
	},
}

func ptext(lang catalog.Lang, key string) string {
	if t, ok := policyText[lang][key]; ok {
		return t
	}
	return policyText[catalog.EN][key]
}

// enforceRequired fails a finding of a required check whose status is not
// a clear pass: warn, manual and error do not meet a regulator's "must".
func enforceRequired(prof *catalog.Profile, lang catalog.Lang, f *finding.Finding, was finding.Status) {
	req, ok := prof.Required(f.CheckID)
	if !ok {
		return
	}
	// was is the producer's status, before warn_as_fail: the evidence says
	// the requirement decided it even when strictness alone would have.
	switch was {
	case finding.Warn, finding.Manual, finding.Error:
	default:
		return
	}
	f.Status = finding.Fail
	f.Evidence = append(f.Evidence, finding.Evidence{
		Kind:   "policy",
		Detail: sprintf(ptext(lang, "required"), prof.ID, prof.SourceTitle(req.Source, lang), req.Reason.Get(lang)) + "; " + sprintf(ptext(lang, "required_status"), string(was)),
	})
}

// requiredUnevaluated is the finding for a required check that produced
// no outcome at all (skipped, disabled or errored): under a profile that
// requires it, "not measured" is a failure, stated as such.
func requiredUnevaluated(prof *catalog.Profile, lang catalog.Lang, meta *catalog.Check, req catalog.Requirement, was finding.Status) finding.Finding {
	f := finding.Finding{
		CheckID:  meta.ID,
		Severity: meta.Severity,
		Status:   finding.Fail,
		Title:    meta.Title.Get(lang),
		Message:  ptext(lang, "required_missing"),
		Target:   "local",
		Evidence: []finding.Evidence{{
			Kind:   "policy",
			Detail: sprintf(ptext(lang, "required"), prof.ID, prof.SourceTitle(req.Source, lang), req.Reason.Get(lang)) + "; " + sprintf(ptext(lang, "required_status"), string(was)),
		}},
		MatchKey: "required-unevaluated",
	}
	return f
}

// applyWaivers marks failing and warning findings covered by an active
// waiver as waived and reports what became of every waiver.
func applyWaivers(ws []config.Waiver, now time.Time, host string, fs []finding.Finding) []WaiverResult {
	if len(ws) == 0 {
		return nil
	}
	res := make([]WaiverResult, len(ws))
	for i, w := range ws {
		res[i] = WaiverResult{Waiver: w, State: WaiverStale}
		if !now.Before(w.ExpiresAt()) {
			res[i].State = WaiverExpired
		}
	}
	for i := range fs {
		f := &fs[i]
		if f.Status != finding.Fail && f.Status != finding.Warn {
			continue
		}
		for j := range res {
			w := &res[j]
			if !waiverMatches(w.Waiver, host, f) {
				continue
			}
			w.Matched++
			if w.State == WaiverExpired {
				continue // counted, so the report can say what it would have hidden
			}
			w.State = WaiverActive
			f.Waiver = &finding.AppliedWaiver{
				ID: w.ID, Reason: w.Reason, Owner: w.Owner, Ticket: w.Ticket,
				Created: w.Created, Expires: w.Expires, OriginalStatus: f.Status, Source: w.Source,
			}
			f.Status = finding.Waived
			break
		}
	}
	sort.SliceStable(res, func(i, j int) bool { return res[i].ID < res[j].ID })
	return res
}

func waiverMatches(w config.Waiver, host string, f *finding.Finding) bool {
	if w.Check != "" && w.Check != f.CheckID {
		return false
	}
	if w.Fingerprint != "" && w.Fingerprint != f.Fingerprint {
		return false
	}
	if w.Scope.Host != "" && !glob(w.Scope.Host, host) {
		return false
	}
	if w.Scope.Skill != "" && !glob(w.Scope.Skill, f.Target) {
		return false
	}
	if w.Scope.Path != "" {
		ok := false
		for _, e := range f.Evidence {
			if e.File != "" && (glob(w.Scope.Path, e.File) || strings.HasPrefix(e.File, strings.TrimSuffix(w.Scope.Path, "/")+"/")) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func glob(pattern, s string) bool {
	if pattern == s {
		return true
	}
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// attestations evaluates the profile's manual items against what
// clawgov.yaml attests. An unattested or expired item is manual.
func attestations(prof *catalog.Profile, lang catalog.Lang, now time.Time, got map[string]config.Attestation) []AttestationResult {
	var out []AttestationResult
	for _, a := range prof.Attestations {
		r := AttestationResult{
			ID: a.ID, Control: a.Control, Title: a.Title.Get(lang), Guidance: a.Guidance.Get(lang),
			Source: prof.SourceTitle(a.Source, lang), Status: finding.Manual,
		}
		if at, ok := got[a.ID]; ok {
			r.By, r.Date, r.Expires, r.Evidence = at.By, at.Date, at.Expires, at.Evidence
			d, _ := time.Parse(time.DateOnly, at.Date)
			switch {
			case d.After(now):
				r.Note = sprintf(ptext(lang, "att_future"), at.Date)
			case at.Expires != "" && !now.Before(expiryOf(at.Expires)):
				r.Note = sprintf(ptext(lang, "att_expired"), at.Expires)
			default:
				r.Status = finding.Pass
			}
		}
		out = append(out, r)
	}
	return out
}

func expiryOf(date string) time.Time {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return time.Time{}
	}
	return t.Add(24 * time.Hour)
}
