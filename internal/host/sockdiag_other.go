//go:build !linux

package host

import "errors"

// netlinkListeners is Linux-only; elsewhere /proc is not read either.
func netlinkListeners() ([]Socket, error) {
	return nil, errors.New("sock_diag is only available on Linux")
}
