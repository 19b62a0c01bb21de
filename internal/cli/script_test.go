package cli

// End-to-end acceptance tests of the clawgov command line.
//
// The testscript files under testdata/script run the real command (this
// test binary re-executed as "clawgov" by testscript.Main), each holding a
// whole fake root filesystem or home in its txtar archive. The Go tests
// below cover what a txtar cannot express well: every output format, a
// SQLite secret store, a state dir of 100k files and the normalised golden
// report of examples/risky-host.
//
// Almost every audit here uses --rootfs, which no running process on the
// test machine can influence. live_host.txtar covers the live host, with
// fake gateway processes (sleep under the gateway's process title) for the
// deployment's own gateway and a foreign one.
//
// Known bugs live in testdata/script/bug_*.txtar, each stopped by a skip
// line naming the bug; removing the skip reproduces it.

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/santhosh-tekuri/jsonschema/v6"
	_ "modernc.org/sqlite"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/iostreams"
	"github.com/clawgov/clawgov/internal/output"
	"github.com/clawgov/clawgov/internal/probe/probetest"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/schema"
)

// TestMain lets testscript run this test binary as the "clawgov" command.
// Any other invocation (go test, or a colleague's test re-running the
// binary with -test.run) goes straight to m.Run.
//
// "openclaw-gateway ADDR" is a stand-in gateway for live-host scripts: a
// process with the gateway's process title that listens on ADDR (loopback
// only) and waits to be killed.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"clawgov":          func() { os.Exit(Main(os.Args[1:], iostreams.System())) },
		"openclaw-gateway": fakeGatewayMain,
	})
}

func fakeGatewayMain() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: openclaw-gateway 127.0.0.1:PORT")
		os.Exit(2)
	}
	if ap, err := netip.ParseAddrPort(os.Args[1]); err != nil || !ap.Addr().IsLoopback() {
		fmt.Fprintln(os.Stderr, "openclaw-gateway: loopback addresses only")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	time.Sleep(60 * time.Second) // bounded: the script kills it first
	os.Exit(0)
}

// scriptNow is the fixed clock of the in-process tests.
var scriptNow = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

func TestScript(t *testing.T) {
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// A copy of the shipped example with canonical modes, so the
			// verdicts do not depend on the checkout's umask.
			if err := copyTreeCanonical(filepath.Join(examples, "risky-host"), filepath.Join(env.WorkDir, "risky-host")); err != nil {
				return err
			}
			env.Setenv("EXAMPLES", examples)
			// This machine's name, which a --rootfs report must never claim.
			if h, err := os.Hostname(); err == nil && h != "" {
				env.Setenv("THIS_HOST", h)
			} else {
				env.Setenv("THIS_HOST", "clawgov-test-unknown-host")
			}
			// The account's home from the user database: where OpenClaw
			// (Node's os.homedir()) looks when HOME is unset.
			if u, err := user.Current(); err == nil {
				env.Setenv("USER_HOME", u.HomeDir)
			}
			env.Setenv("NO_COLOR", "1")
			// The advisory database cache lives under the user cache dir:
			// keep the machine's own cache out of the verdicts.
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
			"status":   cmdStatus,
			"schema":   cmdSchema,
			"chownr":   cmdChownR,
		},
	})
}

// cmdExitCode runs a command and requires its exact exit code (testscript's
// "! exec" accepts any failure, but clawgov's 1, 2 and 3 mean different
// things). It also fails on any sign of a panic.
//
//	exitcode N command [args...]
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	stderr := ts.ReadFile("stderr")
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		ts.Fatalf("%s panicked:\n%s", args[1], stderr)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d\nstderr:\n%s", args[1], got, want, stderr)
	}
}

// cmdStatus reads a JSON report and checks the status of a control
// (DO-1...) or a check (CG-...). With "!" the status must differ.
//
//	status report.json ID STATUS
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: status report.json ID STATUS")
	}
	var r struct {
		Controls []struct{ ID, Status string }
		Checks   []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &r); err != nil {
		ts.Fatalf("status: %s is not a JSON report: %v", args[0], err)
	}
	got := ""
	for _, c := range append(r.Controls, r.Checks...) {
		if c.ID == args[1] {
			got = c.Status
		}
	}
	if got == "" {
		ts.Fatalf("status: %s not in %s", args[1], args[0])
	}
	if (got == args[2]) == neg {
		if neg {
			ts.Fatalf("%s is %s, want anything else", args[1], got)
		}
		ts.Fatalf("%s is %s, want %s", args[1], got, args[2])
	}
}

