package remediate

import (
	"bytes"
	"crypto/sha256"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/egress/wiring"
	"github.com/clawgov/clawgov/internal/json5"
)

const egressConfig = `// Hand-written: comments must survive.
{
  gateway: { mode: "local", bind: "loopback" }, // local only
  browser: {
    enabled: true, // the agent browses
    ssrfPolicy: { dangerouslyAllowPrivateNetwork: true }, // LAN router access
  },
}
`

func egressSettings(t *testing.T) []wiring.Setting {
	t.Helper()
	u, err := url.Parse("http://127.0.0.1:3130")
	if err != nil {
		t.Fatal(err)
	}
	return wiring.OpenClawSettings(u, []string{"docs.example.com", "*.cdn.example.com", "203.0.113.7"})
}

func egressOnly(t *testing.T) func(*Options) {
	return func(o *Options) {
		o.Egress = egressSettings(t)
		o.Only = []string{EgressActionID}
	}
}

// The action is planned although the audit passed CG-BRW-012 (the user
// asked for it), edits in place keeping comments, groups the missing
// proxy block, is empty the second time and rolls back byte for byte.
func TestEgressOpenClawApply(t *testing.T) {
	d := newDeployment(t, egressConfig)
	d.raised, d.passed = nil, []string{"CG-BRW-012"}
	orig := readFile(t, d.config)
	p := d.build(t, egressOnly(t))
	if got := strings.Join(ids(p), ","); got != EgressActionID {
		t.Fatalf("actions %q", got)
	}
	a := p.Actions[0]
	var keys []string
	for _, c := range a.Changes {
		keys = append(keys, c.KeyPath+"="+c.Old+"→"+c.New)
	}
	want := []string{
		`browser.ssrfPolicy.dangerouslyAllowPrivateNetwork=true→false`,
		`browser.ssrfPolicy.allowedHostnames=(unset)→["*.cdn.example.com", "docs.example.com"]`,
		`proxy.enabled=(unset)→true`,
		`proxy.proxyUrl=(unset)→"http://127.0.0.1:3130"`,
		`proxy.loopbackMode=(unset)→"gateway-only"`,
	}
	if strings.Join(keys, "\n") != strings.Join(want, "\n") {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	if !a.Restart {
		t.Error("proxy.* needs a gateway restart")
	}
	var text bytes.Buffer
	if err := p.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	goldenFile(t, "egress-plan.en.txt", strings.ReplaceAll(text.String(), d.home, "$HOME"))

	res, err := p.Apply()
	if err != nil {
		t.Fatal(err)
	}
	got := readFile(t, d.config)
	for _, c := range []string{"// Hand-written: comments must survive.", "// local only", "// the agent browses", "// LAN router access"} {
		if !bytes.Contains(got, []byte(c)) {
			t.Errorf("comment %q lost:\n%s", c, got)
		}
	}
	root, err := json5.Parse("x", got)
	if err != nil {
		t.Fatalf("result does not parse: %v\n%s", err, got)
	}
	if b, ok := root.Lookup("proxy.enabled").AsBool(); !ok || !b {
		t.Error("proxy.enabled not true")
	}
	if s, _ := root.Lookup("proxy.proxyUrl").AsString(); s != "http://127.0.0.1:3130" {
		t.Errorf("proxyUrl %q", s)
	}
	if b, ok := root.Lookup("browser.ssrfPolicy.dangerouslyAllowPrivateNetwork").AsBool(); !ok || b {
		t.Error("dangerouslyAllowPrivateNetwork not explicitly false")
	}
	if h := root.Lookup("browser.ssrfPolicy.allowedHostnames").Strings(); strings.Join(h, ",") != "*.cdn.example.com,docs.example.com" {
		t.Errorf("allowedHostnames %v (IP literals must stay out)", h)
	}
	if b, _ := root.Lookup("browser.enabled").AsBool(); !b {
		t.Error("unrelated key changed")
	}

	if p2 := d.build(t, egressOnly(t)); len(p2.Actions) != 0 {
		t.Fatalf("second plan not empty: %v", ids(p2))
	}
	id, err := Rollback(BackupRoot(d.opts(), d.state), "")
	if err != nil || id != res.BackupID {
		t.Fatalf("rollback %q %v", id, err)
	}
	if sha256.Sum256(readFile(t, d.config)) != sha256.Sum256(orig) {
		t.Fatal("rollback did not restore the original bytes")
	}
}

// Only the keys that differ are written: a config that has the proxy
// but the wrong list gets the list, nothing else.
func TestEgressOpenClawPartial(t *testing.T) {
	d := newDeployment(t, `{
  proxy: { enabled: true, proxyUrl: "http://127.0.0.1:3130", loopbackMode: "gateway-only" },
  browser: { ssrfPolicy: { dangerouslyAllowPrivateNetwork: false, allowedHostnames: ["docs.example.com", "*.com"] } },
}
`)
	p := d.build(t, egressOnly(t))
	if len(p.Actions) != 1 || len(p.Actions[0].Changes) != 1 || p.Actions[0].Changes[0].KeyPath != "browser.ssrfPolicy.allowedHostnames" {
		t.Fatalf("plan %+v", p.Actions)
	}
	if !strings.Contains(p.Diff, `-  browser: { ssrfPolicy: { dangerouslyAllowPrivateNetwork: false, allowedHostnames: ["docs.example.com", "*.com"] } },`) ||
		!strings.Contains(p.Diff, `allowedHostnames: ["*.cdn.example.com", "docs.example.com"]`) {
		t.Fatalf("diff:\n%s", p.Diff)
	}
}

// No config file yet: the state dir exists, so the apply creates the
// config with just these keys; rollback removes it again.
func TestEgressOpenClawNoConfig(t *testing.T) {
	d := newDeployment(t, "")
	p := d.build(t, egressOnly(t))
	if len(p.Actions) != 1 {
		t.Fatalf("actions %v skipped %+v", ids(p), p.Skipped)
	}
	res, err := p.Apply()
	if err != nil {
		t.Fatal(err)
	}
	root, err := json5.Parse("x", readFile(t, d.config))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := root.Lookup("proxy.proxyUrl").AsString(); s != "http://127.0.0.1:3130" {
		t.Fatalf("proxyUrl %q in\n%s", s, readFile(t, d.config))
	}
	if _, err := Rollback(BackupRoot(d.opts(), d.state), res.BackupID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.config); !os.IsNotExist(err) {
		t.Fatalf("config created by the apply survived rollback: %v", err)
	}
}

// A key in the way that is not an object is not overwritten: the action
// is skipped with the reason and nothing is written.
func TestEgressOpenClawNotAnObject(t *testing.T) {
	d := newDeployment(t, "{ proxy: \"http://127.0.0.1:3130\" }\n")
	orig := readFile(t, d.config)
	p := d.build(t, egressOnly(t))
	if len(p.Actions) != 0 || len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0].Skipped, "proxy is not an object") {
		t.Fatalf("actions %v skipped %+v", ids(p), p.Skipped)
	}
	if !bytes.Equal(readFile(t, d.config), orig) {
		t.Fatal("config changed")
	}
}

