// Package packed is the compact binary form clawgov compiles its embedded
// data into at build time (catalog YAML, advisory JSON), so start-up
// decodes varints instead of parsing text. Strings are interned in one
// table at the front and decoded as substrings of the embedded data, which
// costs no copy and no allocation per string.
//
// The format is deliberately dumb: a magic, a format version, the string
// table, then values in the order the encoder wrote them. There is no
// schema in the data; the per-type encoders and decoders in the owning
// package are the schema, and their tests check that the packed form
// decodes to exactly what parsing the source gives.
package packed

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
)

const magic = "CGPK"

// Writer builds a packed blob.
type Writer struct {
	body []byte
	strs []string
	idx  map[string]uint64
}

// NewWriter returns an empty Writer.
func NewWriter() *Writer { return &Writer{idx: map[string]uint64{}} }

// Uint appends an unsigned integer.
func (w *Writer) Uint(v uint64) { w.body = binary.AppendUvarint(w.body, v) }

// Int appends a signed integer.
func (w *Writer) Int(v int) { w.body = binary.AppendVarint(w.body, int64(v)) }

// Bool appends a boolean.
func (w *Writer) Bool(v bool) {
	if v {
		w.Uint(1)
	} else {
		w.Uint(0)
	}
}

// Float appends a float64 bit for bit.
func (w *Writer) Float(v float64) { w.Uint(math.Float64bits(v)) }

// String appends a reference to s in the string table.
func (w *Writer) String(s string) {
	i, ok := w.idx[s]
	if !ok {
		i = uint64(len(w.strs))
		w.strs = append(w.strs, s)
		w.idx[s] = i
	}
	w.Uint(i)
}

// Len appends the length of a slice or map, keeping nil apart from empty
// (YAML and JSON decoding make that difference, and so must the packed
// form, or a decoded value would not equal a parsed one).
func (w *Writer) Len(n int, isNil bool) {
	if isNil {
		w.Uint(0)
		return
	}
	w.Uint(uint64(n) + 1)
}

// Strings appends a string slice.
func (w *Writer) Strings(v []string) {
	w.Len(len(v), v == nil)
	for _, s := range v {
		w.String(s)
	}
}

// StringMap appends a map[string]string with its keys sorted, so the
// output is deterministic.
func (w *Writer) StringMap(m map[string]string) {
	w.Len(len(m), m == nil)
	for _, k := range SortedKeys(m) {
		w.String(k)
		w.String(m[k])
	}
}

// Bytes returns the blob: magic, format version, string table, body.
func (w *Writer) Bytes(version uint64) []byte {
	out := []byte(magic)
	out = binary.AppendUvarint(out, version)
	out = binary.AppendUvarint(out, uint64(len(w.strs)))
	for _, s := range w.strs {
		out = binary.AppendUvarint(out, uint64(len(s)))
	}
	for _, s := range w.strs {
		out = append(out, s...)
	}
	return append(out, w.body...)
}

// SortedKeys returns the keys of m in order.
func SortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Reader decodes a packed blob. Errors are sticky: after the first one
// every read returns a zero value and Err reports it, so decoders read
// straight through and check once.
type Reader struct {
	data string
	pos  int
	// offs[i] and offs[i+1] bound string i in data: 4 bytes per string
	// instead of a 16-byte string header (the tables hold thousands).
	offs []uint32
	err  error
}

// ErrCorrupt is wrapped by every decoding error.
var ErrCorrupt = errors.New("corrupt packed data")

