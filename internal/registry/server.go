// Package registry is clawgov's vetted skill registry: a ClawHub-compatible
// server (clawhub-protocol.md §10) that the unchanged clients, the clawhub
// CLI and OpenClaw's own skills commands, use to publish, search, install
// and verify skills, but that only ever serves versions that were scanned
// on arrival by internal/skillscan and approved by reviewers.
//
// Every state other than approved is made invisible or blocking on every
// path the clients gate on (§6, §9): detail and search omit it, /install
// answers the blocked shape, security-verdicts says blocked, download
// refuses it. Archives are content-addressed and re-hashed on every read,
// approvals are signed (ed25519), and every action lands in a hash-chained
// event log.
package registry

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/clawgov/clawgov/internal/skillscan"
)

// Options configure a Server.
type Options struct {
	Store   *Store
	Blobs   *Blobs
	Scanner *skillscan.Scanner
	Signer  *Signer
	// PublicRead lets requests without a token read (search, install,
	// download, verify); publishing and review always need one.
	PublicRead bool
	// AutoApproveClean approves a clean scan without a reviewer (signed
	// by the system); suspicious, incomplete and flagged versions still
	// wait for reviewers.
	AutoApproveClean bool
	// RequireApprovals is how many distinct reviewers must approve (1 by
	// default; 2 is the two-person rule).
	RequireApprovals int
	// BaseURL is the public registry URL; empty derives it from each
	// request (scheme and Host).
	BaseURL string
	// PullThrough, when set, fetches skills this registry does not have
	// from an upstream registry into the review queue in the background.
	// The client still gets the not-found or blocked answer (with a
	// message saying the skill was requested) until a reviewer approves.
	PullThrough PullThrough
	// ReviewSessionTTL is how long a review page sign-in lasts (8 hours
	// by default).
	ReviewSessionTTL time.Duration
	Logger           *slog.Logger
	Now              func() time.Time
}

// PullThrough queues background fetches from an upstream registry.
type PullThrough interface {
	// Request asks for slug (owner and version may be empty: the
	// upstream's owner and latest version) and returns at once. queued is
	// true when this call started a fetch, false when one is already in
	// flight, was refused recently or the queue is full.
	Request(slug, owner, version string) (queued bool)
	// UpstreamName names the upstream in messages to clients (host only).
	UpstreamName() string
}

// Server serves the registry API.
type Server struct {
	o   Options
	mux *http.ServeMux
	// pubMu serialises the scan-and-store step per slug@version in this
	// process, so two concurrent publishes of one version do not both
	// spend a scan; the database's unique key is the real guard.
	pubMu sync.Map
}

// New returns a server.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Blobs == nil || o.Scanner == nil || o.Signer == nil {
		return nil, errors.New("registry: store, blobs, scanner and signer are required")
	}
	if o.RequireApprovals <= 0 {
		o.RequireApprovals = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{o: o, mux: http.NewServeMux()}
	s.routes()
	return s, nil
}

// Handler is the HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /.well-known/clawhub.json", s.wellKnown)
	m.HandleFunc("GET /api/v1/whoami", s.whoami)
	m.HandleFunc("GET /api/v1/search", s.read(s.search))
	m.HandleFunc("GET /api/v1/trending", s.read(s.trending))
	m.HandleFunc("GET /api/v1/skills", s.read(s.list))
	m.HandleFunc("POST /api/v1/skills", s.publish)
	m.HandleFunc("POST /api/v1/skills/-/upload-url", s.uploadURL)
	m.HandleFunc("POST /api/v1/skills/-/upload/{ticket}", s.upload)
	m.HandleFunc("POST /api/v1/skills/-/security-verdicts", s.read(s.verdicts))
	m.HandleFunc("GET /api/v1/skills/{slug}", s.read(s.detail))
	m.HandleFunc("GET /api/v1/skills/{slug}/install", s.read(s.install))
	m.HandleFunc("GET /api/v1/skills/{slug}/versions", s.read(s.versions))
	m.HandleFunc("GET /api/v1/skills/{slug}/versions/{version}", s.read(s.versionDetail))
	m.HandleFunc("GET /api/v1/skills/{slug}/verify", s.read(s.verify))
	m.HandleFunc("GET /api/v1/skills/{slug}/card", s.read(s.card))
	m.HandleFunc("GET /api/v1/skills/{slug}/file", s.read(s.file))
	m.HandleFunc("GET /api/v1/skills/{slug}/moderation", s.read(s.moderation))
	m.HandleFunc("GET /api/v1/download", s.read(s.download))
	m.HandleFunc("GET /api/v1/resolve", s.read(s.resolve))
	m.HandleFunc("POST /api/cli/telemetry/install", s.read(s.telemetry))
	m.HandleFunc("GET /audit/{slug}", s.read(s.auditPage))
	m.HandleFunc("GET /api/clawgov/v1/signing-key", s.signingKey)
	m.HandleFunc("GET /api/clawgov/v1/review", s.reviewList)
	m.HandleFunc("GET /api/clawgov/v1/review/{slug}/{version}", s.reviewShow)
	m.HandleFunc("POST /api/clawgov/v1/review/{slug}/{version}/{action}", s.reviewAct)
	m.Handle("/review/", s.reviewRoutes())
	m.HandleFunc("GET /review", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, reviewPrefix+"queue", http.StatusSeeOther)
	})
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { textError(w, http.StatusNotFound, "Not found") })
}

