package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Products a result can name. NotOpenClaw covers everything that is not a
// confirmed gateway, decoys that only copy the page title included.
const (
	ProductOpenClaw = "OpenClaw"
	ProductClawdbot = "Clawdbot"
	ProductMoltbot  = "Moltbot"
	NotOpenClaw     = "not OpenClaw"
)

// Auth states of a gateway, as seen without credentials.
const (
	AuthOpen     = "open"
	AuthRequired = "authenticated"
	AuthUnknown  = "unknown"
)

// OpenAI-compatible endpoint states.
const (
	OpenAIOff  = "off"
	OpenAIOn   = "on"   // served, behind auth
	OpenAIOpen = "open" // served without credentials
)

// Result is everything learned about one endpoint.
type Result struct {
	// Address is the IP probed; Host the name the user gave ("" for IP
	// targets).
	Address string `json:"address"`
	Host    string `json:"host,omitempty"`
	Port    int    `json:"port"`
	// Open is true when the TCP connect succeeded.
	Open bool `json:"open"`
	// TLS is true when the endpoint spoke TLS.
	TLS     bool   `json:"tls,omitempty"`
	Product string `json:"product"`
	Version string `json:"version,omitempty"`
	BuildID string `json:"build_id,omitempty"`
	// Auth is open, authenticated or unknown (gateways only).
	Auth string `json:"auth,omitempty"`
	// ControlUI is true when the Control UI page is served.
	ControlUI bool `json:"control_ui,omitempty"`
	// Terminal is the Control UI's browser-terminal flag; nil when unseen.
	Terminal *bool `json:"terminal,omitempty"`
	// OpenAI is off, on or open; "" when not determined.
	OpenAI string `json:"openai,omitempty"`
	// UIConfig is open or protected; "" when not determined.
	UIConfig string `json:"ui_config,omitempty"`
	// WSChallenge is true when the WebSocket connect.challenge was seen.
	WSChallenge bool `json:"ws_challenge,omitempty"`
	// Advisories are the IDs of advisories affecting Version.
	Advisories []string `json:"advisories,omitempty"`
	// Signatures lists the signature IDs that matched.
	Signatures []string `json:"signatures,omitempty"`
	// Evidence is one line per request: what was sent and what came back.
	Evidence []string `json:"evidence,omitempty"`
	// Error says why an open endpoint could not be fingerprinted.
	Error string `json:"error,omitempty"`
}

// IsGateway reports whether the result is a confirmed gateway.
func (r *Result) IsGateway() bool { return r.Product != "" && r.Product != NotOpenClaw }

// Endpoint is "address:port" (IPv6 in brackets).
func (r *Result) Endpoint() string {
	return net.JoinHostPort(r.Address, strconv.Itoa(r.Port))
}

// Extras lists the exposed extras in a fixed order, for tables and CSV.
func (r *Result) Extras() []string {
	var out []string
	switch r.OpenAI {
	case OpenAIOpen:
		out = append(out, "openai-endpoints-open")
	case OpenAIOn:
		out = append(out, "openai-endpoints")
	}
	if r.Terminal != nil && *r.Terminal {
		out = append(out, "terminal")
	}
	if r.UIConfig == "open" {
		out = append(out, "control-ui-config-open")
	}
	if r.ControlUI {
		out = append(out, "control-ui")
	}
	return out
}

// Prober fingerprints single endpoints.
type Prober struct {
	// Dial opens connections; nil uses a net.Dialer.
	Dial DialFunc
	// Timeout bounds each request (connect, send, read); default 3s.
	Timeout time.Duration
	// Retries is how often a request that timed out or was reset is
	// repeated (default 0).
	Retries int
	// Sigs are the compiled signatures; nil uses DefaultSignatures.
	Sigs *Signatures
	// UserAgent identifies the scanner honestly.
	UserAgent string
}

func (p *Prober) init() error {
	if p.Dial == nil {
		d := &net.Dialer{}
		p.Dial = d.DialContext
	}
	if p.Timeout <= 0 {
		p.Timeout = 3 * time.Second
	}
	if p.UserAgent == "" {
		p.UserAgent = "clawgov-discover"
	}
	if p.Sigs == nil {
		s, err := DefaultSignatures()
		if err != nil {
			return err
		}
		p.Sigs = s
	}
	return nil
}