// NewReader checks the magic and format version and reads the string
// table. data should be embedded as a string so the decoded strings share
// its memory.
func NewReader(data string, version uint64) (*Reader, error) {
	if len(data) < len(magic) || data[:len(magic)] != magic {
		return nil, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	r := &Reader{data: data, pos: len(magic)}
	if v := r.Uint(); r.err == nil && v != version {
		return nil, fmt.Errorf("%w: format version %d, want %d", ErrCorrupt, v, version)
	}
	n := r.count(1)
	// Two passes over the lengths (varints are cheap to re-read) rather
	// than a slice of them: the tables hold thousands of strings.
	lensAt := r.pos
	total := 0
	for i := 0; i < n; i++ {
		l := r.Uint()
		if l > uint64(len(r.data)) {
			r.fail("string table overruns the data")
			break
		}
		total += int(l)
		if total > len(r.data) {
			r.fail("string table overruns the data")
			break
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.pos+total > len(r.data) {
		return nil, fmt.Errorf("%w: string table overruns the data", ErrCorrupt)
	}
	if r.pos+total > math.MaxUint32 {
		return nil, fmt.Errorf("%w: data over 4 GiB", ErrCorrupt)
	}
	strAt := r.pos
	r.pos = lensAt
	r.offs = make([]uint32, n+1)
	for i := 0; i < n; i++ {
		r.offs[i] = uint32(strAt)
		strAt += int(r.Uint())
	}
	r.offs[n] = uint32(strAt)
	r.pos = strAt
	return r, nil
}

func (r *Reader) fail(msg string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at byte %d", ErrCorrupt, msg, r.pos)
	}
}

// Err returns the first decoding error.
func (r *Reader) Err() error { return r.err }

// Done reports an error unless every byte was consumed.
func (r *Reader) Done() error {
	if r.err == nil && r.pos != len(r.data) {
		r.fail("trailing data")
	}
	return r.err
}

// Uint reads an unsigned integer.
func (r *Reader) Uint() uint64 {
	if r.err != nil {
		return 0
	}
	var v uint64
	var s uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if r.pos >= len(r.data) {
			r.fail("truncated varint")
			return 0
		}
		b := r.data[r.pos]
		r.pos++
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				r.fail("varint overflows")
				return 0
			}
			return v | uint64(b)<<s
		}
		v |= uint64(b&0x7f) << s
		s += 7
	}
	r.fail("varint overflows")
	return 0
}

// Int reads a signed integer.
func (r *Reader) Int() int {
	u := r.Uint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return int(x)
}

// Bool reads a boolean.
func (r *Reader) Bool() bool { return r.Uint() != 0 }

// Float reads a float64.
func (r *Reader) Float() float64 { return math.Float64frombits(r.Uint()) }

// String reads a string-table reference.
func (r *Reader) String() string {
	i := r.Uint()
	if r.err != nil {
		return ""
	}
	if i+1 >= uint64(len(r.offs)) {
		r.fail("string index out of range")
		return ""
	}
	return r.data[r.offs[i]:r.offs[i+1]]
}

// Len reads a slice or map length written by Writer.Len; isNil reports a
// nil one. n is bounded by the bytes left (each element takes at least
// minSize bytes), so corrupt data cannot ask for a huge allocation.
func (r *Reader) Len(minSize int) (n int, isNil bool) {
	u := r.Uint()
	if r.err != nil || u == 0 {
		return 0, true
	}
	return r.bounded(u-1, minSize), false
}

func (r *Reader) count(minSize int) int { return r.bounded(r.Uint(), minSize) }

func (r *Reader) bounded(n uint64, minSize int) int {
	if minSize < 1 {
		minSize = 1
	}
	if r.err != nil {
		return 0
	}
	if n > uint64(len(r.data)-r.pos)/uint64(minSize) {
		r.fail("length exceeds the data")
		return 0
	}
	return int(n)
}

// Pos is the reader's offset, for At.
func (r *Reader) Pos() int { return r.pos }

// At returns a reader over the same data and string table positioned at
// pos (from Pos), so one record can be decoded again later.
func (r *Reader) At(pos int) *Reader {
	c := *r
	c.pos, c.err = pos, nil
	if pos < 0 || pos > len(r.data) {
		c.fail("position out of range")
	}
	return &c
}

// SkipStrings reads past a string slice without building it.
func (r *Reader) SkipStrings() {
	n, _ := r.Len(1)
	for i := 0; i < n; i++ {
		_ = r.String()
	}
}

// SkipStringMap reads past a map[string]string without building it.
func (r *Reader) SkipStringMap() {
	n, _ := r.Len(2)
	for i := 0; i < 2*n; i++ {
		_ = r.String()
	}
}

// Strings reads a string slice.
func (r *Reader) Strings() []string {
	n, isNil := r.Len(1)
	if isNil {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.String()
	}
	return out
}

// StringMap reads a map[string]string.
func (r *Reader) StringMap() map[string]string {
	n, isNil := r.Len(2)
	if isNil {
		return nil
	}
	m := make(map[string]string, n)
	for i := 0; i < n; i++ {
		k := r.String()
		m[k] = r.String()
	}
	return m
}
