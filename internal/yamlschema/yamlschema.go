// Package yamlschema validates a YAML document against a JSON Schema and
// reports each failure with the line of the value it is about.
//
// It implements the part of JSON Schema 2020-12 that clawgov's own file
// formats use (schema/clawgov-config.schema.json and
// schema/egress-policy.schema.json) and refuses to compile a schema that
// uses anything else, so a schema change that needs a new keyword fails
// go test instead of being silently ignored.
//
// Why not a general JSON Schema library: the one these schemas were first
// checked with compiles the metaschemas of five drafts in its package init,
// which cost every clawgov command (audit included) about 6 ms and 1.7 MB
// before main ran, whether or not a YAML file was read. The tests check
// this package against that library (verdict for verdict, on the real
// schemas and fuzzed documents), so the library stays a test dependency
// only.
//
// The schema sees YAML's own scalar typing (an unquoted 1 is a number,
// "1" a string; a YAML timestamp is the text it was written as).
package yamlschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxDepth bounds the nesting of a validated document.
const MaxDepth = 32

// Schema is a compiled schema.
type Schema struct {
	root *node
}

// node is one compiled (sub)schema.
type node struct {
	never         bool // the false schema
	types         []string
	hasConst      bool
	constV        scalar
	enum          []scalar
	format        string
	refName       string
	ref           *node
	props         map[string]*node
	additional    *node
	required      []string
	propertyNames *node
	minProps      int
	minItems      int
	minLen        int
	maxLen        int // -1: none
	min, max      *float64
	pattern       *regexp.Regexp
	items         *node
	anyOf         []*node
}

// annotations are keywords that do not constrain a value.
var annotations = map[string]bool{"$schema": true, "$id": true, "$comment": true, "title": true, "description": true, "default": true, "examples": true}

// Options tune compilation.
type Options struct {
	// AssertFormat makes "format" a constraint (only "uri" is known)
	// instead of an annotation.
	AssertFormat bool
}

// Compile compiles a JSON Schema document. Local references
// ("#/$defs/NAME") are the only references supported.
func Compile(doc []byte, opts Options) (*Schema, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, errors.New("schema: top level is not an object")
	}
	c := &compiler{defs: map[string]*node{}, opts: opts}
	if d, ok := top["$defs"]; ok {
		dm, ok := d.(map[string]any)
		if !ok {
			return nil, errors.New("schema: $defs is not an object")
		}
		for name := range dm {
			c.defs[name] = &node{maxLen: -1}
		}
		for name, v := range dm {
			if err := c.fill(c.defs[name], v, "#/$defs/"+name); err != nil {
				return nil, err
			}
		}
	}
	root := &node{maxLen: -1}
	if err := c.fill(root, raw, "#"); err != nil {
		return nil, err
	}
	return &Schema{root: root}, nil
}

type compiler struct {
	defs map[string]*node
	opts Options
}

func (c *compiler) sub(v any, at string) (*node, error) {
	n := &node{maxLen: -1}
	if err := c.fill(n, v, at); err != nil {
		return nil, err
	}
	return n, nil
}

