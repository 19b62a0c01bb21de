package json5

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds nesting of arrays and objects. The parser is recursive;
// the bound keeps hostile input ("[[[[...") from growing the stack without
// limit. OpenClaw configs nest a handful of levels.
const MaxDepth = 1000

// SyntaxError is a parse error at a position. Error() is one line:
// "file:line:col: message".
type SyntaxError struct {
	Pos Pos
	Msg string
	// Limit is true when the input was rejected for exceeding a parser
	// limit (MaxDepth) rather than for being invalid JSON5.
	Limit bool
}

func (e *SyntaxError) Error() string {
	f := e.Pos.File
	if f == "" {
		f = "<input>"
	}
	return fmt.Sprintf("%s:%d:%d: %s", f, e.Pos.Line, e.Pos.Col, e.Msg)
}

// Parse parses one JSON5 document. file is used only in positions and
// error messages. Every value gets Pos (start) and End (byte offset just
// after it), so data[v.Pos.Offset:v.End] is the value's exact source text.
func Parse(file string, data []byte) (*Value, error) {
	p := &parser{file: file, data: data, line: 1}
	v, err := p.parseDocument()
	if err != nil {
		return nil, err
	}
	return v, nil
}

type parser struct {
	file      string
	data      []byte
	off       int
	line      int
	lineStart int
	depth     int
	// ext is set when the input used a JSON5 feature outside the subset
	// the test oracle (github.com/titanous/json5) implements. Only the
	// differential fuzz test reads it.
	ext bool
}

func (p *parser) pos() Pos {
	return Pos{File: p.file, Line: p.line, Col: p.off - p.lineStart + 1, Offset: p.off}
}

func (p *parser) errAt(pos Pos, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) errHere(format string, args ...any) error {
	return p.errAt(p.pos(), format, args...)
}

// unexpected reports the character at the current offset.
func (p *parser) unexpected(context string) error {
	if p.off >= len(p.data) {
		return p.errHere("unexpected end of input %s", context)
	}
	r, _ := utf8.DecodeRune(p.data[p.off:])
	return p.errHere("invalid character %s %s", quoteRune(r, p.data[p.off]), context)
}

func quoteRune(r rune, b byte) string {
	if r == utf8.RuneError {
		return fmt.Sprintf("byte 0x%02x", b)
	}
	return strconv.QuoteRune(r)
}

// newline records a line break ending at p.off (the offset just after the
// terminator).
func (p *parser) newline() {
	p.line++
	p.lineStart = p.off
}

func (p *parser) parseDocument() (*Value, error) {
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.off >= len(p.data) {
		return nil, p.errHere("empty document: expected a value")
	}
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.off < len(p.data) {
		return nil, p.unexpected("after top-level value")
	}
	return v, nil
}

// isSpaceRune is JSON5 WhiteSpace plus LineTerminator.
func isSpaceRune(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x2028, 0x2029, 0xFEFF:
		return true
	}
	return r > 0x7f && unicode.Is(unicode.Zs, r)
}

// skipSpace skips whitespace and comments.
func (p *parser) skipSpace() error {
	for p.off < len(p.data) {
		c := p.data[p.off]
		switch c {
		case ' ', '\t':
			p.off++
		case '\n':
			p.off++
			p.newline()
		case '\r':
			p.off++
			if p.off < len(p.data) && p.data[p.off] == '\n' {
				p.off++
			}
			p.newline()
		case '\f', '\v':
			p.ext = true
			p.off++
		case '/':
			if err := p.skipComment(); err != nil {
				return err
			}
		default:
			if c < utf8.RuneSelf {
				return nil
			}
			r, n := utf8.DecodeRune(p.data[p.off:])
			if r == utf8.RuneError || !isSpaceRune(r) {
				return nil
			}
			p.ext = true
			p.off += n
			if r == 0x2028 || r == 0x2029 {
				p.newline()
			}
		}
	}
	return nil
}

func (p *parser) skipComment() error {
	start := p.pos()
	if p.off+1 >= len(p.data) {
		return p.errAt(start, "invalid character '/' (expected // or /* comment)")
	}
	switch p.data[p.off+1] {
	case '/':
		p.off += 2
		for p.off < len(p.data) {
			c := p.data[p.off]
			if c == '\n' || c == '\r' {
				return nil // the terminator is handled by skipSpace
			}
			if c == 0xE2 && p.off+2 < len(p.data) && p.data[p.off+1] == 0x80 && (p.data[p.off+2] == 0xA8 || p.data[p.off+2] == 0xA9) {
				p.ext = true // the oracle does not end comments there
				return nil   // U+2028/U+2029 end a line comment too
			}
			p.off++
		}
		return nil
	case '*':
		p.off += 2
		for p.off < len(p.data) {
			c := p.data[p.off]
			switch {
			case c == '*' && p.off+1 < len(p.data) && p.data[p.off+1] == '/':
				p.off += 2
				return nil
			case c == '*':
				// The oracle ends a block comment at any '/' after a '*'.
				p.ext = true
				p.off++
			case c == '\n':
				p.off++
				p.newline()
			case c == '\r':
				p.off++
				if p.off < len(p.data) && p.data[p.off] == '\n' {
					p.off++
				}
				p.newline()
			default:
				p.off++
			}
		}
		return p.errAt(start, "unterminated /* comment")
	}
	return p.errAt(start, "invalid character '/' (expected // or /* comment)")
}

