// Package proxy is the forward proxy of `clawgov egress serve`: plain HTTP
// requests in absolute form and CONNECT tunnels (https, ws, wss), each
// decided by the egress policy, each logged as one JSON line.
//
// It is built on net/http and net/http/httputil rather than goproxy or
// smokescreen (README, "Browser egress"): the standard server already
// enforces header size and header-read deadlines, ReverseProxy already
// strips hop-by-hop and Proxy-* headers and handles upgrades, and what is
// left (a dialer that checks the address it dials, the tunnel copy, the
// log) is the part those libraries would have to be bent to anyway.
package proxy

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/clawgov/clawgov/internal/egress/policy"
)

// Resolver looks names up; net.DefaultResolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config of a proxy. Zero values take the defaults noted.
type Config struct {
	Policy *policy.Policy
	// Resolve pins names to addresses (like curl --resolve) for tests and
	// air-gapped sites; pinned names are never looked up.
	Resolve  map[string][]netip.Addr
	Resolver Resolver
	// Log receives one JSON line per request (nil: discarded).
	Log    io.Writer
	Logger *slog.Logger
	// MaxHeaderBytes bounds a request's header block (default 32 KiB).
	MaxHeaderBytes int
	// HeaderTimeout bounds the time to send the request headers, which is
	// what stops slowloris clients (default 10s).
	HeaderTimeout time.Duration
	// TunnelIdle closes a tunnel after no byte in either direction for this
	// long, which reclaims half-open tunnels (default 5m).
	TunnelIdle time.Duration
	// MaxConns bounds concurrent client connections (default 4096).
	MaxConns int
	// DialTimeout bounds connecting upstream (default 10s).
	DialTimeout time.Duration
	Now         func() time.Time
	// ListenAddr is reported on the admin endpoint so --deep can find the
	// proxy to send its canary through.
	ListenAddr string
	// TLS, when set, makes the listener an HTTPS proxy that negotiates
	// HTTP/2 or HTTP/1.1 by ALPN (a browser's "https://" proxy). Without
	// it the listener speaks HTTP/1.1 and HTTP/2 with prior knowledge.
	TLS *tls.Config
}

// Server is a running proxy's state. Safe for concurrent use.
type Server struct {
	cfg     Config
	pol     atomic.Pointer[policy.Policy]
	loaded  atomic.Int64 // unix seconds of the last successful load
	metrics *metrics
	logMu   sync.Mutex
	rp      *httputil.ReverseProxy
	idBase  string
	idSeq   atomic.Uint64
}

// New builds a server from cfg.
func New(cfg Config) *Server {
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = 32 << 10
	}
	if cfg.HeaderTimeout == 0 {
		cfg.HeaderTimeout = 10 * time.Second
	}
	if cfg.TunnelIdle == 0 {
		cfg.TunnelIdle = 5 * time.Minute
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 4096
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	s := &Server{cfg: cfg, metrics: newMetrics(), idBase: hex.EncodeToString(b[:])}
	if cfg.Policy != nil {
		s.SetPolicy(cfg.Policy)
	}
	tr := &http.Transport{
		DialContext:           s.dialUpstream,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		// Never follow an environment proxy: this is the proxy.
		Proxy: nil,
	}
	s.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			u := *pr.In.URL
			u.Scheme = "http" // the only scheme forwarded; HTTP/2 requests arrive without one
			// Dial and send exactly the normalised authority that was
			// checked, not the client's spelling of it.
			if st, _ := pr.In.Context().Value(stateKey{}).(*reqState); st != nil {
				u.Host = st.target.Authority()
			}
			pr.Out.URL = &u
			pr.Out.Host = "" // the checked authority, never a client-chosen Host
			pr.Out.RequestURI = ""
		},
		Transport:    tr,
		BufferPool:   bufferPool{},
		ErrorHandler: s.upstreamError,
		ErrorLog:     nil,
	}
	return s
}

