// Package sqldb is the one database layer the organisation services share
// (fleet server, skill registry): it opens an embedded SQLite file or a
// PostgreSQL server from one DSN, applies each component's embedded,
// versioned migrations, and papers over the few dialect differences the
// stores need (placeholders, unique-violation detection, busy retries).
//
// SQLite is the default for one machine: a single file, pure Go
// (modernc.org/sqlite), WAL mode. PostgreSQL (via pgx) is for scale: several
// server processes may share one database, so nothing here keeps state that
// must be shared in process memory; migrations take an advisory lock.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect says which SQL engine a DB talks to.
type Dialect int

const (
	// SQLite is the embedded, single-file engine.
	SQLite Dialect = iota + 1
	// Postgres is a PostgreSQL server.
	Postgres
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "unknown"
}

// DB is an open database with its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
	// Location is the DSN with any password removed, for logs and errors.
	Location string
	// Path is the SQLite file ("" for PostgreSQL or an in-memory database).
	Path string
	// stop ends the SQLite WAL checkpointer (nil otherwise).
	stop func()
}

// Close stops the checkpointer and closes the pool.
func (db *DB) Close() error {
	if db.stop != nil {
		db.stop()
	}
	return db.DB.Close()
}

// ErrDSN reports a DSN clawgov cannot use; the CLI maps it to exit code 2.
var ErrDSN = errors.New("unsupported database DSN")

// Open opens dsn:
//
//	sqlite:///var/lib/clawgov/fleet.db   absolute path
//	sqlite://relative/fleet.db           path relative to the working directory
//	sqlite::memory:                      private in-memory database (tests)
//	postgres://user@host:5432/db?sslmode=disable   (or postgresql://)
//
// The connection is checked with a ping before Open returns.
func Open(ctx context.Context, dsn string) (*DB, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	case dsn == "sqlite::memory:":
		return openSQLite(ctx, ":memory:", "")
	case strings.HasPrefix(dsn, "sqlite://"):
		p := strings.TrimPrefix(dsn, "sqlite://")
		if i := strings.IndexByte(p, '?'); i >= 0 {
			return nil, fmt.Errorf("%w: sqlite DSN takes no options: %q", ErrDSN, dsn)
		}
		if p == "" {
			return nil, fmt.Errorf("%w: sqlite DSN has no path: %q", ErrDSN, dsn)
		}
		return openSQLite(ctx, p, p)
	}
	return nil, fmt.Errorf("%w: %q (want sqlite:///path/file.db or postgres://...)", ErrDSN, Redact(dsn))
}

var sqliteURIPath = strings.NewReplacer("%", "%25", "#", "%23")

func openSQLite(ctx context.Context, file, path string) (*DB, error) {
	if path != "" {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database directory %s: %w", dir, err)
			}
		}
	}
	// busy_timeout makes writers queue instead of failing with SQLITE_BUSY;
	// _txlock=immediate takes the write lock at BEGIN, so two writers never
	// deadlock upgrading read locks; WAL lets readers run during writes.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if file != ":memory:" {
		q.Add("_pragma", "journal_mode(WAL)")
		// No checkpoint inside a committing transaction: by default the
		// commit that crosses 1000 WAL pages copies them into the database
		// and fsyncs while every other writer waits (the fleet server's p99).
		// checkpointer below does that work off the write path instead.
		q.Add("_pragma", "wal_autocheckpoint(0)")
	}
	q.Set("_txlock", "immediate")
	// The path goes into a file: URI, where '#' would start a fragment
	// and "%HH" is decoded: escape both, or a path holding them opens
	// another file.
	sdb, err := sql.Open("sqlite", "file:"+sqliteURIPath.Replace(file)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", file, err)
	}
	if file == ":memory:" {
		// Every connection to :memory: is a new, empty database.
		sdb.SetMaxOpenConns(1)
	} else {
		// Keep connections (and the statements prepared on them) across
		// bursts of concurrent requests: the default of 2 idle connections
		// reopened the file and re-prepared statements under load.
		sdb.SetMaxIdleConns(16)
	}
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", file, err)
	}
	loc := "sqlite://" + path
	if path == "" {
		loc = "sqlite::memory:"
	}
	db := &DB{DB: sdb, Dialect: SQLite, Location: loc, Path: path}
	if file != ":memory:" {
		db.stop = checkpointer(sdb)
	}
	return db, nil
}

