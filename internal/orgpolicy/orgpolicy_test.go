package orgpolicy

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/config"
)

var now = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

func keys(t testing.TB) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	privB, pubB, err := advisory.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := advisory.ParsePrivateKey(privB)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := advisory.ParsePublicKey(pubB)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func cat(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const branchProfile = `id: branch-hq
extends: miit-2026-finance
title: {zh: 总部, en: Head office}
description: {zh: 总部补充要求, en: Head office additions}
thresholds:
  max_days_behind: 7
`

const policyYAML = `version: 1
organisation: Example Bank
profile: branch-hq
profiles: [profiles/branch.yaml]
waivers:
  - id: W-GW-004
    check: CG-GW-004
    reason: Token moves to the vault in Q1
    owner: secops@example.cn
    expires: 2027-01-31
`

func policyDir(t testing.TB, cfg, profile string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "profiles"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "clawgov.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "profiles", "branch.yaml"), []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "clawgov.yaml")
}

func TestMakeVerifyMaterialise(t *testing.T) {
	priv, pub := keys(t)
	raw, err := Make(policyDir(t, policyYAML, branchProfile), 3, "Q4 review", now, priv, cat(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Verify(raw, []ed25519.PublicKey{pub})
	if err != nil {
		t.Fatal(err)
	}
	if b.Ref.Version != 3 || b.Ref.KeyID != advisory.KeyID(pub) || len(b.Ref.Digest) != 64 || b.Ref.Created != "2026-12-06T10:00:00Z" {
		t.Fatalf("ref %+v", b.Ref)
	}
	if got := strings.Join(b.Members(), ","); got != "clawgov.yaml,profiles/branch.yaml" {
		t.Fatalf("members %s", got)
	}
	dir := t.TempDir()
	cfg, err := b.Materialise(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bundle == nil || *cfg.Bundle != b.Ref || cfg.Organisation != "Example Bank" || cfg.Profile != "branch-hq" {
		t.Fatalf("config %+v", cfg)
	}
	// The bundled profile resolves from the materialised folder, and
	// waiver sources name it.
	c, err := cat(t).WithProfileFiles(cfg.ProfilePaths())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Profile("branch-hq"); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "v3", "clawgov.yaml") + ":6"; cfg.Waivers[0].Source != want {
		t.Fatalf("waiver source %q, want %q", cfg.Waivers[0].Source, want)
	}
	// A file changed on disk is not trusted: materialising again restores it.
	if err := os.WriteFile(filepath.Join(dir, "v3", "clawgov.yaml"), []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = b.Materialise(dir)
	if err != nil || cfg.Profile != "branch-hq" {
		t.Fatalf("re-materialise: %v %+v", err, cfg)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(left) != 0 {
		t.Fatalf("temporary folders left: %v", left)
	}
}

// sign builds an envelope over an arbitrary payload, for shapes Make
// would never produce.
func sign(t *testing.T, priv ed25519.PrivateKey, payload []byte) []byte {
	t.Helper()
	env := Envelope{Payload: base64.StdEncoding.EncodeToString(payload), Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, payload)),
		KeyID: advisory.KeyID(priv.Public().(ed25519.PublicKey))}
	b, _ := json.Marshal(env)
	return b
}

func TestVerifyRefuses(t *testing.T) {
	priv, pub := keys(t)
	_, other := keys(t)
	good, err := Make(policyDir(t, policyYAML, branchProfile), 1, "", now, priv, cat(t))
	if err != nil {
		t.Fatal(err)
	}
	var env Envelope
	if err := json.Unmarshal(good, &env); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	tampered := env
	tampered.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), "2027-01-31", "2099-01-31", 1)))
	tamperedRaw, _ := json.Marshal(tampered)

	cases := []struct {
		name    string
		raw     []byte
		trusted []ed25519.PublicKey
		want    string
		verify  bool
	}{
		{"unknown signer", good, []ed25519.PublicKey{other}, "does not verify", true},
		{"no trusted keys", good, nil, "no trusted policy keys", false},
		{"tampered payload (expiry pushed out)", tamperedRaw, []ed25519.PublicKey{pub}, "does not verify", true},
		{"not json", []byte("policy"), []ed25519.PublicKey{pub}, "not a bundle envelope", false},
		{"unknown envelope field", []byte(`{"payload":"","signature":"","key_id":"","extra":1}`), []ed25519.PublicKey{pub}, "not a bundle envelope", false},
		{"trailing data", append(append([]byte{}, good...), []byte(`{}`)...), []ed25519.PublicKey{pub}, "trailing data", false},
		{"bad signature encoding", []byte(`{"payload":"eyJ9","signature":"!!","key_id":""}`), []ed25519.PublicKey{pub}, "malformed signature", true},
		{"oversized", make([]byte, MaxEnvelope+1), []ed25519.PublicKey{pub}, "larger than", false},
		{"wrong schema", sign(t, priv, []byte(`{"schema":"x","version":1,"created":"2026-12-06T10:00:00Z","files":{"clawgov.yaml":""}}`)), []ed25519.PublicKey{pub}, "schema", false},
		{"version zero", sign(t, priv, []byte(`{"schema":"clawgov.policy.v1","version":0,"created":"2026-12-06T10:00:00Z","files":{"clawgov.yaml":""}}`)), []ed25519.PublicKey{pub}, "not positive", false},
		{"bad created", sign(t, priv, []byte(`{"schema":"clawgov.policy.v1","version":1,"created":"yesterday","files":{"clawgov.yaml":""}}`)), []ed25519.PublicKey{pub}, "RFC 3339", false},
		{"no config member", sign(t, priv, []byte(`{"schema":"clawgov.policy.v1","version":1,"created":"2026-12-06T10:00:00Z","files":{"a.yaml":""}}`)), []ed25519.PublicKey{pub}, "no clawgov.yaml", false},
		{"path escape member", sign(t, priv, []byte(`{"schema":"clawgov.policy.v1","version":1,"created":"2026-12-06T10:00:00Z","files":{"clawgov.yaml":"","../../etc/cron.d/x":""}}`)), []ed25519.PublicKey{pub}, "not a plain relative file name", false},
		{"absolute member", sign(t, priv, []byte(`{"schema":"clawgov.policy.v1","version":1,"created":"2026-12-06T10:00:00Z","files":{"clawgov.yaml":"","/etc/passwd":""}}`)), []ed25519.PublicKey{pub}, "not a plain relative file name", false},
		{"unknown payload field", sign(t, priv, []byte(`{"schema":"clawgov.policy.v1","version":1,"created":"2026-12-06T10:00:00Z","files":{"clawgov.yaml":""},"hosts":"*"}`)), []ed25519.PublicKey{pub}, "payload", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(c.raw, c.trusted)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if errors.Is(err, ErrVerify) != c.verify {
				t.Fatalf("errors.Is(ErrVerify) = %v, want %v (%v)", !c.verify, c.verify, err)
			}
		})
	}
	if _, err := Verify(good, []ed25519.PublicKey{other, pub}); err != nil {
		t.Fatalf("second trusted key: %v", err)
	}
}

