package registry

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/clawgov/clawgov/internal/sqldb"
)

// Event is one entry of the append-only audit trail. Each entry's Hash
// covers its fields and the previous entry's hash, so editing, deleting
// or reordering any stored entry breaks the chain from there on
// (VerifyEvents finds the first bad sequence number).
type Event struct {
	Seq      int64             `json:"seq"`
	At       int64             `json:"at"`
	Actor    string            `json:"actor"`
	Action   string            `json:"action"`
	Object   string            `json:"object"`
	Remote   string            `json:"remote"`
	Details  map[string]string `json:"details"`
	PrevHash string            `json:"prevHash"`
	Hash     string            `json:"hash"`
}

// eventLockKey serialises event appends on PostgreSQL (SQLite's immediate
// transactions already do): the chain needs one writer at a time.
const eventLockKey = int64(0x636c61776765) // "clawge"

// chainHash is SHA-256 over the previous hash and the canonical JSON of
// the entry without its hashes (encoding/json sorts map keys).
func chainHash(e Event) string {
	body, _ := json.Marshal(struct {
		Seq     int64             `json:"seq"`
		At      int64             `json:"at"`
		Actor   string            `json:"actor"`
		Action  string            `json:"action"`
		Object  string            `json:"object"`
		Remote  string            `json:"remote"`
		Details map[string]string `json:"details"`
	}{e.Seq, e.At, e.Actor, e.Action, e.Object, e.Remote, nonNilMap(e.Details)})
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write([]byte{'\n'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func appendEvent(ctx context.Context, tx *sqldb.Tx, e Event) error {
	if tx.Dialect() == sqldb.Postgres {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, eventLockKey); err != nil {
			return fmt.Errorf("lock events: %w", err)
		}
	}
	var seq int64
	var prev string
	err := tx.QueryRow(ctx, `SELECT seq, hash FROM registry_events ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read event chain: %w", err)
	}
	e.Seq, e.PrevHash = seq+1, prev
	e.Details = nonNilMap(e.Details)
	e.Hash = chainHash(e)
	details, _ := json.Marshal(e.Details)
	if _, err := tx.Exec(ctx, `INSERT INTO registry_events (seq, at, actor, action, object, remote, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.At, e.Actor, e.Action, e.Object, e.Remote, string(details), e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// AppendEvent appends one event in its own transaction.
func (s *Store) AppendEvent(ctx context.Context, e Event) error {
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error { return appendEvent(ctx, tx, e) })
}

// EachEvent calls fn for every event with seq > after, in order.
func (s *Store) EachEvent(ctx context.Context, after int64, fn func(Event) error) error {
	rows, err := s.db.Query(ctx, `SELECT seq, at, actor, action, object, remote, details, prev_hash, hash FROM registry_events WHERE seq > ? ORDER BY seq`, after)
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		var details string
		if err := rows.Scan(&e.Seq, &e.At, &e.Actor, &e.Action, &e.Object, &e.Remote, &details, &e.PrevHash, &e.Hash); err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			// A details column that is not JSON was edited: keep the raw
			// text so the hash check reports it rather than hiding it.
			e.Details = map[string]string{"\x00unparseable": details}
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ChainError is the first broken link of the event chain.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string { return fmt.Sprintf("event %d: %s", e.Seq, e.Reason) }

// VerifyEvents checks the whole chain: sequence numbers without gaps from
// 1, each prevHash equal to the previous hash, each hash recomputed. It
// returns the number of events and a *ChainError at the first bad one.
func (s *Store) VerifyEvents(ctx context.Context) (int64, error) {
	var n int64
	prev := ""
	err := s.EachEvent(ctx, 0, func(e Event) error {
		n++
		switch {
		case e.Seq != n:
			return &ChainError{e.Seq, fmt.Sprintf("sequence gap (expected %d): an event was deleted", n)}
		case e.PrevHash != prev:
			return &ChainError{e.Seq, "previous-hash link broken: an earlier event was removed or replaced"}
		case chainHash(e) != e.Hash:
			return &ChainError{e.Seq, "hash mismatch: the event was edited after it was written"}
		}
		prev = e.Hash
		return nil
	})
	return n, err
}

// ExportEvents writes events after seq as JSON Lines (one object a line,
// with both hashes, so a SIEM can re-verify the chain).
func (s *Store) ExportEvents(ctx context.Context, w io.Writer, after int64) (int64, error) {
	var n int64
	enc := json.NewEncoder(w)
	err := s.EachEvent(ctx, after, func(e Event) error {
		n++
		return enc.Encode(e)
	})
	return n, err
}
