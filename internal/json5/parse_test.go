package json5

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// plain converts a Value to plain Go values (map keys: last wins) so
// tests can compare trees with a literal.
func plain(v *Value) any {
	switch v.Kind {
	case Null:
		return nil
	case Bool:
		return v.Bool
	case Number:
		return v.Num
	case String:
		return v.Str
	case Array:
		out := []any{}
		for _, e := range v.Elems {
			out = append(out, plain(e))
		}
		return out
	case Object:
		out := map[string]any{}
		for _, m := range v.Members {
			out[m.Key] = plain(m.Value)
		}
		return out
	}
	panic("bad kind")
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"null", `null`, nil},
		{"true", ` true `, true},
		{"false", `false`, false},
		{"int", `42`, 42.0},
		{"neg", `-42`, -42.0},
		{"leading plus", `+1`, 1.0},
		{"leading dot", `.5`, 0.5},
		{"trailing dot", `5.`, 5.0},
		{"trailing dot exp", `5.e2`, 500.0},
		{"exp", `1.5E-3`, 0.0015},
		{"hex", `0xFF`, 255.0},
		{"hex upper X neg", `-0X1a`, -26.0},
		{"hex huge", `0x10000000000000000`, 18446744073709551616.0},
		{"inf", `Infinity`, math.Inf(1)},
		{"+inf", `+Infinity`, math.Inf(1)},
		{"-inf", `-Infinity`, math.Inf(-1)},
		{"zero", `0`, 0.0},
		{"overflow", `1e400`, math.Inf(1)},
		{"double string", `"a\"b"`, `a"b`},
		{"single string", `'it\'s "x"'`, `it's "x"`},
		{"escapes", `"\b\f\n\r\t\v\0\\\/"`, "\b\f\n\r\t\v\x00\\/"},
		{"hex escape", `"\x41\xe9"`, "Aé"},
		{"unicode escape", `"\u00e9\u4e2d"`, "é中"},
		{"surrogate pair", `"\ud83d\ude00"`, "😀"},
		{"lone surrogate", `"\ud83d!"`, "\uFFFD!"},
		{"identity escape", `"\a\q\Z"`, "aqZ"},
		{"line continuation LF", "'ab\\\ncd'", "abcd"},
		{"line continuation CRLF", "'ab\\\r\ncd'", "abcd"},
		{"line continuation CR", "'ab\\\rcd'", "abcd"},
		{"raw tab", "'a\tb'", "a\tb"},
		{"raw U+2028", "'a\u2028b'", "a\u2028b"},
		{"invalid utf8", "'a\xffb'", "a\uFFFDb"},
		{"empty array", `[]`, []any{}},
		{"trailing comma array", `[1,2,]`, []any{1.0, 2.0}},
		{"nested", `{a:[{b:null}]}`, map[string]any{"a": []any{map[string]any{"b": nil}}}},
		{"trailing comma object", `{a:1,}`, map[string]any{"a": 1.0}},
		{"quoted keys", `{"a b":1,'c':2}`, map[string]any{"a b": 1.0, "c": 2.0}},
		{"ident keys", `{$x:1,_y:2,z9:3,null:4,Infinity:5}`, map[string]any{"$x": 1.0, "_y": 2.0, "z9": 3.0, "null": 4.0, "Infinity": 5.0}},
		{"unicode ident key", `{ключ:1}`, map[string]any{"ключ": 1.0}},
		{"escaped ident key", `{\u0061b:1}`, map[string]any{"ab": 1.0}},
		{"duplicate keys last wins", `{a:1,a:2}`, map[string]any{"a": 2.0}},
		{"comments", "// c\n{/* x */a/*y*/:/*z*/1 // t\n,}/* end */", map[string]any{"a": 1.0}},
		{"line comment at eof", "1 // c", 1.0},
		{"block comment stars", "/** a * b **/ 1", 1.0},
		{"unicode spaces", "\uFEFF\u00a0\u2003[\u20281\u2029]", []any{1.0}},
		{"vt ff", "\v\f1", 1.0},
		{"crlf", "{\r\na: 1,\r\n}", map[string]any{"a": 1.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Parse("t.json5", []byte(tt.in))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !deepEqual(plain(v), tt.want) {
				t.Fatalf("Parse(%q) = %#v, want %#v", tt.in, plain(v), tt.want)
			}
			checkSpans(t, []byte(tt.in), v)
		})
	}
}