// SetPolicy swaps the live policy; requests in flight keep the one they
// were decided by.
func (s *Server) SetPolicy(p *policy.Policy) {
	s.pol.Store(p)
	s.loaded.Store(s.cfg.Now().Unix())
	s.metrics.setPolicy(p.Hash)
}

// Policy returns the live policy.
func (s *Server) Policy() *policy.Policy { return s.pol.Load() }

// Reload loads path and swaps it in; on error the old policy stays and the
// error is returned (and counted) so the operator sees why.
func (s *Server) Reload(path string) error {
	p, err := policy.Load(path)
	if err != nil {
		s.metrics.reloads.With("result", "error").Add(1)
		s.cfg.Logger.Error("egress policy reload refused; keeping the previous policy", "err", err, "hash", s.Policy().Hash)
		return err
	}
	if old := s.Policy(); old != nil && old.Hash == p.Hash {
		return nil
	}
	s.SetPolicy(p)
	s.metrics.reloads.With("result", "ok").Add(1)
	s.cfg.Logger.Info("egress policy loaded", "path", path, "hash", p.Hash, "entries", len(p.Entries()))
	return nil
}

// Watch reloads path whenever its content changes (polled every interval;
// polling also sees the symlink swaps of config-management tools, which
// inotify on the file misses) until ctx ends. A tick reads and hashes the
// file and parses it only when the bytes differ from the live policy's
// and from the last refused ones: parsing a 10,000-entry policy every
// tick took a fifth of a core.
func (s *Server) Watch(ctx context.Context, path string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastErr, lastBadHash string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		data, err := policy.ReadFile(path)
		var p *policy.Policy
		if err == nil {
			h := policy.HashOf(data)
			if cur := s.Policy(); (cur != nil && cur.Hash == h) || h == lastBadHash {
				continue
			}
			if p, err = policy.Parse(path, data); err != nil {
				lastBadHash = h
			}
		}
		if err != nil {
			// Report a bad file once per distinct error, not every tick.
			if msg := err.Error(); msg != lastErr {
				lastErr = msg
				s.metrics.reloads.With("result", "error").Add(1)
				s.cfg.Logger.Error("egress policy change refused; keeping the previous policy", "err", err)
			}
			continue
		}
		lastErr, lastBadHash = "", ""
		if cur := s.Policy(); cur == nil || cur.Hash != p.Hash {
			s.SetPolicy(p)
			s.metrics.reloads.With("result", "ok").Add(1)
			s.cfg.Logger.Info("egress policy reloaded", "path", path, "hash", p.Hash)
		}
	}
}

// Serve accepts proxy clients on ln until ctx ends, then drains.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := s.HTTPServer()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	ln = limitListen(ln, s.cfg.MaxConns)
	var err error
	if s.cfg.TLS != nil {
		// ServeTLS adds h2 to the ALPN list of a clone of TLSConfig.
		err = hs.ServeTLS(ln, "", "")
	} else {
		err = hs.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// HTTPServer is the configured http.Server for the proxy listener.
//
// HTTP/2 comes from net/http itself: negotiated by ALPN on a TLS listener,
// by prior knowledge (h2c) on a plain one. Its per-connection limits are
// the slowloris and flood bounds for HTTP/2 clients, since
// ReadHeaderTimeout only applies to HTTP/1: a bounded header list, a
// bounded number of concurrent streams, and a read-idle ping.
func (s *Server) HTTPServer() *http.Server {
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetHTTP2(true)
	protos.SetUnencryptedHTTP2(true)
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.HeaderTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
		TLSConfig:         s.cfg.TLS,
		Protocols:         &protos,
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams: 250,
			MaxReadFrameSize:     1 << 20,
			SendPingTimeout:      30 * time.Second,
			PingTimeout:          15 * time.Second,
			WriteByteTimeout:     s.cfg.TunnelIdle,
		},
		ErrorLog: slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelDebug),
	}
}

