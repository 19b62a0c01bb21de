package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/clawgov/clawgov/internal/config"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/orgpolicy"
)

// Policy is what the agent judges this cycle by.
type Policy struct {
	// Config is the organisation policy materialised from the bundle (nil:
	// no central policy; the host's own clawgov.yaml applies).
	Config *config.Config
	// Updated is set when this cycle applied a bundle new to the host.
	Updated bool
	// Warnings say why a bundle the server offered was not applied, or
	// why the server could not be asked (the cached bundle then applies).
	Warnings []string
}

func (a *Agent) policyDir() string { return filepath.Join(a.Dir, "policy") }

// TrustedPolicyKeys decodes the pinned policy keys.
func (a *Agent) TrustedPolicyKeys() ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	for _, k := range a.State.PolicyKeys {
		b, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("agent state: malformed policy key")
		}
		out = append(out, ed25519.PublicKey(b))
	}
	return out, nil
}

// Policy fetches the current organisation policy from the server,
// verifies it against the pinned keys, refuses a rollback, caches it and
// returns the policy to audit by. When the server cannot be reached the
// cached bundle applies (re-verified: what is on disk is never trusted on
// its own). Errors are local failures (the policy folder cannot be
// written); everything the server did wrong is a warning and the cached
// policy stays in force.
func (a *Agent) Policy(ctx context.Context) (Policy, error) {
	var out Policy
	trusted, err := a.TrustedPolicyKeys()
	if err != nil {
		return out, err
	}
	cachePath := filepath.Join(a.policyDir(), "bundle.json")
	var cached *orgpolicy.Bundle
	if raw, err := os.ReadFile(cachePath); err == nil {
		b, verr := orgpolicy.Verify(raw, trusted)
		if verr != nil {
			out.Warnings = append(out.Warnings, "cached policy bundle ignored: "+verr.Error())
		} else {
			cached = b
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return out, fmt.Errorf("read cached policy: %w", err)
	}

	chosen := cached
	raw, status, ferr := a.fetchPolicy(ctx)
	switch {
	case ferr != nil:
		out.Warnings = append(out.Warnings, "policy not fetched ("+ferr.Error()+"); judging by the cached policy")
	case status == http.StatusNotFound:
		// Nothing published: the cached bundle (if any) stays in force;
		// policies are never withdrawn by silence.
	case status != http.StatusOK:
		out.Warnings = append(out.Warnings, fmt.Sprintf("policy fetch: HTTP %d", status))
	case len(trusted) == 0:
		out.Warnings = append(out.Warnings, "the server offers an organisation policy but this agent pinned no policy key at enrollment; re-enroll (or enroll --policy-key) to apply it")
	default:
		b, verr := orgpolicy.Verify(raw, trusted)
		if verr != nil {
			out.Warnings = append(out.Warnings, "policy from the server refused: "+verr.Error())
			break
		}
		var applied *config.BundleRef
		if cached != nil {
			applied = &cached.Ref
		}
		if err := orgpolicy.CheckSuccessor(applied, b.Ref); err != nil {
			out.Warnings = append(out.Warnings, "policy from the server refused: "+err.Error())
			break
		}
		if applied == nil || applied.Digest != b.Ref.Digest {
			if err := os.MkdirAll(a.policyDir(), 0o700); err != nil {
				return out, fmt.Errorf("policy folder: %w", err)
			}
			if err := writeFileAtomic(cachePath, raw, 0o600); err != nil {
				return out, fmt.Errorf("cache policy: %w", err)
			}
			out.Updated = true
		}
		chosen = b
	}
	if chosen == nil {
		return out, nil
	}
	cfg, err := chosen.Materialise(a.policyDir())
	if err != nil {
		return out, err
	}
	out.Config = cfg
	return out, nil
}

// fetchPolicy asks the server for the current bundle with a signed GET.
func (a *Agent) fetchPolicy(ctx context.Context) ([]byte, int, error) {
	for attempt := 0; attempt < 2; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.State.Server+wire.PathPolicy, nil)
		if err != nil {
			return nil, 0, err
		}
		now := a.Now().Add(a.ClockOffset)
		wire.Sign(req, a.Key, now, NewReportID(now), nil)
		resp, err := a.HTTP.Do(req)
		if err != nil {
			return nil, 0, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, orgpolicy.MaxEnvelope+1))
		resp.Body.Close()
		if err != nil {
			return nil, 0, err
		}
		if resp.StatusCode == http.StatusOK {
			return body, resp.StatusCode, nil
		}
		e := wire.ReadError(body)
		if e != nil && e.Code == wire.CodeClockSkew && e.ServerTime != nil && attempt == 0 {
			a.ClockOffset = e.ServerTime.Sub(a.Now())
			continue
		}
		if e != nil && resp.StatusCode != http.StatusNotFound {
			return nil, resp.StatusCode, fmt.Errorf("server said %s: %s", e.Code, e.Message)
		}
		return nil, resp.StatusCode, nil
	}
	return nil, 0, errors.New("unreachable")
}
