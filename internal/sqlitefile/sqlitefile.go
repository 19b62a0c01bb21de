// Package sqlitefile reads the tables of an SQLite database file (and its
// write-ahead log) without an SQL engine: it walks the table b-trees of
// the documented file format (https://www.sqlite.org/fileformat2.html)
// and decodes their records.
//
// Why: the audit reads a dozen small tables of OpenClaw's state database.
// Doing that through the SQL engine (modernc.org/sqlite, which the fleet
// server keeps using) touched about 2 MB of its code and heap in every
// audit, a tenth of the audit's memory. The audit needs rows, not SQL.
//
// What it does not do: write, lock, run SQL, read WITHOUT ROWID tables or
// UTF-16 databases (it refuses them with an error). The file is untrusted
// input: every offset is bounds-checked, every page is visited at most
// once per scan, and sizes are capped, so a corrupt or hostile file gives
// an error, never a panic or a hang (fuzzed against the reference engine).
package sqlitefile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// ErrCorrupt is wrapped by every error about the file's content.
var ErrCorrupt = errors.New("malformed database file")

// MaxPayload bounds one record (SQLite's own default limit is 1 GB; the
// tables read here hold small JSON documents).
const MaxPayload = 64 << 20

const headerMagic = "SQLite format 3\x00"

// DB is an open database file.
type DB struct {
	db       io.ReaderAt
	pageSize int
	usable   int
	nPages   uint32
	wal      map[uint32]int64 // page -> offset of its newest committed frame's data
	walR     io.ReaderAt
	tables   map[string]*Table
	// Scratch reused by every scan (so a DB is not safe for concurrent
	// use, nor for a Scan or Count inside a Scan's callback):
	// page buffers per b-tree level, the visited set, record and overflow
	// buffers.
	bufs   [][]byte
	seen   map[uint32]bool
	recBuf []byte
	ov     []byte
}

// Table is a rowid table of the schema. Its CREATE statement is parsed
// on first use: a schema has a hundred tables and a reader wants a few.
type Table struct {
	Name string
	sql  string
	// columns are the column names in declaration order; defaults hold
	// each column's DEFAULT literal (NULL when none or not a literal): a
	// row written before an ALTER TABLE ADD COLUMN has no value for the
	// new column, and reads as its default.
	columns  []string
	defaults []Value
	root     uint32
	rowidCol int // the INTEGER PRIMARY KEY column, or -1
	parsed   bool
	err      error
}

func (t *Table) parse() {
	if t.parsed {
		return
	}
	t.parsed = true
	if t.err != nil {
		return
	}
	def, err := parseCreateTable(t.sql)
	switch {
	case err != nil:
		t.err = fmt.Errorf("table %s: %w", t.Name, err)
	case def.withoutRowid:
		t.err = fmt.Errorf("table %s is WITHOUT ROWID, which clawgov does not read", t.Name)
	default:
		t.columns, t.defaults, t.rowidCol = def.columns, def.defaults, def.rowidCol
	}
}

// Columns are the column names in declaration order (none when Err).
func (t *Table) Columns() []string { t.parse(); return t.columns }

// Err says why the table cannot be scanned (WITHOUT ROWID, a schema
// clawgov cannot parse); nil when it can.
func (t *Table) Err() error { t.parse(); return t.err }

// Kind is the storage class of a value.
type Kind uint8

// Storage classes, in SQLite's sort order.
const (
	Null Kind = iota
	Integer
	Real
	Text
	Blob
)

// Value is one column value. Text and Blob alias the page buffer they were
// read from only for the duration of the row callback.
type Value struct {
	Kind  Kind
	Int   int64
	Float float64
	Bytes []byte
}

// String is the value as text ("" for NULL), as a text column scan sees it.
func (v Value) String() string {
	switch v.Kind {
	case Text, Blob:
		return string(v.Bytes)
	case Integer:
		return fmt.Sprint(v.Int)
	case Real:
		return fmt.Sprint(v.Float)
	}
	return ""
}

