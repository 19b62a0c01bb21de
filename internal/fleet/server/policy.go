package server

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/orgpolicy"
)

// settingPolicyKeys holds the trusted policy public keys (JSON list of
// base64 raw keys) in the shared store, so every server process and the
// CLI agree on them.
const settingPolicyKeys = "policy_keys"

// Errors of policy publication the CLI and the API tell apart.
var (
	// ErrNoPolicyKeys: no key is trusted yet (clawgov server policy trust).
	ErrNoPolicyKeys = errors.New("no trusted policy keys: add one with clawgov server policy trust KEY.pub")
)

// InvalidBundleError is a bundle refused on its own merits (signature,
// shape), as opposed to a store failure.
type InvalidBundleError struct{ Err error }

func (e *InvalidBundleError) Error() string { return e.Err.Error() }
func (e *InvalidBundleError) Unwrap() error { return e.Err }

// PolicyKeys returns the trusted policy keys.
func PolicyKeys(ctx context.Context, st store.Store) ([]ed25519.PublicKey, error) {
	v, err := st.Setting(ctx, settingPolicyKeys)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var raw []string
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, fmt.Errorf("setting %s: %w", settingPolicyKeys, err)
	}
	out := make([]ed25519.PublicKey, 0, len(raw))
	for _, r := range raw {
		b, err := base64.StdEncoding.DecodeString(r)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("setting %s: malformed key", settingPolicyKeys)
		}
		out = append(out, ed25519.PublicKey(b))
	}
	return out, nil
}

// TrustPolicyKey adds pub to the trusted policy keys (a no-op when it is
// already there) and reports whether it was added. Hosts pin the keys at
// enrollment: a key added later reaches hosts enrolled after it.
func TrustPolicyKey(ctx context.Context, st store.Store, pub ed25519.PublicKey) (bool, error) {
	keys, err := PolicyKeys(ctx, st)
	if err != nil {
		return false, err
	}
	raw := make([]string, 0, len(keys)+1)
	for _, k := range keys {
		if k.Equal(pub) {
			return false, nil
		}
		raw = append(raw, base64.StdEncoding.EncodeToString(k))
	}
	raw = append(raw, base64.StdEncoding.EncodeToString(pub))
	b, _ := json.Marshal(raw)
	return true, st.PutSetting(ctx, settingPolicyKeys, string(b))
}

// PublishPolicy verifies a signed bundle against the trusted keys and
// stores it as the new current policy. The server never signs: the key
// stays with whoever approves policy, and the server only refuses what
// does not verify (so agents are never offered junk) and versions that
// do not go up.
func PublishPolicy(ctx context.Context, st store.Store, body []byte, actor string, now time.Time) (store.Policy, error) {
	keys, err := PolicyKeys(ctx, st)
	if err != nil {
		return store.Policy{}, err
	}
	if len(keys) == 0 {
		return store.Policy{}, ErrNoPolicyKeys
	}
	b, err := orgpolicy.Verify(body, keys)
	if err != nil {
		return store.Policy{}, &InvalidBundleError{err}
	}
	p := store.Policy{Version: b.Ref.Version, Digest: b.Ref.Digest, KeyID: b.Ref.KeyID, Created: b.Ref.Created, Comment: b.Payload.Comment,
		Body: body, PublishedBy: actor, PublishedAt: now.UTC()}
	if err := st.PublishPolicy(ctx, p); err != nil {
		return store.Policy{}, err
	}
	_ = st.AppendEvent(ctx, store.Event{At: now.UTC(), Actor: actor, Action: "policy.publish", Object: "v" + strconv.FormatInt(p.Version, 10), Outcome: "ok",
		Details: map[string]string{"digest": p.Digest, "key_id": p.KeyID}})
	return p, nil
}

// PolicyJSON describes a published policy in the API.
type PolicyJSON struct {
	Version     int64     `json:"version"`
	Digest      string    `json:"digest"`
	KeyID       string    `json:"key_id"`
	Created     string    `json:"created"`
	Comment     string    `json:"comment,omitempty"`
	PublishedBy string    `json:"published_by"`
	PublishedAt time.Time `json:"published_at"`
}

