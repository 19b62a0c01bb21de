// Package config reads clawgov.yaml, the configuration of clawgov itself:
// default profile, language, format and fail-on, the organisation name for
// reports, local profile files, waivers (accepted risks with owner, reason
// and expiry), attestations for the manual items of a profile, and the
// registry, egress, advisory and fleet settings other commands use.
//
// The file is validated against the published JSON Schema
// (schema/clawgov-config.schema.json) and then decoded strictly; every
// error names the file and line, because a config mistake found by a
// person reading "waivers[3].expires" without a line is a config mistake
// left in place.
package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clawgov/clawgov/internal/yamlschema"
	"gopkg.in/yaml.v3"

	"github.com/clawgov/clawgov/schema"
)

// FileName is the name clawgov looks for.
const FileName = "clawgov.yaml"

// MaxSize bounds the file: a config is written by people, not generated
// by the megabyte, and an unbounded read of a wrong path is a hang.
const MaxSize = 4 << 20

// Config is the decoded file. The zero value is "no file": defaults only.
type Config struct {
	Version      int                    `yaml:"version"`
	Organisation string                 `yaml:"organisation"`
	Profile      string                 `yaml:"profile"`
	Lang         string                 `yaml:"lang"`
	Format       string                 `yaml:"format"`
	FailOn       string                 `yaml:"fail_on"`
	Profiles     []string               `yaml:"profiles"`
	Waivers      []Waiver               `yaml:"waivers"`
	Attestations map[string]Attestation `yaml:"attestations"`
	Registry     struct {
		URL string `yaml:"url"`
		// SigningKey pins the registry's approval-signing key: the
		// base64 ed25519 public key, or a file holding it (relative to
		// this file's folder). The key the registry serves is never
		// trusted in its place.
		SigningKey string `yaml:"signing_key"`
	} `yaml:"registry"`
	Egress struct {
		Proxy  string `yaml:"proxy"`
		Policy string `yaml:"policy"`
	} `yaml:"egress"`
	Advisories struct {
		Source string `yaml:"source"`
	} `yaml:"advisories"`
	Fleet struct {
		Server string `yaml:"server"`
	} `yaml:"fleet"`

	// Path is the file this came from ("" when no file was found).
	Path string `yaml:"-"`
	// Digest is the SHA-256 of the file, so a report can say which policy
	// it was judged by.
	Digest string `yaml:"-"`
	// Bundle is set when this config came from a signed organisation
	// policy bundle (the fleet's policy distribution).
	Bundle *BundleRef `yaml:"-"`
	lines  map[string]int
}

// BundleRef names a signed, versioned organisation policy bundle: its
// version, the SHA-256 of its signed payload, the signing key's ID and
// when it was made.
type BundleRef struct {
	Version int64  `json:"version"`
	Digest  string `json:"digest"`
	KeyID   string `json:"key_id"`
	Created string `json:"created"`
}

// Scope narrows a waiver to one host, path or skill. Values are
// path.Match globs; an empty field matches anything.
type Scope struct {
	Host  string `yaml:"host,omitempty" json:"host,omitempty"`
	Path  string `yaml:"path,omitempty" json:"path,omitempty"`
	Skill string `yaml:"skill,omitempty" json:"skill,omitempty"`
}

// Waiver accepts the risk of a finding for a while.
type Waiver struct {
	ID          string `yaml:"id,omitempty" json:"id"`
	Check       string `yaml:"check,omitempty" json:"check,omitempty"`
	Fingerprint string `yaml:"fingerprint,omitempty" json:"fingerprint,omitempty"`
	Scope       Scope  `yaml:"scope,omitempty" json:"scope,omitempty"`
	Reason      string `yaml:"reason" json:"reason"`
	Owner       string `yaml:"owner,omitempty" json:"owner,omitempty"`
	Ticket      string `yaml:"ticket,omitempty" json:"ticket,omitempty"`
	Created     string `yaml:"created,omitempty" json:"created,omitempty"`
	Expires     string `yaml:"expires" json:"expires"`
	// Source is file:line of the entry.
	Source string `yaml:"-" json:"source,omitempty"`
}

// ExpiresAt is the first instant the waiver no longer applies: the end of
// its expiry day in UTC.
func (w Waiver) ExpiresAt() time.Time {
	t, err := time.Parse(time.DateOnly, w.Expires)
	if err != nil {
		return time.Time{}
	}
	return t.Add(24 * time.Hour)
}

// Attestation records that a person checked a manual item of a profile.
type Attestation struct {
	By       string `yaml:"by" json:"by"`
	Date     string `yaml:"date" json:"date"`
	Expires  string `yaml:"expires,omitempty" json:"expires,omitempty"`
	Evidence string `yaml:"evidence" json:"evidence"`
	Source   string `yaml:"-" json:"source,omitempty"`
}

// Error is a problem at a place in a file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Find returns the config file to use: explicit (--config-file) when set,
// otherwise the first of ./clawgov.yaml, $XDG_CONFIG_HOME/clawgov/clawgov.yaml
// (~/.config/clawgov when unset) and /etc/clawgov/clawgov.yaml that exists.
// "" means none: clawgov runs on its defaults.
func Find(explicit, cwd string, getenv func(string) string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("config file %s: %w", explicit, err)
		}
		return explicit, nil
	}
	for _, p := range SearchPath(cwd, getenv) {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", nil
}

// SearchPath lists where Find looks, in order.
func SearchPath(cwd string, getenv func(string) string) []string {
	var out []string
	if cwd != "" {
		out = append(out, filepath.Join(cwd, FileName))
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		out = append(out, filepath.Join(x, "clawgov", FileName))
	} else if h := getenv("HOME"); h != "" {
		out = append(out, filepath.Join(h, ".config", "clawgov", FileName))
	}
	return append(out, filepath.Join("/etc/clawgov", FileName))
}

