package remediate_test

// End-to-end tests of `clawgov fix` as a user runs it: the clawgov binary
// is built once; deployments are built with the real OpenClaw (when
// CLAWGOV_OPENCLAW points at it) and checked with the real `openclaw
// config validate`; the crash harness SIGKILLs the fix process at random
// points. Deployments live under the user cache dir, not /tmp, because a
// state dir under /tmp is itself a finding (CG-LOG-002).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// clawgovBin builds cmd/clawgov once per test run.
func clawgovBin(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "clawgov-bin-*")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "clawgov")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/clawgov/clawgov/cmd/clawgov")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func openclawBin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("CLAWGOV_OPENCLAW")
	if bin == "" {
		t.Skip("CLAWGOV_OPENCLAW is not set: run scripts/test.sh (it installs the pinned OpenClaw) to run fix against the real program")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("CLAWGOV_OPENCLAW=%s: %v", bin, err)
	}
	return bin
}

// newHome makes a throw-away home outside /tmp.
func newHome(t testing.TB) string {
	t.Helper()
	base, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	base = filepath.Join(base, "clawgov-fixtest")
	if err := os.MkdirAll(base, 0o700); err != nil {
		t.Fatal(err)
	}
	home, err := os.MkdirTemp(base, "home-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	if err := os.MkdirAll(filepath.Join(home, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	return home
}

func ocEnv(home string) []string {
	return []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1", "NO_COLOR=1", "TMPDIR=" + filepath.Join(home, "tmp")}
}

func runOC(t testing.TB, bin, home string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Dir = ocEnv(home), home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("openclaw %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), err
}

func validate(t testing.TB, bin, home string) {
	t.Helper()
	out, _ := runOC(t, bin, home, "config", "validate", "--json")
	var v struct {
		Valid bool `json:"valid"`
	}
	if i := bytes.IndexByte(out, '{'); i >= 0 {
		out = out[i:]
	}
	if err := json.Unmarshal(out, &v); err != nil || !v.Valid {
		t.Fatalf("openclaw config validate rejects the config: %s", out)
	}
}

type setOp struct {
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// isolated reports whether commands can run in their own PID namespace,
// so gateways other people run on this machine do not enter the audit.
func isolated() bool {
	if os.Geteuid() != 0 {
		return false
	}
	_, err := exec.LookPath("unshare")
	return err == nil
}

type run struct {
	stdout, stderr string
	code           int
}

// clawgov runs the binary as a user whose HOME is home.
func clawgov(t testing.TB, home string, extraEnv []string, args ...string) run {
	t.Helper()
	bin := clawgovBin(t)
	argv := append([]string{bin}, args...)
	if isolated() {
		argv = append([]string{"unshare", "-p", "-f", "--kill-child", "--mount-proc"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append([]string{"HOME=" + home, "PATH=/usr/bin:/bin", "LANG=en_US.UTF-8"}, extraEnv...)
	cmd.Dir = home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return run{stdout.String(), stderr.String(), code}
}

func target(home string) []string {
	st := filepath.Join(home, ".openclaw")
	return []string{"--state-dir", st, "--config", filepath.Join(st, "openclaw.json")}
}

type planJSON struct {
	Actions []struct {
		ID      string   `json:"id"`
		Checks  []string `json:"checks"`
		Restart bool     `json:"restart"`
	} `json:"actions"`
	Refusal    string `json:"refusal"`
	Validation string `json:"validation"`
	Diff       string `json:"diff"`
}

func planOf(t testing.TB, home string, env []string) planJSON {
	t.Helper()
	r := clawgov(t, home, env, append([]string{"fix", "--dry-run", "--format", "json"}, target(home)...)...)
	if r.code != 0 {
		t.Fatalf("fix --dry-run: exit %d\n%s", r.code, r.stderr)
	}
	var p planJSON
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("plan json: %v\n%s", err, r.stdout)
	}
	return p
}

// raised returns the checks the audit raises (warn or fail findings).
func raised(t testing.TB, home string) map[string]bool {
	t.Helper()
	r := clawgov(t, home, nil, append([]string{"audit", "--format", "json", "--fail-on", "none"}, target(home)...)...)
	if r.code != 0 {
		t.Fatalf("audit: exit %d\n%s", r.code, r.stderr)
	}
	var rep struct {
		Findings []struct {
			CheckID string `json:"check_id"`
			Status  string `json:"status"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("audit json: %v", err)
	}
	out := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Status == "fail" || f.Status == "warn" {
			out[f.CheckID] = true
		}
	}
	return out
}

func sha(t testing.TB, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

const commentedJSON5 = `// Hand-written OpenClaw config (JSON5). Comments must survive clawgov fix.
{
  /* gateway: exposed, weak token, any origin */
  gateway: {
    mode: "local", // this host runs the gateway
    bind: "lan", // LAN for the demo
    port: 18789,
    auth: {
      mode: "token",
      token: "weaktoken12345", // too short
    },
    controlUi: {
      allowedOrigins: ["*", "https://ui.example.test"], // wildcard!
    },
  },
  discovery: { mdns: { mode: "off" } },
  update: { checkOnStart: false },
  // tools run without approval
  tools: {
    exec: { mode: "full" },
  },
  logging: { level: "silent" },
}
`

// fixture is a deployment to fix: built with the real `openclaw config
// set`, or hand-written JSON5.
type fixture struct {
	name  string
	ops   []setOp
	json5 string
	// files are extra files in the state dir (includes).
	files map[string]string
	setup func(t testing.TB, state string)
	// fixed are checks the fix must clear (each must be raised before).
	fixed []string
	// after checks the files after the fix.
	after func(t testing.TB, state string)
}

var quiet = []setOp{{"gateway.mode", "local"}, {"discovery.mdns.mode", "off"}, {"update.checkOnStart", false}}

func fixtures() []fixture {
	return []fixture{
		{
			name: "lan-weak-token",
			ops: append(append([]setOp{}, quiet...),
				setOp{"gateway.bind", "lan"},
				setOp{"gateway.auth", map[string]any{"mode": "token", "token": "weaktoken12345"}},
				setOp{"gateway.controlUi.allowedOrigins", []string{"*"}}),
			fixed: []string{"CG-GW-001", "CG-GW-005", "CG-SEC-001", "CG-GW-012", "CG-GW-015", "CG-GW-016", "CG-TL-001"},
		},
		{
			name: "lan-no-auth",
			ops: append(append([]setOp{}, quiet...),
				setOp{"gateway.bind", "lan"},
				setOp{"gateway.auth.mode", "none"}),
			fixed: []string{"CG-GW-001", "CG-GW-002"},
		},
		{
			name: "exec-full-silent-perms-open",
			ops: append(append([]setOp{}, quiet...),
				setOp{"tools.exec.mode", "full"},
				setOp{"logging.level", "silent"},
				setOp{"gateway.auth", map[string]any{"mode": "token", "token": "Pp3kLw5Rt7Yp2Xs4Hd6Jf9Bm1Cg0QaZ"}}),
			setup: func(t testing.TB, state string) {
				chmodT(t, filepath.Join(state, "openclaw.json"), 0o666)
				chmodT(t, state, 0o777)
				cred := filepath.Join(state, "credentials")
				if err := os.MkdirAll(cred, 0o777); err != nil {
					t.Fatal(err)
				}
				chmodT(t, cred, 0o777)
			},
			fixed: []string{"CG-TL-001", "CG-LOG-001", "CG-FS-001", "CG-FS-002", "CG-SEC-001"},
		},
		{
			name: "risky",
			ops: []setOp{
				{"gateway", map[string]any{
					"mode": "local", "bind": "lan", "port": 18789,
					"auth":                map[string]any{"mode": "token", "token": "shorttoken123"},
					"controlUi":           map[string]any{"allowedOrigins": []string{"*"}, "dangerouslyAllowHostHeaderOriginFallback": true},
					"allowRealIpFallback": true,
					"http":                map[string]any{"endpoints": map[string]any{"chatCompletions": map[string]any{"enabled": true}}},
				}},
				{"discovery.mdns.mode", "off"},
				{"tools", map[string]any{"profile": "full", "exec": map[string]any{"mode": "full"}}},
				{"browser.ssrfPolicy.dangerouslyAllowPrivateNetwork", true},
				{"update.checkOnStart", false},
			},
			setup: func(t testing.TB, state string) {
				chmodT(t, filepath.Join(state, "openclaw.json"), 0o644)
				chmodT(t, state, 0o755)
			},
			fixed: []string{"CG-GW-001", "CG-GW-005", "CG-GW-008", "CG-GW-012", "CG-GW-013", "CG-GW-015", "CG-GW-017", "CG-TL-001", "CG-BRW-003", "CG-FS-001", "CG-FS-002"},
		},
		{
			name:  "include",
			json5: "// main config\n{\n  gateway: { $include: \"./gateway.json5\" },\n  discovery: { mdns: { mode: \"off\" } },\n  update: { checkOnStart: false },\n}\n",
			files: map[string]string{"gateway.json5": "// gateway settings, included\n{\n  mode: \"local\",\n  bind: \"lan\", // exposed\n  auth: { mode: \"token\", token: \"weaktoken12345\" },\n}\n"},
			fixed: []string{"CG-GW-001", "CG-GW-005", "CG-GW-015"},
			after: func(t testing.TB, state string) {
				inc := mustRead(filepath.Join(state, "gateway.json5"))
				for _, s := range []string{"// gateway settings, included", `bind: "loopback", // exposed`, `token: { source: "env", provider: "default", id: "OPENCLAW_GATEWAY_TOKEN" }`, "terminal: {"} {
					if !strings.Contains(inc, s) {
						t.Errorf("include lacks %q:\n%s", s, inc)
					}
				}
				if main := mustRead(filepath.Join(state, "openclaw.json")); !strings.Contains(main, `gateway: { $include: "./gateway.json5" },`) || strings.Contains(main, "loopback") {
					t.Errorf("main config:\n%s", main)
				}
			},
		},
		{
			name:  "commented-json5",
			json5: commentedJSON5,
			fixed: []string{"CG-GW-001", "CG-GW-005", "CG-GW-012", "CG-TL-001", "CG-LOG-001"},
		},
	}
}

func chmodT(t testing.TB, p string, m os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, m); err != nil {
		t.Fatal(err)
	}
}

func buildFixture(t testing.TB, oc string, f fixture) string {
	t.Helper()
	home := newHome(t)
	state := filepath.Join(home, ".openclaw")
	if f.json5 != "" {
		if err := os.MkdirAll(state, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(state, "openclaw.json"), []byte(f.json5), 0o600); err != nil {
			t.Fatal(err)
		}
		for n, c := range f.files {
			if err := os.WriteFile(filepath.Join(state, n), []byte(c), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		b, _ := json.Marshal(f.ops)
		if _, err := runOC(t, oc, home, "config", "set", "--batch-json", string(b)); err != nil {
			t.Fatal(err)
		}
	}
	validate(t, oc, home)
	if f.setup != nil {
		f.setup(t, state)
	}
	return home
}

func TestFixAgainstRealOpenClaw(t *testing.T) {
	oc := openclawBin(t)
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			home := buildFixture(t, oc, f)
			cfg := filepath.Join(home, ".openclaw", "openclaw.json")
			before := sha(t, cfg)
			origBytes, _ := os.ReadFile(cfg)
			env := []string{"CLAWGOV_OPENCLAW=" + oc}

			pre := raised(t, home)
			for _, id := range f.fixed {
				if !pre[id] {
					t.Fatalf("the audit does not raise %s before the fix: the fixture does not test it", id)
				}
			}
			p := planOf(t, home, env)
			if p.Validation != "ok" || p.Refusal != "" {
				t.Fatalf("plan validation %q refusal %q", p.Validation, p.Refusal)
			}
			if strings.Contains(p.Diff, "weaktoken12345") {
				t.Fatal("diff shows the old token")
			}
			// Isolated runs see no gateway; elsewhere someone else's
			// gateway must not turn the test into a refusal.
			r := clawgov(t, home, env, append([]string{"fix", "--yes", "--yes-restart-needed"}, target(home)...)...)
			if r.code != 0 {
				t.Fatalf("fix --yes: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			for _, s := range []string{"weaktoken12345", "Pp3kLw5Rt7Yp2Xs4Hd6Jf9Bm1Cg0QaZ"} {
				if strings.Contains(r.stdout+r.stderr, s) {
					t.Fatalf("output shows a secret")
				}
			}
			if envb, err := os.ReadFile(filepath.Join(home, ".openclaw", ".env")); err == nil {
				tok := strings.TrimPrefix(strings.TrimSpace(string(envb)), "OPENCLAW_GATEWAY_TOKEN=")
				if len(tok) < 43 || strings.Contains(r.stdout+r.stderr, tok) {
					t.Fatalf("token store or output wrong (len %d)", len(tok))
				}
			}
			// The real OpenClaw accepts the result.
			validate(t, oc, home)
			after := raised(t, home)
			for _, id := range f.fixed {
				if after[id] {
					t.Errorf("the audit still raises %s after fix --yes", id)
				}
			}
			got, _ := os.ReadFile(cfg)
			if f.json5 == commentedJSON5 {
				for _, c := range []string{"// Hand-written OpenClaw config", "/* gateway: exposed, weak token, any origin */", "// this host runs the gateway", "// LAN for the demo", "// too short", "// wildcard!", "// tools run without approval"} {
					if !bytes.Contains(got, []byte(c)) {
						t.Errorf("comment %q lost:\n%s", c, got)
					}
				}
				if !bytes.Contains(got, []byte("\n    mode: \"local\", // this host runs the gateway\n")) {
					t.Errorf("formatting outside the changed values changed:\n%s", got)
				}
			}
			if f.after != nil {
				f.after(t, filepath.Join(home, ".openclaw"))
			}
			// Running fix again changes nothing.
			if p2 := planOf(t, home, env); len(p2.Actions) != 0 {
				t.Fatalf("second plan not empty: %+v", p2.Actions)
			}
			rb := clawgov(t, home, nil, append([]string{"fix", "--rollback"}, target(home)...)...)
			if rb.code != 0 {
				t.Fatalf("rollback: exit %d %s", rb.code, rb.stderr)
			}
			if sha(t, cfg) != before {
				t.Fatalf("rollback did not restore the original bytes:\n%s\nwant:\n%s", mustRead(cfg), origBytes)
			}
		})
	}
}

func mustRead(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// TestFixRejectedByOpenClaw: a plan whose result OpenClaw rejects is never
// written. A config that OpenClaw rejects already (an unknown key) makes
// every edited version fail validation too.
func TestFixRejectedByOpenClaw(t *testing.T) {
	oc := openclawBin(t)
	home := newHome(t)
	state := filepath.Join(home, ".openclaw")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(state, "openclaw.json")
	bad := "{\n  gateway: { mode: \"local\", bind: \"lan\", notAKey: true },\n}\n"
	if err := os.WriteFile(cfg, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	r := clawgov(t, home, []string{"CLAWGOV_OPENCLAW=" + oc}, append([]string{"fix", "--yes", "--only", "CG-GW-001"}, target(home)...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "openclaw config validate rejected") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if mustRead(cfg) != bad {
		t.Fatal("a config OpenClaw rejects was written")
	}
}

func TestFixUnparseableConfig(t *testing.T) {
	home := newHome(t)
	state := filepath.Join(home, ".openclaw")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(state, "openclaw.json")
	bad := "{ gateway: { bind: \"lan\" "
	if err := os.WriteFile(cfg, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	r := clawgov(t, home, nil, append([]string{"fix", "--yes"}, target(home)...)...)
	if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "openclaw.json") {
		t.Fatalf("want a one-line exit-2 error naming the file, got %d %q", r.code, r.stderr)
	}
	if mustRead(cfg) != bad {
		t.Fatal("unparseable config was rewritten")
	}
}

// TestFixReadOnlyMount: the config directory is a read-only bind mount
// (root ignores file modes, so a read-only mount in a private mount
// namespace stands in for chattr +i): a clear error, nothing changed.
func TestFixReadOnlyMount(t *testing.T) {
	if !isolated() {
		t.Skip("needs root and unshare for a private read-only mount")
	}
	home := newHome(t)
	state := filepath.Join(home, ".openclaw")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(state, "openclaw.json")
	if err := os.WriteFile(cfg, []byte(commentedJSON5), 0o644); err != nil {
		t.Fatal(err)
	}
	chmodT(t, cfg, 0o644)
	chmodT(t, state, 0o755)
	backups := filepath.Join(home, "backups")
	script := fmt.Sprintf("mount --bind -o ro %q %q && exec %q fix --yes --yes-restart-needed --backup-dir %q --state-dir %q --config %q", state, state, clawgovBin(t), backups, state, cfg)
	cmd := exec.Command("unshare", "-m", "-p", "-f", "--kill-child", "--mount-proc", "sh", "-c", script)
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "LANG=en_US.UTF-8"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() == 0 {
		t.Fatalf("want failure, got %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stderr.String(), "read-only file system") || !strings.Contains(stderr.String(), "nothing was changed") {
		t.Fatalf("unclear error: %s", stderr.String())
	}
	if mustRead(cfg) != commentedJSON5 {
		t.Fatal("config changed")
	}
	fi, _ := os.Stat(cfg)
	if fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode changed to %o", fi.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(state, ".env")); err == nil {
		t.Fatal(".env written")
	}
}

// TestCrashSafety kills `clawgov fix --yes` with SIGKILL at random points,
// 100 times, and asserts the config is always byte for byte the old or
// the new version and that `fix --rollback` always brings back the old.
// CLAWGOV_FIX_TEST_PAUSE makes the apply loop pause before every step (and
// log a line), so kills land inside the apply window as well as before it.
func TestCrashSafety(t *testing.T) {
	trials := 100
	if testing.Short() {
		trials = 20
	}
	bin := clawgovBin(t)
	const pauseMS = 12
	// In a private PID namespace the audit sees no other gateway, so the
	// whole plan (new token included) is deterministic. Without one, skip
	// the auth action: its plan depends on the environment of gateways
	// other people run on this machine.
	iso := isolated()
	fixArgs := func(home string) []string {
		if iso {
			return append([]string{"fix", "--yes"}, target(home)...)
		}
		return append([]string{"fix", "--yes", "--yes-restart-needed", "--skip", "gateway.auth"}, target(home)...)
	}
	setup := func(t *testing.T) (home, cfg string) {
		home = newHome(t)
		state := filepath.Join(home, ".openclaw")
		if err := os.MkdirAll(filepath.Join(state, "credentials"), 0o755); err != nil {
			t.Fatal(err)
		}
		cfg = filepath.Join(state, "openclaw.json")
		if err := os.WriteFile(cfg, []byte(commentedJSON5), 0o644); err != nil {
			t.Fatal(err)
		}
		chmodT(t, cfg, 0o644)
		chmodT(t, state, 0o755)
		chmodT(t, filepath.Join(state, "credentials"), 0o755)
		return home, cfg
	}
	// Reference: the new version.
	refHome, refCfg := setup(t)
	r := clawgov(t, refHome, nil, fixArgs(refHome)...)
	if r.code != 0 {
		t.Fatalf("reference fix: %d %s", r.code, r.stderr)
	}
	newBytes, _ := os.ReadFile(refCfg)
	if iso && !strings.Contains(string(newBytes), "OPENCLAW_GATEWAY_TOKEN") {
		t.Fatal("reference fix did not switch to a token SecretRef")
	}
	if string(newBytes) == commentedJSON5 {
		t.Fatal("reference fix changed nothing")
	}

	start := time.Now()
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	var mu sync.Mutex
	stats := map[string]int{}
	sem := make(chan struct{}, 3)
	var wg sync.WaitGroup
	for i := 0; i < trials; i++ {
		mu.Lock()
		early := rng.Intn(5) == 0
		// In a third of the trials the first rollback is killed too.
		killRollback := rng.Intn(3) == 0
		rbDelay := time.Duration(rng.Intn(6*pauseMS)) * time.Millisecond
		delay := time.Duration(rng.Intn(10*pauseMS)) * time.Millisecond
		mu.Unlock()
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			t.Run(fmt.Sprintf("trial%03d", i), func(t *testing.T) {
				home, cfg := setup(t)
				argv := append([]string{bin}, fixArgs(home)...)
				if iso {
					argv = append([]string{"unshare", "-p", "-f", "--mount-proc"}, argv...)
				}
				cmd := exec.Command(argv[0], argv[1:]...)
				cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "LANG=en_US.UTF-8", fmt.Sprintf("CLAWGOV_FIX_TEST_PAUSE=%d", pauseMS)}
				cmd.Stdout = io.Discard
				errPipe, err := cmd.StderrPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				inApply := make(chan struct{})
				go func() {
					sc := bufio.NewScanner(errPipe)
					once := false
					for sc.Scan() {
						if !once && strings.Contains(sc.Text(), "fix test pause") {
							once = true
							close(inApply)
						}
					}
					if !once {
						close(inApply)
					}
				}()
				if early {
					time.Sleep(time.Duration(rand.Intn(300)) * time.Millisecond)
				} else {
					<-inApply
					time.Sleep(delay)
				}
				victim := cmd.Process.Pid
				if iso {
					// Kill clawgov itself (unshare's child), then wait
					// for unshare, which returns once it is gone.
					victim = childOf(cmd.Process.Pid)
				}
				_ = syscall.Kill(victim, syscall.SIGKILL)
				_ = cmd.Wait()
				envFile := filepath.Join(filepath.Dir(cfg), ".env")
				if b, err := os.ReadFile(envFile); err == nil && !tokenLine.Match(b) {
					t.Fatalf("token file is partial: %q", b)
				}

				got, err := os.ReadFile(cfg)
				if err != nil {
					t.Fatal(err)
				}
				state := "old"
				// The new version names this home (the private log path).
				newHere := strings.ReplaceAll(string(newBytes), refHome, home)
				switch string(got) {
				case commentedJSON5:
				case newHere:
					state = "new"
				default:
					t.Fatalf("config is neither the old nor the new version:\n%s", got)
				}
				mu.Lock()
				stats[state]++
				mu.Unlock()
				if killRollback {
					rcmd := exec.Command(bin, append([]string{"fix", "--rollback"}, target(home)...)...)
					rcmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "LANG=en_US.UTF-8", fmt.Sprintf("CLAWGOV_FIX_TEST_PAUSE=%d", pauseMS)}
					if err := rcmd.Start(); err != nil {
						t.Fatal(err)
					}
					time.Sleep(rbDelay)
					_ = rcmd.Process.Signal(syscall.SIGKILL)
					_ = rcmd.Wait()
					if got := mustRead(cfg); got != commentedJSON5 && got != newHere {
						t.Fatalf("config torn by a killed rollback:\n%s", got)
					}
					mu.Lock()
					stats["rollback-killed"]++
					mu.Unlock()
				}
				rb := clawgov(t, home, nil, append([]string{"fix", "--rollback"}, target(home)...)...)
				if rb.code != 0 {
					t.Fatalf("rollback after kill: exit %d %s", rb.code, rb.stderr)
				}
				if mustRead(cfg) != commentedJSON5 {
					t.Fatal("rollback did not restore the old config")
				}
				if _, err := os.Stat(envFile); err == nil {
					t.Fatal("token file created by the killed fix survived rollback")
				}
				for _, p := range []string{cfg, filepath.Dir(cfg), filepath.Join(filepath.Dir(cfg), "credentials")} {
					fi, err := os.Stat(p)
					if err != nil || fi.Mode().Perm()&0o077 == 0 {
						t.Fatalf("%s mode not restored (%v)", p, err)
					}
				}
				leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg), ".openclaw.json.clawgov-*"))
				if len(leftovers) > 0 {
					t.Fatalf("temp files left: %v", leftovers)
				}
			})
		}(i)
	}
	wg.Wait()
	t.Logf("%d trials in %s: config found old %d times, new %d times after SIGKILL; %d rollbacks killed and rerun", trials, time.Since(start).Round(time.Millisecond), stats["old"], stats["new"], stats["rollback-killed"])
}

var tokenLine = regexp.MustCompile(`^OPENCLAW_GATEWAY_TOKEN=[A-Za-z0-9_-]{43}\n$`)

// childOf returns the first child of pid (unshare's forked child), or pid
// itself when it has none yet after a short wait.
func childOf(pid int) int {
	for i := 0; i < 500; i++ {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		if err == nil {
			if f := strings.Fields(string(b)); len(f) > 0 {
				var c int
				if _, err := fmt.Sscan(f[0], &c); err == nil {
					return c
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
	return pid
}

// TestFixQuarantinesMaliciousSkill: a skill from the labelled malicious
// corpus, judged by the real skill engine in the audit, is moved into
// quarantine with a manifest, and --restore puts it back unchanged.
func TestFixQuarantinesMaliciousSkill(t *testing.T) {
	src := "/work/shared/data/skills-corpus/malicious/clawhub/cyberengage/secure-sync"
	if _, err := os.Stat(src); err != nil {
		t.Skipf("labelled skill corpus not present (%v)", err)
	}
	home := newHome(t)
	state := filepath.Join(home, ".openclaw")
	skill := filepath.Join(state, "skills", "secure-sync")
	if err := os.MkdirAll(filepath.Dir(skill), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", src, skill).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(state, "openclaw.json"), []byte("{\n  gateway: { mode: \"local\", bind: \"loopback\" },\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	chmodT(t, state, 0o700)
	before := treeSum(t, skill)
	r := clawgov(t, home, nil, append([]string{"fix", "--yes", "--only", "CG-SKL-001"}, target(home)...)...)
	if r.code != 0 {
		t.Fatalf("fix: %d %s", r.code, r.stderr)
	}
	m := regexp.MustCompile(`Quarantined (\S+-secure-sync) `).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no quarantine in output:\n%s", r.stdout)
	}
	if _, err := os.Stat(skill); !os.IsNotExist(err) {
		t.Fatal("skill still installed")
	}
	var man struct {
		Origin     string            `json:"origin"`
		Reason     string            `json:"reason"`
		Files      map[string]string `json:"files"`
		TreeSHA256 string            `json:"tree_sha256"`
	}
	b, err := os.ReadFile(filepath.Join(state, "quarantine", m[1], "manifest.json"))
	if err != nil || json.Unmarshal(b, &man) != nil || man.Origin != skill || !strings.Contains(man.Reason, "malicious") || len(man.Files) == 0 {
		t.Fatalf("manifest %s %v", b, err)
	}
	again := clawgov(t, home, nil, append([]string{"fix", "--dry-run", "--format", "json", "--only", "CG-SKL-001"}, target(home)...)...)
	var p planJSON
	if err := json.Unmarshal([]byte(again.stdout), &p); err != nil || len(p.Actions) != 0 {
		t.Fatalf("second plan: %v %s", err, again.stdout)
	}
	rs := clawgov(t, home, nil, append([]string{"fix", "--restore", m[1]}, target(home)...)...)
	if rs.code != 0 {
		t.Fatalf("restore: %d %s", rs.code, rs.stderr)
	}
	if treeSum(t, skill) != before {
		t.Fatal("restored skill differs")
	}
}

func treeSum(t testing.TB, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s %o\n", rel, fi.Mode())
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestFixRefusesLockingOutRunningGateway starts a real gateway in a
// private PID namespace and runs fix there: changing its authentication
// is refused until --yes-restart-needed acknowledges the restart and the
// client update.
func TestFixRefusesLockingOutRunningGateway(t *testing.T) {
	oc := openclawBin(t)
	if !isolated() {
		t.Skip("needs root and unshare to run a gateway no one else sees")
	}
	home := newHome(t)
	state := filepath.Join(home, ".openclaw")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	port := 20000 + rand.Intn(30000)
	cfg := filepath.Join(state, "openclaw.json")
	orig := fmt.Sprintf("{\n  gateway: { mode: \"local\", bind: \"loopback\", port: %d, auth: { mode: \"token\", token: \"weaktoken12345weaktoken\" } },\n  discovery: { mdns: { mode: \"off\" } },\n  update: { checkOnStart: false },\n}\n", port)
	if err := os.WriteFile(cfg, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := clawgovBin(t)
	fix := fmt.Sprintf("PATH=/usr/bin:/bin LANG=en_US.UTF-8 %q fix --yes --only CG-GW-005 --state-dir %q --config %q", bin, state, cfg)
	script := fmt.Sprintf(`%q gateway run --port %d > %q 2>&1 &
hex=$(printf ':%%04X ' %d)
for i in $(seq 1 120); do grep -q "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null && break; sleep 0.5; done
grep -q "$hex" /proc/net/tcp /proc/net/tcp6 || { echo "gateway did not listen" >&2; exit 9; }
%s > %q 2>&1; echo $? > %q
%s --yes-restart-needed > %q 2>&1; echo $? > %q
`, oc, port, filepath.Join(home, "gw.log"), port,
		fix, filepath.Join(home, "refused.out"), filepath.Join(home, "refused.rc"),
		fix, filepath.Join(home, "ok.out"), filepath.Join(home, "ok.rc"))
	cmd := exec.Command("unshare", "-p", "-f", "--kill-child", "--mount-proc", "sh", "-c", script)
	cmd.Env = ocEnv(home)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s\ngateway log:\n%s", err, out, tailOf(mustRead(filepath.Join(home, "gw.log")), 2000))
	}
	if rc := strings.TrimSpace(mustRead(filepath.Join(home, "refused.rc"))); rc != "2" {
		t.Fatalf("with a running gateway: exit %s\n%s", rc, mustRead(filepath.Join(home, "refused.out")))
	}
	if out := mustRead(filepath.Join(home, "refused.out")); !strings.Contains(out, "gateway is running") || !strings.Contains(out, "--yes-restart-needed") {
		t.Fatalf("refusal does not say what to do:\n%s", out)
	}
	if rc := strings.TrimSpace(mustRead(filepath.Join(home, "ok.rc"))); rc != "0" {
		t.Fatalf("with --yes-restart-needed: exit %s\n%s", rc, mustRead(filepath.Join(home, "ok.out")))
	}
	if got := mustRead(cfg); got == orig || !strings.Contains(got, "OPENCLAW_GATEWAY_TOKEN") {
		t.Fatalf("not applied:\n%s", got)
	}
	if out := mustRead(filepath.Join(home, "ok.out")); !strings.Contains(out, "Restart the gateway") {
		t.Fatalf("no restart hint:\n%s", out)
	}
}

func tailOf(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