func TestParseNaN(t *testing.T) {
	for _, in := range []string{"NaN", "-NaN", "+NaN"} {
		v, err := Parse("", []byte(in))
		if err != nil || v.Kind != Number || !math.IsNaN(v.Num) {
			t.Fatalf("%s: %v %v", in, v, err)
		}
	}
}

func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y)) && math.Signbit(x) == math.Signbit(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !deepEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k := range x {
			if _, ok := y[k]; !ok || !deepEqual(x[k], y[k]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantPos string // "line:col"
		wantMsg string
	}{
		{``, "1:1", "empty document"},
		{"  \n  ", "2:3", "empty document"},
		{`{`, "1:1", "unterminated object"},
		{`[1,`, "1:1", "unterminated array"},
		{`[1 2]`, "1:4", "after array element"},
		{`{a 1}`, "1:4", "after object key"},
		{`{1:2}`, "1:2", "object key"},
		{`{"a":1 "b":2}`, "1:8", "after object member"},
		{"{\n  a: tru\n}", "2:6", "expected true"},
		{`truex`, "1:5", "after literal"},
		{`01`, "1:1", "leading zero"},
		{`1.5.3`, "1:4", "after top-level value"},
		{`.`, "1:1", "invalid number"},
		{`.e5`, "1:1", "invalid number"},
		{`1e`, "1:3", "exponent"},
		{`0x`, "1:3", "hexadecimal"},
		{`0xg`, "1:3", "hexadecimal"},
		{`-`, "1:1", "invalid number"},
		{`+-1`, "1:1", "invalid number"},
		{`"abc`, "1:1", "unterminated string"},
		{"'a\nb'", "1:3", "line break"},
		{`"\x4"`, "1:2", `\x escape`},
		{`"\u12"`, "1:2", `\u escape`},
		{`"\01"`, "1:2", `\0`},
		{`"\7"`, "1:2", `escape \7`},
		{`/* open`, "1:1", "unterminated /* comment"},
		{`/ 1`, "1:1", "comment"},
		{`[,]`, "1:2", "beginning of value"},
		{`{,}`, "1:2", "object key"},
		{`undefined`, "1:1", "beginning of value"},
		{`{a-b:1}`, "1:3", "after object key"},
		{`{\u0031:1}`, "1:2", "identifier"},
		{"\x00", "1:1", `'\x00'`},
		{"[\n\n   @]", "3:4", `'@'`},
	}
	for _, tt := range tests {
		_, err := Parse("cfg.json5", []byte(tt.in))
		if err == nil {
			t.Errorf("Parse(%q): no error", tt.in)
			continue
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\n\r") {
			t.Errorf("Parse(%q): error not one line: %q", tt.in, msg)
		}
		if want := "cfg.json5:" + tt.wantPos + ": "; !strings.HasPrefix(msg, want) {
			t.Errorf("Parse(%q) = %q, want prefix %q", tt.in, msg, want)
		}
		if !strings.Contains(msg, tt.wantMsg) {
			t.Errorf("Parse(%q) = %q, want it to mention %q", tt.in, msg, tt.wantMsg)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): error is %T, want *SyntaxError", tt.in, err)
		}
	}
}

// checkSpans asserts that every value's span is its exact source text and
// that positions agree with offsets.
func checkSpans(t *testing.T, data []byte, v *Value) {
	t.Helper()
	var walk func(v *Value)
	walk = func(v *Value) {
		if v.Pos.Offset < 0 || v.End > len(data) || v.Pos.Offset >= v.End {
			t.Fatalf("bad span [%d,%d) in %q", v.Pos.Offset, v.End, data)
		}
		src := string(data[v.Pos.Offset:v.End])
		checkPos(t, data, v.Pos)
		// Re-parsing the span alone must give the same value.
		again, err := Parse("", []byte(src))
		if err != nil {
			t.Fatalf("span %q of %q does not parse: %v", src, data, err)
		}
		if !deepEqual(plain(again), plain(v)) {
			t.Fatalf("span %q reparses to %#v, want %#v", src, plain(again), plain(v))
		}
		switch v.Kind {
		case Object:
			if src[0] != '{' || src[len(src)-1] != '}' {
				t.Fatalf("object span %q", src)
			}
			for _, m := range v.Members {
				checkPos(t, data, m.KeyPos)
				if m.KeyPos.Offset >= m.Value.Pos.Offset || m.KeyPos.Offset <= v.Pos.Offset {
					t.Fatalf("key %q pos %d outside object/after value", m.Key, m.KeyPos.Offset)
				}
				walk(m.Value)
			}
		case Array:
			if src[0] != '[' || src[len(src)-1] != ']' {
				t.Fatalf("array span %q", src)
			}
			for _, e := range v.Elems {
				walk(e)
			}
		}
	}
	walk(v)
}