// record is one log line. Never bodies, cookies or credentials.
type record struct {
	Time       string  `json:"time"`
	ID         string  `json:"id"`
	Client     string  `json:"client"`
	User       string  `json:"user,omitempty"`
	Method     string  `json:"method"`
	Host       string  `json:"host,omitempty"`
	Port       int     `json:"port,omitempty"`
	Path       string  `json:"path,omitempty"`
	ResolvedIP string  `json:"resolved_ip,omitempty"`
	Decision   string  `json:"decision"`
	Rule       string  `json:"rule"`
	Reason     string  `json:"reason,omitempty"`
	Status     int     `json:"status"`
	BytesUp    int64   `json:"bytes_up"`
	BytesDown  int64   `json:"bytes_down"`
	DurationMS float64 `json:"duration_ms"`
	Policy     string  `json:"policy,omitempty"`
}

type reqState struct {
	rec     record
	start   time.Time
	dec     policy.Decision
	target  policy.Target
	blocked string // hard-block category the dialer hit
}

type stateKey struct{}

func (s *Server) newID() string {
	return s.idBase + "-" + strconv.FormatUint(s.idSeq.Add(1), 36)
}

// ServeHTTP decides and serves one proxy request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := &reqState{start: s.cfg.Now()}
	st.rec.ID = s.newID()
	st.rec.Method = r.Method
	st.rec.Time = st.start.UTC().Format(time.RFC3339Nano)
	client := clientID(r)
	st.rec.Client = client.Addr.String()
	st.rec.User = client.User
	pol := s.Policy()
	if pol == nil {
		s.refuse(w, r, st, http.StatusServiceUnavailable, "no-policy", "no policy loaded")
		return
	}
	st.rec.Policy = pol.Hash[:12]

	var t policy.Target
	var err error
	if r.Method == http.MethodConnect {
		// HTTP/2 CONNECT carries the authority alone; net/http puts it in
		// RequestURI as for HTTP/1.
		t, err = policy.ParseConnect(r.RequestURI)
	} else if r.ProtoMajor == 2 {
		// An HTTP/2 request names its target in :scheme, :authority and
		// :path; net/http keeps the last two. Only plain http is
		// forwarded, and r.TLS is set exactly when :scheme was https on a
		// TLS listener, which must be a CONNECT instead.
		if r.TLS != nil {
			err = fmt.Errorf("request target https://%s%s: scheme https is not forwarded (use CONNECT for https, ws and wss)", r.Host, clipPath(r.RequestURI))
		} else {
			t, err = policy.ParseAbsolute("http://"+r.Host+r.RequestURI, "")
		}
	} else {
		// net/http discards the Host header of an absolute-form request
		// (RFC 9112 §3.2.2) and the proxy rewrites Host from the checked
		// URL, so a mismatching Host never reaches the upstream.
		t, err = policy.ParseAbsolute(r.RequestURI, "")
	}
	if err != nil {
		st.rec.Decision, st.rec.Rule, st.rec.Reason = policy.Deny, policy.RuleBadRequest, err.Error()
		s.refuse(w, r, st, http.StatusBadRequest, policy.RuleBadRequest, err.Error())
		return
	}
	st.rec.Host, st.rec.Port = t.Host, t.Port
	if t.Scheme == "http" {
		st.rec.Path = clipPath(t.Path)
	}
	d := pol.Decide(client, t)
	st.dec, st.target = d, t
	st.rec.Decision, st.rec.Rule, st.rec.Reason = d.Outcome, d.Rule, d.Reason
	if !d.Allowed() {
		// Ask for a credential only when the host is listed for a client
		// class the request could still prove it belongs to.
		if e := d.Entry(); e != nil && len(e.Clients) > 0 && pol.NeedsAuth() && client.User == "" {
			w.Header().Set("Proxy-Authenticate", `Basic realm="clawgov-egress"`)
			st.rec.Rule = policy.RuleAuth
			s.refuse(w, r, st, http.StatusProxyAuthRequired, d.Rule, d.Reason)
			return
		}
		s.refuse(w, r, st, http.StatusForbidden, d.Rule, d.Reason)
		return
	}
	if t.Scheme == "connect" {
		s.tunnel(w, r, st, t)
		return
	}
	s.forward(w, r, st)
}

func clipPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i] // queries carry tokens; the path is enough for an auditor
	}
	if len(p) > 512 {
		p = p[:512]
	}
	return p
}

// clientID takes the source address and, if sent, the Basic proxy
// credential.
func clientID(r *http.Request) policy.ClientID {
	var c policy.ClientID
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.Addr = ap.Addr().Unmap()
	}
	if h := r.Header.Get("Proxy-Authorization"); h != "" {
		if scheme, val, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "basic") {
			if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val)); err == nil {
				if u, p, ok := strings.Cut(string(raw), ":"); ok {
					c.User, c.Password = u, p
				}
			}
		}
	}
	return c
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, st *reqState, status int, rule, reason string) {
	if st.rec.Decision == "" {
		st.rec.Decision = policy.Deny
	}
	if st.rec.Rule == "" {
		st.rec.Rule = rule
	}
	if st.rec.Reason == "" {
		st.rec.Reason = reason
	}
	st.rec.Status = status
	w.Header().Set("X-Clawgov-Request-Id", st.rec.ID)
	w.Header().Set("Cache-Control", "no-store")
	if r.ProtoMajor < 2 {
		// HTTP/2 has no Connection header; a refused stream ends alone.
		w.Header().Set("Connection", "close")
	}
	if r.Method == http.MethodConnect {
		// Browsers never show a CONNECT response body; keep it short.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		n, _ := fmt.Fprintf(w, "clawgov egress: %s (rule %s, request %s)\n", http.StatusText(status), st.rec.Rule, st.rec.ID)
		st.rec.BytesDown = int64(n)
	} else {
		n := writeBlockPage(w, status, st.rec.Host, st.rec.Rule, reason, st.rec.ID)
		st.rec.BytesDown = int64(n)
	}
	s.finish(st)
}

func (s *Server) finish(st *reqState) {
	st.rec.DurationMS = float64(s.cfg.Now().Sub(st.start).Microseconds()) / 1000
	s.metrics.observe(st.rec.Method == http.MethodConnect, st.rec.Decision, st.rec.BytesUp, st.rec.BytesDown)
	bp := lineBufs.Get().(*[]byte)
	line := appendRecord((*bp)[:0], &st.rec)
	s.logMu.Lock()
	_, err := s.cfg.Log.Write(line)
	s.logMu.Unlock()
	if cap(line) <= 64<<10 {
		*bp = line
		lineBufs.Put(bp)
	}
	if err != nil {
		s.cfg.Logger.Error("write egress log", "err", err)
	}
}

// errHardBlock marks a dial refused because every address of the name is
// hard-blocked for the deciding entry.
type errHardBlock struct{ reason, ip string }

func (e *errHardBlock) Error() string {
	return fmt.Sprintf("destination %s is in a hard-blocked range (%s)", e.ip, e.reason)
}

// dialUpstream resolves the name itself (or takes the --resolve pin),
// drops hard-blocked addresses, and dials an IP literal so nothing
// resolves the name again between check and connect. The Control hook
// then re-checks the socket address actually being connected, which is
// the check no resolver trick can get around.
func (s *Server) dialUpstream(ctx context.Context, network, addr string) (net.Conn, error) {
	// The transport may finish a dial after the request that started it
	// has gone, so only the decision is read here; what was dialled is
	// recorded through httptrace in the request's own goroutine.
	var dec policy.Decision
	if st, _ := ctx.Value(stateKey{}).(*reqState); st != nil {
		dec = st.dec
	}
	return s.dial(ctx, dec, addr, nil)
}

