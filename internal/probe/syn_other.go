//go:build !linux

package probe

import "errors"

func newSyn() (synSweeper, error) {
	return nil, errors.New("SYN sweep not supported on this platform")
}
