package skillscan

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Indicator is one known-bad value from a published campaign report.
type Indicator struct {
	// Type is ip, domain, url, handle or sha256.
	Type  string `yaml:"type"`
	Value string `yaml:"value"`
	// Confidence: verified (vendor report), secondary (repeated in
	// write-ups), unverified (context unclear; reported one level lower).
	Confidence string `yaml:"confidence"`
	Source     string `yaml:"source"`
	Note       string `yaml:"note"`
}

// IndicatorSource documents where indicators come from.
type IndicatorSource struct {
	ID    string `yaml:"id"`
	Title string `yaml:"title"`
	URL   string `yaml:"url"`
}

type rawIndicators struct {
	Version    string            `yaml:"version"`
	Sources    []IndicatorSource `yaml:"sources"`
	Indicators []Indicator       `yaml:"indicators"`
}

// Indicators is the compiled indicator list.
type Indicators struct {
	Version string
	Sources []IndicatorSource
	network []Indicator
	netM    *matcher
	// Handles maps a lowercase publisher handle to its indicator.
	Handles map[string]Indicator
	// Hashes maps a lowercase SHA-256 hex to its indicator.
	Hashes map[string]Indicator
}

var (
	indOnce sync.Once
	indVal  *Indicators
	indErr  error
)

// DefaultIndicators returns the embedded indicator list.
func DefaultIndicators() (*Indicators, error) {
	indOnce.Do(func() {
		b, err := rulesFS.ReadFile("rules/indicators.yaml")
		if err != nil {
			indErr = err
			return
		}
		indVal, indErr = ParseIndicators(b)
	})
	return indVal, indErr
}

// ParseIndicators parses and validates an indicator file.
func ParseIndicators(b []byte) (*Indicators, error) {
	var raw rawIndicators
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("indicators: %w", err)
	}
	srcs := map[string]bool{}
	for _, s := range raw.Sources {
		if s.ID == "" || s.URL == "" {
			return nil, fmt.Errorf("indicators: source %q needs id and url", s.ID)
		}
		srcs[s.ID] = true
	}
	ind := &Indicators{Version: raw.Version, Sources: raw.Sources, Handles: map[string]Indicator{}, Hashes: map[string]Indicator{}}
	var vals []string
	for i, it := range raw.Indicators {
		it.Value = strings.ToLower(strings.TrimSpace(it.Value))
		if it.Value == "" {
			return nil, fmt.Errorf("indicators: entry %d: empty value", i+1)
		}
		if !srcs[it.Source] {
			return nil, fmt.Errorf("indicators: %s: unknown source %q", it.Value, it.Source)
		}
		switch it.Confidence {
		case "verified", "secondary", "unverified":
		default:
			return nil, fmt.Errorf("indicators: %s: confidence %q (want verified|secondary|unverified)", it.Value, it.Confidence)
		}
		switch it.Type {
		case "ip", "domain", "url":
			ind.network = append(ind.network, it)
			vals = append(vals, it.Value)
		case "handle":
			ind.Handles[it.Value] = it
		case "sha256":
			if len(it.Value) != 64 {
				return nil, fmt.Errorf("indicators: %s: sha256 must be 64 hex digits", it.Value)
			}
			ind.Hashes[it.Value] = it
		default:
			return nil, fmt.Errorf("indicators: %s: unknown type %q", it.Value, it.Type)
		}
	}
	ind.netM = newMatcher(vals)
	return ind, nil
}

func isHostChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// indicators reports network indicators in text. A hit must stand on its
// own: "191.92.242.30" or "notwebhook.site.example" are not hits.
func (us *unitScan) indicators(rel string, text []byte, line0 int, via string) {
	ind := us.s.ind
	if ind == nil || ind.netM == nil || len(ind.network) == 0 {
		return
	}
	seen := make([]bool, len(ind.network))
	if ind.netM.find(text, seen) == 0 {
		return
	}
	lowered := bytes.ToLower(text)
	for i, ok := range seen {
		if !ok {
			continue
		}
		it := ind.network[i]
		v := []byte(it.Value)
		for off := 0; ; {
			j := bytes.Index(lowered[off:], v)
			if j < 0 {
				break
			}
			a, b := off+j, off+j+len(v)
			off = b
			if a > 0 && (isHostChar(lowered[a-1]) || (lowered[a-1] == '.' && it.Type == "ip")) {
				continue
			}
			if b < len(lowered) && (isHostChar(lowered[b]) || (it.Type == "ip" && lowered[b] == '.' && b+1 < len(lowered) && lowered[b+1] >= '0' && lowered[b+1] <= '9')) {
				continue
			}
			ln := line0
			if via == "" {
				ln += bytes.Count(text[:a], []byte{'\n'})
			}
			m := Match{RuleID: ruleIndicatorNetwork, Title: builtinRules[ruleIndicatorNetwork].title, Severity: builtinRules[ruleIndicatorNetwork].sev,
				Category: "indicator", File: rel, Line: ln, Text: snippet(text[a:b]) + " (" + it.Source + ")", Via: via}
			if it.Confidence == "unverified" {
				m.Severity--
			}
			pen, why := us.contextPenalty(indicatorRule, rel, text, a, b)
			m.Severity, m.Context = lower(m.Severity, pen), why
			us.matches = append(us.matches, m)
			break
		}
	}
}

// indicatorRule stands in for the network indicators when judging the
// context of a hit.
var indicatorRule = &Rule{ID: ruleIndicatorNetwork, Category: "indicator"}

// CheckHandle reports whether a publisher handle is a known campaign
// account.
func (ind *Indicators) CheckHandle(h string) (Indicator, bool) {
	if ind == nil {
		return Indicator{}, false
	}
	it, ok := ind.Handles[strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))]
	return it, ok
}

// Signed indicator updates. An update is an indicators.yaml file (same
// format as the embedded one) with a detached ed25519 signature over its
// exact bytes in <file>.sig (base64), made with the same key pair tooling
// as the advisory bundles (`clawgov advisories keygen`). A verified update
// is merged with the embedded list, so an update can add indicators but a
// stale file cannot remove the built-in ones.

// SignatureSuffix names the detached signature next to an update file.
const SignatureSuffix = ".sig"

// SignIndicators returns the base64 signature of an indicator file.
func SignIndicators(data []byte, key ed25519.PrivateKey) []byte {
	return []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(key, data)) + "\n")
}

// LoadSignedIndicators verifies path against path+".sig" with one of the
// trusted keys and returns the embedded indicators merged with it.
func LoadSignedIndicators(path string, trusted []ed25519.PublicKey) (*Indicators, error) {
	if len(trusted) == 0 {
		return nil, fmt.Errorf("indicator update %s: no trusted key given", path)
	}
	data, err := readSmall(path)
	if err != nil {
		return nil, fmt.Errorf("indicator update: %w", err)
	}
	sigText, err := readSmall(path + SignatureSuffix)
	if err != nil {
		return nil, fmt.Errorf("indicator update signature: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigText)))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("indicator update %s: malformed signature", path)
	}
	ok := false
	for _, k := range trusted {
		if ed25519.Verify(k, data, sig) {
			ok = true
			break
		}
	}
	if !ok {
		return nil, fmt.Errorf("indicator update %s: signature does not verify with any trusted key", path)
	}
	upd, err := ParseIndicators(data)
	if err != nil {
		return nil, err
	}
	base, err := DefaultIndicators()
	if err != nil {
		return nil, err
	}
	return mergeIndicators(base, upd), nil
}

func mergeIndicators(a, b *Indicators) *Indicators {
	out := &Indicators{Version: a.Version + "+" + b.Version, Handles: map[string]Indicator{}, Hashes: map[string]Indicator{}}
	out.Sources = append(append(out.Sources, a.Sources...), b.Sources...)
	seen := map[string]bool{}
	var vals []string
	for _, src := range []*Indicators{a, b} {
		for _, it := range src.network {
			if !seen[it.Value] {
				seen[it.Value] = true
				out.network = append(out.network, it)
				vals = append(vals, it.Value)
			}
		}
		for k, v := range src.Handles {
			out.Handles[k] = v
		}
		for k, v := range src.Hashes {
			out.Hashes[k] = v
		}
	}
	out.netM = newMatcher(vals)
	return out
}