// dial is dialUpstream with the decision given and, for tunnels (where it
// runs in the request goroutine), the record to fill in.
func (s *Server) dial(ctx context.Context, dec policy.Decision, addr string, st *reqState) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := s.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for _, ip := range addrs {
		if why := policy.CheckIP(dec, ip); why != "" {
			lastErr = &errHardBlock{reason: why, ip: ip.String()}
			if st != nil {
				st.blocked = why
				st.rec.ResolvedIP = ip.String()
			}
			continue
		}
		d := net.Dialer{Timeout: s.cfg.DialTimeout, Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("dial address %q: %w", address, err)
			}
			if why := policy.CheckIP(dec, ap.Addr()); why != "" {
				return &errHardBlock{reason: why, ip: ap.Addr().String()}
			}
			return nil
		}}
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), portStr))
		if err != nil {
			lastErr = err
			continue
		}
		if st != nil {
			st.rec.ResolvedIP = ip.String()
			st.blocked = ""
		}
		return c, nil
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("no address for %s", host)
	}
	return nil, lastErr
}

func (s *Server) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	if pinned, ok := s.cfg.Resolve[host]; ok {
		return pinned, nil
	}
	addrs, err := s.cfg.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	return addrs, nil
}

func (s *Server) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	st, _ := r.Context().Value(stateKey{}).(*reqState)
	if st == nil {
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	}
	var hb *errHardBlock
	if errors.As(err, &hb) {
		st.rec.Decision, st.rec.Rule = policy.Deny, "hard-block:"+hb.reason
		st.rec.Reason, st.rec.ResolvedIP = hb.Error(), hb.ip
		n := writeBlockPage(w, http.StatusForbidden, st.rec.Host, st.rec.Rule, st.rec.Reason, st.rec.ID)
		st.rec.Status, st.rec.BytesDown = http.StatusForbidden, int64(n)
		return
	}
	st.rec.Reason = "upstream: " + err.Error()
	st.rec.Status = http.StatusBadGateway
	w.Header().Set("X-Clawgov-Request-Id", st.rec.ID)
	http.Error(w, "clawgov egress: upstream unreachable (request "+st.rec.ID+")", http.StatusBadGateway)
}

// forward relays a plain HTTP request through ReverseProxy.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, st *reqState) {
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if ap, err := netip.ParseAddrPort(info.Conn.RemoteAddr().String()); err == nil {
			st.rec.ResolvedIP = ap.Addr().String()
		}
	}}
	// One context and one request copy carry both the state (read by
	// Rewrite and the dialer) and the trace.
	r = r.WithContext(httptrace.WithClientTrace(context.WithValue(r.Context(), stateKey{}, st), trace))
	cw := &countingWriter{ResponseWriter: w}
	if r.Body != nil && r.Body != http.NoBody {
		cb := &countingBody{ReadCloser: r.Body}
		r.Body = cb
		defer func() { st.rec.BytesUp = cb.n }()
	}
	w.Header().Set("X-Clawgov-Request-Id", st.rec.ID)
	s.rp.ServeHTTP(cw, r)
	if st.rec.Status == 0 {
		st.rec.Status = cw.status
	}
	st.rec.BytesDown = cw.n
	defer s.finish(st)
}

