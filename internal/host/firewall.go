package host

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// FirewallConfig is what one firewall rules file says about inbound TCP.
type FirewallConfig struct {
	// DefaultDrop: the input hook's policy drops, or the input chain ends
	// in an unconditional drop/reject.
	DefaultDrop bool
	// Chains and Rules count what the file defines (rules of any kind).
	Chains int
	Rules  int
	// PortRules are the inbound TCP port rules in file order.
	PortRules []PortRule
	// Includes are nftables include paths (not followed by the parser).
	Includes []string
}

func (c *FirewallConfig) merge(o *FirewallConfig) {
	c.DefaultDrop = c.DefaultDrop || o.DefaultDrop
	c.Chains += o.Chains
	c.Rules += o.Rules
	c.PortRules = append(c.PortRules, o.PortRules...)
}

// parsePortList parses "18789", "18780-18799", "22:80" (iptables) and
// "{ 22, 18789 }" lists into [from,to] pairs; names and junk are dropped.
func parsePortList(s string) [][2]int {
	s = strings.Trim(strings.TrimSpace(s), "{}")
	var out [][2]int
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		a, b, isRange := strings.Cut(p, "-")
		if !isRange {
			a, b, isRange = strings.Cut(p, ":")
		}
		from, err := strconv.Atoi(strings.TrimSpace(a))
		if err != nil || from < 0 || from > 65535 {
			continue
		}
		to := from
		if isRange {
			if b = strings.TrimSpace(b); b == "" {
				to = 65535
			} else if to, err = strconv.Atoi(b); err != nil || to < from || to > 65535 {
				continue
			}
		}
		out = append(out, [2]int{from, to})
	}
	return out
}

// ParseNftables parses an nftables ruleset file (the `nft -f` syntax, as
// in /etc/nftables.conf). It tracks tables, chains, the input hook policy
// and "tcp dport"/"th dport" rules with accept, drop or reject verdicts
// in input and non-base chains.
func ParseNftables(source string, data []byte) *FirewallConfig {
	cfg := &FirewallConfig{}
	type frame struct {
		kind  string // table, chain, other
		hook  string
		rules int
	}
	var stack []frame
	inChain := func() *frame {
		if len(stack) > 0 && stack[len(stack)-1].kind == "chain" {
			return &stack[len(stack)-1]
		}
		return nil
	}
	for ln, raw := range strings.Split(string(data), "\n") {
		line := raw
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		// Statements end at ";" or newline; braces open and close blocks.
		for _, stmt := range splitNftStatements(line) {
			f := strings.Fields(stmt)
			if len(f) == 0 {
				continue
			}
			switch {
			case f[0] == "}":
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
				continue
			case f[len(f)-1] == "{":
				kind := "other"
				switch f[0] {
				case "table":
					kind = "table"
				case "chain":
					kind = "chain"
					cfg.Chains++
				}
				stack = append(stack, frame{kind: kind})
				continue
			case f[0] == "include" && len(f) > 1:
				cfg.Includes = append(cfg.Includes, strings.Trim(f[1], `"`))
				continue
			}
			ch := inChain()
			if ch == nil {
				continue
			}
			if f[0] == "type" {
				for i := 0; i+1 < len(f); i++ {
					if f[i] == "hook" {
						ch.hook = f[i+1]
					}
				}
				continue
			}
			if f[0] == "policy" && len(f) > 1 {
				if ch.hook == "input" && (f[1] == "drop") {
					cfg.DefaultDrop = true
				}
				continue
			}
			cfg.Rules++
			ch.rules++
			if ch.hook != "" && ch.hook != "input" {
				continue
			}
			verdict := nftVerdict(f)
			if verdict == "" {
				continue
			}
			if ch.hook == "input" && nftUnconditional(f) && verdict == "deny" {
				cfg.DefaultDrop = true
				continue
			}
			ports, addr := nftPortMatch(stmt)
			for _, pr := range ports {
				cfg.PortRules = append(cfg.PortRules, PortRule{Backend: "nftables", Source: source, Line: ln + 1, From: pr[0], To: pr[1], Action: verdict, Addr: addr})
			}
		}
	}
	return cfg
}

