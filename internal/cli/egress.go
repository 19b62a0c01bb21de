package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/egress/policy"
	"github.com/clawgov/clawgov/internal/egress/proxy"
	"github.com/clawgov/clawgov/internal/egress/wiring"
	"github.com/clawgov/clawgov/internal/posture"
	"github.com/clawgov/clawgov/internal/remediate"
)

func newEgressCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "egress",
		Short: "Confine the agent's browser and web tools to verified sites (DO-5, DONT-5)",
		Long: `An allowlisting forward proxy for the agent's browser and web_fetch, and
the settings that make it mandatory: a managed Chromium policy, the
OpenClaw settings that go with it, and nftables rules for the service user.

Exit codes: 0 success (check: allowed), 1 check: refused, 2 usage or
input error (bad flag, invalid policy), 3 the run itself failed.`,
	}
	cmd.AddCommand(newEgressServeCmd(f), newEgressCheckCmd(f), newEgressChromiumCmd(f), newEgressOpenClawCmd(f), newEgressFirewallCmd(f), newEgressCanaryCmd(f))
	return cmd
}

// newEgressCanaryCmd is the child `audit --deep` starts as the gateway's
// service account: one TCP connect to a loopback port that is neither the
// proxy nor a gateway port. Exit 0 connected (not confined), 1 refused,
// 3 anything else. Hidden: it is a probe, not a user command.
func newEgressCanaryCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:    "canary-connect 127.0.0.1:PORT",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ap, err := netip.ParseAddrPort(args[0])
			if err != nil || !ap.Addr().IsLoopback() {
				return usageErrorf("canary-connect %q: a loopback IP:PORT", args[0])
			}
			c, err := net.DialTimeout("tcp", ap.String(), 3*time.Second)
			if err == nil {
				c.Close()
				fmt.Fprintln(f.IO.Out, "connected")
				return nil
			}
			if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EHOSTUNREACH) ||
				errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
				fmt.Fprintln(f.IO.Out, "refused:", err)
				return ErrFindings
			}
			return fmt.Errorf("canary connect: %w", err)
		},
	}
}

func loadPolicy(path string) (*policy.Policy, error) {
	if path == "" {
		return nil, usageErrorf("--policy is required")
	}
	p, err := policy.Load(path)
	if err != nil {
		return nil, &UsageError{err}
	}
	return p, nil
}

// parseResolve reads curl-style HOST=IP[,IP...] pins.
func parseResolve(pins []string) (map[string][]netip.Addr, error) {
	out := map[string][]netip.Addr{}
	for _, pin := range pins {
		h, ips, ok := strings.Cut(pin, "=")
		if !ok {
			return nil, usageErrorf("--resolve %q: want HOST=IP", pin)
		}
		nh, err := policy.NormalizeHost(h)
		if err != nil {
			return nil, usageErrorf("--resolve %q: %v", pin, err)
		}
		for _, s := range strings.Split(ips, ",") {
			ip, err := netip.ParseAddr(strings.Trim(s, "[]"))
			if err != nil {
				return nil, usageErrorf("--resolve %q: %q is not an IP address", pin, s)
			}
			out[nh] = append(out[nh], ip.Unmap())
		}
	}
	return out, nil
}

