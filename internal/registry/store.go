package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/clawgov/clawgov/internal/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Component is the migrations component name in clawgov_migrations.
const Component = "registry"

// Migrations returns the embedded schema steps.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations")
	return sub
}

// Roles a token may have. Each includes the rights of the ones before it
// except that publisher and reviewer are separate duties (admin has both).
const (
	RoleReader    = "reader"
	RolePublisher = "publisher"
	RoleReviewer  = "reviewer"
	RoleAdmin     = "admin"
)

// ValidRole reports whether r is one of the four roles.
func ValidRole(r string) bool {
	return r == RoleReader || r == RolePublisher || r == RoleReviewer || r == RoleAdmin
}

// Version states: the vetting queue.
const (
	StatePending  = "pending"
	StateApproved = "approved"
	StateRejected = "rejected"
	StateRevoked  = "revoked"
)

// Errors the store returns; the server maps them to status codes.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("already exists")
	ErrSlugOwned    = errors.New("slug belongs to another owner")
	ErrTokenInvalid = errors.New("invalid token")
	ErrState        = errors.New("not allowed in this state")
)

// Token is an API token; only its SHA-256 is stored.
type Token struct {
	ID        string
	Handle    string
	Role      string
	Note      string
	CreatedAt int64
	RevokedAt *int64
}

// FileMeta is one file of a published version.
type FileMeta struct {
	Path        string `json:"path"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
}

// Approval is one reviewer's approval of a version.
type Approval struct {
	Reviewer string `json:"reviewer"`
	Reason   string `json:"reason"`
	At       int64  `json:"at"`
}

// Version is one published version of a skill with its scan and decision.
type Version struct {
	ID            string
	Slug          string
	Version       string
	Owner         string
	Publisher     string
	DisplayName   string
	Summary       string
	Changelog     string
	State         string
	StateReason   string
	ArchiveSHA256 string
	ArchiveSize   int64
	FileTree      string
	SkillFileSHA  string
	Fingerprint   string
	Files         []FileMeta
	ScanVerdict   string
	ScanScore     int
	Scan          json.RawMessage
	Scanner       string
	Flags         []string
	// ApprovalRecord is the signed JSON approval record, ApprovalSig its
	// base64 ed25519 signature (both empty until approved).
	ApprovalRecord string
	ApprovalSig    string
	CreatedAt      int64
	DecidedAt      *int64
	Approvals      []Approval
	// Mirror is the provenance of a version pulled from an upstream
	// registry (nil for a version published here).
	Mirror *Provenance
}

// Provenance records where a mirrored version came from: the upstream
// registry, the exact URL its archive was downloaded from, the SHA-256
// and size of the upstream's bytes (before clawgov rebuilt its own
// deterministic archive), the hash the upstream advertised for them, and
// the upstream's moderation state when it was pulled.
type Provenance struct {
	Upstream      string `json:"upstream"`
	SourceURL     string `json:"sourceUrl"`
	Owner         string `json:"upstreamOwner"`
	ArchiveSHA256 string `json:"upstreamArchiveSha256"`
	ArchiveSize   int64  `json:"upstreamArchiveSize"`
	Advertised    string `json:"advertisedSha256,omitempty"`
	Moderation    string `json:"moderation"`
	// ModerationDetail is the upstream's own moderation and verdict
	// fields as JSON (flags, reason codes, verdict decision).
	ModerationDetail json.RawMessage `json:"moderationDetail,omitempty"`
	FetchedAt        int64           `json:"fetchedAt"`
}

// Upload is a publish upload ticket.
type Upload struct {
	Ticket      string
	Handle      string
	Path        string
	Size        int64
	SHA256      string
	ContentType string
	StorageID   string
	CreatedAt   int64
}

// Store is the registry's database.
type Store struct {
	db *sqldb.DB
}

// OpenStore opens dsn and applies the registry migrations.
func OpenStore(ctx context.Context, dsn string) (*Store, error) {
	db, err := sqldb.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx, Component, Migrations()); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

// NewStore wraps an open database and applies the migrations.
func NewStore(ctx context.Context, db *sqldb.DB) (*Store, error) {
	if _, err := db.Migrate(ctx, Component, Migrations()); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// DB is the underlying database.
func (s *Store) DB() *sqldb.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// NewID returns a random 128-bit hex id.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewSecret returns a 256-bit random token with the clawhub-style prefix.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "clh_" + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how tokens are stored: hex SHA-256 (they are 256-bit
// random, so a fast hash is enough).
func HashToken(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

// CreateToken stores a token by its hash, with an event.
func (s *Store) CreateToken(ctx context.Context, t Token, secret string, ev Event) error {
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO registry_tokens (id, token_hash, handle, role, note, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			t.ID, HashToken(secret), t.Handle, t.Role, t.Note, t.CreatedAt); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return appendEvent(ctx, tx, ev)
	})
}

// RevokeToken revokes every token of handle (or the one with id).
func (s *Store) RevokeToken(ctx context.Context, id string, at int64, ev Event) error {
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		r, err := tx.Exec(ctx, `UPDATE registry_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at, id)
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return appendEvent(ctx, tx, ev)
	})
}