// Principal is the caller: a token holder, or anonymous (Handle "").
type Principal struct {
	Handle string
	Role   string
	Remote string
	// Via names the channel of a review decision in its events ("web"
	// for the review pages; empty for the API and CLI).
	Via string
}

func (p Principal) actor() string {
	if p.Handle == "" {
		return "anonymous"
	}
	return p.Handle
}

func remoteOf(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

// principal authenticates the Bearer token; ok is false (and the reply
// written) when a token is present but invalid.
func (s *Server) principal(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	p := Principal{Remote: remoteOf(r)}
	h := r.Header.Get("Authorization")
	if h == "" {
		return p, true
	}
	tok, found := strings.CutPrefix(h, "Bearer ")
	if !found || strings.TrimSpace(tok) == "" {
		textError(w, http.StatusUnauthorized, "Unauthorized")
		return p, false
	}
	t, err := s.o.Store.Authenticate(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		if !errors.Is(err, ErrTokenInvalid) {
			s.internal(w, r, err)
			return p, false
		}
		textError(w, http.StatusUnauthorized, "Unauthorized")
		return p, false
	}
	p.Handle, p.Role = t.Handle, t.Role
	return p, true
}

type readHandler func(w http.ResponseWriter, r *http.Request, p Principal)

// read wraps the read endpoints: any valid token, or none with PublicRead.
func (s *Server) read(h readHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.principal(w, r)
		if !ok {
			return
		}
		if p.Handle == "" && !s.o.PublicRead {
			textError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		h(w, r, p)
	}
}

func (s *Server) require(w http.ResponseWriter, r *http.Request, roles ...string) (Principal, bool) {
	p, ok := s.principal(w, r)
	if !ok {
		return p, false
	}
	if p.Handle == "" {
		textError(w, http.StatusUnauthorized, "Unauthorized")
		return p, false
	}
	for _, role := range roles {
		if p.Role == role {
			return p, true
		}
	}
	textError(w, http.StatusForbidden, "Forbidden: this needs a "+strings.Join(roles, " or ")+" token")
	return p, false
}

func textError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	io.WriteString(w, msg)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		textError(w, http.StatusInternalServerError, "Internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.o.Logger.Error("registry request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	textError(w, http.StatusInternalServerError, "Internal error")
}

func (s *Server) event(r *http.Request, p Principal, action, object string, details map[string]string) Event {
	return Event{At: s.o.Now().UnixMilli(), Actor: p.actor(), Action: action, Object: object, Remote: p.Remote, Details: details}
}

func (s *Server) logEvent(r *http.Request, p Principal, action, object string, details map[string]string) {
	if err := s.o.Store.AppendEvent(r.Context(), s.event(r, p, action, object, details)); err != nil {
		s.o.Logger.Error("registry event not recorded", "action", action, "object", object, "err", err)
	}
}

func (s *Server) base(r *http.Request) string {
	if s.o.BaseURL != "" {
		return strings.TrimRight(s.o.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

var (
	slugRe    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`) })
	handleRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9](?:[a-z0-9._-]{0,38}[a-z0-9])?$`) })
	versionRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$`) })
)

// ValidSlug reports a slug both clients accept (lowercase [a-z0-9-]).
func ValidSlug(s string) bool { return slugRe().MatchString(s) }

// ValidHandle reports a lowercase owner handle OpenClaw accepts.
func ValidHandle(s string) bool { return handleRe().MatchString(s) }

// ValidVersion reports an acceptable version string (compared exactly).
func ValidVersion(s string) bool { return versionRe().MatchString(s) }

// ---- discovery and auth ----

func (s *Server) wellKnown(w http.ResponseWriter, r *http.Request) {
	b := s.base(r)
	writeJSON(w, http.StatusOK, map[string]any{"apiBase": b, "registry": b})
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	p, ok := s.principal(w, r)
	if !ok {
		return
	}
	if p.Handle == "" {
		textError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	// No "role": the CLI checks it against ClawHub's own role names.
	writeJSON(w, http.StatusOK, map[string]any{"user": map[string]any{"handle": p.Handle}})
}

func (s *Server) signingKey(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"alg": "ed25519", "keyId": s.o.Signer.KeyID,
		"publicKey": base64.StdEncoding.EncodeToString(s.o.Signer.Public()), "schema": RecordSchema})
}

// ---- search ----

func limitOf(r *http.Request, def, max int) int {
	n := def
	if v := r.URL.Query().Get("limit"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil || n <= 0 {
			n = def
		}
	}
	return min(n, max)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, p Principal) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	exact := r.URL.Query().Get("mode") == "exact"
	vs, err := s.o.Store.ApprovedBySlug(r.Context(), q, "", limitOf(r, 25, 100))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	results := []map[string]any{}
	for _, v := range vs {
		if exact && v.Slug != strings.ToLower(q) {
			continue
		}
		score := 1.0
		if v.Slug == strings.ToLower(q) {
			score = 10
		}
		results = append(results, map[string]any{"slug": v.Slug, "ownerHandle": v.Owner, "source": "clawhub", "displayName": v.DisplayName,
			"score": score, "version": v.Version, "summary": v.Summary})
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

func (s *Server) trending(w http.ResponseWriter, r *http.Request, p Principal) {
	vs, err := s.o.Store.ApprovedBySlug(r.Context(), "", "", limitOf(r, 20, 100))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	items := []map[string]any{}
	for _, v := range vs {
		items = append(items, map[string]any{"slug": v.Slug, "displayName": v.DisplayName, "source": "clawhub",
			"publisher": map[string]any{"handle": v.Owner}, "summary": v.Summary})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, p Principal) {
	vs, err := s.o.Store.ApprovedBySlug(r.Context(), "", r.URL.Query().Get("prefix"), limitOf(r, 25, 200))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	items := []map[string]any{}
	for _, v := range vs {
		items = append(items, map[string]any{"slug": v.Slug, "displayName": v.DisplayName, "summary": v.Summary,
			"tags": map[string]string{"latest": v.Version}, "stats": map[string]any{}, "createdAt": v.CreatedAt, "updatedAt": decidedAt(v),
			"latestVersion": versionShape(v)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "nextCursor": nil})
}

func decidedAt(v Version) int64 {
	if v.DecidedAt != nil {
		return *v.DecidedAt
	}
	return v.CreatedAt
}

func versionShape(v Version) map[string]any {
	return map[string]any{"version": v.Version, "createdAt": v.CreatedAt, "changelog": v.Changelog}
}

// ---- resolution helpers ----

// lookup finds the version a read request names: ?version= or ?tag=
// ("latest" or absent: the newest approved). ownerHandle, when sent, must
// be the skill's owner. It returns ErrNotFound when the skill, the owner
// or the version does not exist; a found version may be in any state.
func (s *Server) lookup(r *http.Request, slug string) (Version, string, error) {
	q := r.URL.Query()
	if !ValidSlug(slug) {
		return Version{}, "", ErrNotFound
	}
	owner, err := s.o.Store.SkillOwner(r.Context(), slug)
	if err != nil {
		return Version{}, "", err
	}
	if oh := q.Get("ownerHandle"); oh != "" && oh != owner {
		return Version{}, "", ErrNotFound
	}
	ver, from := q.Get("version"), "version"
	if ver == "" && q.Get("tag") != "" && q.Get("tag") != "latest" {
		return Version{}, "tag", ErrNotFound
	}
	if ver == "" {
		v, err := s.o.Store.LatestApproved(r.Context(), slug)
		if errors.Is(err, ErrNotFound) {
			// No approved version: report the newest of any state so
			// the caller can answer with the blocked shape.
			vs, err2 := s.o.Store.Versions(r.Context(), slug, "", 1)
			if err2 != nil {
				return Version{}, "", err2
			}
			if len(vs) == 0 {
				return Version{}, "", ErrNotFound
			}
			return vs[0], "latest", nil
		}
		if q.Get("tag") != "" {
			from = "tag"
		} else {
			from = "latest"
		}
		return v, from, err
	}
	v, err := s.o.Store.GetVersion(r.Context(), slug, ver)
	return v, from, err
}

// pullThrough asks the upstream for a skill or version this registry does
// not have and returns the message for the client ("" when pull-through
// is off or the names are not ones the upstream could serve).
func (s *Server) pullThrough(r *http.Request, p Principal, slug, owner, version string) string {
	pt := s.o.PullThrough
	if pt == nil || !ValidSlug(slug) || (owner != "" && !ValidHandle(owner)) || (version != "" && !ValidVersion(version)) {
		return ""
	}
	obj := slug
	if version != "" {
		obj += "@" + version
	}
	if pt.Request(slug, owner, version) {
		s.logEvent(r, p, "mirror.request", obj, map[string]string{"upstream": pt.UpstreamName(), "ownerHandle": owner})
	}
	return fmt.Sprintf("%s is not in the internal registry yet: it was requested from the upstream registry %s and can be installed once it has been scanned and a reviewer approves it", obj, pt.UpstreamName())
}

// pullThroughNotFound answers 404 for an unknown skill, with the
// pull-through message when one was requested.
func (s *Server) pullThroughNotFound(w http.ResponseWriter, r *http.Request, p Principal, err error, slug, owner, version string) {
	if errors.Is(err, ErrNotFound) {
		if msg := s.pullThrough(r, p, slug, owner, version); msg != "" {
			textError(w, http.StatusNotFound, "Skill not found. "+msg+".")
			return
		}
	}
	s.notFoundOr(w, r, err)
}

func blockedMessage(v Version) (int, string) {
	switch v.State {
	case StateRevoked:
		return http.StatusGone, fmt.Sprintf("%s@%s was revoked by the internal security review: %s", v.Slug, v.Version, v.StateReason)
	case StateRejected:
		return http.StatusForbidden, fmt.Sprintf("%s@%s was rejected by the internal security review: %s", v.Slug, v.Version, v.StateReason)
	}
	return http.StatusForbidden, fmt.Sprintf("%s@%s is pending internal security review", v.Slug, v.Version)
}

// ---- install ----

func (s *Server) detail(w http.ResponseWriter, r *http.Request, p Principal) {
	slug := r.PathValue("slug")
	v, err := s.latestOnly(r, slug)
	if err != nil {
		if s.unknownSkill(r, slug) {
			s.pullThroughNotFound(w, r, p, err, slug, r.URL.Query().Get("ownerHandle"), "")
			return
		}
		s.notFoundOr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"skill": map[string]any{"slug": v.Slug, "displayName": v.DisplayName, "summary": v.Summary, "tags": map[string]string{"latest": v.Version},
			"stats": map[string]any{}, "createdAt": v.CreatedAt, "updatedAt": decidedAt(v)},
		"latestVersion": versionShape(v),
		"metadata":      nil,
		"owner":         map[string]any{"handle": v.Owner, "displayName": v.Owner, "image": nil},
		"moderation":    map[string]any{"isSuspicious": false, "isMalwareBlocked": false, "verdict": "clean", "reasonCodes": []string{}},
	})
}

// latestOnly is the newest approved version of slug (owner-checked).
func (s *Server) latestOnly(r *http.Request, slug string) (Version, error) {
	if !ValidSlug(slug) {
		return Version{}, ErrNotFound
	}
	owner, err := s.o.Store.SkillOwner(r.Context(), slug)
	if err != nil {
		return Version{}, err
	}
	if oh := r.URL.Query().Get("ownerHandle"); oh != "" && oh != owner {
		return Version{}, ErrNotFound
	}
	return s.o.Store.LatestApproved(r.Context(), slug)
}

func (s *Server) notFoundOr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		textError(w, http.StatusNotFound, "Skill not found")
		return
	}
	s.internal(w, r, err)
}

func (s *Server) downloadURL(r *http.Request, v Version) string {
	return fmt.Sprintf("%s/api/v1/download?slug=%s&ownerHandle=%s&version=%s", s.base(r), v.Slug, v.Owner, urlQuery(v.Version))
}

func urlQuery(s string) string { return strings.ReplaceAll(s, "+", "%2B") }

// unknownSkill reports that slug has no version here at all (not merely
// none approved, and not another owner's): only then does pull-through
// ask the upstream, so it never competes with a local skill.
func (s *Server) unknownSkill(r *http.Request, slug string) bool {
	if s.o.PullThrough == nil {
		return false
	}
	_, err := s.o.Store.SkillOwner(r.Context(), slug)
	return errors.Is(err, ErrNotFound)
}

func (s *Server) install(w http.ResponseWriter, r *http.Request, p Principal) {
	slug := r.PathValue("slug")
	v, _, err := s.lookup(r, slug)
	if err != nil {
		if s.unknownSkill(r, slug) {
			if msg := s.pullThrough(r, p, slug, r.URL.Query().Get("ownerHandle"), r.URL.Query().Get("version")); msg != "" {
				// The blocked shape (§4.6): OpenClaw prints the message.
				writeJSON(w, http.StatusLocked, map[string]any{"ok": false, "slug": slug, "reason": "archive_version_missing", "message": msg, "status": http.StatusLocked})
				return
			}
		}
		s.notFoundOr(w, r, err)
		return
	}
	if v.State != StateApproved {
		code, msg := blockedMessage(v)
		if code == http.StatusForbidden && v.State == StatePending {
			code = http.StatusLocked
		}
		s.logEvent(r, p, "install.refused", v.Slug+"@"+v.Version, map[string]string{"state": v.State})
		// archive_version_missing is one of the reasons the CLI accepts;
		// the message says why (§4.6).
		writeJSON(w, code, map[string]any{"ok": false, "slug": v.Slug, "reason": "archive_version_missing", "message": msg, "status": code})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "slug": v.Slug, "installKind": "archive",
		"archive": map[string]any{"version": v.Version, "downloadUrl": s.downloadURL(r, v), "sha256": v.ArchiveSHA256}})
}

func (s *Server) versions(w http.ResponseWriter, r *http.Request, p Principal) {
	slug := r.PathValue("slug")
	if _, err := s.latestOnly(r, slug); err != nil {
		s.notFoundOr(w, r, err)
		return
	}
	vs, err := s.o.Store.Versions(r.Context(), slug, StateApproved, limitOf(r, 25, 200))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	items := []map[string]any{}
	for _, v := range vs {
		items = append(items, versionShape(v))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "nextCursor": nil})
}

func (s *Server) versionDetail(w http.ResponseWriter, r *http.Request, p Principal) {
	slug, ver := r.PathValue("slug"), r.PathValue("version")
	if !ValidSlug(slug) {
		textError(w, http.StatusNotFound, "Skill not found")
		return
	}
	owner, err := s.o.Store.SkillOwner(r.Context(), slug)
	if err != nil {
		s.notFoundOr(w, r, err)
		return
	}
	v, err := s.o.Store.GetVersion(r.Context(), slug, ver)
	if err != nil || v.State != StateApproved || (r.URL.Query().Get("ownerHandle") != "" && r.URL.Query().Get("ownerHandle") != owner) {
		if err != nil && !errors.Is(err, ErrNotFound) {
			s.internal(w, r, err)
			return
		}
		textError(w, http.StatusNotFound, "Version not found")
		return
	}
	vs := versionShape(v)
	vs["files"] = v.Files
	vs["security"] = map[string]any{"status": "clean", "hasWarnings": v.ScanVerdict != string(skillscan.Clean), "checkedAt": v.CreatedAt, "model": v.Scanner}
	writeJSON(w, http.StatusOK, map[string]any{"version": vs, "skill": map[string]any{"slug": v.Slug, "displayName": v.DisplayName}})
}

func (s *Server) download(w http.ResponseWriter, r *http.Request, p Principal) {
	slug := r.URL.Query().Get("slug")
	v, _, err := s.lookup(r, slug)
	if err != nil {
		if s.unknownSkill(r, slug) {
			s.pullThroughNotFound(w, r, p, err, slug, r.URL.Query().Get("ownerHandle"), r.URL.Query().Get("version"))
			return
		}
		if errors.Is(err, ErrNotFound) {
			textError(w, http.StatusNotFound, "Skill not found")
			return
		}
		s.internal(w, r, err)
		return
	}
	obj := v.Slug + "@" + v.Version
	if v.State != StateApproved {
		code, msg := blockedMessage(v)
		s.logEvent(r, p, "download.refused", obj, map[string]string{"state": v.State})
		textError(w, code, msg)
		return
	}
	data, err := s.o.Blobs.Get(v.ArchiveSHA256, MaxSkillBytes*2)
	if err != nil {
		// Refuse and report: a changed blob is never served, and the
		// event log records it for the SIEM.
		s.o.Logger.Error("registry archive failed its integrity check", "skill", obj, "sha256", v.ArchiveSHA256, "err", err)
		s.logEvent(r, p, "blob.integrity_failed", obj, map[string]string{"sha256": v.ArchiveSHA256, "error": err.Error()})
		textError(w, http.StatusInternalServerError, "The stored archive of "+obj+" failed its integrity check; download refused")
		return
	}
	s.logEvent(r, p, "download", obj, map[string]string{"sha256": v.ArchiveSHA256})
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.zip"`, v.Slug, v.Version))
	w.Header().Set("Cache-Control", "private, max-age=60")
	w.Header().Set("X-ClawHub-Artifact-Sha256", v.ArchiveSHA256)
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