func newEgressServeCmd(f *factory) *cobra.Command {
	var listen, policyPath, logPath, admin, tlsCert, tlsKey string
	var resolve []string
	var maxConns int
	var tunnelIdle, headerTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the allowlisting forward proxy (HTTP and CONNECT)",
		Long: `Run the egress proxy. Every request is decided by the policy (default
deny) and logged as one JSON line to --log or stdout. The policy is
reloaded on SIGHUP and when the file changes; an invalid new policy is
refused and the old one stays. --admin serves /metrics, /policy (the
live policy's SHA-256, for 'clawgov audit --deep') and /healthz, on
loopback only.

Clients speak HTTP/1.1, or HTTP/2 with prior knowledge. With --tls-cert
and --tls-key the listener is an HTTPS proxy (a browser's
"https://HOST:PORT" proxy) that negotiates HTTP/2 or HTTP/1.1; CONNECT
tunnels then run as HTTP/2 streams.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pol, err := loadPolicy(policyPath)
			if err != nil {
				return err
			}
			pins, err := parseResolve(resolve)
			if err != nil {
				return err
			}
			var logw io.Writer = f.IO.Out
			if logPath != "" && logPath != "-" {
				lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
				if err != nil {
					return usageErrorf("open --log: %v", err)
				}
				defer lf.Close()
				logw = lf
			}
			var tlsCfg *tls.Config
			if (tlsCert == "") != (tlsKey == "") {
				return usageErrorf("--tls-cert and --tls-key go together")
			}
			if tlsCert != "" {
				cert, err := tls.LoadX509KeyPair(tlsCert, tlsKey)
				if err != nil {
					return usageErrorf("load --tls-cert/--tls-key: %v", err)
				}
				tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return usageErrorf("listen %s: %v", listen, err)
			}
			srv := proxy.New(proxy.Config{ListenAddr: ln.Addr().String(), Policy: pol, Resolve: pins, Log: logw, Logger: f.Logger, MaxConns: maxConns, TunnelIdle: tunnelIdle, HeaderTimeout: headerTimeout, TLS: tlsCfg})
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			if admin != "" {
				ap, err := netip.ParseAddrPort(admin)
				if err != nil || !ap.Addr().IsLoopback() {
					ln.Close()
					return usageErrorf("--admin %q: must be a loopback IP:PORT", admin)
				}
				aln, err := net.Listen("tcp", admin)
				if err != nil {
					ln.Close()
					return usageErrorf("listen --admin %s: %v", admin, err)
				}
				hs := &http.Server{Handler: srv.AdminHandler(), ReadHeaderTimeout: 5 * time.Second}
				go func() { _ = hs.Serve(aln) }()
				go func() { <-ctx.Done(); _ = hs.Close() }()
			}
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			go func() {
				for {
					select {
					case <-ctx.Done():
						return
					case <-hup:
						_ = srv.Reload(policyPath) // logged; the old policy stays on error
					}
				}
			}()
			go srv.Watch(ctx, policyPath, 2*time.Second)
			f.Logger.Info("egress proxy listening", "addr", ln.Addr().String(), "policy", policyPath, "hash", pol.Hash)
			fmt.Fprintf(f.IO.ErrOut, "clawgov egress: listening on %s (policy %s, sha256 %s)\n", ln.Addr(), policyPath, pol.Hash[:12])
			if err := srv.Serve(ctx, ln); err != nil {
				return fmt.Errorf("egress proxy: %w", err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", "127.0.0.1:3128", "proxy listen address")
	fl.StringVar(&policyPath, "policy", "", "egress policy file (YAML)")
	fl.StringVar(&logPath, "log", "", "JSONL decision log file (default stdout)")
	fl.StringVar(&admin, "admin", "", "loopback admin address for /metrics and /policy, e.g. 127.0.0.1:3129")
	fl.StringArrayVar(&resolve, "resolve", nil, "pin HOST=IP[,IP] instead of DNS (repeatable)")
	fl.IntVar(&maxConns, "max-conns", 4096, "maximum concurrent client connections")
	fl.DurationVar(&tunnelIdle, "tunnel-idle", 5*time.Minute, "close a tunnel idle this long")
	fl.DurationVar(&headerTimeout, "header-timeout", 10*time.Second, "time a client has to send request headers")
	fl.StringVar(&tlsCert, "tls-cert", "", "serve as an HTTPS proxy (HTTP/2 and HTTP/1.1 by ALPN) with this certificate (PEM)")
	fl.StringVar(&tlsKey, "tls-key", "", "private key of --tls-cert (PEM)")
	return cmd
}

func newEgressCheckCmd(f *factory) *cobra.Command {
	var policyPath, client, method string
	var resolve []string
	cmd := &cobra.Command{
		Use:   "check --policy FILE URL",
		Short: "Explain the policy's decision for a URL (exit 0 allowed, 1 refused)",
		Long: `Explain how the policy decides a URL: the normalised host and port, the
entry that decided, and, with --resolve, the hard-block check on the
address the proxy would dial. https, ws and wss URLs are judged as the
CONNECT tunnel a browser sends; http URLs as a forwarded request.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pol, err := loadPolicy(policyPath)
			if err != nil {
				return err
			}
			pins, err := parseResolve(resolve)
			if err != nil {
				return err
			}
			var t policy.Target
			raw := args[0]
			scheme, rest, _ := strings.Cut(raw, "://")
			switch strings.ToLower(scheme) {
			case "http":
				t, err = policy.ParseAbsolute(raw, "")
			case "https", "wss", "ws":
				auth := rest
				if i := strings.IndexAny(auth, "/?#"); i >= 0 {
					auth = auth[:i]
				}
				if _, _, e := net.SplitHostPort(auth); e != nil {
					def := "443"
					if strings.EqualFold(scheme, "ws") {
						def = "80"
					}
					auth = auth + ":" + def
				}
				t, err = policy.ParseConnect(auth)
			default:
				err = fmt.Errorf("URL %q: want http, https, ws or wss", raw)
			}
			if err != nil {
				return &UsageError{err}
			}
			id := policy.ClientID{}
			if client != "" {
				a, err := netip.ParseAddr(client)
				if err != nil {
					return usageErrorf("--client %q: not an IP address", client)
				}
				id.Addr = a
			}
			d := pol.Decide(id, t)
			out := f.IO.Out
			kind := "CONNECT " + t.Authority()
			if t.Scheme == "http" {
				kind = method + " http://" + t.Authority() + t.Path
			}
			fmt.Fprintf(out, "request:  %s\n", kind)
			fmt.Fprintf(out, "decision: %s\nrule:     %s\nreason:   %s\n", d.Outcome, d.Rule, d.Reason)
			if d.Allowed() {
				ips := pins[t.Host]
				if t.IP.IsValid() {
					ips = []netip.Addr{t.IP}
				}
				for _, ip := range ips {
					if why := policy.CheckIP(d, ip); why != "" {
						fmt.Fprintf(out, "dial %s: refused, hard-blocked (%s)\n", ip, why)
						d.Outcome = policy.Deny
					} else {
						fmt.Fprintf(out, "dial %s: allowed\n", ip)
					}
				}
				if len(ips) == 0 {
					fmt.Fprintln(out, "dial:     the proxy resolves the name and refuses hard-blocked addresses (pass --resolve to check one)")
				}
			}
			if !d.Allowed() {
				return ErrFindings
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&policyPath, "policy", "", "egress policy file (YAML)")
	cmd.Flags().StringVar(&client, "client", "", "client source address to judge by (client classes)")
	cmd.Flags().StringVar(&method, "method", "GET", "method, for the explanation")
	cmd.Flags().StringArrayVar(&resolve, "resolve", nil, "HOST=IP to check the dial-time hard blocks")
	return cmd
}