func policyJSON(p store.Policy) PolicyJSON {
	return PolicyJSON{Version: p.Version, Digest: p.Digest, KeyID: p.KeyID, Created: p.Created, Comment: p.Comment, PublishedBy: p.PublishedBy, PublishedAt: p.PublishedAt}
}

// agentPolicy serves the current bundle to an enrolled host, exactly as
// signed; the agent verifies it against the keys it pinned.
func (s *Server) agentPolicy(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sig, werr := wire.ParseHeaders(r.Header)
	if werr != nil {
		s.reject(w, werr, start)
		return
	}
	now := s.opts.Now().UTC()
	h, werr := s.authHost(r, sig, now, false)
	if werr != nil {
		s.reject(w, werr, start)
		return
	}
	if sig.Digest != wire.Digest(nil) {
		s.reject(w, wire.Errorf(wire.CodeMalformed, "a policy request has no body"), start)
		return
	}
	if err := s.opts.Store.TouchHost(context.WithoutCancel(r.Context()), h.ID, now); err != nil {
		s.opts.Logger.Warn("last seen not recorded", "host", h.ID, "err", err)
	}
	p, err := s.opts.Store.CurrentPolicy(r.Context())
	if errors.Is(err, store.ErrNotFound) {
		wire.WriteError(w, wire.Errorf(wire.CodeNotFound, "no organisation policy is published"))
		return
	} else if err != nil {
		s.reject(w, s.storeError("current policy", err), start)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Clawgov-Policy-Version", strconv.FormatInt(p.Version, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.Body)
}

// policyInfo: GET /api/v1/policy, the current version, every published
// version and the trusted keys.
func (s *Server) policyInfo(w http.ResponseWriter, r *http.Request, _ *Principal) {
	ctx := r.Context()
	list, err := s.opts.Store.ListPolicies(ctx)
	if err != nil {
		wire.WriteError(w, s.storeError("list policies", err))
		return
	}
	keys, err := PolicyKeys(ctx, s.opts.Store)
	if err != nil {
		wire.WriteError(w, s.storeError("policy keys", err))
		return
	}
	out := struct {
		Current  *PolicyJSON  `json:"current"`
		Versions []PolicyJSON `json:"versions"`
		Keys     []string     `json:"trusted_key_ids"`
	}{Versions: []PolicyJSON{}, Keys: []string{}}
	for i, p := range list {
		j := policyJSON(p)
		if i == 0 {
			out.Current = &j
		}
		out.Versions = append(out.Versions, j)
	}
	for _, k := range keys {
		out.Keys = append(out.Keys, advisory.KeyID(k))
	}
	writeJSON(w, http.StatusOK, out)
}

// publishPolicy: POST /api/v1/policy (admin), the body a signed bundle.
func (s *Server) publishPolicy(w http.ResponseWriter, r *http.Request, p *Principal) {
	start := time.Now()
	body, werr := s.readBody(w, r, orgpolicy.MaxEnvelope)
	if werr != nil {
		s.reject(w, werr, start)
		return
	}
	pol, err := PublishPolicy(r.Context(), s.opts.Store, body, p.Name, s.opts.Now())
	var invalid *InvalidBundleError
	switch {
	case err == nil:
		writeJSON(w, http.StatusCreated, policyJSON(pol))
	case errors.Is(err, store.ErrConflict):
		wire.WriteError(w, wire.Errorf(wire.CodeConflict, "%v", err))
	case errors.Is(err, ErrNoPolicyKeys):
		wire.WriteError(w, wire.Errorf(wire.CodeForbidden, "%v", err))
	case errors.As(err, &invalid):
		s.audit(r.Context(), p.Name, "policy.publish", "", "denied", map[string]string{"reason": clip(err.Error())})
		wire.WriteError(w, wire.Errorf(wire.CodePolicyInvalid, "%v", err))
	default:
		wire.WriteError(w, s.storeError("publish policy", err))
	}
}
