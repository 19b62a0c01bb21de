package advisory

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// Generate builds the database from a shared data directory: osv/*.json
// (full records), openclaw-advisories-seed.json and osv-partial.json. It
// returns the notes about advisory groups that had to be joined.
func Generate(fsys fs.FS) (*DB, []string, error) {
	tags, err := EmbeddedTags()
	if err != nil {
		return nil, nil, err
	}
	b := NewBuilder()

	// Partial records only add their collection status to the seed facts.
	status := map[string]string{}
	if raw, err := fs.ReadFile(fsys, "osv-partial.json"); err == nil {
		var doc struct {
			Records []PartialRecord `json:"records"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, nil, fmt.Errorf("osv-partial.json: %w", err)
		}
		for _, r := range doc.Records {
			status[r.Seed.ID] = r.CollectionStatus
		}
	} else {
		return nil, nil, fmt.Errorf("read osv-partial.json: %w", err)
	}

	raw, err := fs.ReadFile(fsys, "openclaw-advisories-seed.json")
	if err != nil {
		return nil, nil, fmt.Errorf("read seed: %w", err)
	}
	var seed []SeedRecord
	if err := json.Unmarshal(raw, &seed); err != nil {
		return nil, nil, fmt.Errorf("openclaw-advisories-seed.json: %w", err)
	}
	for _, r := range seed {
		var notes []string
		if st := status[r.ID]; st != "" {
			notes = append(notes, "osv-partial: "+st)
		}
		if err := b.AddSeed(r, notes...); err != nil {
			return nil, nil, err
		}
	}

	files, err := fs.Glob(fsys, "osv/*.json")
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", f, err)
		}
		r, err := ParseOSV(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f, err)
		}
		if err := b.AddOSV(r, "osv:"+path.Base(f)); err != nil {
			return nil, nil, err
		}
	}
	db, err := b.Build(tags, map[string]string{
		"osv":     fmt.Sprintf("%d OSV records (GitHub Advisory Database)", len(files)),
		"seed":    fmt.Sprintf("%d seed records (public CVE trackers and CVE records)", len(seed)),
		"partial": fmt.Sprintf("%d seed records without a full OSV record (collection status noted)", len(status)),
	})
	if err != nil {
		return nil, nil, err
	}
	return db, b.Conflicts, nil
}