// Compare orders values as SQLite's ORDER BY does with the BINARY
// collation: NULL, then numbers by value, then text, then blobs by bytes.
func Compare(a, b Value) int {
	ca, cb := sortClass(a.Kind), sortClass(b.Kind)
	if ca != cb {
		return ca - cb
	}
	switch ca {
	case 0:
		return 0
	case 1:
		fa, fb := a.num(), b.num()
		if a.Kind == Integer && b.Kind == Integer {
			switch {
			case a.Int < b.Int:
				return -1
			case a.Int > b.Int:
				return 1
			}
			return 0
		}
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(string(a.Bytes), string(b.Bytes))
}

func sortClass(k Kind) int {
	switch k {
	case Null:
		return 0
	case Integer, Real:
		return 1
	case Text:
		return 2
	}
	return 3
}

func (v Value) num() float64 {
	if v.Kind == Integer {
		return float64(v.Int)
	}
	return v.Float
}

// Open reads the header and schema of the database in db (size bytes) and,
// when wal is not nil, applies the committed frames of its write-ahead log
// (walSize bytes), as a reader that opens the database would see it.
func Open(db io.ReaderAt, size int64, wal io.ReaderAt, walSize int64) (*DB, error) {
	var h [100]byte
	if size < 100 {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the header", ErrCorrupt, size)
	}
	if _, err := db.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if string(h[:16]) != headerMagic {
		return nil, fmt.Errorf("%w: not an SQLite 3 database", ErrCorrupt)
	}
	ps := int(binary.BigEndian.Uint16(h[16:]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("%w: page size %d", ErrCorrupt, ps)
	}
	reserved := int(h[20])
	d := &DB{db: db, pageSize: ps, usable: ps - reserved}
	if d.usable < 480 {
		return nil, fmt.Errorf("%w: usable page size %d", ErrCorrupt, d.usable)
	}
	if enc := binary.BigEndian.Uint32(h[56:]); enc != 0 && enc != 1 {
		return nil, fmt.Errorf("text encoding %d (UTF-16) is not supported", enc)
	}
	// The size in the header is valid only when the change counter
	// matches "version-valid-for"; otherwise the file size decides.
	d.nPages = uint32(size / int64(ps))
	if n := binary.BigEndian.Uint32(h[28:]); n != 0 && binary.BigEndian.Uint32(h[24:]) == binary.BigEndian.Uint32(h[92:]) && n <= d.nPages {
		d.nPages = n
	}
	if wal != nil && walSize > 0 {
		if err := d.readWAL(wal, walSize); err != nil {
			return nil, err
		}
	}
	if err := d.loadSchema(); err != nil {
		return nil, err
	}
	return d, nil
}

// readWAL indexes the frames of the log up to its last valid commit.
func (d *DB) readWAL(r io.ReaderAt, size int64) error {
	var h [32]byte
	if size < 32 {
		return nil // an empty or torn header: no committed frames
	}
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return fmt.Errorf("read WAL header: %w", err)
	}
	magic := binary.BigEndian.Uint32(h[0:])
	if magic != 0x377f0682 && magic != 0x377f0683 {
		return nil // not a valid log: SQLite ignores it too
	}
	var order binary.ByteOrder = binary.LittleEndian
	if magic&1 == 1 {
		order = binary.BigEndian
	}
	ps := int(binary.BigEndian.Uint32(h[8:]))
	if ps != d.pageSize {
		return nil // a log for another page size is not this database's
	}
	s0, s1 := walChecksum(order, h[:24], 0, 0)
	if s0 != binary.BigEndian.Uint32(h[24:]) || s1 != binary.BigEndian.Uint32(h[28:]) {
		return nil
	}
	salt1, salt2 := binary.BigEndian.Uint32(h[16:]), binary.BigEndian.Uint32(h[20:])
	frame := int64(24 + ps)
	pending := map[uint32]int64{}
	committed := map[uint32]int64{}
	var dbSize uint32
	buf := make([]byte, frame)
	for off := int64(32); off+frame <= size; off += frame {
		if _, err := r.ReadAt(buf, off); err != nil {
			return fmt.Errorf("read WAL frame: %w", err)
		}
		fh := buf[:24]
		if binary.BigEndian.Uint32(fh[8:]) != salt1 || binary.BigEndian.Uint32(fh[12:]) != salt2 {
			break
		}
		s0, s1 = walChecksum(order, fh[:8], s0, s1)
		s0, s1 = walChecksum(order, buf[24:], s0, s1)
		if s0 != binary.BigEndian.Uint32(fh[16:]) || s1 != binary.BigEndian.Uint32(fh[20:]) {
			break
		}
		pg := binary.BigEndian.Uint32(fh[0:])
		if pg == 0 {
			break
		}
		pending[pg] = off + 24
		if commit := binary.BigEndian.Uint32(fh[4:]); commit != 0 {
			for p, o := range pending {
				committed[p] = o
			}
			clear(pending)
			dbSize = commit
		}
	}
	if dbSize == 0 {
		return nil
	}
	d.wal, d.walR, d.nPages = committed, r, dbSize
	return nil
}

// walChecksum is the log's running checksum over b (a multiple of 8 bytes).
func walChecksum(order binary.ByteOrder, b []byte, s0, s1 uint32) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s0 += order.Uint32(b[i:]) + s1
		s1 += order.Uint32(b[i+4:]) + s0
	}
	return s0, s1
}

