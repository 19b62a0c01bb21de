package sqlitefile

import (
	"bytes"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the reference engine, in tests only
)

// build creates a database with the engine and returns its path. The
// connection stays open (so a WAL is not checkpointed away) until the test
// ends.
func build(t testing.TB, pageSize int, wal bool, stmts ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "t.sqlite")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	pre := []string{fmt.Sprintf("PRAGMA page_size = %d", pageSize)}
	if wal {
		pre = append(pre, "PRAGMA journal_mode = WAL", "PRAGMA wal_autocheckpoint = 0")
	}
	for _, s := range append(pre, stmts...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return p
}

func openFiles(t testing.TB, p string) *DB {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := os.ReadFile(p + "-wal")
	var wr *bytes.Reader
	if len(w) > 0 {
		wr = bytes.NewReader(w)
	}
	var d *DB
	if wr != nil {
		d, err = Open(bytes.NewReader(b), int64(len(b)), wr, int64(len(w)))
	} else {
		d, err = Open(bytes.NewReader(b), int64(len(b)), nil, 0)
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func goValue(v Value) any {
	switch v.Kind {
	case Integer:
		return v.Int
	case Real:
		return v.Float
	case Text:
		return string(v.Bytes)
	case Blob:
		return append([]byte{}, v.Bytes...)
	}
	return nil
}

// engineRows reads every row of table (in rowid order) through the engine.
func engineRows(t testing.TB, p, table string) [][]any {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+p+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT * FROM "` + table + `" ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	return out
}

func ourRows(t testing.TB, d *DB, table string) [][]any {
	t.Helper()
	tb := d.Table(table)
	if tb == nil {
		t.Fatalf("table %s not found", table)
	}
	var out [][]any
	err := d.Scan(tb, func(row []Value) error {
		r := make([]any, len(row))
		for i, v := range row {
			r[i] = goValue(v)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fixtureStatements(rng *rand.Rand) []string {
	s := []string{
		`CREATE TABLE t1 (id INTEGER PRIMARY KEY, name TEXT, n INTEGER, r REAL, b BLOB)`,
		`CREATE TABLE t2 (store_key TEXT NOT NULL, job_id TEXT NOT NULL, enabled INTEGER NOT NULL, job_json TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (store_key, job_id)) STRICT`,
		`CREATE TABLE "odd name" ("a b" TEXT, [c]   INTEGER, ` + "`d`" + ` TEXT, e /* comment, with comma */ TEXT -- trailing, comment
		)`,
		`CREATE TABLE t4 (k INTEGER, v TEXT, PRIMARY KEY (k))`,
		`CREATE TABLE t5 (k INTEGER PRIMARY KEY DESC, v TEXT)`,
		`CREATE TABLE wr (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID`,
		`INSERT INTO "odd name" VALUES ('x', 1, 'y', 'z')`,
		`CREATE TABLE t3 (a TEXT)`,
		`INSERT INTO t3 VALUES ('before')`,
		`ALTER TABLE t3 ADD COLUMN c TEXT DEFAULT 'dflt'`,
		`ALTER TABLE t3 ADD COLUMN d INTEGER DEFAULT -5`,
		`ALTER TABLE t3 ADD COLUMN e REAL DEFAULT 2.5`,
		`ALTER TABLE t3 ADD COLUMN f TEXT`,
		`INSERT INTO t3 VALUES ('after', 'set', 7, 1.5, 'f')`,
		`INSERT INTO wr VALUES ('a', 'b')`,
	}
	ints := []int64{0, 1, -1, 127, -128, 32767, -32768, 1 << 23, -(1 << 23), 1 << 31, -(1 << 31), 1 << 47, -(1 << 47), math.MaxInt64, math.MinInt64}
	for i := 0; i < 600; i++ {
		name := "NULL"
		switch rng.IntN(5) {
		case 0:
			name = "''"
		case 1:
			name = "'" + strings.Repeat("汉字x", rng.IntN(40)) + "'"
		case 2:
			// Large enough for one or several overflow pages.
			name = fmt.Sprintf("'%s'", strings.Repeat("y", 1000+rng.IntN(70000)))
		case 3:
			name = fmt.Sprintf("'n%d'", i)
		}
		r := "NULL"
		if rng.IntN(2) == 0 {
			r = fmt.Sprintf("%v", rng.NormFloat64()*1e6)
		}
		b := "NULL"
		if rng.IntN(3) == 0 {
			b = fmt.Sprintf("randomblob(%d)", rng.IntN(9000))
		}
		id := "NULL"
		if i%7 == 0 {
			id = fmt.Sprint(i * 1000)
		}
		s = append(s, fmt.Sprintf("INSERT INTO t1 VALUES (%s, %s, %d, %s, %s)", id, name, ints[i%len(ints)], r, b))
		s = append(s, fmt.Sprintf("INSERT INTO t2 VALUES ('s%d', 'j%d', %d, '{\"n\":%d}')", i%5, i, i%2, i))
		s = append(s, fmt.Sprintf("INSERT INTO t4 VALUES (%d, 'v%d')", i*3, i), fmt.Sprintf("INSERT INTO t5 VALUES (%d, 'v%d')", i, i))
	}
	s = append(s, `DELETE FROM t1 WHERE n = 1`, `UPDATE t2 SET job_json = '{"big":"`+strings.Repeat("z", 5000)+`"}' WHERE job_id = 'j3'`)
	return s
}

func TestMatchesEngine(t *testing.T) {
	for _, ps := range []int{512, 4096, 65536} {
		for _, wal := range []bool{false, true} {
			t.Run(fmt.Sprintf("page%d-wal%v", ps, wal), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(ps), 1))
				p := build(t, ps, wal, fixtureStatements(rng)...)
				if wal {
					if fi, err := os.Stat(p + "-wal"); err != nil || fi.Size() == 0 {
						t.Fatalf("the fixture should keep its rows in the WAL: %v", err)
					}
				}
				d := openFiles(t, p)
				var names []string
				for _, tb := range d.Tables() {
					names = append(names, tb.Name)
				}
				want := []string{"odd name", "t1", "t2", "t3", "t4", "t5", "wr"}
				if !reflect.DeepEqual(names, want) {
					t.Fatalf("tables %v, want %v", names, want)
				}
				for _, name := range want[:6] {
					got, exp := ourRows(t, d, name), engineRows(t, p, name)
					if len(got) != len(exp) {
						t.Fatalf("%s: %d rows, engine %d", name, len(got), len(exp))
					}
					for i := range got {
						if !reflect.DeepEqual(got[i], exp[i]) {
							t.Fatalf("%s row %d:\n got  %.200v\n want %.200v", name, i, got[i], exp[i])
						}
					}
					n, err := d.Count(d.Table(name))
					if err != nil || n != len(exp) {
						t.Errorf("Count(%s) = %d, %v; want %d", name, n, err, len(exp))
					}
				}
				if got := d.Table("odd name").Columns(); !reflect.DeepEqual(got, []string{"a b", "c", "d", "e"}) {
					t.Errorf("quoted columns: %q", got)
				}
				if err := d.Table("wr").Err(); err == nil || !strings.Contains(err.Error(), "WITHOUT ROWID") {
					t.Errorf("WITHOUT ROWID table: %v", err)
				}
			})
		}
	}
}

func TestParseCreateTable(t *testing.T) {
	for _, c := range []struct {
		sql   string
		cols  []string
		rowid int
	}{
		{`CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)`, []string{"id", "v"}, 0},
		{`CREATE TABLE a (id integer primary key, v)`, []string{"id", "v"}, 0},
		{`CREATE TABLE a (id INT PRIMARY KEY, v)`, []string{"id", "v"}, -1},
		{`CREATE TABLE a (id INTEGER PRIMARY KEY DESC, v)`, []string{"id", "v"}, -1},
		{`CREATE TABLE a (v TEXT, id INTEGER, CONSTRAINT pk PRIMARY KEY (id))`, []string{"v", "id"}, 1},
		{`CREATE TABLE a (v TEXT, id INTEGER, PRIMARY KEY (id DESC))`, []string{"v", "id"}, -1},
		{`CREATE TABLE a (v TEXT, id INTEGER, PRIMARY KEY (v, id))`, []string{"v", "id"}, -1},
		{`CREATE TABLE IF NOT EXISTS main."t(" (x VARCHAR(10) CHECK (x != ','), y DECIMAL(5, 2) DEFAULT (1), UNIQUE (x, y))`, []string{"x", "y"}, -1},
		{`CREATE TABLE a ('str name' TEXT, "q""uote" TEXT)`, []string{"str name", `q"uote`}, -1},
	} {
		def, err := parseCreateTable(c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if !reflect.DeepEqual(def.columns, c.cols) || def.rowidCol != c.rowid {
			t.Errorf("%s: columns %q rowid %d, want %q %d", c.sql, def.columns, def.rowidCol, c.cols, c.rowid)
		}
	}
	for _, bad := range []string{`CREATE TABLE a`, `CREATE TABLE a (x`, `CREATE TABLE a AS SELECT 1`, `CREATE TABLE a ('x)`, `CREATE TABLE a ()`} {
		if _, err := parseCreateTable(bad); err == nil {
			t.Errorf("%s: parsed, want an error", bad)
		}
	}
}

func TestCompare(t *testing.T) {
	vals := []Value{{}, {Kind: Integer, Int: -3}, {Kind: Real, Float: -2.5}, {Kind: Integer, Int: 2}, {Kind: Real, Float: 2.5},
		{Kind: Text, Bytes: []byte("A")}, {Kind: Text, Bytes: []byte("a")}, {Kind: Text, Bytes: []byte("ab")}, {Kind: Blob, Bytes: []byte{0}}}
	for i := range vals {
		for j := range vals {
			got := Compare(vals[i], vals[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if (got < 0) != (want < 0) || (got > 0) != (want > 0) {
				t.Errorf("Compare(%v, %v) = %d, want sign %d", vals[i], vals[j], got, want)
			}
		}
	}
}

func TestRefusesWhatItCannotRead(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":     nil,
		"text":      []byte(strings.Repeat("not a database ", 20)),
		"page size": append([]byte(headerMagic+"\x00\x03"), make([]byte, 200)...),
	} {
		if _, err := Open(bytes.NewReader(data), int64(len(data)), nil, 0); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	p := build(t, 4096, false, `PRAGMA encoding = 'UTF-16le'`, `CREATE TABLE a (x)`)
	b, _ := os.ReadFile(p)
	if _, err := Open(bytes.NewReader(b), int64(len(b)), nil, 0); err == nil || !strings.Contains(err.Error(), "UTF-16") {
		t.Errorf("UTF-16 database: %v", err)
	}
}

// A torn or foreign WAL is ignored, as the engine ignores it.
func TestBadWALIgnored(t *testing.T) {
	p := build(t, 4096, false, `CREATE TABLE a (x)`, `INSERT INTO a VALUES (1)`)
	b, _ := os.ReadFile(p)
	for _, w := range [][]byte{[]byte("short"), bytes.Repeat([]byte{0x37, 0x7f, 0x06, 0x82}, 100)} {
		d, err := Open(bytes.NewReader(b), int64(len(b)), bytes.NewReader(w), int64(len(w)))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := d.Count(d.Table("a")); n != 1 || err != nil {
			t.Errorf("rows %d, %v", n, err)
		}
	}
}

func FuzzOpenScan(f *testing.F) {
	p := build(f, 512, false, `CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT, w BLOB)`,
		`INSERT INTO a VALUES (1, 'x', x'00ff')`, `INSERT INTO a VALUES (2, '`+strings.Repeat("y", 1500)+`', NULL)`,
		`CREATE TABLE b (k TEXT, n INTEGER DEFAULT 3)`, `INSERT INTO b VALUES ('k', 9)`)
	seed, _ := os.ReadFile(p)
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Open(bytes.NewReader(data), int64(len(data)), nil, 0)
		if err != nil {
			return
		}
		for _, tb := range d.Tables() {
			_ = d.Scan(tb, func([]Value) error { return nil })
			_, _ = d.Count(tb)
		}
	})
}
