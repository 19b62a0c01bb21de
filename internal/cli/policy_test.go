package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/orgpolicy"
)

const orgPolicyYAML = `version: 1
organisation: Example Bank
profile: bank-hq
profiles: [profiles/hq.yaml]
waivers:
  - id: W-BIND
    check: CG-GW-001
    reason: LAN access until the VPN lands
    owner: secops@example.cn
    expires: 2099-06-30
`

const orgProfile = `id: bank-hq
extends: miit-2026
title: {zh: 总部, en: Head office}
description: {zh: 总部补充要求, en: Head office additions}
`

// TestFleetPolicyDistribution: a policy signed off the server is
// published, pinned by the agent at enrollment, applied to its audit and
// named in the stored report; a bundle signed by another key (a server
// that was tampered with) is refused and the applied policy stays.
func TestFleetPolicyDistribution(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "fleet.db")
	cli := func(args ...string) (int, string, string) { return runFleet(t, "", nil, args...) }

	key := filepath.Join(dir, "policy")
	if code, out, errOut := cli("policy", "keygen", "--out", key); code != 0 || !strings.Contains(out, "server policy trust") {
		t.Fatalf("keygen: %d %s %s", code, out, errOut)
	}
	pdir := filepath.Join(dir, "pol")
	_ = os.MkdirAll(filepath.Join(pdir, "profiles"), 0o700)
	_ = os.WriteFile(filepath.Join(pdir, "clawgov.yaml"), []byte(orgPolicyYAML), 0o600)
	_ = os.WriteFile(filepath.Join(pdir, "profiles", "hq.yaml"), []byte(orgProfile), 0o600)
	v1 := filepath.Join(dir, "policy-v1.json")
	if code, out, errOut := cli("policy", "bundle", filepath.Join(pdir, "clawgov.yaml"), "--version", "1", "--sign", key, "--out", v1, "--comment", "first"); code != 0 || !strings.Contains(out, "policy v1") {
		t.Fatalf("bundle: %d %s %s", code, out, errOut)
	}
	if code, _, _ := cli("policy", "bundle", filepath.Join(pdir, "clawgov.yaml"), "--version", "1", "--sign", key, "--out", v1); code != ExitUsage {
		t.Fatalf("overwrite of a bundle: exit %d", code)
	}
	if code, out, _ := cli("policy", "verify", v1, "--key", key+".pub"); code != 0 || !strings.Contains(out, "signature: good") || !strings.Contains(out, "profiles/hq.yaml") {
		t.Fatalf("verify: %d %s", code, out)
	}
	rogue := filepath.Join(dir, "rogue")
	cli("policy", "keygen", "--out", rogue)
	if code, out, _ := cli("policy", "verify", v1, "--key", rogue+".pub"); code != ExitFindings || !strings.Contains(out, "FAILED") {
		t.Fatalf("verify with another key: %d %s", code, out)
	}

	if code, _, errOut := cli("server", "policy", "publish", v1, "--db", dsn); code != ExitUsage || !strings.Contains(errOut, "no trusted policy keys") {
		t.Fatalf("publish before trust: %d %s", code, errOut)
	}
	if code, out, _ := cli("server", "policy", "trust", key+".pub", "--db", dsn); code != 0 || !strings.Contains(out, "trusting policy key") {
		t.Fatalf("trust: %d %s", code, out)
	}
	if code, out, errOut := cli("server", "policy", "publish", v1, "--db", dsn); code != 0 || !strings.Contains(out, "published policy v1") {
		t.Fatalf("publish: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := cli("server", "policy", "publish", v1, "--db", dsn); code != ExitUsage || !strings.Contains(errOut, "not above") {
		t.Fatalf("republish v1: %d %s", code, errOut)
	}

	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := server.New(server.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	_, tok, _ := cli("server", "token", "create", "--db", dsn)
	agentDir := filepath.Join(dir, "agent")
	if code, out, errOut := runFleet(t, "", map[string]string{"CLAWGOV_ENROLL_TOKEN": strings.TrimSpace(tok)}, "agent", "enroll", "--server", hs.URL, "--agent-dir", agentDir); code != 0 || !strings.Contains(out, "pinned 1 organisation policy key") {
		t.Fatalf("enroll: %d %s %s", code, out, errOut)
	}
	state := filepath.Join(dir, "state")
	_ = os.MkdirAll(state, 0o700)
	_ = os.WriteFile(filepath.Join(state, "openclaw.json"), []byte(`{"gateway":{"mode":"local","bind":"lan","auth":{"mode":"token","token":"Zq8vN3kLw5Rt7Yp2Xs4Hd6Jf9Bm1Cg0Qa"}}}`), 0o600)

	// latest returns the policy the host's latest stored report names and
	// the CG-GW-001 finding's status.
	latest := func() (int64, string, string) {
		t.Helper()
		hosts, _ := st.ListHosts(context.Background(), store.HostFilter{Scope: store.ScopeAll})
		if len(hosts) != 1 {
			t.Fatalf("hosts %d", len(hosts))
		}
		rep, err := st.Report(context.Background(), hosts[0].ID, hosts[0].LastReportID, store.ScopeAll)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Report struct {
				Profile string `json:"profile"`
				Policy  struct {
					Bundle *struct {
						Version int64 `json:"version"`
					} `json:"bundle"`
				} `json:"policy"`
				Findings []struct {
					CheckID string `json:"check_id"`
					Status  string `json:"status"`
				} `json:"findings"`
			} `json:"report"`
		}
		if err := json.Unmarshal(rep.Body, &env); err != nil {
			t.Fatal(err)
		}
		if env.Report.Policy.Bundle == nil {
			return 0, env.Report.Profile, ""
		}
		if hosts[0].PolicyVersion != env.Report.Policy.Bundle.Version {
			t.Fatalf("host policy_version %d, report names v%d", hosts[0].PolicyVersion, env.Report.Policy.Bundle.Version)
		}
		gw := ""
		for _, f := range env.Report.Findings {
			if f.CheckID == "CG-GW-001" {
				gw = f.Status
			}
		}
		return env.Report.Policy.Bundle.Version, env.Report.Profile, gw
	}

	once := func() string {
		t.Helper()
		code, out, errOut := cli("agent", "once", "--agent-dir", agentDir, "--state-dir", state, "--profile", "miit-2026-strict")
		if code != 0 || !strings.Contains(out, "acknowledged") {
			t.Fatalf("once: %d %s %s", code, out, errOut)
		}
		return errOut
	}
	errOut := once()
	if !strings.Contains(errOut, "applied organisation policy v1") || !strings.Contains(errOut, "--profile miit-2026-strict ignored") {
		t.Fatalf("stderr: %s", errOut)
	}
	if v, prof, gw := latest(); v != 1 || prof != "bank-hq" || gw != "waived" {
		t.Fatalf("report judged by v%d profile %s, CG-GW-001 %q", v, prof, gw)
	}

	// A bundle the pinned key did not sign, put straight into the store
	// (the server's own check bypassed): refused, v1 stays in force.
	rk, _ := os.ReadFile(rogue)
	rogueKey, _ := advisory.ParsePrivateKey(rk)
	cat, _ := catalog.Default()
	loose := strings.Replace(orgPolicyYAML, "profile: bank-hq", "profile: miit-2026", 1)
	_ = os.WriteFile(filepath.Join(pdir, "clawgov.yaml"), []byte(loose), 0o600)
	rawRogue, err := orgpolicy.Make(filepath.Join(pdir, "clawgov.yaml"), 2, "", time.Now(), rogueKey, cat)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PublishPolicy(context.Background(), store.Policy{Version: 2, Digest: strings.Repeat("0", 64), KeyID: "rogue", Created: "2026-12-06T10:00:00Z",
		Body: rawRogue, PublishedBy: "intruder", PublishedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	errOut = once()
	if !strings.Contains(errOut, "policy from the server refused") {
		t.Fatalf("rogue bundle not refused: %s", errOut)
	}
	if v, prof, _ := latest(); v != 1 || prof != "bank-hq" {
		t.Fatalf("after a rogue bundle: v%d %s", v, prof)
	}
	// The API refuses it outright.
	_, admin, _ := cli("server", "api-token", "create", "--role", "admin", "--db", dsn)
	post := func(body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/policy", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(admin))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Error.Code
	}
	rawRogue3, _ := orgpolicy.Make(filepath.Join(pdir, "clawgov.yaml"), 3, "", time.Now(), rogueKey, cat)
	if st, code := post(rawRogue3); st != http.StatusUnprocessableEntity || code != "policy_invalid" {
		t.Fatalf("POST rogue bundle: %d %s", st, code)
	}

	// A properly signed v3 through the API: applied on the next cycle.
	kb, _ := os.ReadFile(key)
	goodKey, _ := advisory.ParsePrivateKey(kb)
	raw3, err := orgpolicy.Make(filepath.Join(pdir, "clawgov.yaml"), 3, "back to the baseline", time.Now(), goodKey, cat)
	if err != nil {
		t.Fatal(err)
	}
	if st, code := post(raw3); st != http.StatusCreated {
		t.Fatalf("POST v3: %d %s", st, code)
	}
	if st, code := post(raw3); st != http.StatusConflict || code != "conflict" {
		t.Fatalf("POST v3 twice: %d %s", st, code)
	}
	errOut = once()
	if !strings.Contains(errOut, "applied organisation policy v3") {
		t.Fatalf("v3 not applied: %s", errOut)
	}
	if v, prof, _ := latest(); v != 3 || prof != "miit-2026" {
		t.Fatalf("after v3: v%d %s", v, prof)
	}

	// Server down: the cached, re-verified bundle still applies.
	hs.Close()
	code, out, errOut := cli("agent", "once", "--agent-dir", agentDir, "--state-dir", state, "--dry-run")
	if code != 0 || !strings.Contains(errOut, "judging by the cached policy") || !strings.Contains(out, `"version": 3`) {
		t.Fatalf("offline dry run: %d %s", code, errOut)
	}

	// GET /api/v1/policy lists every version and the trusted key.
	if code, out, _ := cli("server", "policy", "list", "--db", dsn); code != 0 || !strings.Contains(out, "v3") || !strings.Contains(out, "back to the baseline") {
		t.Fatalf("list: %d %s", code, out)
	}
	pub, _ := os.ReadFile(key + ".pub")
	pk, _ := advisory.ParsePublicKey(pub)
	keys, _ := server.PolicyKeys(context.Background(), st)
	if len(keys) != 1 || !keys[0].Equal(ed25519.PublicKey(pk)) {
		t.Fatalf("trusted keys %v", keys)
	}
}
