//go:build !linux

package probe

import (
	"context"
	"errors"
	"time"
)

// epollSweep is only implemented on Linux; elsewhere the scanner dials
// with one goroutine per endpoint.
func epollSweep(context.Context, func() (Endpoint, bool), int, time.Duration, int, *pacer, bool, func(Endpoint, bool, error)) error {
	return errors.New("epoll sweep not supported on this platform")
}

const haveEpollSweep = false
