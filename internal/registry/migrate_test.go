package registry

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

// migrationSets returns the embedded migrations without step 2 and with
// it (the real 0002 once merged, else a stand-in): step 2 (review
// sessions) was written in parallel with step 3 (mirror), so the schema
// must build with and without it, in either order of arrival.
func migrationSets(t *testing.T) (without, with fs.FS) {
	t.Helper()
	wo, wi := fstest.MapFS{}, fstest.MapFS{}
	entries, err := fs.ReadDir(Migrations(), ".")
	if err != nil {
		t.Fatal(err)
	}
	has2 := false
	for _, e := range entries {
		b, _ := fs.ReadFile(Migrations(), e.Name())
		wi[e.Name()] = &fstest.MapFile{Data: b}
		if strings.HasPrefix(e.Name(), "0002_") {
			has2 = true
			continue
		}
		wo[e.Name()] = &fstest.MapFile{Data: b}
	}
	if !has2 {
		wi["0002_review_sessions.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE registry_test_sessions (id TEXT PRIMARY KEY);\n")}
	}
	return wo, wi
}

func TestMigrationsWithAndWithoutStep2(t *testing.T) {
	without, with := migrationSets(t)
	// Distinct subtest names: a "#01" suffix would end up in the SQLite
	// DSN, where '#' starts a URL fragment.
	t.Run("0002-later", func(t *testing.T) {
		sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
			ctx := context.Background()
			// Step 3 without step 2: the gap at 2 is reserved.
			a, err := db.MigrateWith(ctx, Component, without, migrateOptions)
			if err != nil || len(a) != 2 || a[1].Name != "mirror" {
				t.Fatalf("without 0002: %+v %v", a, err)
			}
			if _, err := db.Exec(ctx, `SELECT COUNT(*) FROM registry_mirror`); err != nil {
				t.Fatalf("registry_mirror missing: %v", err)
			}
			// Step 2 arrives after step 3 was applied.
			a, err = db.MigrateWith(ctx, Component, with, migrateOptions)
			if err != nil || len(a) != 1 || a[0].Version != 2 {
				t.Fatalf("late 0002: %+v %v", a, err)
			}
			if got, _ := db.Applied(ctx, Component); len(got) != 3 {
				t.Fatalf("applied %+v", got)
			}
			// The embedded set opens it; a binary without step 2 refuses it.
			if _, err := NewStore(ctx, db); err != nil {
				t.Fatalf("embedded migrations on the merged schema: %v", err)
			}
			if _, err := db.MigrateWith(ctx, Component, without, migrateOptions); !errors.Is(err, sqldb.ErrSchemaNewer) {
				t.Fatalf("binary without 0002 on the merged schema: %v", err)
			}
		})
	})
	t.Run("0002-first", func(t *testing.T) {
		sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
			a, err := db.MigrateWith(context.Background(), Component, with, migrateOptions)
			if err != nil || len(a) != 3 || a[1].Version != 2 || a[2].Name != "mirror" {
				t.Fatalf("fresh with 0002: %+v %v", a, err)
			}
		})
	})
	// Without the reservation the gap is refused, as for any component.
	if _, err := sqldb.LoadMigrations(without, sqldb.SQLite); err == nil {
		t.Fatal("gap at 2 accepted without the reservation")
	}
}