func (c *compiler) fill(n *node, v any, at string) error {
	if b, ok := v.(bool); ok {
		n.never = !b
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("schema %s: not an object or boolean", at)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		val := m[k]
		where := at + "/" + k
		var err error
		switch k {
		case "$defs":
			if at != "#" {
				err = errors.New("$defs only at the top level")
			}
		case "type":
			switch t := val.(type) {
			case string:
				n.types = []string{t}
			case []any:
				for _, x := range t {
					s, ok := x.(string)
					if !ok {
						return fmt.Errorf("schema %s: not a string", where)
					}
					n.types = append(n.types, s)
				}
			default:
				err = errors.New("not a string or list")
			}
			for _, t := range n.types {
				if !slices.Contains([]string{"null", "boolean", "integer", "number", "string", "array", "object"}, t) {
					err = fmt.Errorf("unknown type %q", t)
				}
			}
		case "const":
			n.hasConst = true
			n.constV, err = jsonScalar(val)
		case "enum":
			list, ok := val.([]any)
			if !ok {
				err = errors.New("not a list")
				break
			}
			for _, x := range list {
				s, e := jsonScalar(x)
				if e != nil {
					err = e
					break
				}
				n.enum = append(n.enum, s)
			}
		case "format":
			s, ok := val.(string)
			if !ok {
				err = errors.New("not a string")
			} else if c.opts.AssertFormat {
				if s != "uri" {
					err = fmt.Errorf("format %q is not supported", s)
				}
				n.format = s
			}
		case "$ref":
			s, _ := val.(string)
			name, ok := strings.CutPrefix(s, "#/$defs/")
			if !ok || c.defs[name] == nil {
				err = fmt.Errorf("unresolvable reference %q (only #/$defs/NAME)", s)
				break
			}
			n.refName, n.ref = name, c.defs[name]
		case "properties":
			pm, ok := val.(map[string]any)
			if !ok {
				err = errors.New("not an object")
				break
			}
			n.props = map[string]*node{}
			for p, ps := range pm {
				if n.props[p], err = c.sub(ps, where+"/"+p); err != nil {
					return err
				}
			}
		case "additionalProperties":
			n.additional, err = c.sub(val, where)
		case "propertyNames":
			n.propertyNames, err = c.sub(val, where)
		case "items":
			n.items, err = c.sub(val, where)
		case "anyOf":
			list, ok := val.([]any)
			if !ok || len(list) == 0 {
				err = errors.New("not a non-empty list")
				break
			}
			for i, x := range list {
				s, e := c.sub(x, where+"/"+strconv.Itoa(i))
				if e != nil {
					return e
				}
				n.anyOf = append(n.anyOf, s)
			}
		case "required":
			list, ok := val.([]any)
			if !ok {
				err = errors.New("not a list")
				break
			}
			for _, x := range list {
				s, ok := x.(string)
				if !ok {
					err = errors.New("not a string")
					break
				}
				n.required = append(n.required, s)
			}
		case "minProperties":
			n.minProps, err = count(val)
		case "minItems":
			n.minItems, err = count(val)
		case "minLength":
			n.minLen, err = count(val)
		case "maxLength":
			n.maxLen, err = count(val)
		case "minimum", "maximum":
			num, ok := val.(json.Number)
			if !ok {
				err = errors.New("not a number")
				break
			}
			f, e := num.Float64()
			if e != nil {
				err = e
				break
			}
			if k == "minimum" {
				n.min = &f
			} else {
				n.max = &f
			}
		case "pattern":
			s, ok := val.(string)
			if !ok {
				err = errors.New("not a string")
				break
			}
			n.pattern, err = regexp.Compile(s)
		default:
			if !annotations[k] {
				err = errors.New("keyword not supported")
			}
		}
		if err != nil {
			return fmt.Errorf("schema %s: %w", where, err)
		}
	}
	return nil
}

func count(v any) (int, error) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, errors.New("not a number")
	}
	i, err := strconv.Atoi(num.String())
	if err != nil || i < 0 {
		return 0, errors.New("not a non-negative integer")
	}
	return i, nil
}

// scalar is a JSON value that is not an array or object.
type scalar struct {
	kind  string // null, boolean, number, string
	b     bool
	num   float64
	isInt bool
	s     string
}

func jsonScalar(v any) (scalar, error) {
	switch x := v.(type) {
	case nil:
		return scalar{kind: "null"}, nil
	case bool:
		return scalar{kind: "boolean", b: x}, nil
	case string:
		return scalar{kind: "string", s: x}, nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return scalar{}, err
		}
		return number(f), nil
	}
	return scalar{}, errors.New("const and enum values must be scalars")
}

func number(f float64) scalar {
	return scalar{kind: "number", num: f, isInt: f == math.Trunc(f)}
}

func (s scalar) equal(o scalar) bool {
	if s.kind != o.kind {
		return false
	}
	switch s.kind {
	case "boolean":
		return s.b == o.b
	case "number":
		return s.num == o.num
	case "string":
		return s.s == o.s
	}
	return true
}

// display writes a value the way the messages show it.
func (s scalar) display() string {
	switch s.kind {
	case "string":
		return quote(s.s)
	case "number":
		return strconv.FormatFloat(s.num, 'f', -1, 64)
	case "boolean":
		return strconv.FormatBool(s.b)
	}
	return "null"
}

