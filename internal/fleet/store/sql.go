package store

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
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/clawgov/clawgov/internal/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Component is the migrations component name.
const Component = "fleet"

// Migrations returns the embedded schema steps.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations")
	return sub
}

// Migrate applies pending fleet migrations and returns how many ran.
func Migrate(ctx context.Context, db *sqldb.DB) (int, error) {
	steps, err := db.Migrate(ctx, Component, Migrations())
	if err != nil {
		return len(steps), err
	}
	// Databases from before the rollups get them built once from their
	// hosts; afterwards every write keeps them current.
	var built string
	err = db.QueryRow(ctx, `SELECT value FROM fleet_settings WHERE name = ?`, rollupSetting).Scan(&built)
	if errors.Is(err, sql.ErrNoRows) {
		if err := New(db).RebuildRollups(ctx); err != nil {
			return len(steps), fmt.Errorf("build rollups: %w", err)
		}
	} else if err != nil {
		return len(steps), fmt.Errorf("read rollup state: %w", err)
	}
	return len(steps), nil
}

// SQL is the Store over internal/sqldb.
type SQL struct {
	db *sqldb.DB
	// wmu serialises this process's hot write transactions on SQLite,
	// which has one writer anyway: waiting on a mutex is far cheaper than
	// SQLite's busy-retry sleeps (which made p99 seconds under load). It
	// guards no data; other processes still coordinate through SQLite's
	// own lock.
	wmu sync.Mutex
	// qmu guards queue, the ingests waiting for the next group commit.
	qmu   sync.Mutex
	queue []*ingestReq
	// stmts caches the hot ingest statements prepared once (database/sql
	// then keeps one prepared copy per connection): SQLite otherwise
	// compiles every statement on every call, which was a tenth of an
	// ingest's CPU. SQLite only: pgx caches prepared statements per
	// connection itself, and preparing on the pool from inside a
	// transaction could wait forever for a connection of PostgreSQL's
	// bounded pool (SQLite's pool is unbounded).
	stmts sync.Map // query -> *sql.Stmt, or false while not yet prepared
}

// stmt returns query's cached statement bound to tx, or nil when it is not
// prepared yet. It never prepares inside the transaction: that would need
// a second connection from the pool while tx holds one (a deadlock with a
// one-connection pool). A miss is remembered and warm prepares it before
// the next transaction.
func (s *SQL) stmt(ctx context.Context, tx *sqldb.Tx, query string) *sql.Stmt {
	if s.db.Dialect != sqldb.SQLite {
		return nil
	}
	if v, ok := s.stmts.Load(query); ok {
		if st, ok := v.(*sql.Stmt); ok {
			return tx.StmtContext(ctx, st)
		}
		return nil
	}
	s.stmts.LoadOrStore(query, false)
	return nil
}

// warm prepares the statements stmt missed (outside any transaction).
func (s *SQL) warm(ctx context.Context) {
	s.stmts.Range(func(k, v any) bool {
		if _, pending := v.(bool); pending {
			if st, err := s.db.DB.PrepareContext(ctx, s.db.Rebind(k.(string))); err == nil {
				s.stmts.Store(k, st)
			}
		}
		return true
	})
}

// queryRow runs a hot read outside a transaction on a statement prepared
// once (SQLite; see stmts).
func (s *SQL) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s.db.Dialect == sqldb.SQLite {
		v, ok := s.stmts.Load(query)
		if st, isStmt := v.(*sql.Stmt); ok && isStmt {
			return st.QueryRowContext(ctx, args...)
		}
		if st, err := s.db.DB.PrepareContext(ctx, s.db.Rebind(query)); err == nil {
			old, loaded := s.stmts.LoadOrStore(query, st)
			if ost, isStmt := old.(*sql.Stmt); loaded && isStmt {
				st.Close() // another request prepared it first
				return ost.QueryRowContext(ctx, args...)
			}
			if loaded {
				s.stmts.Store(query, st) // was only marked for warm
			}
			return st.QueryRowContext(ctx, args...)
		}
	}
	return s.db.QueryRow(ctx, query, args...)
}

func (s *SQL) txExec(ctx context.Context, tx *sqldb.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.Exec(ctx, query, args...)
}

func (s *SQL) txQuery(ctx context.Context, tx *sqldb.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.Query(ctx, query, args...)
}

func (s *SQL) txQueryRow(ctx context.Context, tx *sqldb.Tx, query string, args ...any) *sql.Row {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRow(ctx, query, args...)
}

// forUpdate locks the host row read at the start of a write on
// PostgreSQL, so an ingest, a retag and a revocation of one host take
// their locks (host row, then rollup rows in key order) in one order and
// each sees the tags and revocation the others committed. SQLite has one
// writer and no FOR UPDATE.
func (s *SQL) forUpdate() string {
	if s.db.Dialect == sqldb.SQLite {
		return ""
	}
	return " FOR UPDATE"
}

func (s *SQL) lockWrites() func() {
	if s.db.Dialect != sqldb.SQLite {
		return func() {}
	}
	s.wmu.Lock()
	return s.wmu.Unlock
}

// New returns a store over an open, migrated database.
func New(db *sqldb.DB) *SQL { return &SQL{db: db} }

// Open opens dsn, applies migrations and returns the store.
func Open(ctx context.Context, dsn string) (*SQL, error) {
	db, err := sqldb.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate fleet schema: %w", err)
	}
	return New(db), nil
}

// DB exposes the database (tests, bench).
func (s *SQL) DB() *sqldb.DB { return s.db }

var _ Store = (*SQL)(nil)

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNull(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func nullMS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ms(*t)
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func parseList(s string) []string {
	var v []string
	_ = json.Unmarshal([]byte(s), &v)
	return v
}

// NewID returns a random 128-bit hex ID.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// scopeSQL is the one scope filter every read path uses: it returns a
// condition on the host ID column col and its arguments.
func scopeSQL(scope Scope, col string) (string, []any) {
	if scope.All {
		return "1=1", nil
	}
	if len(scope.Tags) == 0 {
		return "1=0", nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(scope.Tags)), ",")
	args := make([]any, len(scope.Tags))
	for i, t := range scope.Tags {
		args[i] = t
	}
	return col + " IN (SELECT host_id FROM fleet_host_tags WHERE tag IN (" + ph + "))", args
}

func (s *SQL) Ping(ctx context.Context) error {
	_, err := s.db.Exec(ctx, `INSERT INTO fleet_settings (name, value) VALUES ('readyz', '1') ON CONFLICT (name) DO UPDATE SET value = excluded.value`)
	if err != nil {
		return fmt.Errorf("database not writable: %w", err)
	}
	return nil
}

