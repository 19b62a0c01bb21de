package remediate

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/clawgov/clawgov/internal/json5"
)

// Text edits on one JSON5 file. Every edit re-parses the current text,
// finds its target by a path inside that file, and splices bytes: nothing
// outside the changed value is re-rendered, so comments, key order, quoting
// and layout survive. OpenClaw's own writer turns JSON5 into JSON; this
// one never does.

// seg is one step of a path inside a file: an object key or, when isIdx,
// an array index.
type seg struct {
	key   string
	idx   int
	isIdx bool
}

func (s seg) String() string {
	if s.isIdx {
		return strconv.Itoa(s.idx)
	}
	return s.key
}

func keySegs(keys ...string) []seg {
	out := make([]seg, len(keys))
	for i, k := range keys {
		out[i] = seg{key: k}
	}
	return out
}

func segsString(p []seg) string {
	parts := make([]string, len(p))
	for i, s := range p {
		parts[i] = s.String()
	}
	return strings.Join(parts, ".")
}

// lookupSegs walks p from root; nil when a step is missing.
func lookupSegs(root *json5.Value, p []seg) *json5.Value {
	cur := root
	for _, s := range p {
		if cur == nil {
			return nil
		}
		if s.isIdx {
			if cur.Kind != json5.Array || s.idx < 0 || s.idx >= len(cur.Elems) {
				return nil
			}
			cur = cur.Elems[s.idx]
			continue
		}
		cur = cur.Get(s.key)
	}
	return cur
}

// pathAt returns the in-file path of the node that starts at offset and has
// the given kind, or nil, false when no such node exists.
func pathAt(root *json5.Value, offset int, kind json5.Kind) ([]seg, bool) {
	var walk func(v *json5.Value, p []seg) ([]seg, bool)
	walk = func(v *json5.Value, p []seg) ([]seg, bool) {
		if v == nil || offset < v.Pos.Offset || offset >= v.End {
			return nil, false
		}
		if v.Pos.Offset == offset && v.Kind == kind {
			return p, true
		}
		switch v.Kind {
		case json5.Object:
			// The last member with a key wins, as in Get.
			for i := len(v.Members) - 1; i >= 0; i-- {
				m := v.Members[i]
				if r, ok := walk(m.Value, append(append([]seg{}, p...), seg{key: m.Key})); ok {
					return r, true
				}
			}
		case json5.Array:
			for i, e := range v.Elems {
				if r, ok := walk(e, append(append([]seg{}, p...), seg{idx: i, isIdx: true})); ok {
					return r, true
				}
			}
		}
		return nil, false
	}
	p, ok := walk(root, nil)
	if !ok {
		return nil, false
	}
	// A shadowed duplicate key is not addressable by path.
	if v := lookupSegs(root, p); v == nil || v.Pos.Offset != offset {
		return nil, false
	}
	return p, true
}

// ---- rendering new values ----

// obj is an ordered object for rendering; inline renders it on one line
// (a SecretRef), otherwise it is laid out like its surroundings.
type obj struct {
	keys   []string
	vals   []any
	inline bool
}

func newObj(inline bool, kv ...any) *obj {
	o := &obj{inline: inline}
	for i := 0; i+1 < len(kv); i += 2 {
		o.keys = append(o.keys, kv[i].(string))
		o.vals = append(o.vals, kv[i+1])
	}
	return o
}

// style is the file's layout, learnt from its text.
type style struct {
	unit       string // one indentation step
	quoteKeys  bool   // keys written "like": this
	singleQuot bool   // strings written 'like' this
	trailing   bool   // a comma after the last member of multi-line objects
}

