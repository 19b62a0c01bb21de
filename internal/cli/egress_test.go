package cli

import (
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/egress/policy"
	"github.com/clawgov/clawgov/internal/egress/proxy"
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