// checkPos recomputes line and column from the offset.
func checkPos(t *testing.T, data []byte, p Pos) {
	t.Helper()
	line, ls := 1, 0
	for i := 0; i < p.Offset; i++ {
		switch data[i] {
		case '\n':
			line, ls = line+1, i+1
		case '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				continue
			}
			line, ls = line+1, i+1
		default:
			if i+2 < len(data) && data[i] == 0xE2 && data[i+1] == 0x80 && (data[i+2] == 0xA8 || data[i+2] == 0xA9) {
				line, ls = line+1, i+3
			}
		}
	}
	if p.Line != line || p.Col != p.Offset-ls+1 {
		t.Fatalf("pos %+v: want line %d col %d", p, line, p.Offset-ls+1)
	}
}

func TestPositions(t *testing.T) {
	src := "// header\n{\n  gateway: {\n    bind: 'lan', // x\n    port: 18789,\n  },\n  \"list\": [1, {id: \"a\"}],\n}\n"
	v, err := Parse("openclaw.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	checkSpans(t, []byte(src), v)
	bind := v.Lookup("gateway.bind")
	if bind.Pos.Line != 4 || bind.Pos.Col != 11 || bind.Pos.File != "openclaw.json" {
		t.Fatalf("bind pos %+v", bind.Pos)
	}
	if got := src[bind.Pos.Offset:bind.End]; got != "'lan'" {
		t.Fatalf("bind span %q", got)
	}
	gw := v.Members[0]
	if gw.Key != "gateway" || gw.KeyPos.Line != 3 || gw.KeyPos.Col != 3 {
		t.Fatalf("gateway key pos %+v", gw.KeyPos)
	}
	list := v.Members[1]
	if list.KeyPos.Col != 3 || list.KeyPos.Line != 7 {
		t.Fatalf("list key pos %+v", list.KeyPos)
	}
	if got := src[v.Lookup("list.1.id").Pos.Offset:v.Lookup("list.1.id").End]; got != `"a"` {
		t.Fatalf("id span %q", got)
	}
	// Replacing one value's bytes (what `clawgov fix` does) keeps the rest.
	fixed := src[:bind.Pos.Offset] + "'loopback'" + src[bind.End:]
	v2, err := Parse("openclaw.json", []byte(fixed))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := v2.Lookup("gateway.bind").AsString(); s != "loopback" || !strings.Contains(fixed, "// x") {
		t.Fatalf("fix by span failed: %q", fixed)
	}
}

func TestDepthLimit(t *testing.T) {
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := Parse("", []byte(ok)); err != nil {
		t.Fatalf("depth %d rejected: %v", MaxDepth, err)
	}
	deep := strings.Repeat("[{a:", 1_000_000)
	_, err := Parse("deep.json5", []byte(deep))
	var se *SyntaxError
	if !errors.As(err, &se) || !se.Limit || !strings.HasPrefix(err.Error(), "deep.json5:1:") {
		t.Fatalf("deep input: %v", err)
	}
}

func TestLargeInput(t *testing.T) {
	// 1 MiB array of small objects and a 4 MiB string parse in bounded
	// time without recursion trouble.
	var sb strings.Builder
	sb.WriteString("[")
	for sb.Len() < 1<<20 {
		sb.WriteString("{a:1,'b':\"x\"},\n")
	}
	sb.WriteString("]")
	start := time.Now()
	v, err := Parse("big", []byte(sb.String()))
	if err != nil || len(v.Elems) < 10000 {
		t.Fatalf("big: %v", err)
	}
	if _, err := Parse("str", []byte(`"`+strings.Repeat("x", 4<<20)+`"`)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("too slow: %v", d)
	}
}
