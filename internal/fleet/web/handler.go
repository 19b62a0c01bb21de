package web

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/output"
	"github.com/clawgov/clawgov/internal/webui"
)

// Options configure the dashboard.
type Options struct {
	Source   Source
	Users    Users
	Sessions Sessions
	// Catalog gives the 12 controls and their titles (default: embedded).
	Catalog *catalog.Catalog
	// BundleKey signs evidence bundle manifests. Without it the bundle
	// route answers 503 rather than hand out an unsigned bundle.
	BundleKey ed25519.PrivateKey
	// Prefix is where the dashboard is mounted ("" for the root); links
	// carry it. The mounting server strips it before calling Handler.
	Prefix string
	// Setup creates the first admin from the one-time bootstrap secret
	// (nil: no /setup page). It returns ErrBadLogin for a wrong or used
	// secret.
	Setup func(ctx context.Context, secret, name, password string) error
	// Now is the server clock (default time.Now).
	Now        func() time.Time
	Logger     *slog.Logger
	SessionTTL time.Duration
	// PageSize is the hosts table page size (default 100).
	PageSize int
}

// Dashboard serves the web pages.
type Dashboard struct {
	o    Options
	ctls []controlInfo
	mux  *http.ServeMux
}

type ctxKey int

const (
	keyUser ctxKey = iota
	keySession
	keyLang
)

// New returns the dashboard.
func New(o Options) (*Dashboard, error) {
	if o.Source == nil || o.Users == nil || o.Sessions == nil {
		return nil, errors.New("web: Source, Users and Sessions are required")
	}
	if o.Catalog == nil {
		cat, err := catalog.Default()
		if err != nil {
			return nil, fmt.Errorf("web: load catalog: %w", err)
		}
		o.Catalog = cat
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = defaultSessionTT
	}
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	o.Prefix = strings.TrimRight(o.Prefix, "/")
	d := &Dashboard{o: o, ctls: fleetControls(o.Catalog), mux: http.NewServeMux()}
	m := d.mux
	m.HandleFunc("GET /login", d.loginForm)
	m.HandleFunc("POST /login", d.login)
	m.HandleFunc("POST /logout", d.authed(d.logout))
	m.HandleFunc("GET /setup", d.setupForm)
	m.HandleFunc("POST /setup", d.setup)
	m.HandleFunc("GET /{$}", d.authed(d.overview))
	m.HandleFunc("GET /hosts", d.authed(d.hosts))
	m.HandleFunc("GET /hosts/{id}", d.authed(d.host))
	m.HandleFunc("GET /hosts/{id}/reports/{rid}", d.authed(d.reportHTML))
	m.HandleFunc("GET /hosts/{id}/reports/{rid}/json", d.authed(d.reportJSON))
	m.HandleFunc("POST /hosts/{id}/tags", d.authed(d.admin(d.setTags)))
	m.HandleFunc("GET /findings", d.authed(d.findings))
	m.HandleFunc("GET /unmanaged", d.authed(d.unmanaged))
	m.HandleFunc("GET /export/hosts.csv", d.authed(d.exportHosts("csv")))
	m.HandleFunc("GET /export/hosts.jsonl", d.authed(d.exportHosts("jsonl")))
	m.HandleFunc("GET /export/findings.csv", d.authed(d.exportFindings("csv")))
	m.HandleFunc("GET /export/findings.jsonl", d.authed(d.exportFindings("jsonl")))
	m.HandleFunc("POST /export/bundle", d.authed(d.bundle))
	return d, nil
}