func newEgressChromiumCmd(f *factory) *cobra.Command {
	var proxyURL, out, navPolicy string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "chromium-policy --proxy URL",
		Short: "Write the managed Chromium policy that forces the browser through the proxy",
		Long: `Write the managed Chromium policy (default ` + wiring.ChromiumPolicyPath + `)
atomically, mode 0644. ProxySettings in a managed policy wins over
OpenClaw's --no-proxy-server and any --proxy-* flag, and OpenClaw cannot
see it, so its strict navigation allowlist stays usable. --dry-run prints
the policy instead. The directory must be root-owned for the audit to
accept it: run as root.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, _, err := wiring.ProxyURL(proxyURL)
			if err != nil {
				return &UsageError{err}
			}
			var opts wiring.ChromiumOptions
			if navPolicy != "" {
				p, err := loadPolicy(navPolicy)
				if err != nil {
					return err
				}
				opts.NavigationAllowlist = p.Hostnames()
			}
			b, err := wiring.ChromiumPolicy(u, opts)
			if err != nil {
				return err
			}
			if dryRun {
				_, err := f.IO.Out.Write(b)
				return err
			}
			if err := wiring.WriteFileAtomic(out, b, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.ErrOut, "clawgov egress: wrote %s; restart the browser (openclaw browser stop) to apply it\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&proxyURL, "proxy", "", "proxy URL for the browser, http://IP:PORT on loopback or a private address")
	cmd.Flags().StringVar(&out, "out", wiring.ChromiumPolicyPath, "policy file to write")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the policy, write nothing")
	cmd.Flags().StringVar(&navPolicy, "navigation-allowlist", "", "also add URLBlocklist/URLAllowlist from this egress policy (a UX layer, not a control)")
	return cmd
}

func newEgressOpenClawCmd(f *factory) *cobra.Command {
	var proxyURL, policyPath string
	var apply bool
	fo := &FixOptions{Format: "text", Profile: "miit-2026"}
	cmd := &cobra.Command{
		Use:   "openclaw-config --proxy URL --policy FILE [--apply [--yes]]",
		Short: "Print (or --apply) the OpenClaw settings that go with the proxy and the managed policy",
		Long: `Print the openclaw.json fragment: proxy.proxyUrl (web_fetch and the
gateway's Node egress through the proxy) and browser.ssrfPolicy with
dangerouslyAllowPrivateNetwork explicitly false and allowedHostnames
mirroring the policy's hosts (OpenClaw's strict navigation allowlist).

--apply writes those keys into the deployment's config through the
machinery of 'clawgov fix' (action ` + remediate.EgressActionID + `): only keys whose value
differs are edited, in place, keeping comments and layout; the result is
checked with 'openclaw config validate' when the openclaw command is
available and never written if OpenClaw rejects it; a backup set is kept
and 'clawgov fix --rollback' restores it byte for byte. Without --yes the
plan and diff are printed and nothing changes (on a terminal you are
asked). Exit codes as for clawgov fix.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, _, err := wiring.ProxyURL(proxyURL)
			if err != nil {
				return &UsageError{err}
			}
			p, err := loadPolicy(policyPath)
			if err != nil {
				return err
			}
			if !apply {
				for _, fl := range []string{"yes", "dry-run", "state-dir", "config", "openclaw", "backup-dir", "yes-restart-needed"} {
					if cmd.Flags().Changed(fl) {
						return usageErrorf("--%s needs --apply", fl)
					}
				}
				b, err := wiring.OpenClawConfig(u, p.Hostnames())
				if err != nil {
					return err
				}
				_, err = f.IO.Out.Write(b)
				return err
			}
			fo.Only = []string{remediate.EgressActionID}
			fo.egress = wiring.OpenClawSettings(u, p.Hostnames())
			return runFix(cmd.Context(), f, fo)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&proxyURL, "proxy", "http://127.0.0.1:3128", "proxy URL for the gateway (proxy.proxyUrl)")
	fl.StringVar(&policyPath, "policy", "", "egress policy file (YAML)")
	fl.BoolVar(&apply, "apply", false, "write the settings into the OpenClaw config (backup, validate, rollback as clawgov fix)")
	fl.BoolVarP(&fo.Yes, "yes", "y", false, "with --apply: apply without asking")
	fl.BoolVar(&fo.DryRun, "dry-run", false, "with --apply: print the plan and diff, change nothing")
	fl.StringVar(&fo.StateDir, "state-dir", "", "OpenClaw state directory (default: as OpenClaw resolves it)")
	fl.StringVar(&fo.Config, "config", "", "OpenClaw config file (default: as OpenClaw resolves it)")
	fl.StringVar(&fo.OpenClaw, "openclaw", "", "openclaw command used to validate the result (default: CLAWGOV_OPENCLAW, then PATH)")
	fl.StringVar(&fo.BackupDir, "backup-dir", "", "where backup sets go (default <state>/.clawgov/backups)")
	fl.BoolVar(&fo.RestartOK, "yes-restart-needed", false, "accept that a running gateway must be restarted")
	return cmd
}

