package catalog

import (
	_ "embed"
	"fmt"
	"io/fs"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/packed"
)

// The embedded catalog is compiled from data/ at build time (`go generate
// ./internal/catalog`, which runs ./gen): Load parses and validates the
// YAML there, and the binary only decodes the result. Parsing the YAML at
// every start was most of clawgov's start-up time. TestPackedUpToDate
// fails when data/ and catalog.pack disagree.
//
//go:generate go run ./gen
//go:embed catalog.pack
var packedCatalog string

// packVersion changes whenever the packed layout does.
const packVersion = 1

// Compile loads and validates the catalog in fsys and returns its packed
// form, the bytes of catalog.pack.
func Compile(fsys fs.FS) ([]byte, error) {
	c, err := Load(fsys)
	if err != nil {
		return nil, err
	}
	return c.pack(), nil
}

func (c *Catalog) pack() []byte {
	w := packed.NewWriter()
	f := c.Framework
	w.String(f.ID)
	w.String(f.Version)
	w.String(f.Published)
	packText(w, f.Title)
	packText(w, f.Issuer)
	w.String(f.Source)

	w.Len(len(c.Controls), c.Controls == nil)
	for _, ctl := range c.Controls {
		w.String(ctl.ID)
		w.Int(ctl.Item)
		w.String(ctl.Kind)
		packText(w, ctl.Title)
		packText(w, ctl.Description)
		w.Strings(ctl.Checks)
		w.Bool(ctl.ManualGuidance != nil)
		if ctl.ManualGuidance != nil {
			packText(w, *ctl.ManualGuidance)
		}
	}

	w.Len(len(c.checks), c.checks == nil)
	for _, id := range packed.SortedKeys(c.checks) {
		ch := c.checks[id]
		w.String(ch.ID)
		w.String(ch.Engine)
		w.Int(int(ch.Severity))
		packText(w, ch.Title)
		packText(w, ch.Description)
		packText(w, ch.Remediation)
		w.Len(len(ch.Messages), ch.Messages == nil)
		for _, k := range packed.SortedKeys(ch.Messages) {
			w.String(k)
			packText(w, ch.Messages[k])
		}
		w.Strings(ch.References)
		w.Strings(ch.OpenClawAuditIDs)
		w.Strings(ch.Controls)
		w.String(ch.Why)
	}

	w.Len(len(c.profiles), c.profiles == nil)
	for _, id := range packed.SortedKeys(c.profiles) {
		packProfile(w, c.profiles[id])
	}

	w.Len(len(c.retired), c.retired == nil)
	for _, r := range c.retired {
		w.String(r.ID)
		w.String(r.ReplacedBy)
		packText(w, r.Title)
		packText(w, r.Reason)
	}
	return w.Bytes(packVersion)
}

func packText(w *packed.Writer, t Text) {
	w.String(t.ZH)
	w.String(t.EN)
}

func unpackText(r *packed.Reader) Text {
	return Text{ZH: r.String(), EN: r.String()}
}

func packProfile(w *packed.Writer, p *Profile) {
	w.String(p.ID)
	packText(w, p.Title)
	packText(w, p.Description)
	w.String(p.Extends)
	w.Bool(p.WarnAsFail)
	w.Len(len(p.SeverityOverrides), p.SeverityOverrides == nil)
	for _, k := range packed.SortedKeys(p.SeverityOverrides) {
		w.String(k)
		w.Int(int(p.SeverityOverrides[k]))
	}
	w.Strings(p.Disabled)
	w.Len(len(p.Sources), p.Sources == nil)
	for _, s := range p.Sources {
		w.String(s.ID)
		packText(w, s.Title)
		w.String(s.URL)
	}
	w.Len(len(p.Requires), p.Requires == nil)
	for _, q := range p.Requires {
		w.String(q.Check)
		w.String(q.Source)
		packText(w, q.Reason)
	}
	w.Int(p.Thresholds.LogRetentionDays)
	w.Int(p.Thresholds.MaxDaysBehind)
	w.Int(p.Thresholds.MaxReleasesBehind)
	w.Len(len(p.Attestations), p.Attestations == nil)
	for _, a := range p.Attestations {
		w.String(a.ID)
		w.String(a.Control)
		packText(w, a.Title)
		packText(w, a.Guidance)
		w.String(a.Source)
	}
	w.String(p.File)
	w.String(p.Digest)
	w.Len(len(p.lines), p.lines == nil)
	for _, k := range packed.SortedKeys(p.lines) {
		w.String(k)
		w.Int(p.lines[k])
	}
	w.String(p.MinVersion)
}

