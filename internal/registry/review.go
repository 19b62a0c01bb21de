package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// lookalikes lists approved slugs of other owners that slug imitates:
// equal after folding look-alike characters and dropping '-', or one edit
// away (slug squatting).
func (s *Server) lookalikes(ctx context.Context, slug, owner string) ([]string, error) {
	approved, err := s.o.Store.ApprovedSlugs(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	fs := foldSlug(slug)
	for other, o := range approved {
		if other == slug || o == owner {
			continue
		}
		if foldSlug(other) == fs || (len(slug) >= 4 && editDistance1(slug, other)) {
			out = append(out, other)
		}
	}
	return out, nil
}

func foldSlug(s string) string {
	s = strings.ReplaceAll(s, "-", "")
	s = strings.ReplaceAll(s, "rn", "m")
	return strings.NewReplacer("0", "o", "1", "l", "i", "l", "3", "e", "5", "s", "7", "t", "vv", "w").Replace(s)
}

// editDistance1 reports a and b differ by exactly one insertion, deletion
// or substitution.
func editDistance1(a, b string) bool {
	if a == b {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+1:] == b[i+1:]
	}
	return a[i:] == b[i+1:]
}

// ReviewError is a refused review action (409 with the message). Code
// names the refusal for the review pages, which show it in the reader's
// language: reason_required, not_pending, self_approval, already_approved,
// not_approved, unknown_action.
type ReviewError struct{ Code, Msg string }

func (e *ReviewError) Error() string { return e.Msg }

// Review applies action (approve, reject, revoke) to slug@version by p.
// Approval is per version; the publisher can never approve its own
// version; with RequireApprovals N the version is approved (and signed)
// only when N distinct reviewers have approved it.
func (s *Server) Review(ctx context.Context, p Principal, action, slug, ver, reason string) (Version, error) {
	if strings.TrimSpace(reason) == "" {
		return Version{}, &ReviewError{"reason_required", "a --reason is required"}
	}
	now := s.o.Now().UnixMilli()
	key := slug + "@" + ver
	ev := func(act string, d map[string]string) Event {
		if p.Via != "" {
			d["via"] = p.Via
		}
		return Event{At: now, Actor: p.actor(), Action: act, Object: key, Remote: p.Remote, Details: d}
	}
	return s.o.Store.Decide(ctx, slug, ver, now, func(v Version) (Decision, error) {
		switch action {
		case "approve":
			if v.State != StatePending {
				return Decision{}, &ReviewError{"not_pending", fmt.Sprintf("%s is %s; only pending versions can be approved", key, v.State)}
			}
			if v.Publisher == p.Handle {
				return Decision{}, &ReviewError{"self_approval", fmt.Sprintf("%s published %s and cannot approve it", p.Handle, key)}
			}
			for _, a := range v.Approvals {
				if a.Reviewer == p.Handle {
					return Decision{}, &ReviewError{"already_approved", fmt.Sprintf("%s already approved %s; another reviewer must approve", p.Handle, key)}
				}
			}
			a := Approval{Reviewer: p.Handle, Reason: reason, At: now}
			d := Decision{Approve: &a}
			have := len(v.Approvals) + 1
			d.Events = []Event{ev("approval", map[string]string{"reason": reason, "approvals": fmt.Sprintf("%d/%d", have, s.o.RequireApprovals)})}
			if have >= s.o.RequireApprovals {
				v.Approvals = append(v.Approvals, a)
				d.State, d.Reason = StateApproved, reason
				d.Record, d.Sig = s.o.Signer.Sign(s.record(v, now))
				d.Events = append(d.Events, ev("approve", map[string]string{"keyId": s.o.Signer.KeyID, "archiveSha256": v.ArchiveSHA256}))
			}
			return d, nil
		case "reject":
			if v.State != StatePending {
				return Decision{}, &ReviewError{"not_pending", fmt.Sprintf("%s is %s; only pending versions can be rejected (revoke an approved one)", key, v.State)}
			}
			return Decision{State: StateRejected, Reason: reason, Events: []Event{ev("reject", map[string]string{"reason": reason})}}, nil
		case "revoke":
			if v.State != StateApproved {
				return Decision{}, &ReviewError{"not_approved", fmt.Sprintf("%s is %s; only approved versions can be revoked", key, v.State)}
			}
			return Decision{State: StateRevoked, Reason: reason, Record: v.ApprovalRecord, Sig: v.ApprovalSig,
				Events: []Event{ev("revoke", map[string]string{"reason": reason})}}, nil
		}
		return Decision{}, &ReviewError{"unknown_action", "unknown action " + action}
	})
}