func detectStyle(data []byte, root *json5.Value) style {
	st := style{unit: "  "}
	// Indentation unit: the smallest non-empty leading whitespace of a
	// line that holds something.
	best := ""
	for _, line := range bytes.Split(data, []byte("\n")) {
		trimmed := bytes.TrimLeft(line, " \t")
		if len(trimmed) == 0 || len(trimmed) == len(line) {
			continue
		}
		ws := string(line[:len(line)-len(trimmed)])
		if best == "" || len(ws) < len(best) {
			best = ws
		}
	}
	if best != "" {
		st.unit = best
	}
	quoted, bare, sq, dq, withComma, without := 0, 0, 0, 0, 0, 0
	var walk func(v *json5.Value)
	walk = func(v *json5.Value) {
		if v == nil {
			return
		}
		last := -1
		if n := len(v.Members); n > 0 {
			last = v.Members[n-1].Value.End
		} else if n := len(v.Elems); n > 0 {
			last = v.Elems[n-1].End
		}
		if last >= 0 && last <= len(data) && v.End <= len(data) && bytes.IndexByte(data[v.Pos.Offset:last], '\n') >= 0 {
			if i := skipWS(data, last); i < len(data) && data[i] == ',' {
				withComma++
			} else {
				without++
			}
		}
		if v.Kind == json5.String && v.Pos.Offset < len(data) {
			switch data[v.Pos.Offset] {
			case '\'':
				sq++
			case '"':
				dq++
			}
		}
		for _, m := range v.Members {
			if m.KeyPos.Offset < len(data) && (data[m.KeyPos.Offset] == '"' || data[m.KeyPos.Offset] == '\'') {
				quoted++
			} else {
				bare++
			}
			walk(m.Value)
		}
		for _, e := range v.Elems {
			walk(e)
		}
	}
	walk(root)
	st.quoteKeys = quoted > bare
	st.singleQuot = sq > dq
	st.trailing = withComma > without || (withComma == 0 && without == 0 && !st.quoteKeys)
	return st
}

