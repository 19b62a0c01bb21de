package remediate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	tjson5 "github.com/titanous/json5"

	"github.com/clawgov/clawgov/internal/json5"
)

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := tjson5.Unmarshal(b, &v); err != nil {
		t.Fatalf("result is not JSON5: %v\n%s", err, b)
	}
	return v
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSetOp(t *testing.T) {
	cases := []struct {
		name, in string
		path     []string
		val      any
		want     string
		sem      string // expected decoded value as JSON
	}{
		{
			name: "replace keeps comments",
			in:   "// top\n{\n  gateway: {\n    bind: \"lan\", // exposed!\n    port: 18789,\n  },\n}\n",
			path: []string{"gateway", "bind"}, val: "loopback",
			want: "// top\n{\n  gateway: {\n    bind: \"loopback\", // exposed!\n    port: 18789,\n  },\n}\n",
		},
		{
			name: "insert into multi-line object with trailing commas",
			in:   "{\n  gateway: {\n    mode: \"local\", // m\n  },\n}\n",
			path: []string{"gateway", "bind"}, val: "loopback",
			want: "{\n  gateway: {\n    mode: \"local\", // m\n    bind: \"loopback\",\n  },\n}\n",
		},
		{
			name: "insert without trailing comma",
			in:   "{\n\t\"gateway\": {\n\t\t\"mode\": \"local\"\n\t}\n}",
			path: []string{"gateway", "bind"}, val: "loopback",
			want: "{\n\t\"gateway\": {\n\t\t\"mode\": \"local\",\n\t\t\"bind\": \"loopback\"\n\t}\n}",
		},
		{
			name: "insert into inline object",
			in:   "{ gateway: { mode: 'local' } }",
			path: []string{"gateway", "terminal", "enabled"}, val: false,
			sem: `{"gateway":{"mode":"local","terminal":{"enabled":false}}}`,
		},
		{
			name: "insert intermediate objects",
			in:   "{\n  // c1\n  gateway: {\n    mode: \"local\",\n  },\n}\n",
			path: []string{"gateway", "nodes", "pairing", "autoApproveLocal"}, val: false,
			want: "{\n  // c1\n  gateway: {\n    mode: \"local\",\n    nodes: {\n      pairing: {\n        autoApproveLocal: false,\n      },\n    },\n  },\n}\n",
		},
		{
			name: "insert into empty object",
			in:   "{\n  tools: {},\n}\n",
			path: []string{"tools", "exec", "mode"}, val: "ask",
			want: "{\n  tools: {\n    exec: {\n      mode: \"ask\",\n    },\n  },\n}\n",
		},
		{
			name: "insert top-level key into empty root",
			in:   "{}",
			path: []string{"logging", "level"}, val: "info",
			sem: `{"logging":{"level":"info"}}`,
		},
		{
			name: "replace scalar with secretref inline",
			in:   "{\n  gateway: { auth: { mode: \"token\", token: \"weak\" } },\n}\n",
			path: []string{"gateway", "auth", "token"},
			val:  newObj(true, "source", "env", "provider", "default", "id", "OPENCLAW_GATEWAY_TOKEN"),
			want: "{\n  gateway: { auth: { mode: \"token\", token: { source: \"env\", provider: \"default\", id: \"OPENCLAW_GATEWAY_TOKEN\" } } },\n}\n",
		},
		{
			name: "single quotes style kept",
			in:   "{\n  a: 'x',\n  b: 'y',\n}",
			path: []string{"c"}, val: "it's",
			want: "{\n  a: 'x',\n  b: 'y',\n  c: 'it\\'s',\n}",
		},
		{
			name: "last member followed by closing brace on the same line",
			in:   "{\n  a: 1 }",
			path: []string{"b"}, val: true,
			sem: `{"a":1,"b":true}`,
		},
		{
			name: "object with only a comment",
			in:   "{\n  gateway: { /* nothing yet */ },\n}",
			path: []string{"gateway", "bind"}, val: "loopback",
			sem: `{"gateway":{"bind":"loopback"}}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := setOp{path: keySegs(c.path...), value: c.val}.apply("f.json5", []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if c.want != "" && string(out) != c.want {
				t.Fatalf("got:\n%s\nwant:\n%s", out, c.want)
			}
			if c.sem != "" && !reflect.DeepEqual(decode(t, out), mustJSON(t, c.sem)) {
				t.Fatalf("decoded %v, want %s\n%s", decode(t, out), c.sem, out)
			}
			// Applying again is a no-op (idempotent edit).
			again, err := setOp{path: keySegs(c.path...), value: c.val}.apply("f.json5", out)
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(out) {
				t.Fatalf("second apply changed the text:\n%s\n->\n%s", out, again)
			}
		})
	}
}

func TestSetOpErrors(t *testing.T) {
	if _, err := (setOp{path: keySegs("gateway", "bind"), value: "loopback"}).apply("f", []byte(`{gateway: "x"}`)); err == nil {
		t.Fatal("want error when a parent is not an object")
	}
	if _, err := (setOp{path: keySegs("a"), value: 1}).apply("f", []byte(`{a: `)); err == nil {
		t.Fatal("want parse error")
	}
}

func TestDropOp(t *testing.T) {
	star := func(v *json5.Value) bool { s, _ := v.AsString(); return s == "*" }
	cases := []struct{ in, want string }{
		{`{o: ["*"]}`, `{o: []}`},
		{`{o: ["a", "*"]}`, `{o: ["a"]}`},
		{`{o: ["*", "a"]}`, `{o: ["a"]}`},
		{`{o: ["a", "*", "b"]}`, `{o: ["a", "b"]}`},
		{`{o: ["*", "*",]}`, `{o: []}`},
		{"{\n  o: [\n    \"a\",\n    \"*\", // any\n    \"*\",\n  ],\n}", "{\n  o: [\n    \"a\",\n    \"*\", // any\n  ],\n}"},
		{"{\n  o: [\n    \"*\",\n    \"https://x\"\n  ],\n}", "{\n  o: [\n    \"https://x\"\n  ],\n}"},
		{`{o: ["a"]}`, `{o: ["a"]}`},
	}
	for _, c := range cases {
		out, err := dropOp{path: keySegs("o"), drop: star}.apply("f", []byte(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		// The commented element keeps its comment on its line, so it is
		// removed only when nothing else is on the line.
		if c.in[0] == '{' && c.in[1] == '\n' && c.want != string(out) {
			root, _ := json5.Parse("f", out)
			if root == nil || len(root.Lookup("o").Elems) != 1 {
				t.Fatalf("%q -> %q", c.in, out)
			}
			continue
		}
		if string(out) != c.want {
			t.Fatalf("%q -> %q, want %q", c.in, out, c.want)
		}
		decode(t, out)
	}
}

func TestPathAt(t *testing.T) {
	data := []byte(`{a: {b: [1, {c: "x"}]}, a2: 1}`)
	root, err := json5.Parse("f", data)
	if err != nil {
		t.Fatal(err)
	}
	v := root.Lookup("a.b.1.c")
	p, ok := pathAt(root, v.Pos.Offset, json5.String)
	if !ok || segsString(p) != "a.b.1.c" {
		t.Fatalf("got %v %v", p, ok)
	}
	if _, ok := pathAt(root, v.Pos.Offset, json5.Number); ok {
		t.Fatal("kind must match")
	}
	dup := []byte(`{a: 1, a: 2}`)
	root, _ = json5.Parse("f", dup)
	if _, ok := pathAt(root, 4, json5.Number); ok {
		t.Fatal("shadowed duplicate must not be addressable")
	}
}

// FuzzSetOp: on any JSON5 text that parses, setting a key either fails
// cleanly or yields JSON5 that parses, holds the new value, and keeps
// every other top-level key.
func FuzzSetOp(f *testing.F) {
	for _, s := range []string{
		"{}", "{\n}", "// c\n{\n  a: 1,\n}\n", "{a: {b: 'x'}}", `{"gateway": {"bind": "lan"}}`,
		"{\n  gateway: { /* c */ },\n}", "{\n\tgateway: {\n\t\tmode: 'local' // m\n\t}\n}", "{ gateway: { auth: { mode: 'none' } }, x: [1,2,], }",
		"{a: 1, a: 2}", "{gateway: 1}", "[]",
	} {
		f.Add(s, "gateway.terminal.enabled")
		f.Add(s, "a")
	}
	f.Fuzz(func(t *testing.T, in, keyPath string) {
		// Keys come from clawgov's own fixes: valid UTF-8.
		if len(in) > 4096 || keyPath == "" || len(keyPath) > 64 || !utf8.ValidString(keyPath) {
			return
		}
		root, err := json5.Parse("f", []byte(in))
		if err != nil || root.Kind != json5.Object {
			return
		}
		keys := strings.Split(keyPath, ".")
		for _, k := range keys {
			if k == "" || k == "__proto__" {
				return
			}
		}
		out, err := setOp{path: keySegs(keys...), value: "v\"'\n"}.apply("f", []byte(in))
		if err != nil {
			return
		}
		got, err := json5.Parse("f", out)
		if err != nil {
			t.Fatalf("edit broke the file: %v\n%q\n->\n%q", err, in, out)
		}
		v := got
		for _, k := range keys {
			v = v.Get(k)
		}
		if s, ok := v.AsString(); !ok || s != "v\"'\n" {
			t.Fatalf("value not set: %q -> %q", in, out)
		}
		for _, k := range root.Keys() {
			if k != keys[0] && got.Get(k) == nil {
				t.Fatalf("key %q lost: %q -> %q", k, in, out)
			}
		}
	})
}

// FuzzDropOp: removing wildcard elements from an array keeps the file
// parseable and keeps every other element in order.
func FuzzDropOp(f *testing.F) {
	for _, s := range []string{`{o: ["*"]}`, "{\n  o: [\n    \"*\", // c\n    \"a\",\n  ],\n}", `{o: ["a", "*", 'b', "*",]}`, `{o: [/*x*/"*"/*y*/, "a"]}`, `{o: []}`, `{o: 1}`} {
		f.Add(s)
	}
	star := func(v *json5.Value) bool { s, ok := v.AsString(); return ok && s == "*" }
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 4096 {
			return
		}
		root, err := json5.Parse("f", []byte(in))
		if err != nil || root.Kind != json5.Object || root.Get("o") == nil || root.Get("o").Kind != json5.Array {
			return
		}
		var want []string
		for _, e := range root.Get("o").Elems {
			if !star(e) {
				want = append(want, showValue(e))
			}
		}
		out, err := dropOp{path: keySegs("o"), drop: star}.apply("f", []byte(in))
		if err != nil {
			t.Fatalf("drop failed: %v", err)
		}
		got, err := json5.Parse("f", out)
		if err != nil {
			t.Fatalf("drop broke the file: %v\n%q\n->\n%q", err, in, out)
		}
		var have []string
		for _, e := range got.Get("o").Elems {
			have = append(have, showValue(e))
		}
		if strings.Join(have, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("elements %v, want %v\n%q -> %q", have, want, in, out)
		}
	})
}