// cmdSchema validates a JSON report against schema/report.schema.json.
//
//	schema report.json
func cmdSchema(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: schema report.json")
	}
	if err := validateReport([]byte(ts.ReadFile(args[0]))); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
}

// cmdChownR gives a fixture tree to a numeric account, as a real
// deployment's state dir belongs to its service account. It needs root:
// scripts using it start with "[!root] skip" (the verdicts depend on the
// owner, so they cannot run otherwise).
//
//	chownr UID path
func cmdChownR(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: chownr UID path")
	}
	uid, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("chownr: bad uid %q", args[0])
	}
	if os.Geteuid() != 0 {
		ts.Fatalf("chownr needs root: guard the script with [!root] skip")
	}
	err = filepath.WalkDir(ts.MkAbs(args[1]), func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
	ts.Check(err)
}

var (
	reportSchemaOnce *jsonschema.Schema
	reportSchemaErr  error
)

func validateReport(doc []byte) error {
	if reportSchemaOnce == nil && reportSchemaErr == nil {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.Report))
		if err != nil {
			return fmt.Errorf("parse schema: %w", err)
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("file:///report.schema.json", v); err != nil {
			return err
		}
		reportSchemaOnce, reportSchemaErr = c.Compile("file:///report.schema.json")
	}
	if reportSchemaErr != nil {
		return reportSchemaErr
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return reportSchemaOnce.Validate(v)
}

// copyTreeCanonical copies src to dst keeping symlinks, with directories
// 0755 and files 0644 (0755 when executable), whatever the checkout's
// umask made of them.
func copyTreeCanonical(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, to)
		case d.IsDir():
			if err := os.MkdirAll(to, 0o755); err != nil {
				return err
			}
			return os.Chmod(to, 0o755)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			mode := os.FileMode(0o644)
			if info.Mode()&0o111 != 0 {
				mode = 0o755
			}
			if err := os.WriteFile(to, b, mode); err != nil {
				return err
			}
			return os.Chmod(to, mode)
		}
	})
}

// auditRun runs clawgov in-process with the fixed clock and the given
// environment (nothing else from the test process is visible to it).
func auditRun(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	io, _, out, errOut := iostreams.Test()
	f := &factory{IO: io, Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return scriptNow }}
	code := run(args, f)
	if s := errOut.String(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
		t.Fatalf("clawgov %v panicked:\n%s", args, s)
	}
	return code, out.String(), errOut.String()
}

// isolateCache keeps the advisory engine (which looks up the user cache
// dir itself) away from this machine's cache.
func isolateCache(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
}

// riskyHost returns a canonical-mode copy of examples/risky-host.
func riskyHost(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "risky-host")
	if err := copyTreeCanonical(filepath.Join("..", "..", "examples", "risky-host"), dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestAuditEveryFormat writes the example's report in every format the
// output package knows and checks that each is well formed of its kind.
func TestAuditEveryFormat(t *testing.T) {
	isolateCache(t)
	root := riskyHost(t)
	if len(output.Formats()) < 2 {
		t.Fatalf("formats: %v", output.Formats())
	}
	for _, format := range output.Formats() {
		for _, lang := range []string{"en", "zh"} {
			t.Run(format+"-"+lang, func(t *testing.T) {
				code, out, errOut := auditRun(t, nil, "audit", "--rootfs", root, "--format", format, "--lang", lang)
				if code != ExitFindings {
					t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitFindings, errOut)
				}
				if rest := withoutDataWarning(errOut); rest != "" {
					t.Errorf("stderr not empty:\n%s", rest)
				}
				checkFormat(t, format, lang, out)
				// The example's own (made-up) secrets stay out of every format.
				for _, secret := range []string{"shorttoken123", "example-token-123"} {
					if strings.Contains(out, secret) {
						t.Errorf("%s output leaks %q", format, secret)
					}
				}
				if piece := leakedPiece(out, "123456:EXAMPLEexampleEXAMPLEexample"); piece != "" {
					t.Errorf("%s output leaks the telegram bot token (%q)", format, piece)
				}
			})
		}
	}
}

