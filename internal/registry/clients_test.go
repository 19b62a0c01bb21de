package registry

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/pinnedtest"
	"github.com/clawgov/clawgov/internal/skillscan"
)

// installClient runs one of the repository's pinned-install scripts and
// returns the wrapper it prints. The tests skip only when node or npm is
// missing; a failing install is a failure.
func installClient(t *testing.T, script string) string {
	t.Helper()
	pinnedtest.RequireNode(t, "the pinned clients")
	return pinnedtest.Install(t, script)
}

// TestRealClients publishes a benign and a malicious fixture with the real
// clawhub CLI, and installs with the real clawhub CLI and OpenClaw: the
// malicious one is rejected at publish and never installable; the benign
// one is refused while pending, installs after approval with the same
// digests the registry signed, verifies, is refused once revoked; a
// tampered blob is refused.
func TestRealClients(t *testing.T) {
	if testing.Short() {
		t.Skip("real-client integration test (-short)")
	}
	ch := installClient(t, "install-clawhub.sh")
	oc := installClient(t, "install-openclaw.sh")
	e := newEnv(t, nil)
	// A real listener on loopback (httptest's is one too); the URL is the
	// registry base both clients are pinned to.
	base := e.ts.URL
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	home := t.TempDir()
	run := func(wantOK bool, dir string, extra []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "CLAWHUB_REGISTRY="+base, "CLAWHUB_SITE="+base,
			"CLAWHUB_DISABLE_TELEMETRY=1", "OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1", "OPENCLAW_CLAWHUB_URL="+base, "CI=true")
		cmd.Env = append(cmd.Env, extra...)
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("%s %v: err=%v (want ok=%v)\n%s", filepath.Base(name), args, err, wantOK, out)
		}
		return string(out)
	}
	src := t.TempDir()
	write := func(skill string, files map[string]string) string {
		for p, c := range files {
			f := filepath.Join(src, skill, p)
			os.MkdirAll(filepath.Dir(f), 0o755)
			os.WriteFile(f, []byte(c), 0o644)
		}
		return filepath.Join(src, skill)
	}
	work := t.TempDir()
	run(true, work, nil, ch, "login", "--token", e.tokens["acme"], "--no-input")
	out := run(true, work, nil, ch, "skill", "publish", write("hello-claw", benign), "--version", "1.0.0")
	if !strings.Contains(out, "pending") {
		t.Fatalf("publish: %s", out)
	}
	out = run(false, work, nil, ch, "skill", "publish", write("evil-helper", malicious), "--version", "1.0.0")
	if !strings.Contains(out, "rejected") || !strings.Contains(out, "OC-SKL-001") {
		t.Fatalf("malicious publish: %s", out)
	}
	// Readers from here on.
	run(true, work, nil, ch, "login", "--token", e.tokens["ann"], "--no-input")
	tok := []string{"CLAWHUB_TOKEN=" + e.tokens["ann"]}
	run(false, work, nil, ch, "install", "@acme/hello-claw", "--no-input")
	out = run(false, work, tok, oc, "skills", "install", "@acme/hello-claw")
	if !strings.Contains(out, "pending internal security review") {
		t.Fatalf("openclaw pending install: %s", out)
	}
	if _, err := e.srv.Review(ctx, Principal{Handle: "rita", Role: RoleReviewer}, "approve", "hello-claw", "1.0.0", "read every file"); err != nil {
		t.Fatal(err)
	}
	run(true, work, nil, ch, "install", "@acme/hello-claw", "--no-input")
	if _, err := os.Stat(filepath.Join(work, "skills", "@acme", "hello-claw", "docs", "usage.md")); err != nil {
		t.Fatalf("clawhub install wrote nothing: %v", err)
	}
	run(true, work, tok, oc, "skills", "install", "@acme/hello-claw")
	dir := filepath.Join(home, ".openclaw", "workspace", "skills", "hello-claw")
	prov := skillscan.ReadProvenance(dir)
	v, _ := e.srv.o.Store.GetVersion(ctx, "hello-claw", "1.0.0")
	if prov.Origin == nil || prov.Origin.Artifact == nil || prov.Origin.Artifact.SHA256 != v.ArchiveSHA256 || prov.Origin.FileTreeSHA256 != v.FileTree || prov.TreeSHA256 != v.FileTree {
		t.Fatalf("installed digests differ from the signed record: origin %+v, tree %s, stored %s %s", prov.Origin, prov.TreeSHA256, v.ArchiveSHA256, v.FileTree)
	}
	rec, err := VerifyRecord(e.srv.o.Signer.Public(), v.ApprovalRecord, v.ApprovalSig)
	if err != nil || rec.FileTreeSHA256 != prov.TreeSHA256 {
		t.Fatalf("signed record vs disk: %v", err)
	}
	out = run(true, work, tok, oc, "skills", "verify", "@acme/hello-claw")
	if !strings.Contains(out, `"decision": "pass"`) {
		t.Fatalf("verify: %s", out)
	}
	out = run(false, work, tok, oc, "skills", "install", "@acme/evil-helper")
	if !strings.Contains(out, "rejected") {
		t.Fatalf("openclaw malicious install: %s", out)
	}
	// Tampered blob: the stored archive changed on disk is refused.
	p, _ := e.srv.o.Blobs.path(v.ArchiveSHA256)
	orig, _ := os.ReadFile(p)
	os.Chmod(p, 0o644)
	bad := append([]byte{}, orig...)
	bad[len(bad)/2] ^= 0xff
	os.WriteFile(p, bad, 0o644)
	run(false, work, nil, ch, "install", "@acme/hello-claw", "--force", "--no-input")
	run(false, work, tok, oc, "skills", "install", "@acme/hello-claw", "--force")
	os.WriteFile(p, orig, 0o444)
	// Revoked: both clients refuse.
	if _, err := e.srv.Review(ctx, Principal{Handle: "rob", Role: RoleReviewer}, "revoke", "hello-claw", "1.0.0", "withdrawn"); err != nil {
		t.Fatal(err)
	}
	run(false, work, nil, ch, "install", "@acme/hello-claw", "--force", "--no-input")
	out = run(false, work, tok, oc, "skills", "install", "@acme/hello-claw", "--force")
	if !strings.Contains(out, "revoked") {
		t.Fatalf("openclaw revoked install: %s", out)
	}
	// Update: a newer approved version moves both clients off the revoked
	// one.
	run(true, work, nil, ch, "login", "--token", e.tokens["acme"], "--no-input")
	next := map[string]string{"SKILL.md": benignMD, "docs/usage.md": "Ask for a greeting, version two.\n"}
	run(true, work, nil, ch, "skill", "publish", write("hello-claw-next", next), "--slug", "hello-claw", "--version", "1.1.0")
	run(true, work, nil, ch, "login", "--token", e.tokens["ann"], "--no-input")
	if _, err := e.srv.Review(ctx, Principal{Handle: "rita", Role: RoleReviewer}, "approve", "hello-claw", "1.1.0", "read the change"); err != nil {
		t.Fatal(err)
	}
	run(true, work, nil, ch, "update", "--all", "--no-input")
	if b, _ := os.ReadFile(filepath.Join(work, "skills", "@acme", "hello-claw", "docs", "usage.md")); !strings.Contains(string(b), "version two") {
		t.Fatalf("clawhub update: usage.md is %q", b)
	}
	run(true, work, tok, oc, "skills", "update", "--all")
	if b, _ := os.ReadFile(filepath.Join(dir, "docs", "usage.md")); !strings.Contains(string(b), "version two") {
		t.Fatalf("openclaw skills update: usage.md is %q", b)
	}
	out = run(true, work, tok, oc, "skills", "verify", "@acme/hello-claw")
	if !strings.Contains(out, `"decision": "pass"`) || !strings.Contains(out, `"version": "1.1.0"`) {
		t.Fatalf("verify after update: %s", out)
	}
	if n, err := e.srv.o.Store.VerifyEvents(ctx); err != nil {
		t.Fatalf("event chain after %d: %v", n, err)
	}
}
