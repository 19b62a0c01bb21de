package json5

import (
	"bytes"
	"errors"
	"math"
	"testing"

	oracle "github.com/titanous/json5"
)

// FuzzParse compares Parse with github.com/titanous/json5, which
// implements a subset of JSON5:
//
//   - When Parse accepts input that stays inside the oracle's subset
//     (p.ext unset), the oracle must accept it with an equal value.
//   - When the oracle accepts, Parse must accept with an equal value,
//     except for inputs with block comments: the oracle ends a block
//     comment at any '/' after a '*' ("/* * / 1" is a comment to it),
//     it accepts a top-level value followed by a lone '/' or an
//     unterminated "/*" at end of input, and it does not end a line
//     comment at U+2028/U+2029.
//
// Every accepted value's span must also be its exact source text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `{a:1,'b':"c",}`, `[1,.5,5.,+1,-0x1F,Infinity,-Infinity,NaN]`,
		"// c\n{/* x */a:1}", `"\u00e9\n\t\\"`, "'line\\\ncont'", `{"a":{"b":[true,false,null]}}`,
		`"\x41\0\v"`, `{ключ:1}`, `1e400`, `0x10000000000000000`, `[1 2]`, `{a:}`, `01`, `.e1`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &parser{file: "f", data: data, line: 1}
		v, err := p.parseDocument()
		var se *SyntaxError
		if err != nil && errors.As(err, &se) && se.Limit {
			return
		}
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if err != nil && bytes.ContainsAny([]byte(err.Error()), "\n\r") {
			t.Fatalf("multi-line error %q", err.Error())
		}
		var want any
		oerr := oracle.Unmarshal(data, &want)
		switch {
		case err == nil && oerr == nil:
			if !equalOracle(v, want) {
				t.Fatalf("value mismatch for %q: ours %#v, oracle %#v", data, plain(v), want)
			}
		case err == nil && oerr != nil:
			if !p.ext {
				t.Fatalf("we accept %q, oracle rejects: %v", data, oerr)
			}
		case err != nil && oerr == nil:
			if !oracleQuirk(data) {
				t.Fatalf("oracle accepts %q, we reject: %v", data, err)
			}
		}
		if err == nil {
			checkSpans(t, data, v)
		}
	})
}

func equalOracle(v *Value, o any) bool {
	switch v.Kind {
	case Null:
		return o == nil
	case Bool:
		b, ok := o.(bool)
		return ok && b == v.Bool
	case Number:
		n, ok := o.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(v.Num) {
			return math.IsNaN(n)
		}
		return n == v.Num
	case String:
		s, ok := o.(string)
		return ok && s == v.Str
	case Array:
		a, ok := o.([]any)
		if !ok || len(a) != len(v.Elems) {
			return false
		}
		for i, e := range v.Elems {
			if !equalOracle(e, a[i]) {
				return false
			}
		}
		return true
	case Object:
		m, ok := o.(map[string]any)
		if !ok || len(m) != len(v.Keys()) {
			return false
		}
		for _, k := range v.Keys() {
			ov, ok := m[k]
			if !ok || !equalOracle(v.Get(k), ov) {
				return false
			}
		}
		return true
	}
	return false
}

// oracleQuirk reports inputs where the oracle is known to accept invalid
// JSON5 (see FuzzParse).
func oracleQuirk(data []byte) bool {
	return bytes.Contains(data, []byte("/*")) || bytes.HasSuffix(data, []byte("/")) ||
		// U+2028/U+2029 end a // comment in JSON5, not for the oracle.
		(bytes.Contains(data, []byte("//")) && (bytes.Contains(data, []byte("\u2028")) || bytes.Contains(data, []byte("\u2029"))))
}
