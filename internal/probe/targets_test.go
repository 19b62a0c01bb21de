package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fakeResolver answers from a map and fails otherwise; tests never touch
// real DNS.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	as, ok := f[host]
	if !ok {
		return nil, fmt.Errorf("lookup %s: no such host", host)
	}
	var out []netip.Addr
	for _, a := range as {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

var testResolver = fakeResolver{"gw.lab": {"10.9.0.1", "10.9.0.1", "fd00::1"}, "one.lab": {"10.9.0.2"}}

func endpoints(t *testing.T, set *TargetSet, limit int) []string {
	t.Helper()
	var out []string
	set.Each(func(e Endpoint) bool {
		s := fmt.Sprintf("%s:%d", e.Addr, e.Port)
		if e.Host != "" {
			s += "(" + e.Host + ")"
		}
		out = append(out, s)
		return len(out) < limit
	})
	return out
}

func TestParseTargets(t *testing.T) {
	cases := []struct {
		name    string
		specs   []string
		opts    TargetOptions
		want    string // endpoints joined by space (first 8)
		hosts   uint64
		wantErr string
	}{
		{name: "ip default ports", specs: []string{"127.0.0.1"}, want: "127.0.0.1:18789 127.0.0.1:19001", hosts: 1},
		{name: "ip with port", specs: []string{"127.0.0.1:8080"}, want: "127.0.0.1:8080", hosts: 1},
		{name: "ipv6 bracketed port", specs: []string{"[::1]:18789"}, want: "::1:18789", hosts: 1},
		{name: "ipv6 plain", specs: []string{"::1"}, opts: TargetOptions{Ports: []int{1}}, want: "::1:1", hosts: 1},
		{name: "cidr /30", specs: []string{"10.0.0.0/30"}, opts: TargetOptions{Ports: []int{1}}, want: "10.0.0.0:1 10.0.0.1:1 10.0.0.2:1 10.0.0.3:1", hosts: 4},
		{name: "cidr not masked", specs: []string{"10.0.0.7/31"}, opts: TargetOptions{Ports: []int{1}}, want: "10.0.0.6:1 10.0.0.7:1", hosts: 2},
		{name: "range full", specs: []string{"10.0.0.254-10.0.1.1"}, opts: TargetOptions{Ports: []int{1}}, want: "10.0.0.254:1 10.0.0.255:1 10.0.1.0:1 10.0.1.1:1", hosts: 4},
		{name: "range short", specs: []string{"10.0.0.1-3"}, opts: TargetOptions{Ports: []int{1}}, want: "10.0.0.1:1 10.0.0.2:1 10.0.0.3:1", hosts: 3},
		{name: "ipv6 range short", specs: []string{"fd00::1-3"}, opts: TargetOptions{Ports: []int{1}}, want: "fd00::1:1 fd00::2:1 fd00::3:1", hosts: 3},
		{name: "hostname", specs: []string{"gw.lab"}, opts: TargetOptions{Ports: []int{1}}, want: "10.9.0.1:1(gw.lab) fd00::1:1(gw.lab)", hosts: 2},
		{name: "hostname port", specs: []string{"one.lab:9"}, want: "10.9.0.2:9(one.lab)", hosts: 1},
		{name: "duplicates removed", specs: []string{"10.0.0.1", "10.0.0.0/31", "10.0.0.1"}, opts: TargetOptions{Ports: []int{1}}, want: "10.0.0.1:1 10.0.0.0:1", hosts: 4},
		{name: "exclude address", specs: []string{"10.0.0.0/30"}, opts: TargetOptions{Ports: []int{1}, Exclude: []string{"10.0.0.1", "10.0.0.2-3"}}, want: "10.0.0.0:1", hosts: 4},
		{name: "exclude endpoint", specs: []string{"10.0.0.1"}, opts: TargetOptions{Ports: []int{1, 2}, Exclude: []string{"10.0.0.1:2"}}, want: "10.0.0.1:1", hosts: 1},
		{name: "v4-mapped unmapped", specs: []string{"::ffff:10.0.0.1"}, opts: TargetOptions{Ports: []int{1}}, want: "10.0.0.1:1", hosts: 1},
		{name: "million hosts need --yes", specs: []string{"10.0.0.0/12"}, wantErr: "re-run with --yes"},
		{name: "million hosts with --yes", specs: []string{"10.0.0.0/12"}, opts: TargetOptions{Ports: []int{1}, Confirmed: true}, want: "10.0.0.0:1 10.0.0.1:1 10.0.0.2:1 10.0.0.3:1 10.0.0.4:1 10.0.0.5:1 10.0.0.6:1 10.0.0.7:1", hosts: 1 << 20},
		{name: "ipv6 /0", specs: []string{"::/0"}, opts: TargetOptions{Confirmed: true}, wantErr: "2^128 addresses"},
		{name: "ipv4 /0", specs: []string{"0.0.0.0/0"}, opts: TargetOptions{Confirmed: true}, wantErr: "2^32 addresses"},
		{name: "ipv6 /64", specs: []string{"fd00::/64"}, opts: TargetOptions{Confirmed: true}, wantErr: "2^64 addresses"},
		{name: "huge ipv6 range", specs: []string{"fd00::-fd00::1:0:0:0"}, opts: TargetOptions{Confirmed: true}, wantErr: "more than 16777216"},
		{name: "sum over MaxHosts", specs: []string{"10.0.0.0/8", "11.0.0.0/8"}, opts: TargetOptions{Confirmed: true}, wantErr: "more than 16777216"},
		{name: "invalid cidr", specs: []string{"10.0.0.0/33"}, wantErr: "invalid CIDR"},
		{name: "invalid cidr text", specs: []string{"banana/8"}, wantErr: "invalid CIDR"},
		{name: "reversed range", specs: []string{"10.0.0.9-10.0.0.1"}, wantErr: "reversed"},
		{name: "mixed range", specs: []string{"10.0.0.1-fd00::1"}, wantErr: "mixes IPv4 and IPv6"},
		{name: "bad short range", specs: []string{"10.0.0.1-300"}, wantErr: "invalid range"},
		{name: "bad port", specs: []string{"10.0.0.1:0"}, wantErr: "invalid port"},
		{name: "port too big", specs: []string{"10.0.0.1:70000"}, wantErr: "invalid port"},
		{name: "url is not a target", specs: []string{"http://10.0.0.1/"}, wantErr: "invalid"},
		{name: "shell junk", specs: []string{"10.0.0.1;reboot"}, wantErr: "invalid target"},
		{name: "unresolvable", specs: []string{"nope.lab"}, wantErr: "resolve nope.lab"},
		{name: "empty", specs: []string{" "}, wantErr: "empty target"},
		{name: "none", specs: nil, wantErr: "no targets"},
		{name: "zone", specs: []string{"[fe80::1%eth0]:1"}, wantErr: "zoned"},
		{name: "bad exclude", specs: []string{"10.0.0.1"}, opts: TargetOptions{Exclude: []string{"10.0.0.0/40"}}, wantErr: "exclude: invalid CIDR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Resolver = testResolver
			set, err := ParseTargets(context.Background(), c.specs, c.opts)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := endpoints(t, set, 8)
			want := strings.Fields(c.want)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("endpoints %q, want %q", got, c.want)
			}
			if set.Hosts() != c.hosts {
				t.Fatalf("hosts %d, want %d", set.Hosts(), c.hosts)
			}
		})
	}
}

