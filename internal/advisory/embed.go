package advisory

import (
	_ "embed"
	"fmt"
	"sync"
)

// The generated data. advisories.json comes from `go run
// ./internal/advisory/gen`, releases.json from scripts/gen-releases.sh;
// tags.json is curated by hand.
var (
	//go:embed data/advisories.json
	advisoriesJSON []byte
	//go:embed data/releases.json
	releasesJSON []byte
	//go:embed data/tags.json
	tagsJSON []byte
)

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
		embDB, embErr = ParseDB(advisoriesJSON)
		if embErr != nil {
			embErr = fmt.Errorf("embedded advisory database: %w", embErr)
		}
	})
	return embDB, embErr
}

// EmbeddedReleases returns the embedded table of official releases.
func EmbeddedReleases() (*Releases, error) {
	relOnce.Do(func() {
		relTab, relErr = ParseReleases(releasesJSON)
		if relErr != nil {
			relErr = fmt.Errorf("embedded release table: %w", relErr)
		}
	})
	return relTab, relErr
}

// EmbeddedTags returns the curated advisory tags.
func EmbeddedTags() (Tags, error) { return ParseTags(tagsJSON) }