func (s *SQL) Close() error {
	s.stmts.Range(func(_, v any) bool {
		if st, ok := v.(*sql.Stmt); ok {
			st.Close()
		}
		return true
	})
	return s.db.Close()
}

const hostCols = `id, key_fp, public_key, hostname, machine_fp, boot_id, tags, addresses, profile, openclaw_version, agent_version, policy_version,
	enrolled_at, enroll_token_id, last_seen, last_report, last_report_id, revoked_at, clone_suspect, clone_reason`

type scanner interface{ Scan(...any) error }

func scanHost(r scanner) (Host, error) {
	var h Host
	var pub, tags, addrs string
	var enrolled int64
	var seen, rep, rev sql.NullInt64
	var clone int
	if err := r.Scan(&h.ID, &h.KeyFP, &pub, &h.Hostname, &h.MachineFP, &h.BootID, &tags, &addrs, &h.Profile, &h.OpenClawVersion, &h.AgentVersion, &h.PolicyVersion,
		&enrolled, &h.EnrollTokenID, &seen, &rep, &h.LastReportID, &rev, &clone, &h.CloneReason); err != nil {
		return h, err
	}
	h.PublicKey, _ = base64.StdEncoding.DecodeString(pub)
	h.Tags, h.Addresses = parseList(tags), parseList(addrs)
	h.EnrolledAt = fromMS(enrolled)
	h.LastSeen, h.LastReport, h.RevokedAt = fromNull(seen), fromNull(rep), fromNull(rev)
	h.CloneSuspect = clone != 0
	h.Controls, h.Since = map[string]string{}, map[string]time.Time{}
	return h, nil
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (s *SQL) EnrollHost(ctx context.Context, p EnrollParams) (Host, error) {
	unlock := s.lockWrites()
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var id string
		var tags string
		// The conditional UPDATE is the use counter: it succeeds only while
		// the token is valid, atomically across servers.
		err := tx.QueryRow(ctx, `UPDATE fleet_enroll_tokens SET uses = uses + 1
			WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ? AND uses < max_uses
			RETURNING id, tags`, p.TokenHash, ms(p.At)).Scan(&id, &tags)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrTokenInvalid
		}
		if err != nil {
			return fmt.Errorf("use enrollment token: %w", err)
		}
		clone, reason := 0, ""
		var other string
		err = tx.QueryRow(ctx, `SELECT id FROM fleet_hosts WHERE machine_fp = ? AND revoked_at IS NULL LIMIT 1`, p.MachineFP).Scan(&other)
		if err == nil {
			clone, reason = 1, "another host enrolled with the same machine fingerprint: "+other
			if _, err := tx.Exec(ctx, `UPDATE fleet_hosts SET clone_suspect = 1, clone_reason = ? WHERE id = ?`,
				"another host enrolled with the same machine fingerprint: "+p.HostID, other); err != nil {
				return fmt.Errorf("flag clone: %w", err)
			}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("check machine fingerprint: %w", err)
		}
		ident := identity(p.MachineFP, p.Hostname, p.BootID)
		if _, err := tx.Exec(ctx, `INSERT INTO fleet_hosts (id, key_fp, public_key, hostname, machine_fp, boot_id, cur_identity, tags, addresses, enrolled_at, enroll_token_id, last_seen, clone_suspect, clone_reason)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.HostID, p.KeyFP, base64.StdEncoding.EncodeToString(p.PublicKey), p.Hostname, p.MachineFP, p.BootID, ident, tags, jsonList(p.Addresses),
			ms(p.At), id, ms(p.At), clone, reason); err != nil {
			if sqldb.IsUniqueViolation(err) {
				return fmt.Errorf("host key already enrolled: %w", ErrConflict)
			}
			return fmt.Errorf("insert host: %w", err)
		}
		for _, t := range parseList(tags) {
			if _, err := tx.Exec(ctx, `INSERT INTO fleet_host_tags (host_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING`, p.HostID, t); err != nil {
				return fmt.Errorf("tag host: %w", err)
			}
		}
		return setAddresses(ctx, tx, p.HostID, p.Addresses)
	})
	unlock()
	if err != nil {
		return Host{}, err
	}
	return s.Host(ctx, p.HostID, ScopeAll)
}

func setAddresses(ctx context.Context, tx *sqldb.Tx, hostID string, addrs []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM fleet_host_addresses WHERE host_id = ?`, hostID); err != nil {
		return fmt.Errorf("set addresses: %w", err)
	}
	for _, a := range addrs {
		if _, err := tx.Exec(ctx, `INSERT INTO fleet_host_addresses (host_id, address) VALUES (?, ?) ON CONFLICT DO NOTHING`, hostID, a); err != nil {
			return fmt.Errorf("set addresses: %w", err)
		}
	}
	return nil
}

func identity(machineFP, hostname, bootID string) string {
	h := sha256.Sum256([]byte(machineFP + "\x00" + hostname + "\x00" + bootID))
	return hex.EncodeToString(h[:16])
}

func (s *SQL) HostByKeyFP(ctx context.Context, keyFP string) (Host, error) {
	h, err := scanHost(s.queryRow(ctx, `SELECT `+hostCols+` FROM fleet_hosts WHERE key_fp = ?`, keyFP))
	if err != nil {
		return h, notFound(err, "host by key")
	}
	return h, nil
}

func (s *SQL) Host(ctx context.Context, id string, scope Scope) (Host, error) {
	cond, args := scopeSQL(scope, "id")
	h, err := scanHost(s.db.QueryRow(ctx, `SELECT `+hostCols+` FROM fleet_hosts WHERE id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		return h, notFound(err, "host "+id)
	}
	hs := []Host{h}
	if err := s.loadControls(ctx, hs); err != nil {
		return h, err
	}
	return hs[0], nil
}

func (s *SQL) loadControls(ctx context.Context, hs []Host) error {
	if len(hs) == 0 {
		return nil
	}
	idx := map[string]int{}
	for i, h := range hs {
		idx[h.ID] = i
	}
	// Chunked IN lists keep statements small at 50,000 hosts.
	ids := make([]string, 0, len(hs))
	for _, h := range hs {
		ids = append(ids, h.ID)
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		chunk := ids[:n]
		ids = ids[n:]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.db.Query(ctx, `SELECT host_id, control_id, status, since FROM fleet_current_state WHERE host_id IN (`+
			strings.TrimSuffix(strings.Repeat("?,", n), ",")+`)`, args...)
		if err != nil {
			return fmt.Errorf("load controls: %w", err)
		}
		for rows.Next() {
			var hid, cid, st string
			var since int64
			if err := rows.Scan(&hid, &cid, &st, &since); err != nil {
				rows.Close()
				return fmt.Errorf("load controls: %w", err)
			}
			h := &hs[idx[hid]]
			h.Controls[cid] = st
			h.Since[cid] = fromMS(since)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("load controls: %w", err)
		}
	}
	return nil
}

// hostWhere is the WHERE clause of ListHosts and CountHosts.
func hostWhere(f HostFilter) (string, []any) {
	cond, args := scopeSQL(f.Scope, "id")
	q := cond
	if !f.IncludeRevoked {
		q += ` AND revoked_at IS NULL`
	}
	if f.Search != "" {
		q += ` AND (LOWER(hostname) LIKE ? ESCAPE '\' OR id LIKE ? ESCAPE '\')`
		pat := "%" + likeEscape(strings.ToLower(f.Search)) + "%"
		args = append(args, pat, pat)
	}
	if f.Tag != "" {
		q += ` AND id IN (SELECT host_id FROM fleet_host_tags WHERE tag = ?)`
		args = append(args, f.Tag)
	}
	if f.Profile != "" {
		q += ` AND profile = ?`
		args = append(args, f.Profile)
	}
	if f.OpenClawVersion != "" {
		q += ` AND openclaw_version = ?`
		args = append(args, f.OpenClawVersion)
	}
	cutoff := ms(f.Now.Add(-f.StaleAfter))
	switch f.Stale {
	case "yes":
		q += ` AND (CASE WHEN last_report IS NULL THEN enrolled_at < ? ELSE last_report < ? END)`
		args = append(args, cutoff, cutoff)
	case "no":
		q += ` AND NOT (CASE WHEN last_report IS NULL THEN enrolled_at < ? ELSE last_report < ? END)`
		args = append(args, cutoff, cutoff)
	}
	if f.Control != "" && f.Status != "" {
		if f.Status == StatusUnknown {
			// Unknown: no fresh report, or no known verdict for the control.
			q += ` AND (last_report IS NULL OR last_report < ? OR NOT EXISTS (SELECT 1 FROM fleet_current_state c WHERE c.host_id = fleet_hosts.id AND c.control_id = ? AND c.status <> ''))`
			args = append(args, cutoff, f.Control)
		} else {
			// An uncorrelated IN: both engines build the set once from the
			// (control_id, status) index instead of probing per host.
			q += ` AND last_report >= ? AND id IN (SELECT host_id FROM fleet_current_state WHERE control_id = ? AND status = ?)`
			args = append(args, cutoff, f.Control, f.Status)
		}
	}
	return q, args
}

func (s *SQL) CountHosts(ctx context.Context, f HostFilter) (int, error) {
	cond, args := hostWhere(f)
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM fleet_hosts WHERE `+cond, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count hosts: %w", err)
	}
	return n, nil
}

func (s *SQL) ListHosts(ctx context.Context, f HostFilter) ([]Host, error) {
	cond, args := hostWhere(f)
	q := `SELECT ` + hostCols + ` FROM fleet_hosts WHERE ` + cond
	q += ` ORDER BY hostname, id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d OFFSET %d`, f.Limit, max(f.Offset, 0))
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	var out []Host
	for rows.Next() {
		h, err := scanHost(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list hosts: %w", err)
		}
		out = append(out, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	return out, s.loadControls(ctx, out)
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func (s *SQL) TouchHost(ctx context.Context, id string, at time.Time) error {
	defer s.lockWrites()()
	// Only forward: a late request never moves last_seen back.
	_, err := s.db.Exec(ctx, `UPDATE fleet_hosts SET last_seen = ? WHERE id = ? AND (last_seen IS NULL OR last_seen < ?)`, ms(at), id, ms(at))
	if err != nil {
		return fmt.Errorf("touch host: %w", err)
	}
	return nil
}

func (s *SQL) RevokeHost(ctx context.Context, id string, at time.Time) error {
	defer s.lockWrites()()
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var tags string
		// The update first: it takes the host's row lock, so an ingest of
		// this host cannot interleave with the rollup change.
		res, err := tx.Exec(ctx, `UPDATE fleet_hosts SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ms(at), id)
		if err != nil {
			return fmt.Errorf("revoke host: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("revoke host %s: %w", id, ErrNotFound)
		}
		if err := tx.QueryRow(ctx, `SELECT tags FROM fleet_hosts WHERE id = ?`, id).Scan(&tags); err != nil {
			return fmt.Errorf("revoke host: %w", err)
		}
		return s.moveHost(ctx, tx, id, tags, "", true)
	})
}

func (s *SQL) SetHostTags(ctx context.Context, id string, tags []string) error {
	tags = sortedUnique(tags)
	defer s.lockWrites()()
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var old string
		if err := tx.QueryRow(ctx, `SELECT tags FROM fleet_hosts WHERE id = ?`+s.forUpdate(), id).Scan(&old); err != nil {
			return notFound(err, "set tags "+id)
		}
		res, err := tx.Exec(ctx, `UPDATE fleet_hosts SET tags = ? WHERE id = ?`, jsonList(tags), id)
		if err != nil {
			return fmt.Errorf("set tags: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("set tags %s: %w", id, ErrNotFound)
		}
		if err := s.moveHost(ctx, tx, id, old, jsonList(tags), false); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM fleet_host_tags WHERE host_id = ?`, id); err != nil {
			return fmt.Errorf("set tags: %w", err)
		}
		for _, t := range tags {
			if _, err := tx.Exec(ctx, `INSERT INTO fleet_host_tags (host_id, tag) VALUES (?, ?)`, id, t); err != nil {
				return fmt.Errorf("set tags: %w", err)
			}
		}
		return nil
	})
}

func sortedUnique(v []string) []string {
	m := map[string]bool{}
	out := []string{}
	for _, s := range v {
		if s != "" && !m[s] {
			m[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func findingsHash(fs []Finding) string {
	// The same bytes fmt.Fprintf("%s\x00...\x01") wrote, built without fmt
	// (this runs on every ingest).
	h := sha256.New()
	var b []byte
	for _, f := range fs {
		b = b[:0]
		for i, v := range [...]string{f.Fingerprint, f.CheckID, f.Severity, f.Status, f.Title, f.Message} {
			if i > 0 {
				b = append(b, 0)
			}
			b = append(b, v...)
		}
		b = append(b, 1)
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ingestReq is one report waiting for the group commit.
type ingestReq struct {
	p    IngestParams
	rec  Receipt
	err  error
	done bool
}

// Ingest stores one report. On SQLite, concurrent ingests share one
// transaction (group commit): each request queues, whoever holds the
// write lock next writes every queued report, each under its own
// savepoint (a failing one is rolled back alone), and commits once. A
// caller returns only after the commit that holds its report, so an
// acknowledged report is as durable as before; the commit, and the WAL
// frames of pages every ingest touches (rollups, indexes), are paid once
// per group instead of once per report. PostgreSQL commits per report:
// its writers run in parallel.
func (s *SQL) Ingest(ctx context.Context, p IngestParams) (Receipt, error) {
	if s.db.Dialect != sqldb.SQLite {
		rec, err := s.ingestOnce(ctx, p)
		if err != nil && sqldb.IsUniqueViolation(err) {
			// Lost a race with the same report on another connection: the
			// winner's row decides duplicate or replay.
			return s.ingestOnce(ctx, p)
		}
		return rec, err
	}
	req := &ingestReq{p: p}
	s.qmu.Lock()
	s.queue = append(s.queue, req)
	s.qmu.Unlock()
	s.wmu.Lock()
	s.qmu.Lock()
	batch := s.queue
	s.queue = nil
	s.qmu.Unlock()
	if len(batch) > 0 {
		s.ingestGroup(context.WithoutCancel(ctx), batch)
	}
	s.wmu.Unlock()
	// Written by whichever caller held the lock (this one or an earlier
	// one), under wmu, which this caller has taken and released since.
	if !req.done {
		return Receipt{}, errors.New("ingest: report not written")
	}
	return req.rec, req.err
}

// ingestGroup writes batch in one transaction (caller holds wmu).
func (s *SQL) ingestGroup(ctx context.Context, batch []*ingestReq) {
	s.warm(ctx)
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		for _, r := range batch {
			if _, err := s.txExec(ctx, tx, `SAVEPOINT ingest`); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			r.rec, r.err = s.ingestTx(ctx, tx, r.p)
			if r.err != nil {
				if _, err := s.txExec(ctx, tx, `ROLLBACK TO SAVEPOINT ingest`); err != nil {
					// SQLite may have rolled the whole transaction back
					// (a full disk does): the report's own error decides.
					return fmt.Errorf("%w (rollback to savepoint: %v)", r.err, err)
				}
			}
			if _, err := s.txExec(ctx, tx, `RELEASE SAVEPOINT ingest`); err != nil {
				return fmt.Errorf("release savepoint: %w", err)
			}
		}
		return nil
	})
	for _, r := range batch {
		r.done = true
		if err != nil {
			r.rec, r.err = Receipt{}, err
		}
	}
}

func (s *SQL) ingestOnce(ctx context.Context, p IngestParams) (Receipt, error) {
	var rec Receipt
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		rec, err = s.ingestTx(ctx, tx, p)
		return err
	})
	return rec, err
}

// ingestTx writes one report inside tx.
func (s *SQL) ingestTx(ctx context.Context, tx *sqldb.Tx, p IngestParams) (Receipt, error) {
	var rec Receipt
	var changed []Transition
	ctlJSON, _ := json.Marshal(p.Controls)
	err := func() error {
		var prevIdent, curIdent, fhash, cloneReason, oldAddrs, tags, oldName, oldMachine, oldBoot string
		var clone int
		var lastRep, revoked *int64
		if err := s.txQueryRow(ctx, tx, `SELECT prev_identity, cur_identity, findings_hash, clone_suspect, clone_reason, addresses, tags, last_report, revoked_at, hostname, machine_fp, boot_id FROM fleet_hosts WHERE id = ?`+s.forUpdate(), p.HostID).
			Scan(&prevIdent, &curIdent, &fhash, &clone, &cloneReason, &oldAddrs, &tags, &lastRep, &revoked, &oldName, &oldMachine, &oldBoot); err != nil {
			return notFound(err, "host "+p.HostID)
		}
		// Revocation is decided here, in the transaction that would store
		// the report, so a key revoked by any server since the request was
		// authenticated (which may have used a cached key) stores nothing,
		// a resend of an earlier report included.
		if revoked != nil {
			return ErrRevoked
		}
		// The insert is the idempotency check: a report ID already stored
		// inserts nothing (atomically, across servers), and only then is the
		// stored digest read to tell a resend from a replay. The body is
		// bound as bytes (SQLite keeps it as a blob, PostgreSQL as text;
		// both read back as the same bytes): string(p.Body) copied 25 KB on
		// the Go heap per report only for the driver to copy it again.
		ident := identity(p.MachineFP, p.Hostname, p.BootID)
		res, err := s.txExec(ctx, tx, `INSERT INTO fleet_reports (host_id, report_id, received_at, collected_at, content_sha256, size_bytes, signature, key_fp, hostname, identity, profile, openclaw_version, policy_version, controls, findings_total, findings_truncated, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host_id, report_id) DO NOTHING`,
			p.HostID, p.ReportID, ms(p.ReceivedAt), ms(p.CollectedAt), p.ContentSHA256, len(p.Body), p.Signature, p.KeyFP, p.Hostname, ident,
			p.Profile, p.OpenClaw, p.PolicyVersion, string(ctlJSON), p.FindingsTotal, b2i(p.Truncated), p.Body)
		if err != nil {
			return fmt.Errorf("insert report: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("insert report: %w", err)
		} else if n == 0 {
			var sum string
			var at int64
			if err := s.txQueryRow(ctx, tx, `SELECT content_sha256, received_at FROM fleet_reports WHERE host_id = ? AND report_id = ?`, p.HostID, p.ReportID).Scan(&sum, &at); err != nil {
				return fmt.Errorf("look up report: %w", err)
			}
			if sum != p.ContentSHA256 {
				return ErrReplay
			}
			rec = Receipt{HostID: p.HostID, ReportID: p.ReportID, StoredAt: fromMS(at), ContentSHA256: sum, Duplicate: true}
			// A resend is still contact.
			_, err := s.txExec(ctx, tx, `UPDATE fleet_hosts SET last_seen = ? WHERE id = ? AND (last_seen IS NULL OR last_seen < ?)`, ms(p.ReceivedAt), p.HostID, ms(p.ReceivedAt))
			return err
		}
		// Clone detection: the identity behind one key changed and then
		// changed back, so two machines take turns with the same key. A
		// single change (rename, reboot) is not a clone.
		if ident != curIdent {
			if ident == prevIdent && curIdent != "" {
				clone = 1
				cloneReason = "reports signed with this key alternate between two machines (hostname/machine/boot changes back and forth)"
			}
			prevIdent, curIdent = curIdent, ident
		}
		cur, err := s.hostState(ctx, tx, p.HostID)
		if err != nil {
			return err
		}
		// Rollups: the host leaves its old hour (and, reporting again the
		// same day, its earlier contribution to the day) and joins the new.
		next := make(map[string]string, len(cur)+len(p.Controls))
		for c, st := range cur {
			next[c] = st
		}
		for c, st := range p.Controls {
			next[c] = st
		}
		rd := rollDelta{}
		now := ms(p.ReceivedAt)
		if lastRep != nil {
			rd.add("h", *lastRep/hourMS, tags, cur, -1)
			if *lastRep/dayMS == now/dayMS {
				rd.add("d", now/dayMS, tags, cur, -1)
			}
		}
		rd.add("h", now/hourMS, tags, next, 1)
		rd.add("d", now/dayMS, tags, next, 1)
		if err := s.applyRollup(ctx, tx, rd); err != nil {
			return err
		}
		ids := make([]string, 0, len(p.Controls))
		for id := range p.Controls {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		d := day(p.ReceivedAt)
		changed = changed[:0]
		for _, id := range ids {
			st := p.Controls[id]
			old, ok := cur[id]
			if ok && old == st {
				continue // unchanged: no write at all (anchor lesson 10)
			}
			changed = append(changed, Transition{ControlID: id, From: old, To: st})
			if _, err := s.txExec(ctx, tx, `INSERT INTO fleet_current_state (host_id, control_id, status, since) VALUES (?, ?, ?, ?)
				ON CONFLICT (host_id, control_id) DO UPDATE SET status = excluded.status, since = excluded.since`, p.HostID, id, st, ms(p.ReceivedAt)); err != nil {
				return fmt.Errorf("update current state: %w", err)
			}
			if _, err := s.txExec(ctx, tx, `INSERT INTO fleet_control_history (host_id, control_id, day, status, at, report_id) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (host_id, control_id, day) DO UPDATE SET status = excluded.status, at = excluded.at, report_id = excluded.report_id`,
				p.HostID, id, d, st, ms(p.ReceivedAt), p.ReportID); err != nil {
				return fmt.Errorf("write history: %w", err)
			}
		}
		nh := findingsHash(p.Findings)
		if nh != fhash {
			first := map[string]int64{}
			rows, err := s.txQuery(ctx, tx, `SELECT fingerprint, first_seen FROM fleet_findings WHERE host_id = ?`, p.HostID)
			if err != nil {
				return fmt.Errorf("read findings: %w", err)
			}
			for rows.Next() {
				var fp string
				var fs int64
				if err := rows.Scan(&fp, &fs); err != nil {
					rows.Close()
					return fmt.Errorf("read findings: %w", err)
				}
				first[fp] = fs
			}
			rows.Close()
			if _, err := s.txExec(ctx, tx, `DELETE FROM fleet_findings WHERE host_id = ?`, p.HostID); err != nil {
				return fmt.Errorf("replace findings: %w", err)
			}
			seen := map[string]bool{}
			for _, f := range p.Findings {
				if seen[f.Fingerprint] {
					continue
				}
				seen[f.Fingerprint] = true
				fs, ok := first[f.Fingerprint]
				if !ok {
					fs = ms(p.ReceivedAt)
				}
				if _, err := s.txExec(ctx, tx, `INSERT INTO fleet_findings (host_id, fingerprint, check_id, controls, severity, status, title, message, report_id, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					p.HostID, f.Fingerprint, f.CheckID, jsonList(f.Controls), f.Severity, f.Status, f.Title, f.Message, p.ReportID, fs); err != nil {
					return fmt.Errorf("insert finding: %w", err)
				}
			}
		}
		if p.Hostname != oldName || p.MachineFP != oldMachine || p.BootID != oldBoot {
			// Only then: assigning an indexed column rewrites its index
			// entries even when the value stays (hostname and machine_fp are
			// indexed), which was pages written on every report.
			if _, err := s.txExec(ctx, tx, `UPDATE fleet_hosts SET hostname = ?, machine_fp = ?, boot_id = ? WHERE id = ?`, p.Hostname, p.MachineFP, p.BootID, p.HostID); err != nil {
				return fmt.Errorf("update host: %w", err)
			}
		}
		if _, err := s.txExec(ctx, tx, `UPDATE fleet_hosts SET prev_identity = ?, cur_identity = ?, addresses = ?,
			profile = ?, openclaw_version = ?, agent_version = ?, policy_version = ?, last_seen = ?, last_report = ?, last_report_id = ?, findings_hash = ?, clone_suspect = ?, clone_reason = ?
			WHERE id = ?`, prevIdent, curIdent, jsonList(p.Addresses), p.Profile, p.OpenClaw, p.AgentVersion, p.PolicyVersion,
			ms(p.ReceivedAt), ms(p.ReceivedAt), p.ReportID, nh, clone, cloneReason, p.HostID); err != nil {
			return fmt.Errorf("update host: %w", err)
		}
		if jsonList(p.Addresses) != oldAddrs {
			if err := setAddresses(ctx, tx, p.HostID, p.Addresses); err != nil {
				return err
			}
		}
		rec = Receipt{HostID: p.HostID, ReportID: p.ReportID, StoredAt: fromMS(ms(p.ReceivedAt)), ContentSHA256: p.ContentSHA256, Changed: changed}
		return nil
	}()
	return rec, err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