// Load reads and validates path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxSize+1)); err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if buf.Len() > MaxSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	return Parse(path, buf.Bytes())
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Parse validates and decodes data read from name.
func Parse(name string, data []byte) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	c := &Config{Path: name, Digest: digest(data), lines: map[string]int{}}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return c, nil // an empty file is a valid, empty config
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: name, Line: root.Line, Msg: "must be a mapping of settings"}
	}
	if vs, err := configSchema().Validate(root); err != nil {
		var se *yamlschema.StructureError
		if errors.As(err, &se) {
			return nil, &Error{File: name, Line: se.Line, Msg: se.Msg}
		}
		return nil, &Error{File: name, Line: root.Line, Msg: err.Error()}
	} else if len(vs) > 0 {
		line, msg := yamlschema.Summary(vs)
		return nil, &Error{File: name, Line: line, Msg: msg}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, yamlError(name, err)
	}
	recordLines(root, "", c.lines)
	for i := range c.Waivers {
		w := &c.Waivers[i]
		line := c.lines["waivers["+strconv.Itoa(i)+"]"]
		w.Source = name + ":" + strconv.Itoa(line)
		if w.ID == "" {
			w.ID = "W" + strconv.Itoa(i+1)
		}
		if err := checkDates(w); err != nil {
			return nil, &Error{File: name, Line: line, Msg: fmt.Sprintf("waivers[%d]: %v", i, err)}
		}
	}
	seen := map[string]int{}
	for i, w := range c.Waivers {
		if j, dup := seen[w.ID]; dup {
			return nil, &Error{File: name, Line: c.lines["waivers["+strconv.Itoa(i)+"]"], Msg: fmt.Sprintf("waivers[%d]: id %q already used by waivers[%d]", i, w.ID, j)}
		}
		seen[w.ID] = i
	}
	for id, a := range c.Attestations {
		a.Source = name + ":" + strconv.Itoa(c.lines["attestations."+id])
		if _, err := time.Parse(time.DateOnly, a.Date); err != nil {
			return nil, &Error{File: name, Line: c.lines["attestations."+id], Msg: fmt.Sprintf("attestations.%s.date: not a date: %q", id, a.Date)}
		}
		c.Attestations[id] = a
	}
	return c, nil
}

func checkDates(w *Waiver) error {
	exp, err := time.Parse(time.DateOnly, w.Expires)
	if err != nil {
		return fmt.Errorf("expires: not a date (YYYY-MM-DD): %q", w.Expires)
	}
	if w.Created != "" {
		cr, err := time.Parse(time.DateOnly, w.Created)
		if err != nil {
			return fmt.Errorf("created: not a date (YYYY-MM-DD): %q", w.Created)
		}
		if exp.Before(cr) {
			return fmt.Errorf("expires %s is before created %s", w.Expires, w.Created)
		}
	}
	return nil
}

// Line returns the line of a dotted key path ("waivers[2]", "profile").
func (c *Config) Line(key string) int {
	if c == nil {
		return 0
	}
	return c.lines[key]
}

// Where returns "file:line" for a key that the file sets, or "".
func (c *Config) Where(key string) string {
	if c == nil || c.Path == "" {
		return ""
	}
	if l, ok := c.lines[key]; ok {
		return c.Path + ":" + strconv.Itoa(l)
	}
	return ""
}

// ProfilePaths returns the local profile files, relative ones resolved
// against the config file's folder.
func (c *Config) ProfilePaths() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.Profiles))
	for _, p := range c.Profiles {
		if !filepath.IsAbs(p) && c.Path != "" {
			p = filepath.Join(filepath.Dir(c.Path), p)
		}
		out = append(out, p)
	}
	return out
}

// ValidateChecks reports waivers naming a check ID that does not exist:
// a typo there would silently waive nothing forever.
func (c *Config) ValidateChecks(known func(id string) bool) error {
	if c == nil {
		return nil
	}
	for i, w := range c.Waivers {
		if w.Check != "" && !known(w.Check) {
			return &Error{File: c.Path, Line: c.lines["waivers["+strconv.Itoa(i)+"]"], Msg: fmt.Sprintf("waivers[%d]: unknown check %s", i, w.Check)}
		}
	}
	return nil
}

// configSchema is the compiled schema/clawgov-config.schema.json.
var configSchema = sync.OnceValue(func() *yamlschema.Schema {
	s, err := yamlschema.Compile(schema.Config, yamlschema.Options{AssertFormat: true})
	if err != nil {
		panic(fmt.Sprintf("embedded config schema: %v", err)) // a build defect, caught by go test
	}
	return s
})

func recordLines(n *yaml.Node, prefix string, out map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			out[k] = n.Content[i].Line
			recordLines(n.Content[i+1], k, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			k := prefix + "[" + strconv.Itoa(i) + "]"
			out[k] = c.Line
			recordLines(c, k, out)
		}
	}
}

func yamlError(name string, err error) error {
	// yaml.v3 says "yaml: line 3: ..." or, for strict decoding,
	// "yaml: unmarshal errors:\n  line 7: field x not found in type ...".
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	msg = strings.TrimSpace(strings.SplitN(msg, "\n", 2)[0])
	line := 0
	if strings.HasPrefix(msg, "line ") {
		rest := strings.TrimPrefix(msg, "line ")
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if l, err := strconv.Atoi(rest[:i]); err == nil {
				line = l
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &Error{File: name, Line: line, Msg: msg}
}
