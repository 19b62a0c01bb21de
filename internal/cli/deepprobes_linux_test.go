package cli

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
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
	ns := addNetns(t, "cgcan")
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
	loadEgressFirewall(t, ns)
	if o, d, e := probe(); o != "refused" || e != "" || !strings.Contains(d, "refused") {
		t.Fatalf("with rules: outcome %q detail %q err %q", o, d, e)
	}
}
