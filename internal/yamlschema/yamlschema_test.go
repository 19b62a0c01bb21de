package yamlschema

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/clawgov/clawgov/schema"
)

const testSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object", "additionalProperties": false, "required": ["version"],
  "properties": {
    "version": {"const": 1},
    "mode": {"enum": ["a", "b"]},
    "only": {"enum": ["x"]},
    "name": {"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"},
    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
    "url": {"type": "string", "format": "uri"},
    "list": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}},
    "map": {"type": "object", "minProperties": 1, "propertyNames": {"pattern": "^[a-z]+$"}, "additionalProperties": {"type": "string"}},
    "either": {"type": "object", "anyOf": [{"required": ["p"]}, {"required": ["q"]}]},
    "multi": {"type": ["string", "null"]}
  },
  "$defs": {"item": {"type": "object", "additionalProperties": false, "required": ["k", "v"], "properties": {"k": {"type": "string"}, "v": {"type": "boolean"}}}}
}`

func mustCompile(t testing.TB, doc string, opts Options) *Schema {
	t.Helper()
	s, err := Compile([]byte(doc), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func check(t *testing.T, s *Schema, doc string) string {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatalf("%q: %v", doc, err)
	}
	vs, err := s.Validate(&n)
	if err != nil {
		return "structure: " + err.Error()
	}
	line, msg := Summary(vs)
	if msg == "" {
		return ""
	}
	return strconv.Itoa(line) + ": " + msg
}

// TestKeywords holds one passing and one failing document per keyword,
// with the message and line the user sees.
func TestKeywords(t *testing.T) {
	s := mustCompile(t, testSchema, Options{AssertFormat: true})
	cases := []struct{ doc, want string }{
		{"version: 1\n", ""},
		{"version: 2\n", "1: version: value must be 1"},
		{"version: '1'\n", "1: version: value must be 1"},
		{"version: 1.0\n", ""},
		{"other: 1\n", "1: (top level): missing property 'version' (and 1 more)"},
		{"version: 1\nzz: 1\nyy: 2\n", "1: (top level): additional properties 'zz', 'yy' not allowed"},
		{"version: 1\nmode: b\n", ""},
		{"version: 1\nmode: c\n", "2: mode: value must be one of 'a', 'b'"},
		{"version: 1\nonly: y\n", "2: only: value must be 'x'"},
		{"version: 1\nname: abc\n", ""},
		{"version: 1\nname: a\n", "2: name: minLength: got 1, want 2"},
		{"version: 1\nname: abcde\n", "2: name: maxLength: got 5, want 4"},
		{"version: 1\nname: 汉字\n", "2: name: '汉字' does not match pattern '^[a-z]+$'"},
		{"version: 1\nname: 12\n", "2: name: got number, want string"},
		{"version: 1\nport: 443\n", ""},
		{"version: 1\nport: 0\n", "2: port: minimum: got 0, want 1"},
		{"version: 1\nport: 70000\n", "2: port: maximum: got 70000, want 65535"},
		{"version: 1\nport: 1.5\n", "2: port: got number, want integer"},
		{"version: 1\nurl: https://example.com/x\n", ""},
		{"version: 1\nurl: example.com/x\n", "2: url: 'example.com/x' is not valid uri: relative url"},
		{"version: 1\nlist:\n  - {k: a, v: true}\n", ""},
		{"version: 1\nlist: []\n", "2: list: minItems: got 0, want 1"},
		{"version: 1\nlist:\n  - {k: a, v: true}\n  - {k: a}\n", "4: list.1: missing property 'v'"},
		{"version: 1\nlist:\n  - {k: a, v: 'yes'}\n", "3: list.0.v: got string, want boolean"},
		{"version: 1\nmap: {ab: x}\n", ""},
		{"version: 1\nmap: {}\n", "2: map: minProperties: got 0, want 1"},
		{"version: 1\nmap:\n  Ab: x\n", "3: map: invalid propertyName 'Ab': 'Ab' does not match pattern '^[a-z]+$'"},
		{"version: 1\nmap:\n  ab: 1\n", "3: map.ab: got number, want string"},
		{"version: 1\neither: {q: 1}\n", ""},
		{"version: 1\neither: {r: 1}\n", "2: either: missing property 'p' (and 1 more)"},
		{"version: 1\nmulti: ~\n", ""},
		{"version: 1\nmulti: [1]\n", "2: multi: got array, want string or null"},
		{"version: 1\nname: 2026-01-01\n", "2: name: maxLength: got 10, want 4 (and 1 more)"},
		{"version: 1\nname: a\nport: 0\n", "2: name: minLength: got 1, want 2 (and 1 more)"},
		{"version: 1\na: &x 1\nb: *x\n", "structure: line 3: YAML aliases are not allowed here"},
		{"version: 1\nversion: 1\n", `structure: line 2: key "version" given twice`},
		{"version: 1\n[a]: 1\n", "structure: line 2: keys must be plain strings"},
		{"version: 1\nmap:" + strings.Repeat(" [", 40) + strings.Repeat("]", 40) + "\n", "structure: line 2: nested too deeply"},
	}
	for _, c := range cases {
		if got := check(t, s, c.doc); got != c.want {
			t.Errorf("%q:\n got  %q\n want %q", c.doc, got, c.want)
		}
	}
}

func TestFormatAnnotationOnly(t *testing.T) {
	s := mustCompile(t, `{"properties": {"u": {"type": "string", "format": "uri"}}}`, Options{})
	if got := check(t, s, "u: not a uri\n"); got != "" {
		t.Errorf("format without AssertFormat: %q", got)
	}
}

func TestCompileRefusesWhatItCannotCheck(t *testing.T) {
	for _, doc := range []string{
		`[]`,
		`{"oneOf": [{"type": "string"}]}`,
		`{"patternProperties": {"a": {}}}`,
		`{"$ref": "https://example.com/other.json"}`,
		`{"$ref": "#/$defs/missing"}`,
		`{"type": "int"}`,
		`{"const": [1]}`,
		`{"minLength": -1}`,
		`{"pattern": "("}`,
		`{"format": "date-time"}`,
		`{"properties": {"a": {"$defs": {}}}}`,
	} {
		opts := Options{AssertFormat: true}
		if _, err := Compile([]byte(doc), opts); err == nil {
			t.Errorf("Compile(%s) succeeded, want an error", doc)
		}
	}
}

// The project's own schemas compile.
func TestProjectSchemas(t *testing.T) {
	mustCompile(t, string(schema.Config), Options{AssertFormat: true})
	mustCompile(t, string(schema.EgressPolicy), Options{})
}

// --- differential check against a general JSON Schema implementation ---

type pair struct {
	name string
	ours *Schema
	ref  *jsonschema.Schema
}

func pairs(t testing.TB) []pair {
	t.Helper()
	mk := func(name string, doc []byte, assert bool) pair {
		ours := mustCompile(t, string(doc), Options{AssertFormat: assert})
		d, err := jsonschema.UnmarshalJSON(strings.NewReader(string(doc)))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		if assert {
			c.AssertFormat()
		}
		if err := c.AddResource(name, d); err != nil {
			t.Fatal(err)
		}
		return pair{name, ours, c.MustCompile(name)}
	}
	return []pair{
		mk("test.json", []byte(testSchema), true),
		mk("config.json", schema.Config, true),
		mk("policy.json", schema.EgressPolicy, false),
	}
}

// toJSON turns a YAML node into the values the reference validates, with
// the same scalar typing as scalarOf.
func toJSON(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return toJSON(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = toJSON(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		out := []any{}
		for _, c := range n.Content {
			out = append(out, toJSON(c))
		}
		return out
	}
	sc, _ := scalarOf(n)
	switch sc.kind {
	case "null":
		return nil
	case "boolean":
		return sc.b
	case "number":
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(strconv.FormatFloat(sc.num, 'g', -1, 64)))
		if err != nil {
			panic(err)
		}
		return v
	}
	return sc.s
}

// agree reports a difference between the two validators' verdicts on doc.
func agree(t *testing.T, ps []pair, doc []byte) {
	var n yaml.Node
	if yaml.Unmarshal(doc, &n) != nil {
		return
	}
	for _, p := range ps {
		vs, err := p.ours.Validate(&n)
		var se *StructureError
		if errors.As(err, &se) {
			continue // refused before any schema applies
		} else if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		rerr := p.ref.Validate(toJSON(&n))
		if (len(vs) == 0) != (rerr == nil) {
			_, msg := Summary(vs)
			t.Errorf("%s on %q: ours %q, reference %v", p.name, doc, msg, rerr)
		}
	}
}

// corpus is every YAML file of the formats these schemas describe.
func corpus(t testing.TB) [][]byte {
	var out [][]byte
	for _, g := range []string{"../config/testdata/*/*.yaml", "../config/testdata/*.yaml", "../egress/policy/testdata/*/*.yaml", "../egress/policy/testdata/*.yaml", "../../examples/*.yaml", "../../examples/*/*.yaml"} {
		files, _ := filepath.Glob(g)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

func TestMatchesReference(t *testing.T) {
	ps := pairs(t)
	docs := corpus(t)
	if len(docs) < 20 {
		t.Fatalf("only %d corpus files: the globs have gone stale", len(docs))
	}
	for _, d := range docs {
		agree(t, ps, d)
	}
	// Every keyword case of TestKeywords, too.
	for _, d := range []string{"version: 1\nport: 0\n", "version: 1\neither: {r: 1}\n", "version: 1\nmap:\n  Ab: x\n", "version: 1\nurl: example.com/x\n",
		"version: 1\nname: 汉字\n", "version: 1\nport: 1.0\n", "version: 1\nmulti: ~\n", "version: 1\nlist:\n  - {k: a}\n", "version: 1.0\n", "version: 1\nzz: 1\n"} {
		agree(t, ps, []byte(d))
	}
}

func FuzzMatchesReference(f *testing.F) {
	for _, d := range corpus(f) {
		f.Add(d)
	}
	f.Add([]byte("version: 1\nwaivers:\n  - {check: CG-GW-001, reason: because of x, expires: 2027-01-01}\n"))
	ps := pairs(f)
	f.Fuzz(func(t *testing.T, doc []byte) { agree(t, ps, doc) })
}