// Handler returns the dashboard routes for the fleet server to mount.
func Handler(o Options) (http.Handler, error) {
	d, err := New(o)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// csp allows nothing external: inline styles, data: images, frames and
// forms of this origin only. No script at all.
const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"

// crossOrigin rejects state-changing requests from other origins
// (Sec-Fetch-Site / Origin), a second line behind the CSRF tokens.
var crossOrigin = webui.CrossOrigin

func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	lang, chosen := pickLang(r)
	if chosen {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(lang), Path: d.cookiePath(), MaxAge: 365 * 24 * 3600,
			Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	h.Set("Content-Language", string(lang))
	r = r.WithContext(context.WithValue(r.Context(), keyLang, lang))
	if err := crossOrigin.Check(r); err != nil {
		d.fail(w, r, http.StatusForbidden, "csrf", err)
		return
	}
	d.mux.ServeHTTP(w, r)
}

func (d *Dashboard) cookiePath() string {
	if d.o.Prefix == "" {
		return "/"
	}
	return d.o.Prefix + "/"
}

func langOf(r *http.Request) catalog.Lang {
	if l, ok := r.Context().Value(keyLang).(catalog.Lang); ok {
		return l
	}
	return catalog.EN
}

// page starts a page for r in its language, with the user and session.
func (d *Dashboard) page(r *http.Request, title, nav string) *Page {
	lang := langOf(r)
	p := newPage(labelsFor(lang), lang, d.o.Prefix)
	p.Title, p.Nav = p.T(title), nav
	if u, ok := r.Context().Value(keyUser).(User); ok {
		p.User = &u
	}
	if s, ok := r.Context().Value(keySession).(Session); ok {
		p.CSRF = s.CSRF
	}
	q := r.URL.Query()
	q.Set("lang", p.OtherLang)
	p.LangURL = d.o.Prefix + r.URL.Path + "?" + q.Encode()
	return p
}

func (d *Dashboard) show(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var buf strings.Builder
	if err := render(&buf, name, p); err != nil {
		d.o.Logger.Error("dashboard render", "page", name, "err", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}

// fail shows an error page; the detail goes to the log only.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, status int, key string, err error) {
	if status >= 500 {
		d.o.Logger.Error("dashboard", "path", r.URL.Path, "err", err)
	} else if err != nil {
		d.o.Logger.Debug("dashboard", "path", r.URL.Path, "status", status, "err", err)
	}
	p := d.page(r, key, "")
	p.Body = ErrorView{Message: p.T(key)}
	d.show(w, r, status, "error", p)
}

func (d *Dashboard) sourceErr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		d.fail(w, r, http.StatusNotFound, "not_found", err)
		return
	}
	d.fail(w, r, http.StatusInternalServerError, "server_error", err)
}

// authed requires a session; POSTs also need the session's CSRF token.
func (d *Dashboard) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var s Session
		if err == nil && c.Value != "" {
			s, err = d.o.Sessions.Session(r.Context(), SessionID(c.Value), d.o.Now())
		} else {
			err = ErrNotFound
		}
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				d.fail(w, r, http.StatusInternalServerError, "server_error", err)
				return
			}
			if r.Method != http.MethodGet {
				d.fail(w, r, http.StatusUnauthorized, "csrf", nil)
				return
			}
			webui.RedirectToLogin(w, r, d.o.Prefix+"/login")
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil || !equalToken(r.PostForm.Get("csrf"), s.CSRF) {
				d.fail(w, r, http.StatusForbidden, "csrf", err)
				return
			}
		}
		ctx := context.WithValue(r.Context(), keyUser, User{Name: s.User, Role: s.Role, Tags: s.Tags})
		ctx = context.WithValue(ctx, keySession, s)
		next(w, r.WithContext(ctx))
	}
}

// admin lets only admins through: viewers cannot change anything.
func (d *Dashboard) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if u, _ := r.Context().Value(keyUser).(User); !u.CanChange() {
			d.fail(w, r, http.StatusForbidden, "forbidden", nil)
			return
		}
		next(w, r)
	}
}

func userOf(r *http.Request) User {
	u, _ := r.Context().Value(keyUser).(User)
	return u
}

// --- login ---

func (d *Dashboard) loginForm(w http.ResponseWriter, r *http.Request) {
	d.showLogin(w, r, http.StatusOK, "", r.URL.Query().Get("next"), "")
}

func (d *Dashboard) showLogin(w http.ResponseWriter, r *http.Request, status int, flash, next, name string) {
	tok := newToken()
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: d.cookiePath(), MaxAge: 3600,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	p := d.page(r, "login", "")
	p.CSRF = tok
	if flash != "" {
		p.Flash = p.T(flash)
	}
	p.Body = LoginView{Next: safeNext(next), Username: name}
	d.show(w, r, status, "login", p)
}

// safeNext keeps the post-login redirect on this dashboard.
func safeNext(next string) string { return webui.SafeNext(next, "/", "/") }

