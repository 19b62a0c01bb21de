package posture

import (
	"sort"
	"strconv"
	"strings"

	"github.com/clawgov/clawgov/internal/host"
)

// NftLive is the kernel's loaded nftables ruleset, read on a live host
// for audit --deep (`nft -j list ruleset`). The rules files say what a
// reboot would load; this is what confines the service user now.
type NftLive struct {
	// Source is the command that produced JSON.
	Source string
	JSON   []byte
	// Err says why the ruleset could not be read (not root, nft failed);
	// NoNft that nft is not installed. The firewall link is then judged
	// by the files alone, and the kernel's state is reported unknown.
	Err   string
	NoNft bool
}

// nftConfinement is how the loaded ruleset confines one uid's outgoing
// traffic: the base output chain and rule that refuse it, and the accept
// rules that let it out before that refusal (Holes; empty when the uid
// may reach only loopback).
type nftConfinement struct {
	Family, Table, Chain string
	Handle               int
	Holes                []string
}

func (c nftConfinement) where() string {
	return "table " + c.Family + " " + c.Table + " chain " + c.Chain + " rule " + strconv.Itoa(c.Handle)
}

// nftConfined returns, per uid, the first confinement of that uid found
// in the ruleset's output filter chains. Two shapes count, the one
// `clawgov egress firewall` writes and the one people write by hand:
//
//	meta skuid != U accept; <accepts>; reject|drop    (or policy drop)
//	<accepts>; meta skuid U reject|drop
//
// where the accepts between are holes unless they keep to loopback
// (oifname lo, a loopback daddr) or to replies (ct state established,
// related). A jump or goto there is a hole too: what the other chain
// accepts is not followed.
//
// A confinement in an ip (or ip6) table covers that protocol only: the
// uid counts as confined when an inet table, or both an ip and an ip6
// table, confine it; one of the two alone is reported with the other
// protocol as a hole, written as the rule it amounts to ("meta nfproto
// ipv6 accept").
func nftConfined(rs *host.NftRuleset) map[int]nftConfinement {
	byFamily := map[int]map[string]nftConfinement{}
	add := func(uid int, c nftConfinement) {
		if byFamily[uid] == nil {
			byFamily[uid] = map[string]nftConfinement{}
		}
		if _, seen := byFamily[uid][c.Family]; !seen {
			byFamily[uid][c.Family] = c
		}
	}
	out := map[int]nftConfinement{}
	collect := func() map[int]nftConfinement {
		for uid, fams := range byFamily {
			inet, hasInet := fams["inet"]
			v4, has4 := fams["ip"]
			v6, has6 := fams["ip6"]
			switch {
			case hasInet:
				out[uid] = inet
			case has4 && has6:
				v4.Holes = append(v4.Holes, v6.Holes...)
				out[uid] = v4
			case has4:
				v4.Holes = append(v4.Holes, "meta nfproto ipv6 accept")
				out[uid] = v4
			case has6:
				v6.Holes = append(v6.Holes, "meta nfproto ipv4 accept")
				out[uid] = v6
			}
		}
		return out
	}
	for _, ch := range rs.Chains {
		if ch.Hook != "output" || ch.Type != "filter" {
			continue
		}
		base := nftConfinement{Family: ch.Family, Table: ch.Table, Chain: ch.Name}
		for i, r := range ch.Rules {
			uids, op, only := nftSkuidMatch(r)
			if !only {
				continue
			}
			switch {
			case op == "!=" && r.Verdict == "accept" && len(uids) == 1:
				// Exemption: everyone else is accepted, the rest of the
				// chain is about this uid alone.
				c := base
				c.Holes = nftHolesBefore(ch.Rules[:i], uids)
				confined := false
				for _, later := range ch.Rules[i+1:] {
					if nftDenies(later) && later.Unconditional() {
						c.Handle, confined = later.Handle, true
						break
					}
					if hole := nftHole(later); hole != "" {
						c.Holes = append(c.Holes, hole)
					}
				}
				if !confined && ch.Policy == "drop" {
					c.Handle, confined = r.Handle, true
				}
				if confined {
					add(uids[0], c)
				}
			case op == "==" && nftDenies(r):
				c := base
				c.Handle = r.Handle
				c.Holes = nftHolesBefore(ch.Rules[:i], uids)
				for _, u := range uids {
					add(u, c)
				}
			}
		}
	}
	return collect()
}

