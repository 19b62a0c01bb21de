package sqldb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Migration is one versioned schema step of a component.
type Migration struct {
	Version  int
	Name     string
	SQL      string
	Checksum string
}

// AppliedMigration is a row of the migrations table.
type AppliedMigration struct {
	Component string
	Version   int
	Name      string
	Checksum  string
	AppliedAt time.Time
}

// migrationFile matches NNNN_name.sql, NNNN_name.sqlite.sql and
// NNNN_name.postgres.sql: a step is either one file both dialects run or a
// pair of dialect-specific files with the same number and name.
var migrationFile = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgres))?\.sql$`)
})

// LoadMigrations reads the steps for this dialect from fsys (its top level).
// Numbers must start at 1 and have no gaps or duplicates, so a missing or
// misnamed file fails at start-up, not halfway through an upgrade.
func LoadMigrations(fsys fs.FS, d Dialect) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	byVersion := map[int]Migration{}
	generic := map[int]bool{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := migrationFile().FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name[.sqlite|.postgres].sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if m[3] != "" && m[3] != d.String() {
			continue
		}
		body, err := fs.ReadFile(fsys, path.Clean(e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		if prev, dup := byVersion[v]; dup {
			// A dialect-specific file wins over a generic one of the same number.
			if m[3] == "" || !generic[v] || prev.Name != m[2] {
				return nil, fmt.Errorf("migration %04d: more than one file (%s and %s)", v, prev.Name, m[2])
			}
		}
		sum := sha256.Sum256(body)
		byVersion[v] = Migration{Version: v, Name: m[2], SQL: string(body), Checksum: hex.EncodeToString(sum[:])}
		generic[v] = m[3] == ""
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d: expected %04d (numbers start at 1 without gaps)", m.Version, i+1)
		}
	}
	return out, nil
}

const migrationsTable = `CREATE TABLE IF NOT EXISTS clawgov_migrations (
	component TEXT NOT NULL,
	version INTEGER NOT NULL,
	name TEXT NOT NULL,
	checksum TEXT NOT NULL,
	applied_at TEXT NOT NULL,
	PRIMARY KEY (component, version)
)`

// ErrMigrationEdited says an applied migration's file has changed since:
// the schema in the database is not what the code expects.
var ErrMigrationEdited = errors.New("applied migration was edited")

// ErrSchemaNewer says the database was migrated by a newer clawgov.
var ErrSchemaNewer = errors.New("database schema is newer than this clawgov")

// Migrate applies component's pending steps from fsys, each in its own
// transaction together with its bookkeeping row, so a crash leaves the
// schema at a step boundary. On PostgreSQL an advisory lock serialises
// several servers starting at once; on SQLite the immediate transaction
// does. It returns the steps it applied.
func (db *DB) Migrate(ctx context.Context, component string, fsys fs.FS) ([]Migration, error) {
	steps, err := LoadMigrations(fsys, db.Dialect)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", component, err)
	}
	var applied []Migration
	for _, step := range steps {
		did := false
		err := db.InTx(ctx, func(tx *Tx) error {
			did = false
			if db.Dialect == Postgres {
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, lockKey(component)); err != nil {
					return fmt.Errorf("lock migrations: %w", err)
				}
			}
			// Created under the lock: PostgreSQL's IF NOT EXISTS is not
			// safe against two sessions creating the table at once.
			if _, err := tx.Exec(ctx, migrationsTable); err != nil {
				return fmt.Errorf("create migrations table: %w", err)
			}
			have, err := appliedIn(ctx, tx, component)
			if err != nil {
				return err
			}
			if v, ok := unknownStep(have, steps); ok {
				return fmt.Errorf("%s: %w (database has step %04d, which this binary does not know)", component, ErrSchemaNewer, v)
			}
			if a, ok := have[step.Version]; ok {
				if a.Checksum != step.Checksum {
					return fmt.Errorf("%s migration %04d_%s: %w", component, step.Version, step.Name, ErrMigrationEdited)
				}
				return nil
			}
			for _, stmt := range SplitStatements(step.SQL) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%s migration %04d_%s: %w", component, step.Version, step.Name, err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO clawgov_migrations (component, version, name, checksum, applied_at) VALUES (?, ?, ?, ?, ?)`,
				component, step.Version, step.Name, step.Checksum, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
				return fmt.Errorf("record migration %04d: %w", step.Version, err)
			}
			did = true
			return nil
		})
		if err != nil {
			return applied, err
		}
		if did {
			applied = append(applied, step)
		}
	}
	return applied, nil
}

// Applied lists the recorded steps of component.
func (db *DB) Applied(ctx context.Context, component string) ([]AppliedMigration, error) {
	var exists bool
	q := `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'clawgov_migrations')`
	if db.Dialect == Postgres {
		q = `SELECT to_regclass('clawgov_migrations') IS NOT NULL`
	}
	if err := db.QueryRow(ctx, q).Scan(&exists); err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	if !exists {
		return nil, nil
	}
	rows, err := db.Query(ctx, `SELECT component, version, name, checksum, applied_at FROM clawgov_migrations WHERE component = ? ORDER BY version`, component)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	defer rows.Close()
	var out []AppliedMigration
	for rows.Next() {
		var a AppliedMigration
		var at string
		if err := rows.Scan(&a.Component, &a.Version, &a.Name, &a.Checksum, &at); err != nil {
			return nil, fmt.Errorf("list migrations: %w", err)
		}
		a.AppliedAt, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, a)
	}
	return out, rows.Err()
}

func appliedIn(ctx context.Context, tx *Tx, component string) (map[int]Migration, error) {
	rows, err := tx.Query(ctx, `SELECT version, name, checksum FROM clawgov_migrations WHERE component = ?`, component)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]Migration{}
	for rows.Next() {
		var m Migration
		if err := rows.Scan(&m.Version, &m.Name, &m.Checksum); err != nil {
			return nil, fmt.Errorf("read migrations: %w", err)
		}
		out[m.Version] = m
	}
	return out, rows.Err()
}

// unknownStep returns the lowest applied step this binary has no file
// for: the database was migrated by a newer clawgov.
func unknownStep(have map[int]Migration, steps []Migration) (int, bool) {
	known := map[int]bool{}
	for _, s := range steps {
		known[s.Version] = true
	}
	low, found := 0, false
	for v := range have {
		if !known[v] && (!found || v < low) {
			low, found = v, true
		}
	}
	return low, found
}

func lockKey(component string) int64 {
	h := fnv.New64a()
	h.Write([]byte("clawgov-migrate:" + component))
	return int64(h.Sum64() >> 1)
}

// SplitStatements splits a migration file on semicolons that end a line,
// outside quotes and comments. Migrations are plain DDL/DML written by us;
// this is not a general SQL parser (no dollar-quoted function bodies).
func SplitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	inQuote := false
	lines := strings.Split(src, "\n")
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		if !inQuote && (trimmed == "" || strings.HasPrefix(trimmed, "--")) {
			continue
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '\'' {
				inQuote = !inQuote
			}
			if c == ';' && !inQuote {
				if s := strings.TrimSpace(cur.String()); s != "" {
					out = append(out, s)
				}
				cur.Reset()
				continue
			}
			cur.WriteByte(c)
		}
		cur.WriteByte('\n')
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
