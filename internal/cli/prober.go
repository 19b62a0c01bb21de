package cli

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/probe"
	"github.com/clawgov/clawgov/internal/version"
)

// defaultProber probes the local gateway for --deep: the port OpenClaw
// itself would use, on 127.0.0.1 and then ::1 only. It never looks
// anywhere but loopback, whatever the config binds.
func defaultProber(ctx context.Context, inv *openclaw.Inventory) *openclaw.LiveGateway {
	return probeLocal(ctx, inv, nil, 3*time.Second)
}

func probeLocal(ctx context.Context, inv *openclaw.Inventory, dial probe.DialFunc, timeout time.Duration) *openclaw.LiveGateway {
	port, how := gatewayPort(inv)
	if inv != nil && inv.Rootfs != "" {
		// Whatever answers on this host's loopback is not the gateway of
		// the disk image under audit: probing it would mix up hosts.
		return &openclaw.LiveGateway{URL: "http://127.0.0.1:" + strconv.Itoa(port) + "/",
			Error: "--deep probes this host's loopback, which does not run the gateway of the audited --rootfs"}
	}
	p := &probe.Prober{Dial: dial, Timeout: timeout, UserAgent: "clawgov-audit/" + version.Version}
	var first *openclaw.LiveGateway
	for _, a := range []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()} {
		r := p.Probe(ctx, a, port, "")
		lg := liveFromResult(r)
		if how != "" {
			lg.Evidence = append([]string{"port " + strconv.Itoa(port) + " from " + how}, lg.Evidence...)
		}
		if lg.Reachable {
			return lg
		}
		if first == nil {
			first = lg
		}
	}
	return first
}

// liveFromResult maps a probe result onto the inventory's LiveGateway.
func liveFromResult(r probe.Result) *openclaw.LiveGateway {
	scheme := "http"
	if r.TLS {
		scheme = "https"
	}
	lg := &openclaw.LiveGateway{
		URL:             scheme + "://" + net.JoinHostPort(r.Address, strconv.Itoa(r.Port)) + "/",
		Reachable:       r.IsGateway(),
		Version:         r.Version,
		ControlUI:       r.ControlUI,
		TerminalEnabled: r.Terminal,
		WSChallenge:     r.WSChallenge,
		OpenAI:          r.OpenAI,
		TLS:             r.TLS,
		Evidence:        append([]string(nil), r.Evidence...),
	}
	if r.IsGateway() {
		lg.Product = r.Product
	}
	switch r.Auth {
	case probe.AuthOpen:
		lg.Auth = "open"
	case probe.AuthRequired:
		lg.Auth = "required"
	default:
		lg.Auth = "unknown"
	}
	switch r.OpenAI {
	case probe.OpenAIOff:
		f := false
		lg.OpenAIEndpoints = &f
	case probe.OpenAIOn, probe.OpenAIOpen:
		t := true
		lg.OpenAIEndpoints = &t
	}
	if !lg.Reachable {
		lg.Error = r.Error
		if lg.Error == "" {
			lg.Error = "the endpoint answered but is not an OpenClaw gateway"
		}
	}
	return lg
}

var profileNameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^[a-z0-9][a-z0-9_-]{0,63}$`) })

// gatewayPort resolves the port as OpenClaw does (paths-*.mjs
// resolveGatewayPort): OPENCLAW_GATEWAY_PORT ("1234", "host:1234",
// "[v6]:1234"), then gateway.port, then for a named profile an FNV-1a hash
// of its name into 20000-59999, else 18789. how names the source.
func gatewayPort(inv *openclaw.Inventory) (int, string) {
	if inv != nil {
		if p, ok := parseGatewayPortEnv(inv.Env["OPENCLAW_GATEWAY_PORT"]); ok {
			return p, "OPENCLAW_GATEWAY_PORT"
		}
		if inv.Config != nil {
			if n, ok := inv.Config.Get("gateway.port").AsNumber(); ok && n > 0 && n <= 65535 && n == float64(int(n)) {
				return int(n), "gateway.port"
			}
		}
		profile := strings.TrimSpace(inv.Env["OPENCLAW_PROFILE"])
		if profile == "" {
			profile = inv.Paths.Profile
		}
		if profile != "" && !strings.EqualFold(profile, "default") && profileNameRe().MatchString(profile) {
			return ProfilePort(profile), fmt.Sprintf("profile %q", profile)
		}
	}
	return 18789, "default"
}

// ProfilePort is OpenClaw's derived port for a named profile.
func ProfilePort(profile string) int {
	h := uint32(2166136261)
	for _, b := range []byte(profile) {
		h = (h ^ uint32(b)) * 16777619
	}
	return 20000 + int(h%40000)
}

func parseGatewayPortEnv(raw string) (int, bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return 0, false
	}
	digits := func(x string) (int, bool) {
		if x == "" || strings.Trim(x, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 || n > 65535 {
			return 0, false
		}
		return n, true
	}
	if n, ok := digits(s); ok {
		return n, true
	}
	if strings.HasPrefix(s, "[") {
		if i := strings.Index(s, "]:"); i > 1 {
			return digits(s[i+2:])
		}
		return 0, false
	}
	first, last := strings.Index(s, ":"), strings.LastIndex(s, ":")
	if first <= 0 || first != last {
		return 0, false
	}
	return digits(s[first+1:])
}
