package mirror

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/registry"
)

// Outcome of mirroring one reference.
type Outcome string

const (
	// Pulled: stored through the publish path (its State says where the
	// scan put it: pending, rejected, or approved by policy).
	Pulled Outcome = "pulled"
	// Skipped: already here with the same content.
	Skipped Outcome = "skipped"
	// Refused: not mirrored by policy (hidden, removed, malware-blocked,
	// changed bytes, hash mismatch, unsafe archive); a mirror.refused
	// event records it.
	Refused Outcome = "refused"
	// Failed: no usable answer from the upstream (transport, timeout,
	// rate limit, bad JSON, size cap); nothing stored.
	Failed Outcome = "failed"
)

// Result is what happened to one reference.
type Result struct {
	Ref     Ref
	Version string
	Outcome Outcome
	// State is the local state of a pulled version.
	State  string
	Reason string
}

func (r Result) String() string {
	obj := r.Ref.Slug
	if v := r.Version; v != "" {
		obj += "@" + v
	} else if r.Ref.Version != "" {
		obj += "@" + r.Ref.Version
	}
	switch r.Outcome {
	case Pulled:
		return fmt.Sprintf("pulled  %s: %s (%s)", obj, r.State, r.Reason)
	case Skipped:
		return fmt.Sprintf("skipped %s: %s", obj, r.Reason)
	case Refused:
		return fmt.Sprintf("refused %s: %s", obj, r.Reason)
	}
	return fmt.Sprintf("failed  %s: %s", obj, r.Reason)
}

// Options configure a Mirror.
type Options struct {
	Client *Client
	Store  *registry.Store
	// Server is the local registry whose publish path pulled versions go
	// through (Attach sets it when the server is built after the mirror).
	Server *registry.Server
	Logger *slog.Logger
	Now    func() time.Time
}

// Mirror pulls skills from one upstream into the local registry.
type Mirror struct {
	o Options
}

