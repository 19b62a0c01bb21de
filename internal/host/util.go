package host

import (
	"errors"
	"io/fs"
)

var errIncludeDepth = errors.New("include nesting too deep")

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
