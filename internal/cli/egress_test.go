package cli

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/egress/policy"
	"github.com/clawgov/clawgov/internal/egress/proxy"
	"github.com/clawgov/clawgov/internal/egress/wiring"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/iostreams"
)

// The --deep prober against a real proxy: it reads the live policy hash
// from the admin endpoint and its canary CONNECT is refused with 403.
func TestEgressProber(t *testing.T) {
	p, err := policy.Parse("p.yaml", []byte("version: 1\nentries:\n  docs: {hosts: [docs.example.com]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := proxy.New(proxy.Config{Policy: p, ListenAddr: ln.Addr().String()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx, ln) }()
	adm := httptest.NewServer(srv.AdminHandler())
	defer adm.Close()
	old := egressAdminAddr
	egressAdminAddr = strings.TrimPrefix(adm.URL, "http://")
	defer func() { egressAdminAddr = old }()

	lv := egressProber(context.Background())
	if lv.Err != "" || lv.Hash != p.Hash || lv.CanaryStatus != 403 || lv.Listen != ln.Addr().String() {
		t.Fatalf("live %+v", lv)
	}
	adm.Close()
	if lv := egressProber(context.Background()); lv.Err == "" {
		t.Fatalf("unreachable admin not reported: %+v", lv)
	}
}

// The --deep ruleset reader: nft missing, nft refusing (not root), nft
// answering, and, as root, the real nft inside a scratch namespace with
// and without the rules `clawgov egress firewall` prints.
func TestNftProber(t *testing.T) {
	old := nftRulesetArgv
	defer func() { nftRulesetArgv = old }()
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}

	nftRulesetArgv = []string{filepath.Join(dir, "absent-nft"), "-j", "list", "ruleset"}
	if lv := nftProber(context.Background()); !lv.NoNft || lv.Err == "" || lv.JSON != nil {
		t.Errorf("missing nft: %+v", lv)
	}
	nftRulesetArgv = []string{script("nft-eperm", `echo "Error: Operation not permitted" >&2; echo "second line" >&2; exit 1`), "-j", "list", "ruleset"}
	if lv := nftProber(context.Background()); lv.NoNft || !strings.Contains(lv.Err, "Operation not permitted") || strings.Contains(lv.Err, "second line") || lv.JSON != nil {
		t.Errorf("refusing nft: %+v", lv)
	}
	nftRulesetArgv = []string{script("nft-ok", `echo '{"nftables":[{"metainfo":{"json_schema_version":1}}]}'`), "-j", "list", "ruleset"}
	if lv := nftProber(context.Background()); lv.Err != "" || !strings.Contains(string(lv.JSON), `"nftables"`) {
		t.Errorf("answering nft: %+v", lv)
	}

	if os.Geteuid() != 0 {
		t.Skip("the real-nft part needs root (network namespace)")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("the real-nft part needs nft (apt-get install nftables)")
	}
	ns := addNetns(t, "cgnftp")
	nftRulesetArgv = []string{"ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset"}
	hasTable := func() bool {
		t.Helper()
		lv := nftProber(context.Background())
		if lv.Err != "" {
			t.Fatalf("real nft: %+v", lv)
		}
		rs, err := host.ParseNftJSON(lv.JSON)
		if err != nil {
			t.Fatal(err)
		}
		_, ok := rs.Table("inet", wiring.TableName)
		return ok
	}
	if hasTable() {
		t.Fatal("fresh namespace already has the table")
	}
	loadEgressFirewall(t, ns)
	if !hasTable() {
		t.Fatal("loaded table not seen")
	}
}

// addNetns creates a network namespace for the test (skipping where that
// is not allowed) and deletes it when the test ends.
func addNetns(t *testing.T, prefix string) string {
	t.Helper()
	ns := fmt.Sprintf("%s%05d", prefix, os.Getpid()%100000)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	return ns
}

// loadEgressFirewall loads the rules `clawgov egress firewall --user
// nobody` prints into the namespace.
func loadEgressFirewall(t *testing.T, ns string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	if code := Main([]string{"egress", "firewall", "--user", "nobody", "--proxy", "http://127.0.0.1:3128"}, ios); code != 0 {
		t.Fatalf("egress firewall: %d %s", code, errOut)
	}
	load := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	load.Stdin = strings.NewReader(out.String())
	if o, err := load.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v %s", err, o)
	}
}