// Probe fingerprints addr:port. host, when not empty, is the name used for
// the Host header and TLS SNI. It never returns an error: what went wrong
// is in Result.Error, and anything unconfirmed is NotOpenClaw.
func (p *Prober) Probe(ctx context.Context, addr netip.Addr, port int, host string) Result {
	res := Result{Address: addr.Unmap().String(), Host: host, Port: port, Open: true, Product: NotOpenClaw}
	if err := p.init(); err != nil {
		res.Error = err.Error()
		return res
	}
	ep := endpoint{addr: net.JoinHostPort(res.Address, strconv.Itoa(port))}
	ep.host = ep.addr
	if host != "" {
		ep.host = net.JoinHostPort(host, strconv.Itoa(port))
		if _, err := netip.ParseAddr(host); err != nil {
			ep.serverName = host
		}
	}
	facts := newFacts()
	reqs := p.Sigs.Requests
	type outcome struct {
		resp *Response
		err  error
	}
	outs := make([]outcome, len(reqs))
	// apply folds outcomes into facts in declaration order, so the verdict
	// never depends on which parallel request finished first. It reports
	// false when probing must stop.
	apply := func(idx []int) bool {
		for _, i := range idx {
			req, o := &reqs[i], outs[i]
			if o.err != nil {
				res.Evidence = append(res.Evidence, fmt.Sprintf("%s %s -> %s", req.Method, req.Path, errText(o.err)))
				if errors.Is(o.err, ErrNotHTTP) && facts.Get("candidate") == "" {
					res.Error = errText(o.err)
					return false
				}
				continue
			}
			before := len(facts.Matched)
			p.Sigs.Apply(facts, req.ID, o.resp)
			res.Evidence = append(res.Evidence, evidenceLine(req, o.resp, facts.Matched[before:]))
		}
		return true
	}
	parallel := func(idx []int) {
		var wg sync.WaitGroup
		for _, i := range idx {
			wg.Go(func() {
				e := ep // plain or TLS is settled by now
				outs[i].resp, outs[i].err = p.send(ctx, &e, &reqs[i], false)
			})
		}
		wg.Wait()
	}
	// Phase 1: the first request alone; it settles plain HTTP vs TLS, and
	// an endpoint that does not answer it with HTTP gets nothing more.
	outs[0].resp, outs[0].err = p.send(ctx, &ep, &reqs[0], true)
	if outs[0].err != nil {
		res.Evidence = append(res.Evidence, fmt.Sprintf("%s %s -> %s", reqs[0].Method, reqs[0].Path, errText(outs[0].err)))
		res.Error = errText(outs[0].err)
	} else {
		apply([]int{0})
		// Phase 2: the other ungated requests; phase 3, only for
		// endpoints that now look like OpenClaw, the gated ones.
		var ungated, gated []int
		for i := 1; i < len(reqs); i++ {
			if reqs[i].Gate == "candidate" {
				gated = append(gated, i)
			} else {
				ungated = append(ungated, i)
			}
		}
		if facts.Get("candidate") != "" {
			// The first answer already looks like OpenClaw: send the
			// rest at once (one round trip fewer), still applied in
			// declaration order.
			rest := append(append([]int(nil), ungated...), gated...)
			sort.Ints(rest)
			parallel(rest)
			apply(rest)
		} else {
			parallel(ungated)
			if apply(ungated) && facts.Get("candidate") != "" && ctx.Err() == nil {
				parallel(gated)
				apply(gated)
			}
		}
		if ctx.Err() != nil && res.Error == "" {
			res.Error = ctx.Err().Error()
		}
	}
	res.TLS = ep.tls
	classify(&res, facts)
	return res
}

