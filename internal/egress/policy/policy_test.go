package policy

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testPolicy = `version: 1
clients:
  browser:
    sources: [127.0.0.1/32, "::1"]
  gw:
    users:
      - user: gw
        password_sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
entries:
  docs:
    hosts: [docs.example.com, "*.cdn.example.com", "bücher.example"]
    ports: [443]
    schemes: [https, wss]
  plain:
    hosts: [plain.example.com]
    ports: [80, 8080]
    schemes: [http]
    paths: [/api, /static/]
  tunnel-http:
    hosts: [fetch.example.com]
    ports: [80]
    schemes: [http]
  only-browser:
    hosts: [browser.example.com]
    clients: [browser]
  only-gw:
    hosts: [model.example.com]
    clients: [gw]
  literal:
    hosts: ["93.184.215.14", "[2606:2800:220:1::1]"]
  audit:
    hosts: [news.example.org]
    mode: audit-only
  lan:
    hosts: [wiki.corp.example]
    allow_networks: [10.20.0.0/24]
`

func mustPolicy(t testing.TB) *Policy {
	t.Helper()
	p, err := Parse("test.yaml", []byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNormalizeHost(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"Example.COM", "example.com", ""},
		{"example.com.", "example.com", ""},
		{"example.com..", "", "empty label"},
		{"BÜCHER.example", "xn--bcher-kva.example", ""},
		{"ｅｘａｍｐｌｅ.com", "example.com", ""}, // full-width letters fold
		{"xn--bcher-kva.example", "xn--bcher-kva.example", ""},
		{"[::1]", "::1", ""},
		{"[2001:DB8::1]", "2001:db8::1", ""},
		{"::ffff:10.0.0.1", "10.0.0.1", ""},
		{"[fe80::1%eth0]", "", "forbidden character"},
		{"fe80::1%eth0", "", "forbidden character"},
		{"127.0.0.1", "127.0.0.1", ""},
		{"2130706433", "", "numeric host"},
		{"0x7f.1", "", "numeric host"},
		{"127.1", "", "numeric host"},
		{"a@b.example", "", "forbidden character"},
		{"", "", "empty"},
		{"under_score.example", "", "disallowed rune"},
		{strings.Repeat("a", 64) + ".example", "", "label"},
		{"[1.2.3.4]", "", "not an IPv6"},
	}
	for _, c := range cases {
		got, err := NormalizeHost(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("NormalizeHost(%q) = %q, %v; want error containing %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("NormalizeHost(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestParseTargets(t *testing.T) {
	abs := []struct{ uri, host, want, err string }{
		{"http://Plain.Example.com./api/x", "", "http plain.example.com:80 /api/x", ""},
		{"http://plain.example.com:8080/", "plain.example.com:8080", "http plain.example.com:8080 /", ""},
		{"http://plain.example.com", "", "http plain.example.com:80 /", ""},
		{"http://[::1]:81/", "", "http ::1:81 /", ""},
		{"http://allowed.example@evil.example/", "", "", "userinfo"},
		{"http://allowed.example:x@evil.example/", "", "", "userinfo"},
		{"http://plain.example.com/", "evil.example", "", "does not match"},
		{"http://plain.example.com/", "plain.example.com:81", "", "does not match"},
		{"http://plain.example.com/", "PLAIN.example.com.", "http plain.example.com:80 /", ""},
		{"https://plain.example.com/", "", "", "use CONNECT"},
		{"/relative", "plain.example.com", "", "absolute http"},
		{"ftp://x.example/", "", "", "scheme ftp"},
		{"http://x.example:0/", "", "", "bad port"},
		{"http://x.example:65536/", "", "", "bad port"},
		{"http://x.example:+80/", "", "", "port"},
		{"http://x.example:080/", "", "", "bad port"},
		{"http://::1/", "", "", ""}, // url.Parse rejects or we do
	}
	for _, c := range abs {
		tg, err := ParseAbsolute(c.uri, c.host)
		if c.want == "" {
			if err == nil {
				t.Errorf("ParseAbsolute(%q, %q) = %+v, want error", c.uri, c.host, tg)
			} else if c.err != "" && !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseAbsolute(%q) error %q, want %q", c.uri, err, c.err)
			}
			continue
		}
		got := fmt.Sprintf("%s %s:%d %s", tg.Scheme, tg.Host, tg.Port, tg.Path)
		if err != nil || got != c.want {
			t.Errorf("ParseAbsolute(%q, %q) = %q, %v; want %q", c.uri, c.host, got, err, c.want)
		}
	}
	conn := []struct{ in, want, err string }{
		{"docs.example.com:443", "docs.example.com:443", ""},
		{"DOCS.example.com.:443", "docs.example.com:443", ""},
		{"[2001:db8::1]:443", "[2001:db8::1]:443", ""},
		{"docs.example.com", "", "port required"},
		{"allowed.example@evil.example:443", "", "userinfo"},
		{"2001:db8::1:443", "", "without brackets"},
		{"docs.example.com:", "", "empty port"},
		{"[::1]x:443", "", "junk"},
	}
	for _, c := range conn {
		tg, err := ParseConnect(c.in)
		if c.want == "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseConnect(%q) = %+v, %v; want error %q", c.in, tg, err, c.err)
			}
			continue
		}
		if err != nil || tg.Authority() != c.want || tg.Scheme != "connect" {
			t.Errorf("ParseConnect(%q) = %q, %v; want %q", c.in, tg.Authority(), err, c.want)
		}
	}
}

func TestDecide(t *testing.T) {
	p := mustPolicy(t)
	local := ClientID{Addr: netip.MustParseAddr("127.0.0.1")}
	remote := ClientID{Addr: netip.MustParseAddr("192.0.2.7")}
	gw := ClientID{Addr: netip.MustParseAddr("192.0.2.7"), User: "gw", Password: "password"}
	gwBad := ClientID{Addr: netip.MustParseAddr("192.0.2.7"), User: "gw", Password: "guess"}
	type tc struct {
		name    string
		client  ClientID
		connect string // CONNECT authority, or
		uri     string // absolute-form
		out     string
		rule    string
	}
	cases := []tc{
		{"exact https", local, "docs.example.com:443", "", Allow, "docs"},
		{"mixed case + trailing dot", local, "DoCs.Example.COM.:443", "", Allow, "docs"},
		{"unlisted port", local, "docs.example.com:22", "", Deny, "docs"},
		{"unlisted host", local, "evil.example:443", "", Deny, RuleDefaultDeny},
		{"wildcard one label", local, "img.cdn.example.com:443", "", Allow, "docs"},
		{"wildcard not apex", local, "cdn.example.com:443", "", Deny, RuleDefaultDeny},
		{"wildcard not two labels", local, "a.b.cdn.example.com:443", "", Deny, RuleDefaultDeny},
		{"suffix is not a match", local, "xdocs.example.com:443", "", Deny, RuleDefaultDeny},
		{"IDN unicode", local, "BÜCHER.example:443", "", Allow, "docs"},
		{"IDN punycode", local, "xn--bcher-kva.example:443", "", Allow, "docs"},
		{"plain http path allowed", local, "", "http://plain.example.com/api/v1", Allow, "plain"},
		{"plain http exact path", local, "", "http://plain.example.com/api", Allow, "plain"},
		{"plain http prefix is a segment", local, "", "http://plain.example.com/apix", Deny, "plain"},
		{"plain http dir prefix", local, "", "http://plain.example.com/static/a.css", Allow, "plain"},
		{"plain http dot segments", local, "", "http://plain.example.com/api/../admin", Deny, "plain"},
		{"plain http encoded dot segments", local, "", "http://plain.example.com/api/%2e%2e/admin", Deny, "plain"},
		{"plain http other path", local, "", "http://plain.example.com/admin", Deny, "plain"},
		{"plain http second port", local, "", "http://plain.example.com:8080/api", Allow, "plain"},
		{"CONNECT to http entry with paths", local, "plain.example.com:80", "", Deny, "plain"},
		{"CONNECT to http entry without paths", local, "fetch.example.com:80", "", Allow, "tunnel-http"},
		{"http to https-only entry", local, "", "http://docs.example.com:443/", Deny, "docs"},
		{"client by source", local, "browser.example.com:443", "", Allow, "only-browser"},
		{"client by source refused", remote, "browser.example.com:443", "", Deny, "only-browser"},
		{"client by credential", gw, "model.example.com:443", "", Allow, "only-gw"},
		{"client bad password", gwBad, "model.example.com:443", "", Deny, "only-gw"},
		{"IPv4 literal unlisted", local, "93.184.215.15:443", "", Deny, RuleIPLiteral},
		{"IPv4 literal listed", local, "93.184.215.14:443", "", Allow, "literal"},
		{"IPv6 literal listed", local, "[2606:2800:220:1:0:0:0:1]:443", "", Allow, "literal"},
		{"IPv6 literal unlisted", local, "[2606:2800:220:1::2]:443", "", Deny, RuleIPLiteral},
		{"mapped IPv6 literal of listed v4", local, "[::ffff:93.184.215.14]:443", "", Allow, "literal"},
		{"audit-only mismatch", local, "news.example.org:8443", "", Audit, "audit"},
		{"audit-only match", local, "news.example.org:443", "", Allow, "audit"},
		{"userinfo trick", local, "", "http://plain.example.com@evil.example/api", "error", ""},
		{"host header mismatch", local, "", "http://plain.example.com/api|evil.example", "error", ""},
	}
	for _, c := range cases {
		var tg Target
		var err error
		if c.connect != "" {
			tg, err = ParseConnect(c.connect)
		} else {
			uri, host, _ := strings.Cut(c.uri, "|")
			tg, err = ParseAbsolute(uri, host)
		}
		if c.out == "error" {
			if err == nil {
				t.Errorf("%s: parsed %+v, want refusal", c.name, tg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		d := p.Decide(c.client, tg)
		if d.Outcome != c.out || d.Rule != c.rule {
			t.Errorf("%s: got %s/%s (%s), want %s/%s", c.name, d.Outcome, d.Rule, d.Reason, c.out, c.rule)
		}
	}
}

func TestCheckIP(t *testing.T) {
	p := mustPolicy(t)
	docs := p.Decide(ClientID{}, Target{Scheme: "connect", Host: "docs.example.com", Port: 443})
	lan := p.Decide(ClientID{}, Target{Scheme: "connect", Host: "wiki.corp.example", Port: 443})
	cases := []struct {
		d    Decision
		ip   string
		want string
	}{
		{docs, "93.184.215.14", ""},
		{docs, "10.0.0.5", "private"},
		{docs, "172.16.3.4", "private"},
		{docs, "192.168.1.1", "private"},
		{docs, "127.0.0.1", "loopback"},
		{docs, "127.9.9.9", "loopback"},
		{docs, "::1", "loopback"},
		{docs, "::ffff:127.0.0.1", "loopback"},
		{docs, "169.254.169.254", "cloud-metadata"},
		{docs, "fd00:ec2::254", "cloud-metadata"},
		{docs, "169.254.1.1", "link-local"},
		{docs, "fe80::1", "link-local"},
		{docs, "224.0.0.251", "multicast"},
		{docs, "ff02::1", "multicast"},
		{docs, "0.0.0.0", "unspecified"},
		{docs, "::", "unspecified"},
		{docs, "100.64.0.1", "shared-cgnat"},
		{docs, "fd12:3456::1", "private"},
		{docs, "64:ff9b::a00:5", "nat64"},
		{docs, "2606:4700::1111", ""},
		{lan, "10.20.0.5", ""},
		{lan, "10.20.1.5", "private"},
		{lan, "169.254.169.254", "cloud-metadata"},
		{Decision{}, "10.0.0.1", "private"},
	}
	for _, c := range cases {
		if got := CheckIP(c.d, netip.MustParseAddr(c.ip)); got != c.want {
			t.Errorf("CheckIP(%s, %s) = %q, want %q", c.d.Rule, c.ip, got, c.want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	cases := map[string]string{
		"star.yaml":           `star.yaml:4: entries.a: host "*": only the whole first label may be a wildcard (*.example.com)`,
		"tld-wildcard.yaml":   `tld-wildcard.yaml:4: entries.a: host "*.com": a wildcard over a top-level domain allows a whole TLD`,
		"mid-wildcard.yaml":   `mid-wildcard.yaml:4: entries.a: host "a.*.example.com": only the whole first label may be a wildcard (*.example.com)`,
		"port-zero.yaml":      `port-zero.yaml:5: entries.a.ports.0: minimum: got 0, want 1`,
		"unknown-client.yaml": `unknown-client.yaml:3: entries.a: unknown client "nobody" (define it under clients)`,
		"paths-no-http.yaml":  `paths-no-http.yaml:3: entries.a: paths apply to plain http only, and schemes does not list http`,
		"url-host.yaml":       `url-host.yaml:4: entries.a: host "https://example.com/": a host, not a URL`,
		"host-bits.yaml":      `host-bits.yaml:3: entries.a: allow_networks: "10.0.0.1/8" has host bits set (did you mean 10.0.0.0/8?)`,
		"bad-mode.yaml":       `bad-mode.yaml:5: entries.a.mode: value must be one of 'enforce', 'audit-only'`,
		"unknown-key.yaml":    `unknown-key.yaml:3: entries.a: additional properties 'prots' not allowed`,
		"malformed.yaml":      `malformed.yaml:2: did not find expected ',' or '}'`,
		"default-allow.yaml":  `default-allow.yaml:2: default: value must be 'deny'`,
		"host-port.yaml":      `host-port.yaml:4: entries.a: host "example.com:443": ports go under ports, not in the host`,
		"alias.yaml":          `alias.yaml:5: YAML aliases are not allowed here`,
		"not-mapping.yaml":    `not-mapping.yaml:1: must be a mapping with version and entries`,
		"space-host.yaml":     `space-host.yaml:4: entries.a: host "ex ample.com": bad host: "ex ample.com": forbidden character`,
	}
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(files) != len(cases) {
		t.Errorf("%d invalid fixtures, %d expectations", len(files), len(cases))
	}
	for file, want := range cases {
		data, err := os.ReadFile(filepath.Join("testdata/invalid", file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse(file, data)
		if err == nil || err.Error() != want {
			t.Errorf("%s:\n got %v\nwant %s", file, err, want)
		}
	}
}

func TestExamplesValidate(t *testing.T) {
	files, err := filepath.Glob("../../../examples/egress/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		p, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(p.Entries()) == 0 || len(p.Hash) != 64 {
			t.Errorf("%s: %d entries, hash %q", f, len(p.Entries()), p.Hash)
		}
		// Every example is default deny: an unlisted host is refused.
		d := p.Decide(ClientID{Addr: netip.MustParseAddr("127.0.0.1")}, Target{Scheme: "connect", Host: "unlisted.invalid", Port: 443})
		if d.Outcome != Deny {
			t.Errorf("%s: unlisted host %s", f, d.Outcome)
		}
	}
}

func TestHostnamesAndPorts(t *testing.T) {
	p := mustPolicy(t)
	h := p.Hostnames()
	if h[0] != "*.cdn.example.com" || !contains(h, "xn--bcher-kva.example") || !contains(h, "2606:2800:220:1::1") {
		t.Fatalf("hostnames %v", h)
	}
	if got := fmt.Sprint(p.Ports()); got != "[80 443 8080]" {
		t.Fatalf("ports %s", got)
	}
	if !p.NeedsAuth() {
		t.Fatal("NeedsAuth false with a credential client")
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestLookupIndependentOfSize checks the structure, not the clock: with
// 10,000 entries a decision still probes exactly two maps, so the
// candidates considered for a host are those naming it.
func TestLookupIndependentOfSize(t *testing.T) {
	p := bigPolicy(t, 10000)
	if n := len(p.exact) + len(p.wild); n != 10000 {
		t.Fatalf("%d keys", n)
	}
	d := p.Decide(ClientID{}, Target{Scheme: "connect", Host: "a.site9999.example", Port: 443})
	if d.Outcome != Allow || d.Rule != "e09999" {
		t.Fatalf("decision %+v", d)
	}
	if got := len(p.exact["site4242.example"]); got != 1 {
		t.Fatalf("candidates %d", got)
	}
}

func bigPolicy(t testing.TB, n int) *Policy {
	var b strings.Builder
	b.WriteString("version: 1\nentries:\n")
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			fmt.Fprintf(&b, "  e%05d: {hosts: [site%d.example], ports: [443, 80], schemes: [https, http]}\n", i, i)
		} else {
			fmt.Fprintf(&b, "  e%05d: {hosts: [\"*.site%d.example\"], ports: [443, 80], schemes: [https, http]}\n", i, i)
		}
	}
	p, err := Parse("big.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func BenchmarkDecide10k(b *testing.B) {
	p := bigPolicy(b, 10000)
	tg, _ := ParseConnect("a.site7777.example:443")
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Decide(ClientID{}, tg); !d.Allowed() {
			b.Fatal(d)
		}
	}
}

func BenchmarkDecide10(b *testing.B) {
	p := bigPolicy(b, 10)
	tg, _ := ParseConnect("a.site7.example:443")
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Decide(ClientID{}, tg); !d.Allowed() {
			b.Fatal(d)
		}
	}
}