// Authenticate returns the live token for secret.
func (s *Store) Authenticate(ctx context.Context, secret string) (Token, error) {
	var t Token
	var rev sql.NullInt64
	err := s.db.QueryRow(ctx, `SELECT id, handle, role, note, created_at, revoked_at FROM registry_tokens WHERE token_hash = ?`, HashToken(secret)).
		Scan(&t.ID, &t.Handle, &t.Role, &t.Note, &t.CreatedAt, &rev)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && rev.Valid) {
		return Token{}, ErrTokenInvalid
	}
	if err != nil {
		return Token{}, fmt.Errorf("authenticate: %w", err)
	}
	return t, nil
}

// CreateUpload stores an upload ticket.
func (s *Store) CreateUpload(ctx context.Context, u Upload) error {
	_, err := s.db.Exec(ctx, `INSERT INTO registry_uploads (ticket, handle, path, size, sha256, content_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.Ticket, u.Handle, u.Path, u.Size, u.SHA256, u.ContentType, u.CreatedAt)
	if err != nil {
		return fmt.Errorf("create upload: %w", err)
	}
	return nil
}

// GetUpload reads a ticket.
func (s *Store) GetUpload(ctx context.Context, ticket string) (Upload, error) {
	var u Upload
	err := s.db.QueryRow(ctx, `SELECT ticket, handle, path, size, sha256, content_type, storage_id, created_at FROM registry_uploads WHERE ticket = ?`, ticket).
		Scan(&u.Ticket, &u.Handle, &u.Path, &u.Size, &u.SHA256, &u.ContentType, &u.StorageID, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	if err != nil {
		return u, fmt.Errorf("read upload: %w", err)
	}
	return u, nil
}

// MarkUploaded records that the ticket's bytes are stored.
func (s *Store) MarkUploaded(ctx context.Context, ticket, storageID string) error {
	_, err := s.db.Exec(ctx, `UPDATE registry_uploads SET storage_id = ? WHERE ticket = ?`, storageID, ticket)
	if err != nil {
		return fmt.Errorf("mark upload: %w", err)
	}
	return nil
}

const versionCols = `id, slug, version, owner_handle, publisher, display_name, summary, changelog, state, state_reason,
	archive_sha256, archive_size, file_tree_sha256, skill_file_sha256, fingerprint, files, scan_verdict, scan_score, scan, scanner,
	flags, approval_record, approval_sig, created_at, decided_at`

type scanner interface{ Scan(...any) error }

func scanVersion(r scanner) (Version, error) {
	var v Version
	var files, scan, flags string
	var decided sql.NullInt64
	err := r.Scan(&v.ID, &v.Slug, &v.Version, &v.Owner, &v.Publisher, &v.DisplayName, &v.Summary, &v.Changelog, &v.State, &v.StateReason,
		&v.ArchiveSHA256, &v.ArchiveSize, &v.FileTree, &v.SkillFileSHA, &v.Fingerprint, &files, &v.ScanVerdict, &v.ScanScore, &scan, &v.Scanner,
		&flags, &v.ApprovalRecord, &v.ApprovalSig, &v.CreatedAt, &decided)
	if err != nil {
		return v, err
	}
	if decided.Valid {
		d := decided.Int64
		v.DecidedAt = &d
	}
	_ = json.Unmarshal([]byte(files), &v.Files)
	_ = json.Unmarshal([]byte(flags), &v.Flags)
	v.Scan = json.RawMessage(scan)
	return v, nil
}

// InsertVersion stores a new version (creating the skill on its first
// version) with its publish event, in one transaction: a second publish
// of the same slug@version gets ErrConflict and stores nothing; a slug
// owned by another handle gets ErrSlugOwned.
func (s *Store) InsertVersion(ctx context.Context, v Version, evs ...Event) error {
	files, _ := json.Marshal(v.Files)
	flags, _ := json.Marshal(nonNil(v.Flags))
	scan := string(v.Scan)
	if scan == "" {
		scan = "null"
	}
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var owner string
		err := tx.QueryRow(ctx, `SELECT owner_handle FROM registry_skills WHERE slug = ?`, v.Slug).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.Exec(ctx, `INSERT INTO registry_skills (slug, owner_handle, display_name, summary, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				v.Slug, v.Owner, v.DisplayName, v.Summary, v.CreatedAt, v.CreatedAt); err != nil {
				if sqldb.IsUniqueViolation(err) {
					return ErrConflict
				}
				return fmt.Errorf("insert skill: %w", err)
			}
		case err != nil:
			return fmt.Errorf("read skill: %w", err)
		case owner != v.Owner:
			return ErrSlugOwned
		}
		_, err = tx.Exec(ctx, `INSERT INTO registry_versions (`+versionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.Slug, v.Version, v.Owner, v.Publisher, v.DisplayName, v.Summary, v.Changelog, v.State, v.StateReason,
			v.ArchiveSHA256, v.ArchiveSize, v.FileTree, v.SkillFileSHA, v.Fingerprint, string(files), v.ScanVerdict, v.ScanScore, scan, v.Scanner,
			string(flags), v.ApprovalRecord, v.ApprovalSig, v.CreatedAt, v.DecidedAt)
		if err != nil {
			if sqldb.IsUniqueViolation(err) {
				return ErrConflict
			}
			return fmt.Errorf("insert version: %w", err)
		}
		for _, a := range v.Approvals {
			if _, err := tx.Exec(ctx, `INSERT INTO registry_approvals (version_id, reviewer, reason, at) VALUES (?, ?, ?, ?)`, v.ID, a.Reviewer, a.Reason, a.At); err != nil {
				return fmt.Errorf("insert approval: %w", err)
			}
		}
		if m := v.Mirror; m != nil {
			detail := string(m.ModerationDetail)
			if detail == "" {
				detail = "{}"
			}
			if _, err := tx.Exec(ctx, `INSERT INTO registry_mirror (version_id, upstream, source_url, upstream_owner, upstream_archive_sha256, upstream_archive_size,
				advertised_sha256, moderation, moderation_detail, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				v.ID, m.Upstream, m.SourceURL, m.Owner, m.ArchiveSHA256, m.ArchiveSize, m.Advertised, m.Moderation, detail, m.FetchedAt); err != nil {
				return fmt.Errorf("insert provenance: %w", err)
			}
		}
		for _, ev := range evs {
			if err := appendEvent(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// GetVersion reads slug@version with its approvals.
func (s *Store) GetVersion(ctx context.Context, slug, version string) (Version, error) {
	v, err := scanVersion(s.db.QueryRow(ctx, `SELECT `+versionCols+` FROM registry_versions WHERE slug = ? AND version = ?`, slug, version))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("read version: %w", err)
	}
	if v.Approvals, err = s.approvals(ctx, v.ID); err != nil {
		return v, err
	}
	m, err := s.Provenances(ctx, []string{v.ID})
	v.Mirror = m[v.ID]
	return v, err
}

// Provenances returns the mirror provenance of each of ids that has one.
func (s *Store) Provenances(ctx context.Context, ids []string) (map[string]*Provenance, error) {
	out := map[string]*Provenance{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		batch := ids[:n]
		ids = ids[n:]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		rows, err := s.db.Query(ctx, `SELECT version_id, upstream, source_url, upstream_owner, upstream_archive_sha256, upstream_archive_size,
			advertised_sha256, moderation, moderation_detail, fetched_at FROM registry_mirror WHERE version_id IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read provenance: %w", err)
		}
		for rows.Next() {
			var id, detail string
			var p Provenance
			if err := rows.Scan(&id, &p.Upstream, &p.SourceURL, &p.Owner, &p.ArchiveSHA256, &p.ArchiveSize, &p.Advertised, &p.Moderation, &detail, &p.FetchedAt); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read provenance: %w", err)
			}
			p.ModerationDetail = json.RawMessage(detail)
			out[id] = &p
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read provenance: %w", err)
		}
	}
	return out, nil
}