// checkpointer runs passive WAL checkpoints from its own connection while
// the database is open: soon again while there are frames to copy, at a
// slower pace when idle. A passive checkpoint never blocks writers or
// readers; the WAL is reused from the start once a checkpoint has copied
// everything. Durability is unchanged (commits are in the WAL either way).
// The returned func stops it and runs a last checkpoint.
func checkpointer(sdb *sql.DB) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	// The pragma reports the WAL's frames and how many are in the database
	// now; both stay put once everything is copied and nobody writes.
	lastLog, lastCopied := -1, -1
	run := func(ctx context.Context) bool {
		var busy, log, copied int
		if err := sdb.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied); err != nil {
			return false
		}
		moved := log != lastLog || copied != lastCopied
		lastLog, lastCopied = log, copied
		return moved && copied > 0
	}
	go func() {
		defer close(done)
		wait := 20 * time.Millisecond
		t := time.NewTimer(wait)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if run(ctx) {
				wait = 20 * time.Millisecond
			} else {
				wait = min(wait*2, time.Second)
			}
			t.Reset(wait)
		}
	}()
	return func() {
		cancel()
		<-done
		run(context.Background())
	}
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	sdb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", Redact(dsn), err)
	}
	sdb.SetMaxOpenConns(16)
	sdb.SetMaxIdleConns(8)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := sdb.PingContext(pctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("connect postgres %s: %w", Redact(dsn), err)
	}
	return &DB{DB: sdb, Dialect: Postgres, Location: Redact(dsn)}, nil
}

// Redact removes the password from a URL-form DSN.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable DSN)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Rebind turns the '?' placeholders the stores write into the dialect's own
// ($1, $2, ... for PostgreSQL). '?' inside single-quoted literals is kept.
func (db *DB) Rebind(query string) string {
	if db.Dialect != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	inQuote := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Exec runs a statement written with '?' placeholders.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.DB.ExecContext(ctx, db.Rebind(query), args...)
}

// Query runs a query written with '?' placeholders.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.DB.QueryContext(ctx, db.Rebind(query), args...)
}

// QueryRow runs a single-row query written with '?' placeholders.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.DB.QueryRowContext(ctx, db.Rebind(query), args...)
}

// Tx is a transaction that rebinds placeholders like DB.
type Tx struct {
	*sql.Tx
	db *DB
}

// Exec runs a statement written with '?' placeholders.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.Tx.ExecContext(ctx, tx.db.Rebind(query), args...)
}

// Query runs a query written with '?' placeholders.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.Tx.QueryContext(ctx, tx.db.Rebind(query), args...)
}

// QueryRow runs a single-row query written with '?' placeholders.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.Tx.QueryRowContext(ctx, tx.db.Rebind(query), args...)
}

// Dialect of the transaction's database.
func (tx *Tx) Dialect() Dialect { return tx.db.Dialect }

// InTx runs fn in a transaction and commits it when fn returns nil. A
// serialization failure or deadlock (PostgreSQL) or a busy database
// (SQLite) is retried a few times with backoff, since those say "try
// again", not "wrong"; fn must therefore be safe to run more than once.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = db.inTxOnce(ctx, fn)
		if err == nil || !IsRetryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(10*(1<<attempt)) * time.Millisecond):
		}
	}
	return err
}

func (db *DB) inTxOnce(ctx context.Context, fn func(tx *Tx) error) error {
	stx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{Tx: stx, db: db}
	if err := fn(tx); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique or primary-key
// constraint violation, which stores use to make inserts idempotent.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsRetryable reports a transient conflict worth retrying.
func IsRetryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// IsDiskFull reports that the database could not write because the disk is
// full, which servers turn into 503 (try later), never into a lost write.
func IsDiskFull(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "53100"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_FULL
	}
	return false
}