const reportCols = `host_id, report_id, received_at, collected_at, content_sha256, size_bytes, key_fp, hostname, profile, openclaw_version, policy_version, controls, findings_total, findings_truncated`

func scanReportMeta(r scanner, extra ...any) (ReportMeta, error) {
	var m ReportMeta
	var rec, col int64
	var ctl string
	var trunc int
	dst := append([]any{&m.HostID, &m.ReportID, &rec, &col, &m.ContentSHA256, &m.SizeBytes, &m.KeyFP, &m.Hostname, &m.Profile, &m.OpenClawVersion, &m.PolicyVersion, &ctl, &m.FindingsTotal, &trunc}, extra...)
	if err := r.Scan(dst...); err != nil {
		return m, err
	}
	m.ReceivedAt, m.CollectedAt = fromMS(rec), fromMS(col)
	m.FindingsTruncated = trunc != 0
	_ = json.Unmarshal([]byte(ctl), &m.Controls)
	return m, nil
}

func (s *SQL) Report(ctx context.Context, hostID, reportID string, scope Scope) (StoredReport, error) {
	cond, args := scopeSQL(scope, "host_id")
	var r StoredReport
	var body string
	m, err := scanReportMeta(s.db.QueryRow(ctx, `SELECT `+reportCols+`, signature, body FROM fleet_reports WHERE host_id = ? AND report_id = ? AND `+cond,
		append([]any{hostID, reportID}, args...)...), &r.Signature, &body)
	if err != nil {
		return r, notFound(err, "report "+reportID)
	}
	r.ReportMeta, r.Body = m, []byte(body)
	return r, nil
}

