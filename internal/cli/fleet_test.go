package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/server"
	"github.com/clawgov/clawgov/internal/fleet/store"
	"github.com/clawgov/clawgov/internal/iostreams"
)

func runFleet(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	io, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	f := &factory{IO: io, Getenv: func(k string) string { return env[k] }, Now: time.Now}
	code := run(args, f)
	return code, out.String(), errOut.String()
}

// TestFleetCommands runs the server admin commands and the agent against
// an in-process server on the same SQLite file.
func TestFleetCommands(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "fleet.db")
	if code, out, errOut := runFleet(t, "", nil, "server", "migrate", "--db", dsn); code != 0 || !strings.Contains(out, "applied 4 migration") {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	if code, _, _ := runFleet(t, "", nil, "server", "migrate", "--db", "mysql://x"); code != ExitUsage {
		t.Fatalf("bad DSN: exit %d", code)
	}
	code, tok, _ := runFleet(t, "", nil, "server", "token", "create", "--db", dsn, "--ttl", "1h", "--uses", "1")
	tok = strings.TrimSpace(tok)
	if code != 0 || !strings.HasPrefix(tok, "cge_") {
		t.Fatalf("token create: %d %q", code, tok)
	}
	if code, _, _ := runFleet(t, "", nil, "server", "token", "create", "--db", dsn, "--uses", "0"); code != ExitUsage {
		t.Fatalf("--uses 0: exit %d", code)
	}
	pw := "a long enough password"
	code, out, errOut := runFleet(t, pw+"\n", nil, "server", "user", "add", "alice", "--role", "admin", "--db", dsn)
	if code != 0 || strings.Contains(out+errOut, pw) {
		t.Fatalf("user add: %d %s %s", code, out, errOut)
	}
	if code, _, _ := runFleet(t, pw+"\n", nil, "server", "user", "add", "alice", "--role", "admin", "--db", dsn); code != ExitUsage {
		t.Fatalf("duplicate user: exit %d", code)
	}
	if code, _, _ := runFleet(t, "short\n", nil, "server", "user", "add", "bob", "--db", dsn); code != ExitUsage {
		t.Fatalf("short password: exit %d", code)
	}
	if code, _, _ := runFleet(t, pw+"\n", nil, "server", "user", "add", "carol", "--role", "root", "--db", dsn); code != ExitUsage {
		t.Fatalf("bad role: exit %d", code)
	}
	code, api, _ := runFleet(t, "", nil, "server", "api-token", "create", "--role", "viewer", "--db", dsn)
	if code != 0 || !strings.HasPrefix(api, "cga_") {
		t.Fatalf("api-token: %d %q", code, api)
	}

	// The password is stored as argon2id, the tokens as hashes.
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, _ := st.UserByName(context.Background(), "alice")
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("hash %q", u.PasswordHash)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "fleet.db"))
	walRaw, _ := os.ReadFile(filepath.Join(dir, "fleet.db-wal"))
	for _, secret := range []string{pw, tok, strings.TrimSpace(api)} {
		if bytes.Contains(raw, []byte(secret)) || bytes.Contains(walRaw, []byte(secret)) {
			t.Fatalf("secret %q stored in clear", secret[:6])
		}
	}

	srv, err := server.New(server.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	agentDir := filepath.Join(dir, "agent")
	if code, _, errOut := runFleet(t, "", nil, "agent", "once", "--agent-dir", agentDir, "--state-dir", dir); code != ExitUsage || !strings.Contains(errOut, "not enrolled") {
		t.Fatalf("once before enroll: %d %s", code, errOut)
	}
	if code, out, errOut := runFleet(t, "", map[string]string{"CLAWGOV_ENROLL_TOKEN": tok}, "agent", "enroll", "--server", hs.URL, "--agent-dir", agentDir); code != 0 || strings.Contains(out+errOut, tok) {
		t.Fatalf("enroll: %d %s %s", code, out, errOut)
	}
	state := filepath.Join(dir, "state")
	_ = os.MkdirAll(state, 0o700)
	_ = os.WriteFile(filepath.Join(state, "openclaw.json"), []byte(`{"gateway":{"mode":"local","bind":"lan","auth":{"mode":"token","token":"Zq8vN3kLw5Rt7Yp2Xs4Hd6Jf9Bm1Cg0Qa"}}}`), 0o600)
	code, out, errOut = runFleet(t, "", nil, "agent", "once", "--agent-dir", agentDir, "--state-dir", state)
	if code != 0 || !strings.Contains(out, "acknowledged") {
		t.Fatalf("once: %d %s %s", code, out, errOut)
	}
	code, out, _ = runFleet(t, "", nil, "agent", "once", "--agent-dir", agentDir, "--state-dir", state, "--dry-run")
	if code != 0 || !strings.Contains(out, `"report_id"`) || strings.Contains(out, "Zq8vN3kLw5Rt7Yp2Xs4Hd6Jf9Bm1Cg0Qa") {
		t.Fatalf("dry run: %d (secret leaked or no envelope)", code)
	}
	hosts, _ := st.ListHosts(context.Background(), store.HostFilter{Scope: store.ScopeAll})
	if len(hosts) != 1 || hosts[0].LastReport == nil || len(hosts[0].Controls) != 12 {
		t.Fatalf("hosts: %+v", hosts)
	}
	// Server down: once fails with exit 3 and the report stays spooled.
	hs.Close()
	if code, _, _ := runFleet(t, "", nil, "agent", "once", "--agent-dir", agentDir, "--state-dir", state); code != ExitRun {
		t.Fatalf("server down: exit %d", code)
	}
	if es, _ := filepath.Glob(filepath.Join(agentDir, "spool", "*.json")); len(es) != 1 {
		t.Fatalf("spool: %d entries", len(es))
	}
}