func TestNeedsConfirmationIsDistinguishable(t *testing.T) {
	_, err := ParseTargets(context.Background(), []string{"10.0.0.0/15"}, TargetOptions{})
	if !errors.Is(err, ErrNeedsConfirmation) {
		t.Fatalf("err %v", err)
	}
	// Exactly the limit passes without confirmation.
	if _, err := ParseTargets(context.Background(), []string{"10.0.0.0/16"}, TargetOptions{}); err != nil {
		t.Fatalf("a /16 needs no --yes: %v", err)
	}
}

func TestParsePorts(t *testing.T) {
	got, err := ParsePorts("19001, 18789,20000-20002,18789")
	if err != nil || fmt.Sprint(got) != "[18789 19001 20000 20001 20002]" {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "0", "65536", "a", "5-1", "1-", ",,"} {
		if _, err := ParsePorts(bad); err == nil {
			t.Errorf("ParsePorts(%q) accepted", bad)
		}
	}
	all, err := ParsePorts("1-65535")
	if err != nil || len(all) != 65535 {
		t.Fatalf("full range: %d %v", len(all), err)
	}
}

// Iterating a large set is lazy: stopping early costs nothing.
func TestEachStopsEarly(t *testing.T) {
	set, err := ParseTargets(context.Background(), []string{"10.0.0.0/8"}, TargetOptions{Confirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := endpoints(t, set, 3); len(got) != 3 {
		t.Fatalf("%v", got)
	}
	if set.Size() != 2*(1<<24) {
		t.Fatalf("size %d", set.Size())
	}
}

func TestExcludeSkipsWholeBlocks(t *testing.T) {
	set, err := ParseTargets(context.Background(), []string{"10.0.0.0/8"}, TargetOptions{Ports: []int{1}, Confirmed: true, Exclude: []string{"10.0.0.0/9", "10.128.0.0/10"}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := endpoints(t, set, 2)
	if fmt.Sprint(got) != "[10.192.0.0:1 10.192.0.1:1]" {
		t.Fatalf("%v", got)
	}
	all, err := ParseTargets(context.Background(), []string{"10.0.0.0/8"}, TargetOptions{Ports: []int{1}, Confirmed: true, Exclude: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := endpoints(t, all, 10); len(got) != 0 {
		t.Fatalf("fully excluded set yields %v", got)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("took %v: exclusions are walked address by address", took)
	}
	// Ranges crossing an excluded block resume right after it.
	mid, _ := ParseTargets(context.Background(), []string{"10.0.0.254-10.0.1.2"}, TargetOptions{Ports: []int{1}, Exclude: []string{"10.0.0.255-10.0.1.0"}})
	if got := endpoints(t, mid, 10); fmt.Sprint(got) != "[10.0.0.254:1 10.0.1.1:1 10.0.1.2:1]" {
		t.Fatalf("%v", got)
	}
}
