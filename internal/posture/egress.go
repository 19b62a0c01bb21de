package posture

import (
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/egress/policy"
	"github.com/clawgov/clawgov/internal/egress/wiring"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
)

// CG-BRW-012 judges the whole enforcement chain that DONT-5 needs
// (browser-egress.md §3 step 3, §4.2): a root-owned managed browser policy
// forcing a proxy, a clawgov egress proxy listening there with a valid
// (default-deny) policy, a firewall confining the service user to the
// proxy, OpenClaw's strict navigation allowlist, and CDP kept on loopback.
// It passes only when every link is present; each missing link is its own
// finding, and links that cannot be seen from here are manual, not pass.

func init() { register("CG-BRW-012", lpWrap(checkBRW012)) }

// egressPolicyPaths are where the deployment in the README puts the proxy
// policy; a variable so tests need no files under /etc.
var egressPolicyPaths = []string{"/etc/clawgov/egress.yaml", "/etc/clawgov/egress-policy.yaml"}

// egressNftPaths are the nftables files read for the confinement rules.
var egressNftPaths = []string{"/etc/nftables.conf", "/etc/nftables.d", "/etc/clawgov/egress.nft"}

// egressReadFile reads a file under rootfs through the confined reader.
// A variable so tests supply contents.
var egressReadFile = func(rootfs, p string) ([]byte, error) {
	r, err := host.NewRoot(rootfs)
	if err != nil {
		return nil, err
	}
	return r.ReadFile(p)
}

