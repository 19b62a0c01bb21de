// Package orgpolicy is the organisation's policy as the fleet distributes
// it: a clawgov.yaml and the local profile files it names, packed into one
// versioned bundle and signed with an ed25519 policy key kept off the
// fleet server (the same key files and signature encoding as the advisory
// bundles). Agents verify the signature against keys they pinned at
// enrollment and refuse a version older than one they applied, so neither
// a compromised server nor a replayed old bundle can loosen the rules a
// host is judged by.
package orgpolicy

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clawgov/clawgov/internal/advisory"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/config"
)

// Schema names the signed payload format.
const Schema = "clawgov.policy.v1"

// ConfigName is the bundle member holding the clawgov.yaml.
const ConfigName = "clawgov.yaml"

// Bounds: a policy is written by people. The envelope carries the payload
// in base64, hence the larger envelope bound.
const (
	MaxPayload  = config.MaxSize
	MaxEnvelope = MaxPayload*4/3 + 4096
	MaxFiles    = 64
)

// ErrVerify is a bundle that does not verify (bad or unknown signature,
// tampered payload), as opposed to one that could not be read.
var ErrVerify = errors.New("policy bundle does not verify")

// ErrRollback is a valid bundle older than (or conflicting with) one
// already applied.
var ErrRollback = errors.New("policy bundle rollback refused")

// Payload is what the signature covers.
type Payload struct {
	Schema  string `json:"schema"`
	Version int64  `json:"version"`
	Created string `json:"created"`
	Comment string `json:"comment,omitempty"`
	// Files maps bundle-relative names to contents; ConfigName is
	// required and its `profiles` entries name other members.
	Files map[string]string `json:"files"`
}

// Envelope is the bundle as stored and sent: the exact payload bytes that
// were signed (base64) and the signature over them.
type Envelope struct {
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
	KeyID     string `json:"key_id"`
}

// Bundle is a verified bundle.
type Bundle struct {
	Payload Payload
	// Raw is the envelope exactly as received (what agents cache).
	Raw []byte
	// Ref identifies it in reports and in the fleet store.
	Ref config.BundleRef
}