func (s *SQL) ListReports(ctx context.Context, hostID string, scope Scope, limit int) ([]ReportMeta, error) {
	cond, args := scopeSQL(scope, "host_id")
	q := `SELECT ` + reportCols + ` FROM fleet_reports WHERE host_id = ? AND ` + cond + ` ORDER BY received_at DESC, report_id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.db.Query(ctx, q, append([]any{hostID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	defer rows.Close()
	var out []ReportMeta
	for rows.Next() {
		m, err := scanReportMeta(rows)
		if err != nil {
			return nil, fmt.Errorf("list reports: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *SQL) History(ctx context.Context, hostID string, scope Scope, from, to string) ([]HistoryRow, error) {
	cond, args := scopeSQL(scope, "host_id")
	q := `SELECT host_id, control_id, day, status, at, report_id FROM fleet_control_history WHERE ` + cond
	if hostID != "" {
		q += ` AND host_id = ?`
		args = append(args, hostID)
	}
	if from != "" {
		q += ` AND day >= ?`
		args = append(args, from)
	}
	if to != "" {
		q += ` AND day <= ?`
		args = append(args, to)
	}
	q += ` ORDER BY host_id, control_id, day`
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var out []HistoryRow
	for rows.Next() {
		var h HistoryRow
		var at int64
		if err := rows.Scan(&h.HostID, &h.ControlID, &h.Day, &h.Status, &at, &h.ReportID); err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		h.At = fromMS(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

func (s *SQL) Summary(ctx context.Context, scope Scope, now time.Time, staleAfter time.Duration, controlIDs []string) (Summary, error) {
	sum := Summary{Controls: map[string]map[string]int{}}
	for _, id := range controlIDs {
		m := map[string]int{}
		for _, st := range Statuses {
			m[st] = 0
		}
		sum.Controls[id] = m
	}
	cutoff := ms(now.Add(-staleAfter))
	cond, args := scopeSQL(scope, "id")
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN (last_report IS NULL AND enrolled_at < ?) OR last_report < ? THEN 1 ELSE 0 END), 0)
		FROM fleet_hosts WHERE revoked_at IS NULL AND `+cond, append([]any{cutoff, cutoff}, args...)...).Scan(&sum.Hosts, &sum.Stale); err != nil {
		return sum, fmt.Errorf("summary: %w", err)
	}
	// Only fresh hosts' verdicts count; everything else is unknown. Hours
	// wholly inside the window come from the rollup; the one hour the
	// cutoff falls into is read host by host, so the window is exact.
	add := func(c, st string, n int) {
		if m, ok := sum.Controls[c]; ok {
			if _, known := m[st]; !known {
				st = StatusUnknown
			}
			m[st] += n
		}
	}
	hb := cutoff / hourMS
	rows, err := s.db.Query(ctx, `SELECT tags, control_id, n_pass, n_warn, n_fail, n_manual, n_error, n_other FROM fleet_rollup WHERE kind = 'h' AND bucket > ?`, hb)
	if err != nil {
		return sum, fmt.Errorf("summary: %w", err)
	}
	for rows.Next() {
		var tags, c string
		var v [6]int64
		if err := rows.Scan(&tags, &c, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
			rows.Close()
			return sum, fmt.Errorf("summary: %w", err)
		}
		if !scopeTags(scope, tags) {
			continue
		}
		for i, st := range rollStatuses {
			add(c, st, int(v[i]))
		}
		add(c, "", int(v[5]))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("summary: %w", err)
	}
	cond2, args2 := scopeSQL(scope, "id")
	rows, err = s.db.Query(ctx, `SELECT control_id, status, COUNT(*) FROM fleet_current_state WHERE host_id IN
		(SELECT id FROM fleet_hosts WHERE revoked_at IS NULL AND last_report >= ? AND last_report < ? AND `+cond2+`) GROUP BY control_id, status`,
		append([]any{cutoff, (hb + 1) * hourMS}, args2...)...)
	if err != nil {
		return sum, fmt.Errorf("summary: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c, st string
		var n int
		if err := rows.Scan(&c, &st, &n); err != nil {
			return sum, fmt.Errorf("summary: %w", err)
		}
		add(c, st, n)
	}
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("summary: %w", err)
	}
	for _, m := range sum.Controls {
		counted := 0
		for st, n := range m {
			if st != StatusUnknown {
				counted += n
			}
		}
		m[StatusUnknown] = sum.Hosts - counted
	}
	return sum, nil
}