type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (c *countingWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

// Unwrap lets ResponseController (flush, hijack for upgrades) reach the
// real writer.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

type countingBody struct {
	io.ReadCloser
	n int64
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.n += int64(n)
	return n, err
}

// tunnel dials upstream first (so a refusal is still a proper 403/502),
// then hijacks the client connection and copies both ways with an idle
// deadline, so a peer that goes silent frees its tunnel.
func (s *Server) tunnel(w http.ResponseWriter, r *http.Request, st *reqState, t policy.Target) {
	up, err := s.dial(r.Context(), st.dec, t.Authority(), st)
	if err != nil {
		var hb *errHardBlock
		if errors.As(err, &hb) {
			st.rec.Decision, st.rec.Rule = policy.Deny, "hard-block:"+hb.reason
			s.refuse(w, r, st, http.StatusForbidden, st.rec.Rule, hb.Error())
			return
		}
		st.rec.Reason = "upstream: " + err.Error()
		s.refuse(w, r, st, http.StatusBadGateway, st.rec.Rule, st.rec.Reason)
		return
	}
	rc := http.NewResponseController(w)
	if r.ProtoMajor == 2 {
		s.tunnelStream(w, r, rc, up, st)
		return
	}
	conn, brw, err := rc.Hijack()
	if err != nil {
		up.Close()
		st.rec.Reason = "hijack: " + err.Error()
		s.refuse(w, r, st, http.StatusInternalServerError, st.rec.Rule, st.rec.Reason)
		return
	}
	st.rec.Status = http.StatusOK
	s.metrics.tunnels.Add(1)
	_ = conn.SetDeadline(time.Time{})
	fail := func() {
		conn.Close()
		up.Close()
		s.metrics.tunnels.Add(-1)
		s.finish(st)
	}
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		fail()
		return
	}
	// Bytes the client pipelined after the CONNECT head are in brw: send
	// them first, and then read the client's socket itself.
	var headN int64
	if n := brw.Reader.Buffered(); n > 0 {
		head, _ := brw.Reader.Peek(n)
		_ = up.SetWriteDeadline(time.Now().Add(s.cfg.TunnelIdle))
		k, err := up.Write(head)
		headN = int64(k)
		if err != nil {
			st.rec.BytesUp = headN
			fail()
			return
		}
	}
	var client io.Reader = conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		if tc, ok := nc.NetConn().(*net.TCPConn); ok {
			client = tc
		}
	}
	// The handler returns and the two copies own the connections: a tunnel
	// costs two goroutines and no buffer while idle, rather than also the
	// server's connection goroutine with its read buffer.
	go func() {
		done := make(chan int64, 1)
		go func() { done <- s.copyIdle(conn, up, up, conn) }()
		upN := headN + s.copyIdle(up, client, conn, up)
		downN := <-done
		conn.Close()
		up.Close()
		s.metrics.tunnels.Add(-1)
		st.rec.BytesUp, st.rec.BytesDown = upN, downN
		s.finish(st)
	}()
}

// tunnelStream is the tunnel over one HTTP/2 stream: the request body is
// the client's bytes, the response body the upstream's. There is nothing
// to hijack; the stream's deadlines and flushes stand in for the
// connection's.
func (s *Server) tunnelStream(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, up net.Conn, st *reqState) {
	st.rec.Status = http.StatusOK
	s.metrics.tunnels.Add(1)
	defer s.metrics.tunnels.Add(-1)
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		up.Close()
		s.finish(st)
		return
	}
	cs := &streamConn{body: r.Body, w: w, rc: rc, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	var upN, downN int64
	go func() {
		defer wg.Done()
		upN = s.copyIdle(up, cs, cs, up)
	}()
	go func() {
		defer wg.Done()
		downN = s.copyIdle(cs, up, up, cs)
	}()
	wg.Wait()
	up.Close()
	st.rec.BytesUp, st.rec.BytesDown = upN, downN
	s.finish(st)
}

// streamConn adapts an HTTP/2 stream to what copyIdle needs. Close ends
// the client's side (the body reader); the response ends when the handler
// returns. There is no half-close of the response short of that, so an
// upstream EOF closes the stream.
type streamConn struct {
	body      io.ReadCloser
	w         http.ResponseWriter
	rc        *http.ResponseController
	closeOnce sync.Once
	done      chan struct{}
}

func (c *streamConn) Read(b []byte) (int, error) { return c.body.Read(b) }

func (c *streamConn) Write(b []byte) (int, error) {
	select {
	case <-c.done:
		return 0, net.ErrClosed
	default:
	}
	n, err := c.w.Write(b)
	if err == nil {
		err = c.rc.Flush()
	}
	return n, err
}

func (c *streamConn) SetReadDeadline(t time.Time) error  { return c.rc.SetReadDeadline(t) }
func (c *streamConn) SetWriteDeadline(t time.Time) error { return c.rc.SetWriteDeadline(t) }

func (c *streamConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.body.Close()
	})
	return nil
}

// deadlineCloser is the part of a connection copyIdle drives: a net.Conn
// or an HTTP/2 stream.
type deadlineCloser interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
	Close() error
}
