// Package approval is the auditor's side of the organisation registry's
// signed approvals (clawgov.registry.approval.v1): it fetches a skill
// version's verify envelope, checks the ed25519 signature against a key
// pinned in clawgov.yaml (never against the key the registry serves), and
// says whether the version is approved, revoked or not approved. It
// depends on the standard library only, so the audit trusts no registry
// code to check the registry.
package approval

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// Schema names the signed record format.
const Schema = "clawgov.registry.approval.v1"

// Record is the signed approval record, field for field as the registry
// signs it (internal/registry ApprovalRecord; a test keeps them equal).
type Record struct {
	Schema         string     `json:"schema"`
	Registry       string     `json:"registry"`
	Slug           string     `json:"slug"`
	OwnerHandle    string     `json:"ownerHandle"`
	Version        string     `json:"version"`
	Publisher      string     `json:"publisher"`
	ArchiveSHA256  string     `json:"archiveSha256"`
	Integrity      string     `json:"integrity"`
	FileTreeSHA256 string     `json:"fileTreeSha256"`
	SkillFile      string     `json:"skillFileSha256"`
	ScanVerdict    string     `json:"scanVerdict"`
	Scanner        string     `json:"scanner"`
	Approvals      []Approver `json:"approvals"`
	ApprovedAt     int64      `json:"approvedAt"`
}

// Approver is one reviewer's approval inside a record.
type Approver struct {
	Reviewer string `json:"reviewer"`
	Reason   string `json:"reason"`
	At       int64  `json:"at"`
}

// Reviewers lists the approvers' handles ("policy" for a system approval
// without reviewers).
func (r Record) Reviewers() string {
	var names []string
	for _, a := range r.Approvals {
		names = append(names, a.Reviewer)
	}
	if len(names) == 0 {
		return "policy"
	}
	return strings.Join(names, ", ")
}

// KeyID is the registry's key identifier: the first 16 hex digits of the
// SHA-256 of the public key.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// VerifyRecord checks sig (base64) over the record bytes with pub and
// decodes the record.
func VerifyRecord(pub ed25519.PublicKey, record, sig string) (Record, error) {
	var rec Record
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, []byte(record), raw) {
		return rec, errors.New("approval record signature does not verify against the pinned key")
	}
	if err := json.Unmarshal([]byte(record), &rec); err != nil || rec.Schema != Schema {
		return rec, errors.New("signed record is not a " + Schema)
	}
	return rec, nil
}