func (s *SQL) Findings(ctx context.Context, f FindingFilter) ([]Finding, error) {
	cond, args := scopeSQL(f.Scope, "f.host_id")
	q := `SELECT f.host_id, h.hostname, f.fingerprint, f.check_id, f.controls, f.severity, f.status, f.title, f.message, f.report_id, f.first_seen
		FROM fleet_findings f JOIN fleet_hosts h ON h.id = f.host_id WHERE h.revoked_at IS NULL AND ` + cond
	if f.CheckID != "" {
		q += ` AND f.check_id = ?`
		args = append(args, f.CheckID)
	}
	if f.HostID != "" {
		q += ` AND f.host_id = ?`
		args = append(args, f.HostID)
	}
	if f.ControlID != "" {
		// controls is a JSON list of quoted IDs; control IDs are validated
		// at ingest ([A-Z0-9-]), so a quoted substring match is exact.
		q += ` AND f.controls LIKE ?`
		args = append(args, `%"`+likeEscape(f.ControlID)+`"%`)
		q = strings.Replace(q, `f.controls LIKE ?`, `f.controls LIKE ? ESCAPE '\'`, 1)
	}
	q += ` ORDER BY h.hostname, f.host_id, f.check_id, f.fingerprint`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	defer rows.Close()
	var out []Finding
	for rows.Next() {
		var x Finding
		var ctl string
		var first int64
		if err := rows.Scan(&x.HostID, &x.Hostname, &x.Fingerprint, &x.CheckID, &ctl, &x.Severity, &x.Status, &x.Title, &x.Message, &x.ReportID, &first); err != nil {
			return nil, fmt.Errorf("findings: %w", err)
		}
		x.Controls, x.FirstSeen = parseList(ctl), fromMS(first)
		out = append(out, x)
	}
	return out, rows.Err()
}