// egressReadDir lists *.nft files of a directory under rootfs.
var egressReadDir = func(rootfs, dir string) ([]string, error) {
	r, err := host.NewRoot(rootfs)
	if err != nil {
		return nil, err
	}
	ents, err := r.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".nft") {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// skuidRule finds an output-hook confinement: "meta skuid != N accept"
// (everyone else passes) followed by a reject/drop, as clawgov egress
// firewall writes, or "meta skuid N ... drop|reject".
var (
	skuidExcept = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`meta\s+skuid\s+!=\s*(\S+)\s+accept`) })
	skuidDrop   = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`meta\s+skuid\s+(?:==\s*)?(\S+)\s+(?:[^\n]*\s)?(?:drop|reject)`)
	})
	hookOutput = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`hook\s+output`) })
	rejectAll  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^\s*(?:counter\s+)?(?:reject|drop)\b`) })
)

func checkBRW012(s *Snapshot) []finding.Finding {
	const id = "CG-BRW-012"
	c, errs, ok := confOf(s, id)
	if !ok {
		return errs
	}
	on, onEv := lpBrowserOn(c)
	if !on {
		return []finding.Finding{newFinding(id, finding.Pass, finding.Info, "browser_off", kv("key", onEv.KeyPath), onEv)}
	}
	rootfs := ""
	if s.OC != nil {
		rootfs = s.OC.Rootfs
	}
	var out []finding.Finding

	// Link 1: a root-owned managed policy that forces a proxy.
	var forced *brwPolicy
	for _, p := range brwReadPolicies(rootfs) {
		if p.Err == "" && p.forcesProxy() && p.UID == 0 && p.Mode.Perm()&0o022 == 0 && p.bypassOK() {
			pp := p
			forced = &pp
			break
		}
	}
	var proxyPort int
	var proxyHost string
	if forced == nil {
		out = append(out, newFinding(id, finding.Fail, finding.High, "no_forced_proxy", nil,
			finding.Evidence{Kind: "file", File: "/etc/chromium/policies/managed", Detail: "no root-owned managed policy with ProxySettings fixed_servers and <-loopback>"}))
	} else {
		raw := forced.ProxyServer
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw
		}
		if u, err := url.Parse(raw); err == nil {
			proxyHost = u.Hostname()
			proxyPort, _ = strconv.Atoi(u.Port())
		}
	}

	// Link 2: the proxy policy (valid means default deny: the format has
	// no allow-all) and a listener on the proxy's port.
	var polEv *finding.Evidence
	var polHash string
	for _, p := range egressPolicyPaths {
		data, err := egressReadFile(rootfs, p)
		if err != nil {
			continue
		}
		pol, err := policy.Parse(p, data)
		if err != nil {
			out = append(out, newFinding(id, finding.Fail, finding.High, "proxy_policy_invalid", kv("file", p, "err", err.Error()),
				finding.Evidence{Kind: "file", File: p, Detail: err.Error()}))
			polEv = &finding.Evidence{}
			break
		}
		polHash = pol.Hash
		polEv = &finding.Evidence{Kind: "file", File: p, Detail: "default deny, " + strconv.Itoa(len(pol.Entries())) + " entries, sha256 " + pol.Hash[:12]}
		break
	}
	if polEv == nil {
		out = append(out, newFinding(id, finding.Manual, finding.Info, "proxy_policy_unknown", kv("paths", strings.Join(egressPolicyPaths, ", ")),
			finding.Evidence{Kind: "file", File: egressPolicyPaths[0], Detail: "not found: the proxy's policy cannot be judged from here"}))
	}
	if forced != nil && proxyPort > 0 {
		switch {
		case s.Host == nil || !s.Host.Live || !s.Host.Coverage.Sockets:
			out = append(out, newFinding(id, finding.Manual, finding.Info, "proxy_listener_unknown", kv("proxy", forced.ProxyServer)))
		case !egressListening(s.Host.Sockets, proxyHost, proxyPort):
			out = append(out, newFinding(id, finding.Fail, finding.High, "proxy_not_running", kv("proxy", forced.ProxyServer),
				forced.ev("ProxyServer "+forced.ProxyServer+", no listener on port "+strconv.Itoa(proxyPort))))
		}
	}

	// Link 3: the firewall confines the service user: in the rules files
	// (what a reboot loads) and, for --deep on a live host, in the
	// kernel's loaded ruleset (what is in force now), which then decides.
	known, uid, src := egressFirewall(rootfs)
	fwEv := finding.Evidence{Kind: "file", File: src, Detail: "meta skuid " + uid + " confined to the proxy"}
	live, liveFs := egressFirewallLive(s, id, uid, src)
	switch {
	case live != nil:
		fwEv = *live
		if uid == "" {
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "firewall_not_persisted", kv("paths", strings.Join(egressNftPaths, ", ")), *live))
		}
	case len(liveFs) > 0:
		out = append(out, liveFs...)
	}
	// confined: the service user is held to the proxy, by the kernel's
	// answer or, without --deep, by the rules files.
	confined := live != nil || (len(liveFs) == 0 && known && uid != "")
	switch {
	case live != nil || (len(liveFs) > 0 && liveFs[0].Status == finding.Fail):
		// The kernel's answer stands for the files'.
	case !known:
		out = append(out, newFinding(id, finding.Manual, finding.Info, "firewall_unknown", kv("paths", strings.Join(egressNftPaths, ", "))))
	case uid == "":
		out = append(out, newFinding(id, finding.Fail, finding.High, "firewall_missing", nil,
			finding.Evidence{Kind: "file", File: src, Detail: "no output rule confining a uid (meta skuid) to the proxy"}))
	}

	// Link 4: OpenClaw's strict navigation allowlist.
	pnV := c.get("browser.ssrfPolicy.dangerouslyAllowPrivateNetwork")
	allowV := c.get("browser.ssrfPolicy.allowedHostnames")
	if b, isBool := pnV.AsBool(); !isBool || b || len(allowV.Strings()) == 0 {
		out = append(out, newFinding(id, finding.Fail, finding.Medium, "navigation_allowlist_off", nil,
			c.ev("browser.ssrfPolicy.dangerouslyAllowPrivateNetwork", pnV, display(pnV)), c.ev("browser.ssrfPolicy.allowedHostnames", allowV, display(allowV))))
	}

	// Link 5: CDP stays on loopback (remote CDP is a browser the local
	// policy and firewall do not bind; CG-BRW-004 judges its transport).
	if names, evs := brwOutsidePolicy(s, c); len(names) > 0 {
		out = append(out, newFinding(id, finding.Fail, finding.High, "cdp_outside", kv("profiles", strings.Join(names, ", ")), evs...))
	}
	if v := brwArgValue(brwExtraArgs(c), "--remote-debugging-address"); v != "" && !lpLoopbackHost(v) {
		out = append(out, newFinding(id, finding.Fail, finding.High, "cdp_outside", kv("profiles", "--remote-debugging-address="+v),
			c.ev("browser.extraArgs", c.get("browser.extraArgs"), "--remote-debugging-address="+v)))
	}

	// Link 6 (--deep): a debugging port that answers without a credential
	// lets any local process open a Target.createBrowserContext({proxyServer:
	// "direct://"}) context past the forced proxy (browser-egress.md §4.4).
	// OpenClaw's managed browser has no CDP credential to turn on, so what
	// closes this hole is link 3: the context's connections are still the
	// browser's, and the firewall confines them by uid
	// (TestCDPDirectContextNeedsFirewall).
	var openCDP []string
	for _, c := range s.CDP {
		if c.Open {
			openCDP = append(openCDP, c.Addr)
		}
	}
	if len(openCDP) > 0 && !confined {
		out = append(out, newFinding(id, finding.Fail, finding.High, "cdp_bypass_open", kv("addrs", strings.Join(openCDP, ", ")),
			finding.Evidence{Kind: "probe", File: "http://" + openCDP[0] + "/json/version", Detail: "answered a debugger URL without a credential; no firewall confinement is in force"}))
	}

	// --deep as root: the canary connects as each service account to a
	// loopback port the rules must refuse. It is judged only where the
	// rules say the account is confined: it is the behaviour that has to
	// agree with them (a missing confinement already failed above).
	var canaryEv []finding.Evidence
	if confined {
		for _, c := range s.Canary {
			u := strconv.Itoa(c.UID)
			switch {
			case c.Outcome == "connected":
				out = append(out, newFinding(id, finding.Fail, finding.High, "deep_canary_open", kv("uid", u, "target", c.Target),
					finding.Evidence{Kind: "probe", File: c.Target, Detail: "uid " + u + " connected to a loopback port outside the proxy and gateway ports"}))
			case c.Outcome == "refused":
				canaryEv = append(canaryEv, finding.Evidence{Kind: "probe", File: c.Target, Detail: "uid " + u + ": connect refused (" + c.Detail + ")"})
			default:
				out = append(out, newFinding(id, finding.Manual, finding.Info, "deep_canary_unknown", kv("uid", u, "err", c.Err),
					finding.Evidence{Kind: "probe", File: "canary", Detail: c.Err}))
			}
		}
	}

	// --deep: the running proxy must serve the policy on disk and refuse
	// a host no policy can list.
	if lv := s.Egress; lv != nil {
		switch {
		case lv.Err != "":
			out = append(out, newFinding(id, finding.Warn, finding.Medium, "deep_unreachable", kv("err", lv.Err), finding.Evidence{Kind: "probe", File: lv.AdminURL, Detail: lv.Err}))
		case polHash != "" && lv.Hash != polHash:
			out = append(out, newFinding(id, finding.Fail, finding.High, "deep_hash_mismatch", kv("live", short(lv.Hash), "file", short(polHash)), finding.Evidence{Kind: "probe", File: lv.AdminURL, Detail: "live sha256 " + lv.Hash}))
		case lv.CanaryStatus != 403 && lv.CanaryStatus != 407:
			out = append(out, newFinding(id, finding.Fail, finding.High, "deep_canary_allowed", kv("status", strconv.Itoa(lv.CanaryStatus)), finding.Evidence{Kind: "probe", File: lv.Listen, Detail: "CONNECT to a never-listed host answered " + strconv.Itoa(lv.CanaryStatus)}))
		}
	}
	if len(out) > 0 {
		return out
	}
	ev := []finding.Evidence{forced.ev("ProxyServer " + forced.ProxyServer), *polEv, fwEv}
	if lv := s.Egress; lv != nil {
		ev = append(ev, finding.Evidence{Kind: "probe", File: lv.AdminURL, Detail: "live policy sha256 " + lv.Hash + "; canary CONNECT refused with " + strconv.Itoa(lv.CanaryStatus)})
	}
	ev = append(ev, canaryEv...)
	for _, a := range openCDP {
		ev = append(ev, finding.Evidence{Kind: "probe", File: "http://" + a + "/json/version", Detail: "debugging port answers without a credential; a direct:// context it opens is refused by the firewall"})
	}
	return []finding.Finding{newFinding(id, finding.Pass, finding.Info, "chain_complete", kv("proxy", forced.ProxyServer, "uid", uid), ev...)}
}

// egressFirewallLive judges the loaded ruleset (s.Nft, --deep on a live
// host). It returns the evidence of a confinement of every service
// account, or the findings that say why there is none or why the kernel
// could not be asked. Both nil: the ruleset was not asked for.
func egressFirewallLive(s *Snapshot, id, fileUID, fileSrc string) (*finding.Evidence, []finding.Finding) {
	lv := s.Nft
	if lv == nil {
		return nil, nil
	}
	src := lv.Source
	if src == "" {
		src = "nft -j list ruleset"
	}
	switch {
	case lv.NoNft:
		return nil, []finding.Finding{newFinding(id, finding.Manual, finding.Info, "firewall_live_no_nft", nil,
			finding.Evidence{Kind: "command", File: src, Detail: lv.Err})}
	case lv.Err != "":
		return nil, []finding.Finding{newFinding(id, finding.Manual, finding.Info, "firewall_live_unknown", kv("err", lv.Err),
			finding.Evidence{Kind: "command", File: src, Detail: lv.Err})}
	}
	rs, err := host.ParseNftJSON(lv.JSON)
	if err != nil {
		return nil, []finding.Finding{newFinding(id, finding.Manual, finding.Info, "firewall_live_unknown", kv("err", err.Error()),
			finding.Evidence{Kind: "command", File: src, Detail: err.Error()})}
	}
	confined := nftConfined(rs)
	_, hasTable := rs.Table("inet", wiring.TableName)
	tableNote := "table inet " + wiring.TableName + " not loaded"
	if hasTable {
		tableNote = "table inet " + wiring.TableName + " loaded"
	}
	// Whom to look for: the accounts the gateway runs as; failing those,
	// the uid the rules files confine.
	want := ServiceUIDs(s)
	if len(want) == 0 {
		if n, err := strconv.Atoi(fileUID); err == nil {
			want = append(want, n)
		}
	}
	onDisk := "none on disk"
	if fileUID != "" {
		onDisk = fileSrc + " confines uid " + fileUID
	}
	if len(want) == 0 {
		if len(confined) == 0 {
			return nil, []finding.Finding{newFinding(id, finding.Fail, finding.High, "firewall_not_loaded", kv("uid", "*"),
				finding.Evidence{Kind: "command", File: src, Detail: "no output rule confines any uid; " + tableNote})}
		}
		return nil, []finding.Finding{newFinding(id, finding.Manual, finding.Info, "firewall_live_user_unknown", kv("uids", strings.Join(sortedUIDs(confined), ", ")),
			finding.Evidence{Kind: "command", File: src, Detail: "confined uids " + strings.Join(sortedUIDs(confined), ", ")})}
	}
	var fs []finding.Finding
	var details []string
	for _, u := range want {
		c, ok := confined[u]
		us := strconv.Itoa(u)
		switch {
		case !ok && len(confined) > 0:
			fs = append(fs, newFinding(id, finding.Fail, finding.High, "firewall_wrong_uid", kv("uid", us, "confined", strings.Join(sortedUIDs(confined), ", ")),
				finding.Evidence{Kind: "command", File: src, Detail: "loaded rules confine uid " + strings.Join(sortedUIDs(confined), ", ") + ", not uid " + us + "; " + tableNote + "; " + onDisk}))
		case !ok:
			fs = append(fs, newFinding(id, finding.Fail, finding.High, "firewall_not_loaded", kv("uid", us),
				finding.Evidence{Kind: "command", File: src, Detail: "no loaded output rule confines uid " + us + "; " + tableNote + "; " + onDisk}))
		case len(c.Holes) > 0:
			fs = append(fs, newFinding(id, finding.Fail, finding.High, "firewall_live_open", kv("uid", us, "holes", strings.Join(c.Holes, "; ")),
				finding.Evidence{Kind: "command", File: src, Detail: c.where() + " confines uid " + us + " but lets it out: " + strings.Join(c.Holes, "; ")}))
		default:
			details = append(details, "uid "+us+" by "+c.where())
		}
	}
	if len(fs) > 0 {
		return nil, fs
	}
	return &finding.Evidence{Kind: "command", File: src, Detail: "loaded ruleset confines " + strings.Join(details, ", ") + "; " + tableNote}, nil
}

func egressListening(socks []host.Socket, h string, port int) bool {
	for _, sk := range socks {
		if sk.Port != port {
			continue
		}
		if sk.IP == h || sk.Scope == host.ScopeWildcard || h == "" {
			return true
		}
	}
	return false
}

// egressFirewall reads the nftables files and returns whether any could
// be read, the confined uid ("" when none) and the file it was found in.
func egressFirewall(rootfs string) (known bool, uid, src string) {
	var files []string
	for _, p := range egressNftPaths {
		if strings.HasSuffix(p, ".d") {
			if fs, err := egressReadDir(rootfs, p); err == nil {
				files = append(files, fs...)
			}
			continue
		}
		files = append(files, p)
	}
	for _, f := range files {
		data, err := egressReadFile(rootfs, f)
		if err != nil {
			continue // absent or unreadable: it tells nothing either way
		}
		known = true
		if src == "" {
			src = f
		}
		text := string(data)
		if !hookOutput().MatchString(text) {
			continue
		}
		if m := skuidExcept().FindStringSubmatch(text); m != nil && rejectAll().MatchString(text) {
			return true, m[1], f
		}
		if m := skuidDrop().FindStringSubmatch(text); m != nil {
			return true, m[1], f
		}
	}
	if src == "" && len(files) > 0 {
		src = files[0]
	}
	return known, "", src
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