func (p *parser) parseValue() (*Value, error) {
	if p.off >= len(p.data) {
		return nil, p.errHere("unexpected end of input: expected a value")
	}
	start := p.pos()
	c := p.data[p.off]
	switch {
	case c == '{':
		return p.parseObject(start)
	case c == '[':
		return p.parseArray(start)
	case c == '"' || c == '\'':
		s, err := p.parseString()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: String, Str: s, Pos: start, End: p.off}, nil
	case c == 't':
		return p.literal(start, "true", &Value{Kind: Bool, Bool: true})
	case c == 'f':
		return p.literal(start, "false", &Value{Kind: Bool})
	case c == 'n':
		return p.literal(start, "null", &Value{Kind: Null})
	case c == 'I', c == 'N', c == '-', c == '+', c == '.', c >= '0' && c <= '9':
		return p.parseNumber(start)
	}
	return nil, p.unexpected("looking for beginning of value")
}

func (p *parser) literal(start Pos, word string, v *Value) (*Value, error) {
	if !strings.HasPrefix(string(p.data[p.off:min(len(p.data), p.off+len(word))]), word) {
		return nil, p.errAt(start, "invalid literal (expected %s)", word)
	}
	p.off += len(word)
	if err := p.checkAfterLiteral(); err != nil {
		return nil, err
	}
	v.Pos = start
	v.End = p.off
	return v, nil
}

// checkAfterLiteral rejects identifier characters glued to a literal
// ("truex", "1abc"): JSON5 lexes those as one invalid token.
func (p *parser) checkAfterLiteral() error {
	if p.off >= len(p.data) {
		return nil
	}
	r, _ := utf8.DecodeRune(p.data[p.off:])
	if r == '\\' || (r != utf8.RuneError && isIDPart(r)) {
		return p.unexpected("after literal")
	}
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return &SyntaxError{Pos: p.pos(), Msg: fmt.Sprintf("nesting deeper than %d levels", MaxDepth), Limit: true}
	}
	return nil
}

func (p *parser) parseObject(start Pos) (*Value, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	v := &Value{Kind: Object, Pos: start}
	p.off++ // {
	for {
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.off >= len(p.data) {
			return nil, p.errAt(start, "unterminated object")
		}
		if p.data[p.off] == '}' {
			p.off++
			v.End = p.off
			return v, nil
		}
		keyPos := p.pos()
		key, err := p.parseKey()
		if err != nil {
			return nil, err
		}
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.off >= len(p.data) || p.data[p.off] != ':' {
			return nil, p.unexpected("after object key (expected ':')")
		}
		p.off++
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		val, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		v.Members = append(v.Members, Member{Key: key, KeyPos: keyPos, Value: val})
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.off >= len(p.data) {
			return nil, p.errAt(start, "unterminated object")
		}
		switch p.data[p.off] {
		case ',':
			p.off++
		case '}':
			p.off++
			v.End = p.off
			return v, nil
		default:
			return nil, p.unexpected("after object member (expected ',' or '}')")
		}
	}
}

func (p *parser) parseArray(start Pos) (*Value, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	v := &Value{Kind: Array, Pos: start}
	p.off++ // [
	for {
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.off >= len(p.data) {
			return nil, p.errAt(start, "unterminated array")
		}
		if p.data[p.off] == ']' {
			p.off++
			v.End = p.off
			return v, nil
		}
		e, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		v.Elems = append(v.Elems, e)
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.off >= len(p.data) {
			return nil, p.errAt(start, "unterminated array")
		}
		switch p.data[p.off] {
		case ',':
			p.off++
		case ']':
			p.off++
			v.End = p.off
			return v, nil
		default:
			return nil, p.unexpected("after array element (expected ',' or ']')")
		}
	}
}

func (p *parser) parseKey() (string, error) {
	c := p.data[p.off]
	if c == '"' || c == '\'' {
		return p.parseString()
	}
	return p.parseIdentifier()
}

// isIDStart is ES5 IdentifierStart without the escape form.
func isIDStart(r rune) bool {
	if r == '$' || r == '_' {
		return true
	}
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	return unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt, unicode.Lm, unicode.Lo, unicode.Nl)
}

