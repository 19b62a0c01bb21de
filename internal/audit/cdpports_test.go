package audit

import (
	"reflect"
	"testing"

	"github.com/clawgov/clawgov/internal/host"
)

func TestCDPPorts(t *testing.T) {
	socks := []host.Socket{
		{Port: 18800, Scope: host.ScopeLoopback},
		{Port: 18800, Scope: host.ScopeLoopback, Proto: "tcp6"}, // once
		{Port: 18850, Scope: host.ScopeWildcard},
		{Port: 18899, Scope: host.ScopePrivate},  // not reachable on loopback
		{Port: 18789, Scope: host.ScopeLoopback}, // the gateway, not CDP
		{Port: 18900, Scope: host.ScopeLoopback}, // outside the range
		{Port: 18810, Scope: host.ScopeLoopback},
	}
	if got, want := cdpPorts(socks), []int{18800, 18810, 18850}; !reflect.DeepEqual(got, want) {
		t.Fatalf("cdpPorts = %v, want %v", got, want)
	}
	if got := cdpPorts(nil); got != nil {
		t.Fatalf("no sockets: %v", got)
	}
}
