package output

import (
	"bufio"
	"encoding/json"
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
