package manifest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
)

// The encoding (before gzip), every integer an unsigned varint:
//
//	"CGMF" format rule
//	package name                      (length, bytes)
//	release count, then each release  (version, tree digest 32 bytes,
//	                                   decisive digest 32 bytes, file count,
//	                                   record index deltas)
//	record count, then each record    (path index delta << 1 | has tag,
//	                                   size, tag as 4 bytes if has tag)
//	path count, then each path front-coded against the previous one
//	                                  (shared prefix length, suffix length, suffix)
//
// Paths are sorted and records sorted by (path, size, tag), so a release's
// records ascend and their deltas are small; a file unchanged between two
// releases is one shared record. Releases come first so that a reader
// that wants one release keeps only its records and paths while it
// streams past the rest.

const magic = "CGMF"

// Limits on decoded data: the embedded file is trusted, but a decoder that
// a corrupt byte can make allocate gigabytes is a bug.
const (
	maxPaths    = 4 << 20
	maxRecords  = 16 << 20
	maxReleases = 1 << 14
	maxPathLen  = 4096
	maxDecoded  = 256 << 20
)

// Encode writes the set deterministically.
func Encode(s *Set) ([]byte, error) {
	pathSet := map[string]bool{}
	type rec struct {
		path string
		size int64
		tag  uint32
	}
	recSet := map[rec]bool{}
	for _, r := range s.Releases {
		for _, f := range r.Files {
			pathSet[f.Path] = true
			recSet[rec{f.Path, f.Size, f.Tag}] = true
		}
	}
	paths := make([]string, 0, len(pathSet))
	for p := range pathSet {
		if len(p) > maxPathLen {
			return nil, fmt.Errorf("encode manifest: path too long: %.60s…", p)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	pathID := make(map[string]int, len(paths))
	for i, p := range paths {
		pathID[p] = i
	}
	recs := make([]rec, 0, len(recSet))
	for r := range recSet {
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool {
		a, b := recs[i], recs[j]
		if a.path != b.path {
			return a.path < b.path
		}
		if a.size != b.size {
			return a.size < b.size
		}
		return a.tag < b.tag
	})
	recID := make(map[rec]int, len(recs))
	for i, r := range recs {
		recID[r] = i
	}

	var raw bytes.Buffer
	w := &encoder{w: &raw}
	raw.WriteString(magic)
	w.uint(Format)
	w.uint(DecisiveRule)
	w.str(s.Package)
	vs := make([]string, 0, len(s.Releases))
	for v := range s.Releases {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	w.uint(uint64(len(vs)))
	for _, v := range vs {
		r := s.Releases[v]
		w.str(v)
		raw.Write(r.Tree[:])
		raw.Write(r.Decisive[:])
		w.uint(uint64(len(r.Files)))
		prevID := -1
		for _, f := range r.Files {
			id := recID[rec{f.Path, f.Size, f.Tag}]
			if id <= prevID {
				return nil, fmt.Errorf("encode manifest: release %s: files not sorted at %s", v, f.Path)
			}
			w.uint(uint64(id - prevID - 1))
			prevID = id
		}
	}
	w.uint(uint64(len(recs)))
	last := 0
	for _, r := range recs {
		id := pathID[r.path]
		tagged := Decisive(r.path)
		d := uint64(id-last) << 1
		if tagged {
			d |= 1
		}
		w.uint(d)
		last = id
		w.uint(uint64(r.size))
		if tagged {
			var t [4]byte
			binary.BigEndian.PutUint32(t[:], r.tag)
			raw.Write(t[:])
		}
	}
	w.uint(uint64(len(paths)))
	prev := ""
	for _, p := range paths {
		n := 0
		for n < len(p) && n < len(prev) && p[n] == prev[n] {
			n++
		}
		w.uint(uint64(n))
		w.str(p[n:])
		prev = p
	}
	var out bytes.Buffer
	gz, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := gz.Write(raw.Bytes()); err != nil {
		return nil, fmt.Errorf("compress manifest: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("compress manifest: %w", err)
	}
	return out.Bytes(), nil
}

type encoder struct{ w *bytes.Buffer }

func (e *encoder) uint(v uint64) {
	var b [binary.MaxVarintLen64]byte
	e.w.Write(b[:binary.PutUvarint(b[:], v)])
}

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.w.WriteString(s)
}

// ErrCorrupt is returned for data that does not decode.
var ErrCorrupt = errors.New("manifest data corrupt")

type decoder struct {
	r   *bufio.Reader
	err error
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(d.r)
	if err != nil {
		d.err = ErrCorrupt
	}
	return v
}

func (d *decoder) n(limit uint64) int {
	v := d.uint()
	if v > limit {
		d.err = ErrCorrupt
		return 0
	}
	return int(v)
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.err = ErrCorrupt
		return nil
	}
	return b
}

func (d *decoder) str(limit uint64) string { return string(d.bytes(d.n(limit))) }

// appendN appends n bytes to b without a separate allocation.
func (d *decoder) appendN(b []byte, n int) []byte {
	if d.err != nil {
		return b
	}
	l := len(b)
	b = slices.Grow(b, n)[:l+n]
	if _, err := io.ReadFull(d.r, b[l:]); err != nil {
		d.err = ErrCorrupt
	}
	return b
}

// tag reads a 4-byte tag.
func (d *decoder) tag() uint32 {
	var t [4]byte
	if d.err == nil {
		if _, err := io.ReadFull(d.r, t[:]); err != nil {
			d.err = ErrCorrupt
		}
	}
	return binary.BigEndian.Uint32(t[:])
}

// Decode reads every release of data written by Encode.
func Decode(data []byte) (*Set, error) { return decode(data, nil) }

// DecodeRelease reads only release version; ok is false when the data has
// no such release. It keeps one release's files in memory, not the table's.
func DecodeRelease(data []byte, version string) (r *Release, ok bool, err error) {
	s, err := decode(data, func(v string) bool { return v == version })
	if err != nil {
		return nil, false, err
	}
	r, ok = s.Releases[version]
	return r, ok, nil
}

type recRef struct {
	rel, idx int // release and position in its file list
}

func decode(data []byte, want func(string) bool) (*Set, error) {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	// The limit stops a compressed bomb; real data is about ten megabytes.
	d := &decoder{r: bufio.NewReaderSize(io.LimitReader(gz, maxDecoded), 64<<10)}
	if string(d.bytes(len(magic))) != magic {
		return nil, ErrCorrupt
	}
	if f, rule := d.uint(), d.uint(); d.err == nil && (f != Format || rule != DecisiveRule) {
		return nil, fmt.Errorf("manifest data: format %d rule %d, this build reads format %d rule %d", f, rule, Format, DecisiveRule)
	}
	s := &Set{Package: d.str(256), Releases: map[string]*Release{}}

	// Releases: keep the wanted ones' record indexes.
	var kept []*Release
	var ids [][]int
	maxRec := 0
	nv := d.n(maxReleases)
	for i := 0; i < nv && d.err == nil; i++ {
		v := d.str(128)
		var tree, dec [32]byte
		d.appendN(tree[:0], 32)
		d.appendN(dec[:0], 32)
		nf := d.n(maxRecords)
		keep := want == nil || want(v)
		if _, dup := s.Releases[v]; d.err == nil && (dup || v == "") {
			d.err = ErrCorrupt
		}
		var rid []int
		if keep {
			rid = make([]int, 0, nf)
		}
		id := -1
		for j := 0; j < nf && d.err == nil; j++ {
			id += 1 + d.n(maxRecords)
			if id >= maxRecords {
				d.err = ErrCorrupt
			}
			if keep {
				rid = append(rid, id)
			}
		}
		if id+1 > maxRec {
			maxRec = id + 1
		}
		s.Releases[v] = nil
		if keep && d.err == nil {
			r := &Release{Version: v, Tree: tree, Decisive: dec, Files: make([]File, len(rid))}
			kept = append(kept, r)
			ids = append(ids, rid)
		}
	}
	for v, r := range s.Releases {
		if r == nil {
			delete(s.Releases, v)
		}
	}
	if want != nil && len(kept) == 0 && d.err == nil {
		return s, nil // nothing wanted: the rest need not be read
	}
	// Which record feeds which file of which kept release. With one
	// release (the audit's case) its record indexes ascend, and so do the
	// path indexes of those records: a merge, no maps.
	var need map[int][]recRef
	single := len(kept) == 1
	if !single {
		need = map[int][]recRef{}
		for ri, rid := range ids {
			for fi, id := range rid {
				need[id] = append(need[id], recRef{ri, fi})
			}
		}
	}
	// Records: note the path index of the needed ones.
	nr := d.n(maxRecords)
	if d.err == nil && nr < maxRec {
		d.err = ErrCorrupt // a release points past the records
	}
	var pathNeed map[int][]recRef
	var pids []int // single: path index of each file, ascending
	if !single {
		pathNeed = map[int][]recRef{}
	}
	next := 0 // single: next file whose record is awaited
	last := 0
	for i := 0; i < nr && d.err == nil; i++ {
		x := d.uint()
		pid := last + int(x>>1)
		if x>>1 > maxPaths || pid >= maxPaths {
			d.err = ErrCorrupt
			break
		}
		last = pid
		size := d.uint()
		var tag uint32
		if x&1 == 1 {
			tag = d.tag()
		}
		if size > 1<<50 {
			d.err = ErrCorrupt
		}
		if single {
			if next < len(ids[0]) && ids[0][next] == i {
				kept[0].Files[next] = File{Size: int64(size), Tag: tag}
				pids = append(pids, pid)
				next++
			}
			continue
		}
		for _, ref := range need[i] {
			kept[ref.rel].Files[ref.idx] = File{Size: int64(size), Tag: tag}
			pathNeed[pid] = append(pathNeed[pid], ref)
		}
	}
	// Paths: rebuild each in one buffer, copy out the needed ones.
	np := d.n(maxPaths)
	if d.err == nil && nr > 0 && np <= last {
		d.err = ErrCorrupt
	}
	cur, prev := make([]byte, 0, 256), make([]byte, 0, 256)
	next = 0
	for i := 0; i < np && d.err == nil; i++ {
		shared := d.n(uint64(len(prev)))
		n := d.n(maxPathLen)
		if d.err != nil || shared+n > maxPathLen {
			d.err = ErrCorrupt
			break
		}
		cur = append(cur[:0], prev[:shared]...)
		cur = d.appendN(cur, n)
		if d.err != nil || (i > 0 && bytes.Compare(cur, prev) <= 0) {
			d.err = ErrCorrupt
			break
		}
		if single {
			if next < len(pids) && pids[next] == i {
				p := string(cur)
				// Two files of a release never share a path; if the data
				// says so, the order check below rejects it.
				for next < len(pids) && pids[next] == i {
					kept[0].Files[next].Path = p
					next++
				}
			}
		} else if refs := pathNeed[i]; len(refs) > 0 {
			p := string(cur)
			for _, ref := range refs {
				kept[ref.rel].Files[ref.idx].Path = p
			}
		}
		cur, prev = prev, cur
	}
	if d.err != nil {
		return nil, d.err
	}
	if _, err := d.r.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrCorrupt)
	}
	for _, r := range kept {
		for j := range r.Files {
			if r.Files[j].Path == "" || (j > 0 && r.Files[j].Path <= r.Files[j-1].Path) {
				return nil, fmt.Errorf("%w: release %s: files out of order", ErrCorrupt, r.Version)
			}
		}
		s.Releases[r.Version] = r
	}
	return s, nil
}