func unpackProfile(r *packed.Reader) *Profile {
	p := &Profile{ID: r.String(), Title: unpackText(r), Description: unpackText(r), Extends: r.String(), WarnAsFail: r.Bool()}
	if n, isNil := r.Len(2); !isNil {
		p.SeverityOverrides = make(map[string]finding.Severity, n)
		for range n {
			k := r.String()
			p.SeverityOverrides[k] = finding.Severity(r.Int())
		}
	}
	p.Disabled = r.Strings()
	if n, isNil := r.Len(4); !isNil {
		p.Sources = make([]Source, n)
		for i := range p.Sources {
			p.Sources[i] = Source{ID: r.String(), Title: unpackText(r), URL: r.String()}
		}
	}
	if n, isNil := r.Len(4); !isNil {
		p.Requires = make([]Requirement, n)
		for i := range p.Requires {
			p.Requires[i] = Requirement{Check: r.String(), Source: r.String(), Reason: unpackText(r)}
		}
	}
	p.Thresholds = Thresholds{LogRetentionDays: r.Int(), MaxDaysBehind: r.Int(), MaxReleasesBehind: r.Int()}
	if n, isNil := r.Len(7); !isNil {
		p.Attestations = make([]AttestationItem, n)
		for i := range p.Attestations {
			p.Attestations[i] = AttestationItem{ID: r.String(), Control: r.String(), Title: unpackText(r), Guidance: unpackText(r), Source: r.String()}
		}
	}
	p.File = r.String()
	p.Digest = r.String()
	if n, isNil := r.Len(2); !isNil {
		p.lines = make(map[string]int, n)
		for range n {
			k := r.String()
			p.lines[k] = r.Int()
		}
	}
	p.MinVersion = r.String()
	return p
}

// unpack decodes a packed catalog. The data was validated when it was
// compiled, so only the encoding itself is checked here.
func unpack(data string) (*Catalog, error) {
	r, err := packed.NewReader(data, packVersion)
	if err != nil {
		return nil, err
	}
	c := &Catalog{}
	c.Framework = Framework{ID: r.String(), Version: r.String(), Published: r.String(), Title: unpackText(r), Issuer: unpackText(r), Source: r.String()}

	if n, isNil := r.Len(9); !isNil {
		c.Controls = make([]Control, n)
		for i := range c.Controls {
			ctl := Control{ID: r.String(), Item: r.Int(), Kind: r.String(), Title: unpackText(r), Description: unpackText(r), Checks: r.Strings()}
			if r.Bool() {
				t := unpackText(r)
				ctl.ManualGuidance = &t
			}
			c.Controls[i] = ctl
		}
	}

	if n, isNil := r.Len(14); !isNil {
		c.checks = make(map[string]*Check, n)
		// One backing array for all checks: one allocation instead of n.
		all := make([]Check, n)
		for i := range all {
			ch := &all[i]
			ch.ID = r.String()
			ch.Engine = r.String()
			ch.Severity = finding.Severity(r.Int())
			ch.Title = unpackText(r)
			ch.Description = unpackText(r)
			ch.Remediation = unpackText(r)
			if m, isNil := r.Len(3); !isNil {
				ch.Messages = make(map[string]Text, m)
				for range m {
					k := r.String()
					ch.Messages[k] = unpackText(r)
				}
			}
			ch.References = r.Strings()
			ch.OpenClawAuditIDs = r.Strings()
			ch.Controls = r.Strings()
			ch.Why = r.String()
			c.checks[ch.ID] = ch
		}
	}

	if n, isNil := r.Len(19); !isNil {
		c.profiles = make(map[string]*Profile, n)
		for range n {
			p := unpackProfile(r)
			c.profiles[p.ID] = p
		}
	}

	if n, isNil := r.Len(6); !isNil {
		c.retired = make([]Retired, n)
		for i := range c.retired {
			c.retired[i] = Retired{ID: r.String(), ReplacedBy: r.String(), Title: unpackText(r), Reason: unpackText(r)}
		}
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("embedded catalog: %w", err)
	}
	return c, nil
}
