// Package sqldbtest gives store tests a real database of each dialect: a
// fresh SQLite file, and a fresh PostgreSQL database on the server named by
// CLAWGOV_TEST_POSTGRES, or the one on 127.0.0.1:5432 when it answers, or
// else a throwaway cluster started from Debian's postgresql package in a
// temporary directory. Each call gets its own database, dropped afterwards,
// so tests in parallel packages never see each other's rows.
//
// A package that uses Postgres must run its tests through Main so a
// throwaway cluster it started is stopped at the end:
//
//	func TestMain(m *testing.M) { os.Exit(sqldbtest.Main(m)) }
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/sqldb"
)

// Each runs fn once against a fresh SQLite database and once against a fresh
// PostgreSQL database, as subtests "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *sqldb.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a new database file in t's temporary directory.
func SQLite(t testing.TB) *sqldb.DB {
	t.Helper()
	p := filepath.Join(t.TempDir(), "test.db")
	db, err := sqldb.Open(context.Background(), "sqlite://"+p)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Postgres creates a new, empty database and opens it. Without any usable
// server it skips the test with the reason, except under CI (CI=true), where
// a missing PostgreSQL is a failure: .ci/run makes sure one is available.
func Postgres(t testing.TB) *sqldb.DB {
	t.Helper()
	dsn := PostgresDSN(t)
	db, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresDSN creates a new, empty database and returns its DSN (for tests
// that start server processes). The database is dropped when t ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base, err := server()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL needed in CI: %v", err)
		}
		t.Skipf("no PostgreSQL: %v", err)
	}
	name := "cgtest_" + randHex(6)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres admin: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

var (
	once      sync.Once
	serverDSN string
	serverErr error
	cluster   *throwaway
)

// Main runs the tests and stops a throwaway cluster started on the way.
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		cluster.stop()
	}
	return code
}

func server() (string, error) {
	once.Do(func() {
		if dsn := os.Getenv("CLAWGOV_TEST_POSTGRES"); dsn != "" {
			serverDSN, serverErr = dsn, ping(dsn)
			return
		}
		local := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
		if ping(local) == nil {
			serverDSN = local
			return
		}
		c, err := startThrowaway()
		if err != nil {
			serverErr = fmt.Errorf("no server on 127.0.0.1:5432 and no throwaway cluster: %w", err)
			return
		}
		cluster = c
		serverDSN = c.dsn
	})
	return serverDSN, serverErr
}

func ping(dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

type throwaway struct {
	dir, bin, dsn string
	runAs         []string
}

// startThrowaway initialises and starts a cluster with Debian's server
// binaries, listening on 127.0.0.1 only and on a socket in its own folder.
// PostgreSQL refuses to run as root, so as root it runs as the postgres
// user the package creates.
func startThrowaway() (*throwaway, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		return nil, fmt.Errorf("initdb not found (install Debian's postgresql package)")
	}
	sort.Strings(bins)
	bin := filepath.Dir(bins[len(bins)-1])
	dir, err := os.MkdirTemp("", "clawgov-pg-")
	if err != nil {
		return nil, err
	}
	c := &throwaway{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off", port, dir)
	if out, err := c.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		return nil, fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	c.dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return c, nil
}

func (c *throwaway) run(prog string, args ...string) (string, error) {
	argv := append(append([]string{}, c.runAs...), filepath.Join(c.bin, prog))
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (c *throwaway) stop() {
	_, _ = c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// StartThrowaway starts a private cluster regardless of any running server
// and returns its DSN and a stop function (for the test of the fallback).
func StartThrowaway() (string, func(), error) {
	c, err := startThrowaway()
	if err != nil {
		return "", nil, err
	}
	return c.dsn, c.stop, nil
}
