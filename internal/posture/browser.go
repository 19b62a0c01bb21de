package posture

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"syscall"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/json5"
)

// Browser checks: DO-5 (browser hijacking) and DONT-5 (don't browse
// unverified sites). OpenClaw's browser.ssrfPolicy is an SSRF guard, not an
// egress filter (browser-egress.md §0, §3): a stock install fails DONT-5, a
// strict navigation allowlist is at best a warn, and a pass needs evidence
// outside openclaw.json — a root-owned managed Chromium policy that forces
// a proxy — or no browser at all.

func init() {
	register("CG-BRW-001", lpWrap(checkBRW001))
	register("CG-BRW-002", lpWrap(checkBRW002))
	register("CG-BRW-003", lpWrap(checkBRW003))
	register("CG-BRW-004", lpWrap(checkBRW004))
	register("CG-BRW-005", lpWrap(checkBRW005))
	register("CG-BRW-006", lpWrap(checkBRW006))
	register("CG-BRW-007", lpWrap(checkBRW007))
	register("CG-BRW-008", lpWrap(checkBRW008))
	register("CG-BRW-009", lpWrap(checkBRW009))
	register("CG-BRW-010", lpWrap(checkBRW010))
	register("CG-BRW-011", lpWrap(checkBRW011))
}

// lpBrowserOn reports whether some agent can drive the browser: the
// browser and its plugin are not disabled (browser.enabled defaults to
// true) and at least one scope's tool policy allows the browser tool.
func lpBrowserOn(c conf) (bool, finding.Evidence) {
	if v := c.get("browser.enabled"); v != nil {
		if b, ok := v.AsBool(); ok && !b {
			return false, c.ev("browser.enabled", v, "false")
		}
	}
	if v := c.get("plugins.entries.browser.enabled"); v != nil {
		if b, ok := v.AsBool(); ok && !b {
			return false, c.ev("plugins.entries.browser.enabled", v, "false")
		}
	}
	// A plugins.allow list without "browser" keeps the bundled plugin
	// unloaded unless a root browser block activates it
	// (tools/browser/setup.md, "Missing browser command or tool").
	if al := c.get("plugins.allow"); al != nil && al.Kind == json5.Array && len(al.Elems) > 0 && !lpContains(al.Strings(), "browser") {
		if b := c.get("browser"); b == nil || b.Kind != json5.Object || len(b.Members) == 0 {
			return false, c.ev("plugins.allow", al, display(al))
		}
	}
	for _, a := range lpScopes(c) {
		if lpToolPolicy(c, a).allows("browser") {
			v := c.get("browser.enabled")
			e := c.ev("browser.enabled", v, display(v))
			if v == nil {
				e.Detail = "unset: defaults to true"
			}
			return true, e
		}
	}
	return false, c.ev("tools.deny", c.get("tools.deny"), display(c.get("tools.deny")))
}

func lpSource(e finding.Evidence) string {
	if e.Detail != "" && strings.HasPrefix(e.Detail, "unset") {
		return "default"
	}
	return e.KeyPath
}

// brwPolicy is one managed browser policy file read from the audited root.
type brwPolicy struct {
	File string
	UID  int
	Mode fs.FileMode
	// Proxy settings, from ProxySettings or the older top-level keys.
	ProxyMode, ProxyServer, ProxyBypass string
	WebRTC                              string
	URLBlocklist, URLAllowlist          []string
	Err                                 string
}

// brwPolicyDirs are the managed-policy directories of Chromium-family
// browsers on Linux (browser-egress.md §3 step 3).
var brwPolicyDirs = []string{
	"/etc/chromium/policies/managed",
	"/etc/chromium-browser/policies/managed",
	"/etc/opt/chrome/policies/managed",
	"/etc/brave/policies/managed",
	"/etc/opt/edge/policies/managed",
}

