package host

import (
	"context"
	"log/slog"
)

// Options tell Gather where to look.
type Options struct {
	// Rootfs is treated as "/" ("" = live host, /proc is read too).
	Rootfs string
	Logger *slog.Logger
}

// Gather collects host facts. Unreadable sources become Problems; it fails
// only when the root itself is unusable.
func Gather(ctx context.Context, opts Options) (*Facts, error) {
	_ = ctx
	return &Facts{Rootfs: opts.Rootfs, Live: opts.Rootfs == ""}, nil
}