// New returns a mirror.
func New(o Options) (*Mirror, error) {
	if o.Client == nil || o.Store == nil {
		return nil, errors.New("mirror: client and store are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Mirror{o: o}, nil
}

// Attach sets the local registry server (for pull-through, whose server
// needs the mirror first).
func (m *Mirror) Attach(s *registry.Server) { m.o.Server = s }

// Upstream is the upstream base URL.
func (m *Mirror) Upstream() string { return m.o.Client.Base() }

// PullAll mirrors each reference in order and returns the results.
func (m *Mirror) PullAll(ctx context.Context, refs []Ref) []Result {
	out := make([]Result, 0, len(refs))
	for _, r := range refs {
		if ctx.Err() != nil {
			out = append(out, Result{Ref: r, Outcome: Failed, Reason: "cancelled"})
			continue
		}
		out = append(out, m.Pull(ctx, r))
	}
	return out
}

// principal is who mirrored versions are published as: an admin-role
// system principal (so it may publish for the upstream owner) whose
// handle is never a reviewer's, so any reviewer can approve its versions.
func (m *Mirror) principal() registry.Principal {
	return registry.Principal{Handle: "mirror", Role: registry.RoleAdmin, Remote: m.o.Client.Host()}
}

// refusal is a policy refusal: recorded as a mirror.refused event.
type refusal struct {
	reason  string
	details map[string]string
}

func (r *refusal) Error() string { return r.reason }

func refuse(details map[string]string, format string, a ...any) error {
	return &refusal{reason: fmt.Sprintf(format, a...), details: details}
}

// Pull mirrors one reference.
func (m *Mirror) Pull(ctx context.Context, ref Ref) Result {
	res := Result{Ref: ref, Version: ref.Version}
	st, reason, err := m.pull(ctx, ref, &res)
	var rf *refusal
	switch {
	case errors.As(err, &rf):
		res.Outcome, res.Reason = Refused, rf.reason
		obj := ref.Slug
		if res.Version != "" {
			obj += "@" + res.Version
		}
		d := map[string]string{"upstream": m.o.Client.Base(), "reason": rf.reason}
		for k, v := range rf.details {
			d[k] = v
		}
		if ref.Owner != "" {
			d["ownerHandle"] = ref.Owner
		}
		ev := registry.Event{At: m.o.Now().UnixMilli(), Actor: "mirror", Action: "mirror.refused", Object: obj, Remote: m.o.Client.Host(), Details: d}
		if err := m.o.Store.AppendEvent(ctx, ev); err != nil {
			m.o.Logger.Error("mirror: refusal not recorded", "skill", obj, "err", err)
		}
		m.o.Logger.Warn("mirror: refused", "skill", obj, "reason", rf.reason)
	case err != nil:
		res.Outcome, res.Reason = Failed, err.Error()
		m.o.Logger.Error("mirror: failed", "skill", ref.String(), "err", err)
	case st == "":
		res.Outcome, res.Reason = Skipped, reason
	default:
		res.Outcome, res.State, res.Reason = Pulled, st, reason
		m.o.Logger.Info("mirror: pulled", "skill", ref.Slug+"@"+res.Version, "state", st)
	}
	return res
}

// pull returns the local state of a stored version ("" when skipped)
// with a reason, a *refusal, or another error.
func (m *Mirror) pull(ctx context.Context, ref Ref, res *Result) (string, string, error) {
	if m.o.Server == nil {
		return "", "", errors.New("mirror: no local registry server attached")
	}
	c := m.o.Client
	slug := ref.Slug
	q := url.Values{}
	if ref.Owner != "" {
		q.Set("ownerHandle", ref.Owner)
	}
	// 1. Detail: exists, visible, not hidden or malware-blocked.
	resp, err := c.do(ctx, http.MethodGet, c.url("/api/v1/skills/"+slug, q), nil, MaxJSONBytes)
	if err != nil {
		return "", "", err
	}
	switch resp.Status {
	case http.StatusOK:
	case http.StatusNotFound:
		return "", "", refuse(nil, "not found upstream (missing, or hidden by the upstream's moderation): %s", resp.Text())
	case http.StatusGone:
		return "", "", refuse(nil, "removed upstream (HTTP 410): %s", resp.Text())
	default:
		return "", "", statusError("skill detail", resp)
	}
	d, err := DecodeDetail(resp.Body, slug, "")
	if err != nil {
		return "", "", fmt.Errorf("upstream %s: %w", redactURL(resp.URL), err)
	}
	if ref.Owner != "" && d.Owner != ref.Owner {
		return "", "", refuse(map[string]string{"upstreamOwner": d.Owner}, "the upstream's %s belongs to %s, not the listed %s", slug, d.Owner, ref.Owner)
	}
	if d.Hidden != "" {
		return "", "", refuse(nil, "hidden or removed upstream: %s", d.Hidden)
	}
	if why := d.Moderation.Blocked(); why != "" {
		return "", "", refuse(moderationDetails(d.Moderation), "%s", why)
	}
	ver := ref.Version
	if ver == "" {
		if d.Latest == "" {
			return "", "", refuse(nil, "the upstream lists no published version")
		}
		ver = d.Latest
	}
	res.Version = ver
	owner := d.Owner
	oq := url.Values{"ownerHandle": {owner}}

	// 2. The version: listed, with its files; not flagged malicious.
	resp, err = c.do(ctx, http.MethodGet, c.url("/api/v1/skills/"+slug+"/versions/"+url.PathEscape(ver), oq), nil, MaxJSONBytes)
	if err != nil {
		return "", "", err
	}
	switch resp.Status {
	case http.StatusOK:
	case http.StatusNotFound:
		return "", "", refuse(nil, "version not found upstream (missing, or hidden by the upstream's moderation): %s", resp.Text())
	case http.StatusGone:
		return "", "", refuse(nil, "version removed upstream (HTTP 410): %s", resp.Text())
	default:
		return "", "", statusError("version", resp)
	}
	vi, ok, err := DecodeVersion(resp.Body, ver)
	if err != nil {
		return "", "", fmt.Errorf("upstream %s: %w", redactURL(resp.URL), err)
	}
	if !ok {
		return "", "", refuse(nil, "the upstream does not serve version %s (version: null)", ver)
	}
	if hiddenStatus(vi.Security) != "" {
		return "", "", refuse(nil, "the upstream's security status of this version is %s", vi.Security)
	}

	// 3. The verdict OpenClaw gates on: blocked is never mirrored.
	body, _ := json.Marshal(map[string]any{"items": []map[string]string{{"slug": slug, "ownerHandle": owner, "version": ver}}})
	resp, err = c.do(ctx, http.MethodPost, c.url("/api/v1/skills/-/security-verdicts", nil), body, MaxJSONBytes)
	if err != nil {
		return "", "", err
	}
	if resp.Status != http.StatusOK {
		// No usable verdict: fail closed, as OpenClaw does.
		return "", "", statusError("security verdicts", resp)
	}
	verdict, err := DecodeVerdicts(resp.Body, slug, owner, ver)
	if err != nil {
		return "", "", fmt.Errorf("upstream %s: %w", redactURL(resp.URL), err)
	}
	if verdict.NotFound {
		return "", "", refuse(map[string]string{"code": verdict.Code}, "the upstream has no security verdict for this version (%s)", orNone(verdict.Code))
	}
	if why := verdict.Blocked(); why != "" {
		return "", "", refuse(map[string]string{"decision": verdict.Decision, "status": verdict.Status}, "%s", why)
	}
	modState, flags := "clean", []string(nil)
	if d.Moderation.Suspicious() || verdict.Review() {
		modState, flags = "suspicious", []string{"upstream.suspicious"}
	}

	// 4. Already here? The slug must not be a local skill of another
	// owner, and a present version must have the same content.
	localOwner, err := m.o.Store.SkillOwner(ctx, slug)
	switch {
	case err == nil && localOwner != owner:
		return "", "", refuse(map[string]string{"upstreamOwner": owner, "localOwner": localOwner}, "the slug belongs to the local owner %s, upstream it is %s's", localOwner, owner)
	case err != nil && !errors.Is(err, registry.ErrNotFound):
		return "", "", err
	}
	existing, err := m.o.Store.GetVersion(ctx, slug, ver)
	present := err == nil
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return "", "", err
	}
	if present && len(vi.Files) > 0 && sameListing(vi.Files, existing.Files) {
		return "", "already present with the same files (archive " + short(existing.ArchiveSHA256) + ")", nil
	}

	// 5. The archive: capped, matching its advertised hash and the
	// version's file list, and safe to unpack.
	dl := c.url("/api/v1/download", url.Values{"slug": {slug}, "ownerHandle": {owner}, "version": {ver}})
	resp, err = c.do(ctx, http.MethodGet, dl, nil, c.o.MaxArchiveBytes)
	if err != nil {
		return "", "", err
	}
	switch resp.Status {
	case http.StatusOK:
	case http.StatusForbidden, http.StatusGone, http.StatusNotFound, http.StatusLocked:
		return "", "", refuse(map[string]string{"status": fmt.Sprint(resp.Status)}, "the upstream refuses the download (HTTP %d): %s", resp.Status, resp.Text())
	default:
		return "", "", statusError("download", resp)
	}
	sum := sha256Hex(resp.Body)
	advertised := strings.ToLower(strings.TrimSpace(resp.Header.Get("X-ClawHub-Artifact-Sha256")))
	if advertised != "" && advertised != sum {
		return "", "", refuse(map[string]string{"advertisedSha256": clip(advertised), "upstreamArchiveSha256": sum},
			"the archive's bytes (SHA-256 %s) do not match the SHA-256 the upstream advertises (%s)", short(sum), short(clip(advertised)))
	}
	files, err := registry.DecodeArchive(resp.Body)
	if err != nil {
		var ie *registry.InputError
		if errors.As(err, &ie) {
			return "", "", refuse(map[string]string{"upstreamArchiveSha256": sum}, "the upstream archive is not a safe skill archive: %s", ie.Msg)
		}
		return "", "", err
	}
	if _, listed := findFile(vi.Files, "_meta.json"); !listed && len(vi.Files) > 0 {
		// The public server adds _meta.json to every ZIP; it is not one
		// of the published files (and would change the fingerprint).
		delete(files, "_meta.json")
	}
	// The registry writes its own card (the publish path drops a
	// published one): leave it out here too, so comparisons see what
	// would be stored.
	delete(files, "skill-card.md")
	if why := checkListing(vi.Files, files); why != "" {
		return "", "", refuse(map[string]string{"upstreamArchiveSha256": sum}, "the archive does not match the upstream's file list: %s", why)
	}
	archive, err := registry.BuildArchive(files)
	if err != nil {
		return "", "", err
	}
	local := sha256Hex(archive)
	if present {
		if local == existing.ArchiveSHA256 || (existing.Mirror != nil && existing.Mirror.ArchiveSHA256 == sum) {
			return "", "already present with the same content (archive " + short(existing.ArchiveSHA256) + ")", nil
		}
		d := map[string]string{"localArchiveSha256": existing.ArchiveSHA256, "upstreamContentSha256": local, "upstreamArchiveSha256": sum}
		if existing.Mirror != nil {
			d["previousUpstreamArchiveSha256"] = existing.Mirror.ArchiveSHA256
		}
		return "", "", refuse(d, "the upstream changed the published bytes of %s@%s (local archive %s, upstream now %s); versions are immutable", slug, ver, short(existing.ArchiveSHA256), short(local))
	}

	// 6. The publish path, as a real publish.
	req := registry.PublishRequest{Slug: slug, DisplayName: d.DisplayName, OwnerHandle: owner, Version: ver, Changelog: firstNonEmpty(vi.Changelog, d.Changelog), Summary: d.Summary}
	if rb, _ := json.Marshal(req); rb != nil {
		if _, err := registry.DecodePublish(rb); err != nil {
			return "", "", refuse(nil, "the upstream's metadata is not publishable here: %v", err)
		}
	}
	detail, _ := json.Marshal(map[string]any{"moderation": d.Moderation, "verdict": map[string]any{"decision": verdict.Decision, "status": verdict.Status, "reasons": nonNil(verdict.Reasons)}})
	prov := registry.Provenance{Upstream: c.Base(), SourceURL: redactURL(dl), Owner: owner, ArchiveSHA256: sum, ArchiveSize: int64(len(resp.Body)),
		Advertised: advertised, Moderation: modState, ModerationDetail: detail, FetchedAt: m.o.Now().UnixMilli()}
	v, err := m.o.Server.PublishMirrored(ctx, m.principal(), req, files, registry.Mirrored{Provenance: prov, Flags: flags})
	if err != nil {
		var ie *registry.InputError
		switch {
		case errors.As(err, &ie):
			return "", "", refuse(map[string]string{"upstreamArchiveSha256": sum}, "not publishable: %s", ie.Msg)
		case errors.Is(err, registry.ErrSlugOwned):
			return "", "", refuse(nil, "the slug belongs to another local owner")
		case errors.Is(err, registry.ErrConflict):
			return "", "", fmt.Errorf("%s@%s was stored by another publish at the same time; run the mirror again to compare", slug, ver)
		}
		return "", "", err
	}
	why := "scan " + v.ScanVerdict
	if v.State == registry.StateRejected {
		why = v.StateReason
	}
	if len(v.Flags) > 0 {
		why += "; flags " + strings.Join(v.Flags, ",")
	}
	return v.State, why, nil
}

func statusError(what string, r *Response) error {
	msg := fmt.Sprintf("%s: HTTP %d", what, r.Status)
	switch r.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		msg += " (the upstream refused the token; check --token-file)"
	}
	if t := r.Text(); t != "" {
		msg += ": " + t
	}
	return &Error{Method: r.Method, URL: redactURL(r.URL), Msg: msg}
}