func (s *SQL) UpsertGateways(ctx context.Context, gws []Gateway, at time.Time) ([]Gateway, error) {
	var fresh []Gateway
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		fresh = fresh[:0]
		for _, g := range gws {
			var first int64
			err := tx.QueryRow(ctx, `SELECT first_seen FROM fleet_discovered WHERE address = ?`, g.Address).Scan(&first)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := tx.Exec(ctx, `INSERT INTO fleet_discovered (address, ip, port, version, detail, reporter, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
					g.Address, g.IP, g.Port, g.Version, g.Detail, g.Reporter, ms(at), ms(at)); err != nil {
					return fmt.Errorf("insert gateway: %w", err)
				}
				g.FirstSeen, g.LastSeen = fromMS(ms(at)), fromMS(ms(at))
				fresh = append(fresh, g)
			case err != nil:
				return fmt.Errorf("look up gateway: %w", err)
			default:
				if _, err := tx.Exec(ctx, `UPDATE fleet_discovered SET version = ?, detail = ?, reporter = ?, last_seen = ? WHERE address = ?`,
					g.Version, g.Detail, g.Reporter, ms(at), g.Address); err != nil {
					return fmt.Errorf("update gateway: %w", err)
				}
			}
		}
		return nil
	})
	return fresh, err
}

func (s *SQL) Unmanaged(ctx context.Context) ([]Gateway, error) {
	rows, err := s.db.Query(ctx, `SELECT address, ip, port, version, detail, reporter, first_seen, last_seen FROM fleet_discovered g
		WHERE NOT EXISTS (SELECT 1 FROM fleet_host_addresses a JOIN fleet_hosts h ON h.id = a.host_id WHERE a.address = g.ip AND h.revoked_at IS NULL)
		ORDER BY address`)
	if err != nil {
		return nil, fmt.Errorf("unmanaged: %w", err)
	}
	defer rows.Close()
	var out []Gateway
	for rows.Next() {
		var g Gateway
		var f, l int64
		if err := rows.Scan(&g.Address, &g.IP, &g.Port, &g.Version, &g.Detail, &g.Reporter, &f, &l); err != nil {
			return nil, fmt.Errorf("unmanaged: %w", err)
		}
		g.FirstSeen, g.LastSeen = fromMS(f), fromMS(l)
		out = append(out, g)
	}
	return out, rows.Err()
}

func (s *SQL) CreateUser(ctx context.Context, u User) error {
	if u.Role != RoleAdmin && u.Role != RoleViewer {
		return fmt.Errorf("role %q: want admin or viewer", u.Role)
	}
	_, err := s.db.Exec(ctx, `INSERT INTO fleet_users (id, name, role, password_hash, tags, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, u.Name, u.Role, u.PasswordHash, jsonList(u.Tags), ms(u.CreatedAt))
	if sqldb.IsUniqueViolation(err) {
		return fmt.Errorf("user %s: %w", u.Name, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

const userCols = `id, name, role, password_hash, tags, created_at, disabled_at`

func scanUser(r scanner) (User, error) {
	var u User
	var tags string
	var c int64
	var d sql.NullInt64
	err := r.Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, &tags, &c, &d)
	u.Tags, u.CreatedAt, u.DisabledAt = parseList(tags), fromMS(c), fromNull(d)
	return u, err
}

func (s *SQL) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userCols+` FROM fleet_users WHERE name = ?`, name))
	if err != nil {
		return u, notFound(err, "user")
	}
	return u, nil
}

func (s *SQL) UserByID(ctx context.Context, id string) (User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userCols+` FROM fleet_users WHERE id = ?`, id))
	if err != nil {
		return u, notFound(err, "user")
	}
	return u, nil
}