// splitNftStatements splits one line at ";" and around braces, keeping
// "{ 22, 80 }" set literals inside a statement.
func splitNftStatements(line string) []string {
	var out []string
	var b strings.Builder
	depth := 0 // brace depth inside a statement (set literals)
	flush := func() {
		if s := strings.TrimSpace(b.String()); s != "" {
			out = append(out, s)
		}
		b.Reset()
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ';' && depth == 0:
			flush()
		case c == '{':
			// A block opens when "{" ends the statement text on this line
			// (table x {, chain y {); otherwise it is a set literal.
			rest := strings.TrimSpace(line[i+1:])
			if depth == 0 && (rest == "" || blockStarter(b.String())) {
				b.WriteString(" {")
				flush()
				continue
			}
			depth++
			b.WriteByte(c)
		case c == '}':
			if depth > 0 {
				depth--
				b.WriteByte(c)
				continue
			}
			flush()
			out = append(out, "}")
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return out
}

func blockStarter(s string) bool {
	f := strings.Fields(s)
	if len(f) == 0 {
		return false
	}
	switch f[0] {
	case "table", "chain", "set", "map", "flowtable":
		return true
	}
	return false
}

func nftVerdict(f []string) string {
	for _, w := range f {
		switch w {
		case "accept":
			return "allow"
		case "drop", "reject":
			return "deny"
		}
	}
	return ""
}

// nftUnconditional reports a rule with no match before its verdict
// ("drop", "counter drop", "log prefix x drop", "reject with ...").
func nftUnconditional(f []string) bool {
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case "counter":
			if i+4 < len(f) && f[i+1] == "packets" {
				i += 4
			}
		case "log":
			// log [prefix "x"] [level y]: skip its arguments
			for i+2 < len(f) && (f[i+1] == "prefix" || f[i+1] == "level") {
				i += 2
			}
		case "drop", "reject":
			return true
		default:
			return false
		}
	}
	return false
}

// nftPortMatch extracts "tcp dport X" / "th dport X" and a source
// restriction ("ip saddr A", "ip6 saddr A", "iif lo", "iifname x").
func nftPortMatch(stmt string) ([][2]int, string) {
	f := strings.Fields(strings.NewReplacer("{", " { ", "}", " } ", ",", " , ").Replace(stmt))
	var ports [][2]int
	var addr []string
	for i := 0; i+1 < len(f); i++ {
		switch {
		case f[i] == "dport" && i > 0 && (f[i-1] == "tcp" || f[i-1] == "th"):
			v := f[i+1]
			if v == "!=" {
				return nil, "" // negated match: not a plain port rule
			}
			if v == "{" {
				j := i + 1
				for j < len(f) && f[j] != "}" {
					j++
				}
				v = strings.Join(f[i+1:j], "")
			}
			ports = append(ports, parsePortList(v)...)
		case f[i] == "saddr" && i > 0 && (f[i-1] == "ip" || f[i-1] == "ip6"):
			addr = append(addr, f[i+1])
		case f[i] == "iif" || f[i] == "iifname":
			addr = append(addr, f[i]+" "+strings.Trim(f[i+1], `"`))
		}
	}
	return ports, strings.Join(addr, " ")
}

