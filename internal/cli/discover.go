package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/output"
	"github.com/clawgov/clawgov/internal/probe"
	"github.com/clawgov/clawgov/internal/report"
	"github.com/clawgov/clawgov/internal/version"
)

// DiscoverOptions are the flags of `clawgov discover`.
type DiscoverOptions struct {
	reportFlags
	Targets        []string
	TargetsFile    string
	Ports          string
	ProfilePorts   bool
	Exclude        []string
	Concurrency    int
	Rate           string
	Timeout        time.Duration
	ConnectTimeout time.Duration
	Retries        int
	Yes            bool
	All            bool
	Profile        string
	Sweep          string
	MDNS           bool
	MDNSWait       time.Duration
	// Upload is a fleet server URL that receives the gateways found
	// (API token in CLAWGOV_API_TOKEN); UploadPin pins its certificate.
	Upload    string
	UploadPin string

	// dial replaces the network dialer (tests).
	dial probe.DialFunc
	// resolver replaces DNS (tests).
	resolver probe.Resolver
	// mdns replaces the mDNS browse options (tests).
	mdns *probe.MDNSOptions
	// advisories replaces the advisory database (tests).
	advisories func() (*advisory.DB, error)
}

const discoverLong = `Find OpenClaw gateways (also the older Clawdbot and Moltbot builds) on
networks and classify each: product, version, whether it demands
authentication, and exposed extras (OpenAI-compatible API, browser
terminal, Control UI config).

ONLY SCAN NETWORKS YOU ARE AUTHORISED TO TEST. discover only reads: it
sends GET requests, one POST /tools/invoke with the empty body {} (an open
gateway answers "tools.invoke requires name" without running anything) and
a WebSocket upgrade whose first message it reads before closing. It never
sends a credential, never names a tool, never guesses passwords and never
follows a redirect, so no request leaves the endpoint under test. Requests
beyond the first two go only to endpoints that already look like OpenClaw.
Ports are found with a half-open SYN sweep when clawgov runs as root and
every target is IPv4 (like nmap as root: open ports see a SYN and a RST,
never a connection), otherwise with TCP connects (--sweep).
--mdns additionally sends one mDNS question for _openclaw-gw._tcp to the
local link (224.0.0.251) and lists the adverts that answer; it announces
nothing.

Targets: IPs, CIDRs (10.0.0.0/24, fd00::/120), ranges (10.0.0.1-10.0.0.50
or 10.0.0.1-50), hostnames, and any of those but CIDRs and ranges with
:port ([v6]:port). More than 65536 addresses need --yes; more than
16777216 are refused. Ports default to 18789 (gateway) and 19001 (--dev);
--profile-ports adds the named-profile range 20000-59999.

Output: --format text (a table of gateways, then the findings), csv or
records (one record per open endpoint, OpenClaw or not, as CSV or JSON) or
any report format (json, sarif, ...: findings per exposed gateway, checks
CG-EXP-0xx). A progress
bar is drawn on stderr when it is a terminal.

` + exitCodeHelp