func (s *Store) approvals(ctx context.Context, id string) ([]Approval, error) {
	rows, err := s.db.Query(ctx, `SELECT reviewer, reason, at FROM registry_approvals WHERE version_id = ? ORDER BY at, reviewer`, id)
	if err != nil {
		return nil, fmt.Errorf("read approvals: %w", err)
	}
	defer rows.Close()
	var out []Approval
	for rows.Next() {
		var a Approval
		if err := rows.Scan(&a.Reviewer, &a.Reason, &a.At); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Versions lists versions newest first: of one slug (slug != ""), in one
// state (state != ""), or all; limit <= 0 means no limit.
func (s *Store) Versions(ctx context.Context, slug, state string, limit int) ([]Version, error) {
	q := `SELECT ` + versionCols + ` FROM registry_versions WHERE 1 = 1`
	var args []any
	if slug != "" {
		q += ` AND slug = ?`
		args = append(args, slug)
	}
	if state != "" {
		q += ` AND state = ?`
		args = append(args, state)
	}
	q += ` ORDER BY created_at DESC, id DESC`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("list versions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// LatestApproved is the newest approved version of slug.
func (s *Store) LatestApproved(ctx context.Context, slug string) (Version, error) {
	vs, err := s.Versions(ctx, slug, StateApproved, 1)
	if err != nil {
		return Version{}, err
	}
	if len(vs) == 0 {
		return Version{}, ErrNotFound
	}
	return vs[0], nil
}

// ApprovedBySlug returns the newest approved version of each slug whose
// slug or display name contains q (all when q is ""), slugs sorted.
func (s *Store) ApprovedBySlug(ctx context.Context, q, prefix string, limit int) ([]Version, error) {
	query := `SELECT ` + versionCols + ` FROM registry_versions v WHERE state = 'approved' AND created_at = (
		SELECT MAX(created_at) FROM registry_versions w WHERE w.slug = v.slug AND w.state = 'approved')`
	var args []any
	if q != "" {
		query += ` AND (LOWER(slug) LIKE ? OR LOWER(display_name) LIKE ? OR LOWER(summary) LIKE ?)`
		like := "%" + likeEscape(strings.ToLower(q)) + "%"
		args = append(args, like, like, like)
	}
	if prefix != "" {
		query += ` AND slug LIKE ?`
		args = append(args, likeEscape(strings.ToLower(prefix))+"%")
	}
	query += ` ORDER BY slug`
	if limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// likeEscape drops LIKE wildcards from user text (slugs never hold them).
func likeEscape(s string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(s)
}

// SkillOwner is the owner handle of slug.
func (s *Store) SkillOwner(ctx context.Context, slug string) (string, error) {
	var o string
	err := s.db.QueryRow(ctx, `SELECT owner_handle FROM registry_skills WHERE slug = ?`, slug).Scan(&o)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return o, err
}

// ApprovedSlugs lists slug -> owner of every skill with an approved version.
func (s *Store) ApprovedSlugs(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.Query(ctx, `SELECT DISTINCT slug, owner_handle FROM registry_versions WHERE state = 'approved'`)
	if err != nil {
		return nil, fmt.Errorf("approved slugs: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var slug, owner string
		if err := rows.Scan(&slug, &owner); err != nil {
			return nil, err
		}
		out[slug] = owner
	}
	return out, rows.Err()
}

// Decision is a state change computed inside the decision transaction.
type Decision struct {
	// Approve adds an approval (nil: none).
	Approve *Approval
	// State and Reason set the new state ("" keeps it).
	State  string
	Reason string
	// Record and Sig set the signed approval record.
	Record, Sig string
	Events      []Event
}

// Decide reads slug@version inside a transaction, lets fn compute the
// decision from the current row (so two reviewers racing see each other's
// approvals), and applies it with its events.
func (s *Store) Decide(ctx context.Context, slug, version string, at int64, fn func(v Version) (Decision, error)) (Version, error) {
	var out Version
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if s.db.Dialect == sqldb.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, eventLockKey); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		v, err := scanVersion(tx.QueryRow(ctx, `SELECT `+versionCols+` FROM registry_versions WHERE slug = ? AND version = ?`, slug, version))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read version: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT reviewer, reason, at FROM registry_approvals WHERE version_id = ? ORDER BY at, reviewer`, v.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a Approval
			if err := rows.Scan(&a.Reviewer, &a.Reason, &a.At); err != nil {
				rows.Close()
				return err
			}
			v.Approvals = append(v.Approvals, a)
		}
		rows.Close()
		d, err := fn(v)
		if err != nil {
			return err
		}
		if d.Approve != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO registry_approvals (version_id, reviewer, reason, at) VALUES (?, ?, ?, ?)`, v.ID, d.Approve.Reviewer, d.Approve.Reason, d.Approve.At); err != nil {
				if sqldb.IsUniqueViolation(err) {
					return fmt.Errorf("%w: %s already approved this version", ErrState, d.Approve.Reviewer)
				}
				return fmt.Errorf("insert approval: %w", err)
			}
			v.Approvals = append(v.Approvals, *d.Approve)
		}
		if d.State != "" {
			if _, err := tx.Exec(ctx, `UPDATE registry_versions SET state = ?, state_reason = ?, approval_record = ?, approval_sig = ?, decided_at = ? WHERE id = ?`,
				d.State, d.Reason, d.Record, d.Sig, at, v.ID); err != nil {
				return fmt.Errorf("update version: %w", err)
			}
			v.State, v.StateReason, v.ApprovalRecord, v.ApprovalSig = d.State, d.Reason, d.Record, d.Sig
			v.DecidedAt = &at
			if _, err := tx.Exec(ctx, `UPDATE registry_skills SET updated_at = ? WHERE slug = ?`, at, v.Slug); err != nil {
				return fmt.Errorf("update skill: %w", err)
			}
		}
		for _, ev := range d.Events {
			if err := appendEvent(ctx, tx, ev); err != nil {
				return err
			}
		}
		out = v
		return nil
	})
	return out, err
}

// CountApproved counts approved versions (for the benchmark and health).
func (s *Store) CountApproved(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM registry_versions WHERE state = 'approved'`).Scan(&n)
	return n, err
}
