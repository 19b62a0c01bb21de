// Package approvaltest starts a real `clawgov registry` in-process on
// 127.0.0.1 for the audit's organisation-registry tests, publishes and
// reviews fixtures through the server's own code, and lays skills out on
// disk the way OpenClaw installs them. Test-only.
package approvaltest

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawgov/clawgov/internal/registry"
	"github.com/clawgov/clawgov/internal/skillscan"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// SkillMD is a benign skill file the scanner passes as clean.
const SkillMD = "---\nname: hello-claw\ndescription: Greets the user politely.\n---\n# Hello\n\nSay hello to the user by name.\n"

// Files is a benign two-file skill.
func Files() map[string][]byte {
	return map[string][]byte{"SKILL.md": []byte(SkillMD), "docs/usage.md": []byte("Ask for a greeting.\n")}
}

// Registry is a running registry.
type Registry struct {
	t   testing.TB
	Srv *registry.Server
	TS  *httptest.Server
	// URL is the base URL both clients and the audit use.
	URL string
	// Pub is the signing key's public half (what clawgov.yaml pins).
	Pub ed25519.PublicKey
	// Reader is a reader token (CLAWHUB_TOKEN for OpenClaw and the audit).
	Reader string
	// Publisher is the acme publisher's token (for `clawhub login`).
	Publisher string
}

// New starts a registry on SQLite with a fresh signing key. A nil mut
// keeps the defaults (token required to read).
func New(t testing.TB, mut func(*registry.Options)) *Registry {
	t.Helper()
	ctx := context.Background()
	st, err := registry.NewStore(ctx, sqldbtest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := skillscan.New(skillscan.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	o := registry.Options{Store: st, Blobs: &registry.Blobs{Dir: t.TempDir()}, Scanner: sc, Signer: registry.NewSigner(priv)}
	if mut != nil {
		mut(&o)
	}
	srv, err := registry.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler()) // 127.0.0.1, random port
	t.Cleanup(ts.Close)
	r := &Registry{t: t, Srv: srv, TS: ts, URL: ts.URL, Pub: pub}
	for _, u := range []struct{ h, role string }{{"acme", registry.RolePublisher}, {"host-17", registry.RoleReader}} {
		sec := registry.NewSecret()
		if err := st.CreateToken(ctx, registry.Token{ID: registry.NewID(), Handle: u.h, Role: u.role}, sec, registry.Event{Actor: "test", Action: "token.create", Object: u.h}); err != nil {
			t.Fatal(err)
		}
		if u.role == registry.RoleReader {
			r.Reader = sec
		} else {
			r.Publisher = sec
		}
	}
	return r
}

// PubBase64 is the pinned key as clawgov.yaml writes it.
func (r *Registry) PubBase64() string { return base64.StdEncoding.EncodeToString(r.Pub) }

// Publish publishes slug@ver as acme (it waits for review).
func (r *Registry) Publish(slug, ver string, files map[string][]byte) {
	r.t.Helper()
	_, err := r.Srv.Publish(context.Background(), registry.Principal{Handle: "acme", Role: registry.RolePublisher},
		registry.PublishRequest{Slug: slug, DisplayName: slug, Version: ver, Changelog: "x", Tags: []string{"latest"}}, files)
	if err != nil {
		r.t.Fatalf("publish %s@%s: %v", slug, ver, err)
	}
}

// Review applies approve, reject or revoke as reviewer rita (or rob).
func (r *Registry) Review(action, slug, ver string) {
	r.t.Helper()
	who := "rita"
	if action == "revoke" {
		who = "rob"
	}
	if _, err := r.Srv.Review(context.Background(), registry.Principal{Handle: who, Role: registry.RoleReviewer}, action, slug, ver, "test "+action); err != nil {
		r.t.Fatalf("%s %s@%s: %v", action, slug, ver, err)
	}
}

// Install lays files out as OpenClaw installs slug@ver from registryURL:
// <ws>/skills/<slug> with .clawhub/origin.json and <ws>/.clawhub/lock.json
// recording the registry and the fileTreeSha256 of the files written. It
// returns the skill folder.
func Install(t testing.TB, ws, registryURL, slug, ver string, files map[string][]byte) string {
	t.Helper()
	dir := filepath.Join(ws, "skills", slug)
	for p, b := range files {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tree, err := skillscan.FileTreeSHA256(dir)
	if err != nil {
		t.Fatal(err)
	}
	origin := map[string]any{"version": 1, "registry": registryURL, "slug": slug, "ownerHandle": "acme", "installedAt": 1, "installedVersion": ver,
		"artifact": map[string]any{"kind": "archive", "integrity": "sha256-AA=="}, "fileTreeSha256": tree}
	writeJSON(t, filepath.Join(dir, ".clawhub", "origin.json"), origin)
	lockFile := filepath.Join(ws, ".clawhub", "lock.json")
	lf := map[string]any{"version": 1, "skills": map[string]any{}}
	if old, err := os.ReadFile(lockFile); err == nil {
		_ = json.Unmarshal(old, &lf)
	}
	lf["skills"].(map[string]any)[slug] = map[string]any{"version": ver, "registry": registryURL, "ownerHandle": "acme", "installedAt": 1,
		"fileTreeSha256": tree, "artifact": map[string]any{"integrity": "sha256-AA=="}}
	writeJSON(t, lockFile, lf)
	return dir
}

func writeJSON(t testing.TB, p string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
