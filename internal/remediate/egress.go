package remediate

import (
	"slices"
	"strconv"
	"strings"

	"github.com/clawgov/clawgov/internal/egress/wiring"
	"github.com/clawgov/clawgov/internal/json5"
)

// EgressActionID is the action `clawgov egress openclaw-config --apply`
// selects.
const EgressActionID = "egress.openclaw"

// egressAction writes the OpenClaw half of the egress chain (proxy.* for
// web_fetch and the gateway's Node egress, the strict navigation
// allowlist) when the user asked for it with Options.Egress. It is
// planned whatever the audit says, because the user named it; it is empty
// once every key already has its value, so a second apply does nothing.
func (p *Plan) egressAction() *Action {
	if len(p.opts.Egress) == 0 {
		return nil
	}
	a := p.newAction(EgressActionID, []string{"CG-BRW-012"}, tr(p.Lang, "egress.summary"), tr(p.Lang, "egress.risk"), true)
	a.explicit = true
	// Keys whose parents are missing are grouped under the first missing
	// key, so a config without "proxy" gets one readable proxy block
	// rather than three nested inserts.
	type group struct {
		at   string
		tree *obj
		sets []wiring.Setting
	}
	var groups []*group
	byAt := map[string]*group{}
	for _, st := range p.opts.Egress {
		if p.hasValue(st.Key, st.Value) {
			continue
		}
		parts := strings.Split(st.Key, ".")
		n := len(parts) - 1
		for n > 0 && p.cfg.Get(strings.Join(parts[:n], ".")) == nil {
			n--
		}
		// parts[:n] exists (or n == 0: the root); parts[n] is the first
		// missing key, unless the key itself exists with another value.
		if p.cfg.Get(st.Key) != nil || n == len(parts)-1 {
			p.setKey(a, st.Key, st.Value, showSetting(st.Value))
			continue
		}
		at := strings.Join(parts[:n+1], ".")
		g := byAt[at]
		if g == nil {
			g = &group{at: at, tree: newObj(false)}
			byAt[at] = g
			groups = append(groups, g)
		}
		g.tree.put(parts[n+1:], st.Value)
		g.sets = append(g.sets, st)
	}
	for _, g := range groups {
		file, line := p.where(g.at)
		op, err := p.locate(g.at, g.tree)
		if err != nil {
			a.Skipped = tr(p.Lang, "skip.notobject", err.Error())
			break
		}
		a.edits = append(a.edits, fileEdit{file: file, op: op})
		for _, st := range g.sets {
			a.Changes = append(a.Changes, Change{Kind: "config", File: file, Line: line, KeyPath: st.Key, Old: "(unset)", New: showSetting(st.Value)})
		}
	}
	if len(a.Changes) == 0 && a.Skipped == "" {
		return nil
	}
	return a
}

// hasValue reports whether the config already holds v at key.
func (p *Plan) hasValue(key string, v any) bool {
	cur := p.cfg.Get(key)
	switch x := v.(type) {
	case bool:
		b, ok := cur.AsBool()
		return ok && b == x
	case string:
		s, ok := cur.AsString()
		return ok && s == x
	case []string:
		return cur != nil && cur.Kind == json5.Array && len(cur.Elems) == len(x) && slices.Equal(cur.Strings(), x)
	}
	return false
}

func showSetting(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case string:
		return strconv.Quote(x)
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return ""
}

// put sets path (relative to o) to v, creating nested objects in
// insertion order.
func (o *obj) put(path []string, v any) {
	if len(path) == 1 {
		o.keys = append(o.keys, path[0])
		o.vals = append(o.vals, v)
		return
	}
	for i, k := range o.keys {
		if k == path[0] {
			if sub, ok := o.vals[i].(*obj); ok {
				sub.put(path[1:], v)
				return
			}
		}
	}
	sub := newObj(false)
	sub.put(path[1:], v)
	o.keys = append(o.keys, path[0])
	o.vals = append(o.vals, sub)
}