func checkFormat(t *testing.T, format, lang, out string) {
	t.Helper()
	title := "Use the official latest version"
	if lang == "zh" {
		title = "使用官方最新版本"
	}
	switch format {
	case "json":
		if err := validateReport([]byte(out)); err != nil {
			t.Fatalf("json report does not validate: %v", err)
		}
		var r struct {
			Lang     string
			Controls []struct{ ID, Status string }
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if r.Lang != lang || len(r.Controls) != 12 {
			t.Fatalf("lang %q, %d controls", r.Lang, len(r.Controls))
		}
		// Control titles carry both languages in JSON; the findings'
		// messages are in the chosen one.
		if lang == "zh" && !strings.Contains(out, "使用官方最新版本") {
			t.Error("zh report lacks the Chinese DO-1 title")
		}
		if lang == "zh" {
			// Every finding speaks Chinese: no English fallback text.
			var z struct {
				Findings []struct {
					CheckID                     string `json:"check_id"`
					Title, Message, Remediation string
				}
			}
			if err := json.Unmarshal([]byte(out), &z); err != nil {
				t.Fatal(err)
			}
			han := regexp.MustCompile(`\p{Han}`)
			for _, f := range z.Findings {
				for _, txt := range []string{f.Title, f.Message, f.Remediation} {
					if !han.MatchString(txt) {
						t.Errorf("%s: untranslated text in the zh report: %.100q", f.CheckID, txt)
					}
				}
			}
		}
		return
	case "sarif":
		var s struct {
			Version string `json:"version"`
			Runs    []struct {
				Results []json.RawMessage `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("sarif is not JSON: %v", err)
		}
		if s.Version != "2.1.0" || len(s.Runs) != 1 || len(s.Runs[0].Results) == 0 {
			t.Fatalf("sarif: version %q, %d runs", s.Version, len(s.Runs))
		}
		return
	case "junit":
		dec := xml.NewDecoder(strings.NewReader(out))
		n := 0
		for {
			tok, err := dec.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("junit is not well-formed XML: %v", err)
				}
				break
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "testcase" {
				n++
			}
		}
		if n < 12 {
			t.Fatalf("junit has %d test cases", n)
		}
		if !strings.Contains(out, "<failure") {
			t.Error("junit shows no failure for a failing example")
		}
	case "html":
		low := strings.ToLower(out)
		if !strings.HasPrefix(strings.TrimSpace(low), "<!doctype html") || !strings.Contains(low, "</html>") {
			t.Fatalf("html is not a whole document:\n%.300s", out)
		}
	case "markdown":
		if !strings.HasPrefix(out, "#") {
			t.Fatalf("markdown does not start with a heading:\n%.300s", out)
		}
	case "text":
		if strings.Contains(out, "\x1b[") {
			t.Error("colour escapes in text written to a non-terminal")
		}
	default:
		t.Fatalf("no validation for new format %q: add one here", format)
	}
	for _, id := range []string{"DO-1", "DO-6", "DONT-1", "DONT-6", "CG-PRV-002", "CG-SKL-001"} {
		if !strings.Contains(out, id) {
			t.Errorf("%s output lacks %s", format, id)
		}
	}
	if !strings.Contains(out, title) {
		t.Errorf("%s output lacks the %s DO-1 title %q", format, lang, title)
	}
}

// Secrets of the leak fixture: each is distinctive so that any 8-character
// window of it found in the output is a leak, not a coincidence.
var leakSecrets = map[string]string{
	"gateway.auth.token":           "GwTok-Qx7Lm3Pz9Rt2Vb8Nc4Hd6Jf1Ks5Wy0",
	"hooks.token":                  "HkTok-Aj4Bk8Cm2Dn6Ep0Fq3Gr7Hs1It5Ju9",
	"telegram botToken":            "987654321:TgBotZa1Yb2Xc3Wd4Ve5Uf6Tg7Sh8",
	"env SecretRef value":          "SrefVal-Lo4Kp8Jq2Ir6Hs0Gt3Fu7Ev1Dw5",
	"unit EnvironmentFile token":   "EnvFileTok-Mn3Op7Qr1St5Uv9Wx2Yz6Ab0",
	"secret store row":             "sk-store-Cd4Ef8Gh2Ij6Kl0Mn3Op7Qr1St5",
	"state .env key":               "sk-dotenv-Pq9Rs3Tu7Vw1Xy5Za8Bc2De6Fg",
	"process env gateway password": "PwProc-Hi4Jk8Lm2No6Pq0Rs3Tu7Vw1Xy5",
	"process env ClawHub token":    "ClawHubTok-Zy9Xw8Vu7Ts6Rq5Po4Nm3",
}

// leakFixture builds a rootfs whose deployment holds every kind of secret
// OpenClaw knows: plain config values, an env SecretRef resolved from the
// unit, an EnvironmentFile token, a store SecretRef whose value sits in
// the SQLite secret store, and a .env key.
func leakFixture(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	s := leakSecrets
	files := map[string]string{
		"etc/hostname": "leak-box\n",
		"etc/passwd":   "root:x:0:0:root:/root:/bin/bash\nclaw:x:1200:1200::/home/claw:/bin/sh\n",
		"etc/group":    "root:x:0:\nclaw:x:1200:\n",
		"etc/systemd/system/openclaw-gateway.service": "[Service]\nUser=claw\n" +
			"Environment=HOME=/home/claw\n" +
			"Environment=DISCORD_BOT_TOKEN=" + s["env SecretRef value"] + "\n" +
			"EnvironmentFile=/etc/openclaw/gateway.env\n" +
			"ExecStart=/usr/bin/openclaw gateway run --port 18789 --token " + s["unit EnvironmentFile token"] + "\n",
		"etc/openclaw/gateway.env": "OPENCLAW_GATEWAY_TOKEN=" + s["unit EnvironmentFile token"] + "\n",
		"home/claw/.openclaw/.env": "OPENAI_API_KEY=" + s["state .env key"] + "\n",
		"home/claw/.openclaw/openclaw.json": `{
  gateway: { mode: "local", bind: "lan", auth: { mode: "token", token: "` + s["gateway.auth.token"] + `" } },
  hooks: { enabled: true, token: "` + s["hooks.token"] + `" },
  channels: {
    telegram: { enabled: true, botToken: "` + s["telegram botToken"] + `", dmPolicy: "open", allowFrom: ["*"] },
    discord: { enabled: true, token: { source: "env", provider: "default", id: "DISCORD_BOT_TOKEN" } },
  },
  models: { providers: { openai: { apiKey: { source: "store", provider: "default", id: "OPENAI_API_KEY" } } } },
  logging: { level: "debug" },
}
`,
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	createSecretStore(t, filepath.Join(root, "home/claw/.openclaw"), s["secret store row"])
	return root
}

// createSecretStore creates state/openclaw.sqlite with the 2026.9.6 schema
// (dumped by the openclaw package from a database the real program made)
// holding one secret store row, and leaves it in WAL mode with the row in
// the WAL, as a running gateway would.
func createSecretStore(t *testing.T, stateDir, value string) {
	t.Helper()
	schemaSQL, err := os.ReadFile(filepath.Join("..", "openclaw", "testdata", "state-schema-2026.9.6.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(stateDir, "state"), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(stateDir, "state", "openclaw.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	for _, stmt := range []string{
		"PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0", string(schemaSQL),
		`INSERT INTO schema_meta VALUES ('primary','global',18,NULL,'2026.9.6',1795598319817,1795598319817)`,
		`INSERT INTO secret_store_entries VALUES ('team','','OPENAI_API_KEY','` + value + `','secret',1,1,NULL,NULL,'["api.openai.example"]')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("exec %.60q: %v", stmt, err)
		}
	}
}

// TestSecretsNeverLeak runs every format, the --output file and the -v
// debug log over the leak fixture and requires that no secret, nor any
// 8-character piece of one, appears anywhere.
func TestSecretsNeverLeak(t *testing.T) {
	isolateCache(t)
	root := leakFixture(t)
	env := map[string]string{
		"OPENCLAW_GATEWAY_PASSWORD": leakSecrets["process env gateway password"],
		"CLAWHUB_TOKEN":             leakSecrets["process env ClawHub token"],
	}
	var outputs []string
	sawSecretFindings := false
	for _, format := range output.Formats() {
		for _, verbose := range []bool{false, true} {
			args := []string{"audit", "--rootfs", root, "--format", format, "--fail-on", "none"}
			if verbose {
				args = append(args, "-v")
			}
			code, out, errOut := auditRun(t, env, args...)
			if code != ExitOK {
				t.Fatalf("%v: exit %d\n%s", args, code, errOut)
			}
			if verbose && !strings.Contains(errOut, "level=DEBUG") {
				t.Errorf("-v wrote no debug log (so it was not checked): %q", errOut)
			}
			if format == "json" && !verbose {
				requireRaised(t, out, "CG-SEC-001", "CG-SEC-002", "CG-SEC-004", "CG-GW-006")
				sawSecretFindings = true
			}
			outputs = append(outputs, fmt.Sprintf("%s -v=%v stdout", format, verbose), out, "stderr", errOut)
		}
	}
	file := filepath.Join(t.TempDir(), "report.json")
	if code, _, errOut := auditRun(t, env, "audit", "--rootfs", root, "--format", "json", "--output", file, "--fail-on", "none", "-v"); code != 0 {
		t.Fatalf("--output: exit %d\n%s", code, errOut)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, "--output file", string(b))
	if !sawSecretFindings {
		t.Fatal("the fixture raised no plaintext-secret finding: the leak test would prove nothing")
	}
	for i := 0; i < len(outputs); i += 2 {
		where, text := outputs[i], outputs[i+1]
		for kind, secret := range leakSecrets {
			if piece := leakedPiece(text, secret); piece != "" {
				t.Errorf("%s leaks the %s (%q found)", where, kind, piece)
			}
		}
	}
}

// requireRaised fails unless each check warns or fails in the JSON report:
// proof that the fixture's secrets were really read (plaintext config
// secrets, the SQLite secret store, the unit's EnvironmentFile token that
// differs from the configured one).
func requireRaised(t *testing.T, report string, ids ...string) {
	t.Helper()
	var r struct{ Checks []struct{ ID, Status string } }
	if err := json.Unmarshal([]byte(report), &r); err != nil {
		t.Fatal(err)
	}
	st := map[string]string{}
	for _, c := range r.Checks {
		st[c.ID] = c.Status
	}
	for _, id := range ids {
		if st[id] != "fail" && st[id] != "warn" {
			t.Errorf("%s is %q: the fixture's secrets were not all seen, so the leak test proves less", id, st[id])
		}
	}
}

// leakedPiece returns the first 8-rune window of secret found in text.
func leakedPiece(text, secret string) string {
	r := []rune(secret)
	for i := 0; i+8 <= len(r); i++ {
		if w := string(r[i : i+8]); strings.Contains(text, w) {
			return w
		}
	}
	return ""
}

// TestAuditHugeStateDir audits a state dir of 100k files: it must finish
// (bounded walks) and still report, without an error exit.
func TestAuditHugeStateDir(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: creates 100k files")
	}
	isolateCache(t)
	root := t.TempDir()
	state := filepath.Join(root, "root", ".openclaw")
	for _, d := range []string{"agents/main/sessions", "workspace/memory", "media/outbound", "logs"} {
		if err := os.MkdirAll(filepath.Join(state, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(state, "openclaw.json"), []byte(`{ gateway: { mode: "local", bind: "loopback" } }`), 0o600); err != nil {
		t.Fatal(err)
	}
	const total = 100_000
	dirs := []string{"agents/main/sessions", "workspace/memory", "media/outbound", "logs"}
	created := time.Now()
	for i := 0; i < total; i++ {
		d := filepath.Join(state, dirs[i%len(dirs)], fmt.Sprintf("d%03d", i/1000))
		if i%1000 < len(dirs) {
			if err := os.MkdirAll(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		// Plain open/close: os.WriteFile costs several times more per
		// file, which adds up to minutes on a busy machine.
		fd, err := syscall.Open(filepath.Join(d, fmt.Sprintf("f%06d.jsonl", i)), syscall.O_CREAT|syscall.O_WRONLY|syscall.O_CLOEXEC, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		syscall.Close(fd)
	}
	t.Logf("creating %d files took %v", total, time.Since(created).Round(time.Millisecond))
	start := time.Now()
	code, out, errOut := auditRun(t, nil, "audit", "--rootfs", root, "--format", "json", "--fail-on", "none")
	t.Logf("audit of %d files took %v (not asserted)", total, time.Since(start).Round(time.Millisecond))
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if err := validateReport([]byte(out)); err != nil {
		t.Fatalf("report does not validate: %v", err)
	}
	var r struct {
		Target struct {
			StateDir string `json:"state_dir"`
		}
		Controls []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Target.StateDir != "/root/.openclaw" || len(r.Controls) != 12 {
		t.Fatalf("target %q, %d controls", r.Target.StateDir, len(r.Controls))
	}
}

// TestAuditGoldenRiskyHost pins the whole JSON report of the shipped
// example (fixed clock, rootfs path normalised to <root>). Regenerate with
// go test ./internal/cli -run GoldenRiskyHost -update.
func TestAuditGoldenRiskyHost(t *testing.T) {
	if os.Geteuid() != 0 {
		// The example's verdicts on file ownership (CG-PRV-004, CG-PRV-003)
		// depend on the checkout belonging to root, as in CI.
		t.Skip("golden assumes a root-owned checkout of examples/risky-host")
	}
	isolateCache(t)
	root := riskyHost(t)
	env := map[string]string{"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	code, out, errOut := auditRun(t, env, "audit", "--rootfs", root, "--format", "json", "--lang", "en")
	if code != ExitFindings {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	got := strings.ReplaceAll(out, root, "<root>")
	if strings.Contains(got, filepath.Dir(root)) {
		t.Fatalf("absolute temp path left in the report")
	}
	p := filepath.Join("testdata", "golden", "risky-host.json")
	if updating() {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run GoldenRiskyHost -update)", err)
	}
	if string(want) != got {
		t.Errorf("report differs from %s (run with -update if intended):\n%s", p, firstDiff(string(want), got))
	}
	// The same run twice gives the same bytes.
	if _, again, _ := auditRun(t, env, "audit", "--rootfs", root, "--format", "json", "--lang", "en"); again != out {
		t.Errorf("two runs over the same input differ:\n%s", firstDiff(out, again))
	}
}

// firstDiff shows the first differing line with a little context.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return "(equal)"
}

// TestOutputToSpecialFile: --output naming a FIFO (or a device such as
// /dev/stdout or /dev/null) writes into it and never renames a regular
// file over it (as root, that replaced the system's /dev/null).
func TestOutputToSpecialFile(t *testing.T) {
	isolateCache(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "report.fifo")
	if err := exec.Command("mkfifo", fifo).Run(); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		// Blocks until clawgov opens the FIFO for writing.
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	root := riskyHost(t)
	done := make(chan int, 1)
	go func() {
		code, _, _ := auditRun(t, nil, "audit", "--rootfs", root, "--format", "json", "-o", fifo, "--fail-on", "none")
		done <- code
	}()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("clawgov did not finish writing to the FIFO")
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v %v", st.Mode(), err)
	}
	select {
	case s := <-got:
		if err := validateReport([]byte(s)); err != nil {
			t.Fatalf("report read from the FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived through the FIFO")
	}
}

// TestColourOnlyOnTerminal: text output is coloured on a terminal only,
// never with NO_COLOR, never in an --output file.
func TestColourOnlyOnTerminal(t *testing.T) {
	isolateCache(t)
	root := riskyHost(t)
	runTTY := func(env map[string]string, args ...string) string {
		io, _, out, _ := iostreams.Test()
		io.OutTTY = true
		f := &factory{IO: io, Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return scriptNow }}
		if code := run(append([]string{"audit", "--rootfs", root, "--fail-on", "none"}, args...), f); code != ExitOK {
			t.Fatalf("exit %d", code)
		}
		return out.String()
	}
	if out := runTTY(nil); !strings.Contains(out, "\x1b[") {
		t.Error("no colour on a terminal")
	}
	if out := runTTY(map[string]string{"NO_COLOR": "1"}); strings.Contains(out, "\x1b[") {
		t.Error("colour despite NO_COLOR")
	}
	file := filepath.Join(t.TempDir(), "r.txt")
	runTTY(nil, "-o", file)
	if b, err := os.ReadFile(file); err != nil || strings.Contains(string(b), "\x1b[") || len(b) == 0 {
		t.Errorf("--output file: %v, colour=%v", err, strings.Contains(string(b), "\x1b["))
	}
	if _, out, _ := auditRun(t, nil, "audit", "--rootfs", root, "--fail-on", "none"); strings.Contains(out, "\x1b[") {
		t.Error("colour on a non-terminal")
	}
}

// failingWriter fails every write, like a closed pipe or a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestExitCodeRunFailure: a report that cannot be written to stdout is a
// failure of the run itself (exit 3), reported on one line.
func TestExitCodeRunFailure(t *testing.T) {
	isolateCache(t)
	root := riskyHost(t)
	for _, format := range output.Formats() {
		io, _, _, errOut := iostreams.Test()
		io.Out = failingWriter{}
		f := &factory{IO: io, Getenv: func(string) string { return "" }, Now: func() time.Time { return scriptNow }}
		code := run([]string{"audit", "--rootfs", root, "--format", format}, f)
		if code != ExitRun {
			t.Errorf("%s: exit %d, want %d", format, code, ExitRun)
		}
		msg := withoutDataWarning(errOut.String())
		if !strings.HasPrefix(msg, "clawgov: write report") || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "no space left on device") {
			t.Errorf("%s: stderr %q", format, msg)
		}
	}
}

// TestAuditDeepLive: --deep on the live host probes the gateway port the
// config names, on loopback only, and turns what answers into verdicts:
// an open fake gateway fails CG-EXP-010/011, a token-protected one passes.
func TestAuditDeepLive(t *testing.T) {
	isolateCache(t)
	cases := []struct {
		name       string
		gw         *probetest.FakeGateway
		exp10      string
		exp11      string
		controlDO2 string
	}{
		{"open", &probetest.FakeGateway{AuthOpen: true, OpenAI: true, Terminal: true}, "fail", "fail", "fail"},
		{"token", &probetest.FakeGateway{}, "pass", "pass", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port := startFake(t, c.gw)
			home := t.TempDir()
			if err := os.MkdirAll(filepath.Join(home, ".openclaw"), 0o700); err != nil {
				t.Fatal(err)
			}
			cfg := fmt.Sprintf(`{ gateway: { mode: "local", bind: "loopback", port: %d } }`, port)
			if err := os.WriteFile(filepath.Join(home, ".openclaw", "openclaw.json"), []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := auditRun(t, map[string]string{"HOME": home}, "audit", "--deep", "--format", "json", "--fail-on", "none")
			if code != ExitOK {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			var r struct {
				Controls []struct{ ID, Status string }
				Checks   []struct{ ID, Status string }
			}
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			st := map[string]string{}
			for _, x := range append(r.Controls, r.Checks...) {
				st[x.ID] = x.Status
			}
			if st["CG-EXP-010"] != c.exp10 || st["CG-EXP-011"] != c.exp11 {
				t.Errorf("CG-EXP-010 %q (want %q), CG-EXP-011 %q (want %q)", st["CG-EXP-010"], c.exp10, st["CG-EXP-011"], c.exp11)
			}
			if c.controlDO2 != "" && st["DO-2"] != c.controlDO2 {
				t.Errorf("DO-2 %q, want %q", st["DO-2"], c.controlDO2)
			}
			reqs := c.gw.Requests()
			if len(reqs) == 0 {
				t.Fatal("the fake gateway was never probed")
			}
			// Non-executing: reads, and POSTs that name no tool.
			for _, q := range reqs {
				f := strings.Fields(q)
				switch {
				case len(f) >= 2 && (f[0] == "GET" || f[0] == "HEAD" || f[0] == "OPTIONS"):
				case len(f) >= 3 && f[0] == "POST" && (f[2] == "{}" || strings.HasPrefix(f[2], "auth=")):
				default:
					t.Errorf("probe sent a request that could execute something: %.200q", q)
				}
			}
		})
	}
}

// TestAuditGoldenSectorProfiles renders the shipped example under every
// sector profile (Markdown, the pull-request view), so a change to a
// profile's requirements, thresholds or attestations shows up as a diff.
func TestAuditGoldenSectorProfiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("golden assumes a root-owned checkout of examples/risky-host")
	}
	isolateCache(t)
	root := riskyHost(t)
	env := map[string]string{"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	for _, prof := range []string{"miit-2026-strict", "miit-2026-finance", "miit-2026-healthcare", "miit-2026-cii", "miit-2026-government"} {
		t.Run(prof, func(t *testing.T) {
			code, out, errOut := auditRun(t, env, "audit", "--rootfs", root, "--profile", prof, "--format", "markdown", "--lang", "en")
			if code != ExitFindings {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			got := strings.ReplaceAll(out, root, "<root>")
			p := filepath.Join("testdata", "golden", "risky-host."+prof+".md")
			if updating() {
				if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/cli -run GoldenSectorProfiles -update)", err)
			}
			if string(want) != got {
				t.Errorf("report differs from %s (run with -update if intended):\n%s", p, firstDiff(string(want), got))
			}
		})
	}
}

// withoutDataWarning drops the stale-advisory-data warning (the scripted
// clock is months after the embedded data) so tests can require an
// otherwise empty stderr. TestStaleDataWarning covers the warning itself.
func withoutDataWarning(s string) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" && !strings.HasPrefix(l, "clawgov: warning: ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// TestStaleDataWarning: old advisory data is a warning on stderr and a
// report-level notice with meta.data, never a finding or a control
// verdict; fresh data gives neither.
func TestStaleDataWarning(t *testing.T) {
	isolateCache(t)
	root := riskyHost(t)
	db, err := advisory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	mod, err := time.Parse("2006-01-02", db.Modified[:10])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		now   time.Time
		stale bool
	}{
		{"fresh", mod.AddDate(0, 0, advisory.DefaultStaleDays), false},
		{"stale", mod.AddDate(0, 0, advisory.DefaultStaleDays+1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			io, _, out, errOut := iostreams.Test()
			f := &factory{IO: io, Getenv: func(string) string { return "" }, Now: func() time.Time { return tc.now }}
			if code := run([]string{"audit", "--rootfs", root, "--format", "json", "--lang", "en"}, f); code != ExitFindings {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			warned := strings.Contains(errOut.String(), "clawgov: warning: clawgov's advisory data is")
			if warned != tc.stale {
				t.Errorf("stderr warning = %v, want %v: %q", warned, tc.stale, errOut)
			}
			var r report.Report
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			if r.Meta.Data == nil || r.Meta.Data.Advisories == nil || r.Meta.Data.Advisories.Date != db.Modified[:10] || r.Meta.Data.Advisories.Stale != tc.stale {
				t.Fatalf("meta.data: %+v", r.Meta.Data)
			}
			if r.Meta.Data.Releases == nil || r.Meta.Data.Releases.Date == "" {
				t.Errorf("meta.data.releases: %+v", r.Meta.Data.Releases)
			}
			ids := map[string]bool{}
			for _, n := range r.Meta.Notices {
				ids[n.ID] = true
			}
			if ids[report.NoticeStaleData] != tc.stale || !ids[report.NoticeNoLiveHost] {
				t.Errorf("notices: %+v", r.Meta.Notices)
			}
			for _, f := range r.Findings {
				if f.CheckID == "CG-ADV-004" {
					t.Errorf("stale data raised a finding: %+v", f)
				}
			}
			for _, c := range r.Checks {
				if c.ID == "CG-ADV-004" {
					t.Errorf("retired check listed: %+v", c)
				}
			}
		})
	}
}