// memberName: relative, slash-separated, no dot segments, plain
// characters, so a member can never be written outside its folder.
var memberName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$`)
})

func checkMember(name string) error {
	if len(name) > 200 || !memberName().MatchString(name) || path.Clean(name) != name || strings.Contains(name, "..") {
		return fmt.Errorf("member %q: not a plain relative file name", name)
	}
	return nil
}

// Make packs the clawgov.yaml at cfgPath and the local profiles it names
// into a bundle of version, signed with key. It validates first what an
// agent would: the config, the profiles (composition, cycles, unknown
// checks) and the waivers' check IDs against cat, so a broken policy
// fails here and never reaches a host.
func Make(cfgPath string, version int64, comment string, now time.Time, key ed25519.PrivateKey, cat *catalog.Catalog) ([]byte, error) {
	if version <= 0 {
		return nil, fmt.Errorf("policy version must be a positive integer, got %d", version)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", cfgPath, err)
	}
	p := Payload{Schema: Schema, Version: version, Created: now.UTC().Format(time.RFC3339), Comment: comment,
		Files: map[string]string{ConfigName: string(data)}}
	base := filepath.Dir(cfgPath)
	for i, rel := range cfg.Profiles {
		if filepath.IsAbs(rel) {
			return nil, &config.Error{File: cfgPath, Line: cfg.Line("profiles[" + strconv.Itoa(i) + "]"),
				Msg: fmt.Sprintf("profiles[%d]: %s is absolute; a bundled profile must sit beside clawgov.yaml", i, rel)}
		}
		name := filepath.ToSlash(filepath.Clean(rel))
		if err := checkMember(name); err != nil || name == ConfigName {
			return nil, &config.Error{File: cfgPath, Line: cfg.Line("profiles[" + strconv.Itoa(i) + "]"),
				Msg: fmt.Sprintf("profiles[%d]: %s cannot be bundled (a plain relative name beside clawgov.yaml is needed)", i, rel)}
		}
		b, err := os.ReadFile(filepath.Join(base, rel))
		if err != nil {
			return nil, fmt.Errorf("read profile %s: %w", rel, err)
		}
		p.Files[name] = string(b)
	}
	if len(p.Files) > MaxFiles {
		return nil, fmt.Errorf("policy has %d files; at most %d", len(p.Files), MaxFiles)
	}
	if err := validate(cfg, cat); err != nil {
		return nil, err
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode policy: %w", err)
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("policy payload is %d bytes; at most %d", len(payload), MaxPayload)
	}
	env := Envelope{Payload: base64.StdEncoding.EncodeToString(payload),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, payload)),
		KeyID:     advisory.KeyID(key.Public().(ed25519.PublicKey))}
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode policy: %w", err)
	}
	return append(out, '\n'), nil
}

// validate resolves what an audit would: local profiles, the default
// profile and waiver check IDs.
func validate(cfg *config.Config, cat *catalog.Catalog) error {
	if cat == nil {
		return nil
	}
	c, err := cat.WithProfileFiles(cfg.ProfilePaths())
	if err != nil {
		return err
	}
	if cfg.Profile != "" {
		if _, err := c.Profile(cfg.Profile); err != nil {
			return fmt.Errorf("%s: %w", cfg.Where("profile"), err)
		}
	}
	return cfg.ValidateChecks(func(id string) bool { _, ok := c.Check(id); return ok })
}

// Verify decodes an envelope, checks its signature against trusted and
// its payload's shape, and returns the bundle.
func Verify(raw []byte, trusted []ed25519.PublicKey) (*Bundle, error) {
	if len(raw) > MaxEnvelope {
		return nil, fmt.Errorf("policy bundle is larger than %d bytes", MaxEnvelope)
	}
	var env Envelope
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("policy bundle: not a bundle envelope: %v", err)
	}
	if dec.More() {
		return nil, errors.New("policy bundle: trailing data after the envelope")
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil || len(payload) == 0 {
		return nil, errors.New("policy bundle: payload is not base64")
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("policy bundle: payload larger than %d bytes", MaxPayload)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("policy bundle: malformed signature: %w", ErrVerify)
	}
	if len(trusted) == 0 {
		return nil, errors.New("policy bundle: no trusted policy keys")
	}
	keyID := ""
	for _, k := range trusted {
		if ed25519.Verify(k, payload, sig) {
			keyID = advisory.KeyID(k)
			break
		}
	}
	if keyID == "" {
		return nil, fmt.Errorf("policy bundle: signature does not verify with any trusted key (changed payload or unknown signer): %w", ErrVerify)
	}
	var p Payload
	pd := json.NewDecoder(bytes.NewReader(payload))
	pd.DisallowUnknownFields()
	if err := pd.Decode(&p); err != nil {
		return nil, fmt.Errorf("policy bundle: payload: %v", err)
	}
	if p.Schema != Schema {
		return nil, fmt.Errorf("policy bundle: schema %q, want %q", p.Schema, Schema)
	}
	if p.Version <= 0 {
		return nil, fmt.Errorf("policy bundle: version %d is not positive", p.Version)
	}
	if _, err := time.Parse(time.RFC3339, p.Created); err != nil {
		return nil, fmt.Errorf("policy bundle: created %q is not an RFC 3339 time", p.Created)
	}
	if _, ok := p.Files[ConfigName]; !ok {
		return nil, fmt.Errorf("policy bundle: no %s member", ConfigName)
	}
	if len(p.Files) > MaxFiles {
		return nil, fmt.Errorf("policy bundle: %d members; at most %d", len(p.Files), MaxFiles)
	}
	for name := range p.Files {
		if err := checkMember(name); err != nil {
			return nil, fmt.Errorf("policy bundle: %w", err)
		}
	}
	sum := sha256.Sum256(payload)
	return &Bundle{Payload: p, Raw: raw, Ref: config.BundleRef{Version: p.Version, Digest: hex.EncodeToString(sum[:]), KeyID: keyID, Created: p.Created}}, nil
}

// CheckSuccessor refuses next when it is older than applied, or the same
// version with other content (a signer who re-used a version number is
// as suspect as a rollback: hosts would be judged by two policies under
// one name).
func CheckSuccessor(applied *config.BundleRef, next config.BundleRef) error {
	if applied == nil {
		return nil
	}
	switch {
	case next.Version < applied.Version:
		return fmt.Errorf("version %d is older than the applied version %d: %w", next.Version, applied.Version, ErrRollback)
	case next.Version == applied.Version && next.Digest != applied.Digest:
		return fmt.Errorf("version %d differs from the applied bundle of the same version: %w", next.Version, ErrRollback)
	}
	return nil
}

// Members lists the member names, sorted.
func (b *Bundle) Members() []string {
	out := make([]string, 0, len(b.Payload.Files))
	for n := range b.Payload.Files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Materialise writes the members under dir/v<version> and returns the
// config loaded from there, carrying the bundle's Ref. The folder is
// rewritten from the verified bundle every time (what is on disk is never
// trusted on its own), through a fresh temporary folder renamed into
// place, so a crash never leaves half a policy where an audit would read
// it.
func (b *Bundle) Materialise(dir string) (*config.Config, error) {
	final := filepath.Join(dir, "v"+strconv.FormatInt(b.Payload.Version, 10))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("policy folder: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-v*")
	if err != nil {
		return nil, fmt.Errorf("policy folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, name := range b.Members() {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return nil, fmt.Errorf("policy folder: %w", err)
		}
		if err := os.WriteFile(p, []byte(b.Payload.Files[name]), 0o600); err != nil {
			return nil, fmt.Errorf("policy folder: %w", err)
		}
	}
	if err := os.RemoveAll(final); err != nil {
		return nil, fmt.Errorf("policy folder: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("policy folder: %w", err)
	}
	cfg, err := config.Load(filepath.Join(final, ConfigName))
	if err != nil {
		return nil, fmt.Errorf("policy v%d: %w", b.Payload.Version, err)
	}
	ref := b.Ref
	cfg.Bundle = &ref
	return cfg, nil
}
