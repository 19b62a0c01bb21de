package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/clawgov/clawgov/internal/skillscan"
	"github.com/clawgov/clawgov/internal/version"
)

// UploadTicketRequest is the body of POST /api/v1/skills/-/upload-url.
type UploadTicketRequest struct {
	Path        string `json:"path"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
}

// DecodeUploadTicket parses and validates an upload-url request body.
func DecodeUploadTicket(body []byte) (UploadTicketRequest, error) {
	var u UploadTicketRequest
	if err := json.Unmarshal(body, &u); err != nil {
		return u, inputErrorf("body must be JSON {path,size,sha256,contentType}: %v", err)
	}
	if _, err := CleanPath(u.Path); err != nil {
		return u, err
	}
	u.SHA256 = strings.ToLower(u.SHA256)
	switch {
	case u.Size < 0:
		return u, inputErrorf("%s: negative size", u.Path)
	case u.Size > MaxFileBytes:
		return u, inputErrorf("%s: %d bytes, at most %d per file", u.Path, u.Size, MaxFileBytes)
	case !validHex64(u.SHA256):
		return u, inputErrorf("%s: sha256 must be 64 hex digits", u.Path)
	case len(u.ContentType) > 200:
		return u, inputErrorf("%s: content type too long", u.Path)
	}
	return u, nil
}

// PublishFile is one entry of the publish request's files.
type PublishFile struct {
	Path         string `json:"path"`
	Size         int64  `json:"size"`
	StorageID    string `json:"storageId"`
	SHA256       string `json:"sha256"`
	ContentType  string `json:"contentType"`
	UploadTicket string `json:"uploadTicket"`
}

// PublishRequest is the JSON body of POST /api/v1/skills (§4.14).
type PublishRequest struct {
	Slug        string        `json:"slug"`
	DisplayName string        `json:"displayName"`
	OwnerHandle string        `json:"ownerHandle"`
	Version     string        `json:"version"`
	Changelog   string        `json:"changelog"`
	Summary     string        `json:"summary"`
	Tags        []string      `json:"tags"`
	Files       []PublishFile `json:"files"`
}

// DecodePublish parses and validates a publish request's metadata (the
// files' bytes are checked separately against their upload tickets).
func DecodePublish(body []byte) (PublishRequest, error) {
	var p PublishRequest
	if err := json.Unmarshal(body, &p); err != nil {
		return p, inputErrorf("publish body must be JSON: %v", err)
	}
	if !ValidSlug(p.Slug) {
		return p, inputErrorf("slug %q: want lowercase letters, digits and '-' (at most 64), as both clients require", p.Slug)
	}
	if !ValidVersion(p.Version) {
		return p, inputErrorf("version %q: want 1-64 characters of [0-9A-Za-z.+-]", p.Version)
	}
	if p.OwnerHandle != "" && !ValidHandle(p.OwnerHandle) {
		return p, inputErrorf("ownerHandle %q: want a lowercase handle", p.OwnerHandle)
	}
	if len(p.DisplayName) > 200 || len(p.Changelog) > 64<<10 || len(p.Summary) > 2000 {
		return p, inputErrorf("displayName, summary or changelog too long")
	}
	if len(p.Files) > MaxFiles {
		return p, inputErrorf("%d files: at most %d", len(p.Files), MaxFiles)
	}
	seen := map[string]bool{}
	for _, f := range p.Files {
		if _, err := CleanPath(f.Path); err != nil {
			return p, err
		}
		if seen[f.Path] {
			return p, inputErrorf("%s: listed twice", f.Path)
		}
		seen[f.Path] = true
	}
	return p, nil
}

func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, inputErrorf("request body over %d bytes", max)
		}
		return nil, inputErrorf("read body: %v", err)
	}
	return b, nil
}

func (s *Server) inputError(w http.ResponseWriter, r *http.Request, p Principal, object string, err error) {
	var ie *InputError
	if errors.As(err, &ie) {
		s.logEvent(r, p, "publish.refused", object, map[string]string{"error": ie.Msg})
		textError(w, http.StatusBadRequest, "Bad request: "+ie.Msg)
		return
	}
	s.internal(w, r, err)
}

func (s *Server) uploadURL(w http.ResponseWriter, r *http.Request) {
	p, ok := s.require(w, r, RolePublisher, RoleAdmin)
	if !ok {
		return
	}
	body, err := readBody(w, r, 64<<10)
	if err != nil {
		s.inputError(w, r, p, "upload", err)
		return
	}
	u, err := DecodeUploadTicket(body)
	if err != nil {
		s.inputError(w, r, p, "upload", err)
		return
	}
	t := Upload{Ticket: NewID(), Handle: p.Handle, Path: u.Path, Size: u.Size, SHA256: u.SHA256, ContentType: u.ContentType, CreatedAt: s.o.Now().UnixMilli()}
	if err := s.o.Store.CreateUpload(r.Context(), t); err != nil {
		s.internal(w, r, err)
		return
	}
	// Same origin only: the CLI sends its token to whatever URL this is (§9.4).
	writeJSON(w, http.StatusOK, map[string]any{"uploadUrl": s.base(r) + "/api/v1/skills/-/upload/" + t.Ticket, "uploadTicket": t.Ticket})
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	p, ok := s.require(w, r, RolePublisher, RoleAdmin)
	if !ok {
		return
	}
	t, err := s.o.Store.GetUpload(r.Context(), r.PathValue("ticket"))
	if err != nil || t.Handle != p.Handle {
		if err != nil && !errors.Is(err, ErrNotFound) {
			s.internal(w, r, err)
			return
		}
		textError(w, http.StatusNotFound, "Upload ticket not found")
		return
	}
	data, err := readBody(w, r, t.Size)
	if err != nil {
		s.inputError(w, r, p, "upload:"+t.Path, inputErrorf("%s: more bytes than the %d the ticket allows", t.Path, t.Size))
		return
	}
	if int64(len(data)) != t.Size {
		s.inputError(w, r, p, "upload:"+t.Path, inputErrorf("%s: %d bytes received, the ticket says %d", t.Path, len(data), t.Size))
		return
	}
	if got := sha256Hex(data); got != t.SHA256 {
		s.inputError(w, r, p, "upload:"+t.Path, inputErrorf("%s: SHA-256 %s does not match the ticket's %s", t.Path, got, t.SHA256))
		return
	}
	sum, err := s.o.Blobs.Put(data)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.o.Store.MarkUploaded(r.Context(), t.Ticket, sum); err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"storageId": sum})
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request) {
	p, ok := s.require(w, r, RolePublisher, RoleAdmin)
	if !ok {
		return
	}
	var req PublishRequest
	var files map[string][]byte
	var err error
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		req, files, err = s.decodeMultipart(w, r, params["boundary"])
	} else {
		var body []byte
		if body, err = readBody(w, r, 4<<20); err == nil {
			if req, err = DecodePublish(body); err == nil {
				files, err = s.ticketFiles(r.Context(), p, req)
			}
		}
	}
	if err != nil {
		s.inputError(w, r, p, req.Slug+"@"+req.Version, err)
		return
	}
	res, err := s.Publish(r.Context(), p, req, files)
	if err != nil {
		switch {
		case errors.Is(err, ErrConflict):
			textError(w, http.StatusConflict, fmt.Sprintf("%s@%s is already published; versions are immutable, publish a new version", req.Slug, req.Version))
		case errors.Is(err, ErrSlugOwned):
			textError(w, http.StatusForbidden, fmt.Sprintf("Forbidden: the slug %s belongs to another owner", req.Slug))
		default:
			s.inputError(w, r, p, req.Slug+"@"+req.Version, err)
		}
		return
	}
	if res.State == StateRejected {
		textError(w, http.StatusUnprocessableEntity, fmt.Sprintf("%s@%s was rejected by the registry's scan (%s): %s", req.Slug, req.Version, res.ScanVerdict, res.StateReason))
		return
	}
	status := "pending"
	if res.State == StateApproved {
		status = "published"
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "skillId": res.Slug, "versionId": res.ID, "publicationStatus": status,
		"state": res.State, "scan": map[string]any{"verdict": res.ScanVerdict, "score": res.ScanScore}, "flags": nonNil(res.Flags)})
}

// ticketFiles loads each file's bytes by its upload ticket: the ticket
// must be the caller's, for the same path, uploaded, with the same hash.
func (s *Server) ticketFiles(ctx context.Context, p Principal, req PublishRequest) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, f := range req.Files {
		ticket := f.UploadTicket
		if ticket == "" {
			return nil, inputErrorf("%s: no uploadTicket", f.Path)
		}
		t, err := s.o.Store.GetUpload(ctx, ticket)
		if errors.Is(err, ErrNotFound) || (err == nil && t.Handle != p.Handle) {
			return nil, inputErrorf("%s: unknown upload ticket", f.Path)
		}
		if err != nil {
			return nil, err
		}
		switch {
		case t.Path != f.Path:
			return nil, inputErrorf("%s: the upload ticket is for %s", f.Path, t.Path)
		case t.StorageID == "":
			return nil, inputErrorf("%s: not uploaded yet", f.Path)
		case f.StorageID != "" && f.StorageID != t.StorageID:
			return nil, inputErrorf("%s: storageId does not match the upload", f.Path)
		case f.SHA256 != "" && strings.ToLower(f.SHA256) != t.SHA256:
			return nil, inputErrorf("%s: sha256 does not match the upload", f.Path)
		case f.Size != 0 && f.Size != t.Size:
			return nil, inputErrorf("%s: size does not match the upload", f.Path)
		}
		b, err := s.o.Blobs.Get(t.StorageID, MaxFileBytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		files[f.Path] = b
	}
	return files, nil
}

// decodeMultipart reads the public server's multipart form: a "payload"
// JSON part plus either "files" parts (file name = path) or one "archive"
// part holding a ZIP of the skill.
func (s *Server) decodeMultipart(w http.ResponseWriter, r *http.Request, boundary string) (PublishRequest, map[string][]byte, error) {
	var req PublishRequest
	if boundary == "" {
		return req, nil, inputErrorf("multipart body without boundary")
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, maxArchiveRead+4<<20), boundary)
	files := map[string][]byte{}
	var archive []byte
	havePayload := false
	var total int64
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return req, nil, inputErrorf("multipart: %v", err)
		}
		name := part.FormName()
		limit := int64(MaxFileBytes)
		if name == "archive" {
			limit = maxArchiveRead
		}
		b, err := io.ReadAll(io.LimitReader(part, limit+1))
		part.Close()
		if err != nil {
			return req, nil, inputErrorf("multipart: %v", err)
		}
		if int64(len(b)) > limit {
			return req, nil, inputErrorf("part %q over %d bytes", name, limit)
		}
		total += int64(len(b))
		if total > maxArchiveRead {
			return req, nil, inputErrorf("multipart body over %d bytes", maxArchiveRead)
		}
		switch name {
		case "payload":
			if req, err = DecodePublish(b); err != nil {
				return req, nil, err
			}
			havePayload = true
		case "files", "files[]":
			fn := part.FileName()
			// FileName() strips folders; the raw header keeps the path.
			if _, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
				fn = params["filename"]
			}
			if _, err := CleanPath(fn); err != nil {
				return req, nil, err
			}
			if _, dup := files[fn]; dup {
				return req, nil, inputErrorf("%s: sent twice", fn)
			}
			files[fn] = b
		case "archive":
			archive = b
		default:
			return req, nil, inputErrorf("unexpected multipart field %q", name)
		}
	}
	if !havePayload {
		return req, nil, inputErrorf("multipart publish without a payload part")
	}
	if archive != nil {
		if len(files) > 0 {
			return req, nil, inputErrorf("send either files or an archive, not both")
		}
		var err error
		if files, err = DecodeArchive(archive); err != nil {
			return req, nil, err
		}
	}
	return req, files, nil
}

// Publish scans files and stores slug@version in the queue: malicious is
// rejected with the rule hits as the reason; clean may be auto-approved;
// everything else waits for reviewers. It returns the stored version.
func (s *Server) Publish(ctx context.Context, p Principal, req PublishRequest, files map[string][]byte) (Version, error) {
	return s.publishVersion(ctx, p, req, files, nil)
}

// Mirrored is what a mirror adds to a publish: the version's provenance
// and flags of its own (an upstream "suspicious" mark), which keep it
// from being auto-approved.
type Mirrored struct {
	Provenance Provenance
	Flags      []string
}

// PublishMirrored feeds a version pulled from an upstream registry into
// the same path as a publish (scan on arrival, malicious rejected, the
// rest queued or auto-approved by policy), storing its provenance and a
// mirror.pull event in the same transaction as the version.
func (s *Server) PublishMirrored(ctx context.Context, p Principal, req PublishRequest, files map[string][]byte, m Mirrored) (Version, error) {
	return s.publishVersion(ctx, p, req, files, &m)
}

func (s *Server) publishVersion(ctx context.Context, p Principal, req PublishRequest, files map[string][]byte, mirrored *Mirrored) (Version, error) {
	owner := req.OwnerHandle
	if owner == "" {
		owner = p.Handle
	}
	if owner != p.Handle && p.Role != RoleAdmin {
		return Version{}, inputErrorf("ownerHandle %s: you may publish only as %s", owner, p.Handle)
	}
	// The server writes its own card; a published one is not served.
	delete(files, "skill-card.md")
	if err := CheckFiles(files); err != nil {
		return Version{}, err
	}
	key := req.Slug + "@" + req.Version
	mu, _ := s.pubMu.LoadOrStore(key, new(sync.Mutex))
	cm := mu.(*sync.Mutex)
	if !cm.TryLock() {
		return Version{}, ErrConflict
	}
	defer cm.Unlock()
	if _, err := s.o.Store.GetVersion(ctx, req.Slug, req.Version); err == nil {
		return Version{}, ErrConflict
	}
	if o, err := s.o.Store.SkillOwner(ctx, req.Slug); err == nil && o != owner {
		return Version{}, ErrSlugOwned
	}
	archive, err := BuildArchive(files)
	if err != nil {
		return Version{}, err
	}
	results := s.o.Scanner.ScanArchive(ctx, req.Slug+".zip", archive)
	verdict, score, scan, incomplete := summarise(results)
	now := s.o.Now().UnixMilli()
	metas := make([]FileMeta, 0, len(files))
	for pth, b := range files {
		ct := ""
		for _, f := range req.Files {
			if f.Path == pth {
				ct = f.ContentType
			}
		}
		if ct == "" {
			ct = mime.TypeByExtension(extOf(pth))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		metas = append(metas, FileMeta{Path: pth, Size: int64(len(b)), SHA256: sha256Hex(b), ContentType: ct})
	}
	sort.Slice(metas, func(i, j int) bool { return metas[i].Path < metas[j].Path })
	display := req.DisplayName
	if display == "" {
		display = req.Slug
	}
	sf := SkillFile(files)
	v := Version{ID: NewID(), Slug: req.Slug, Version: req.Version, Owner: owner, Publisher: p.Handle, DisplayName: display,
		Summary: req.Summary, Changelog: req.Changelog, ArchiveSHA256: sha256Hex(archive), ArchiveSize: int64(len(archive)),
		FileTree: skillscan.FileTreeSHA256Files(files), SkillFileSHA: sha256Hex(files[sf]), Fingerprint: Fingerprint(files),
		Files: metas, ScanVerdict: string(verdict), ScanScore: score, Scan: scan,
		Scanner: "clawgov-skillscan " + version.Version + " rules " + skillscan.RulesDigest(), CreatedAt: now}
	if incomplete {
		v.Flags = append(v.Flags, "scan.incomplete")
	}
	if mirrored != nil {
		prov := mirrored.Provenance
		v.Mirror = &prov
		v.Flags = append(v.Flags, mirrored.Flags...)
	}
	if sq, err := s.lookalikes(ctx, req.Slug, owner); err != nil {
		return Version{}, err
	} else if len(sq) > 0 {
		for _, o := range sq {
			v.Flags = append(v.Flags, "slug.lookalike:"+o)
		}
	}
	evs := []Event{{At: now, Actor: p.actor(), Action: "publish", Object: key, Remote: p.Remote,
		Details: map[string]string{"archiveSha256": v.ArchiveSHA256, "files": fmt.Sprint(len(files)), "fileTreeSha256": v.FileTree}},
		{At: now, Actor: "scanner", Action: "scan", Object: key, Remote: p.Remote,
			Details: map[string]string{"verdict": v.ScanVerdict, "score": fmt.Sprint(score), "scanner": v.Scanner, "flags": strings.Join(v.Flags, ",")}}}
	switch {
	case verdict == skillscan.Malicious:
		v.State, v.StateReason = StateRejected, rejectReason(results)
		v.DecidedAt = &now
		evs = append(evs, Event{At: now, Actor: "scanner", Action: "reject", Object: key, Remote: p.Remote, Details: map[string]string{"reason": v.StateReason}})
	case verdict == skillscan.Clean && s.o.AutoApproveClean && len(v.Flags) == 0:
		v.State, v.StateReason = StateApproved, "clean scan, auto-approved by policy"
		v.DecidedAt = &now
		v.ApprovalRecord, v.ApprovalSig = s.o.Signer.Sign(s.record(v, now))
		evs = append(evs, Event{At: now, Actor: "policy", Action: "approve", Object: key, Remote: p.Remote, Details: map[string]string{"reason": v.StateReason, "keyId": s.o.Signer.KeyID}})
	default:
		v.State = StatePending
	}
	if m := v.Mirror; m != nil {
		evs = append(evs, Event{At: now, Actor: p.actor(), Action: "mirror.pull", Object: key, Remote: p.Remote,
			Details: map[string]string{"upstream": m.Upstream, "sourceUrl": m.SourceURL, "upstreamOwner": m.Owner, "upstreamArchiveSha256": m.ArchiveSHA256,
				"moderation": m.Moderation, "archiveSha256": v.ArchiveSHA256, "state": v.State}})
	}
	if _, err := s.o.Blobs.Put(archive); err != nil {
		return Version{}, err
	}
	if err := s.o.Store.InsertVersion(ctx, v, evs...); err != nil {
		// Content-addressed: remove the archive only if nothing uses it.
		if !s.blobInUse(ctx, v.ArchiveSHA256) {
			s.o.Blobs.Remove(v.ArchiveSHA256)
		}
		return Version{}, err
	}
	s.o.Logger.Info("registry publish", "skill", key, "publisher", p.Handle, "verdict", v.ScanVerdict, "state", v.State)
	return v, nil
}

func extOf(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 && !strings.Contains(p[i:], "/") {
		return p[i:]
	}
	return ""
}

func (s *Server) blobInUse(ctx context.Context, sum string) bool {
	var n int
	if err := s.o.Store.db.QueryRow(ctx, `SELECT COUNT(*) FROM registry_versions WHERE archive_sha256 = ?`, sum).Scan(&n); err != nil {
		return true
	}
	return n > 0
}

// record builds the approval record for v as approved at at.
func (s *Server) record(v Version, at int64) ApprovalRecord {
	aps := v.Approvals
	if aps == nil {
		aps = []Approval{}
	}
	return ApprovalRecord{Schema: RecordSchema, Registry: s.o.BaseURL, Slug: v.Slug, OwnerHandle: v.Owner, Version: v.Version, Publisher: v.Publisher,
		ArchiveSHA256: v.ArchiveSHA256, Integrity: integrity(v.ArchiveSHA256), FileTreeSHA256: v.FileTree, SkillFile: v.SkillFileSHA,
		ScanVerdict: v.ScanVerdict, Scanner: v.Scanner, Approvals: aps, ApprovedAt: at}
}

// summarise folds the scan results of one archive into one verdict (the
// worst), a score, the stored JSON and whether anything was unreadable.
func summarise(results []skillscan.Result) (skillscan.Verdict, int, json.RawMessage, bool) {
	verdict, score, incomplete := skillscan.Clean, 0, false
	if len(results) == 0 {
		return skillscan.Suspicious, 0, json.RawMessage("[]"), true
	}
	for _, r := range results {
		if rank(r.Verdict) > rank(verdict) {
			verdict = r.Verdict
		}
		score = max(score, r.Score)
		if r.Incomplete() {
			incomplete = true
		}
	}
	if incomplete && verdict == skillscan.Clean {
		// Never clean when part of it could not be read.
		verdict = skillscan.Suspicious
	}
	b, _ := json.Marshal(results)
	return verdict, score, b, incomplete
}

func rank(v skillscan.Verdict) int {
	switch v {
	case skillscan.Malicious:
		return 2
	case skillscan.Suspicious:
		return 1
	}
	return 0
}

func rejectReason(results []skillscan.Result) string {
	var parts []string
	seen := map[string]bool{}
	for _, r := range results {
		for _, m := range r.Matches {
			if seen[m.RuleID] {
				continue
			}
			seen[m.RuleID] = true
			loc := m.File
			if m.Line > 0 {
				loc = fmt.Sprintf("%s:%d", m.File, m.Line)
			}
			parts = append(parts, fmt.Sprintf("%s %s (%s, %s)", m.RuleID, m.Title.Get("en"), m.Severity, loc))
		}
	}
	if len(parts) > 8 {
		parts = append(parts[:8], fmt.Sprintf("and %d more", len(parts)-8))
	}
	return "malicious: " + strings.Join(parts, "; ")
}