func TestMakeRefusesBrokenPolicy(t *testing.T) {
	priv, _ := keys(t)
	cases := []struct {
		name, cfg, profile, want string
		version                  int64
	}{
		{"unknown profile", strings.Replace(policyYAML, "profile: branch-hq", "profile: nope", 1), branchProfile, "unknown profile", 1},
		{"waiver names unknown check", strings.Replace(policyYAML, "CG-GW-004", "CG-GW-999", 1), branchProfile, "CG-GW-999", 1},
		{"profile cycle", policyYAML, strings.Replace(branchProfile, "extends: miit-2026-finance", "extends: branch-hq", 1), "branch-hq", 1},
		{"waiver without expiry", strings.Replace(policyYAML, "    expires: 2027-01-31\n", "", 1), branchProfile, "expires", 1},
		{"absolute profile path", strings.Replace(policyYAML, "profiles/branch.yaml", "/etc/clawgov/branch.yaml", 1), branchProfile, "absolute", 1},
		{"profile outside the folder", strings.Replace(policyYAML, "profiles/branch.yaml", "../branch.yaml", 1), branchProfile, "cannot be bundled", 1},
		{"version not positive", policyYAML, branchProfile, "positive", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Make(policyDir(t, c.cfg, c.profile), c.version, "", now, priv, cat(t))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestCheckSuccessor(t *testing.T) {
	applied := &config.BundleRef{Version: 5, Digest: strings.Repeat("a", 64)}
	for _, c := range []struct {
		next config.BundleRef
		ok   bool
	}{
		{config.BundleRef{Version: 6, Digest: strings.Repeat("b", 64)}, true},
		{config.BundleRef{Version: 5, Digest: strings.Repeat("a", 64)}, true},  // the same bundle again
		{config.BundleRef{Version: 5, Digest: strings.Repeat("b", 64)}, false}, // same number, other content
		{config.BundleRef{Version: 4, Digest: strings.Repeat("c", 64)}, false}, // rollback
	} {
		err := CheckSuccessor(applied, c.next)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrRollback)) {
			t.Errorf("%+v: %v", c.next, err)
		}
	}
	if err := CheckSuccessor(nil, config.BundleRef{Version: 1}); err != nil {
		t.Fatal(err)
	}
}

func FuzzVerify(f *testing.F) {
	priv, pub := keys(f)
	f.Add([]byte(`{"payload":"","signature":"","key_id":""}`))
	f.Add([]byte(`{"payload":"eyJ9","signature":"AAAA","key_id":"x"}`))
	for _, p := range []string{
		`{"schema":"clawgov.policy.v1","version":1,"created":"2026-12-06T10:00:00Z","files":{"clawgov.yaml":"version: 1\n"}}`,
		`{"schema":"clawgov.policy.v1","version":2,"created":"2026-12-06T10:00:00Z","files":{"clawgov.yaml":"","a/../b":""}}`,
	} {
		env := Envelope{Payload: base64.StdEncoding.EncodeToString([]byte(p)), Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(p)))}
		b, _ := json.Marshal(env)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := Verify(raw, []ed25519.PublicKey{pub})
		if err != nil {
			return
		}
		for _, name := range b.Members() {
			if checkMember(name) != nil || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
				t.Fatalf("verified bundle with unsafe member %q", name)
			}
		}
	})
}
