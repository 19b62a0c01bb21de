// Package policy is the egress allowlist of `clawgov egress`: which hosts,
// ports, schemes and paths the agent's browser and web tools may reach,
// for which client, in enforce or audit-only mode. The file is YAML,
// validated against schema/egress-policy.schema.json with line-accurate
// errors, then compiled into maps so a decision costs the same for ten
// entries or ten thousand.
//
// Default deny. Destinations in loopback, private, link-local, metadata,
// multicast, unspecified and reserved ranges are refused for every entry
// unless the entry names the network in allow_networks; the proxy applies
// that check to the address it actually dials, so a name that resolves
// (or re-resolves) to 10.0.0.5 is refused like the literal.
package policy

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/yamlschema"
	"gopkg.in/yaml.v3"

	"github.com/clawgov/clawgov/schema"
)

// MaxSize bounds a policy file (10,000 entries fit in well under this).
const MaxSize = 16 << 20

// Error is a policy file error with the line it is about.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Mode of an entry.
const (
	ModeEnforce = "enforce"
	ModeAudit   = "audit-only"
)

// Decision outcomes.
const (
	Allow = "allow"
	Deny  = "deny"
	// Audit is a request an audit-only entry would have refused; it is let
	// through and logged so a rollout can see what enforce would break.
	Audit = "audit"
)

// Rule names used when no entry decided.
const (
	RuleDefaultDeny = "default-deny"
	RuleIPLiteral   = "ip-literal-not-listed"
	RuleBadRequest  = "bad-request"
	RuleAuth        = "proxy-auth-required"
)

// File is the decoded YAML.
type File struct {
	Version int                  `yaml:"version"`
	Default string               `yaml:"default"`
	Clients map[string]RawClient `yaml:"clients"`
	Entries map[string]RawEntry  `yaml:"entries"`
}

// RawClient is a named client class as written.
type RawClient struct {
	Sources []string `yaml:"sources"`
	Users   []User   `yaml:"users"`
}

// User is a proxy credential; only the password's SHA-256 is stored.
type User struct {
	User           string `yaml:"user"`
	PasswordSHA256 string `yaml:"password_sha256"`
}

// RawEntry is one named entry as written.
type RawEntry struct {
	Description   string   `yaml:"description"`
	Hosts         []string `yaml:"hosts"`
	Ports         []int    `yaml:"ports"`
	Schemes       []string `yaml:"schemes"`
	Paths         []string `yaml:"paths"`
	Mode          string   `yaml:"mode"`
	Clients       []string `yaml:"clients"`
	AllowNetworks []string `yaml:"allow_networks"`
}

// Entry is a compiled entry.
type Entry struct {
	Name          string
	Hosts         []string // normalised
	Ports         map[int]bool
	Schemes       map[string]bool
	Paths         []string
	Mode          string
	Clients       []string
	AllowNetworks []netip.Prefix
	Line          int
	allowed       string // the Reason of an allow, built once
}

type client struct {
	name    string
	sources []netip.Prefix
	users   map[string][]byte // user -> sha256(password)
}

// Policy is a compiled, immutable policy. Safe for concurrent use.
type Policy struct {
	// Hash is the SHA-256 of the file's bytes, which the admin endpoint
	// serves so `clawgov audit --deep` can tell which policy is live.
	Hash    string
	Source  string
	entries []*Entry
	exact   map[string][]*Entry // host -> entries (sorted by name)
	wild    map[string][]*Entry // parent of "*.parent" -> entries
	clients map[string]*client
	// needAuth: some client class is defined by credential only.
	needAuth bool
}

// Load reads and compiles a policy file.
func Load(path string) (*Policy, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// ReadFile reads a policy file's bytes (bounded by MaxSize) without
// parsing them; with HashOf, a watcher compares them to the live policy's
// Hash and parses only a file that changed.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open egress policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read egress policy %s: %w", path, err)
	}
	if len(data) > MaxSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	return data, nil
}

