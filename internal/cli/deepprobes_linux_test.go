package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/clawgov/clawgov/internal/iostreams"
)

// inNetns runs fn on a thread moved into the named network namespace;
// children started from fn (the canary) are born there too.
func inNetns(t *testing.T, ns string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		target, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			t.Error(err)
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			t.Error(err)
			return
		}
		fn()
	}()
	<-done
}

// TestFirewallCanaryNetns: in a namespace the test creates, the canary run
// as nobody connects to a loopback port before clawgov's rules are loaded
// and is refused after, and the audit's answer follows.
func TestFirewallCanaryNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a network namespace, nftables in it, and acting as nobody")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nft (apt-get install nftables)")
	}
	ns := fmt.Sprintf("cgcan%05d", os.Getpid()%100000)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace here: %v %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", ns).Run()
	if out, err := exec.Command("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v %s", err, out)
	}
	const nobody = 65534
	probe := func() (outcome, detail, errs string) {
		inNetns(t, ns, func() {
			got := firewallCanary(context.Background(), []int{nobody})
			if len(got) != 1 {
				t.Errorf("want one answer, got %+v", got)
				return
			}
			outcome, detail, errs = got[0].Outcome, got[0].Detail, got[0].Err
		})
		return
	}
	if o, d, e := probe(); o != "connected" || e != "" {
		t.Fatalf("without rules: outcome %q detail %q err %q", o, d, e)
	}
	ios, _, out, errOut := iostreams.Test()
	if code := Main([]string{"egress", "firewall", "--user", "nobody", "--proxy", "http://127.0.0.1:3128"}, ios); code != 0 {
		t.Fatalf("egress firewall: %d %s", code, errOut)
	}
	load := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	load.Stdin = strings.NewReader(out.String())
	if o, err := load.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v %s", err, o)
	}
	if o, d, e := probe(); o != "refused" || e != "" || !strings.Contains(d, "refused") {
		t.Fatalf("with rules: outcome %q detail %q err %q", o, d, e)
	}
}