// ParsePublicKey reads registry.signing_key: the base64 public key as
// /api/clawgov/v1/signing-key serves it, or the path of a file holding
// that base64 text or the whole signing-key JSON document. A relative
// path is taken from baseDir (the folder of clawgov.yaml).
func ParsePublicKey(value, baseDir string) (ed25519.PublicKey, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return nil, errors.New("empty")
	}
	if k, ok := decodeKey(v); ok {
		return k, nil
	}
	p := v
	if !filepath.IsAbs(p) && baseDir != "" {
		p = filepath.Join(baseDir, p)
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("neither a base64 ed25519 public key nor a readable file (%q: no such file)", p)
		}
		return nil, fmt.Errorf("read %q: %s", p, oneLine(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("read %q: %s", p, oneLine(err))
	}
	t := strings.TrimSpace(string(b))
	if k, ok := decodeKey(t); ok {
		return k, nil
	}
	var doc struct {
		Alg       string `json:"alg"`
		PublicKey string `json:"publicKey"`
	}
	if json.Unmarshal([]byte(t), &doc) == nil && doc.PublicKey != "" {
		if doc.Alg != "" && doc.Alg != "ed25519" {
			return nil, fmt.Errorf("%q: alg %q, want ed25519", p, doc.Alg)
		}
		if k, ok := decodeKey(doc.PublicKey); ok {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%q: not a base64 ed25519 public key (32 bytes) or the registry's signing-key JSON", p)
}

// oneLine keeps an error on one line (an OS error quotes the path it was
// given, which may hold anything).
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

func decodeKey(s string) (ed25519.PublicKey, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, false
	}
	return ed25519.PublicKey(b), true
}

// NormalizeURL is the comparable form of a registry URL: scheme and host
// lowercased, the scheme's default port dropped, trailing slashes, query
// and fragment removed; a path prefix is kept (both clients keep it).
// Text that does not parse as an absolute URL is returned trimmed.
func NormalizeURL(s string) string {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Hostname() == "" {
		if t := strings.TrimRightFunc(s, func(r rune) bool { return r == '/' || unicode.IsSpace(r) }); t != s {
			return NormalizeURL(t) // shorter each time, so this ends
		}
		return s
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host + strings.TrimRight(u.EscapedPath(), "/")
}

// SameRegistry reports whether two registry URLs name the same registry.
func SameRegistry(a, b string) bool {
	return a != "" && b != "" && NormalizeURL(a) == NormalizeURL(b)
}

// Outcome is what the registry's answer, checked, says about one version.
type Outcome string

const (
	// Approved: a signed record that verifies under the pinned key and a
	// verify envelope that passes.
	Approved Outcome = "approved"
	// Revoked: the version was approved (the signed record verifies) and
	// later revoked; the envelope fails.
	Revoked Outcome = "revoked"
	// NotApproved: the registry has no approved or revoked version of
	// that name (pending, rejected or never published).
	NotApproved Outcome = "not_approved"
	// BadSignature: a record that does not verify under the pinned key,
	// or a verified record for another skill or version.
	BadSignature Outcome = "bad_signature"
	// Unverifiable: no answer that can be trusted either way (no pinned
	// key, registry unreachable or refusing, unsigned approval).
	Unverifiable Outcome = "unverifiable"
)

// Status is the checked answer for one skill version.
type Status struct {
	Outcome Outcome
	// Record is the verified record (Approved, Revoked).
	Record *Record
	// KeyID is the key ID the envelope names.
	KeyID string
	// Reason says why, in one line (never a token).
	Reason string
	// Reasons are the envelope's reason codes (Revoked).
	Reasons []string
}

// DefaultTimeout bounds each request to the registry.
const DefaultTimeout = 10 * time.Second

// maxEnvelope bounds a verify envelope (OpenClaw allows 64 MiB; a record
// and file list are kilobytes).
const maxEnvelope = 8 << 20

// Client asks one registry for signed approvals. It keeps no cache: each
// Verify is one request, so an audit sees the registry's state now.
// A Client is for one audit and one goroutine (it remembers that the
// registry was unreachable).
type Client struct {
	// BaseURL is the registry (registry.url).
	BaseURL string
	// Token is the Bearer token ("" = anonymous, for --public-read).
	Token string
	// Key is the pinned public key (nil: none pinned, nothing verifies).
	Key ed25519.PublicKey
	// HTTP is the client (nil: a default one with Timeout).
	HTTP *http.Client
	// Timeout bounds each request (0: DefaultTimeout).
	Timeout time.Duration

	down error
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: c.timeout()}
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Client) get(ctx context.Context, path string, q url.Values) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("registry URL %q: %w", c.BaseURL, err)
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return 0, nil, scrubErr(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxEnvelope+1))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read the registry's answer: %w", scrubErr(err))
	}
	if len(b) > maxEnvelope {
		return resp.StatusCode, nil, fmt.Errorf("the registry's answer is larger than %d bytes", maxEnvelope)
	}
	return resp.StatusCode, b, nil
}

// scrubErr keeps a transport error to its cause: url.Error repeats the
// whole URL, which is fine, but never the headers (the token is only in
// a header, so nothing here can carry it).
func scrubErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		var ne net.Error
		if errors.As(ue.Err, &ne) && ne.Timeout() {
			return fmt.Errorf("%s %s: timed out", ue.Op, ue.URL)
		}
	}
	return err
}