func (s *Server) resolve(w http.ResponseWriter, r *http.Request, p Principal) {
	q := r.URL.Query()
	slug := q.Get("slug")
	if !ValidSlug(slug) {
		textError(w, http.StatusNotFound, "Skill not found")
		return
	}
	owner, err := s.o.Store.SkillOwner(r.Context(), slug)
	if err != nil || (q.Get("ownerHandle") != "" && q.Get("ownerHandle") != owner) {
		if err != nil && !errors.Is(err, ErrNotFound) {
			s.internal(w, r, err)
			return
		}
		textError(w, http.StatusNotFound, "Skill not found")
		return
	}
	// The owner also sees its own pending versions, so a publish bumps
	// past them; everybody else sees approved versions only.
	state := StateApproved
	if p.Handle == owner {
		state = ""
	}
	vs, err := s.o.Store.Versions(r.Context(), slug, state, 0)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if len(vs) == 0 {
		textError(w, http.StatusNotFound, "Skill not found")
		return
	}
	var match any
	hash := strings.ToLower(q.Get("hash"))
	for _, v := range vs {
		if hash != "" && v.Fingerprint == hash {
			match = map[string]any{"version": v.Version}
			break
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"slug": slug, "match": match, "latestVersion": map[string]any{"version": vs[0].Version}})
}