func quote(s string) string {
	s = strconv.Quote(s)
	s = strings.ReplaceAll(s, `\"`, `"`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	return "'" + s[1:len(s)-1] + "'"
}

// Violation is one failed constraint.
type Violation struct {
	// Path is the instance location: mapping keys and sequence indexes.
	Path []string
	// Line is the line of the value (of its key, for a mapping member).
	Line int
	Msg  string
}

// Location is Path joined with dots, "(top level)" for the root.
func (v Violation) Location() string {
	if len(v.Path) == 0 {
		return "(top level)"
	}
	return strings.Join(v.Path, ".")
}

// StructureError is a document the schema cannot even be applied to
// (aliases, non-string keys, duplicate keys, too deep).
type StructureError struct {
	Line int
	Msg  string
}

func (e *StructureError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Validate checks the YAML node (a document or its root value). It returns
// a *StructureError for a document the schema cannot be applied to, and
// otherwise every violation, sorted by line (stable, in document order).
func (s *Schema) Validate(n *yaml.Node) ([]Violation, error) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line}
		} else {
			n = n.Content[0]
		}
	}
	if err := structure(n, 0); err != nil {
		return nil, err
	}
	var out []Violation
	validate(s.root, n, nil, n.Line, &out)
	slices.SortStableFunc(out, func(a, b Violation) int { return a.Line - b.Line })
	return out, nil
}

// Summary is the one-line form of violations: the first (by line) with
// its location, and how many more there are.
func Summary(vs []Violation) (line int, msg string) {
	if len(vs) == 0 {
		return 0, ""
	}
	msg = vs[0].Location() + ": " + vs[0].Msg
	if len(vs) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(vs)-1)
	}
	return vs[0].Line, msg
}

func structure(n *yaml.Node, depth int) error {
	if depth > MaxDepth {
		return &StructureError{n.Line, "nested too deeply"}
	}
	switch n.Kind {
	case yaml.AliasNode:
		return &StructureError{n.Line, "YAML aliases are not allowed here"}
	case yaml.MappingNode:
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return &StructureError{k.Line, "keys must be plain strings"}
			}
			if seen[k.Value] {
				return &StructureError{k.Line, fmt.Sprintf("key %q given twice", k.Value)}
			}
			seen[k.Value] = true
			if err := structure(n.Content[i+1], depth+1); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if err := structure(c, depth+1); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		if _, err := scalarOf(n); err != nil {
			return &StructureError{n.Line, err.Error()}
		}
	case yaml.DocumentNode:
		return &StructureError{n.Line, "unsupported YAML node"}
	}
	return nil
}

// scalarOf types a YAML scalar as the schema sees it.
func scalarOf(n *yaml.Node) (scalar, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return scalar{}, err
	}
	switch x := v.(type) {
	case nil:
		return scalar{kind: "null"}, nil
	case bool:
		return scalar{kind: "boolean", b: x}, nil
	case int:
		return number(float64(x)), nil
	case int64:
		return number(float64(x)), nil
	case uint64:
		return number(float64(x)), nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			// JSON has no such number; the schema sees the text.
			return scalar{kind: "string", s: n.Value}, nil
		}
		return number(x), nil
	case time.Time:
		// YAML reads 2026-01-01 as a timestamp; the schema wants the text.
		return scalar{kind: "string", s: n.Value}, nil
	case string:
		return scalar{kind: "string", s: x}, nil
	}
	return scalar{kind: "string", s: n.Value}, nil
}

func typeOf(n *yaml.Node, sc scalar) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "array"
	}
	return sc.kind
}

func add(out *[]Violation, path []string, line int, format string, a ...any) {
	*out = append(*out, Violation{Path: slices.Clone(path), Line: line, Msg: fmt.Sprintf(format, a...)})
}