func newDiscoverCmd(f *factory, runF func(context.Context, *DiscoverOptions) error) *cobra.Command {
	o := &DiscoverOptions{}
	cmd := &cobra.Command{
		Use:   "discover TARGETS...",
		Short: "Find and fingerprint OpenClaw gateways on networks you are authorised to scan",
		Long:  discoverLong,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Targets = args
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runDiscover(cmd.Context(), f, o)
		},
	}
	o.register(cmd)
	fl := cmd.Flags()
	fl.Lookup("format").Usage = "output format: text|csv|records|" + strings.Join(reportFormats(), "|")
	fl.StringVar(&o.TargetsFile, "targets-file", "", "read more targets from this file (one per line, # comments)")
	fl.StringVar(&o.Ports, "ports", "", "ports to scan, e.g. 18789,19001,20000-20100 (default 18789,19001)")
	fl.BoolVar(&o.ProfilePorts, "profile-ports", false, "also scan the named-profile port range 20000-59999")
	fl.StringSliceVar(&o.Exclude, "exclude", nil, "addresses, CIDRs, ranges or host:port to skip (repeatable)")
	fl.IntVar(&o.Concurrency, "concurrency", 256, "endpoints probed at once")
	fl.StringVar(&o.Rate, "rate", "1000/s", "new endpoints started per second (0 = unlimited)")
	fl.DurationVar(&o.Timeout, "timeout", 3*time.Second, "timeout of each probe request")
	fl.DurationVar(&o.ConnectTimeout, "connect-timeout", time.Second, "timeout of each TCP connect")
	fl.IntVar(&o.Retries, "retries", 1, "retries of a connect or request that timed out")
	fl.BoolVar(&o.Yes, "yes", false, "confirm a scan of more than 65536 addresses")
	fl.BoolVar(&o.All, "all", false, "text format: also list open ports that are not OpenClaw")
	fl.StringVar(&o.Profile, "profile", "miit-2026", "compliance profile for the report")
	fl.StringVar(&o.Upload, "upload", "", "send the gateways found to this fleet server (admin API token in CLAWGOV_API_TOKEN)")
	fl.StringVar(&o.UploadPin, "upload-fingerprint", "", "pin the fleet server's TLS certificate by SHA-256")
	fl.BoolVar(&o.MDNS, "mdns", false, "also browse the local link for _openclaw-gw._tcp adverts (one mDNS query, then listen)")
	fl.DurationVar(&o.MDNSWait, "mdns-wait", 2*time.Second, "how long --mdns listens for answers")
	fl.StringVar(&o.Sweep, "sweep", "auto", "port sweep: auto (SYN when root and all targets are IPv4, else TCP connect), syn or connect")
	return cmd
}

func reportFormats() []string {
	var out []string
	for _, n := range output.Formats() {
		if n != "text" {
			out = append(out, n)
		}
	}
	return out
}

func parseRate(s string) (float64, error) {
	v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "/s"))
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || r < 0 || r != r {
		return 0, fmt.Errorf("--rate %q: want a number of endpoints per second, e.g. 500/s", s)
	}
	return r, nil
}

// validate checks every flag before any packet is sent.
func (o *DiscoverOptions) validate() (threshold finding.Severity, never bool, rate float64, err error) {
	format := strings.ToLower(o.Format)
	rf := o.reportFlags
	if format == "csv" || format == "records" {
		rf.Format = "json" // validate --fail-on with a format the writers know
	}
	if threshold, never, err = rf.validate(); err != nil {
		return
	}
	if o.Concurrency < 1 || o.Concurrency > 65536 {
		return 0, false, 0, usageErrorf("--concurrency %d: want 1-65536", o.Concurrency)
	}
	if o.Retries < 0 || o.Retries > 10 {
		return 0, false, 0, usageErrorf("--retries %d: want 0-10", o.Retries)
	}
	if o.Timeout <= 0 || o.ConnectTimeout <= 0 {
		return 0, false, 0, usageErrorf("--timeout and --connect-timeout must be positive")
	}
	switch o.Sweep {
	case "", "auto", "syn", "connect":
	default:
		return 0, false, 0, usageErrorf("--sweep %q: want auto, syn or connect", o.Sweep)
	}
	if rate, err = parseRate(o.Rate); err != nil {
		return 0, false, 0, &UsageError{err}
	}
	return threshold, never, rate, nil
}

