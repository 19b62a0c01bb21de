package wiring

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != string(got) {
		t.Fatalf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestChromiumPolicy(t *testing.T) {
	u, _, err := ProxyURL("http://127.0.0.1:3128")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ChromiumPolicy(u, ChromiumOptions{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "chromium-policy.json", b)
	b, err = ChromiumPolicy(u, ChromiumOptions{NavigationAllowlist: []string{"docs.example.com", "*.cdn.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "chromium-policy-nav.json", b)
}

func TestProxyURL(t *testing.T) {
	for _, bad := range []string{"socks5://127.0.0.1:1080", "http://proxy.example:3128", "http://8.8.8.8:3128", "http://u:p@127.0.0.1:3128", "http://127.0.0.1", "http://127.0.0.1:3128/x"} {
		if _, _, err := ProxyURL(bad); err == nil {
			t.Errorf("ProxyURL(%q) accepted", bad)
		}
	}
	for _, good := range []string{"http://127.0.0.1:3128", "http://[::1]:3128", "http://10.1.2.3:3128/"} {
		if _, _, err := ProxyURL(good); err != nil {
			t.Errorf("ProxyURL(%q): %v", good, err)
		}
	}
}

func TestOpenClawConfig(t *testing.T) {
	u, _, _ := ProxyURL("http://127.0.0.1:3130")
	b, err := OpenClawConfig(u, []string{"docs.example.com", "*.cdn.example.com", "93.184.215.14"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "openclaw-config.json", b)
	if !strings.Contains(string(b), `"dangerouslyAllowPrivateNetwork": false`) {
		t.Fatal("strict mode missing")
	}
}

func TestNftables(t *testing.T) {
	s, err := Nftables(FirewallOptions{User: "openclaw", UID: 998, ProxyPorts: []int{3128}, GatewayPorts: []string{"18789", "18791", "18800-18899"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "openclaw.nft", []byte(s))
	if _, err := Nftables(FirewallOptions{User: "root", UID: 0, ProxyPorts: []int{3128}}); err == nil {
		t.Fatal("uid 0 accepted")
	}
	if _, err := Nftables(FirewallOptions{User: "x", UID: 5, ProxyPorts: []int{3128}, GatewayPorts: []string{"1-x"}}); err == nil {
		t.Fatal("bad port range accepted")
	}
	if _, err := Nftables(FirewallOptions{User: "x", UID: 5}); err == nil {
		t.Fatal("no proxy port accepted")
	}
}
