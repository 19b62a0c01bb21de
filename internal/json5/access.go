package json5

import "strings"

// Lookup walks a dotted path ("gateway.auth.mode"). Array elements are
// addressed by decimal index ("agents.list.0.id"). It returns nil when any
// step is missing.
func (v *Value) Lookup(path string) *Value {
	if path == "" {
		return v
	}
	cur := v
	for _, seg := range strings.Split(path, ".") {
		if cur == nil {
			return nil
		}
		switch cur.Kind {
		case Object:
			cur = cur.Get(seg)
		case Array:
			i, ok := atoi(seg)
			if !ok || i >= len(cur.Elems) {
				return nil
			}
			cur = cur.Elems[i]
		default:
			return nil
		}
	}
	return cur
}

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// AsString returns the string value.
func (v *Value) AsString() (string, bool) {
	if v == nil || v.Kind != String {
		return "", false
	}
	return v.Str, true
}

// AsBool returns the boolean value.
func (v *Value) AsBool() (bool, bool) {
	if v == nil || v.Kind != Bool {
		return false, false
	}
	return v.Bool, true
}

// AsNumber returns the numeric value.
func (v *Value) AsNumber() (float64, bool) {
	if v == nil || v.Kind != Number {
		return 0, false
	}
	return v.Num, true
}

// Keys returns the object's keys in source order (duplicates collapsed to
// their last occurrence).
func (v *Value) Keys() []string {
	if v == nil || v.Kind != Object {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for i := len(v.Members) - 1; i >= 0; i-- {
		k := v.Members[i].Key
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Strings returns the string elements of an array (non-strings skipped).
func (v *Value) Strings() []string {
	if v == nil || v.Kind != Array {
		return nil
	}
	var out []string
	for _, e := range v.Elems {
		if e != nil && e.Kind == String {
			out = append(out, e.Str)
		}
	}
	return out
}

// IsSecretRef reports whether v is an OpenClaw SecretRef object
// ({source: env|file|exec|store, provider?, id}).
func (v *Value) IsSecretRef() bool {
	if v == nil || v.Kind != Object {
		return false
	}
	src, ok := v.Get("source").AsString()
	if !ok {
		return false
	}
	switch src {
	case "env", "file", "exec", "store":
	default:
		return false
	}
	_, hasID := v.Get("id").AsString()
	return hasID
}

// Line is the 1-based line of the value, 0 for nil.
func (v *Value) Line() int {
	if v == nil {
		return 0
	}
	return v.Pos.Line
}