// brwReadPolicies reads managed policies under rootfs through the host
// package's confined reader (symlinks cannot leave the root; size-capped).
// It is a variable so tests can supply policies without root-owned files.
var brwReadPolicies = func(rootfs string) []brwPolicy {
	r, err := host.NewRoot(rootfs)
	if err != nil {
		return []brwPolicy{{File: rootfs, Err: err.Error()}}
	}
	var out []brwPolicy
	for _, dir := range brwPolicyDirs {
		ents, err := r.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				out = append(out, brwPolicy{File: dir, Err: err.Error()})
			}
			continue
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			p := path.Join(dir, e.Name())
			pol := brwPolicy{File: p, UID: -1}
			st, err := r.Stat(p)
			if err != nil {
				pol.Err = err.Error()
				out = append(out, pol)
				continue
			}
			pol.Mode = st.Mode()
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				pol.UID = int(sys.Uid)
			}
			data, err := r.ReadFile(p)
			if err != nil {
				pol.Err = err.Error()
			} else if err := brwParsePolicy(data, &pol); err != nil {
				pol.Err = err.Error()
			}
			out = append(out, pol)
		}
	}
	return out
}

// brwStat describes a path under rootfs (following symlinks inside the
// root): owner and mode. A variable so tests need no root-owned files.
var brwStat = func(rootfs, p string) (int, fs.FileMode, error) {
	st, err := host.Stat(rootfs, p)
	if err != nil {
		return -1, 0, err
	}
	uid := -1
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		uid = int(sys.Uid)
	}
	return uid, st.Mode(), nil
}

// brwWeakBinaries reports configured browser executables that someone
// other than root could replace with a wrapper that drops the managed
// policy (browser-egress.md §3 step 3.4). Paths relative to a home
// directory cannot be judged and are reported too.
func brwWeakBinaries(c conf, rootfs string) []finding.Finding {
	const id = "CG-BRW-001"
	var out []finding.Finding
	check := func(k string, v *json5.Value) {
		p, ok := v.AsString()
		if !ok || strings.TrimSpace(p) == "" {
			return
		}
		e := c.ev(k, v, p)
		if !strings.HasPrefix(p, "/") {
			out = append(out, newFinding(id, finding.Warn, finding.High, "binary_tamperable", kv("path", p, "detail", "relative path"), e))
			return
		}
		uid, mode, err := brwStat(rootfs, p)
		switch {
		case err != nil:
			out = append(out, newFinding(id, finding.Error, finding.Info, "policy_unreadable", kv("file", p, "err", err.Error()), e))
		case uid != 0 || mode.Perm()&0o022 != 0:
			out = append(out, newFinding(id, finding.Warn, finding.High, "binary_tamperable", kv("path", p, "detail", "mode "+fsMode(mode)+" uid "+strconv.Itoa(uid)), e))
		}
	}
	check("browser.executablePath", c.get("browser.executablePath"))
	for _, m := range c.objectMembers("browser.profiles") {
		check("browser.profiles."+m.Key+".executablePath", m.Value.Get("executablePath"))
	}
	return out
}

