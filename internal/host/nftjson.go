package host

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// NftRuleset is the kernel's loaded nftables ruleset as `nft -j list
// ruleset` prints it, reduced to what a reader of rules needs: tables,
// chains with their hooks, and each rule's matches and verdict. It is
// what is in force now, unlike the rules files, which are what a reboot
// would load.
type NftRuleset struct {
	Tables []NftTable
	Chains []NftChain
}

// NftTable is one table.
type NftTable struct {
	Family, Name string
}

// NftChain is one chain and its rules in evaluation order. Base chains
// have Type, Hook and Policy; regular chains (jump targets) do not.
type NftChain struct {
	Family, Table, Name string
	Type, Hook, Policy  string
	Prio                int
	Rules               []NftRule
}

// NftRule is one rule. Matches are its conditions, in order; Verdict is
// accept, drop, reject, "jump X", "goto X", return, continue, queue or ""
// (no verdict: the rule only counts, logs or sets something).
type NftRule struct {
	Handle  int
	Comment string
	Matches []NftMatch
	Verdict string
}

// NftMatch is one condition: Left is what is compared ("meta skuid",
// "ip daddr", "tcp dport", "ct state", "meta oifname"), Op the operator
// as nft prints it (==, !=, in, ...), Right the value rendered as text
// (sets and lists joined with ", ", ranges as a-b, prefixes as a/n). A
// statement that makes a rule conditional without being a comparison
// (limit, quota, a statement this reader does not know) is a match with
// Op "?" so that the rule is never taken for unconditional.
type NftMatch struct {
	Left, Op, Right string
}

// Unconditional reports a rule with no condition.
func (r NftRule) Unconditional() bool { return len(r.Matches) == 0 }

// Table returns the named table, if loaded.
func (rs *NftRuleset) Table(family, name string) (NftTable, bool) {
	for _, t := range rs.Tables {
		if t.Family == family && t.Name == name {
			return t, true
		}
	}
	return NftTable{}, false
}

// ParseNftJSON parses `nft -j list ruleset` output (JSON schema version
// 1, nftables 0.9.x and later).
func ParseNftJSON(data []byte) (*NftRuleset, error) {
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("nft json: %w", err)
	}
	if doc.Nftables == nil {
		return nil, fmt.Errorf("nft json: no \"nftables\" array")
	}
	rs := &NftRuleset{}
	idx := map[string]int{} // family/table/chain -> index in rs.Chains
	key := func(f, t, c string) string { return f + "/" + t + "/" + c }
	var rules []struct {
		family, table, chain string
		r                    NftRule
	}
	for _, obj := range doc.Nftables {
		for kind, raw := range obj {
			switch kind {
			case "table":
				var t struct{ Family, Name string }
				if err := json.Unmarshal(raw, &t); err != nil {
					return nil, fmt.Errorf("nft json: table: %w", err)
				}
				rs.Tables = append(rs.Tables, NftTable{Family: t.Family, Name: t.Name})
			case "chain":
				var c struct {
					Family, Table, Name, Type, Hook, Policy string
					Prio                                    json.RawMessage
				}
				if err := json.Unmarshal(raw, &c); err != nil {
					return nil, fmt.Errorf("nft json: chain: %w", err)
				}
				prio, _ := strconv.Atoi(strings.TrimSpace(string(c.Prio)))
				idx[key(c.Family, c.Table, c.Name)] = len(rs.Chains)
				rs.Chains = append(rs.Chains, NftChain{Family: c.Family, Table: c.Table, Name: c.Name, Type: c.Type, Hook: c.Hook, Policy: c.Policy, Prio: prio})
			case "rule":
				var r struct {
					Family, Table, Chain, Comment string
					Handle                        int
					Expr                          []map[string]json.RawMessage
				}
				d := json.NewDecoder(bytes.NewReader(raw))
				d.UseNumber()
				if err := d.Decode(&r); err != nil {
					return nil, fmt.Errorf("nft json: rule: %w", err)
				}
				rule := NftRule{Handle: r.Handle, Comment: r.Comment}
				for _, st := range r.Expr {
					nftStatement(&rule, st)
				}
				rules = append(rules, struct {
					family, table, chain string
					r                    NftRule
				}{r.Family, r.Table, r.Chain, rule})
			}
		}
	}
	// nft lists a chain before its rules, but nothing in the format
	// promises it: attach rules once every chain is known.
	for _, r := range rules {
		i, ok := idx[key(r.family, r.table, r.chain)]
		if !ok {
			return nil, fmt.Errorf("nft json: rule %d in unknown chain %s %s %s", r.r.Handle, r.family, r.table, r.chain)
		}
		rs.Chains[i].Rules = append(rs.Chains[i].Rules, r.r)
	}
	return rs, nil
}

// nftStatement adds one statement of a rule's expr array.
func nftStatement(r *NftRule, st map[string]json.RawMessage) {
	for kind, raw := range st {
		switch kind {
		case "match":
			var m struct {
				Op    string
				Left  any
				Right any
			}
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(&m); err != nil {
				r.Matches = append(r.Matches, NftMatch{Left: "match", Op: "?"})
				continue
			}
			r.Matches = append(r.Matches, NftMatch{Left: nftLeft(m.Left), Op: m.Op, Right: nftValue(m.Right)})
		case "accept", "drop", "return", "continue", "queue":
			r.Verdict = kind
		case "reject":
			r.Verdict = "reject"
		case "jump", "goto":
			var t struct{ Target string }
			_ = json.Unmarshal(raw, &t)
			r.Verdict = kind + " " + t.Target
		case "counter", "log", "comment", "notrack", "xt":
			// no effect on where a packet goes
		default:
			// limit, quota, meter, mangle, nat, ...: not a plain condition
			// but it can make the verdict conditional or change the packet.
			r.Matches = append(r.Matches, NftMatch{Left: kind, Op: "?"})
		}
	}
}

// nftLeft renders the left side of a match: {"meta":{"key":"skuid"}} is
// "meta skuid", {"payload":{"protocol":"ip","field":"daddr"}} "ip daddr",
// {"ct":{"key":"state"}} "ct state".
func nftLeft(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return nftValue(v)
	}
	for kind, inner := range m {
		im, _ := inner.(map[string]any)
		switch kind {
		case "meta", "ct":
			return kind + " " + fmt.Sprint(im["key"])
		case "payload":
			return fmt.Sprint(im["protocol"]) + " " + fmt.Sprint(im["field"])
		default:
			return kind
		}
	}
	return ""
}

// nftValue renders a right-hand value.
func nftValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, nftValue(e))
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		for kind, inner := range x {
			switch kind {
			case "set":
				return nftValue(inner)
			case "range":
				if r, ok := inner.([]any); ok && len(r) == 2 {
					return nftValue(r[0]) + "-" + nftValue(r[1])
				}
			case "prefix":
				if p, ok := inner.(map[string]any); ok {
					return nftValue(p["addr"]) + "/" + nftValue(p["len"])
				}
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return "{" + strings.Join(keys, ",") + "}"
		}
	}
	return fmt.Sprint(v)
}
