package registry

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// withStep2 is the embedded migrations plus a stand-in for step 2, which
// a parallel change (review sessions) adds: this branch must migrate with
// and without it, in either order of arrival.
func withStep2(t *testing.T) fs.FS {
	t.Helper()
	m := fstest.MapFS{"0002_review_sessions.sql": {Data: []byte("CREATE TABLE registry_test_sessions (id TEXT PRIMARY KEY);\n")}}
	entries, err := fs.ReadDir(Migrations(), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := fs.ReadFile(Migrations(), e.Name())
		m[e.Name()] = &fstest.MapFile{Data: b}
	}
	return m
}

func TestMigrationsWithAndWithoutStep2(t *testing.T) {
	if steps, err := sqldb.LoadMigrationsWith(Migrations(), sqldb.SQLite, migrateOptions); err != nil {
		t.Fatal(err)
	} else if len(steps) > 1 && steps[1].Version == 2 {
		t.Skip("step 0002 has been merged: there is no gap left to test")
	}
	// Distinct subtest names: a "#01" suffix would end up in the SQLite
	// DSN, where '#' starts a URL fragment.
	t.Run("0002-later", func(t *testing.T) {
		sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
			ctx := context.Background()
			// This branch alone: 0001 and 0003, the gap at 2 reserved.
			if _, err := NewStore(ctx, db); err != nil {
				t.Fatalf("without 0002: %v", err)
			}
			if _, err := db.Exec(ctx, `SELECT COUNT(*) FROM registry_mirror`); err != nil {
				t.Fatalf("registry_mirror missing: %v", err)
			}
			// Merged later: 0002 arrives after 0003 was applied.
			a, err := db.MigrateWith(ctx, Component, withStep2(t), migrateOptions)
			if err != nil || len(a) != 1 || a[0].Version != 2 {
				t.Fatalf("late 0002: %+v %v", a, err)
			}
			got, _ := db.Applied(ctx, Component)
			if len(got) != 3 {
				t.Fatalf("applied %+v", got)
			}
			// A binary without 0002 refuses the database that has it.
			if _, err := NewStore(ctx, db); !errors.Is(err, sqldb.ErrSchemaNewer) {
				t.Fatalf("older binary on the merged schema: %v", err)
			}
		})
	})
	t.Run("0002-first", func(t *testing.T) {
		sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
			// Merged first: 1, 2, 3 in order on a fresh database.
			a, err := db.MigrateWith(context.Background(), Component, withStep2(t), migrateOptions)
			if err != nil || len(a) != 3 || a[1].Version != 2 || a[2].Name != "mirror" {
				t.Fatalf("fresh with 0002: %+v %v", a, err)
			}
		})
	})
	// Without the reservation the gap is refused, as for any component.
	if _, err := sqldb.LoadMigrations(Migrations(), sqldb.SQLite); err == nil {
		t.Fatal("gap at 2 accepted without the reservation")
	}
}