func runDiscover(ctx context.Context, f *factory, o *DiscoverOptions) error {
	threshold, never, rate, err := o.validate()
	if err != nil {
		return err
	}
	lang, err := resolveLang(f, o.Lang)
	if err != nil {
		return err
	}
	specs := append([]string(nil), o.Targets...)
	if o.TargetsFile != "" {
		more, err := readTargetsFile(o.TargetsFile)
		if err != nil {
			return &UsageError{err}
		}
		specs = append(specs, more...)
	}
	if len(specs) == 0 {
		return usageErrorf("no targets: give addresses, CIDRs, ranges or hostnames (or --targets-file)")
	}
	var ports []int
	if o.Ports != "" {
		if ports, err = probe.ParsePorts(o.Ports); err != nil {
			return usageErrorf("--ports: %v", err)
		}
	} else {
		ports = append(ports, probe.DefaultPorts...)
	}
	if o.ProfilePorts {
		extra, _ := probe.ParsePorts(fmt.Sprintf("%d-%d", probe.ProfilePortFirst, probe.ProfilePortLast))
		ports, _ = probe.ParsePorts(joinInts(append(ports, extra...)))
	}
	set, err := probe.ParseTargets(ctx, specs, probe.TargetOptions{Ports: ports, Exclude: o.Exclude, Confirmed: o.Yes, Resolver: o.resolver})
	if err != nil {
		return &UsageError{err}
	}
	cat, err := catalog.Default()
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	if _, err := cat.Profile(o.Profile); err != nil {
		return &UsageError{err}
	}
	f.Logger.Debug("discover", "hosts", set.Hosts(), "endpoints", set.Size(), "concurrency", o.Concurrency, "rate", rate)

	// A nil dialer lets the scanner use its fast epoll connect sweep.
	sc := &probe.Scanner{
		Prober:         &probe.Prober{Dial: o.dial, Timeout: o.Timeout, Retries: o.Retries, UserAgent: "clawgov-discover/" + version.Version},
		ConnectTimeout: o.ConnectTimeout,
		Retries:        o.Retries,
		Concurrency:    o.Concurrency,
		Rate:           rate,
		Method:         strings.TrimPrefix(o.Sweep, "auto"),
	}
	var bar *progressBar
	if f.IO.ErrTTY {
		bar = &progressBar{w: f.IO.ErrOut, start: time.Now()}
		sc.Progress = bar.update
	}
	var (
		adverts []probe.MDNSAdvert
		mdnsErr error
		mdnsWG  sync.WaitGroup
	)
	if o.MDNS {
		mo := probe.MDNSOptions{Wait: o.MDNSWait}
		if o.mdns != nil {
			mo = *o.mdns
		}
		mdnsWG.Go(func() { adverts, mdnsErr = probe.BrowseMDNS(ctx, mo) })
	}
	results, stats, scanErr := sc.Scan(ctx, set)
	mdnsWG.Wait()
	if bar != nil {
		bar.finish()
	}
	if scanErr != nil && ctx.Err() == nil {
		return fmt.Errorf("discover: %w", scanErr)
	}
	f.Logger.Debug("discover done", "sweep", stats.Method, "endpoints", stats.Endpoints, "open", stats.Open, "gateways", stats.Gateways, "took", stats.Duration)
	advErr := annotateAdvisories(results, o.advisories)

	var runErrs []report.RunError
	ran := append([]string(nil), probe.DiscoverChecks...)
	findings := probe.Findings(results)
	if o.MDNS {
		ran = append(ran, probe.MDNSCheck)
		findings = append(findings, probe.MDNSFindings(adverts)...)
		if mdnsErr != nil {
			runErrs = append(runErrs, report.RunError{Source: "mdns", Message: mdnsErr.Error(), Checks: []string{probe.MDNSCheck}})
		}
	}
	if advErr != nil {
		runErrs = append(runErrs, report.RunError{Source: "advisory database", Message: advErr.Error(), Checks: []string{"CG-EXP-022"}})
	}
	if scanErr != nil {
		runErrs = append(runErrs, report.RunError{Source: "discover", Message: "scan interrupted: " + scanErr.Error() + "; results are partial", Checks: probe.DiscoverChecks})
	}
	r, err := report.Build(cat, report.Input{
		Kind: "discover", Tool: report.Tool{Name: "clawgov", Version: version.Version},
		Now: f.Now(), Lang: lang, ProfileID: o.Profile,
		Target:   report.Target{Host: discoverTargetLabel(specs, ports, stats)},
		Ran:      ran,
		Findings: findings,
		Errors:   runErrs,
	})
	if err != nil {
		return fmt.Errorf("build report: %w", err)
	}
	if err := o.write(f, r, results, adverts); err != nil {
		return err
	}
	if o.Upload != "" {
		if err := uploadGateways(ctx, f, o.Upload, o.UploadPin, results); err != nil {
			return err
		}
	}
	if scanErr != nil {
		return fmt.Errorf("scan interrupted: %w", scanErr)
	}
	if !never && r.Failing(threshold) {
		return ErrFindings
	}
	return nil
}

