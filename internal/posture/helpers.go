package posture

import (
	"fmt"
	"strings"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/json5"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// This file holds the small helpers every posture area uses to read the
// OpenClaw config the way OpenClaw does: an absent key is evaluated at its
// documented default (and the evidence says so), and a config that exists
// but could not be read is an error, never a silent pass. Keep it small and
// stable: several area files depend on it.

// conf is a read-only view of the loaded config. Its zero value (no config
// file) answers every lookup with "absent", so checks evaluate defaults.
type conf struct {
	c *openclaw.Config
	// file is the main config path as the deployment sees it; used for
	// evidence about defaults (a key that is absent from that file).
	file string
}

// confOf returns the config view for s. When the config cannot be used
// (no inventory, or a config file that exists but was not loaded) it
// returns ok=false and an error finding for checkID instead: a check that
// needs the config must not pass on a config it never read.
func confOf(s *Snapshot, checkID string) (conf, []finding.Finding, bool) {
	if s == nil || s.OC == nil {
		return conf{}, errorFinding(checkID, "no OpenClaw inventory was gathered"), false
	}
	inv := s.OC
	file := inv.Paths.ConfigPath
	if inv.Config != nil {
		if inv.Config.Path != "" {
			file = inv.Config.Path
		}
		return conf{c: inv.Config, file: file}, nil, true
	}
	for _, p := range inv.Problems {
		if p.Area == "config" {
			why := "config could not be read"
			if p.Err != nil {
				why = fmt.Sprintf("config %s could not be read: %v", p.Path, p.Err)
			}
			return conf{file: file}, errorFinding(checkID, why), false
		}
	}
	if inv.Paths.ConfigExists {
		return conf{file: file}, errorFinding(checkID, fmt.Sprintf("config %s exists but was not loaded", file)), false
	}
	// No config file: OpenClaw runs on defaults, and so do the checks.
	return conf{file: file}, nil, true
}

// errorFinding reports that checkID could not be evaluated.
func errorFinding(checkID, why string) []finding.Finding {
	return []finding.Finding{{
		CheckID: checkID,
		Status:  finding.Error,
		Message: why,
	}}
}

// get returns the value at a dotted key path, nil when absent.
func (c conf) get(path string) *json5.Value {
	if c.c == nil {
		return nil
	}
	return c.c.Get(path)
}

// str returns the string at path, or def when the key is absent or not a
// string (OpenClaw's schema rejects a wrongly typed value, so the default
// is the best reading of what a running gateway would use). v is the node
// found, nil when absent.
func (c conf) str(path, def string) (val string, v *json5.Value) {
	v = c.get(path)
	if s, ok := v.AsString(); ok {
		return s, v
	}
	return def, v
}

// boolean returns the boolean at path, or def when absent or not a bool.
func (c conf) boolean(path string, def bool) (val bool, v *json5.Value) {
	v = c.get(path)
	if b, ok := v.AsBool(); ok {
		return b, v
	}
	return def, v
}

// isTrue reports whether path is explicitly true (OpenClaw's `=== true`).
func (c conf) isTrue(path string) (bool, *json5.Value) {
	v := c.get(path)
	b, ok := v.AsBool()
	return ok && b, v
}

// strings returns the string elements of the array at path.
func (c conf) strings(path string) ([]string, *json5.Value) {
	v := c.get(path)
	return v.Strings(), v
}

// ev builds config evidence for path. v is the node found (nil when the key
// is absent: the evidence then points at the main config file and says
// "default"). shown is the value to display; callers redact secrets before
// passing them (see finding.Redact), or pass "" to show nothing.
func (c conf) ev(path string, v *json5.Value, shown string) finding.Evidence {
	e := finding.Evidence{Kind: "config", File: c.file, KeyPath: path, Value: shown}
	if v == nil {
		e.Detail = "default"
		return e
	}
	if v.Pos.File != "" {
		e.File = v.Pos.File
	}
	e.Line = v.Pos.Line
	return e
}

// display renders a non-secret scalar for evidence: strings as is,
// booleans and numbers in JSON form, arrays of strings comma-joined.
func display(v *json5.Value) string {
	if v == nil {
		return ""
	}
	switch v.Kind {
	case json5.String:
		return v.Str
	case json5.Bool:
		return fmt.Sprint(v.Bool)
	case json5.Number:
		return fmt.Sprint(v.Num)
	case json5.Null:
		return "null"
	case json5.Array:
		var parts []string
		for _, e := range v.Elems {
			parts = append(parts, display(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case json5.Object:
		return "{…}"
	}
	return ""
}

// envValue returns the gateway's effective environment variable key
// (service unit environment over clawgov's own; see openclaw.Inventory).
// Blank values count as unset, as in OpenClaw.
func envValue(s *Snapshot, key string) (string, bool) {
	if s == nil || s.OC == nil || s.OC.Env == nil {
		return "", false
	}
	v, ok := s.OC.Env[key]
	if !ok || strings.TrimSpace(v) == "" {
		return "", false
	}
	return v, true
}

// envEvidence points at an environment variable, naming where it was set
// when the inventory knows. The value is never shown.
func envEvidence(s *Snapshot, key string) finding.Evidence {
	e := finding.Evidence{Kind: "env", KeyPath: key}
	if s != nil && s.OC != nil {
		if src := s.OC.EnvSources[key]; src != "" {
			e.Detail = src
		}
	}
	return e
}

// objectMembers returns the members of the object at path in source order
// (duplicates collapsed, last wins), nil when absent or not an object.
func (c conf) objectMembers(path string) []json5.Member {
	v := c.get(path)
	if v == nil || v.Kind != json5.Object {
		return nil
	}
	var out []json5.Member
	for _, k := range v.Keys() {
		out = append(out, json5.Member{Key: k, Value: v.Get(k)})
	}
	return out
}

// join builds a dotted key path.
func join(parts ...string) string { return strings.Join(parts, ".") }

// newFinding builds a finding rendered later from the catalog template
// messages[key] with params. MatchKey defaults to key plus the first
// evidence key path, so two findings of one check on different keys get
// different fingerprints while line moves do not change them.
func newFinding(id string, st finding.Status, sev finding.Severity, key string, params map[string]string, ev ...finding.Evidence) finding.Finding {
	f := finding.Finding{
		CheckID:    id,
		Status:     st,
		Severity:   sev,
		MessageKey: key,
		Params:     params,
		Evidence:   ev,
		MatchKey:   key,
	}
	if len(ev) > 0 {
		f.MatchKey = key + ":" + ev[0].KeyPath
	}
	return f
}

// kv builds a params map from alternating key/value strings.
func kv(pairs ...string) map[string]string {
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}