// Verify fetches GET /api/v1/skills/{slug}/verify?version=&ownerHandle=
// and checks it. After one transport failure the registry counts as down
// for the rest of this client's life (one timeout per audit, not one per
// skill).
func (c *Client) Verify(ctx context.Context, slug, owner, version string) Status {
	if len(c.Key) != ed25519.PublicKeySize {
		return Status{Outcome: Unverifiable, Reason: "no registry.signing_key is pinned in clawgov.yaml, so no approval can be verified"}
	}
	if c.down != nil {
		return Status{Outcome: Unverifiable, Reason: "registry unreachable: " + c.down.Error()}
	}
	if slug == "" || version == "" {
		return Status{Outcome: Unverifiable, Reason: "the install record names no slug or version to look up"}
	}
	var nb [16]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return Status{Outcome: Unverifiable, Reason: "no randomness for the status nonce: " + err.Error()}
	}
	nonce := hex.EncodeToString(nb[:])
	q := url.Values{"version": {version}, "clawgovNonce": {nonce}}
	if owner != "" {
		q.Set("ownerHandle", owner)
	}
	code, body, err := c.get(ctx, "/api/v1/skills/"+url.PathEscape(slug)+"/verify", q)
	if err != nil {
		if code == 0 {
			c.down = err
		}
		return Status{Outcome: Unverifiable, Reason: "registry unreachable: " + err.Error()}
	}
	switch {
	case code == http.StatusNotFound:
		return Status{Outcome: NotApproved, Reason: fmt.Sprintf("the registry has no approved version %s of %s (pending, rejected or never published): %s", version, slug, short(body))}
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return Status{Outcome: Unverifiable, Reason: fmt.Sprintf("the registry refused the request (%d): set CLAWHUB_TOKEN to a reader token", code)}
	case code != http.StatusOK:
		return Status{Outcome: Unverifiable, Reason: fmt.Sprintf("the registry answered %d: %s", code, short(body))}
	}
	var env struct {
		Schema    string   `json:"schema"`
		OK        *bool    `json:"ok"`
		Decision  string   `json:"decision"`
		Reasons   []string `json:"reasons"`
		Signature *struct {
			Status    string `json:"status"`
			Alg       string `json:"alg"`
			KeyID     string `json:"keyId"`
			Record    string `json:"record"`
			Signature string `json:"signature"`
		} `json:"signature"`
		StatusSignature *struct {
			Status    string `json:"status"`
			Alg       string `json:"alg"`
			Statement string `json:"statement"`
			Signature string `json:"signature"`
		} `json:"statusSignature"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Schema != "clawhub.skill.verify.v1" || env.OK == nil {
		return Status{Outcome: Unverifiable, Reason: "the registry's answer is not a clawhub.skill.verify.v1 envelope"}
	}
	sig := env.Signature
	if sig == nil || sig.Status != "signed" {
		st := Status{Outcome: Unverifiable, Reason: "the registry's approval of this version is not signed"}
		if !*env.OK {
			st.Outcome, st.Reason, st.Reasons = Revoked, "the registry blocks this version ("+strings.Join(env.Reasons, ", ")+"); its approval is not signed", env.Reasons
		}
		return st
	}
	st := Status{KeyID: sig.KeyID}
	if sig.Alg != "" && sig.Alg != "ed25519" {
		st.Outcome, st.Reason = BadSignature, fmt.Sprintf("the record is signed with %q, not ed25519", sig.Alg)
		return st
	}
	rec, err := VerifyRecord(c.Key, sig.Record, sig.Signature)
	if err != nil {
		st.Outcome = BadSignature
		st.Reason = fmt.Sprintf("%v (record key %s, pinned key %s)", err, orNone(sig.KeyID), KeyID(c.Key))
		if served, serr := c.ServedKey(ctx); serr == nil && !served.Equal(c.Key) {
			st.Reason += fmt.Sprintf("; the registry serves key %s, which is not the pinned one", KeyID(served))
		}
		return st
	}
	if rec.Slug != slug || rec.Version != version || (owner != "" && rec.OwnerHandle != owner) {
		st.Outcome = BadSignature
		st.Reason = fmt.Sprintf("the signed record is for @%s/%s@%s, not @%s/%s@%s", rec.OwnerHandle, rec.Slug, rec.Version, orNone(owner), slug, version)
		return st
	}
	st.Record = &rec
	// The record says which bytes were approved once; only the signed
	// status statement says what the registry holds now. Without it the
	// envelope's ok/decision could have been rewritten on the way, so
	// nothing here is trusted as approved or revoked.
	ss := env.StatusSignature
	if ss == nil || ss.Status != "signed" {
		st.Outcome, st.Reason = Unverifiable, "the registry's current status of this version is not signed (an older registry, or an altered answer)"
		return st
	}
	stmt, err := verifyStatus(c.Key, ss.Statement, ss.Signature)
	switch {
	case err != nil || (ss.Alg != "" && ss.Alg != "ed25519"):
		if err == nil {
			err = fmt.Errorf("the status statement is signed with %q, not ed25519", ss.Alg)
		}
		st.Outcome, st.Reason = BadSignature, err.Error()
		return st
	case stmt.Slug != rec.Slug || stmt.Version != rec.Version || stmt.OwnerHandle != rec.OwnerHandle || stmt.ArchiveSHA256 != rec.ArchiveSHA256:
		st.Outcome = BadSignature
		st.Reason = fmt.Sprintf("the signed status is for @%s/%s@%s (archive %s), not the approved record", stmt.OwnerHandle, stmt.Slug, stmt.Version, short([]byte(stmt.ArchiveSHA256)))
		return st
	case stmt.Nonce != nonce:
		st.Outcome, st.Reason = Unverifiable, "the signed status does not carry this audit's nonce (a replayed or cached answer)"
		return st
	}
	switch stmt.State {
	case "approved":
		if !*env.OK || env.Decision != "pass" {
			st.Outcome = Unverifiable
			st.Reason = fmt.Sprintf("the envelope (decision %s) contradicts the signed status (approved)", env.Decision)
			return st
		}
		st.Outcome = Approved
	case "revoked":
		st.Outcome, st.Reasons = Revoked, env.Reasons
		st.Reason = fmt.Sprintf("the registry's signed status says revoked (decision %s: %s)", env.Decision, strings.Join(env.Reasons, ", "))
	default:
		st.Outcome, st.Reason = NotApproved, fmt.Sprintf("the registry's signed status is %q", stmt.State)
	}
	return st
}

// StatusSchema names the signed status statement of a verify answer.
const StatusSchema = "clawgov.registry.status.v1"

// StatusStatement is the registry's signed "state now" of one version
// (internal/registry StatusStatement; a test keeps them equal).
type StatusStatement struct {
	Schema        string `json:"schema"`
	Registry      string `json:"registry"`
	Slug          string `json:"slug"`
	OwnerHandle   string `json:"ownerHandle"`
	Version       string `json:"version"`
	State         string `json:"state"`
	ArchiveSHA256 string `json:"archiveSha256"`
	Nonce         string `json:"nonce"`
	IssuedAt      int64  `json:"issuedAt"`
}

func verifyStatus(pub ed25519.PublicKey, statement, sig string) (StatusStatement, error) {
	var st StatusStatement
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, []byte(statement), raw) {
		return st, errors.New("the status statement's signature does not verify against the pinned key")
	}
	if err := json.Unmarshal([]byte(statement), &st); err != nil || st.Schema != StatusSchema {
		return st, errors.New("the signed status is not a " + StatusSchema)
	}
	return st, nil
}

// ServedKey fetches the key the registry serves at
// /api/clawgov/v1/signing-key. It is only ever compared with the pinned
// key, never trusted in its place.
func (c *Client) ServedKey(ctx context.Context) (ed25519.PublicKey, error) {
	code, body, err := c.get(ctx, "/api/clawgov/v1/signing-key", nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("signing-key: HTTP %d", code)
	}
	var doc struct {
		PublicKey string `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("signing-key: %w", err)
	}
	k, ok := decodeKey(doc.PublicKey)
	if !ok {
		return nil, errors.New("signing-key: not an ed25519 public key")
	}
	return k, nil
}

func short(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