func isIdent(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		ok := r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

func (st style) key(k string) string {
	if !st.quoteKeys && isIdent(k) {
		return k
	}
	return st.str(k)
}

func (st style) str(s string) string {
	q := byte('"')
	if st.singleQuot {
		q = '\''
	}
	return quoteJSON5(s, q)
}

// quoteJSON5 quotes s with only the escapes JSON5 defines (strconv.Quote
// would write Go escapes such as \a that JSON5 reads differently).
func quoteJSON5(s string, q byte) string {
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// render writes v; indent is the indentation of the line the value starts
// on.
func (st style) render(v any, indent string) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case string:
		return st.str(x)
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = st.str(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *obj:
		if len(x.keys) == 0 {
			return "{}"
		}
		if x.inline {
			parts := make([]string, len(x.keys))
			for i, k := range x.keys {
				parts[i] = st.key(k) + ": " + st.render(x.vals[i], indent)
			}
			return "{ " + strings.Join(parts, ", ") + " }"
		}
		var b strings.Builder
		b.WriteString("{\n")
		for i, k := range x.keys {
			b.WriteString(indent + st.unit + st.key(k) + ": " + st.render(x.vals[i], indent+st.unit))
			if i < len(x.keys)-1 || st.trailing {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(indent + "}")
		return b.String()
	}
	panic(fmt.Sprintf("remediate: cannot render %T", v))
}

// nest wraps value in objects for the missing keys: ["a","b"], v ->
// {a: {b: v}} rendered below the key that is inserted (keys[0]).
func nest(keys []string, value any) any {
	for i := len(keys) - 1; i >= 0; i-- {
		value = newObj(false, keys[i], value)
	}
	return value
}

// ---- text helpers ----

func lineStart(data []byte, off int) int {
	for off > 0 && data[off-1] != '\n' {
		off--
	}
	return off
}

// lineIndent is the leading whitespace of the line holding off.
func lineIndent(data []byte, off int) string {
	s := lineStart(data, off)
	e := s
	for e < len(data) && (data[e] == ' ' || data[e] == '\t') {
		e++
	}
	return string(data[s:e])
}

func splice(data []byte, start, end int, text string) []byte {
	out := make([]byte, 0, len(data)-(end-start)+len(text))
	out = append(out, data[:start]...)
	out = append(out, text...)
	out = append(out, data[end:]...)
	return out
}

// restOfLineIsComment reports whether data[off:] up to the end of the line
// holds only blanks and an optional // comment; eol is the newline's
// offset (or len(data)).
func restOfLineIsComment(data []byte, off int) (eol int, ok bool) {
	i := off
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r') {
		i++
	}
	if i >= len(data) || data[i] == '\n' {
		return i, true
	}
	if i+1 < len(data) && data[i] == '/' && data[i+1] == '/' {
		for i < len(data) && data[i] != '\n' {
			i++
		}
		return i, true
	}
	return i, false
}

// skipBlanks skips spaces and tabs (not newlines or comments).
func skipBlanks(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	return i
}

// skipWS skips whitespace and comments; it returns the offset of the
// next significant byte.
func skipWS(data []byte, i int) int {
	for i < len(data) {
		switch {
		case data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r':
			i++
		case i+1 < len(data) && data[i] == '/' && data[i+1] == '/':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case i+1 < len(data) && data[i] == '/' && data[i+1] == '*':
			end := bytes.Index(data[i+2:], []byte("*/"))
			if end < 0 {
				return len(data)
			}
			i += end + 4
		default:
			return i
		}
	}
	return i
}

// ---- operations ----

// setOp sets the value at path (an in-file path) to value, creating the
// missing objects on the way.
type setOp struct {
	path  []seg
	value any
}

// dropOp removes the array elements at path whose value drop says so.
type dropOp struct {
	path []seg
	drop func(v *json5.Value) bool
}

// editOp is one text operation on a file.
type editOp interface {
	apply(file string, data []byte) ([]byte, error)
}

func parseFile(file string, data []byte) (*json5.Value, error) {
	root, err := json5.Parse(file, data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	return root, nil
}

func (op setOp) apply(file string, data []byte) ([]byte, error) {
	root, err := parseFile(file, data)
	if err != nil {
		return nil, err
	}
	st := detectStyle(data, root)
	if v := lookupSegs(root, op.path); v != nil {
		indent := lineIndent(data, v.Pos.Offset)
		return splice(data, v.Pos.Offset, v.End, st.render(op.value, indent)), nil
	}
	// Deepest existing ancestor.
	n := len(op.path) - 1
	for n > 0 && lookupSegs(root, op.path[:n]) == nil {
		n--
	}
	parent := lookupSegs(root, op.path[:n])
	if parent == nil || parent.Kind != json5.Object {
		return nil, fmt.Errorf("%s: %s is not an object; cannot add %s", file, segsString(op.path[:n]), op.path[n].key)
	}
	var missing []string
	for _, s := range op.path[n:] {
		if s.isIdx {
			return nil, fmt.Errorf("%s: %s: cannot create array element", file, segsString(op.path))
		}
		missing = append(missing, s.key)
	}
	value := op.value
	if len(missing) > 1 {
		value = nest(missing[1:], op.value)
	}
	return insertMember(data, parent, st, missing[0], value)
}

// insertMember adds key: value as the last member of o.
func insertMember(data []byte, o *json5.Value, st style, key string, value any) ([]byte, error) {
	if o.Pos.Offset >= len(data) || data[o.Pos.Offset] != '{' || o.End < 2 || data[o.End-1] != '}' {
		return nil, fmt.Errorf("object at %s:%d is not a literal object in this file", o.Pos.File, o.Pos.Line)
	}
	// Members written in this object literal (a merged object could list
	// members from elsewhere; only ours have offsets inside the braces).
	var last *json5.Member
	multiline := false
	for i := range o.Members {
		m := &o.Members[i]
		if m.KeyPos.Offset > o.Pos.Offset && m.Value.End <= o.End {
			if last == nil || m.Value.End > last.Value.End {
				last = m
			}
		}
	}
	if last == nil {
		inner := data[o.Pos.Offset+1 : o.End-1]
		base := lineIndent(data, o.Pos.Offset)
		if len(bytes.TrimSpace(inner)) == 0 {
			comma := ""
			if st.trailing {
				comma = ","
			}
			text := "{\n" + base + st.unit + st.key(key) + ": " + st.render(value, base+st.unit) + comma + "\n" + base + "}"
			return splice(data, o.Pos.Offset, o.End, text), nil
		}
		// Only comments inside: keep them, add after the brace.
		text := "\n" + base + st.unit + st.key(key) + ": " + st.render(value, base+st.unit) + ","
		return splice(data, o.Pos.Offset+1, o.Pos.Offset+1, text), nil
	}
	multiline = bytes.IndexByte(data[o.Pos.Offset:last.KeyPos.Offset], '\n') >= 0
	after := skipWS(data, last.Value.End)
	hasComma := after < len(data) && data[after] == ','
	if !multiline {
		// { a: 1 } -> { a: 1, key: value }
		ins := ", " + st.key(key) + ": " + st.render(value, lineIndent(data, o.Pos.Offset))
		at := last.Value.End
		if hasComma {
			ins = " " + st.key(key) + ": " + st.render(value, lineIndent(data, o.Pos.Offset)) + ","
			at = after + 1
		}
		return splice(data, at, at, ins), nil
	}
	indent := lineIndent(data, last.KeyPos.Offset)
	if strings.TrimSpace(string(data[lineStart(data, last.KeyPos.Offset):last.KeyPos.Offset])) != "" {
		// Several members on one line: indent one step inside the object.
		indent = lineIndent(data, o.Pos.Offset) + st.unit
	}
	member := indent + st.key(key) + ": " + st.render(value, indent)
	pos := last.Value.End
	if hasComma {
		pos = after + 1
	}
	eol, ok := restOfLineIsComment(data, pos)
	if !ok {
		// Something else follows on the line (e.g. the closing brace):
		// break the line right after the last member.
		eol = pos
	}
	text := "\n" + member
	if hasComma {
		text += ","
	}
	out := splice(data, eol, eol, text)
	if !hasComma {
		// The old last member needs a comma now; it is before eol, so
		// its offset is unchanged.
		out = splice(out, last.Value.End, last.Value.End, ",")
	}
	return out, nil
}

func (op dropOp) apply(file string, data []byte) ([]byte, error) {
	root, err := parseFile(file, data)
	if err != nil {
		return nil, err
	}
	arr := lookupSegs(root, op.path)
	if arr == nil {
		return data, nil
	}
	if arr.Kind != json5.Array {
		return nil, fmt.Errorf("%s: %s is not an array", file, segsString(op.path))
	}
	var idx []int
	for i, e := range arr.Elems {
		if op.drop(e) {
			idx = append(idx, i)
		}
	}
	// Remove from the end so earlier offsets stay valid.
	sort.Sort(sort.Reverse(sort.IntSlice(idx)))
	for _, i := range idx {
		data = removeElem(data, arr, i)
	}
	return data, nil
}

// removeElem deletes element i of arr with its separator. arr's offsets
// must be valid for data, and elements after i must already be gone or
// untouched (callers remove from the end).
func removeElem(data []byte, arr *json5.Value, i int) []byte {
	e := arr.Elems[i]
	start, end := e.Pos.Offset, e.End
	// Swallow the element's own comma (comments before it go too).
	a := skipWS(data, end)
	if a < len(data) && data[a] == ',' {
		end = a + 1
	}
	// On its own line: remove the whole line.
	ls := lineStart(data, start)
	if strings.TrimSpace(string(data[ls:start])) == "" {
		if eol, ok := restOfLineIsComment(data, end); ok && eol < len(data) && !bytes.Contains(data[end:eol], []byte("//")) {
			if ls > arr.Pos.Offset {
				return splice(data, ls, eol+1, "")
			}
		}
	}
	if i == len(arr.Elems)-1 && i > 0 && end == e.End {
		// Last element without a trailing comma: remove the comma
		// before it instead, so "[a, *]" becomes "[a]".
		prev := arr.Elems[i-1]
		return splice(data, prev.End, e.End, "")
	}
	// Drop the blanks after the comma too ("[*, a]" -> "[a]").
	end = skipBlanks(data, end)
	return splice(data, start, end, "")
}