// sourceAddr is the client address, without the port. Behind a proxy it
// is the proxy's: per-account throttling still holds.
func sourceAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		d.fail(w, r, http.StatusBadRequest, "bad_request", err)
		return
	}
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !equalToken(r.PostForm.Get("csrf"), c.Value) {
		d.fail(w, r, http.StatusForbidden, "csrf", nil)
		return
	}
	name, pw, next := strings.TrimSpace(r.PostForm.Get("username")), r.PostForm.Get("password"), r.PostForm.Get("next")
	ctx, now := r.Context(), d.o.Now()
	keys := []struct {
		key string
		max int
	}{{"user:" + name, maxFailsAccount}, {"addr:" + sourceAddr(r), maxFailsSource}}
	for _, k := range keys {
		n, err := d.o.Sessions.LoginFailures(ctx, k.key, now, loginWindow)
		if err != nil {
			d.fail(w, r, http.StatusInternalServerError, "server_error", err)
			return
		}
		if n >= k.max {
			// Throttled: the password is not even checked, so a guess
			// inside the window learns nothing.
			w.Header().Set("Retry-After", strconv.Itoa(int(loginWindow.Seconds())))
			d.o.Logger.Warn("dashboard login throttled", "key", k.key)
			d.showLogin(w, r, http.StatusTooManyRequests, "login_limited", next, name)
			return
		}
	}
	u, err := d.o.Users.Authenticate(ctx, name, pw)
	if err != nil {
		if !errors.Is(err, ErrBadLogin) {
			d.fail(w, r, http.StatusInternalServerError, "server_error", err)
			return
		}
		for _, k := range keys {
			if err := d.o.Sessions.RecordLoginFailure(ctx, k.key, now, loginWindow); err != nil {
				d.fail(w, r, http.StatusInternalServerError, "server_error", err)
				return
			}
		}
		d.o.Logger.Info("dashboard login failed", "user", name, "addr", sourceAddr(r))
		d.showLogin(w, r, http.StatusUnauthorized, "login_failed", next, name)
		return
	}
	tok := newToken()
	s := Session{ID: SessionID(tok), User: u.Name, Role: u.Role, Tags: u.Tags, CSRF: newToken(), Created: now, Expires: now.Add(d.o.SessionTTL)}
	if err := d.o.Sessions.CreateSession(ctx, s); err != nil {
		d.fail(w, r, http.StatusInternalServerError, "server_error", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: d.cookiePath(), MaxAge: int(d.o.SessionTTL.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: d.cookiePath(), MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	d.o.Logger.Info("dashboard login", "user", u.Name, "role", u.Role)
	http.Redirect(w, r, d.o.Prefix+safeNext(next), http.StatusSeeOther)
}

func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) {
	if s, ok := r.Context().Value(keySession).(Session); ok {
		if err := d.o.Sessions.DeleteSession(r.Context(), s.ID); err != nil {
			d.fail(w, r, http.StatusInternalServerError, "server_error", err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: d.cookiePath(), MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, d.o.Prefix+"/login", http.StatusSeeOther)
}

// --- pages ---

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	ctx, u := r.Context(), userOf(r)
	s, err := d.o.Source.Summary(ctx, u)
	if err != nil {
		d.sourceErr(w, r, err)
		return
	}
	trend, err := d.o.Source.Trend(ctx, u, "", historyDays, s)
	if err != nil {
		d.sourceErr(w, r, err)
		return
	}
	gws, err := d.o.Source.Unmanaged(ctx, u)
	if err != nil {
		d.sourceErr(w, r, err)
		return
	}
	p := d.page(r, "nav_overview", "overview")
	p.Body = buildOverview(p, d.ctls, s, trend, gws)
	d.show(w, r, http.StatusOK, "overview", p)
}

// hostFilter reads the table filter from the query, bounded.
func (d *Dashboard) hostFilter(q url.Values) HostFilter {
	f := HostFilter{
		Control: clip(q.Get("control")), Status: clip(q.Get("status")), Version: clip(q.Get("version")),
		Profile: clip(q.Get("profile")), Stale: clip(q.Get("stale")), Tag: clip(q.Get("tag")), Q: clip(q.Get("q")),
		Limit: d.o.PageSize,
	}
	if f.Stale != "yes" && f.Stale != "no" {
		f.Stale = ""
	}
	if o, err := strconv.Atoi(q.Get("offset")); err == nil && o > 0 {
		f.Offset = o
	}
	return f
}

// clip bounds a filter value: filters are short, and a megabyte of query
// string should not reach the database.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func (d *Dashboard) hosts(w http.ResponseWriter, r *http.Request) {
	f := d.hostFilter(r.URL.Query())
	hp, err := d.o.Source.Hosts(r.Context(), userOf(r), f)
	if err != nil {
		d.sourceErr(w, r, err)
		return
	}
	p := d.page(r, "nav_hosts", "hosts")
	p.Body = buildHosts(p, d.ctls, f, hp)
	d.show(w, r, http.StatusOK, "hosts", p)
}

func (d *Dashboard) host(w http.ResponseWriter, r *http.Request) {
	ctx, u, id := r.Context(), userOf(r), r.PathValue("id")
	h, err := d.o.Source.Host(ctx, u, id)
	if err != nil {
		d.sourceErr(w, r, err)
		return
	}
	refs, err := d.o.Source.Reports(ctx, u, id, 50)
	if err != nil {
		d.sourceErr(w, r, err)
		return
	}
	hist, err := d.o.Source.History(ctx, u, id, time.Time{})
	if err != nil {
		d.sourceErr(w, r, err)
		return
	}
	p := d.page(r, "host", "hosts")
	p.Title = h.Hostname
	v := HostView{
		H: h, LastSeen: fmtTime(p.L, h.LastSeen), LastReport: fmtTime(p.L, h.LastReport), Cells: hostCells(p, d.ctls, h),
		SelfURL: p.U("/hosts/" + url.PathEscape(h.ID)), TagsURL: p.U("/hosts/" + url.PathEscape(h.ID) + "/tags"),
		TagsValue: strings.Join(h.Tags, ", "),
	}
	for _, ref := range refs {
		v.Reports = append(v.Reports, ReportRow{ID: ref.ID, URL: reportURL(p, h.ID, ref.ID), Received: fmtTime(p.L, ref.ReceivedAt), Created: fmtTime(p.L, ref.CreatedAt)})
	}
	if len(refs) > 0 {
		v.LatestID = refs[0].ID
		v.ReportURL = reportURL(p, h.ID, refs[0].ID)
		v.ReportJSONURL = v.ReportURL + "/json"
	}
	v.HistDays, v.Hist = buildHistory(p, d.ctls, hist, d.o.Now(), historyDays)
	q := r.URL.Query()
	v.From, v.To = q.Get("from"), q.Get("to")
	if len(refs) >= 2 && v.From == "" && v.To == "" {
		v.From, v.To = refs[1].ID, refs[0].ID
	}
	if v.From != "" && v.To != "" {
		a, err := d.hostReport(ctx, u, id, v.From)
		if err != nil {
			d.sourceErr(w, r, err)
			return
		}
		b, err := d.hostReport(ctx, u, id, v.To)
		if err != nil {
			d.sourceErr(w, r, err)
			return
		}
		diff := Diff(a.Report, b.Report)
		v.Diff = &diff
	}
	p.Body = v
	d.show(w, r, http.StatusOK, "host", p)
}

// hostReport loads a report and checks it belongs to the host in the URL,
// so a report ID cannot be read through another host's page.
func (d *Dashboard) hostReport(ctx context.Context, u User, hostID, reportID string) (StoredReport, error) {
	sr, err := d.o.Source.Report(ctx, u, hostID, reportID)
	if err != nil {
		return sr, err
	}
	if sr.Ref.HostID != hostID || sr.Report == nil {
		return StoredReport{}, ErrNotFound
	}
	return sr, nil
}

// reportCSP is the HTML report's own policy: nothing at all but inline
// style, shown only inside the dashboard's frame.
const reportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

func (d *Dashboard) reportHTML(w http.ResponseWriter, r *http.Request) {
	sr, err := d.hostReport(r.Context(), userOf(r), r.PathValue("id"), r.PathValue("rid"))
	if err != nil {
		d.sourceErr(w, r, err)
		return
	}
	var buf strings.Builder
	if err := (output.HTMLWriter{}).Write(&buf, sr.Report); err != nil {
		d.fail(w, r, http.StatusInternalServerError, "server_error", err)
		return
	}
	w.Header().Set("Content-Security-Policy", reportCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(buf.String()))
}

func (d *Dashboard) reportJSON(w http.ResponseWriter, r *http.Request) {
	sr, err := d.hostReport(r.Context(), userOf(r), r.PathValue("id"), r.PathValue("rid"))
	if err != nil {
		d.sourceErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", contentDisposition("report-"+sr.Ref.ID+".json"))
	_, _ = w.Write(sr.Raw)
}

func (d *Dashboard) setTags(w http.ResponseWriter, r *http.Request) {
	t, ok := d.o.Source.(Tagger)
	if !ok {
		d.fail(w, r, http.StatusNotImplemented, "forbidden", errors.New("source cannot set tags"))
		return
	}
	var tags []string
	for _, s := range strings.Split(r.PostForm.Get("tags"), ",") {
		if s = strings.TrimSpace(s); s != "" && len(s) <= 64 {
			tags = append(tags, s)
		}
	}
	id := r.PathValue("id")
	if err := t.SetTags(r.Context(), userOf(r), id, tags); err != nil {
		d.sourceErr(w, r, err)
		return
	}
	d.o.Logger.Info("dashboard set tags", "user", userOf(r).Name, "host", id, "tags", tags)
	http.Redirect(w, r, d.o.Prefix+"/hosts/"+url.PathEscape(id), http.StatusSeeOther)
}

func (d *Dashboard) findingFilter(q url.Values) FindingFilter {
	return FindingFilter{Check: clip(q.Get("check")), Control: clip(q.Get("control")), Status: clip(q.Get("status")), Limit: 1000}
}

func (d *Dashboard) findings(w http.ResponseWriter, r *http.Request) {
	f := d.findingFilter(r.URL.Query())
	fs, err := d.o.Source.Findings(r.Context(), userOf(r), f)
	if err != nil {
		d.sourceErr(w, r, err)
		return
	}
	p := d.page(r, "nav_findings", "findings")
	p.Body = buildFindings(p, d.ctls, f, fs)
	d.show(w, r, http.StatusOK, "findings", p)
}

func (d *Dashboard) unmanaged(w http.ResponseWriter, r *http.Request) {
	gws, err := d.o.Source.Unmanaged(r.Context(), userOf(r))
	if err != nil {
		d.sourceErr(w, r, err)
		return
	}
	p := d.page(r, "nav_unmanaged", "unmanaged")
	p.Body = buildUnmanaged(p, gws)
	d.show(w, r, http.StatusOK, "unmanaged", p)
}

// --- first-start setup ---

func (d *Dashboard) setupForm(w http.ResponseWriter, r *http.Request) {
	if d.o.Setup == nil {
		d.fail(w, r, http.StatusNotFound, "not_found", nil)
		return
	}
	d.showSetup(w, r, http.StatusOK, "", "")
}

func (d *Dashboard) showSetup(w http.ResponseWriter, r *http.Request, status int, flash, name string) {
	tok := newToken()
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: d.cookiePath(), MaxAge: 3600,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	p := d.page(r, "setup_title", "")
	p.CSRF = tok
	if flash != "" {
		p.Flash = p.T(flash)
	}
	p.Body = LoginView{Username: name}
	d.show(w, r, status, "setup", p)
}

// setup creates the first admin. It is throttled like a login (per
// source), so the bootstrap secret cannot be guessed online.
func (d *Dashboard) setup(w http.ResponseWriter, r *http.Request) {
	if d.o.Setup == nil {
		d.fail(w, r, http.StatusNotFound, "not_found", nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		d.fail(w, r, http.StatusBadRequest, "bad_request", err)
		return
	}
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !equalToken(r.PostForm.Get("csrf"), c.Value) {
		d.fail(w, r, http.StatusForbidden, "csrf", nil)
		return
	}
	ctx, now, key := r.Context(), d.o.Now(), "setup:"+sourceAddr(r)
	n, err := d.o.Sessions.LoginFailures(ctx, key, now, loginWindow)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, "server_error", err)
		return
	}
	name, pw := strings.TrimSpace(r.PostForm.Get("username")), r.PostForm.Get("password")
	if n >= maxFailsAccount {
		d.showSetup(w, r, http.StatusTooManyRequests, "login_limited", name)
		return
	}
	if len(pw) < 12 || name == "" {
		d.showSetup(w, r, http.StatusBadRequest, "setup_failed", name)
		return
	}
	if err := d.o.Setup(ctx, r.PostForm.Get("secret"), name, pw); err != nil {
		if !errors.Is(err, ErrBadLogin) {
			d.fail(w, r, http.StatusInternalServerError, "server_error", err)
			return
		}
		if err := d.o.Sessions.RecordLoginFailure(ctx, key, now, loginWindow); err != nil {
			d.fail(w, r, http.StatusInternalServerError, "server_error", err)
			return
		}
		d.showSetup(w, r, http.StatusUnauthorized, "setup_failed", name)
		return
	}
	d.o.Logger.Info("dashboard setup: first admin created", "user", name)
	http.Redirect(w, r, d.o.Prefix+"/login", http.StatusSeeOther)
}