func newEgressFirewallCmd(f *factory) *cobra.Command {
	var userName, proxyURL string
	var uid int
	var gwPorts []string
	var apply bool
	cmd := &cobra.Command{
		Use:   "firewall --user openclaw",
		Short: "Print (or --apply) nftables rules confining the service user to the proxy",
		Long: `Print nftables rules that let the service user's processes reach only
the egress proxy and the local gateway ports on loopback. This is the
layer that makes the proxy impossible to bypass: CDP direct:// contexts,
raw sockets, WebRTC and exec'd tools all run as that user. --apply loads
the rules with 'nft -f -' (root); the table replaces only itself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if userName == "" {
				return usageErrorf("--user is required")
			}
			id := uid
			if id < 0 {
				u, err := user.Lookup(userName)
				if err != nil {
					return usageErrorf("user %s: %v (or pass --uid)", userName, err)
				}
				id, _ = strconv.Atoi(u.Uid)
			}
			_, ap, err := wiring.ProxyURL(proxyURL)
			if err != nil {
				return &UsageError{err}
			}
			if !ap.Addr().IsLoopback() {
				return usageErrorf("--proxy %s: the firewall rules confine to a loopback proxy", proxyURL)
			}
			rules, err := wiring.Nftables(wiring.FirewallOptions{User: userName, UID: id, ProxyPorts: []int{int(ap.Port())}, GatewayPorts: gwPorts})
			if err != nil {
				return &UsageError{err}
			}
			if !apply {
				_, err := io.WriteString(f.IO.Out, rules)
				return err
			}
			nft, err := exec.LookPath("nft")
			if err != nil {
				return errors.New("nft not found: install nftables, or load the printed rules yourself")
			}
			c := exec.CommandContext(cmd.Context(), nft, "-f", "-")
			c.Stdin = strings.NewReader(rules)
			c.Stdout, c.Stderr = f.IO.ErrOut, f.IO.ErrOut
			if err := c.Run(); err != nil {
				return fmt.Errorf("nft -f: %w", err)
			}
			fmt.Fprintf(f.IO.ErrOut, "clawgov egress: loaded table inet %s for uid %d\n", wiring.TableName, id)
			return nil
		},
	}
	cmd.Flags().StringVar(&userName, "user", "", "service user to confine")
	cmd.Flags().IntVar(&uid, "uid", -1, "uid of --user (default: looked up)")
	cmd.Flags().StringVar(&proxyURL, "proxy", "http://127.0.0.1:3128", "the egress proxy")
	cmd.Flags().StringSliceVar(&gwPorts, "gateway-ports", []string{"18789", "18791", "18800-18899"}, "loopback ports the service may use (gateway, browser control, CDP)")
	cmd.Flags().BoolVar(&apply, "apply", false, "load the rules with nft (root)")
	return cmd
}

// egressAdminAddr is where `clawgov audit --deep` asks the egress proxy
// (the README's --admin); a variable so tests point it at a test server.
var egressAdminAddr = "127.0.0.1:3129"

// CanaryHost can never be listed (.invalid is reserved), so a proxy that
// lets a CONNECT to it through is not enforcing.
const egressCanaryHost = "clawgov-egress-canary.invalid:443"

// egressProber asks the admin endpoint for the live policy hash and the
// proxy address, then sends the canary CONNECT through the proxy. Both on
// loopback only.
func egressProber(ctx context.Context) *posture.EgressLive {
	live := &posture.EgressLive{AdminURL: "http://" + egressAdminAddr + "/policy"}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, live.AdminURL, nil)
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		live.Err = "egress admin endpoint: " + err.Error()
		return live
	}
	defer resp.Body.Close()
	var info proxy.PolicyInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&info); err != nil || resp.StatusCode != http.StatusOK {
		live.Err = fmt.Sprintf("egress admin endpoint: status %d: %v", resp.StatusCode, err)
		return live
	}
	live.Hash, live.Listen = info.SHA256, info.Listen
	ap, err := netip.ParseAddrPort(info.Listen)
	if err != nil || !ap.Addr().IsLoopback() {
		live.Err = fmt.Sprintf("egress proxy address %q is not on loopback; canary not sent", info.Listen)
		return live
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", info.Listen)
	if err != nil {
		live.Err = "egress proxy: " + err.Error()
		return live
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", egressCanaryHost, egressCanaryHost)
	cr, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodConnect})
	if err != nil {
		live.Err = "egress proxy canary: " + err.Error()
		return live
	}
	cr.Body.Close()
	live.CanaryStatus = cr.StatusCode
	return live
}

// nftRulesetArgv is the command that lists the kernel's loaded ruleset
// for audit --deep; a variable so tests run it inside a namespace.
var nftRulesetArgv = []string{"nft", "-j", "list", "ruleset"}

// nftProber reads the loaded nftables ruleset (read-only; it needs root,
// CAP_NET_ADMIN). Never for --rootfs: the image's kernel is not this one.
func nftProber(ctx context.Context) *posture.NftLive {
	live := &posture.NftLive{Source: strings.Join(nftRulesetArgv, " ")}
	bin, err := exec.LookPath(nftRulesetArgv[0])
	if err != nil {
		live.NoNft = true
		live.Err = nftRulesetArgv[0] + " is not installed"
		return live
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, bin, nftRulesetArgv[1:]...)
	var stdout, stderr strings.Builder
	c.Stdout, c.Stderr = &limitedWriter{w: &stdout, n: 16 << 20}, &limitedWriter{w: &stderr, n: 4 << 10}
	if err := c.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg == "" {
			msg = err.Error()
		}
		if os.Geteuid() != 0 {
			msg += " (not root)"
		}
		live.Err = live.Source + ": " + msg
		return live
	}
	live.JSON = []byte(stdout.String())
	return live
}

// limitedWriter keeps the first n bytes and drops the rest, so a huge
// ruleset or a chatty error cannot grow without bound.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		_, _ = l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// cdpProber asks each loopback browser debugging port for /json/version
// without a credential, as any local process could. An answer with a
// debugger URL means the port drives the browser for whoever connects.
func cdpProber(ctx context.Context, ports []int) []posture.CDPLive {
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 3 * time.Second}
	out := make([]posture.CDPLive, 0, len(ports))
	for _, p := range ports {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		live := posture.CDPLive{Addr: addr}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/json/version", nil)
		resp, err := client.Do(req)
		if err != nil {
			live.Err = err.Error()
			out = append(out, live)
			continue
		}
		var v struct {
			Browser string `json:"Browser"`
			WS      string `json:"webSocketDebuggerUrl"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&v)
		resp.Body.Close()
		switch {
		case resp.StatusCode != http.StatusOK:
			live.Err = "status " + strconv.Itoa(resp.StatusCode)
		case err != nil || v.WS == "":
			live.Err = "not a DevTools endpoint"
		default:
			live.Open, live.Browser = true, v.Browser
		}
		out = append(out, live)
	}
	return out
}

