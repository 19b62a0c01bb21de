package cli

import (
	"context"

	"github.com/clawgov/clawgov/internal/openclaw"
)

// defaultProber probes the local gateway for --deep.
func defaultProber(_ context.Context, _ *openclaw.Inventory) *openclaw.LiveGateway {
	return nil
}
