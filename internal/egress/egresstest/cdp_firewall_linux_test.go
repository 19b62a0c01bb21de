package egresstest

import (
	"bufio"
	"context"
	"fmt"
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

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"

	"github.com/clawgov/clawgov/internal/cli"
	"github.com/clawgov/clawgov/internal/egress/wiring"
	"github.com/clawgov/clawgov/internal/iostreams"
)

// cdpPort is the browser's remote-debugging port inside the client
// namespace: inside the default --gateway-ports range (18800-18899) of
// `clawgov egress firewall`, as OpenClaw's managed profile would be.
const cdpPort = "18800"

var devtoolsLine = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// browser is one headless Chromium run as the service user inside the
// client namespace.
type browser struct {
	ws     string // browser WebSocket URL, rewritten to the relay
	stderr *logBuf
}

// startBrowser launches Debian chromium as uid:gid through `ip netns exec`
// (which also bind-mounts /etc/netns/<ns>/{hosts,chromium} over /etc, so
// the managed policy is real without touching the machine's own
// /etc/chromium) and returns its CDP endpoint through a relay.
func startBrowser(t *testing.T, ns string, uid, gid int) *browser {
	t.Helper()
	dir, err := os.MkdirTemp("", "clawgov-cdp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	args := []string{"netns", "exec", ns,
		"setpriv", "--reuid=" + strconv.Itoa(uid), "--regid=" + strconv.Itoa(gid), "--clear-groups",
		"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking",
		"--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--remote-debugging-port=" + cdpPort, "about:blank"}
	cmd := exec.Command("ip", args...)
	cmd.Env = []string{"HOME=" + dir, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "XDG_CONFIG_HOME=" + dir, "XDG_CACHE_HOME=" + dir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	b := &browser{stderr: &logBuf{}}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(b.stderr, line)
			if m := devtoolsLine.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case ws := <-found:
		hostport := strings.SplitN(strings.TrimPrefix(ws, "ws://"), "/", 2)
		b.ws = "ws://" + relay(t, ns, hostport[0]) + "/" + hostport[1]
	case <-time.After(60 * time.Second):
		t.Fatalf("chromium printed no DevTools endpoint:\n%s", b.stderr)
	}
	return b
}

// visit opens url in a new tab of the browser's default context (proxied
// by the managed policy) or, with direct, of a new browser context
// created over CDP with proxyServer "direct://", the bypass any local
// process of the service user can ask for. It returns the page's text or
// the navigation error.
func (b *browser) visit(t *testing.T, direct bool, url string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	actx, acancel := remote.NewAllocator(ctx, b.ws, remote.NoModifyURL)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	if err := chromedp.Do(bctx, chromedp.Func(func(context.Context, *chromedp.Target) error { return nil })); err != nil {
		t.Fatalf("CDP connect: %v\n%s", err, b.stderr)
	}
	tctx := bctx
	if direct {
		var dcancel context.CancelFunc
		tctx, dcancel = chromedp.NewContext(bctx, chromedp.WithNewBrowserContext(func(p *target.CreateBrowserContextParams) {
			p.ProxyServer = "direct://"
		}))
		defer dcancel()
	}
	nctx, ncancel := context.WithTimeout(tctx, 20*time.Second)
	defer ncancel()
	if err := chromedp.Do(nctx, chromedp.Navigate(url)); err != nil {
		return "", err
	}
	return chromedp.Run(nctx, chromedp.Evaluate[string]("document.body.innerText"))
}

// firewallRules returns what `clawgov egress firewall --user U` prints
// for the helper proxy's address, run through the real command.
func firewallRules(t *testing.T, userName string) string {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	if code := cli.Main([]string{"egress", "firewall", "--user", userName, "--proxy", "http://" + helperProxyAddr}, ios); code != 0 {
		t.Fatalf("clawgov egress firewall: exit %d: %s", code, errOut)
	}
	return out.String()
}