// nftHolesBefore lists the holes among rules that run before the
// confining one, leaving out rules limited to other uids.
func nftHolesBefore(rules []host.NftRule, uids []int) []string {
	var out []string
	for _, r := range rules {
		if hole := nftHole(r); hole != "" && !nftOtherUIDOnly(r, uids) {
			out = append(out, hole)
		}
	}
	return out
}

// nftSkuidMatch reports the uids a rule matches on with meta skuid, the
// operator, and whether that is the rule's only condition.
func nftSkuidMatch(r host.NftRule) (uids []int, op string, only bool) {
	if len(r.Matches) != 1 || r.Matches[0].Left != "meta skuid" {
		return nil, "", false
	}
	m := r.Matches[0]
	uids = nftUIDList(m.Right)
	if len(uids) == 0 {
		return nil, "", false
	}
	op = m.Op
	if op == "in" {
		op = "=="
	}
	return uids, op, true
}

// nftUIDList parses "999", "998, 999" and small ranges "1000-1010".
func nftUIDList(s string) []int {
	var out []int
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		lo, hi, isRange := strings.Cut(p, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b-a > 1024 {
				return nil
			}
		}
		for u := a; u <= b; u++ {
			out = append(out, u)
		}
	}
	return out
}

func nftDenies(r host.NftRule) bool { return r.Verdict == "drop" || r.Verdict == "reject" }

// nftHole renders an accept (or jump) rule that lets traffic out beyond
// loopback and replies; "" when the rule is not one.
func nftHole(r host.NftRule) string {
	jump := strings.HasPrefix(r.Verdict, "jump ") || strings.HasPrefix(r.Verdict, "goto ")
	if r.Verdict != "accept" && !jump {
		return ""
	}
	if !jump {
		for _, m := range r.Matches {
			if nftLocalOnly(m) {
				return ""
			}
		}
	}
	var parts []string
	for _, m := range r.Matches {
		parts = append(parts, strings.TrimSpace(m.Left+" "+m.Op+" "+m.Right))
	}
	parts = append(parts, r.Verdict)
	return "rule " + strconv.Itoa(r.Handle) + ": " + strings.Join(parts, " ")
}

// nftLocalOnly reports a condition that keeps an accept to this host's
// loopback or to replies of connections already allowed.
func nftLocalOnly(m host.NftMatch) bool {
	eq := m.Op == "==" || m.Op == "in"
	switch m.Left {
	case "meta oifname", "meta oif":
		return eq && m.Right == "lo"
	case "ip daddr":
		return eq && (m.Right == "127.0.0.1" || strings.HasPrefix(m.Right, "127.") && !strings.Contains(m.Right, ","))
	case "ip6 daddr":
		return eq && (m.Right == "::1" || m.Right == "::1/128")
	case "ct state":
		if !eq {
			return false
		}
		for _, s := range strings.Split(m.Right, ",") {
			if s = strings.TrimSpace(s); s != "established" && s != "related" {
				return false
			}
		}
		return true
	}
	return false
}

// nftOtherUIDOnly reports a rule limited to uids other than these (it
// cannot let them out).
func nftOtherUIDOnly(r host.NftRule, uids []int) bool {
	for _, m := range r.Matches {
		if m.Left != "meta skuid" || (m.Op != "==" && m.Op != "in") {
			continue
		}
		for _, u := range nftUIDList(m.Right) {
			for _, want := range uids {
				if u == want {
					return false
				}
			}
		}
		return true
	}
	return false
}

// sortedUIDs lists a confinement map's uids in order.
func sortedUIDs(m map[int]nftConfinement) []string {
	var ids []int
	for u := range m {
		ids = append(ids, u)
	}
	sort.Ints(ids)
	out := make([]string, len(ids))
	for i, u := range ids {
		out[i] = strconv.Itoa(u)
	}
	return out
}
