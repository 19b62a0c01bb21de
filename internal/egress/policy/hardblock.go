package policy

import "net/netip"

// hardBlocks are the destinations no entry can open by naming a host: a
// proxy that will dial anything a name resolves to is an SSRF gateway into
// the LAN and the cloud metadata service. Only an entry's allow_networks
// lifts them. Order matters only for the reason reported: metadata first.
var hardBlocks = []struct {
	prefix netip.Prefix
	reason string
}{
	{mp("169.254.169.254/32"), "cloud-metadata"},
	{mp("fd00:ec2::254/128"), "cloud-metadata"},
	{mp("100.100.100.200/32"), "cloud-metadata"}, // Alibaba Cloud
	{mp("0.0.0.0/8"), "unspecified"},
	{mp("::/128"), "unspecified"},
	{mp("127.0.0.0/8"), "loopback"},
	{mp("::1/128"), "loopback"},
	{mp("10.0.0.0/8"), "private"},
	{mp("172.16.0.0/12"), "private"},
	{mp("192.168.0.0/16"), "private"},
	{mp("fc00::/7"), "private"},
	{mp("100.64.0.0/10"), "shared-cgnat"},
	{mp("169.254.0.0/16"), "link-local"},
	{mp("fe80::/10"), "link-local"},
	{mp("224.0.0.0/4"), "multicast"},
	{mp("ff00::/8"), "multicast"},
	{mp("192.0.0.0/24"), "reserved"},
	{mp("192.0.2.0/24"), "reserved"},
	{mp("198.18.0.0/15"), "reserved"},
	{mp("198.51.100.0/24"), "reserved"},
	{mp("203.0.113.0/24"), "reserved"},
	{mp("240.0.0.0/4"), "reserved"},
	{mp("2001:db8::/32"), "reserved"},
	{mp("64:ff9b::/96"), "nat64"},
	{mp("64:ff9b:1::/48"), "nat64"},
	{mp("2002::/16"), "6to4"},
	{mp("2001::/32"), "teredo"},
}

func mp(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// HardBlock returns why ip is hard-blocked, or "" when it is a public
// address. IPv4-mapped IPv6 is judged as the IPv4 address it carries.
func HardBlock(ip netip.Addr) string {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return "unspecified"
	}
	if ip.Zone() != "" {
		return "link-local"
	}
	for _, b := range hardBlocks {
		if b.prefix.Contains(ip) {
			return b.reason
		}
	}
	return ""
}
