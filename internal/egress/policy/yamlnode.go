package policy

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

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
