package sqldb_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/clawgov/clawgov/internal/sqldb"
	"github.com/clawgov/clawgov/internal/sqldb/sqldbtest"
)

func TestMain(m *testing.M) { os.Exit(sqldbtest.Main(m)) }

func migrations(t *testing.T, name string) fstest.MapFS {
	t.Helper()
	dir := "testdata/migrations/" + name
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fs := fstest.MapFS{}
	for _, e := range entries {
		b, err := os.ReadFile(dir + "/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		fs[e.Name()] = &fstest.MapFile{Data: b}
	}
	return fs
}

func TestMigrateBothDialects(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		fs := migrations(t, "good")
		applied, err := db.Migrate(ctx, "test", fs)
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if len(applied) != 2 {
			t.Fatalf("applied %d steps, want 2", len(applied))
		}
		again, err := db.Migrate(ctx, "test", fs)
		if err != nil || len(again) != 0 {
			t.Fatalf("second migrate applied %d (%v), want 0", len(again), err)
		}
		// The quoted ';' in the default survived statement splitting.
		if _, err := db.Exec(ctx, `INSERT INTO widgets (id) VALUES (?)`, "w1"); err != nil {
			t.Fatal(err)
		}
		var note string
		if err := db.QueryRow(ctx, `SELECT note FROM widgets WHERE id = ?`, "w1").Scan(&note); err != nil || note != "a;b" {
			t.Fatalf("note = %q, %v", note, err)
		}
		_, err = db.Exec(ctx, `INSERT INTO widgets (id) VALUES (?)`, "w1")
		if !sqldb.IsUniqueViolation(err) {
			t.Fatalf("duplicate insert: %v, want unique violation", err)
		}
		if sqldb.IsUniqueViolation(errors.New("other")) {
			t.Fatal("plain error classified as unique violation")
		}
		// Foreign keys are enforced in both dialects.
		if _, err := db.Exec(ctx, `INSERT INTO counters (widget) VALUES (?)`, "nope"); err == nil {
			t.Fatal("foreign key not enforced")
		}
		got, err := db.Applied(ctx, "test")
		if err != nil || len(got) != 2 || got[1].Name != "counter" {
			t.Fatalf("applied = %+v, %v", got, err)
		}

		// An edited step is refused, not silently re-run or ignored.
		edited := migrations(t, "good")
		edited["0001_init.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE widgets (id TEXT);")}
		if _, err := db.Migrate(ctx, "test", edited); !errors.Is(err, sqldb.ErrMigrationEdited) {
			t.Fatalf("edited migration: %v", err)
		}
		// A database migrated by a newer binary is refused.
		older := fstest.MapFS{"0001_init.sql": fs["0001_init.sql"]}
		if _, err := db.Migrate(ctx, "test", older); !errors.Is(err, sqldb.ErrSchemaNewer) {
			t.Fatalf("newer schema: %v", err)
		}
		// Components are independent.
		if a, err := db.Migrate(ctx, "other", fstest.MapFS{"0001_t.sql": {Data: []byte("CREATE TABLE other_t (a INTEGER);")}}); err != nil || len(a) != 1 {
			t.Fatalf("second component: %v", err)
		}
	})
}

func TestConcurrentMigrate(t *testing.T) {
	// Several servers starting at once on one PostgreSQL (or one SQLite
	// file) apply each step exactly once.
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		fs := migrations(t, "good")
		var dsn string
		if db.Dialect == sqldb.Postgres {
			dsn = sqldbtest.PostgresDSN(t)
		} else {
			dsn = "sqlite://" + t.TempDir() + "/c.db"
		}
		var wg sync.WaitGroup
		counts := make([]int, 4)
		errs := make([]error, 4)
		for i := range counts {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				d, err := sqldb.Open(ctx, dsn)
				if err != nil {
					errs[i] = err
					return
				}
				defer d.Close()
				a, err := d.Migrate(ctx, "test", fs)
				counts[i], errs[i] = len(a), err
			}(i)
		}
		wg.Wait()
		total := 0
		for i := range counts {
			if errs[i] != nil {
				t.Fatalf("migrator %d: %v", i, errs[i])
			}
			total += counts[i]
		}
		if total != 2 {
			t.Fatalf("steps applied across migrators = %d, want 2", total)
		}
	})
}