// canaryExe is the binary started as the service account for the
// firewall canary; a variable so tests can point it elsewhere.
var canaryExe = "/proc/self/exe"

// firewallCanary proves the confinement by behaviour, not by reading
// rules: for each service account it listens on a loopback port outside
// the proxy and gateway ports and has a child running as that account
// connect to it. Under clawgov's rules the connect is reset; a connect
// that succeeds means the account's traffic is not confined. Needs root
// (to act as another account); loopback only.
func firewallCanary(ctx context.Context, uids []int) []posture.CanaryLive {
	out := make([]posture.CanaryLive, 0, len(uids))
	if len(uids) == 0 {
		return out
	}
	fail := func(msg string) []posture.CanaryLive {
		for _, u := range uids {
			out = append(out, posture.CanaryLive{UID: u, Err: msg})
		}
		return out
	}
	if os.Geteuid() != 0 {
		return fail("acting as the service account needs root")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail("canary listener: " + err.Error())
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	for _, uid := range uids {
		live := posture.CanaryLive{UID: uid, Target: addr}
		gid := uid
		if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
			if g, err := strconv.Atoi(u.Gid); err == nil {
				gid = g
			}
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		cmd := exec.CommandContext(cctx, canaryExe, "egress", "canary-connect", addr)
		cmd.Args[0] = "clawgov"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
		b, err := cmd.Output()
		cancel()
		var ee *exec.ExitError
		switch {
		case err == nil:
			live.Outcome = "connected"
		case errors.As(err, &ee) && ee.ExitCode() == ExitFindings:
			live.Outcome = "refused"
			live.Detail = strings.TrimSpace(string(b))
		default:
			live.Err = "canary as uid " + strconv.Itoa(uid) + ": " + err.Error()
		}
		out = append(out, live)
	}
	return out
}
