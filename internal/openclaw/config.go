package openclaw

import (
	"errors"

	"github.com/clawgov/clawgov/internal/json5"
)

// ParseConfig parses config text as the file at path, with ${VAR}
// substitution through getenv and no $include (includes need the
// filesystem: see LoadConfig). Placeholder until the loader lands.
func ParseConfig(path string, data []byte, getenv func(string) string) (*Config, error) {
	_, _, _ = path, data, getenv
	return nil, errors.New("not implemented")
}

var _ = json5.Null
