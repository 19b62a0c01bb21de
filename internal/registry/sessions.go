package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ReviewSession is one browser signed in to the review pages. ID is the
// SHA-256 of the cookie's token; Handle and Role come from the registry
// token it signed in with, read again on every request.
type ReviewSession struct {
	ID        string
	TokenID   string
	Handle    string
	Role      string
	CSRF      string
	Remote    string
	CreatedAt int64
	ExpiresAt int64
}

// CreateReviewSession stores a session, first dropping expired ones (the
// table stays as small as the number of signed-in reviewers).
func (s *Store) CreateReviewSession(ctx context.Context, x ReviewSession) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM registry_review_sessions WHERE expires_at <= ?`, x.CreatedAt); err != nil {
		return fmt.Errorf("purge review sessions: %w", err)
	}
	_, err := s.db.Exec(ctx, `INSERT INTO registry_review_sessions (id, token_id, csrf, remote, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		x.ID, x.TokenID, x.CSRF, x.Remote, x.CreatedAt, x.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create review session: %w", err)
	}
	return nil
}

// ReviewSession returns the live session id at now: ErrNotFound when it is
// unknown, expired, or its token was revoked since.
func (s *Store) ReviewSession(ctx context.Context, id string, now int64) (ReviewSession, error) {
	var x ReviewSession
	var revoked sql.NullInt64
	err := s.db.QueryRow(ctx, `SELECT s.id, s.token_id, t.handle, t.role, s.csrf, s.remote, s.created_at, s.expires_at, t.revoked_at
		FROM registry_review_sessions s JOIN registry_tokens t ON t.id = s.token_id WHERE s.id = ? AND s.expires_at > ?`, id, now).
		Scan(&x.ID, &x.TokenID, &x.Handle, &x.Role, &x.CSRF, &x.Remote, &x.CreatedAt, &x.ExpiresAt, &revoked)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && revoked.Valid) {
		return ReviewSession{}, ErrNotFound
	}
	if err != nil {
		return ReviewSession{}, fmt.Errorf("read review session: %w", err)
	}
	return x, nil
}

// DeleteReviewSession ends a session (logout).
func (s *Store) DeleteReviewSession(ctx context.Context, id string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM registry_review_sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete review session: %w", err)
	}
	return nil
}

// loginWindowStart is the start of the fixed window holding at.
func loginWindowStart(at int64, w time.Duration) int64 {
	ms := w.Milliseconds()
	if ms <= 0 {
		ms = time.Minute.Milliseconds()
	}
	return at / ms * ms
}

// LoginFailures counts the failed logins of key in the window holding at.
func (s *Store) LoginFailures(ctx context.Context, key string, at int64, w time.Duration) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT failures FROM registry_review_login_failures WHERE attempt_key = ? AND window_start = ?`,
		key, loginWindowStart(at, w)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read login failures: %w", err)
	}
	return n, nil
}

// RecordLoginFailure adds one failure for key in the window holding at and
// returns the window's count. It is one atomic upsert, so processes
// counting at once never lose a failure; older windows are dropped.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, at int64, w time.Duration) (int, error) {
	start := loginWindowStart(at, w)
	if _, err := s.db.Exec(ctx, `DELETE FROM registry_review_login_failures WHERE window_start < ?`, start-w.Milliseconds()); err != nil {
		return 0, fmt.Errorf("purge login failures: %w", err)
	}
	var n int
	err := s.db.QueryRow(ctx, `INSERT INTO registry_review_login_failures (attempt_key, window_start, failures) VALUES (?, ?, 1)
		ON CONFLICT (attempt_key, window_start) DO UPDATE SET failures = registry_review_login_failures.failures + 1 RETURNING failures`,
		key, start).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("record login failure: %w", err)
	}
	return n, nil
}

// PreviousApproved is the newest approved version of v's slug published
// before v (ErrNotFound when there is none): what a reviewer compares v
// against.
func (s *Store) PreviousApproved(ctx context.Context, v Version) (Version, error) {
	vs, err := s.Versions(ctx, v.Slug, StateApproved, 0)
	if err != nil {
		return Version{}, err
	}
	for _, o := range vs {
		if o.ID != v.ID && (o.CreatedAt < v.CreatedAt || (o.CreatedAt == v.CreatedAt && o.ID < v.ID)) {
			return o, nil
		}
	}
	return Version{}, ErrNotFound
}

// ApprovalCounts returns version id -> approvals so far for vs.
func (s *Store) ApprovalCounts(ctx context.Context, vs []Version) (map[string]int, error) {
	out := map[string]int{}
	if len(vs) == 0 {
		return out, nil
	}
	ids := make([]any, len(vs))
	marks := make([]string, len(vs))
	for i, v := range vs {
		ids[i], marks[i] = v.ID, "?"
	}
	rows, err := s.db.Query(ctx, `SELECT version_id, COUNT(*) FROM registry_approvals WHERE version_id IN (`+strings.Join(marks, ", ")+`) GROUP BY version_id`, ids...)
	if err != nil {
		return nil, fmt.Errorf("count approvals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
