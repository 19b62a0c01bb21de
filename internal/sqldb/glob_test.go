package sqldb_test

import "path/filepath"

func globInitdb() (bool, error) {
	m, err := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	return len(m) > 0, err
}