// Without Options.Egress no egress action exists, whatever the audit
// raised: clawgov fix never rewires the proxy on its own.
func TestEgressOpenClawNotByDefault(t *testing.T) {
	d := newDeployment(t, egressConfig)
	d.raised = append(d.raised, "CG-BRW-012")
	p := d.build(t, nil)
	for _, a := range append(p.Actions, p.Skipped...) {
		if a.ID == EgressActionID {
			t.Fatal("egress action planned without being asked for")
		}
	}
}

// The real OpenClaw validates the staged result; a value it rejects
// makes the plan refuse and nothing is written.
func TestEgressOpenClawValidatedByOpenClaw(t *testing.T) {
	bin := os.Getenv("CLAWGOV_OPENCLAW")
	if bin == "" {
		t.Skip("CLAWGOV_OPENCLAW is not set: run scripts/test.sh (it installs the pinned OpenClaw) to validate with the real program")
	}
	d := newDeployment(t, egressConfig)
	d.env["PATH"] = os.Getenv("PATH") // the wrapper is a bash script
	p := d.build(t, func(o *Options) { egressOnly(t)(o); o.OpenClaw = bin; o.Lang = catalog.EN })
	if p.Validation != "ok" || p.Refusal != "" {
		t.Fatalf("validation %q refusal %q", p.Validation, p.Refusal)
	}
	if _, err := p.Apply(); err != nil {
		t.Fatal(err)
	}

	d2 := newDeployment(t, egressConfig)
	d2.env["PATH"] = os.Getenv("PATH")
	orig := readFile(t, d2.config)
	bad := egressSettings(t)
	for i := range bad {
		if bad[i].Key == "proxy.loopbackMode" {
			bad[i].Value = "direct" // OpenClaw accepts gateway-only, proxy, block
		}
	}
	p2 := d2.build(t, func(o *Options) { o.Egress, o.Only, o.OpenClaw = bad, []string{EgressActionID}, bin })
	if !strings.HasPrefix(p2.Validation, "rejected") || !strings.Contains(p2.Validation, "loopbackMode") || p2.Refusal == "" {
		t.Fatalf("validation %q refusal %q", p2.Validation, p2.Refusal)
	}
	if _, err := p2.Apply(); err == nil {
		t.Fatal("a plan OpenClaw rejects was applied")
	}
	if !bytes.Equal(readFile(t, d2.config), orig) {
		t.Fatal("config changed by a refused plan")
	}
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs (run with -update to accept):\n%s", p, got)
	}
}
