// Package wiring renders the settings that make the egress proxy
// mandatory: the managed Chromium policy, the OpenClaw settings that go
// with it, and the nftables rules that confine the service user. Pure
// functions of their inputs, so the text is golden-tested.
package wiring

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// ChromiumPolicyPath is where Debian Chromium reads managed policies.
const ChromiumPolicyPath = "/etc/chromium/policies/managed/clawgov-egress.json"

// ProxyURL validates a proxy address for the browser: http://IP:port on
// loopback or a private network. A name would need DNS before the proxy
// and a public address would send the browser's traffic off the host.
func ProxyURL(raw string) (*url.URL, netip.AddrPort, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("proxy URL %q: %w", raw, err)
	}
	if u.Scheme != "http" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, netip.AddrPort{}, fmt.Errorf("proxy URL %q: want http://IP:PORT (no credentials, path or query)", raw)
	}
	ap, err := netip.ParseAddrPort(u.Host)
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("proxy URL %q: host must be an IP address with a port", raw)
	}
	if !ap.Addr().IsLoopback() && !ap.Addr().IsPrivate() {
		return nil, netip.AddrPort{}, fmt.Errorf("proxy URL %q: the proxy must be on loopback or a private address", raw)
	}
	return &url.URL{Scheme: "http", Host: u.Host}, ap, nil
}

// ChromiumOptions add optional layers to the managed policy.
type ChromiumOptions struct {
	// NavigationAllowlist, when set, adds URLBlocklist ["*"] plus
	// URLAllowlist for these hosts: a readable error in the browser for
	// top-level navigation, not an egress control (sub-resources, fetch,
	// WebSocket and WebRTC ignore it).
	NavigationAllowlist []string
}

// ChromiumPolicy returns the managed policy JSON. ProxySettings wins over
// OpenClaw's --no-proxy-server and any --proxy-* flag; "<-loopback>"
// removes Chromium's implicit direct route to localhost and 169.254/16;
// WebRtcIPHandling stops STUN/UDP around the proxy; QUIC and DoH off keep
// everything on the proxied TCP path; the rest silences background
// services whose requests would only be denials in the log.
func ChromiumPolicy(proxy *url.URL, o ChromiumOptions) ([]byte, error) {
	p := map[string]any{
		"ProxySettings": map[string]any{
			"ProxyMode":       "fixed_servers",
			"ProxyServer":     proxy.String(),
			"ProxyBypassList": "<-loopback>",
		},
		"WebRtcIPHandling":                     "disable_non_proxied_udp",
		"QuicAllowed":                          false,
		"DnsOverHttpsMode":                     "off",
		"BuiltInDnsClientEnabled":              false,
		"NetworkPredictionOptions":             2,
		"BackgroundModeEnabled":                false,
		"MetricsReportingEnabled":              false,
		"SafeBrowsingExtendedReportingEnabled": false,
		"SearchSuggestEnabled":                 false,
		"SyncDisabled":                         true,
		"BrowserSignin":                        0,
		"ComponentUpdatesEnabled":              false,
		"PromotionalTabsEnabled":               false,
		"DefaultBrowserSettingEnabled":         false,
	}
	if len(o.NavigationAllowlist) > 0 {
		allow := make([]string, 0, len(o.NavigationAllowlist))
		for _, h := range o.NavigationAllowlist {
			// URLAllowlist's host filter: a leading "." means exactly that
			// host; "*.x" in the policy becomes "x" minus the apex, which
			// the filter format cannot say, so it is widened to "x".
			if strings.HasPrefix(h, "*.") {
				allow = append(allow, h[2:])
			} else {
				allow = append(allow, "."+h)
			}
		}
		sort.Strings(allow)
		p["URLBlocklist"] = []string{"*"}
		p["URLAllowlist"] = append(allow, "about:blank")
	}
	return marshal(p)
}

// Setting is one OpenClaw config key and the value the egress chain needs
// there (bool, string or []string).
type Setting struct {
	Key   string
	Value any
}

// OpenClawSettings are the keys of openclaw.json that go with the managed
// policy, in the order they are applied: web_fetch and the gateway's Node
// egress through the proxy, and the browser's strict navigation
// allowlist (explicit false, not unset: only explicit false turns
// allowedHostnames into a list of the only names the agent may navigate
// to). IP literals are left out: OpenClaw takes hostnames there, and the
// proxy judges addresses itself.
func OpenClawSettings(gatewayProxy *url.URL, hosts []string) []Setting {
	names := make([]string, 0, len(hosts))
	for _, h := range hosts {
		if _, err := netip.ParseAddr(h); err == nil {
			continue
		}
		names = append(names, h)
	}
	sort.Strings(names)
	return []Setting{
		{"proxy.enabled", true},
		{"proxy.proxyUrl", gatewayProxy.String()},
		{"proxy.loopbackMode", "gateway-only"},
		{"browser.ssrfPolicy.dangerouslyAllowPrivateNetwork", false},
		{"browser.ssrfPolicy.allowedHostnames", names},
	}
}

