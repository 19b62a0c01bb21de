package posture

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// This file holds the exposure checks that look at reality rather than
// intent: the gateway's real listening sockets and its helpers', the host
// firewall, and the live gateway seen by the --deep probe. The CG-GW-*
// checks read the config; these never pass on something they could not
// observe. A disk image (--rootfs) has no live state at all: there these
// checks do not apply (skip, "no live host") and the controls rest on the
// config checks. On a live host a socket table that cannot be read is
// manual: the fact exists but was not seen.

func init() {
	register("CG-EXP-001", checkGatewaySockets)
	register("CG-EXP-002", checkConfigVsSockets)
	register("CG-EXP-003", checkHelperPorts)
	register("CG-EXP-004", checkSocketTLS)
	register("CG-EXP-005", checkGatewayFirewall)
	register("CG-EXP-010", checkLiveAuth)
	register("CG-EXP-011", checkLiveOpenAI)
	register("CG-EXP-012", checkLiveTerminal)
	register("CG-EXP-013", checkLiveProbe)
}

// scopeRank orders scopes by how far they reach.
var scopeRank = map[host.Scope]int{host.ScopeLoopback: 0, host.ScopePrivate: 1, host.ScopePublic: 2, host.ScopeWildcard: 3}

// listeners is the observed listener picture of one snapshot.
type listeners struct {
	// why is set when sockets cannot be observed.
	why string
	// port is the configured gateway port and portHow its source.
	port    int
	portHow string
	// main are the gateway's own listening sockets on its main port.
	main []host.Socket
	// mainPort is the port the gateway really listens on (0 if none).
	mainPort int
	// all are every listening socket (for helper ports).
	all []host.Socket
	// gwPIDs are the gateway process IDs.
	gwPIDs map[int]bool
}

func observeListeners(s *Snapshot) listeners {
	l := listeners{gwPIDs: map[int]bool{}}
	l.port, l.portHow = configuredPort(s)
	switch {
	case s == nil || s.Host == nil:
		l.why = "no host facts were gathered"
		return l
	case !s.Host.Live:
		l.why = whyNoLiveHost
		return l
	case !s.Host.Coverage.Sockets:
		l.why = "the kernel's socket table could not be read"
		return l
	}
	for _, p := range s.Host.Processes {
		l.gwPIDs[p.PID] = true
	}
	l.all = s.Host.Sockets
	// Ports held by gateway processes; an unattributable socket on the
	// configured port counts too (another user's or namespace's gateway).
	ports := map[int]bool{}
	for _, sk := range l.all {
		if l.gwPIDs[sk.PID] || (sk.PID == 0 && sk.Port == l.port) {
			ports[sk.Port] = true
		}
	}
	switch {
	case ports[l.port]:
		l.mainPort = l.port
	default:
		// A restart pending or an override: the gateway listens
		// elsewhere. Its main port is the lowest one that is not a
		// helper of another port it holds and not in the CDP range.
		var ps []int
		for p := range ports {
			ps = append(ps, p)
		}
		sort.Ints(ps)
		for _, p := range ps {
			if (ports[p-1] || ports[p-2]) || (p >= 18800 && p <= 18899) {
				continue
			}
			l.mainPort = p
			break
		}
	}
	for _, sk := range l.all {
		if sk.Port == l.mainPort && l.mainPort != 0 && (l.gwPIDs[sk.PID] || sk.PID == 0) {
			l.main = append(l.main, sk)
		}
	}
	sortSockets(l.main)
	return l
}

func sortSockets(ss []host.Socket) {
	sort.Slice(ss, func(i, j int) bool {
		if ss[i].Port != ss[j].Port {
			return ss[i].Port < ss[j].Port
		}
		return ss[i].IP < ss[j].IP
	})
}

func sockScope(sk host.Socket) host.Scope {
	if sk.Scope != "" {
		return sk.Scope
	}
	return host.AddrScope(sk.IP)
}

