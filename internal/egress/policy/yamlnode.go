package policy

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"
)

// The helpers below mirror internal/config: the schema sees YAML's own
// scalar typing and every error carries the line of the value it is about.
// They are copied rather than shared because config is a leaf package of
// another concern and the two formats evolve separately.

type nodeError struct {
	line int
	msg  string
}

func (e *nodeError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func nodeErrorf(line int, format string, args ...any) error {
	return &nodeError{line: line, msg: fmt.Sprintf(format, args...)}
}

func toJSONValue(n *yaml.Node, depth int) (any, error) {
	if depth > 32 {
		return nil, nodeErrorf(n.Line, "nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return toJSONValue(n.Content[0], depth+1)
	case yaml.AliasNode:
		return nil, nodeErrorf(n.Line, "YAML aliases are not allowed here")
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, nodeErrorf(k.Line, "keys must be plain strings")
			}
			if _, dup := m[k.Value]; dup {
				return nil, nodeErrorf(k.Line, "key %q given twice", k.Value)
			}
			v, err := toJSONValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := toJSONValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, nodeErrorf(n.Line, "%v", err)
		}
		switch x := v.(type) {
		case int:
			return jsonNumber(strconv.Itoa(x)), nil
		case float64:
			return jsonNumber(strconv.FormatFloat(x, 'g', -1, 64)), nil
		case time.Time:
			return n.Value, nil
		}
		return v, nil
	}
	return nil, nodeErrorf(n.Line, "unsupported YAML node")
}

func jsonNumber(s string) any {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(s))
	if err != nil {
		return s
	}
	return v
}

func schemaError(name string, root *yaml.Node, err error) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &Error{File: name, Msg: err.Error()}
	}
	leaves := leafErrors(ve)
	sort.SliceStable(leaves, func(i, j int) bool {
		return lineOf(root, leaves[i].InstanceLocation) < lineOf(root, leaves[j].InstanceLocation)
	})
	p := message.NewPrinter(language.English)
	first := leaves[0]
	loc := strings.Join(first.InstanceLocation, ".")
	if loc == "" {
		loc = "(top level)"
	}
	msg := fmt.Sprintf("%s: %s", loc, first.ErrorKind.LocalizedString(p))
	if len(leaves) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(leaves)-1)
	}
	return &Error{File: name, Line: lineOf(root, first.InstanceLocation), Msg: msg}
}

func leafErrors(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leafErrors(c)...)
	}
	return out
}

// lineOf follows an instance location through the YAML tree and returns the
// line of the deepest node reached.
func lineOf(n *yaml.Node, loc []string) int {
	line := n.Line
	for _, part := range loc {
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		case yaml.SequenceNode:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		default:
			return line
		}
	}
	return line
}
