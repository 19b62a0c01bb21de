package advisory

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The cache holds the database built from the last verified update: one
// file, replaced atomically (write a temp file in the same directory, fsync,
// rename), so a failed update never leaves a half-written database.
const cacheFile = "advisories.json"

// DefaultCacheDir is os.UserCacheDir()/clawgov/advisories.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("user cache dir: %w", err)
	}
	return filepath.Join(d, "clawgov", "advisories"), nil
}

// DefaultKeyDir is os.UserConfigDir()/clawgov/trusted-keys: every *.pub
// file there is a trusted bundle signer.
func DefaultKeyDir() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "clawgov", "trusted-keys")
}

// Source says which database is in use.
type Source struct {
	// Kind is "embedded" or "cache".
	Kind string
	Path string
	// Note explains a fallback (an unreadable cache).
	Note string
}

// Current returns the database to use: the cached update when it parses
// and is newer than the embedded copy, otherwise the embedded one.
func Current(cacheDir string) (*DB, Source, error) { return current(cacheDir, Embedded) }

// currentForMatch is Current for callers that only match versions and
// read the database's dates (the audit engine, Describe): the embedded
// copy is decoded lite, each advisory completed when a match returns it.
func currentForMatch(cacheDir string) (*DB, Source, error) { return current(cacheDir, liteOnce) }

func current(cacheDir string, embedded func() (*DB, error)) (*DB, Source, error) {
	emb, err := embedded()
	if err != nil {
		return nil, Source{}, err
	}
	if cacheDir == "" {
		return emb, Source{Kind: "embedded"}, nil
	}
	p := filepath.Join(cacheDir, cacheFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return emb, Source{Kind: "embedded"}, nil
	}
	if err != nil {
		return emb, Source{Kind: "embedded", Note: fmt.Sprintf("cached database %s unreadable: %v", p, err)}, nil
	}
	db, err := ParseDB(b)
	if err != nil {
		return emb, Source{Kind: "embedded", Note: fmt.Sprintf("cached database %s ignored: %v", p, err)}, nil
	}
	if db.Modified <= emb.Modified {
		return emb, Source{Kind: "embedded", Note: fmt.Sprintf("cached database %s (modified %s) is not newer than the embedded one", p, db.Modified)}, nil
	}
	return db, Source{Kind: "cache", Path: p}, nil
}

// UpdateResult describes an applied update.
type UpdateResult struct {
	Path    string
	Records int
	// Skipped counts records that do not concern OpenClaw.
	Skipped int
	// KeyID is the bundle signer ("" for an OSV export).
	KeyID string
	// Source is the URL an update was fetched from ("" for a file).
	Source   string
	Modified string
	Previous string
	Total    int
	// InUse is false when the stored database is not newer than the
	// embedded one (it is kept, but the embedded copy stays in use).
	InUse bool
}

// Update verifies the bundle at from, merges its records over the
// embedded database and stores the result in cacheDir. On any error the
// cache is left exactly as it was.
func Update(from, cacheDir string, trusted []ed25519.PublicKey) (*UpdateResult, error) {
	bun, err := ReadBundle(from, trusted)
	if err != nil {
		return nil, err
	}
	var recs []*OSVRecord
	var names []string
	for i, r := range bun.Records {
		if Relevant(r) { // a signed feed may carry other npm advisories
			recs = append(recs, r)
			names = append(names, bun.Names[i])
		}
	}
	desc := fmt.Sprintf("%d OSV records signed by key %s (manifest created %s)", len(recs), bun.KeyID, bun.Manifest.Created)
	mb, _ := json.MarshalIndent(bun.Manifest, "", " ")
	res, err := merge(recs, names, "bundle", desc, cacheDir, mb)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", from, err)
	}
	res.Skipped = len(bun.Records) - len(recs)
	res.KeyID = bun.KeyID
	return res, nil
}

// merge builds the database from the embedded one plus recs (each
// attributed to label:name, the source described by desc) and stores it
// atomically in cacheDir, with the bundle manifest when there is one.
func merge(recs []*OSVRecord, names []string, label, desc, cacheDir string, manifest []byte) (*UpdateResult, error) {
	emb, err := Embedded()
	if err != nil {
		return nil, err
	}
	prev, _, err := Current(cacheDir)
	if err != nil {
		return nil, err
	}
	tags, err := EmbeddedTags()
	if err != nil {
		return nil, err
	}
	b := NewBuilder()
	b.AddDB(emb)
	for i, r := range recs {
		if err := b.AddOSV(r, label+":"+names[i]); err != nil {
			return nil, err
		}
	}
	src := map[string]string{}
	for k, v := range emb.Sources {
		src[k] = v
	}
	src[label] = desc
	db, err := b.Build(tags, src)
	if err != nil {
		return nil, err
	}
	out, err := db.Encode()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache dir: %w", err)
	}
	if err := writeAtomic(filepath.Join(cacheDir, cacheFile), out); err != nil {
		return nil, err
	}
	if manifest != nil {
		_ = writeAtomic(filepath.Join(cacheDir, "last-bundle-manifest.json"), manifest)
	}
	total, _ := db.Count()
	return &UpdateResult{Path: filepath.Join(cacheDir, cacheFile), Records: len(recs),
		Modified: db.Modified, Previous: prev.Modified, Total: total, InUse: db.Modified > emb.Modified}, nil
}

func writeAtomic(p string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