func TestLoadMigrationsErrors(t *testing.T) {
	cases := map[string]string{
		"gap":     "migration 0003: expected 0002",
		"badname": "migration 1_x.sql: name must be",
	}
	for dir, want := range cases {
		_, err := sqldb.LoadMigrations(migrations(t, dir), sqldb.SQLite)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", dir, err, want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{"", "mysql://x", "sqlite://", "sqlite:///tmp/x.db?mode=ro"} {
		if _, err := sqldb.Open(ctx, dsn); !errors.Is(err, sqldb.ErrDSN) {
			t.Errorf("Open(%q) = %v, want ErrDSN", dsn, err)
		}
	}
	if _, err := sqldb.Open(ctx, "postgres://u:hunter2@127.0.0.1:1/db?sslmode=disable&connect_timeout=1"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("postgres error leaks or succeeds: %v", err)
	}
}

func TestRebind(t *testing.T) {
	pg := &sqldb.DB{Dialect: sqldb.Postgres}
	got := pg.Rebind(`SELECT '?' , a FROM t WHERE a = ? AND b = ?`)
	if got != `SELECT '?' , a FROM t WHERE a = $1 AND b = $2` {
		t.Fatalf("rebind = %s", got)
	}
	lite := &sqldb.DB{Dialect: sqldb.SQLite}
	if q := lite.Rebind("a = ?"); q != "a = ?" {
		t.Fatalf("sqlite rebind changed query: %s", q)
	}
}

func TestSplitStatements(t *testing.T) {
	got := sqldb.SplitStatements("-- c;\nCREATE TABLE a (x TEXT DEFAULT 'p;q');\n\nINSERT INTO a VALUES ('it''s');\nSELECT 1")
	if len(got) != 3 || !strings.Contains(got[0], "'p;q'") || !strings.Contains(got[1], "'it''s'") {
		t.Fatalf("split = %q", got)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h/db":            "postgres://u:xxxxx@h/db",
		"postgres://h/db?password=secret&x=1": "postgres://h/db?password=xxxxx&x=1",
		"sqlite:///a.db":                      "sqlite:///a.db",
	} {
		if got := sqldb.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestThrowawayCluster proves the fallback the README's test command relies
// on where no PostgreSQL runs: a cluster from Debian's binaries, started
// and stopped by the test itself.
func TestThrowawayCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	if m, _ := globInitdb(); !m {
		if os.Getenv("CI") == "true" {
			t.Fatal("Debian postgresql package not installed in CI")
		}
		t.Skip("Debian postgresql package not installed")
	}
	dsn, stop, err := sqldbtest.StartThrowaway()
	if err != nil {
		t.Fatalf("start throwaway cluster: %v", err)
	}
	defer stop()
	db, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background(), "test", migrations(t, "good")); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointer: commits never checkpoint (wal_autocheckpoint is 0), yet
// the data reaches the database file, copied by the background
// checkpointer, and the WAL is reused rather than growing with every write.
func TestCheckpointer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ck.db")
	db, err := sqldb.Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var auto int
	if err := db.QueryRow(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	if _, err := db.Exec(ctx, "CREATE TABLE t (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	row := strings.Repeat("x", 8000)
	write := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := db.Exec(ctx, "INSERT INTO t (v) VALUES (?)", row); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(500) // ~4 MB, each insert its own commit
	size := func(p string) int64 {
		st, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return st.Size()
	}
	// Bounded wait for the checkpointer (no timing asserted: only that it
	// happens at all).
	for i := 0; size(path) < 3<<20; i++ {
		if i > 1000 {
			t.Fatalf("database file %d bytes: nothing checkpointed", size(path))
		}
		time.Sleep(10 * time.Millisecond)
	}
	write(2000) // ~16 MB more
	if w := size(path + "-wal"); w > 12<<20 {
		t.Logf("WAL at %d bytes while writing", w)
	}
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 2500 {
		t.Fatalf("rows %d, %v", n, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened: everything is there.
	db2, err := sqldb.Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if err := db2.QueryRow(ctx, "SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 2500 {
		t.Fatalf("after reopen: rows %d, %v", n, err)
	}
}

// A path with '#' or '%' must open exactly that file: in the file: URI
// they would start a fragment or be decoded, and another file would open.
func TestOpenSQLitePathWithURICharacters(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a#01.db", "b%2541.db", "c%zz.db"} {
		p := filepath.Join(dir, name)
		db, err := sqldb.Open(context.Background(), "sqlite://"+p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.ExecContext(context.Background(), "CREATE TABLE t (x INTEGER)"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		db.Close()
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s: the database is not at its path: %v", name, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		switch e.Name() {
		case "a#01.db", "b%2541.db", "c%zz.db":
		default:
			if !strings.HasSuffix(e.Name(), "-wal") && !strings.HasSuffix(e.Name(), "-shm") {
				t.Errorf("stray file %s", e.Name())
			}
		}
	}
}
