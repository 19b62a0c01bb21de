package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/orgpolicy"
)

// policyServer serves whatever bundle bytes it holds (nil: 404) to
// requests signed by the host key: a stand-in for a server that may have
// been tampered with.
type policyServer struct {
	mu   sync.Mutex
	pub  ed25519.PublicKey
	body []byte
}

func (p *policyServer) set(b []byte) { p.mu.Lock(); p.body = b; p.mu.Unlock() }

func (p *policyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s, e := wire.ParseHeaders(r.Header)
	if e == nil {
		e = s.Verify(p.pub, r.Method, r.URL.Path)
	}
	if e != nil || r.URL.Path != wire.PathPolicy {
		wire.WriteError(w, wire.Errorf(wire.CodeBadSignature, "no"))
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.body == nil {
		wire.WriteError(w, wire.Errorf(wire.CodeNotFound, "no organisation policy is published"))
		return
	}
	_, _ = w.Write(p.body)
}

func policyKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	b, _, err := advisory.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := advisory.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func bundle(t *testing.T, key ed25519.PrivateKey, version int64, profile string) []byte {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "clawgov.yaml")
	if err := os.WriteFile(p, []byte("version: 1\nprofile: "+profile+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := orgpolicy.Make(p, version, "", time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestAgentPolicy(t *testing.T) {
	hostKey := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	ps := &policyServer{pub: hostKey.Public().(ed25519.PublicKey)}
	hs := httptest.NewServer(ps)
	defer hs.Close()
	signer, other := policyKey(t), policyKey(t)
	a := &Agent{Dir: t.TempDir(), Key: hostKey, State: State{Server: hs.URL, HostID: "h1",
		PolicyKeys: []string{base64.StdEncoding.EncodeToString(signer.Public().(ed25519.PublicKey))}}}
	a.init()
	ctx := context.Background()
	expect := func(version int64, profile string, updated bool, warn string) {
		t.Helper()
		pol, err := a.Policy(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w := strings.Join(pol.Warnings, "; ")
		if warn == "" && w != "" || !strings.Contains(w, warn) {
			t.Fatalf("warnings %q, want %q", w, warn)
		}
		if version == 0 {
			if pol.Config != nil {
				t.Fatalf("policy applied: %+v", pol.Config.Bundle)
			}
			return
		}
		if pol.Config == nil || pol.Config.Bundle.Version != version || pol.Config.Profile != profile || pol.Updated != updated {
			t.Fatalf("got %+v updated %v, want v%d %s updated %v", pol.Config, pol.Updated, version, profile, updated)
		}
	}

	expect(0, "", false, "") // nothing published: no central policy
	ps.set(bundle(t, signer, 2, "miit-2026-strict"))
	expect(2, "miit-2026-strict", true, "")
	expect(2, "miit-2026-strict", false, "") // the same bundle again: not an update
	ps.set(bundle(t, signer, 1, "miit-2026"))
	expect(2, "miit-2026-strict", false, "older than the applied version 2")
	ps.set(bundle(t, signer, 2, "miit-2026"))
	expect(2, "miit-2026-strict", false, "differs from the applied bundle of the same version")
	ps.set(bundle(t, other, 9, "miit-2026"))
	expect(2, "miit-2026-strict", false, "does not verify")
	ps.set([]byte("{not json"))
	expect(2, "miit-2026-strict", false, "not a bundle envelope")
	ps.set(nil)
	expect(2, "miit-2026-strict", false, "") // unpublished: policies are never withdrawn by silence
	hs.Close()
	expect(2, "miit-2026-strict", false, "judging by the cached policy")

	// A cached bundle edited on disk no longer verifies: it is ignored.
	cache := filepath.Join(a.Dir, "policy", "bundle.json")
	raw, _ := os.ReadFile(cache)
	_ = os.WriteFile(cache, []byte(strings.Replace(string(raw), `"payload": "`, `"payload": "A`, 1)), 0o600)
	expect(0, "", false, "cached policy bundle ignored")

	// No pinned keys: a published policy cannot be applied, and says so.
	hs2 := httptest.NewServer(ps)
	defer hs2.Close()
	ps.set(bundle(t, signer, 3, "miit-2026"))
	b := &Agent{Dir: t.TempDir(), Key: hostKey, State: State{Server: hs2.URL, HostID: "h2"}}
	b.init()
	pol, err := b.Policy(ctx)
	if err != nil || pol.Config != nil || len(pol.Warnings) != 1 || !strings.Contains(pol.Warnings[0], "pinned no policy key") {
		t.Fatalf("no keys: %+v %v", pol, err)
	}
}
