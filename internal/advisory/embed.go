package advisory

import (
	_ "embed"
	"fmt"
	"sync"
)

// The generated data. advisories.json comes from `go run
// ./internal/advisory/gen`, releases.json from scripts/gen-releases.sh;
// the binary embeds their compiled form (pack.go), so after changing
// either run `go generate ./internal/advisory`. tags.json is curated by
// hand and only read when building a database.
//
//go:embed data/tags.json
var tagsJSON []byte

var (
	embOnce sync.Once
	embDB   *DB
	embErr  error
	relOnce sync.Once
	relTab  *Releases
	relErr  error
)

// Embedded returns the advisory database compiled into the binary.
func Embedded() (*DB, error) {
	embOnce.Do(func() {
		embDB, embErr = unpackDB(packedDB)
		if embErr != nil {
			embErr = fmt.Errorf("embedded advisory database: %w", embErr)
		}
	})
	return embDB, embErr
}

var liteOnce = sync.OnceValues(func() (*DB, error) {
	db, err := unpack(packedDB, true)
	if err != nil {
		return nil, fmt.Errorf("embedded advisory database: %w", err)
	}
	return db, nil
})

// Preload decodes, ahead of use, the advisory data an audit needs (the
// audit engine's database and the release table), so it can overlap with
// other work.
func Preload() {
	_, _ = liteOnce()
	_, _ = EmbeddedReleases()
}

// EmbeddedReleases returns the embedded table of official releases.
func EmbeddedReleases() (*Releases, error) {
	relOnce.Do(func() {
		relTab, relErr = unpackReleases(packedReleases)
		if relErr != nil {
			relErr = fmt.Errorf("embedded release table: %w", relErr)
		}
	})
	return relTab, relErr
}

// EmbeddedTags returns the curated advisory tags.
func EmbeddedTags() (Tags, error) { return ParseTags(tagsJSON) }