// ParseIptablesSave parses iptables-save output (/etc/iptables/rules.v4,
// /etc/sysconfig/iptables, ufw's user.rules) for the filter table: the
// INPUT policy, INPUT and user-chain rules with --dport/--dports and an
// ACCEPT, DROP or REJECT target.
func ParseIptablesSave(source, backend string, data []byte) *FirewallConfig {
	cfg := &FirewallConfig{}
	table := ""
	for ln, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "*"):
			table = line[1:]
			continue
		case table != "filter":
			continue
		case strings.HasPrefix(line, ":"):
			f := strings.Fields(line[1:])
			cfg.Chains++
			if len(f) >= 2 && f[0] == "INPUT" && (f[1] == "DROP" || f[1] == "REJECT") {
				cfg.DefaultDrop = true
			}
			continue
		case !strings.HasPrefix(line, "-A "):
			continue
		}
		args, err := SplitUnitWords(line)
		if err != nil {
			args = strings.Fields(line)
		}
		if len(args) < 2 {
			continue
		}
		chain := args[1]
		cfg.Rules++
		switch chain {
		case "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING":
			continue
		}
		if strings.Contains(strings.ToLower(chain), "output") || strings.Contains(strings.ToLower(chain), "forward") {
			continue
		}
		var target, proto string
		var ports [][2]int
		var addr []string
		negated, matches := false, false
		for i := 2; i < len(args); i++ {
			a := args[i]
			next := ""
			if i+1 < len(args) {
				next = args[i+1]
			}
			switch a {
			case "!":
				negated = true
			case "-j", "--jump":
				target = next
				i++
			case "-p", "--protocol":
				proto = next
				matches = true
				i++
			case "--dport", "--destination-port", "--dports", "--destination-ports":
				ports = append(ports, parsePortList(next)...)
				matches = true
				i++
			case "-s", "--source":
				addr = append(addr, next)
				matches = true
				i++
			case "-i", "--in-interface":
				addr = append(addr, "iif "+next)
				matches = true
				i++
			case "-m", "--match", "--comment":
				i++
			default:
				if strings.HasPrefix(a, "-") {
					matches = true
				}
			}
		}
		verdict := ""
		switch target {
		case "ACCEPT":
			verdict = "allow"
		case "DROP", "REJECT":
			verdict = "deny"
		}
		if verdict == "" || negated {
			continue
		}
		if !matches && chain == "INPUT" && verdict == "deny" {
			cfg.DefaultDrop = true
			continue
		}
		if proto != "" && proto != "tcp" && proto != "6" {
			continue
		}
		for _, pr := range ports {
			cfg.PortRules = append(cfg.PortRules, PortRule{Backend: backend, Source: source, Line: ln + 1, From: pr[0], To: pr[1], Action: verdict, Addr: strings.Join(addr, " ")})
		}
	}
	return cfg
}

// ParseFirewalldZone parses a firewalld zone XML file: its target, its
// tcp <port> entries and rich rules with a port and a verdict. A zone's
// default target rejects what it does not allow; only target="ACCEPT"
// lets everything in. Services the zone allows are listed by
// parseFirewalldZone for the caller to resolve.
func ParseFirewalldZone(source string, data []byte) (*FirewallConfig, error) {
	z, err := parseFirewalldZone(source, data)
	if err != nil {
		return nil, err
	}
	return z.cfg, nil
}

type fwdPort struct {
	Port     string `xml:"port,attr"`
	Protocol string `xml:"protocol,attr"`
}

type firewalldZone struct {
	cfg      *FirewallConfig
	services []string
	// bound describes the interfaces and sources bound to the zone.
	bound string
}