// page reads page n (1-based) into buf.
func (d *DB) page(n uint32, buf []byte) error {
	if n == 0 || n > d.nPages {
		return fmt.Errorf("%w: page %d out of range (1..%d)", ErrCorrupt, n, d.nPages)
	}
	if off, ok := d.wal[n]; ok {
		_, err := d.walR.ReadAt(buf, off)
		if err != nil {
			return fmt.Errorf("read page %d from the WAL: %w", n, err)
		}
		return nil
	}
	_, err := d.db.ReadAt(buf, int64(n-1)*int64(d.pageSize))
	if err == io.EOF {
		// The last page of a file cut short: what is missing reads as zero,
		// which the b-tree checks below reject if it matters.
		err = nil
	}
	if err != nil {
		return fmt.Errorf("read page %d: %w", n, err)
	}
	return nil
}

// Tables lists the schema's tables by name.
func (d *DB) Tables() []*Table {
	out := make([]*Table, 0, len(d.tables))
	for _, t := range d.tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Table returns the named table (exact name) or nil.
func (d *DB) Table(name string) *Table { return d.tables[name] }

func (d *DB) loadSchema() error {
	d.tables = map[string]*Table{}
	schema := &Table{Name: "sqlite_schema", columns: []string{"type", "name", "tbl_name", "rootpage", "sql"}, root: 1, rowidCol: -1, parsed: true}
	return d.scan(schema, func(_ int64, row []Value) error {
		if len(row) < 5 || row[0].Kind != Text || string(row[0].Bytes) != "table" || row[1].Kind != Text {
			return nil
		}
		name := string(row[1].Bytes)
		t := &Table{Name: name, rowidCol: -1}
		d.tables[name] = t
		if row[3].Kind != Integer || row[3].Int <= 0 || row[3].Int > math.MaxUint32 {
			t.err = fmt.Errorf("table %s has no b-tree (virtual table?)", name)
			return nil
		}
		t.root = uint32(row[3].Int)
		if row[4].Kind != Text {
			t.err = fmt.Errorf("table %s has no CREATE statement", name)
			return nil
		}
		t.sql = string(row[4].Bytes)
		return nil
	})
}

// Scan calls fn for every row of t in rowid order, with one value per
// column (a row shorter than the table takes the columns' defaults). The
// values alias a buffer that is reused after fn returns.
func (d *DB) Scan(t *Table, fn func(row []Value) error) error {
	if t.Err() != nil {
		return t.err
	}
	return d.scan(t, func(_ int64, row []Value) error { return fn(row) })
}

// Count returns the number of rows of t without decoding them.
func (d *DB) Count(t *Table) (int, error) {
	if t.Err() != nil {
		return 0, t.err
	}
	n := 0
	err := d.walk(t.root, func(buf []byte, hdr int, cells int) error {
		n += cells
		return nil
	})
	return n, err
}

// walk visits the leaf pages of the table b-tree rooted at root in key
// order. fn gets the page, the offset of its header and its cell count.
func (d *DB) walk(root uint32, fn func(page []byte, hdr, cells int) error) error {
	if d.seen == nil {
		d.seen = map[uint32]bool{}
	}
	seen := d.seen
	clear(seen)
	var visit func(n uint32, depth int) error
	visit = func(n uint32, depth int) error {
		if depth > 40 {
			return fmt.Errorf("%w: b-tree deeper than 40 levels", ErrCorrupt)
		}
		if seen[n] {
			return fmt.Errorf("%w: page %d reached twice", ErrCorrupt, n)
		}
		seen[n] = true
		if depth >= len(d.bufs) {
			d.bufs = append(d.bufs, make([]byte, d.pageSize))
		}
		buf := d.bufs[depth]
		if err := d.page(n, buf); err != nil {
			return err
		}
		hdr := 0
		if n == 1 {
			hdr = 100
		}
		typ := buf[hdr]
		cells := int(binary.BigEndian.Uint16(buf[hdr+3:]))
		switch typ {
		case 0x0d: // table leaf
			if hdr+8+2*cells > d.usable {
				return fmt.Errorf("%w: page %d: %d cells do not fit", ErrCorrupt, n, cells)
			}
			return fn(buf, hdr, cells)
		case 0x05: // table interior
			if hdr+12+2*cells > d.usable {
				return fmt.Errorf("%w: page %d: %d cells do not fit", ErrCorrupt, n, cells)
			}
			right := binary.BigEndian.Uint32(buf[hdr+8:])
			// Children are read before the buffer of this level is
			// reused by a sibling, so collect them first.
			kids := make([]uint32, 0, cells+1)
			for i := 0; i < cells; i++ {
				off := int(binary.BigEndian.Uint16(buf[hdr+12+2*i:]))
				if off < hdr+12 || off+4 > d.usable {
					return fmt.Errorf("%w: page %d: cell offset %d", ErrCorrupt, n, off)
				}
				kids = append(kids, binary.BigEndian.Uint32(buf[off:]))
			}
			kids = append(kids, right)
			for _, k := range kids {
				if err := visit(k, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		return fmt.Errorf("%w: page %d has type %#x, not a table b-tree page", ErrCorrupt, n, typ)
	}
	return visit(root, 0)
}

// scan decodes every row of t.
func (d *DB) scan(t *Table, fn func(rowid int64, row []Value) error) error {
	cols := len(t.columns)
	row := make([]Value, cols)
	payload := d.recBuf[:0]
	defer func() { d.recBuf = payload[:0] }()
	return d.walk(t.root, func(buf []byte, hdr, cells int) error {
		for i := 0; i < cells; i++ {
			off := int(binary.BigEndian.Uint16(buf[hdr+8+2*i:]))
			if off < hdr+8 || off >= d.usable {
				return fmt.Errorf("%w: cell offset %d", ErrCorrupt, off)
			}
			p, n, ok := varint(buf[off:d.usable])
			if !ok {
				return fmt.Errorf("%w: cell payload size", ErrCorrupt)
			}
			off += n
			rowid, n, ok := varint(buf[off:d.usable])
			if !ok {
				return fmt.Errorf("%w: cell rowid", ErrCorrupt)
			}
			off += n
			var err error
			payload, err = d.payload(buf, off, p, payload[:0])
			if err != nil {
				return err
			}
			if err := decodeRecord(payload, row); err != nil {
				return err
			}
			for c := range row {
				if row[c].Kind == 255 { // absent: written before the column was added
					row[c] = Value{}
					if c < len(t.defaults) {
						row[c] = t.defaults[c]
					}
				}
			}
			if t.rowidCol >= 0 && t.rowidCol < cols && row[t.rowidCol].Kind == Null {
				row[t.rowidCol] = Value{Kind: Integer, Int: int64(rowid)}
			}
			if err := fn(int64(rowid), row); err != nil {
				return err
			}
		}
		return nil
	})
}

// payload returns the record of a leaf cell whose payload of p bytes
// starts at off, following overflow pages.
func (d *DB) payload(buf []byte, off int, p uint64, dst []byte) ([]byte, error) {
	if p > MaxPayload {
		return nil, fmt.Errorf("%w: record of %d bytes", ErrCorrupt, p)
	}
	u := d.usable
	x := u - 35
	local := int(p)
	if int(p) > x {
		m := ((u-12)*32/255 - 23)
		k := m + (int(p)-m)%(u-4)
		local = m
		if k <= x {
			local = k
		}
	}
	if off+local > u {
		return nil, fmt.Errorf("%w: record overruns its page", ErrCorrupt)
	}
	dst = append(dst, buf[off:off+local]...)
	if local == int(p) {
		return dst, nil
	}
	if off+local+4 > u {
		return nil, fmt.Errorf("%w: overflow pointer overruns its page", ErrCorrupt)
	}
	next := binary.BigEndian.Uint32(buf[off+local:])
	if d.ov == nil {
		d.ov = make([]byte, d.pageSize)
	}
	ov := d.ov
	seen := map[uint32]bool{}
	for len(dst) < int(p) {
		if next == 0 || seen[next] {
			return nil, fmt.Errorf("%w: overflow chain broken", ErrCorrupt)
		}
		seen[next] = true
		if err := d.page(next, ov); err != nil {
			return nil, err
		}
		n := min(u-4, int(p)-len(dst))
		dst = append(dst, ov[4:4+n]...)
		next = binary.BigEndian.Uint32(ov)
	}
	return dst, nil
}

// decodeRecord fills row from a record; columns the record lacks get Kind
// 255 (the caller substitutes defaults). Values alias rec.
func decodeRecord(rec []byte, row []Value) error {
	hsize, n, ok := varint(rec)
	if !ok || hsize > uint64(len(rec)) || int(hsize) < n {
		return fmt.Errorf("%w: record header", ErrCorrupt)
	}
	hdr := rec[n:hsize]
	body := rec[hsize:]
	col := 0
	for len(hdr) > 0 {
		st, n, ok := varint(hdr)
		if !ok {
			return fmt.Errorf("%w: record serial type", ErrCorrupt)
		}
		hdr = hdr[n:]
		var v Value
		var size int
		switch {
		case st == 0:
			v.Kind = Null
		case st >= 1 && st <= 6:
			size = [...]int{0, 1, 2, 3, 4, 6, 8}[st]
			if len(body) < size {
				return fmt.Errorf("%w: record body", ErrCorrupt)
			}
			var x int64
			for _, b := range body[:size] {
				x = x<<8 | int64(b)
			}
			shift := uint(64 - 8*size)
			v = Value{Kind: Integer, Int: x << shift >> shift} // sign-extend
		case st == 7:
			size = 8
			if len(body) < 8 {
				return fmt.Errorf("%w: record body", ErrCorrupt)
			}
			v = Value{Kind: Real, Float: math.Float64frombits(binary.BigEndian.Uint64(body))}
		case st == 8 || st == 9:
			v = Value{Kind: Integer, Int: int64(st - 8)}
		case st == 10 || st == 11:
			return fmt.Errorf("%w: reserved serial type %d", ErrCorrupt, st)
		default:
			if st > 2*MaxPayload+13 {
				return fmt.Errorf("%w: record body", ErrCorrupt)
			}
			size = int((st - 12) / 2)
			if len(body) < size {
				return fmt.Errorf("%w: record body", ErrCorrupt)
			}
			v = Value{Kind: Blob, Bytes: body[:size:size]}
			if st%2 == 1 {
				v.Kind = Text
			}
		}
		body = body[size:]
		if col < len(row) {
			row[col] = v
		}
		col++
	}
	for ; col < len(row); col++ {
		row[col] = Value{Kind: 255}
	}
	return nil
}

// varint decodes SQLite's big-endian variable-length integer.
func varint(b []byte) (uint64, int, bool) {
	var v uint64
	for i := 0; i < 9; i++ {
		if i >= len(b) {
			return 0, 0, false
		}
		if i == 8 {
			return v<<8 | uint64(b[i]), 9, true
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1, true
		}
	}
	return 0, 0, false
}