// send performs one request with retries; on the first request it falls
// back to TLS when the plain attempt got nothing back.
func (p *Prober) send(ctx context.Context, ep *endpoint, req *Request, first bool) (*Response, error) {
	var lastErr error
	for attempt := 0; attempt <= p.Retries; attempt++ {
		rctx, cancel := context.WithTimeout(ctx, p.Timeout)
		resp, err := exchange(rctx, p.Dial, *ep, req, p.UserAgent)
		cancel()
		if err == nil && first && !ep.tls && httpsHint(resp) {
			// A TLS listener that answers plain text with a hint: talk TLS.
			tctx, cancel := context.WithTimeout(ctx, p.Timeout)
			ep.tls = true
			tresp, terr := exchange(tctx, p.Dial, *ep, req, p.UserAgent)
			cancel()
			if terr == nil {
				return tresp, nil
			}
			ep.tls = false
		}
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if first && !ep.tls && (errors.Is(err, errEmpty) || looksTLS(err)) {
			tctx, cancel := context.WithTimeout(ctx, p.Timeout)
			ep.tls = true
			resp, terr := exchange(tctx, p.Dial, *ep, req, p.UserAgent)
			cancel()
			if terr == nil {
				return resp, nil
			}
			ep.tls = false
		}
		if !retryable(err) || ctx.Err() != nil {
			break
		}
		if first && isTimeout(err) {
			// A service that stays silent on the first request is not a
			// gateway (gateways answer at once); waiting again only slows
			// sweeps down.
			break
		}
	}
	return nil, lastErr
}

// httpsHint recognises the 400 a TLS server (Go, nginx) sends when spoken
// to in plain HTTP.
func httpsHint(r *Response) bool {
	if r.Status != 400 && r.Status != 497 {
		return false
	}
	b := strings.ToLower(string(r.Body))
	return strings.Contains(b, "https server") || strings.Contains(b, "https port") || strings.Contains(b, "to https")
}

// looksTLS recognises a TLS alert record sent in answer to plain text.
func looksTLS(err error) bool {
	return errors.Is(err, ErrNotHTTP) && strings.Contains(err.Error(), `"\x15\x03`)
}

func retryable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, errEmpty)
}

// errText is a short, single-line description of a probe error.
func errText(err error) string {
	switch {
	case errors.Is(err, errEmpty):
		return "closed without a response"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return "no response within the timeout"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "no response within the timeout"
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

func evidenceLine(req *Request, resp *Response, matched []string) string {
	what := req.Method + " " + req.Path
	if req.Kind == "websocket" {
		what = "WS " + req.Path
	}
	s := fmt.Sprintf("%s -> %d", what, resp.Status)
	if len(matched) > 0 {
		s += " [" + strings.Join(matched, ", ") + "]"
	}
	return s
}

// classify turns facts into the result. A gateway needs behavioural proof
// (a signature setting gateway=true: the start-up endpoint, the tools API's
// error shape, the WebSocket challenge ...); a copied page title alone is
// not enough.
func classify(r *Result, f *Facts) {
	r.Signatures = append([]string(nil), f.Matched...)
	if f.Get("gateway") != "true" {
		r.Product = NotOpenClaw
		if f.Get("candidate") == "true" && r.Error == "" {
			r.Error = "looks like the OpenClaw Control UI but shows no gateway behaviour"
		}
		return
	}
	r.Product = f.Get("product")
	if r.Product == "" {
		r.Product = ProductOpenClaw
	}
	r.Version = f.Get("version")
	r.BuildID = f.Get("build_id")
	r.Auth = AuthUnknown
	switch f.Get("auth") {
	case AuthOpen:
		r.Auth = AuthOpen
	case AuthRequired:
		r.Auth = AuthRequired
	}
	r.ControlUI = f.Get("control_ui") == "true"
	switch f.Get("terminal") {
	case "true":
		t := true
		r.Terminal = &t
	case "false":
		t := false
		r.Terminal = &t
	}
	r.OpenAI = f.Get("openai")
	r.UIConfig = f.Get("ui_config")
	r.WSChallenge = containsStr(f.Matched, "ws-connect-challenge")
	// The endpoint answered like a gateway: earlier request errors are
	// evidence, not the verdict.
	r.Error = ""
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// SortResults orders results by address (numerically) then port.
func SortResults(rs []Result) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, _ := netip.ParseAddr(rs[i].Address)
		b, _ := netip.ParseAddr(rs[j].Address)
		if c := a.Compare(b); c != 0 {
			return c < 0
		}
		if rs[i].Port != rs[j].Port {
			return rs[i].Port < rs[j].Port
		}
		return rs[i].Host < rs[j].Host
	})
}