// validate appends the violations of n against s. The order of the checks
// follows the reference implementation so that a document with several
// faults on one line names the same one first.
func validate(s *node, n *yaml.Node, path []string, line int, out *[]Violation) {
	if s.never {
		add(out, path, line, "false schema")
		return
	}
	var sc scalar
	if n.Kind == yaml.ScalarNode {
		sc, _ = scalarOf(n) // structure() has decoded every scalar once already
	}
	t := typeOf(n, sc)
	if len(s.types) > 0 {
		ok := slices.Contains(s.types, t) || (t == "number" && sc.isInt && slices.Contains(s.types, "integer"))
		if !ok {
			add(out, path, line, "got %s, want %s", t, strings.Join(s.types, " or "))
			return
		}
	}
	if s.hasConst && (n.Kind != yaml.ScalarNode || !sc.equal(s.constV)) {
		add(out, path, line, "value must be %s", s.constV.display())
		return
	}
	if s.enum != nil {
		ok := false
		if n.Kind == yaml.ScalarNode {
			for _, e := range s.enum {
				if sc.equal(e) {
					ok = true
					break
				}
			}
		}
		if !ok {
			if len(s.enum) == 1 {
				add(out, path, line, "value must be %s", s.enum[0].display())
			} else {
				want := make([]string, len(s.enum))
				for i, e := range s.enum {
					want[i] = e.display()
				}
				add(out, path, line, "value must be one of %s", strings.Join(want, ", "))
			}
			return
		}
	}
	if s.format == "uri" && t == "string" {
		if err := checkURI(sc.s); err != nil {
			add(out, path, line, "%s is not valid uri: %v", quote(sc.s), err)
			return
		}
	}
	if s.ref != nil {
		validate(s.ref, n, path, line, out)
	}
	switch t {
	case "object":
		validateObject(s, n, path, out, line)
	case "array":
		if len(n.Content) < s.minItems {
			add(out, path, line, "minItems: got %d, want %d", len(n.Content), s.minItems)
		}
		if s.items != nil {
			for i, c := range n.Content {
				validate(s.items, c, append(path, strconv.Itoa(i)), c.Line, out)
			}
		}
	case "string":
		l := utf8.RuneCountInString(sc.s)
		if l < s.minLen {
			add(out, path, line, "minLength: got %d, want %d", l, s.minLen)
		}
		if s.maxLen >= 0 && l > s.maxLen {
			add(out, path, line, "maxLength: got %d, want %d", l, s.maxLen)
		}
		if s.pattern != nil && !s.pattern.MatchString(sc.s) {
			add(out, path, line, "%s does not match pattern %s", quote(sc.s), quote(s.pattern.String()))
		}
	case "number":
		if s.min != nil && sc.num < *s.min {
			add(out, path, line, "minimum: got %v, want %v", sc.num, *s.min)
		}
		if s.max != nil && sc.num > *s.max {
			add(out, path, line, "maximum: got %v, want %v", sc.num, *s.max)
		}
	}
	if len(s.anyOf) > 0 {
		var all []Violation
		matched := false
		for _, alt := range s.anyOf {
			var vs []Violation
			validate(alt, n, path, line, &vs)
			if len(vs) == 0 {
				matched = true
				break
			}
			all = append(all, vs...)
		}
		if !matched {
			*out = append(*out, all...)
		}
	}
}

func validateObject(s *node, n *yaml.Node, path []string, out *[]Violation, line int) {
	members := len(n.Content) / 2
	if members < s.minProps {
		add(out, path, line, "minProperties: got %d, want %d", members, s.minProps)
	}
	var missing []string
	for _, r := range s.required {
		if member(n, r) == nil {
			missing = append(missing, r)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		add(out, path, line, "missing property %s", quote(missing[0]))
	default:
		q := make([]string, len(missing))
		for i, m := range missing {
			q[i] = quote(m)
		}
		add(out, path, line, "missing properties %s", strings.Join(q, ", "))
	}
	var extra []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := append(path, k.Value)
		if ps, ok := s.props[k.Value]; ok {
			validate(ps, v, p, k.Line, out)
		} else if s.additional != nil {
			if s.additional.never {
				extra = append(extra, quote(k.Value))
			} else {
				validate(s.additional, v, p, k.Line, out)
			}
		}
	}
	if len(extra) > 0 {
		add(out, path, line, "additional properties %s not allowed", strings.Join(extra, ", "))
	}
	if s.propertyNames != nil {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			var vs []Violation
			validate(s.propertyNames, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.Value, Line: k.Line}, nil, k.Line, &vs)
			if len(vs) > 0 {
				add(out, path, k.Line, "invalid propertyName %s: %s", quote(k.Value), vs[0].Msg)
			}
		}
	}
}

func member(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// checkURI is format "uri": an absolute URI, an IPv6 host in brackets.
func checkURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if h := u.Hostname(); strings.Contains(h, ":") {
		if !strings.Contains(u.Host, "[") || !strings.Contains(u.Host, "]") {
			return errors.New("ipv6 address not enclosed in brackets")
		}
		if a, err := netip.ParseAddr(h); err != nil || !a.Is6() {
			return errors.New("invalid ipv6 address")
		}
	}
	if !u.IsAbs() {
		return errors.New("relative url")
	}
	return nil
}