func moderationDetails(m *Moderation) map[string]string {
	if m == nil {
		return nil
	}
	return map[string]string{"isMalwareBlocked": fmt.Sprint(m.IsMalwareBlocked), "isSuspicious": fmt.Sprint(m.IsSuspicious),
		"verdict": clip(m.Verdict), "reasonCodes": strings.Join(clipAll(m.ReasonCodes), ",")}
}

func findFile(fs []FileInfo, p string) (FileInfo, bool) {
	for _, f := range fs {
		if f.Path == p {
			return f, true
		}
	}
	return FileInfo{}, false
}

// sameListing reports that the upstream's file list is exactly the
// stored version's files (paths and hashes).
func sameListing(up []FileInfo, have []registry.FileMeta) bool {
	m := map[string]string{}
	for _, f := range have {
		m[f.Path] = f.SHA256
	}
	n := 0
	for _, f := range up {
		if ignoredListing(f.Path) {
			continue
		}
		n++
		if m[f.Path] != f.SHA256 {
			return false
		}
	}
	return n == len(have)
}

// ignoredListing is a listed path the registry never stores: dot paths
// and node_modules (the archive decoder drops them, as the CLI does at
// publish) and skill-card.md (the registry writes its own).
func ignoredListing(p string) bool {
	if p == "skill-card.md" {
		return true
	}
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, ".") || seg == "node_modules" {
			return true
		}
	}
	return false
}