// ---- verdicts and verify ----

type verdictReq struct {
	Slug        string  `json:"slug"`
	OwnerHandle *string `json:"ownerHandle"`
	Version     string  `json:"version"`
}

func (s *Server) verdicts(w http.ResponseWriter, r *http.Request, p Principal) {
	var body struct {
		Items []verdictReq `json:"items"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		textError(w, http.StatusBadRequest, "Bad request: body must be JSON {\"items\":[{\"slug\",\"ownerHandle\"?,\"version\"}]}")
		return
	}
	if len(body.Items) > 100 {
		textError(w, http.StatusBadRequest, "Bad request: at most 100 items")
		return
	}
	items := make([]map[string]any, 0, len(body.Items))
	for _, it := range body.Items {
		items = append(items, s.verdictItem(r, p, it))
	}
	writeJSON(w, http.StatusOK, map[string]any{"schema": "clawhub.skill.security-verdicts.v1", "items": items})
}

func (s *Server) auditURL(r *http.Request, slug, ver string) string {
	return fmt.Sprintf("%s/audit/%s?version=%s", s.base(r), slug, urlQuery(ver))
}

func (s *Server) verdictItem(r *http.Request, p Principal, it verdictReq) map[string]any {
	m := map[string]any{"requestedSlug": it.Slug, "requestedVersion": it.Version}
	if it.OwnerHandle != nil {
		m["requestedOwnerHandle"] = *it.OwnerHandle
	}
	var v Version
	var err error = ErrNotFound
	if ValidSlug(it.Slug) {
		var owner string
		if owner, err = s.o.Store.SkillOwner(r.Context(), it.Slug); err == nil {
			if it.OwnerHandle != nil && *it.OwnerHandle != owner {
				err = ErrNotFound
			} else {
				v, err = s.o.Store.GetVersion(r.Context(), it.Slug, it.Version)
			}
		}
	}
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.o.Logger.Error("registry verdict lookup", "slug", it.Slug, "err", err)
		}
		m["ok"], m["decision"], m["reasons"] = false, "fail", []string{"version.not_found"}
		m["error"] = map[string]any{"code": "version_not_found", "message": "This version is not in the internal registry."}
		m["security"] = nil
		m["overview"] = "Not in the internal registry."
		if errors.Is(err, ErrNotFound) && s.unknownSkill(r, it.Slug) {
			owner := ""
			if it.OwnerHandle != nil {
				owner = *it.OwnerHandle
			}
			if msg := s.pullThrough(r, p, it.Slug, owner, it.Version); msg != "" {
				m["overview"] = msg + "."
			}
		}
		m["securityAuditUrl"] = s.auditURL(r, it.Slug, it.Version)
		return m
	}
	m["slug"], m["displayName"], m["version"], m["publisherHandle"], m["publisherDisplayName"] = v.Slug, v.DisplayName, v.Version, v.Owner, v.Owner
	m["createdAt"], m["checkedAt"] = v.CreatedAt, decidedAt(v)
	m["securityAuditUrl"] = s.auditURL(r, v.Slug, v.Version)
	m["skillUrl"] = s.base(r) + "/audit/" + v.Slug
	if v.State == StateApproved {
		m["ok"], m["decision"], m["reasons"] = true, "pass", []string{}
		m["overview"] = approvedOverview(v)
		m["security"] = map[string]any{"status": "clean", "passed": true, "scanVerdict": v.ScanVerdict, "scanner": v.Scanner, "archiveSha256": v.ArchiveSHA256}
		return m
	}
	// Not approved is "blocked" with a reason ending in _blocked and a
	// malicious status: every rule of OpenClaw's trust mapping refuses it,
	// also without a TTY (§6; "suspicious" would only warn).
	reason := "policy.not_approved_blocked"
	if v.State == StateRevoked {
		reason = "policy.revoked_blocked"
	}
	_, msg := blockedMessage(v)
	m["ok"], m["decision"], m["reasons"] = false, "blocked", []string{reason}
	m["overview"] = msg + "."
	m["security"] = map[string]any{"status": "malicious", "passed": false, "state": v.State}
	return m
}

func approvedOverview(v Version) string {
	names := make([]string, 0, len(v.Approvals))
	for _, a := range v.Approvals {
		names = append(names, a.Reviewer)
	}
	by := strings.Join(names, ", ")
	if by == "" {
		by = "policy"
	}
	return fmt.Sprintf("Approved by the internal security review (%s). Scan: %s (%s). Archive SHA-256 %s.", by, v.ScanVerdict, v.Scanner, v.ArchiveSHA256)
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request, p Principal) {
	slug := r.PathValue("slug")
	v, from, err := s.lookup(r, slug)
	if err != nil {
		s.notFoundOr(w, r, err)
		return
	}
	if v.State != StateApproved && v.State != StateRevoked {
		textError(w, http.StatusNotFound, "Skill not found")
		return
	}
	ok := v.State == StateApproved
	decision, reasons := "pass", []string{}
	if !ok {
		decision, reasons = "fail", []string{"policy.revoked_blocked"}
	}
	card := s.cardText(v)
	files := v.Files
	if files == nil {
		files = []FileMeta{}
	}
	var sig any = map[string]any{"status": "unsigned"}
	if v.ApprovalRecord != "" {
		sig = map[string]any{"status": "signed", "alg": "ed25519", "keyId": s.o.Signer.KeyID, "record": v.ApprovalRecord, "signature": v.ApprovalSig}
	}
	tag := any(nil)
	if from == "tag" {
		tag = "latest"
	}
	var status any = map[string]any{"status": "unsigned"}
	if s.o.Signer != nil {
		nonce := r.URL.Query().Get("clawgovNonce")
		if !validNonce(nonce) {
			nonce = ""
		}
		stmt, ssig := s.o.Signer.SignStatus(StatusStatement{Registry: s.o.BaseURL, Slug: v.Slug, OwnerHandle: v.Owner, Version: v.Version,
			State: v.State, ArchiveSHA256: v.ArchiveSHA256, Nonce: nonce, IssuedAt: s.o.Now().UnixMilli()})
		status = map[string]any{"status": "signed", "alg": "ed25519", "keyId": s.o.Signer.KeyID, "statement": stmt, "signature": ssig}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"schema": "clawhub.skill.verify.v1", "ok": ok, "decision": decision, "reasons": reasons,
		"slug": v.Slug, "displayName": v.DisplayName, "pageUrl": s.base(r) + "/audit/" + v.Slug,
		"publisherHandle": v.Owner, "publisherDisplayName": v.Owner, "publisherProfileUrl": nil,
		"version": v.Version, "resolvedFrom": from, "tag": tag, "createdAt": v.CreatedAt,
		"card": map[string]any{"available": true, "path": "skill-card.md", "url": fmt.Sprintf("%s/api/v1/skills/%s/card?ownerHandle=%s&version=%s", s.base(r), v.Slug, v.Owner, urlQuery(v.Version)),
			"sha256": sha256Hex([]byte(card)), "size": len(card), "contentType": "text/markdown"},
		"artifact": map[string]any{"sourceFingerprint": v.Fingerprint, "bundleFingerprints": []string{v.Fingerprint}, "files": files,
			"archiveSha256": v.ArchiveSHA256, "integrity": integrity(v.ArchiveSHA256), "fileTreeSha256": v.FileTree},
		"provenance": s.provenanceOf(r, v),
		"security": map[string]any{"status": map[bool]string{true: "clean", false: "revoked"}[ok], "passed": ok, "rawStatus": v.State, "verdict": v.ScanVerdict,
			"confidence": nil, "summary": approvedOverview(v), "model": v.Scanner, "checkedAt": v.CreatedAt,
			"signals": map[string]any{"staticScan": v.ScanVerdict, "virusTotal": nil, "skillSpector": nil, "dependencyRegistry": nil}},
		"signature":       sig,
		"statusSignature": status,
	})
}

// validNonce accepts the auditor's clawgovNonce: 16 to 64 lower-case hex
// digits. Anything else is left out of the statement, never echoed.
func validNonce(n string) bool {
	if len(n) < 16 || len(n) > 64 {
		return false
	}
	for _, c := range n {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// provenanceOf is the verify envelope's provenance: "unavailable" is the
// only non-GitHub source the clients know, so the reason carries where a
// mirrored version came from.
func (s *Server) provenanceOf(r *http.Request, v Version) map[string]any {
	reason := "published to the internal registry by " + v.Publisher
	m := v.Mirror
	if m == nil {
		if ps, err := s.o.Store.Provenances(r.Context(), []string{v.ID}); err == nil {
			m = ps[v.ID]
		}
	}
	if m != nil {
		reason = fmt.Sprintf("mirrored from %s (upstream archive SHA-256 %s, upstream moderation %s), scanned and reviewed by the internal registry", m.Upstream, m.ArchiveSHA256, m.Moderation)
	}
	return map[string]any{"source": "unavailable", "reason": reason}
}

func integrity(hexSum string) string {
	b, err := hex.DecodeString(hexSum)
	if err != nil {
		return ""
	}
	return "sha256-" + base64.StdEncoding.EncodeToString(b)
}

func (s *Server) cardText(v Version) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n- Skill: @%s/%s\n- Version: %s\n- State: %s\n- Scan: %s (score %d, %s)\n- Archive SHA-256: %s\n- fileTreeSha256: %s\n",
		v.DisplayName, v.Owner, v.Slug, v.Version, v.State, v.ScanVerdict, v.ScanScore, v.Scanner, v.ArchiveSHA256, v.FileTree)
	for _, a := range v.Approvals {
		fmt.Fprintf(&b, "- Approved by %s: %s\n", a.Reviewer, a.Reason)
	}
	return b.String()
}

func (s *Server) card(w http.ResponseWriter, r *http.Request, p Principal) {
	v, _, err := s.lookup(r, r.PathValue("slug"))
	if err != nil || v.State != StateApproved {
		if err != nil && !errors.Is(err, ErrNotFound) {
			s.internal(w, r, err)
			return
		}
		textError(w, http.StatusNotFound, "Skill not found")
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	io.WriteString(w, s.cardText(v))
}

func (s *Server) file(w http.ResponseWriter, r *http.Request, p Principal) {
	v, _, err := s.lookup(r, r.PathValue("slug"))
	if err != nil || v.State != StateApproved {
		if err != nil && !errors.Is(err, ErrNotFound) {
			s.internal(w, r, err)
			return
		}
		textError(w, http.StatusNotFound, "Skill not found")
		return
	}
	want := r.URL.Query().Get("path")
	for _, f := range v.Files {
		if f.Path == want {
			data, err := s.o.Blobs.Get(f.SHA256, MaxFileBytes)
			if err != nil {
				s.logEvent(r, p, "blob.integrity_failed", v.Slug+"@"+v.Version, map[string]string{"path": f.Path, "error": err.Error()})
				textError(w, http.StatusInternalServerError, "The stored file failed its integrity check")
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Write(data)
			return
		}
	}
	textError(w, http.StatusNotFound, "File not found")
}

func (s *Server) moderation(w http.ResponseWriter, r *http.Request, p Principal) {
	if _, err := s.latestOnly(r, r.PathValue("slug")); err != nil {
		s.notFoundOr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"moderation": map[string]any{"isSuspicious": false, "isMalwareBlocked": false, "verdict": "clean", "reasonCodes": []string{}, "evidence": []string{}}})
}

func (s *Server) telemetry(w http.ResponseWriter, r *http.Request, p Principal) {
	var body map[string]any
	_ = json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&body)
	d := map[string]string{}
	for _, k := range []string{"slug", "ownerHandle", "version", "event"} {
		if v, ok := body[k].(string); ok && len(v) <= 128 {
			d[k] = v
		}
	}
	s.logEvent(r, p, "install.telemetry", d["slug"]+"@"+d["version"], d)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, p Principal) {
	v, _, err := s.lookup(r, r.PathValue("slug"))
	if err != nil {
		s.notFoundOr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.WriteString(w, s.cardText(v))
}