// ReviewView is the review API's shape of one version.
type ReviewView struct {
	Slug           string          `json:"slug"`
	Version        string          `json:"version"`
	Owner          string          `json:"ownerHandle"`
	Publisher      string          `json:"publisher"`
	State          string          `json:"state"`
	StateReason    string          `json:"stateReason"`
	ScanVerdict    string          `json:"scanVerdict"`
	ScanScore      int             `json:"scanScore"`
	Scanner        string          `json:"scanner"`
	Flags          []string        `json:"flags"`
	ArchiveSHA256  string          `json:"archiveSha256"`
	FileTreeSHA256 string          `json:"fileTreeSha256"`
	Files          []FileMeta      `json:"files"`
	Approvals      []Approval      `json:"approvals"`
	CreatedAt      int64           `json:"createdAt"`
	Scan           json.RawMessage `json:"scan,omitempty"`
	ApprovalRecord string          `json:"approvalRecord,omitempty"`
	ApprovalSig    string          `json:"approvalSignature,omitempty"`
	// Mirror is where a mirrored version came from (absent for a version
	// published here), so a reviewer sees the upstream, its archive hash
	// and its moderation state next to clawgov's own scan.
	Mirror *Provenance `json:"mirror,omitempty"`
}

func viewOf(v Version, full bool) ReviewView {
	rv := ReviewView{Slug: v.Slug, Version: v.Version, Owner: v.Owner, Publisher: v.Publisher, State: v.State, StateReason: v.StateReason,
		ScanVerdict: v.ScanVerdict, ScanScore: v.ScanScore, Scanner: v.Scanner, Flags: nonNil(v.Flags), ArchiveSHA256: v.ArchiveSHA256,
		FileTreeSHA256: v.FileTree, Files: v.Files, Approvals: v.Approvals, CreatedAt: v.CreatedAt, Mirror: v.Mirror}
	if rv.Approvals == nil {
		rv.Approvals = []Approval{}
	}
	if full {
		rv.Scan, rv.ApprovalRecord, rv.ApprovalSig = v.Scan, v.ApprovalRecord, v.ApprovalSig
	}
	return rv
}

func (s *Server) reviewList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.require(w, r, RoleReviewer, RoleAdmin); !ok {
		return
	}
	state := r.URL.Query().Get("state")
	if state == "all" {
		state = ""
	} else if state == "" {
		state = StatePending
	}
	vs, err := s.o.Store.Versions(r.Context(), "", state, limitOf(r, 200, 1000))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	prov, err := s.o.Store.Provenances(r.Context(), ids)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := []ReviewView{}
	for _, v := range vs {
		v.Mirror = prov[v.ID]
		out = append(out, viewOf(v, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *Server) reviewShow(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.require(w, r, RoleReviewer, RoleAdmin); !ok {
		return
	}
	v, err := s.o.Store.GetVersion(r.Context(), r.PathValue("slug"), r.PathValue("version"))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			textError(w, http.StatusNotFound, "Version not found")
			return
		}
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(v, true))
}

func (s *Server) reviewAct(w http.ResponseWriter, r *http.Request) {
	p, ok := s.require(w, r, RoleReviewer, RoleAdmin)
	if !ok {
		return
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&body); err != nil {
		textError(w, http.StatusBadRequest, "Bad request: body must be JSON {\"reason\":\"...\"}")
		return
	}
	v, err := s.Review(r.Context(), p, r.PathValue("action"), r.PathValue("slug"), r.PathValue("version"), body.Reason)
	if err != nil {
		var re *ReviewError
		switch {
		case errors.As(err, &re):
			textError(w, http.StatusConflict, re.Msg)
		case errors.Is(err, ErrNotFound):
			textError(w, http.StatusNotFound, "Version not found")
		case errors.Is(err, ErrState):
			textError(w, http.StatusConflict, err.Error())
		default:
			s.internal(w, r, err)
		}
		return
	}
	if ps, err := s.o.Store.Provenances(r.Context(), []string{v.ID}); err == nil {
		v.Mirror = ps[v.ID]
	}
	writeJSON(w, http.StatusOK, viewOf(v, false))
}