// checkListing compares the unpacked files with the upstream's list (when
// it gave one): same paths, same SHA-256 and size.
func checkListing(up []FileInfo, files map[string][]byte) string {
	if len(up) == 0 {
		return ""
	}
	var problems []string
	listed := map[string]bool{}
	for _, f := range up {
		if ignoredListing(f.Path) {
			continue
		}
		listed[f.Path] = true
		b, ok := files[f.Path]
		switch {
		case !ok:
			problems = append(problems, f.Path+" is listed but not in the archive")
		case sha256Hex(b) != f.SHA256:
			problems = append(problems, fmt.Sprintf("%s has SHA-256 %s, listed %s", f.Path, short(sha256Hex(b)), short(f.SHA256)))
		case f.Size >= 0 && int64(len(b)) != f.Size:
			problems = append(problems, fmt.Sprintf("%s has %d bytes, listed %d", f.Path, len(b), f.Size))
		}
	}
	for p := range files {
		if !listed[p] {
			problems = append(problems, p+" is in the archive but not listed")
		}
	}
	sort.Strings(problems)
	if len(problems) > 4 {
		problems = append(problems[:4], fmt.Sprintf("and %d more", len(problems)-4))
	}
	return strings.Join(problems, "; ")
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func orNone(s string) string {
	if s == "" {
		return "no code"
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