// HashOf is the Hash a policy parsed from data has.
func HashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Parse validates and compiles data read from name.
func Parse(name string, data []byte) (*Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: name, Msg: "empty policy (a policy needs version: 1 and entries)"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: name, Line: root.Line, Msg: "must be a mapping with version and entries"}
	}
	if vs, err := policySchema().Validate(root); err != nil {
		var se *yamlschema.StructureError
		if errors.As(err, &se) {
			return nil, &Error{File: name, Line: se.Line, Msg: se.Msg}
		}
		return nil, &Error{File: name, Line: root.Line, Msg: err.Error()}
	} else if len(vs) > 0 {
		line, msg := yamlschema.Summary(vs)
		return nil, &Error{File: name, Line: line, Msg: msg}
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, yamlError(name, err)
	}
	p, err := compile(name, root, &f)
	if err != nil {
		return nil, err
	}
	p.Hash = HashOf(data)
	return p, nil
}

func yamlError(name string, err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	} else if strings.HasPrefix(msg, "unmarshal errors:") {
		rest := strings.TrimSpace(strings.TrimPrefix(msg, "unmarshal errors:"))
		if _, e := fmt.Sscanf(rest, "line %d:", &line); e == nil {
			if i := strings.Index(rest, ": "); i >= 0 {
				msg = rest[i+2:]
			}
		}
	}
	return &Error{File: name, Line: line, Msg: msg}
}

// policySchema is the compiled schema/egress-policy.schema.json.
var policySchema = sync.OnceValue(func() *yamlschema.Schema {
	s, err := yamlschema.Compile(schema.EgressPolicy, yamlschema.Options{})
	if err != nil {
		panic(fmt.Sprintf("embedded egress policy schema: %v", err)) // build defect, caught by go test
	}
	return s
})

// entryLines maps entry names (and clients) to their lines.
func keyLines(root *yaml.Node, key string) map[string]int {
	out := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != key {
			continue
		}
		m := root.Content[i+1]
		for j := 0; j+1 < len(m.Content); j += 2 {
			out[m.Content[j].Value] = m.Content[j].Line
		}
	}
	return out
}

func compile(name string, root *yaml.Node, f *File) (*Policy, error) {
	p := &Policy{
		Source:  name,
		exact:   map[string][]*Entry{},
		wild:    map[string][]*Entry{},
		clients: map[string]*client{},
	}
	clientLines := keyLines(root, "clients")
	for cname, c := range f.Clients {
		cl := &client{name: cname, users: map[string][]byte{}}
		for _, s := range c.Sources {
			pf, err := parsePrefix(s)
			if err != nil {
				return nil, &Error{File: name, Line: clientLines[cname], Msg: fmt.Sprintf("clients.%s.sources: %v", cname, err)}
			}
			cl.sources = append(cl.sources, pf)
		}
		for _, u := range c.Users {
			h, _ := hex.DecodeString(u.PasswordSHA256)
			cl.users[u.User] = h
			p.needAuth = true
		}
		p.clients[cname] = cl
	}
	lines := keyLines(root, "entries")
	names := make([]string, 0, len(f.Entries))
	for n := range f.Entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, en := range names {
		raw := f.Entries[en]
		line := lines[en]
		fail := func(format string, args ...any) error {
			return &Error{File: name, Line: line, Msg: fmt.Sprintf("entries.%s: ", en) + fmt.Sprintf(format, args...)}
		}
		e := &Entry{Name: en, Ports: map[int]bool{}, Schemes: map[string]bool{}, Mode: raw.Mode, Line: line, Paths: raw.Paths, Clients: raw.Clients, allowed: "allowed by entry " + en}
		if e.Mode == "" {
			e.Mode = ModeEnforce
		}
		ports := raw.Ports
		if len(ports) == 0 {
			ports = []int{443}
		}
		for _, pt := range ports {
			e.Ports[pt] = true
		}
		schemes := raw.Schemes
		if len(schemes) == 0 {
			schemes = []string{"https"}
		}
		for _, s := range schemes {
			e.Schemes[s] = true
		}
		if len(raw.Paths) > 0 && !e.Schemes["http"] {
			return nil, fail("paths apply to plain http only, and schemes does not list http")
		}
		for _, c := range raw.Clients {
			if _, ok := p.clients[c]; !ok {
				return nil, fail("unknown client %q (define it under clients)", c)
			}
		}
		for _, s := range raw.AllowNetworks {
			pf, err := parsePrefix(s)
			if err != nil {
				return nil, fail("allow_networks: %v", err)
			}
			e.AllowNetworks = append(e.AllowNetworks, pf)
		}
		for i, h := range raw.Hosts {
			key, wildcard, err := entryHost(h)
			if err != nil {
				// Point at the host itself, not the entry it belongs to.
				line = lineOf(root, []string{"entries", en, "hosts", strconv.Itoa(i)})
				return nil, fail("host %q: %v", h, err)
			}
			if wildcard {
				p.wild[key] = append(p.wild[key], e)
				e.Hosts = append(e.Hosts, "*."+key)
			} else {
				p.exact[key] = append(p.exact[key], e)
				e.Hosts = append(e.Hosts, key)
			}
		}
		p.entries = append(p.entries, e)
	}
	return p, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		pf, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR", s)
		}
		if pf.Masked() != pf {
			return netip.Prefix{}, fmt.Errorf("%q has host bits set (did you mean %s?)", s, pf.Masked())
		}
		return pf, nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR", s)
	}
	ip = ip.Unmap()
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// entryHost validates one hosts[] item: an exact name, "*.parent" (one
// first label, never the apex, parent of at least two labels so "*.com"
// cannot allow a TLD), or an IP literal. URLs, ports and other globs are
// refused: OpenClaw's own validator accepts "*", "*.com" and URLs there,
// and "*.com" then means every .com site.
func entryHost(h string) (key string, wildcard bool, err error) {
	if strings.Contains(h, "://") || strings.ContainsAny(h, "/?#@") {
		return "", false, errors.New("a host, not a URL")
	}
	if strings.HasPrefix(h, "*.") {
		rest := h[2:]
		if strings.Contains(rest, "*") {
			return "", false, errors.New("only the whole first label may be a wildcard")
		}
		n, err := NormalizeHost(rest)
		if err != nil {
			return "", false, err
		}
		if _, e := netip.ParseAddr(n); e == nil {
			return "", false, errors.New("a wildcard over an IP address means nothing")
		}
		if !strings.Contains(n, ".") {
			return "", false, errors.New("a wildcard over a top-level domain allows a whole TLD")
		}
		return n, true, nil
	}
	if strings.Contains(h, "*") {
		return "", false, errors.New("only the whole first label may be a wildcard (*.example.com)")
	}
	if !strings.HasPrefix(h, "[") && strings.Count(h, ":") == 1 {
		return "", false, errors.New("ports go under ports, not in the host")
	}
	n, err := NormalizeHost(h)
	if err != nil {
		return "", false, err
	}
	return n, false, nil
}