// annotateAdvisories fills Result.Advisories with the IDs of advisories
// whose known affected range contains the gateway's version. Advisories
// with an unknown range are left out: a discovery record states what is
// known to apply.
func annotateAdvisories(results []probe.Result, load func() (*advisory.DB, error)) error {
	need := false
	for i := range results {
		if results[i].IsGateway() && results[i].Version != "" {
			need = true
		}
	}
	if !need {
		return nil
	}
	if load == nil {
		load = func() (*advisory.DB, error) {
			dir, _ := advisory.DefaultCacheDir()
			db, _, err := advisory.Current(dir)
			return db, err
		}
	}
	db, err := load()
	if err != nil {
		return err
	}
	for i := range results {
		r := &results[i]
		if !r.IsGateway() || r.Version == "" {
			continue
		}
		v, err := advisory.ParseVersion(r.Version)
		if err != nil {
			continue
		}
		for _, m := range db.Match(strings.ToLower(r.Product), v) {
			if m.Kind == advisory.MatchAffected {
				r.Advisories = append(r.Advisories, m.Advisory.ID)
			}
		}
	}
	return nil
}

// write renders the results in the chosen format to stdout or --output.
func (o *DiscoverOptions) write(f *factory, r *report.Report, results []probe.Result, adverts []probe.MDNSAdvert) error {
	format := strings.ToLower(o.Format)
	render := func(w io.Writer) error {
		switch format {
		case "csv":
			return probe.WriteCSV(w, results)
		case "records":
			return writeRecords(w, results, adverts)
		case "text":
			if err := probe.WriteTable(w, results, o.All); err != nil {
				return err
			}
			if o.MDNS {
				fmt.Fprintln(w)
				if err := probe.WriteMDNSTable(w, adverts); err != nil {
					return err
				}
			}
			fmt.Fprintln(w)
		}
		wr, err := output.New(format, output.Options{Color: o.Output == "" && f.IO.OutTTY && f.Getenv("NO_COLOR") == ""})
		if err != nil {
			return &UsageError{err}
		}
		return wr.Write(w, r)
	}
	if o.Output == "" {
		if err := render(f.IO.Out); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
		return nil
	}
	return writeFileAtomic(o.Output, func(fh *os.File) error { return render(fh) })
}

// writeRecords writes every open endpoint (and mDNS advert) as JSON: the
// machine-readable twin of the CSV.
func writeRecords(w io.Writer, results []probe.Result, adverts []probe.MDNSAdvert) error {
	doc := struct {
		Records []probe.Result     `json:"records"`
		MDNS    []probe.MDNSAdvert `json:"mdns,omitempty"`
	}{Records: results, MDNS: adverts}
	if doc.Records == nil {
		doc.Records = []probe.Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// discoverTargetLabel names what was scanned for the report header.
func discoverTargetLabel(specs []string, ports []int, st probe.Stats) string {
	shown := specs
	if len(shown) > 5 {
		shown = append(append([]string(nil), shown[:5]...), fmt.Sprintf("+%d more", len(specs)-5))
	}
	portText := joinInts(ports)
	if len(ports) > 8 {
		portText = fmt.Sprintf("%d ports", len(ports))
	}
	return fmt.Sprintf("discover %s (ports %s): %d endpoints, %d open, %d gateways, %s",
		strings.Join(shown, " "), portText, st.Endpoints, st.Open, st.Gateways, st.Duration.Round(time.Millisecond))
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func readTargetsFile(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read targets file: %w", err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		out = append(out, strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read targets file %s: %w", path, err)
	}
	return out, nil
}

// progressBar draws "[=====>    ] 45%  29491/65535  3.2s" on stderr.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	drawn bool
}

func (b *progressBar) update(done, total uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if total == 0 {
		return
	}
	const width = 30
	pct := float64(done) / float64(total)
	if pct > 1 {
		pct = 1
	}
	n := int(pct * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	if n < width {
		bar = bar[:n] + ">" + bar[n+1:]
	}
	fmt.Fprintf(b.w, "\r[%s] %3.0f%%  %d/%d  %s ", bar, pct*100, done, total, time.Since(b.start).Round(100*time.Millisecond))
	b.drawn = true
}

func (b *progressBar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\n")
	}
}