func sockAddr(sk host.Socket) string {
	return net.JoinHostPort(sk.IP, strconv.Itoa(sk.Port))
}

func sockEvidence(sk host.Socket) finding.Evidence {
	d := fmt.Sprintf("%s %s", sk.Proto, sockScope(sk))
	if sk.PID != 0 {
		d += fmt.Sprintf(" pid %d", sk.PID)
	} else {
		d += " (owner not attributable)"
	}
	return finding.Evidence{Kind: "socket", Value: sockAddr(sk), Detail: d}
}

func pidText(pid int) string {
	if pid == 0 {
		return "?"
	}
	return strconv.Itoa(pid)
}

// exposedMain returns the gateway's main sockets that are not loopback.
func (l listeners) exposedMain() []host.Socket {
	var out []host.Socket
	for _, sk := range l.main {
		if sockScope(sk) != host.ScopeLoopback {
			out = append(out, sk)
		}
	}
	return out
}

// whyNoLiveHost marks listeners of a disk image: not unobserved but absent.
const whyNoLiveHost = "no live host (disk image)"

func notLive(id, why string) []finding.Finding {
	if why == whyNoLiveHost {
		return noLiveHost(id)
	}
	return []finding.Finding{{CheckID: id, Status: finding.Manual, MessageKey: "not_live", Params: map[string]string{"why": why}, MatchKey: "not_live"}}
}

// CG-EXP-001: the gateway's real listeners and their scope.
func checkGatewaySockets(s *Snapshot) []finding.Finding {
	const id = "CG-EXP-001"
	l := observeListeners(s)
	if l.why != "" {
		return notLive(id, l.why)
	}
	if len(l.main) == 0 {
		return []finding.Finding{{CheckID: id, Status: finding.Skip, MessageKey: "not_running", Params: map[string]string{"port": strconv.Itoa(l.port)}}}
	}
	var out []finding.Finding
	for _, sk := range l.exposedMain() {
		sc := sockScope(sk)
		sev := finding.High
		switch sc {
		case host.ScopePublic:
			sev = finding.Critical
		case host.ScopePrivate:
			sev = finding.Medium
		}
		out = append(out, finding.Finding{
			CheckID: id, Status: finding.Fail, Severity: sev, MessageKey: "listening",
			Params:   map[string]string{"pid": pidText(sk.PID), "addr": sockAddr(sk), "scope": string(sc)},
			Evidence: []finding.Evidence{sockEvidence(sk)}, MatchKey: sockAddr(sk),
		})
	}
	return out
}

// configuredPort resolves the gateway port as OpenClaw does: --port on
// the gateway's command line, OPENCLAW_GATEWAY_PORT, gateway.port, a
// named profile's derived port, else 18789.
func configuredPort(s *Snapshot) (int, string) {
	if v, _, ok := cliFlag(s, "port"); ok {
		if p, err := strconv.Atoi(v); err == nil && p > 0 && p <= 65535 {
			return p, "--port"
		}
	}
	if v, ok := envValue(s, "OPENCLAW_GATEWAY_PORT"); ok {
		if p, ok := parsePortEnv(v); ok {
			return p, "OPENCLAW_GATEWAY_PORT"
		}
	}
	if s != nil && s.OC != nil && s.OC.Config != nil {
		if n, ok := s.OC.Config.Get("gateway.port").AsNumber(); ok && n > 0 && n <= 65535 && n == float64(int(n)) {
			return int(n), "gateway.port"
		}
	}
	if s != nil && s.OC != nil {
		prof, _ := envValue(s, "OPENCLAW_PROFILE")
		if prof == "" {
			prof = s.OC.Paths.Profile
		}
		prof = strings.TrimSpace(prof)
		if prof != "" && !strings.EqualFold(prof, "default") && profileRe().MatchString(prof) {
			return profilePort(prof), "profile " + prof
		}
	}
	return 18789, "default"
}

var profileRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^[a-z0-9][a-z0-9_-]{0,63}$`) })

// profilePort is OpenClaw's FNV-1a derived port for a named profile.
func profilePort(profile string) int {
	h := uint32(2166136261)
	for _, b := range []byte(profile) {
		h = (h ^ uint32(b)) * 16777619
	}
	return 20000 + int(h%40000)
}

func parsePortEnv(raw string) (int, bool) {
	v := strings.TrimSpace(raw)
	if i := strings.LastIndex(v, ":"); i >= 0 {
		hostPart := v[:i]
		if strings.Count(hostPart, ":") > 0 && !(strings.HasPrefix(hostPart, "[") && strings.HasSuffix(hostPart, "]")) {
			return 0, false
		}
		v = v[i+1:]
	}
	if v == "" || strings.Trim(v, "0123456789") != "" {
		return 0, false
	}
	p, err := strconv.Atoi(v)
	return p, err == nil && p > 0 && p <= 65535
}

// configuredScope is the scope of the listener the config resolves to.
func configuredScope(b bindState) host.Scope {
	switch b.Host {
	case "tailnet":
		return host.ScopePrivate
	case "0.0.0.0":
		return host.ScopeWildcard
	}
	return host.AddrScope(b.Host)
}

// CG-EXP-002: config and reality disagree.
func checkConfigVsSockets(s *Snapshot) []finding.Finding {
	const id = "CG-EXP-002"
	l := observeListeners(s)
	if l.why != "" {
		return notLive(id, l.why)
	}
	if len(l.main) == 0 {
		return nil // nothing runs: nothing to disagree with (CG-EXP-001 says so)
	}
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	b := resolveBind(s, c)
	how := "gateway.bind " + b.Mode
	if b.Why != "" {
		how += ", " + b.Why
	}
	want := configuredScope(b)
	var out []finding.Finding
	for _, sk := range l.main {
		sc := sockScope(sk)
		params := map[string]string{"configured": b.Host, "how": how, "actual": sockAddr(sk), "scope": string(sc)}
		ev := []finding.Evidence{b.Evidence, sockEvidence(sk)}
		switch {
		case scopeRank[sc] > scopeRank[want]:
			out = append(out, finding.Finding{CheckID: id, Status: finding.Fail, MessageKey: "wider", Params: params, Evidence: ev, MatchKey: "wider " + sockAddr(sk)})
		case scopeRank[sc] < scopeRank[want]:
			// Narrower than configured: not an exposure, but the config
			// does not describe what runs.
			out = append(out, finding.Finding{CheckID: id, Status: finding.Warn, Severity: finding.Low, MessageKey: "different", Params: params, Evidence: ev, MatchKey: "narrower " + sockAddr(sk)})
		case sc != host.ScopeLoopback && sc != host.ScopeWildcard && b.Host != "tailnet" && !sameIP(b.Host, sk.IP):
			out = append(out, finding.Finding{CheckID: id, Status: finding.Warn, Severity: finding.Medium, MessageKey: "different", Params: params, Evidence: ev, MatchKey: "other " + sockAddr(sk)})
		}
	}
	if l.mainPort != l.port {
		out = append(out, finding.Finding{
			CheckID: id, Status: finding.Warn, Severity: finding.Medium, MessageKey: "port",
			Params:   map[string]string{"configured": strconv.Itoa(l.port) + " (" + l.portHow + ")", "actual": strconv.Itoa(l.mainPort)},
			Evidence: []finding.Evidence{c.ev("gateway.port", c.get("gateway.port"), strconv.Itoa(l.port)), sockEvidence(l.main[0])},
			MatchKey: "port",
		})
	}
	return out
}

func sameIP(a, b string) bool {
	x, err1 := netip.ParseAddr(strings.Trim(a, "[]"))
	y, err2 := netip.ParseAddr(strings.Trim(b, "[]"))
	return err1 == nil && err2 == nil && x.Unmap() == y.Unmap()
}

// CG-EXP-003: helper listeners beyond loopback.
func checkHelperPorts(s *Snapshot) []finding.Finding {
	const id = "CG-EXP-003"
	l := observeListeners(s)
	if l.why != "" {
		return notLive(id, l.why)
	}
	base := l.mainPort
	if base == 0 {
		base = l.port
	}
	canvas := 0
	if s.OC != nil && s.OC.Config != nil {
		if n, ok := s.OC.Config.Get("canvasHost.port").AsNumber(); ok && n > 0 && n <= 65535 {
			canvas = int(n)
		}
	}
	role := func(p int) string {
		switch {
		case p == base+1:
			return "MCP apps sandbox (gateway+1)"
		case p == base+2:
			return "browser control (gateway+2)"
		case p >= 18800 && p <= 18899:
			return "browser CDP"
		case canvas != 0 && p == canvas:
			return "canvas host"
		}
		return ""
	}
	var out []finding.Finding
	socks := append([]host.Socket(nil), l.all...)
	sortSockets(socks)
	for _, sk := range socks {
		r := role(sk.Port)
		if r == "" || sockScope(sk) == host.ScopeLoopback {
			continue
		}
		sev := finding.High
		if r == "browser CDP" {
			sev = finding.Critical // remote control of a signed-in browser
		}
		out = append(out, finding.Finding{
			CheckID: id, Status: finding.Fail, Severity: sev, MessageKey: "exposed",
			Params:   map[string]string{"role": r, "addr": sockAddr(sk), "scope": string(sockScope(sk)), "pid": pidText(sk.PID)},
			Evidence: []finding.Evidence{sockEvidence(sk)}, MatchKey: sockAddr(sk),
		})
	}
	return out
}

// CG-EXP-004: network listeners speaking plain HTTP.
func checkSocketTLS(s *Snapshot) []finding.Finding {
	const id = "CG-EXP-004"
	l := observeListeners(s)
	if l.why != "" {
		return notLive(id, l.why)
	}
	exposed := l.exposedMain()
	if len(exposed) == 0 {
		return nil
	}
	var out []finding.Finding
	live := liveGateway(s)
	if live != nil && live.Reachable {
		if live.TLS {
			return nil
		}
		for _, sk := range exposed {
			out = append(out, finding.Finding{CheckID: id, Status: finding.Fail, MessageKey: "plaintext_live",
				Params:   map[string]string{"addr": sockAddr(sk)},
				Evidence: []finding.Evidence{sockEvidence(sk), {Kind: "probe", Value: live.URL, Detail: "answered over plain HTTP"}}, MatchKey: sockAddr(sk)})
		}
		return out
	}
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	if on, _ := c.isTrue("gateway.tls.enabled"); on {
		return nil
	}
	_, v := c.boolean("gateway.tls.enabled", false)
	for _, sk := range exposed {
		out = append(out, finding.Finding{CheckID: id, Status: finding.Fail, MessageKey: "plaintext_config",
			Params:   map[string]string{"addr": sockAddr(sk)},
			Evidence: []finding.Evidence{sockEvidence(sk), c.ev("gateway.tls.enabled", v, display(v))}, MatchKey: sockAddr(sk)})
	}
	return out
}

// CG-EXP-005: the host firewall in front of a network-facing gateway.
func checkGatewayFirewall(s *Snapshot) []finding.Finding {
	const id = "CG-EXP-005"
	l := observeListeners(s)
	if l.why != "" {
		return notLive(id, l.why)
	}
	exposed := l.exposedMain()
	if len(exposed) == 0 {
		return nil
	}
	fw := s.Host.Firewall
	addr := sockAddr(exposed[0])
	sources := strings.Join(fw.Sources, ", ")
	if sources == "" {
		sources = "no firewall configuration found"
	}
	ev := []finding.Evidence{sockEvidence(exposed[0]), {Kind: "firewall", Value: sources,
		Detail: fmt.Sprintf("known=%v active=%v default_drop=%v", fw.Known, fw.Active, fw.DefaultDrop)}}
	if !fw.Known {
		// Unknown stays unknown: a person has to look.
		return []finding.Finding{{CheckID: id, Status: finding.Manual, MessageKey: "unknown", Params: map[string]string{"addr": addr}, Evidence: ev, MatchKey: "unknown"}}
	}
	if !fw.Active {
		return []finding.Finding{{CheckID: id, Status: finding.Fail, MessageKey: "inactive", Params: map[string]string{"addr": addr, "sources": sources}, Evidence: ev, MatchKey: "inactive"}}
	}
	port := l.mainPort
	verdict := fw.PortVerdict(port)
	switch verdict {
	case "deny":
		return nil
	case "allow":
		// An allow restricted to source addresses is what the framework
		// asks for ("限制来源地址").
		restricted := true
		for _, r := range fw.Rules {
			if port >= r.From && port <= r.To && r.Action == "allow" && r.Addr == "" {
				restricted = false
				ev = append(ev, finding.Evidence{Kind: "firewall", File: r.Source, Line: r.Line, Value: fmt.Sprintf("%s allow %d-%d", r.Backend, r.From, r.To)})
			}
		}
		if restricted {
			return nil
		}
	case "":
		if fw.DefaultDrop {
			return nil
		}
		verdict = "accepted by default policy"
	}
	return []finding.Finding{{CheckID: id, Status: finding.Fail, MessageKey: "allowed",
		Params: map[string]string{"addr": addr, "port": strconv.Itoa(port), "verdict": verdict, "sources": sources}, Evidence: ev, MatchKey: "allowed"}}
}

// liveGateway returns the probe result when --deep ran.
func liveGateway(s *Snapshot) *openclaw.LiveGateway {
	if s == nil || !s.Deep || s.OC == nil {
		return nil
	}
	return s.OC.Live
}

func liveParams(lg *openclaw.LiveGateway) map[string]string {
	extras := []string{}
	switch lg.OpenAI {
	case "open":
		extras = append(extras, "openai-endpoints-open")
	case "on":
		extras = append(extras, "openai-endpoints")
	}
	if lg.TerminalEnabled != nil && *lg.TerminalEnabled {
		extras = append(extras, "terminal")
	}
	ex := strings.Join(extras, ", ")
	if ex == "" {
		ex = "none"
	}
	ver, prod := lg.Version, lg.Product
	if ver == "" {
		ver = "unknown"
	}
	if prod == "" {
		prod = "OpenClaw"
	}
	return map[string]string{"target": lg.URL, "product": prod, "version": ver, "auth": lg.Auth, "extras": ex}
}

func liveEvidence(lg *openclaw.LiveGateway, only string) []finding.Evidence {
	out := []finding.Evidence{{Kind: "probe", Value: lg.URL, Detail: "version " + lg.Version + "; auth " + lg.Auth}}
	for _, e := range lg.Evidence {
		if only == "" || strings.Contains(e, only) {
			out = append(out, finding.Evidence{Kind: "probe", File: lg.URL, Detail: e})
		}
	}
	return out
}

// liveOr returns the live gateway, or the finding to return instead.
func liveOr(s *Snapshot, id string) (*openclaw.LiveGateway, []finding.Finding) {
	if s.NoLiveHost() {
		return nil, noLiveHost(id)
	}
	lg := liveGateway(s)
	if lg == nil {
		return nil, []finding.Finding{{CheckID: id, Status: finding.Skip, MessageKey: "not_deep"}}
	}
	if !lg.Reachable {
		why := lg.Error
		if why == "" {
			why = "the local gateway did not answer"
		}
		return nil, []finding.Finding{{CheckID: id, Status: finding.Error, MessageKey: "unknown", Params: map[string]string{"why": why}, Evidence: liveEvidence(lg, "")}}
	}
	return lg, nil
}

// CG-EXP-010: the live gateway's auth state.
func checkLiveAuth(s *Snapshot) []finding.Finding {
	const id = "CG-EXP-010"
	lg, fs := liveOr(s, id)
	if lg == nil {
		return fs
	}
	switch lg.Auth {
	case "open":
		return []finding.Finding{{CheckID: id, Status: finding.Fail, MessageKey: "open", Params: liveParams(lg), Target: lg.URL, Evidence: liveEvidence(lg, "/tools/invoke")}}
	case "required":
		return nil
	}
	return []finding.Finding{{CheckID: id, Status: finding.Error, MessageKey: "unknown",
		Params: map[string]string{"why": "POST /tools/invoke {} gave neither the open nor the authenticated answer"}, Evidence: liveEvidence(lg, "/tools/invoke")}}
}

// CG-EXP-011: the live OpenAI-compatible endpoints.
func checkLiveOpenAI(s *Snapshot) []finding.Finding {
	const id = "CG-EXP-011"
	lg, fs := liveOr(s, id)
	if lg == nil {
		return fs
	}
	switch lg.OpenAI {
	case "open":
		return []finding.Finding{{CheckID: id, Status: finding.Fail, MessageKey: "open", Params: liveParams(lg), Target: lg.URL, Evidence: liveEvidence(lg, "/v1/models")}}
	case "on":
		return []finding.Finding{{CheckID: id, Status: finding.Warn, Severity: finding.Medium, MessageKey: "on", Params: liveParams(lg), Target: lg.URL, Evidence: liveEvidence(lg, "/v1/models")}}
	case "off":
		return nil
	}
	return []finding.Finding{{CheckID: id, Status: finding.Error, MessageKey: "unknown",
		Params: map[string]string{"why": "GET /v1/models gave no recognisable answer"}, Evidence: liveEvidence(lg, "/v1/models")}}
}

// CG-EXP-012: the live browser-terminal flag.
func checkLiveTerminal(s *Snapshot) []finding.Finding {
	const id = "CG-EXP-012"
	lg, fs := liveOr(s, id)
	if lg == nil {
		return fs
	}
	if !lg.ControlUI {
		return []finding.Finding{{CheckID: id, Status: finding.Skip, MessageKey: "no_ui"}}
	}
	if lg.TerminalEnabled == nil {
		return []finding.Finding{{CheckID: id, Status: finding.Error, MessageKey: "unknown",
			Params: map[string]string{"why": "the Control UI page carries no terminal flag"}, Evidence: liveEvidence(lg, "GET / ")}}
	}
	if *lg.TerminalEnabled {
		return []finding.Finding{{CheckID: id, Status: finding.Warn, MessageKey: "enabled", Params: liveParams(lg), Target: lg.URL, Evidence: liveEvidence(lg, "GET / ")}}
	}
	return nil
}

// CG-EXP-013: the probe itself, with the live version as evidence.
func checkLiveProbe(s *Snapshot) []finding.Finding {
	const id = "CG-EXP-013"
	if s.NoLiveHost() {
		return noLiveHost(id)
	}
	lg := liveGateway(s)
	if lg == nil {
		return []finding.Finding{{CheckID: id, Status: finding.Skip, MessageKey: "not_deep"}}
	}
	if !lg.Reachable {
		why := lg.Error
		if why == "" {
			why = "the local gateway did not answer"
		}
		return []finding.Finding{{CheckID: id, Status: finding.Error, MessageKey: "unreachable", Params: map[string]string{"why": why}, Evidence: liveEvidence(lg, "")}}
	}
	return []finding.Finding{{CheckID: id, Status: finding.Pass, MessageKey: "answered", Params: liveParams(lg), Target: lg.URL, Evidence: liveEvidence(lg, "")}}
}
