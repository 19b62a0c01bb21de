package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// encodeIndented writes v as JSON indented by two spaces, HTML characters
// unescaped, with a final newline: byte for byte what an encoding/json
// Encoder with SetIndent("", "  ") and SetEscapeHTML(false) writes.
//
// That Encoder builds the compact encoding, then an indented copy of it,
// then writes; for a report of ~150 KB the two growing buffers were about
// a megabyte of garbage, which in a short audit decides how often the
// collector runs. Here the compact encoding is indented while it is
// written, through a small buffer.
func encodeIndented(w io.Writer, v any) error {
	bw := bufio.NewWriterSize(w, 16<<10)
	ind := &indenter{w: bw}
	enc := json.NewEncoder(ind)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	if ind.err != nil {
		return ind.err
	}
	return bw.Flush()
}

// splice is a top-level array member written element by element.
type splice struct {
	key  string
	n    int
	elem func(i int) any // a pointer, so elements encode as they do in the slice
}

// encodeIndentedSpliced is encodeIndented of skel with the empty arrays
// of the given top-level members replaced by their elements, encoded one
// at a time: the same bytes as encoding the full value (the tests compare
// both), with the encoder's buffer holding one element at a time instead
// of the whole document.
func encodeIndentedSpliced(w io.Writer, skel any, parts []splice) error {
	var sb bytes.Buffer
	senc := json.NewEncoder(&sb)
	senc.SetEscapeHTML(false)
	if err := senc.Encode(skel); err != nil {
		return err
	}
	compact := bytes.TrimSuffix(sb.Bytes(), []byte("\n"))
	bw := bufio.NewWriterSize(w, 16<<10)
	ind := &indenter{w: bw}
	enc := json.NewEncoder(dropNewline{ind})
	enc.SetEscapeHTML(false)
	done := 0 // bytes of compact written
	for _, p := range parts {
		at := topLevelEmptyArray(compact, p.key)
		if at < done {
			return fmt.Errorf("encode: no top-level %q array to fill", p.key)
		}
		ind.Write(compact[done : at+1]) // up to and including "["
		done = at + 1
		for i := 0; i < p.n; i++ {
			if i > 0 {
				ind.Write([]byte{','})
			}
			if err := enc.Encode(p.elem(i)); err != nil {
				return err
			}
		}
	}
	ind.Write(compact[done:])
	ind.Write([]byte{'\n'})
	if ind.err != nil {
		return ind.err
	}
	return bw.Flush()
}

// dropNewline drops the newline json.Encoder writes after each value.
type dropNewline struct{ w io.Writer }

func (d dropNewline) Write(p []byte) (int, error) {
	n := len(p)
	_, err := d.w.Write(bytes.TrimSuffix(p, []byte("\n")))
	return n, err
}

// topLevelEmptyArray finds `"key":[]` among the members of the outermost
// object of compact JSON and returns the offset of its "[", or -1.
func topLevelEmptyArray(b []byte, key string) int {
	want := `"` + key + `":[]`
	depth, inString, escaped := 0, false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			if depth == 1 && i > 0 && bytes.HasPrefix(b[i:], []byte(want)) && (b[i-1] == '{' || b[i-1] == ',') {
				return i + len(want) - 2
			}
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	return -1
}

// indenter re-indents compact JSON (as json.Encoder writes it: no
// insignificant whitespace but the final newline) as it streams through.
type indenter struct {
	w          *bufio.Writer
	depth      int
	inString   bool
	escaped    bool
	needIndent bool // after { or [: newline unless the value is empty
	err        error
}

func (d *indenter) newline() {
	d.w.WriteByte('\n')
	for i := 0; i < d.depth; i++ {
		d.w.WriteString("  ")
	}
}

func (d *indenter) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	for _, c := range p {
		if d.inString {
			d.w.WriteByte(c)
			switch {
			case d.escaped:
				d.escaped = false
			case c == '\\':
				d.escaped = true
			case c == '"':
				d.inString = false
			}
			continue
		}
		if d.needIndent && c != '}' && c != ']' {
			d.needIndent = false
			d.depth++
			d.newline()
		}
		switch c {
		case '"':
			d.inString = true
			d.w.WriteByte(c)
		case '{', '[':
			d.needIndent = true
			d.w.WriteByte(c)
		case ',':
			d.w.WriteByte(c)
			d.newline()
		case ':':
			d.w.WriteString(": ")
		case '}', ']':
			if d.needIndent {
				d.needIndent = false
			} else {
				d.depth--
				d.newline()
			}
			d.w.WriteByte(c)
		default:
			d.w.WriteByte(c)
		}
	}
	// bufio.Writer keeps its first error and returns it from Flush.
	return len(p), nil
}