// TestCDPDirectContextNeedsFirewall proves the last link of the chain
// (browser-egress.md §4.4): with the managed policy forcing the proxy, a
// CDP Target.createBrowserContext({proxyServer:"direct://"}) still reaches
// an unlisted site directly, and only the nftables rules of `clawgov
// egress firewall` stop it, while the proxied context keeps working.
//
// The service user is "nobody": an existing unprivileged account, so the
// test changes no /etc/passwd on a shared machine and leaves nothing
// behind if it is killed. The rules only exist inside the test's own
// namespace, so other processes running as nobody on this machine are
// not affected (root cannot be used: the generator refuses uid 0).
func TestCDPDirectContextNeedsFirewall(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces and load nftables rules in them")
	}
	for _, bin := range []string{"/usr/bin/chromium", "ip", "nft", "setpriv"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s (apt-get install chromium iproute2 nftables util-linux)", bin)
		}
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("needs the unprivileged user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	if uid == 0 {
		t.Skip("user nobody has uid 0 here")
	}

	client, sites := clientAndSites(t, "f")
	hits := &hitCounter{}
	helper(t, sites, "TestHelperSites", []string{helperEnv + "=1"}, hits.line)
	proxyLog := filepath.Join(t.TempDir(), "proxy.log")
	helper(t, client, "TestHelperProxy", []string{proxyHelperEnv + "=" + proxyLog}, nil)

	// Files `ip netns exec` mounts over /etc for processes of the client
	// namespace only: names for the direct path (the proxy has its own
	// pins) and the managed Chromium policy clawgov writes.
	etc := "/etc/netns/" + client
	if _, err := os.Stat("/etc/netns"); os.IsNotExist(err) {
		t.Cleanup(func() { _ = os.Remove("/etc/netns") }) // only if still empty
	}
	t.Cleanup(func() { os.RemoveAll(etc) })
	u, _, err := wiring.ProxyURL("http://" + helperProxyAddr)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := wiring.ChromiumPolicy(u, wiring.ChromiumOptions{})
	if err != nil {
		t.Fatal(err)
	}
	policyFile := filepath.Join(etc, strings.TrimPrefix(wiring.ChromiumPolicyPath, "/etc/"))
	if err := os.MkdirAll(filepath.Dir(policyFile), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string][]byte{
		filepath.Join(etc, "hosts"): []byte("127.0.0.1 localhost\n198.18.7.2 site-a.test\n198.18.7.3 site-b.test\n"),
		policyFile:                  pol,
	} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	waitHits := func(atLeast int, d time.Duration) int {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) && hits.count() < atLeast {
			time.Sleep(100 * time.Millisecond)
		}
		return hits.count()
	}

	// Without the rules: the proxied context loads A, and the direct://
	// context reaches B in spite of the managed policy. If this part
	// fails, the second part proves nothing.
	b := startBrowser(t, client, uid, gid)
	if text, err := b.visit(t, false, "http://site-a.test/"); err != nil || !strings.Contains(text, "hello from site A") {
		t.Fatalf("no firewall: proxied context did not load site A: %v %q\n%s", err, text, b.stderr)
	}
	if text, err := b.visit(t, false, "http://site-b.test/"); err != nil || !strings.Contains(text, "Access blocked") {
		t.Fatalf("no firewall: proxied context did not get the block page for site B: %v %q", err, text)
	}
	if hits.count() != 0 {
		t.Fatalf("site B reached through the proxy: %v", hits.hits)
	}
	text, err := b.visit(t, true, "http://site-b.test/")
	if err != nil || !strings.Contains(text, "site B: you should never see this") {
		t.Fatalf("no firewall: the direct:// context did not reach site B (the bypass this test guards against did not happen, so it proves nothing): %v %q", err, text)
	}
	before := waitHits(1, 5*time.Second)
	if before == 0 {
		t.Fatal("no firewall: site B saw no request from the direct:// context")
	}
	t.Logf("without the firewall the direct:// context reached site B (%d requests)", before)

	// With the rules of `clawgov egress firewall --user nobody`.
	rules := firewallRules(t, nobody.Username)
	if !strings.Contains(rules, "meta skuid != "+nobody.Uid+" accept") {
		t.Fatalf("firewall rules do not name uid %s:\n%s", nobody.Uid, rules)
	}
	load := exec.Command("ip", "netns", "exec", client, "nft", "-f", "-")
	load.Stdin = strings.NewReader(rules)
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v\n%s\n%s", err, out, rules)
	}
	b = startBrowser(t, client, uid, gid) // fresh profile: no kept-alive sockets from before
	if text, err := b.visit(t, false, "http://site-a.test/"); err != nil || !strings.Contains(text, "hello from site A") {
		t.Fatalf("firewall: proxied context no longer loads site A: %v %q\n%s", err, text, b.stderr)
	}
	for _, url := range []string{"http://site-b.test/", "http://site-a.test/", "http://198.18.7.3/"} {
		text, err := b.visit(t, true, url)
		if err == nil {
			t.Errorf("firewall: the direct:// context loaded %s: %q", url, text)
			continue
		}
		t.Logf("firewall: direct:// %s refused: %v", url, err)
	}
	if got := waitHits(before+1, 2*time.Second); got != before {
		t.Errorf("firewall: site B saw %d new requests from the direct:// context", got-before)
	}
	counters, err := exec.Command("ip", "netns", "exec", client, "nft", "list", "chain", "inet", wiring.TableName, "output").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list: %v %s", err, counters)
	}
	if m := regexp.MustCompile(`tcp counter packets (\d+)`).FindSubmatch(counters); m == nil || string(m[1]) == "0" {
		t.Errorf("the TCP reject rule counted nothing:\n%s", counters)
	}
	logData, _ := os.ReadFile(proxyLog)
	log := string(logData)
	if n := strings.Count(log, `"host":"site-a.test","port":80,"path":"/","resolved_ip":"198.18.7.2","decision":"allow"`); n < 2 {
		t.Errorf("proxy log shows %d allowed loads of site A, want 2:\n%s", n, log)
	}
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if strings.Contains(line, `"host":"site-b.test"`) && !strings.Contains(line, `"decision":"deny"`) {
			t.Errorf("site B request not denied by the proxy: %s", line)
		}
	}
}