// brwParsePolicy extracts the egress-relevant keys of a Chromium policy.
func brwParsePolicy(data []byte, p *brwPolicy) error {
	var raw struct {
		ProxySettings *struct {
			ProxyMode       string `json:"ProxyMode"`
			ProxyServer     string `json:"ProxyServer"`
			ProxyBypassList string `json:"ProxyBypassList"`
		} `json:"ProxySettings"`
		ProxyMode        string   `json:"ProxyMode"`
		ProxyServer      string   `json:"ProxyServer"`
		ProxyBypassList  string   `json:"ProxyBypassList"`
		WebRtcIPHandling string   `json:"WebRtcIPHandling"`
		URLBlocklist     []string `json:"URLBlocklist"`
		URLAllowlist     []string `json:"URLAllowlist"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	p.ProxyMode, p.ProxyServer, p.ProxyBypass = raw.ProxyMode, raw.ProxyServer, raw.ProxyBypassList
	if ps := raw.ProxySettings; ps != nil {
		p.ProxyMode, p.ProxyServer, p.ProxyBypass = ps.ProxyMode, ps.ProxyServer, ps.ProxyBypassList
	}
	p.WebRTC = raw.WebRtcIPHandling
	p.URLBlocklist, p.URLAllowlist = raw.URLBlocklist, raw.URLAllowlist
	return nil
}

func (p brwPolicy) ev(detail string) finding.Evidence {
	d := "mode " + fsMode(p.Mode) + " uid " + strconv.Itoa(p.UID)
	if detail != "" {
		d += "; " + detail
	}
	return finding.Evidence{Kind: "file", File: p.File, Detail: d}
}

// forcesProxy reports whether the policy pins a fixed proxy server.
func (p brwPolicy) forcesProxy() bool {
	return strings.EqualFold(p.ProxyMode, "fixed_servers") && strings.TrimSpace(p.ProxyServer) != ""
}

// bypassOK: the bypass list must remove Chromium's implicit loopback and
// link-local bypass ("<-loopback>") and add no exceptions of its own.
func (p brwPolicy) bypassOK() bool {
	ok := false
	for _, e := range strings.FieldsFunc(p.ProxyBypass, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		if e == "<-loopback>" {
			ok = true
			continue
		}
		return false
	}
	return ok
}

func (p brwPolicy) urlFilterOnly() bool {
	return lpContains(p.URLBlocklist, "*") && len(p.URLAllowlist) > 0
}

func checkBRW001(s *Snapshot) []finding.Finding {
	const id = "CG-BRW-001"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	on, onEv := lpBrowserOn(c)
	if !on {
		// No agent can drive a browser: DONT-5's browser clause holds, and
		// the evidence says why.
		return []finding.Finding{newFinding(id, finding.Pass, finding.Info, "browser_off", kv("key", onEv.KeyPath), onEv)}
	}
	rootfs := ""
	if s.OC != nil {
		rootfs = s.OC.Rootfs
	}
	// Chromium merges every file in the managed directory, so all of them
	// are judged: one file forcing a proxy proves nothing if another is
	// unreadable, tamperable or sets a different proxy mode.
	var enforcing *brwPolicy
	var problems, urlOnly []finding.Finding
	for _, p := range brwReadPolicies(rootfs) {
		switch {
		case p.Err != "":
			problems = append(problems, newFinding(id, finding.Error, finding.Info, "policy_unreadable", kv("file", p.File, "err", p.Err), p.ev("")))
		case !p.forcesProxy() && !p.urlFilterOnly():
			if p.ProxyMode != "" {
				problems = append(problems, newFinding(id, finding.Warn, finding.High, "proxy_conflict", kv("file", p.File, "mode", p.ProxyMode), p.ev("ProxyMode "+p.ProxyMode)))
			}
		case p.UID != 0 || p.Mode.Perm()&0o022 != 0:
			problems = append(problems, newFinding(id, finding.Warn, finding.High, "policy_tamperable", kv("file", p.File, "detail", "mode "+fsMode(p.Mode)+" uid "+strconv.Itoa(p.UID)), p.ev("")))
		case p.forcesProxy() && !p.bypassOK():
			problems = append(problems, newFinding(id, finding.Warn, finding.High, "proxy_bypass", kv("file", p.File, "bypass", p.ProxyBypass), p.ev("ProxyBypassList "+p.ProxyBypass)))
		case p.forcesProxy() && !strings.EqualFold(p.WebRTC, "disable_non_proxied_udp"):
			problems = append(problems, newFinding(id, finding.Warn, finding.Medium, "proxy_webrtc_leak", kv("file", p.File), p.ev("WebRtcIPHandling "+p.WebRTC)))
		case p.forcesProxy():
			if enforcing != nil && enforcing.ProxyServer != p.ProxyServer {
				problems = append(problems, newFinding(id, finding.Warn, finding.High, "proxy_conflict", kv("file", p.File, "mode", p.ProxyMode+" "+p.ProxyServer), p.ev("ProxyServer "+p.ProxyServer)))
			}
			if enforcing == nil {
				pp := p
				enforcing = &pp
			}
		default:
			urlOnly = append(urlOnly, newFinding(id, finding.Warn, finding.Medium, "url_policy_only", kv("file", p.File), p.ev("URLBlocklist *, "+strconv.Itoa(len(p.URLAllowlist))+" allowed")))
		}
	}
	if len(problems) > 0 {
		return problems
	}
	if p := enforcing; p != nil {
		// Forced proxy with no bypass and WebRTC pinned: the evidence
		// outside openclaw.json that DONT-5 asks for, unless some profile
		// drives a browser this host's policy does not bind.
		ev := p.ev("ProxyServer " + p.ProxyServer + ", ProxyBypassList " + p.ProxyBypass + ", WebRtcIPHandling " + p.WebRTC)
		if names, evs := brwOutsidePolicy(s, c); len(names) > 0 {
			return []finding.Finding{newFinding(id, finding.Warn, finding.High, "outside_policy", kv("file", p.File, "profiles", strings.Join(names, ", ")), append([]finding.Evidence{ev}, evs...)...)}
		}
		if bad := brwWeakBinaries(c, rootfs); len(bad) > 0 {
			return bad
		}
		return []finding.Finding{newFinding(id, finding.Pass, finding.Info, "proxy_enforced", kv("file", p.File, "proxy", p.ProxyServer), ev)}
	}
	if len(urlOnly) > 0 {
		return urlOnly
	}
	// Nothing outside OpenClaw: judge what openclaw.json alone can say.
	if k, v := brwPrivateNet(c, "browser.ssrfPolicy"); v != nil {
		if args := brwExtraArgs(c); brwArgValue(args, "--proxy-server") != "" {
			proxy := strings.TrimPrefix(lpRedactArg("--proxy-server="+brwArgValue(args, "--proxy-server")), "--proxy-server=")
			return []finding.Finding{newFinding(id, finding.Warn, finding.High, "extraargs_proxy", kv("proxy", proxy),
				c.ev("browser.extraArgs", c.get("browser.extraArgs"), ""), c.ev(k, v, "true"))}
		}
		return []finding.Finding{newFinding(id, finding.Fail, finding.High, "private_network", kv("key", k), c.ev(k, v, "true"), onEv)}
	}
	pnV := c.get("browser.ssrfPolicy.dangerouslyAllowPrivateNetwork")
	allowV := c.get("browser.ssrfPolicy.allowedHostnames")
	if b, ok := pnV.AsBool(); ok && !b && len(allowV.Strings()) > 0 {
		return []finding.Finding{newFinding(id, finding.Warn, finding.High, "allowlist_only", kv("count", strconv.Itoa(len(allowV.Strings()))),
			c.ev("browser.ssrfPolicy.dangerouslyAllowPrivateNetwork", pnV, "false"), c.ev("browser.ssrfPolicy.allowedHostnames", allowV, display(allowV)))}
	}
	if bl := c.get("browser.ssrfPolicy.blockedHostnames"); len(bl.Strings()) > 0 {
		return []finding.Finding{newFinding(id, finding.Fail, finding.High, "denylist_only", nil, c.ev("browser.ssrfPolicy.blockedHostnames", bl, display(bl)))}
	}
	e := c.ev("browser.ssrfPolicy", c.get("browser.ssrfPolicy"), "")
	e.Detail = "default SSRF policy allows every public site; no managed browser policy found under " + strings.Join(brwPolicyDirs, ", ")
	return []finding.Finding{newFinding(id, finding.Fail, finding.High, "unconfined", kv("source", lpSource(onEv)), onEv, e)}
}

// brwOutsidePolicy lists browser settings that drive a browser a local
// managed policy cannot bind: remote CDP, the user's own Chrome
// (existing-session/extension drivers) and the Docker sandbox browser
// (browser-egress.md §3 step 1).
func brwOutsidePolicy(s *Snapshot, c conf) (names []string, evs []finding.Evidence) {
	_, vals, keys := brwCDPURLs(c)
	for i, v := range vals {
		raw, _ := v.AsString()
		if u, err := url.Parse(raw); err == nil && u.Hostname() != "" && !lpLoopbackHost(u.Hostname()) {
			names = append(names, keys[i])
			evs = append(evs, c.ev(keys[i], v, lpRedactURL(u)))
		}
	}
	for _, m := range c.objectMembers("browser.profiles") {
		v := m.Value.Get("driver")
		if d, _ := v.AsString(); d == "existing-session" || d == "extension" {
			k := "browser.profiles." + m.Key + ".driver"
			names = append(names, k)
			evs = append(evs, c.ev(k, v, d))
		}
	}
	// Paired nodes' browsers are reachable through node routing unless
	// gateway.nodes.browser.mode is off (default auto).
	if nodes := lpPairedNodes(s); nodes > 0 {
		mode, v := c.str("gateway.nodes.browser.mode", "auto")
		if mode != "off" {
			k := "gateway.nodes.browser.mode"
			names = append(names, k)
			e := c.ev(k, v, mode)
			e.Detail = strconv.Itoa(nodes) + " paired node(s)"
			evs = append(evs, e)
		}
	}
	for _, b := range lpSandboxBlocks(c) {
		if t, v := c.isTrue(b.path + ".browser.enabled"); t {
			k := b.path + ".browser.enabled"
			names = append(names, k)
			evs = append(evs, c.ev(k, v, "true"))
		}
	}
	return names, evs
}

// lpPairedNodes counts paired devices with the node role.
func lpPairedNodes(s *Snapshot) int {
	if s == nil || s.OC == nil || s.OC.State == nil {
		return 0
	}
	n := 0
	for _, d := range s.OC.State.Devices {
		if d.Role == "node" {
			n++
		}
	}
	return n
}

// brwPrivateNet returns the key that opts base into private networks
// (dangerouslyAllowPrivateNetwork or the legacy allowPrivateNetwork).
func brwPrivateNet(c conf, base string) (string, *json5.Value) {
	for _, k := range []string{base + ".dangerouslyAllowPrivateNetwork", base + ".allowPrivateNetwork"} {
		if t, v := c.isTrue(k); t {
			return k, v
		}
	}
	return "", nil
}

func brwExtraArgs(c conf) []string { return c.get("browser.extraArgs").Strings() }

// brwArgValue returns the value of --name=value (or "set" for a bare flag).
func brwArgValue(args []string, name string) string {
	for _, a := range args {
		a = strings.TrimSpace(a)
		if a == name {
			return "set"
		}
		if strings.HasPrefix(a, name+"=") {
			return strings.TrimPrefix(a, name+"=")
		}
	}
	return ""
}

// lpBrowserGate returns the config view and whether the browser is on;
// browser settings only matter when some agent can use the browser.
func lpBrowserGate(s *Snapshot, id string) (conf, []finding.Finding, bool) {
	c, errs, ok := confOf(s, id)
	if !ok {
		return c, errs, false
	}
	on, _ := lpBrowserOn(c)
	return c, nil, on
}

func checkBRW002(s *Snapshot) []finding.Finding {
	return brwRiskyDefaultOn(s, "CG-BRW-002", "browser.evaluateEnabled", "evaluate")
}

// brwRiskyDefaultOn warns, while the browser is on, about a browser switch
// that defaults to true and is risky when on: only an explicit false
// passes.
func brwRiskyDefaultOn(s *Snapshot, id, key, msgKey string) []finding.Finding {
	c, errs, on := lpBrowserGate(s, id)
	if !on {
		return errs
	}
	v := c.get(key)
	if b, ok := v.AsBool(); ok && !b {
		return nil
	}
	e := c.ev(key, v, display(v))
	if v == nil {
		e.Detail = "unset: defaults to true"
	}
	return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, msgKey, kv("source", lpSource(e)), e)}
}

func checkBRW003(s *Snapshot) []finding.Finding {
	const id = "CG-BRW-003"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	var out []finding.Finding
	if on, _ := lpBrowserOn(c); on {
		if k, v := brwPrivateNet(c, "browser.ssrfPolicy"); v != nil {
			out = append(out, newFinding(id, finding.Fail, finding.High, "private_network", kv("key", k), c.ev(k, v, "true")))
		}
	}
	if k, v := brwPrivateNet(c, "tools.web.fetch.ssrfPolicy"); v != nil {
		out = append(out, newFinding(id, finding.Fail, finding.High, "private_network", kv("key", k), c.ev(k, v, "true")))
	}
	return out
}

// lpLoopbackHost reports whether h names this host's loopback.
func lpLoopbackHost(h string) bool {
	h = strings.Trim(strings.ToLower(h), "[]")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// brwProfiles lists browser.cdpUrl (as profile "default") and every
// browser.profiles.<name> object.
func brwCDPURLs(c conf) (names []string, vals []*json5.Value, keys []string) {
	if v := c.get("browser.cdpUrl"); v != nil {
		names, vals, keys = append(names, "browser.cdpUrl"), append(vals, v), append(keys, "browser.cdpUrl")
	}
	for _, m := range c.objectMembers("browser.profiles") {
		if v := m.Value.Get("cdpUrl"); v != nil {
			names, vals, keys = append(names, m.Key), append(vals, v), append(keys, "browser.profiles."+m.Key+".cdpUrl")
		}
	}
	return
}

func checkBRW004(s *Snapshot) []finding.Finding {
	const id = "CG-BRW-004"
	c, errs, on := lpBrowserGate(s, id)
	if !on {
		return errs
	}
	var out []finding.Finding
	names, vals, keys := brwCDPURLs(c)
	for i, v := range vals {
		raw, ok := v.AsString()
		if !ok || raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" || lpLoopbackHost(u.Hostname()) {
			continue
		}
		shown := lpRedactURL(u)
		e := c.ev(keys[i], v, shown)
		switch strings.ToLower(u.Scheme) {
		case "http", "ws":
			out = append(out, newFinding(id, finding.Warn, finding.High, "remote_http", kv("profile", names[i], "url", shown), e))
		default:
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "remote_tls", kv("profile", names[i], "url", shown), e))
		}
	}
	return out
}

// lpRedactArg redacts URL credentials and queries inside a command-line
// argument such as --proxy-server=http://user:pass@proxy:3128.
func lpRedactArg(a string) string {
	name, val, ok := strings.Cut(a, "=")
	if !ok || !strings.Contains(val, "://") {
		return a
	}
	u, err := url.Parse(val)
	if err != nil {
		return name + "=…"
	}
	return name + "=" + lpRedactURL(u)
}

// lpRedactURL drops credentials and the query (CDP URLs carry tokens).
func lpRedactURL(u *url.URL) string {
	cp := *u
	cp.User = nil
	if cp.RawQuery != "" {
		cp.RawQuery = "…"
	}
	cp.Fragment = ""
	return cp.String()
}

func checkBRW005(s *Snapshot) []finding.Finding {
	const id = "CG-BRW-005"
	c, errs, on := lpBrowserGate(s, id)
	if !on {
		return errs
	}
	var out []finding.Finding
	for _, m := range c.objectMembers("browser.profiles") {
		v := m.Value.Get("driver")
		d, _ := v.AsString()
		if d == "existing-session" || d == "extension" {
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "user_browser", kv("profile", m.Key, "driver", d), c.ev("browser.profiles."+m.Key+".driver", v, d)))
		}
	}
	// The built-in "user" and "chrome" profiles drive the user's browser;
	// making one of them the default hands it to every browser call.
	if v := c.get("browser.defaultProfile"); v != nil {
		if d, _ := v.AsString(); (d == "user" || d == "chrome") && c.get("browser.profiles."+d) == nil {
			drv := map[string]string{"user": "existing-session", "chrome": "extension"}[d]
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "user_browser", kv("profile", d, "driver", drv), c.ev("browser.defaultProfile", v, d)))
		}
	}
	return out
}

func checkBRW006(s *Snapshot) []finding.Finding {
	const id = "CG-BRW-006"
	c, errs, on := lpBrowserGate(s, id)
	if !on {
		return errs
	}
	if t, v := c.isTrue("browser.noSandbox"); t {
		return []finding.Finding{newFinding(id, finding.Fail, finding.High, "no_sandbox", kv("source", "browser.noSandbox"), c.ev("browser.noSandbox", v, "true"))}
	}
	return nil
}

func checkBRW007(s *Snapshot) []finding.Finding {
	return brwRiskyDefaultOn(s, "CG-BRW-007", "browser.extensionRelay.allowLegacyAuth", "legacy_auth")
}

func checkBRW008(s *Snapshot) []finding.Finding {
	const id = "CG-BRW-008"
	c, errs, on := lpBrowserGate(s, id)
	if !on {
		return errs
	}
	v := c.get("browser.allowSystemProfileImport")
	if b, ok := v.AsBool(); ok {
		if !b {
			return nil
		}
		return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "profile_import", kv("source", "browser.allowSystemProfileImport"), c.ev("browser.allowSystemProfileImport", v, "true"))}
	}
	// Unset defaults to true on macOS hosts only.
	if s.Host != nil && strings.EqualFold(s.Host.OS, "darwin") {
		e := c.ev("browser.allowSystemProfileImport", nil, "")
		e.Detail = "unset: defaults to true on macOS"
		return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "profile_import", kv("source", "default"), e)}
	}
	return nil
}

func checkBRW009(s *Snapshot) []finding.Finding {
	const id = "CG-BRW-009"
	c, errs, on := lpBrowserGate(s, id)
	if !on {
		return errs
	}
	lst := c.get("browser.extraArgs")
	if lst == nil || lst.Kind != json5.Array {
		return nil
	}
	var out []finding.Finding
	for i, e := range lst.Elems {
		a, ok := e.AsString()
		if !ok || !brwRiskyArg(a) {
			continue
		}
		shown := lpRedactArg(a)
		out = append(out, newFinding(id, finding.Warn, finding.High, "extra_arg", kv("arg", shown), c.ev("browser.extraArgs."+strconv.Itoa(i), e, shown)))
	}
	return out
}

func brwRiskyArg(a string) bool {
	a = strings.TrimSpace(a)
	name, val, _ := strings.Cut(a, "=")
	switch name {
	case "--remote-debugging-address":
		return !lpLoopbackHost(val)
	case "--proxy-bypass-list":
		return strings.Contains(val, "*") || strings.Contains(val, "<local>")
	case "--proxy-pac-url", "--proxy-auto-detect", "--disable-web-security", "--no-sandbox",
		"--allow-running-insecure-content", "--disable-site-isolation-trials", "--ignore-certificate-errors":
		return true
	case "--remote-allow-origins":
		return strings.Contains(val, "*")
	}
	return false
}

func checkBRW010(s *Snapshot) []finding.Finding {
	// No machine can tell what documents operators hand the agent.
	return []finding.Finding{newFinding("CG-BRW-010", finding.Manual, finding.Info, "manual", nil)}
}

func checkBRW011(s *Snapshot) []finding.Finding {
	const id = "CG-BRW-011"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	enV := c.get("tools.web.fetch.enabled")
	if b, ok := enV.AsBool(); ok && !b {
		return nil
	}
	reachable := false
	for _, a := range lpScopes(c) {
		if lpToolPolicy(c, a).allows("web_fetch") {
			reachable = true
			break
		}
	}
	if !reachable {
		return nil
	}
	e := c.ev("tools.web.fetch.enabled", enV, display(enV))
	if enV == nil {
		e.Detail = "unset: defaults to true"
	}
	pv := c.get("proxy.proxyUrl")
	proxy, _ := pv.AsString()
	if proxy == "" {
		if env, set := envValue(s, "OPENCLAW_PROXY_URL"); set {
			proxy = env
			pv = nil
		}
	}
	if pe, ok := c.get("proxy.enabled").AsBool(); ok && !pe {
		proxy = ""
	}
	if proxy != "" {
		shown := proxy
		if u, err := url.Parse(proxy); err == nil {
			shown = lpRedactURL(u)
		}
		pe := c.ev("proxy.proxyUrl", pv, shown)
		if pv == nil {
			pe = envEvidence(s, "OPENCLAW_PROXY_URL")
		}
		return []finding.Finding{newFinding(id, finding.Warn, finding.Medium, "fetch_proxy", kv("proxy", shown), e, pe)}
	}
	return []finding.Finding{newFinding(id, finding.Fail, finding.High, "fetch_direct", kv("source", lpSource(e)), e)}
}
