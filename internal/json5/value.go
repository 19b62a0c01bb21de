// Package json5 parses JSON5 into a tree that remembers where every value
// came from (file, line, byte span). OpenClaw configs are JSON5; clawgov
// needs positions for evidence ("openclaw.json:12 gateway.bind") and byte
// spans so `clawgov fix` can change one value and keep the user's
// comments and formatting. General-purpose JSON5 libraries return plain Go
// values without positions, which is why this parser exists; it is
// differential-fuzzed against github.com/titanous/json5.
package json5

// Kind is a JSON value kind.
type Kind int

// Kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Object
	Array
)

// Pos is a position in a source file.
type Pos struct {
	File   string
	Line   int // 1-based
	Col    int // 1-based, in bytes
	Offset int // 0-based byte offset
}

// Member is one key of an object.
type Member struct {
	Key    string
	KeyPos Pos
	Value  *Value
}

// Value is a parsed JSON5 value.
type Value struct {
	Kind    Kind
	Bool    bool
	Num     float64
	Str     string
	Members []Member
	Elems   []*Value
	// Pos is where the value starts; End is the byte offset just after it.
	Pos Pos
	End int
	// Template is the string as written when a loader substituted
	// ${VAR} references into Str ("" when nothing was substituted). The
	// span still covers the source text, i.e. the template.
	Template string
}

// Get returns the member value for key, or nil.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	// Last one wins, as in JSON.parse.
	for i := len(v.Members) - 1; i >= 0; i-- {
		if v.Members[i].Key == key {
			return v.Members[i].Value
		}
	}
	return nil
}