func parseFirewalldZone(source string, data []byte) (*firewalldZone, error) {
	var z struct {
		Target   string    `xml:"target,attr"`
		Ports    []fwdPort `xml:"port"`
		Services []struct {
			Name string `xml:"name,attr"`
		} `xml:"service"`
		Interfaces []struct {
			Name string `xml:"name,attr"`
		} `xml:"interface"`
		Sources []struct {
			Address string `xml:"address,attr"`
		} `xml:"source"`
		Rules []struct {
			Source *struct {
				Address string `xml:"address,attr"`
				Invert  string `xml:"invert,attr"`
			} `xml:"source"`
			Port   *fwdPort  `xml:"port"`
			Accept *struct{} `xml:"accept"`
			Drop   *struct{} `xml:"drop"`
			Reject *struct{} `xml:"reject"`
		} `xml:"rule"`
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	if err := d.Decode(&z); err != nil {
		return nil, fmt.Errorf("firewalld zone: %w", err)
	}
	out := &firewalldZone{cfg: &FirewallConfig{Chains: 1, DefaultDrop: !strings.EqualFold(z.Target, "ACCEPT")}}
	cfg := out.cfg
	// Rich rules are evaluated before plain ports.
	for _, r := range z.Rules {
		cfg.Rules++
		if r.Port == nil || r.Port.Protocol != "tcp" || (r.Source != nil && r.Source.Invert != "") {
			continue
		}
		action := ""
		switch {
		case r.Accept != nil:
			action = "allow"
		case r.Drop != nil, r.Reject != nil:
			action = "deny"
		default:
			continue
		}
		addr := ""
		if r.Source != nil {
			addr = r.Source.Address
		}
		for _, pr := range parsePortList(r.Port.Port) {
			cfg.PortRules = append(cfg.PortRules, PortRule{Backend: "firewalld", Source: source, From: pr[0], To: pr[1], Action: action, Addr: addr})
		}
	}
	for _, p := range z.Ports {
		cfg.Rules++
		if p.Protocol != "tcp" {
			continue
		}
		for _, pr := range parsePortList(p.Port) {
			cfg.PortRules = append(cfg.PortRules, PortRule{Backend: "firewalld", Source: source, From: pr[0], To: pr[1], Action: "allow"})
		}
	}
	for _, sv := range z.Services {
		cfg.Rules++
		out.services = append(out.services, sv.Name)
	}
	var bound []string
	for _, i := range z.Interfaces {
		bound = append(bound, "iif "+i.Name)
	}
	for _, s := range z.Sources {
		bound = append(bound, s.Address)
	}
	out.bound = strings.Join(bound, " ")
	return out, nil
}

// parseFirewalldService returns the tcp ports of a firewalld service
// definition.
func parseFirewalldService(data []byte) ([][2]int, error) {
	var s struct {
		Ports []fwdPort `xml:"port"`
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("firewalld service: %w", err)
	}
	var out [][2]int
	for _, p := range s.Ports {
		if p.Protocol == "tcp" {
			out = append(out, parsePortList(p.Port)...)
		}
	}
	return out, nil
}

// parseKeyValueFile reads shell-style KEY=value lines (ufw.conf,
// /etc/default/ufw, firewalld.conf, os-release).
func parseKeyValueFile(data []byte) map[string]string {
	m := map[string]string{}
	kvs, _ := ParseEnvFile(data)
	for _, kv := range kvs {
		m[kv[0]] = kv[1]
	}
	return m
}

// serviceEnabled tells whether a system service is started at boot: a
// link in a *.wants/ or *.requires/ directory of /etc/systemd/system, or
// an OpenRC runlevel entry. nil when the root has neither init layout.
func serviceEnabled(r *Root, names ...string) *bool {
	t, f := true, false
	known := false
	for _, base := range []string{"/etc/systemd/system", "/etc/runlevels"} {
		ents, err := r.ReadDir(base)
		if err != nil {
			continue
		}
		known = true
		for _, e := range ents {
			isWants := strings.HasSuffix(e.Name(), ".wants") || strings.HasSuffix(e.Name(), ".requires")
			if base == "/etc/runlevels" {
				isWants = true
			}
			if !isWants {
				continue
			}
			for _, n := range names {
				if base == "/etc/runlevels" {
					n = strings.TrimSuffix(n, ".service")
				}
				if _, err := r.Lstat(path.Join(base, e.Name(), n)); err == nil {
					return &t
				}
			}
		}
	}
	if known {
		return &f
	}
	return nil
}

// PortVerdict returns "allow" or "deny" for inbound TCP to port according
// to the active firewalls' rules (first matching rule per backend; a deny
// from any backend wins), or "" when no rule names the port and the
// default policy applies (see DefaultDrop).
func (fw *Firewall) PortVerdict(port int) string {
	firstPer := map[string]string{}
	for _, r := range fw.Rules {
		if port < r.From || port > r.To {
			continue
		}
		if _, done := firstPer[r.Backend]; !done {
			firstPer[r.Backend] = r.Action
		}
	}
	v := ""
	for _, a := range firstPer {
		if a == "deny" {
			return "deny"
		}
		v = a
	}
	return v
}