// Entries returns the compiled entries sorted by name.
func (p *Policy) Entries() []*Entry { return p.entries }

// NeedsAuth reports whether some client class is defined by credential,
// so the proxy should ask clients without one to authenticate.
func (p *Policy) NeedsAuth() bool { return p.needAuth }

// Hostnames returns every host pattern of enforce-or-audit entries, sorted
// and unique, in the syntax OpenClaw's allowedHostnames takes.
func (p *Policy) Hostnames() []string {
	set := map[string]bool{}
	for _, e := range p.entries {
		for _, h := range e.Hosts {
			set[h] = true
		}
	}
	out := make([]string, 0, len(set))
	for h := range set {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// Ports returns the union of listed ports, sorted.
func (p *Policy) Ports() []int {
	set := map[int]bool{}
	for _, e := range p.entries {
		for pt := range e.Ports {
			set[pt] = true
		}
	}
	out := make([]int, 0, len(set))
	for pt := range set {
		out = append(out, pt)
	}
	slices.Sort(out)
	return out
}

// ClientID identifies who sent a request.
type ClientID struct {
	Addr netip.Addr
	// User and Password come from Proxy-Authorization (Basic), if any.
	User, Password string
}

// Decision is the outcome for one request.
type Decision struct {
	Outcome string // Allow, Deny or Audit
	Rule    string // entry name, or one of the Rule* constants
	Reason  string // one line for people and the block page
	entry   *Entry
}

// Allowed reports whether the request may proceed (Allow or Audit).
func (d Decision) Allowed() bool { return d.Outcome == Allow || d.Outcome == Audit }

// Entry returns the entry that decided, or nil.
func (d Decision) Entry() *Entry { return d.entry }

// Decide matches a normalised target. The lookup is one map probe for the
// exact host and one for its parent, whatever the size of the policy.
// The hard-block check on the address dialled is separate (CheckIP),
// because only the proxy knows what a name resolved to.
func (p *Policy) Decide(c ClientID, t Target) Decision {
	cands := p.exact[t.Host]
	if i := strings.IndexByte(t.Host, '.'); i > 0 && !t.IP.IsValid() {
		if w := p.wild[t.Host[i+1:]]; len(w) > 0 {
			cands = append(slices.Clip(cands), w...)
		}
	}
	if len(cands) == 0 {
		if t.IP.IsValid() {
			return Decision{Outcome: Deny, Rule: RuleIPLiteral, Reason: "IP-literal destinations are refused unless an entry lists the address"}
		}
		return Decision{Outcome: Deny, Rule: RuleDefaultDeny, Reason: "no entry lists host " + t.Host}
	}
	var audit *Entry
	var why string
	for _, e := range cands {
		reason := e.mismatch(p, c, t)
		if reason == "" {
			why := e.allowed
			if why == "" {
				why = "allowed by entry " + e.Name
			}
			return Decision{Outcome: Allow, Rule: e.Name, Reason: why, entry: e}
		}
		if why == "" {
			why = reason
		}
		if e.Mode == ModeAudit && audit == nil {
			audit = e
			why = reason
		}
	}
	if audit != nil {
		return Decision{Outcome: Audit, Rule: audit.Name, Reason: "audit-only entry " + audit.Name + " would refuse: " + why, entry: audit}
	}
	return Decision{Outcome: Deny, Rule: cands[0].Name, Reason: why, entry: cands[0]}
}

func (e *Entry) mismatch(p *Policy, c ClientID, t Target) string {
	if !e.Ports[t.Port] {
		return fmt.Sprintf("entry %s does not list port %d", e.Name, t.Port)
	}
	switch t.Scheme {
	case "connect":
		// A tunnel carries https, ws or wss; plain http through CONNECT
		// (what OpenClaw's Node side sends) is allowed only where no path
		// limit applies, because the proxy cannot see paths in a tunnel.
		if !e.Schemes["https"] && !e.Schemes["wss"] && !e.Schemes["ws"] && !(e.Schemes["http"] && len(e.Paths) == 0) {
			return fmt.Sprintf("entry %s does not allow tunnels (CONNECT)", e.Name)
		}
	case "http":
		if !e.Schemes["http"] {
			return fmt.Sprintf("entry %s does not allow plain http", e.Name)
		}
		if len(e.Paths) > 0 && !pathAllowed(e.Paths, t.Path) {
			return fmt.Sprintf("entry %s does not list path %s", e.Name, clip(t.Path))
		}
	default:
		return "unknown scheme " + t.Scheme
	}
	if len(e.Clients) > 0 && !p.clientMatches(e.Clients, c) {
		return fmt.Sprintf("entry %s does not apply to this client", e.Name)
	}
	return ""
}

// pathAllowed matches prefixes on segment boundaries: "/api" allows
// "/api" and "/api/x" but not "/apix". Dot segments are refused so
// "/api/../admin" cannot pass as "/api".
func pathAllowed(prefixes []string, path string) bool {
	for _, seg := range strings.Split(path, "/") {
		if seg == ".." || seg == "." || strings.EqualFold(seg, "%2e%2e") || strings.EqualFold(seg, "%2e") {
			return false
		}
	}
	for _, pre := range prefixes {
		if path == pre || strings.HasSuffix(pre, "/") && strings.HasPrefix(path, pre) ||
			strings.HasPrefix(path, pre) && len(path) > len(pre) && path[len(pre)] == '/' {
			return true
		}
	}
	return false
}

func (p *Policy) clientMatches(names []string, c ClientID) bool {
	for _, n := range names {
		cl := p.clients[n]
		if cl == nil {
			continue
		}
		if len(cl.sources) > 0 && c.Addr.IsValid() {
			for _, s := range cl.sources {
				if s.Contains(c.Addr.Unmap()) {
					return true
				}
			}
		}
		if want, ok := cl.users[c.User]; ok && c.User != "" {
			got := sha256.Sum256([]byte(c.Password))
			if subtle.ConstantTimeCompare(want, got[:]) == 1 {
				return true
			}
		}
	}
	return false
}

// CheckIP applies the hard blocks to an address the proxy is about to
// dial for decision d. It returns "" when the dial may go ahead, else the
// hard-block category.
func CheckIP(d Decision, ip netip.Addr) string {
	reason := HardBlock(ip)
	if reason == "" {
		return ""
	}
	if d.entry != nil {
		for _, n := range d.entry.AllowNetworks {
			if n.Contains(ip.Unmap()) {
				return ""
			}
		}
	}
	return reason
}
