package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files in testdata/nft were captured with nftables 1.0.6 (`nft -j
// list ruleset` in a scratch network namespace): clawgov-egress.json is
// `clawgov egress firewall --user nobody` loaded as is, hole.json the same
// shape with an extra "tcp dport 443 accept", skuid-drop.json a
// hand-written "meta skuid nobody drop" chain, empty.json a namespace with
// no rules.

func loadNft(t *testing.T, name string) *NftRuleset {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "nft", name))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseNftJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rs
}

func render(r NftRule) string {
	var parts []string
	for _, m := range r.Matches {
		parts = append(parts, strings.TrimSpace(m.Left+" "+m.Op+" "+m.Right))
	}
	return strings.Join(append(parts, r.Verdict), " ")
}

func TestParseNftJSONCaptured(t *testing.T) {
	cases := []struct {
		file   string
		tables []string
		chain  string // family/table/chain of the output chain
		hook   string
		rules  []string
	}{
		{"clawgov-egress.json", []string{"inet/clawgov_egress"}, "inet/clawgov_egress/output", "output", []string{
			"meta skuid != 65534 accept",
			"ct state in established, related accept",
			"meta oifname == lo ip daddr == 127.0.0.1 tcp dport == @proxy_ports accept",
			"meta oifname == lo ip6 daddr == ::1 tcp dport == @proxy_ports accept",
			"meta oifname == lo ip daddr == 127.0.0.1 tcp dport == @gateway_ports accept",
			"meta oifname == lo ip6 daddr == ::1 tcp dport == @gateway_ports accept",
			"meta l4proto == tcp reject",
			"reject",
		}},
		{"hole.json", []string{"inet/clawgov_egress"}, "inet/clawgov_egress/output", "output", []string{
			"meta skuid != 65534 accept",
			"ct state in established, related accept",
			"meta oifname == lo ip daddr == 127.0.0.1 tcp dport == 3128 accept",
			"tcp dport == 443 accept",
			"meta l4proto == tcp reject",
			"reject",
		}},
		{"skuid-drop.json", []string{"ip/filter"}, "ip/filter/OUTPUT", "output", []string{
			"meta oifname == lo accept",
			"meta skuid == 65534 limit ? drop",
			"meta skuid == 65534 drop",
		}},
		{"empty.json", nil, "", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			rs := loadNft(t, tc.file)
			var tables []string
			for _, tb := range rs.Tables {
				tables = append(tables, tb.Family+"/"+tb.Name)
			}
			if strings.Join(tables, ",") != strings.Join(tc.tables, ",") {
				t.Fatalf("tables %v, want %v", tables, tc.tables)
			}
			if tc.chain == "" {
				if len(rs.Chains) != 0 {
					t.Fatalf("chains %+v", rs.Chains)
				}
				return
			}
			var got *NftChain
			for i, c := range rs.Chains {
				if c.Family+"/"+c.Table+"/"+c.Name == tc.chain {
					got = &rs.Chains[i]
				}
			}
			if got == nil {
				t.Fatalf("chain %s missing: %+v", tc.chain, rs.Chains)
			}
			if got.Hook != tc.hook || got.Type != "filter" || got.Policy != "accept" {
				t.Errorf("chain %+v", got)
			}
			var rules []string
			for _, r := range got.Rules {
				rules = append(rules, render(r))
			}
			if strings.Join(rules, "\n") != strings.Join(tc.rules, "\n") {
				t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(rules, "\n"), strings.Join(tc.rules, "\n"))
			}
		})
	}
	rs := loadNft(t, "clawgov-egress.json")
	if _, ok := rs.Table("inet", "clawgov_egress"); !ok {
		t.Error("Table(inet, clawgov_egress) not found")
	}
	if _, ok := rs.Table("ip", "clawgov_egress"); ok {
		t.Error("Table matched the wrong family")
	}
	last := rs.Chains[0].Rules[len(rs.Chains[0].Rules)-1]
	if !last.Unconditional() || last.Comment != "clawgov-egress: not the proxy" {
		t.Errorf("last rule %+v", last)
	}
}

func TestParseNftJSONValues(t *testing.T) {
	data := `{"nftables":[
{"table":{"family":"inet","name":"t"}},
{"rule":{"family":"inet","table":"t","chain":"c","handle":7,"expr":[
  {"match":{"op":"==","left":{"meta":{"key":"skuid"}},"right":{"set":[998,{"range":[1000,1002]}]}}},
  {"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":{"prefix":{"addr":"10.0.0.0","len":8}}}},
  {"jump":{"target":"other"}}]}},
{"chain":{"family":"inet","table":"t","name":"c","type":"filter","hook":"output","prio":-10,"policy":"drop"}}
]}`
	rs, err := ParseNftJSON([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	c := rs.Chains[0]
	if c.Prio != -10 || c.Policy != "drop" || len(c.Rules) != 1 {
		t.Fatalf("chain %+v (a rule listed before its chain must still attach)", c)
	}
	if got := render(c.Rules[0]); got != "meta skuid == 998, 1000-1002 ip daddr == 10.0.0.0/8 jump other" {
		t.Errorf("rule %q", got)
	}
	for _, bad := range []string{
		``, `not json`, `{}`, `{"nftables": 5}`,
		`{"nftables":[{"rule":{"family":"inet","table":"t","chain":"nochain","handle":1,"expr":[]}}]}`,
		`{"nftables":[{"chain":{"family":1}}]}`,
	} {
		if _, err := ParseNftJSON([]byte(bad)); err == nil {
			t.Errorf("ParseNftJSON(%q) accepted", bad)
		}
	}
}