func (s *SQL) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.db.Query(ctx, `SELECT `+userCols+` FROM fleet_users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (s *SQL) SetPassword(ctx context.Context, userID, hash string) error {
	res, err := s.db.Exec(ctx, `UPDATE fleet_users SET password_hash = ? WHERE id = ?`, hash, userID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set password: %w", ErrNotFound)
	}
	return nil
}

func (s *SQL) CreateSession(ctx context.Context, x Session) error {
	_, err := s.db.Exec(ctx, `INSERT INTO fleet_sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		x.TokenHash, x.UserID, x.CSRF, ms(x.CreatedAt), ms(x.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

func (s *SQL) Session(ctx context.Context, tokenHash string, now time.Time) (Session, error) {
	var x Session
	var c, e int64
	err := s.db.QueryRow(ctx, `SELECT token_hash, user_id, csrf, created_at, expires_at FROM fleet_sessions WHERE token_hash = ? AND expires_at > ?`,
		tokenHash, ms(now)).Scan(&x.TokenHash, &x.UserID, &x.CSRF, &c, &e)
	if err != nil {
		return x, notFound(err, "session")
	}
	x.CreatedAt, x.ExpiresAt = fromMS(c), fromMS(e)
	return x, nil
}

func (s *SQL) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM fleet_sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func window(at time.Time, w time.Duration) int64 {
	if w <= 0 {
		w = time.Minute
	}
	return at.UnixMilli() / w.Milliseconds() * w.Milliseconds()
}

func (s *SQL) LoginFailure(ctx context.Context, key string, at time.Time, w time.Duration) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `INSERT INTO fleet_login_attempts (attempt_key, window_start, failures) VALUES (?, ?, 1)
		ON CONFLICT (attempt_key, window_start) DO UPDATE SET failures = fleet_login_attempts.failures + 1 RETURNING failures`, key, window(at, w)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("record login failure: %w", err)
	}
	return n, nil
}

func (s *SQL) LoginFailures(ctx context.Context, key string, at time.Time, w time.Duration) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT failures FROM fleet_login_attempts WHERE attempt_key = ? AND window_start = ?`, key, window(at, w)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read login failures: %w", err)
	}
	return n, nil
}

func (s *SQL) CreateEnrollToken(ctx context.Context, t EnrollToken) error {
	_, err := s.db.Exec(ctx, `INSERT INTO fleet_enroll_tokens (id, token_hash, note, tags, created_at, expires_at, max_uses) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.TokenHash, t.Note, jsonList(sortedUnique(t.Tags)), ms(t.CreatedAt), ms(t.ExpiresAt), t.MaxUses)
	if err != nil {
		return fmt.Errorf("create enrollment token: %w", err)
	}
	return nil
}

func (s *SQL) ListEnrollTokens(ctx context.Context) ([]EnrollToken, error) {
	rows, err := s.db.Query(ctx, `SELECT id, token_hash, note, tags, created_at, expires_at, max_uses, uses, revoked_at FROM fleet_enroll_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list enrollment tokens: %w", err)
	}
	defer rows.Close()
	var out []EnrollToken
	for rows.Next() {
		var t EnrollToken
		var tags string
		var c, e int64
		var r sql.NullInt64
		if err := rows.Scan(&t.ID, &t.TokenHash, &t.Note, &tags, &c, &e, &t.MaxUses, &t.Uses, &r); err != nil {
			return nil, fmt.Errorf("list enrollment tokens: %w", err)
		}
		t.Tags, t.CreatedAt, t.ExpiresAt, t.RevokedAt = parseList(tags), fromMS(c), fromMS(e), fromNull(r)
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *SQL) RevokeEnrollToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.Exec(ctx, `UPDATE fleet_enroll_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ms(at), id)
	if err != nil {
		return fmt.Errorf("revoke enrollment token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke enrollment token %s: %w", id, ErrNotFound)
	}
	return nil
}

