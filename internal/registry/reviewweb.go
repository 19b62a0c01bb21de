package registry

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/skillscan"
	"github.com/clawgov/clawgov/internal/webui"
)

// The reviewer web pages under /review/: the review CLI and API in the
// browser, server-rendered, without JavaScript and without any external
// resource. A reviewer signs in once with a registry token; the browser
// then holds only a session cookie whose hash is stored in the database,
// so every registry process behind a load balancer accepts it. Decisions
// go through Server.Review, the code path of the API and CLI.

// Cookie names and paths: scoped to /review/ and distinct from the fleet
// dashboard's, which may share the host (cookies ignore the port).
const (
	reviewPrefix       = "/review/"
	reviewSessionCk    = "clawgov_review_session"
	reviewLoginCSRFCk  = "clawgov_review_login"
	reviewLangCk       = "clawgov_review_lang"
	defaultReviewTTL   = 8 * time.Hour
	reviewLoginWindow  = time.Minute
	reviewMaxFails     = 5
	maxReviewReason    = 4000
	reviewQueueMaxRows = 500
)

// reviewCSP allows nothing external and no script at all: inline style,
// data: images, forms to this origin.
const reviewCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed reviewtemplates/*.tmpl reviewtemplates/style.css
var reviewFS embed.FS

// reviewTemplates are parsed on first use, not at init: every clawgov
// command links this package and most never serve a page.
var reviewTemplates = sync.OnceValue(func() map[string]*template.Template {
	css, err := reviewFS.ReadFile("reviewtemplates/style.css")
	if err != nil {
		panic(err)
	}
	funcs := template.FuncMap{"css": func() template.CSS { return template.CSS(css) }}
	m := map[string]*template.Template{}
	for _, name := range []string{"login", "queue", "version", "error"} {
		m[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(reviewFS, "reviewtemplates/layout.tmpl", "reviewtemplates/"+name+".tmpl"))
	}
	return m
})

type reviewCtxKey int

const (
	rkLang reviewCtxKey = iota
	rkSession
)

// reviewPage is what every review template sees.
type reviewPage struct {
	L         reviewLabeler
	HTMLLang  string
	OtherLang string
	LangURL   string
	Title     string
	Nav       string
	User      *ReviewSession
	CSRF      string
	Flash     string
	FlashErr  bool
	Body      any
}

// T returns a label in the page language.
func (p *reviewPage) T(key string, args ...any) string { return p.L.T(key, args...) }

// RoleName is the translated role.
func (p *reviewPage) RoleName(role string) string {
	if !ValidRole(role) {
		return role
	}
	return p.T("role_" + role)
}

// StateName is the translated state.
func (p *reviewPage) StateName(state string) string {
	switch state {
	case StatePending, StateApproved, StateRejected, StateRevoked:
		return p.T("st_" + state)
	}
	return state
}

// VerdictName is the translated scan verdict.
func (p *reviewPage) VerdictName(v string) string {
	switch v {
	case "clean", "suspicious", "malicious":
		return p.T("verdict_" + v)
	}
	return v
}

// cssWord keeps class names to a known vocabulary: text from a publisher
// never becomes class text.
func cssWord(s string) string {
	switch s {
	case StatePending, StateApproved, StateRejected, StateRevoked, "clean", "suspicious", "malicious",
		"info", "low", "medium", "high", "critical", "added", "removed", "changed":
		return s
	}
	return "other"
}

// Class is cssWord for templates.
func (p *reviewPage) Class(s string) string { return cssWord(s) }

// Size formats a byte count.
func (p *reviewPage) Size(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KiB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}

// DiffFileLines is the per-file diff line cap.
func (p *reviewPage) DiffFileLines() int { return diffFileLines }

// Time formats a server-clock Unix-ms time.
func (p *reviewPage) Time(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC")
}

// VersionURL is the review page of slug@version.
func VersionURL(slug, ver string) string {
	return reviewPrefix + "skill/" + url.PathEscape(slug) + "/" + url.PathEscape(ver)
}

func (s *Server) reviewRoutes() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /review/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, reviewPrefix+"queue", http.StatusSeeOther)
	})
	m.HandleFunc("GET /review/login", s.rvLoginForm)
	m.HandleFunc("POST /review/login", s.rvLogin)
	m.HandleFunc("POST /review/logout", s.rvAuthed(s.rvLogout))
	m.HandleFunc("GET /review/queue", s.rvAuthed(s.rvQueue))
	m.HandleFunc("GET /review/skill/{slug}/{version}", s.rvAuthed(s.rvVersion))
	m.HandleFunc("POST /review/skill/{slug}/{version}/{action}", s.rvAuthed(s.rvDecide))
	m.HandleFunc("/review/", func(w http.ResponseWriter, r *http.Request) {
		s.rvFail(w, r, http.StatusNotFound, "not_found", nil)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webui.SecurityHeaders(w, reviewCSP)
		w.Header().Set("X-Frame-Options", "DENY")
		lang, chosen := webui.PickLang(r, reviewLangCk)
		if chosen {
			http.SetCookie(w, &http.Cookie{Name: reviewLangCk, Value: string(lang), Path: reviewPrefix, MaxAge: 365 * 24 * 3600,
				Secure: s.secure(r), HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		w.Header().Set("Content-Language", string(lang))
		r = r.WithContext(context.WithValue(r.Context(), rkLang, lang))
		if err := webui.CrossOrigin.Check(r); err != nil {
			s.rvFail(w, r, http.StatusForbidden, "csrf", err)
			return
		}
		m.ServeHTTP(w, r)
	})
}

// secure says whether cookies get the Secure attribute: served over TLS,
// or behind a proxy that terminates it for the https base URL. On plain
// http (loopback) a Secure cookie would never come back.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(strings.ToLower(s.o.BaseURL), "https://")
}

func (s *Server) rvLang(r *http.Request) catalog.Lang {
	if l, ok := r.Context().Value(rkLang).(catalog.Lang); ok {
		return l
	}
	return catalog.EN
}

func (s *Server) rvPage(r *http.Request, titleKey, nav string) *reviewPage {
	lang := s.rvLang(r)
	p := &reviewPage{L: reviewLabelsFor(lang), HTMLLang: "en", OtherLang: "zh", Nav: nav}
	if lang == catalog.ZH {
		p.HTMLLang, p.OtherLang = "zh-CN", "en"
	}
	p.Title = p.T(titleKey)
	if x, ok := r.Context().Value(rkSession).(ReviewSession); ok {
		p.User, p.CSRF = &x, x.CSRF
	}
	q := r.URL.Query()
	q.Del("done")
	q.Set("lang", p.OtherLang)
	p.LangURL = r.URL.Path + "?" + q.Encode()
	return p
}

func (s *Server) rvShow(w http.ResponseWriter, r *http.Request, status int, name string, p *reviewPage) {
	t, ok := reviewTemplates()[name]
	var buf bytes.Buffer
	if !ok {
		s.o.Logger.Error("review page: no template", "page", name)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.o.Logger.Error("review page render", "page", name, "err", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// rvFail shows an error page; the detail goes to the log only.
func (s *Server) rvFail(w http.ResponseWriter, r *http.Request, status int, key string, err error, args ...any) {
	if status >= 500 {
		s.o.Logger.Error("review page", "path", r.URL.Path, "err", err)
	} else if err != nil {
		s.o.Logger.Debug("review page", "path", r.URL.Path, "status", status, "err", err)
	}
	p := s.rvPage(r, "app", "")
	p.Body = p.T(key, args...)
	p.Title = p.Body.(string)
	s.rvShow(w, r, status, "error", p)
}

// rvAuthed requires a live session of a reviewer or admin; a POST also
// needs the session's CSRF token.
func (s *Server) rvAuthed(next func(w http.ResponseWriter, r *http.Request, x ReviewSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var x ReviewSession
		err := ErrNotFound
		if c, cerr := r.Cookie(reviewSessionCk); cerr == nil && c.Value != "" {
			x, err = s.o.Store.ReviewSession(r.Context(), webui.TokenID(c.Value), s.o.Now().UnixMilli())
		}
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				s.rvFail(w, r, http.StatusInternalServerError, "server_error", err)
				return
			}
			if r.Method != http.MethodGet {
				s.rvFail(w, r, http.StatusUnauthorized, "session_expired", nil)
				return
			}
			webui.RedirectToLogin(w, r, reviewPrefix+"login")
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), rkSession, x))
		if x.Role != RoleReviewer && x.Role != RoleAdmin {
			s.rvFail(w, r, http.StatusForbidden, "forbidden", nil)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil || !webui.Equal(r.PostForm.Get("csrf"), x.CSRF) {
				s.rvFail(w, r, http.StatusForbidden, "csrf", err)
				return
			}
		}
		next(w, r, x)
	}
}

// ---- login ----

// LoginView is the login form's model.
type LoginView struct{ Next string }

func (s *Server) rvLoginForm(w http.ResponseWriter, r *http.Request) {
	s.rvShowLogin(w, r, http.StatusOK, "", r.URL.Query().Get("next"))
}

func (s *Server) rvShowLogin(w http.ResponseWriter, r *http.Request, status int, flash, next string, args ...any) {
	tok := webui.NewToken()
	http.SetCookie(w, &http.Cookie{Name: reviewLoginCSRFCk, Value: tok, Path: reviewPrefix, MaxAge: 3600,
		Secure: s.secure(r), HttpOnly: true, SameSite: http.SameSiteStrictMode})
	p := s.rvPage(r, "login", "")
	p.CSRF = tok
	if flash != "" {
		p.Flash, p.FlashErr = p.T(flash, args...), true
	}
	p.Body = LoginView{Next: webui.SafeNext(next, reviewPrefix, reviewPrefix+"queue")}
	s.rvShow(w, r, status, "login", p)
}

// rvLogin checks a registry token once and starts a session. Failures
// are counted per client address in the database (reviewMaxFails per
// reviewLoginWindow); over the limit the token is not even checked.
func (s *Server) rvLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.rvFail(w, r, http.StatusBadRequest, "bad_request", err)
		return
	}
	c, err := r.Cookie(reviewLoginCSRFCk)
	if err != nil || !webui.Equal(r.PostForm.Get("csrf"), c.Value) {
		s.rvFail(w, r, http.StatusForbidden, "csrf", nil)
		return
	}
	ctx, now, remote, next := r.Context(), s.o.Now(), remoteOf(r), r.PostForm.Get("next")
	key := "addr:" + remote
	n, err := s.o.Store.LoginFailures(ctx, key, now.UnixMilli(), reviewLoginWindow)
	if err != nil {
		s.rvFail(w, r, http.StatusInternalServerError, "server_error", err)
		return
	}
	if n >= reviewMaxFails {
		end := loginWindowStart(now.UnixMilli(), reviewLoginWindow) + reviewLoginWindow.Milliseconds()
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(float64(end-now.UnixMilli())/1000))))
		s.o.Logger.Warn("registry review login throttled", "remote", remote)
		s.rvShowLogin(w, r, http.StatusTooManyRequests, "login_limited", next)
		return
	}
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	t, err := s.o.Store.Authenticate(ctx, secret)
	if err != nil || secret == "" {
		if err != nil && !errors.Is(err, ErrTokenInvalid) {
			s.rvFail(w, r, http.StatusInternalServerError, "server_error", err)
			return
		}
		if _, err := s.o.Store.RecordLoginFailure(ctx, key, now.UnixMilli(), reviewLoginWindow); err != nil {
			s.rvFail(w, r, http.StatusInternalServerError, "server_error", err)
			return
		}
		s.logEvent(r, Principal{Remote: remote}, "review.login.failed", "review", nil)
		s.rvShowLogin(w, r, http.StatusUnauthorized, "login_failed", next)
		return
	}
	p := Principal{Handle: t.Handle, Role: t.Role, Remote: remote, Via: "web"}
	if t.Role != RoleReviewer && t.Role != RoleAdmin {
		s.logEvent(r, p, "review.login.refused", "review", map[string]string{"role": t.Role})
		pg := s.rvPage(r, "login", "")
		s.rvFail(w, r, http.StatusForbidden, "login_role", nil, pg.RoleName(t.Role))
		return
	}
	tok, ttl := webui.NewToken(), s.reviewTTL()
	x := ReviewSession{ID: webui.TokenID(tok), TokenID: t.ID, CSRF: webui.NewToken(), Remote: remote,
		CreatedAt: now.UnixMilli(), ExpiresAt: now.Add(ttl).UnixMilli()}
	if err := s.o.Store.CreateReviewSession(ctx, x); err != nil {
		s.rvFail(w, r, http.StatusInternalServerError, "server_error", err)
		return
	}
	s.logEvent(r, p, "review.login", "review", map[string]string{"role": t.Role, "tokenId": t.ID, "expiresAt": strconv.FormatInt(x.ExpiresAt, 10)})
	http.SetCookie(w, &http.Cookie{Name: reviewSessionCk, Value: tok, Path: reviewPrefix, MaxAge: int(ttl.Seconds()),
		Secure: s.secure(r), HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: reviewLoginCSRFCk, Value: "", Path: reviewPrefix, MaxAge: -1,
		Secure: s.secure(r), HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, webui.SafeNext(next, reviewPrefix, reviewPrefix+"queue"), http.StatusSeeOther)
}

func (s *Server) reviewTTL() time.Duration {
	if s.o.ReviewSessionTTL > 0 {
		return s.o.ReviewSessionTTL
	}
	return defaultReviewTTL
}

func (s *Server) rvLogout(w http.ResponseWriter, r *http.Request, x ReviewSession) {
	if err := s.o.Store.DeleteReviewSession(r.Context(), x.ID); err != nil {
		s.rvFail(w, r, http.StatusInternalServerError, "server_error", err)
		return
	}
	s.logEvent(r, Principal{Handle: x.Handle, Role: x.Role, Remote: remoteOf(r)}, "review.logout", "review", nil)
	http.SetCookie(w, &http.Cookie{Name: reviewSessionCk, Value: "", Path: reviewPrefix, MaxAge: -1,
		Secure: s.secure(r), HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, reviewPrefix+"login", http.StatusSeeOther)
}

// ---- queue ----

// QueueView is the queue page's model.
type QueueView struct {
	State  string
	States []QueueTab
	Rows   []QueueRow
	Need   int
	// Capped says the list stops at reviewQueueMaxRows.
	Capped int
}

// QueueTab is one state filter link.
type QueueTab struct {
	State, URL string
	On         bool
}

// QueueRow is one version in the queue.
type QueueRow struct {
	Slug, Version, URL, Owner, Publisher, State, Verdict string
	Score, Approvals                                     int
	Flags                                                []string
	Created                                              int64
}

func (s *Server) rvQueue(w http.ResponseWriter, r *http.Request, x ReviewSession) {
	state := r.URL.Query().Get("state")
	if state == "" {
		state = StatePending
	}
	filter := state
	switch state {
	case StatePending, StateApproved, StateRejected, StateRevoked:
	case "all":
		filter = ""
	default:
		s.rvFail(w, r, http.StatusBadRequest, "bad_request", fmt.Errorf("state %q", state))
		return
	}
	vs, err := s.o.Store.Versions(r.Context(), "", filter, reviewQueueMaxRows)
	if err != nil {
		s.rvFail(w, r, http.StatusInternalServerError, "server_error", err)
		return
	}
	approvals, err := s.o.Store.ApprovalCounts(r.Context(), vs)
	if err != nil {
		s.rvFail(w, r, http.StatusInternalServerError, "server_error", err)
		return
	}
	p := s.rvPage(r, "queue_title", "queue")
	v := QueueView{State: state, Need: s.o.RequireApprovals}
	for _, st := range []string{StatePending, StateApproved, StateRejected, StateRevoked, "all"} {
		v.States = append(v.States, QueueTab{State: st, URL: reviewPrefix + "queue?state=" + st, On: st == state})
	}
	for _, ver := range vs {
		v.Rows = append(v.Rows, QueueRow{Slug: ver.Slug, Version: ver.Version, URL: VersionURL(ver.Slug, ver.Version), Owner: ver.Owner,
			Publisher: ver.Publisher, State: ver.State, Verdict: ver.ScanVerdict, Score: ver.ScanScore, Approvals: approvals[ver.ID],
			Flags: ver.Flags, Created: ver.CreatedAt})
	}
	if len(vs) == reviewQueueMaxRows {
		v.Capped = reviewQueueMaxRows
	}
	p.Body = v
	s.rvShow(w, r, http.StatusOK, "queue", p)
}

// ---- version ----

// VersionView is the version page's model.
type VersionView struct {
	V          Version
	URL        string
	Scanner    string
	RuleSet    string
	Findings   []FindingRow
	ScanErrors []string
	Flags      []FlagRow
	Need       int
	More       int
	Diff       *VersionDiff
	// CanApprove, CanReject and CanRevoke choose the forms shown; the
	// POST is checked again by Server.Review whatever the page showed.
	CanApprove, CanReject, CanRevoke bool
	// Why says why approving is not offered to this reviewer.
	Why    string
	Reason string
	// KeyID is the approval signing key's id.
	KeyID string
}

// FindingRow is one scan finding, its title in the page language.
type FindingRow struct {
	Rule, Severity, Title, File, Text, Via, Context string
	Line                                            int
}

// FlagRow is one flag and its explanation.
type FlagRow struct{ Flag, Text string }

func (s *Server) rvLoad(w http.ResponseWriter, r *http.Request) (Version, bool) {
	slug, ver := r.PathValue("slug"), r.PathValue("version")
	if !ValidSlug(slug) || !ValidVersion(ver) {
		s.rvFail(w, r, http.StatusNotFound, "not_found", nil)
		return Version{}, false
	}
	v, err := s.o.Store.GetVersion(r.Context(), slug, ver)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			s.rvFail(w, r, http.StatusNotFound, "not_found", err)
		} else {
			s.rvFail(w, r, http.StatusInternalServerError, "server_error", err)
		}
		return Version{}, false
	}
	return v, true
}

func (s *Server) rvVersion(w http.ResponseWriter, r *http.Request, x ReviewSession) {
	v, ok := s.rvLoad(w, r)
	if !ok {
		return
	}
	p := s.rvPage(r, "app", "queue")
	switch d := r.URL.Query().Get("done"); d {
	case "approval":
		p.Flash = p.T("done_approval", len(v.Approvals), s.o.RequireApprovals)
	case "approve", "reject", "revoke":
		p.Flash = p.T("done_" + d)
	}
	s.rvShowVersion(w, r, http.StatusOK, p, v, x, "")
}

func (s *Server) rvShowVersion(w http.ResponseWriter, r *http.Request, status int, p *reviewPage, v Version, x ReviewSession, reason string) {
	p.Title = v.Slug + "@" + v.Version
	lang := string(s.rvLang(r))
	vv := VersionView{V: v, URL: VersionURL(v.Slug, v.Version), Scanner: v.Scanner, Need: s.o.RequireApprovals, Reason: reason, KeyID: s.o.Signer.KeyID}
	if a, b, ok := strings.Cut(v.Scanner, " rules "); ok {
		vv.Scanner, vv.RuleSet = a, b
	}
	var results []skillscan.Result
	_ = json.Unmarshal(v.Scan, &results)
	for _, res := range results {
		for _, m := range res.Matches {
			vv.Findings = append(vv.Findings, FindingRow{Rule: m.RuleID, Severity: m.Severity.String(), Title: m.Title.Get(lang),
				File: m.File, Line: m.Line, Text: m.Text, Via: m.Via, Context: m.Context})
		}
		vv.ScanErrors = append(vv.ScanErrors, res.Errors...)
	}
	sort.SliceStable(vv.Findings, func(i, j int) bool {
		a, b := vv.Findings[i], vv.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
	for _, f := range v.Flags {
		switch {
		case strings.HasPrefix(f, "slug.lookalike:"):
			vv.Flags = append(vv.Flags, FlagRow{f, p.T("flag_lookalike", strings.TrimPrefix(f, "slug.lookalike:"))})
		case f == "scan.incomplete":
			vv.Flags = append(vv.Flags, FlagRow{f, p.T("flag_incomplete")})
		case f == "upstream.suspicious":
			vv.Flags = append(vv.Flags, FlagRow{f, p.T("flag_upstream_suspicious")})
		default:
			vv.Flags = append(vv.Flags, FlagRow{f, p.T("flag_other", f)})
		}
	}
	vv.More = max(0, s.o.RequireApprovals-len(v.Approvals))
	switch v.State {
	case StatePending:
		vv.CanReject, vv.CanApprove = true, true
		if v.Publisher == x.Handle {
			vv.CanApprove, vv.Why = false, p.T("cannot_self")
		}
		for _, a := range v.Approvals {
			if a.Reviewer == x.Handle {
				vv.CanApprove, vv.Why = false, p.T("already_you")
			}
		}
	case StateApproved:
		vv.CanRevoke = true
	}
	d, err := s.diffVersions(r.Context(), v)
	if err != nil {
		s.rvFail(w, r, http.StatusInternalServerError, "server_error", err)
		return
	}
	vv.Diff = d
	p.Body = vv
	s.rvShow(w, r, status, "version", p)
}

func (s *Server) rvDecide(w http.ResponseWriter, r *http.Request, x ReviewSession) {
	action := r.PathValue("action")
	if action != "approve" && action != "reject" && action != "revoke" {
		s.rvFail(w, r, http.StatusNotFound, "not_found", nil)
		return
	}
	if _, ok := s.rvLoad(w, r); !ok {
		return
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	p := Principal{Handle: x.Handle, Role: x.Role, Remote: remoteOf(r), Via: "web"}
	var v Version
	var err error
	if len(reason) > maxReviewReason {
		err = &ReviewError{Code: "reason_long", Msg: "reason too long"}
	} else {
		v, err = s.Review(r.Context(), p, action, r.PathValue("slug"), r.PathValue("version"), reason)
	}
	if err != nil {
		var re *ReviewError
		switch {
		case errors.As(err, &re), errors.Is(err, ErrState):
			// Show the page again with the refusal and the reason kept.
			cur, ok := s.rvLoad(w, r)
			if !ok {
				return
			}
			pg := s.rvPage(r, "app", "queue")
			code := "already_approved"
			if re != nil {
				code = re.Code
			}
			pg.Flash, pg.FlashErr = pg.T("err_"+code, pg.StateName(cur.State)), true
			if !strings.Contains(reviewLabels[catalog.EN]["err_"+code], "%") {
				pg.Flash = pg.T("err_" + code)
			}
			s.o.Logger.Info("registry review refused", "by", x.Handle, "action", action, "skill", cur.Slug+"@"+cur.Version, "why", err.Error())
			s.rvShowVersion(w, r, http.StatusConflict, pg, cur, x, reason)
		case errors.Is(err, ErrNotFound):
			s.rvFail(w, r, http.StatusNotFound, "not_found", err)
		default:
			s.rvFail(w, r, http.StatusInternalServerError, "server_error", err)
		}
		return
	}
	done := action
	if action == "approve" && v.State == StatePending {
		done = "approval"
	}
	http.Redirect(w, r, VersionURL(v.Slug, v.Version)+"?done="+done, http.StatusSeeOther)
}
