package openclaw

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// pathErr wraps err as "<what> <path>: <cause>", dropping the host path a
// *fs.PathError carries (under a rootfs it would name the mount point
// instead of the deployment path).
func pathErr(what, p string, err error) error {
	return fmt.Errorf("%s %s: %w", what, p, unwrapPathError(err))
}