// OpenClawConfig is OpenClawSettings as a JSON fragment of openclaw.json.
func OpenClawConfig(gatewayProxy *url.URL, hosts []string) ([]byte, error) {
	root := map[string]any{}
	for _, st := range OpenClawSettings(gatewayProxy, hosts) {
		m := root
		parts := strings.Split(st.Key, ".")
		for _, k := range parts[:len(parts)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = st.Value
	}
	return marshal(root)
}

// FirewallOptions describe the service user's confinement.
type FirewallOptions struct {
	User string
	UID  int
	// ProxyPorts are the loopback ports of the egress proxy.
	ProxyPorts []int
	// GatewayPorts are loopback ports the service itself serves and talks
	// to (gateway, browser control, CDP range), as "N" or "N-M".
	GatewayPorts []string
}

// TableName is the nftables table clawgov owns.
const TableName = "clawgov_egress"

// Nftables returns a ruleset that lets processes of one uid reach only
// loopback proxy and gateway ports: TCP to anything else and every UDP
// packet (WebRTC, QUIC, DNS to the outside) are rejected, IPv4 and IPv6.
// That is what defeats CDP's direct:// contexts, raw sockets and exec'd
// tools, which all run as the same user. The file replaces only its own
// table, so it can be loaded again after an edit.
func Nftables(o FirewallOptions) (string, error) {
	if o.UID < 0 {
		return "", fmt.Errorf("bad uid %d", o.UID)
	}
	if o.UID == 0 {
		return "", fmt.Errorf("user %s is root: confining uid 0 would cut off the host itself; run the service as its own user", o.User)
	}
	if len(o.ProxyPorts) == 0 {
		return "", fmt.Errorf("no proxy port")
	}
	var ports []string
	for _, p := range o.ProxyPorts {
		if p < 1 || p > 65535 {
			return "", fmt.Errorf("bad proxy port %d", p)
		}
		ports = append(ports, strconv.Itoa(p))
	}
	for _, g := range o.GatewayPorts {
		lo, hi, isRange := strings.Cut(g, "-")
		for _, x := range []string{lo, hi} {
			if !isRange && x == hi {
				continue
			}
			n, err := strconv.Atoi(x)
			if err != nil || n < 1 || n > 65535 {
				return "", fmt.Errorf("bad gateway port %q", g)
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# clawgov egress firewall for user %s (uid %d).\n", o.User, o.UID)
	b.WriteString("# Its processes may reach only the egress proxy and the local gateway\n")
	b.WriteString("# ports on loopback; everything else, TCP and UDP, IPv4 and IPv6, is refused.\n")
	b.WriteString("# Load with: nft -f FILE   Remove with: nft delete table inet " + TableName + "\n")
	fmt.Fprintf(&b, "table inet %s\ndelete table inet %s\n", TableName, TableName)
	fmt.Fprintf(&b, "table inet %s {\n", TableName)
	fmt.Fprintf(&b, "\tset proxy_ports {\n\t\ttype inet_service\n\t\telements = { %s }\n\t}\n", strings.Join(ports, ", "))
	if len(o.GatewayPorts) > 0 {
		fmt.Fprintf(&b, "\tset gateway_ports {\n\t\ttype inet_service\n\t\tflags interval\n\t\telements = { %s }\n\t}\n", strings.Join(o.GatewayPorts, ", "))
	}
	b.WriteString("\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n")
	fmt.Fprintf(&b, "\t\tmeta skuid != %d accept\n", o.UID)
	b.WriteString("\t\tct state established,related accept\n")
	b.WriteString("\t\toifname \"lo\" ip daddr 127.0.0.1 tcp dport @proxy_ports accept\n")
	b.WriteString("\t\toifname \"lo\" ip6 daddr ::1 tcp dport @proxy_ports accept\n")
	if len(o.GatewayPorts) > 0 {
		b.WriteString("\t\toifname \"lo\" ip daddr 127.0.0.1 tcp dport @gateway_ports accept\n")
		b.WriteString("\t\toifname \"lo\" ip6 daddr ::1 tcp dport @gateway_ports accept\n")
	}
	b.WriteString("\t\tmeta l4proto tcp counter reject with tcp reset comment \"clawgov-egress: not the proxy\"\n")
	b.WriteString("\t\tcounter reject with icmpx admin-prohibited comment \"clawgov-egress: not the proxy\"\n")
	b.WriteString("\t}\n}\n")
	return b.String(), nil
}

// marshal indents and keeps "<-loopback>" readable (no HTML escaping:
// these files are read by Chromium and people, never embedded in HTML).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