func (s *SQL) CreateAPIToken(ctx context.Context, t APIToken) error {
	if t.Role != RoleAdmin && t.Role != RoleViewer {
		return fmt.Errorf("role %q: want admin or viewer", t.Role)
	}
	_, err := s.db.Exec(ctx, `INSERT INTO fleet_api_tokens (id, token_hash, name, role, tags, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.TokenHash, t.Name, t.Role, jsonList(sortedUnique(t.Tags)), ms(t.CreatedAt), nullMS(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create API token: %w", err)
	}
	return nil
}

const apiCols = `id, token_hash, name, role, tags, created_at, expires_at, last_used, revoked_at`

func scanAPI(r scanner) (APIToken, error) {
	var t APIToken
	var tags string
	var c int64
	var e, l, rv sql.NullInt64
	err := r.Scan(&t.ID, &t.TokenHash, &t.Name, &t.Role, &tags, &c, &e, &l, &rv)
	t.Tags, t.CreatedAt, t.ExpiresAt, t.LastUsed, t.RevokedAt = parseList(tags), fromMS(c), fromNull(e), fromNull(l), fromNull(rv)
	return t, err
}

func (s *SQL) APITokenByHash(ctx context.Context, tokenHash string, now time.Time) (APIToken, error) {
	t, err := scanAPI(s.db.QueryRow(ctx, `SELECT `+apiCols+` FROM fleet_api_tokens WHERE token_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
		tokenHash, ms(now)))
	if err != nil {
		return t, notFound(err, "API token")
	}
	// Record use at minute resolution so a busy token is not a write per call.
	if t.LastUsed == nil || now.Sub(*t.LastUsed) > time.Minute {
		_, _ = s.db.Exec(ctx, `UPDATE fleet_api_tokens SET last_used = ? WHERE id = ?`, ms(now), t.ID)
	}
	return t, nil
}

func (s *SQL) ListAPITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.db.Query(ctx, `SELECT `+apiCols+` FROM fleet_api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanAPI(rows)
		if err != nil {
			return nil, fmt.Errorf("list API tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *SQL) RevokeAPIToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.Exec(ctx, `UPDATE fleet_api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ms(at), id)
	if err != nil {
		return fmt.Errorf("revoke API token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke API token %s: %w", id, ErrNotFound)
	}
	return nil
}

func (s *SQL) AppendEvent(ctx context.Context, e Event) error {
	if e.ID == "" {
		e.ID = NewID()
	}
	d, _ := json.Marshal(e.Details)
	if e.Details == nil {
		d = []byte("{}")
	}
	_, err := s.db.Exec(ctx, `INSERT INTO fleet_audit_events (id, at, actor, action, object, outcome, details) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.ID, ms(e.At), e.Actor, e.Action, e.Object, e.Outcome, string(d))
	if err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return nil
}

func (s *SQL) Events(ctx context.Context, since time.Time, limit int) ([]Event, error) {
	q := `SELECT id, at, actor, action, object, outcome, details FROM fleet_audit_events WHERE at >= ? ORDER BY at, id`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.db.Query(ctx, q, ms(since))
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		var d string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Object, &e.Outcome, &d); err != nil {
			return nil, fmt.Errorf("list audit events: %w", err)
		}
		e.At = fromMS(at)
		_ = json.Unmarshal([]byte(d), &e.Details)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *SQL) Setting(ctx context.Context, name string) (string, error) {
	var v string
	if err := s.db.QueryRow(ctx, `SELECT value FROM fleet_settings WHERE name = ?`, name).Scan(&v); err != nil {
		return "", notFound(err, "setting "+name)
	}
	return v, nil
}

func (s *SQL) PutSetting(ctx context.Context, name, value string) error {
	if _, err := s.db.Exec(ctx, `INSERT INTO fleet_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value); err != nil {
		return fmt.Errorf("put setting: %w", err)
	}
	return nil
}

func (s *SQL) PutSettingIfAbsent(ctx context.Context, name, value string) (bool, error) {
	res, err := s.db.Exec(ctx, `INSERT INTO fleet_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value)
	if err != nil {
		return false, fmt.Errorf("put setting: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (s *SQL) PublishPolicy(ctx context.Context, p Policy) error {
	defer s.lockWrites()()
	// One statement decides "only upwards": concurrent publishes on
	// several servers cannot both win, and a lower version inserts nothing.
	res, err := s.db.Exec(ctx, `INSERT INTO fleet_policies (version, digest, key_id, created, comment, body, published_by, published_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM fleet_policies WHERE version >= ?)`,
		p.Version, p.Digest, p.KeyID, p.Created, p.Comment, string(p.Body), p.PublishedBy, ms(p.PublishedAt), p.Version)
	if err != nil {
		if sqldb.IsUniqueViolation(err) {
			return fmt.Errorf("policy version %d: %w", p.Version, ErrConflict)
		}
		return fmt.Errorf("publish policy: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("publish policy: %w", err)
	} else if n == 0 {
		return fmt.Errorf("policy version %d is not above the published versions: %w", p.Version, ErrConflict)
	}
	return nil
}

const policyCols = `version, digest, key_id, created, comment, published_by, published_at`

func scanPolicy(r scanner, extra ...any) (Policy, error) {
	var p Policy
	var at int64
	if err := r.Scan(append([]any{&p.Version, &p.Digest, &p.KeyID, &p.Created, &p.Comment, &p.PublishedBy, &at}, extra...)...); err != nil {
		return p, err
	}
	p.PublishedAt = fromMS(at)
	return p, nil
}

func (s *SQL) CurrentPolicy(ctx context.Context) (Policy, error) {
	var body string
	p, err := scanPolicy(s.db.QueryRow(ctx, `SELECT `+policyCols+`, body FROM fleet_policies ORDER BY version DESC LIMIT 1`), &body)
	if err != nil {
		return p, notFound(err, "policy")
	}
	p.Body = []byte(body)
	return p, nil
}

func (s *SQL) ListPolicies(ctx context.Context) ([]Policy, error) {
	rows, err := s.db.Query(ctx, `SELECT `+policyCols+` FROM fleet_policies ORDER BY version DESC`)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	defer rows.Close()
	var out []Policy
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, fmt.Errorf("list policies: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