// isIDPart is ES5 IdentifierPart without the escape form.
func isIDPart(r rune) bool {
	if isIDStart(r) {
		return true
	}
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return r == 0x200C || r == 0x200D || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc)
}

func (p *parser) parseIdentifier() (string, error) {
	var sb strings.Builder
	first := true
	for p.off < len(p.data) {
		at := p.pos()
		var r rune
		n := 1
		if p.data[p.off] == '\\' {
			p.ext = true
			if p.off+1 >= len(p.data) || p.data[p.off+1] != 'u' {
				return "", p.errAt(at, "invalid escape in identifier (only \\uXXXX)")
			}
			u, ok := hex4(p.data[p.off+2:])
			if !ok {
				return "", p.errAt(at, "invalid \\u escape in identifier")
			}
			r, n = u, 6
		} else {
			var size int
			r, size = utf8.DecodeRune(p.data[p.off:])
			if r == utf8.RuneError {
				break
			}
			n = size
			if r >= utf8.RuneSelf {
				p.ext = true
			}
		}
		ok := isIDPart(r)
		if first {
			ok = isIDStart(r)
		}
		if !ok {
			if p.data[p.off] == '\\' {
				return "", p.errAt(at, "escape %U is not an identifier character", r)
			}
			break
		}
		first = false
		sb.WriteRune(r)
		p.off += n
	}
	if first {
		return "", p.unexpected("looking for beginning of object key")
	}
	// The oracle only ends an unquoted key at ':' or ASCII space.
	if p.off < len(p.data) && p.data[p.off] != ':' && p.data[p.off] != ' ' && p.data[p.off] != '\t' && p.data[p.off] != '\n' && p.data[p.off] != '\r' && p.data[p.off] != '\f' {
		p.ext = true
	}
	return sb.String(), nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		d, ok := hexVal(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseString parses a single- or double-quoted string at p.off. Invalid
// UTF-8 becomes U+FFFD and lone surrogates from \u escapes become U+FFFD,
// since Go strings hold UTF-8 (Node would keep them as UTF-16 units).
func (p *parser) parseString() (string, error) {
	start := p.pos()
	quote := p.data[p.off]
	p.off++
	var sb strings.Builder
	for {
		if p.off >= len(p.data) {
			return "", p.errAt(start, "unterminated string")
		}
		c := p.data[p.off]
		switch {
		case c == quote:
			p.off++
			return sb.String(), nil
		case c == '\\':
			if err := p.parseEscape(&sb); err != nil {
				return "", err
			}
		case c == '\n' || c == '\r':
			return "", p.errHere("unescaped line break in string")
		case c < 0x20:
			p.ext = true
			sb.WriteByte(c)
			p.off++
		case c < utf8.RuneSelf:
			sb.WriteByte(c)
			p.off++
		default:
			r, n := utf8.DecodeRune(p.data[p.off:])
			if r == 0x2028 || r == 0x2029 {
				p.ext = true
			}
			sb.WriteRune(r) // RuneError for invalid bytes, as encoding/json does
			p.off += n
		}
	}
}

func (p *parser) parseEscape(sb *strings.Builder) error {
	at := p.pos()
	p.off++ // backslash
	if p.off >= len(p.data) {
		return p.errAt(at, "unterminated string")
	}
	c := p.data[p.off]
	switch c {
	case '\'', '"', '\\', '/':
		sb.WriteByte(c)
	case 'b':
		sb.WriteByte('\b')
	case 'f':
		sb.WriteByte('\f')
	case 'n':
		sb.WriteByte('\n')
	case 'r':
		sb.WriteByte('\r')
	case 't':
		sb.WriteByte('\t')
	case 'v':
		p.ext = true
		sb.WriteByte('\v')
	case '0':
		if p.off+1 < len(p.data) && '0' <= p.data[p.off+1] && p.data[p.off+1] <= '9' {
			return p.errAt(at, "invalid escape \\0 followed by a digit")
		}
		p.ext = true
		sb.WriteByte(0)
	case '\n':
		p.off++
		p.newline()
		return nil
	case '\r':
		p.off++
		if p.off < len(p.data) && p.data[p.off] == '\n' {
			p.off++
		}
		p.newline()
		return nil
	case 'x':
		p.ext = true
		if p.off+2 >= len(p.data) {
			return p.errAt(at, "invalid \\x escape")
		}
		h, ok1 := hexVal(p.data[p.off+1])
		l, ok2 := hexVal(p.data[p.off+2])
		if !ok1 || !ok2 {
			return p.errAt(at, "invalid \\x escape")
		}
		sb.WriteRune(rune(h)<<4 | rune(l))
		p.off += 3
		return nil
	case 'u':
		r, ok := hex4(p.data[p.off+1:])
		if !ok {
			return p.errAt(at, "invalid \\u escape")
		}
		p.off += 5
		if utf16.IsSurrogate(r) {
			if p.off+1 < len(p.data) && p.data[p.off] == '\\' && p.data[p.off+1] == 'u' {
				if r2, ok := hex4(p.data[p.off+2:]); ok {
					if d := utf16.DecodeRune(r, r2); d != unicode.ReplacementChar {
						sb.WriteRune(d)
						p.off += 6
						return nil
					}
				}
			}
			r = unicode.ReplacementChar
		}
		sb.WriteRune(r)
		return nil
	default:
		if '1' <= c && c <= '9' {
			return p.errAt(at, "invalid escape \\%c", c)
		}
		// JSON5 keeps any other character as itself (identity escape),
		// including U+2028/U+2029, which act as line continuations.
		p.ext = true
		r, n := utf8.DecodeRune(p.data[p.off:])
		p.off += n
		if r == 0x2028 || r == 0x2029 {
			p.newline()
			return nil
		}
		sb.WriteRune(r)
		return nil
	}
	p.off++
	return nil
}

func (p *parser) parseNumber(start Pos) (*Value, error) {
	neg := false
	signed := false
	if c := p.data[p.off]; c == '+' || c == '-' {
		neg = c == '-'
		signed = true
		p.off++
	}
	if p.off >= len(p.data) {
		return nil, p.errAt(start, "invalid number")
	}
	sign := 1.0
	if neg {
		sign = -1
	}
	switch c := p.data[p.off]; {
	case c == 'I':
		v, err := p.literal(start, "Infinity", &Value{Kind: Number})
		if err != nil {
			return nil, err
		}
		v.Num = math.Inf(int(sign))
		v.Pos = start
		return v, nil
	case c == 'N':
		if signed {
			p.ext = true
		}
		v, err := p.literal(start, "NaN", &Value{Kind: Number, Num: math.NaN()})
		if err != nil {
			return nil, err
		}
		v.Pos = start
		return v, nil
	case c == '0' && p.off+1 < len(p.data) && (p.data[p.off+1] == 'x' || p.data[p.off+1] == 'X'):
		p.off += 2
		ds := p.off
		for p.off < len(p.data) {
			if _, ok := hexVal(p.data[p.off]); !ok {
				break
			}
			p.off++
		}
		if p.off == ds {
			return nil, p.unexpected("in hexadecimal number")
		}
		if err := p.checkAfterLiteral(); err != nil {
			return nil, err
		}
		digits := string(p.data[ds:p.off])
		var f float64
		if u, err := strconv.ParseUint(digits, 16, 64); err == nil && u <= math.MaxInt64 {
			f = float64(u)
		} else {
			p.ext = true // beyond int64: the oracle rejects, JSON5 rounds
			bi, _ := new(big.Int).SetString(digits, 16)
			f, _ = new(big.Float).SetInt(bi).Float64()
		}
		return &Value{Kind: Number, Num: sign * f, Pos: start, End: p.off}, nil
	}
	// Decimal: int? (. digits?)? exp?, with at least one digit before the
	// exponent; no leading zeros.
	ns := p.off
	if signed && p.data[p.off] == '.' {
		p.ext = true // the oracle mis-scans "+.0x" forms
	}
	intDigits := p.digits()
	if intDigits > 1 && p.data[ns] == '0' {
		return nil, p.errAt(start, "invalid number: leading zero")
	}
	fracDigits := 0
	if p.off < len(p.data) && p.data[p.off] == '.' {
		p.off++
		fracDigits = p.digits()
	}
	if intDigits == 0 && fracDigits == 0 {
		return nil, p.errAt(start, "invalid number")
	}
	if p.off < len(p.data) && (p.data[p.off] == 'e' || p.data[p.off] == 'E') {
		p.off++
		if p.off < len(p.data) && (p.data[p.off] == '+' || p.data[p.off] == '-') {
			p.off++
		}
		if p.digits() == 0 {
			return nil, p.unexpected("in exponent of number")
		}
	}
	if err := p.checkAfterLiteral(); err != nil {
		return nil, err
	}
	f, err := strconv.ParseFloat(string(p.data[ns:p.off]), 64)
	if err != nil {
		// Only ErrRange is possible here: JS rounds to ±Infinity or 0,
		// as ParseFloat's result already does.
		p.ext = true
	}
	return &Value{Kind: Number, Num: sign * f, Pos: start, End: p.off}, nil
}

func (p *parser) digits() int {
	n := 0
	for p.off < len(p.data) && '0' <= p.data[p.off] && p.data[p.off] <= '9' {
		p.off++
		n++
	}
	return n
}
