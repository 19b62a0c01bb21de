package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/fleet/agent"
	"github.com/clawgov/clawgov/internal/fleet/wire"
	"github.com/clawgov/clawgov/internal/probe"
)

// uploadGateways posts the gateways found to a fleet server, which lists
// those on no enrolled host's address as unmanaged.
func uploadGateways(ctx context.Context, f *factory, server, pin string, results []probe.Result) error {
	tok := f.Getenv("CLAWGOV_API_TOKEN")
	if tok == "" {
		return usageErrorf("--upload needs an admin API token in CLAWGOV_API_TOKEN")
	}
	up := wire.GatewayUpload{Gateways: []wire.UploadedGateway{}}
	for i := range results {
		r := &results[i]
		if !r.IsGateway() || net.ParseIP(r.Address) == nil {
			continue
		}
		up.Gateways = append(up.Gateways, wire.UploadedGateway{Address: net.JoinHostPort(r.Address, strconv.Itoa(r.Port)), Version: r.Version,
			Detail: strings.Join(append([]string{r.Product, "auth=" + r.Auth}, r.Extras()...), " ")})
	}
	body, _ := json.Marshal(up)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(server, "/")+wire.PathGateways, bytes.NewReader(body))
	if err != nil {
		return usageErrorf("--upload %q: %v", server, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := agent.Client(pin, 30*time.Second).Do(req)
	if err != nil {
		return fmt.Errorf("upload gateways: %w", err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		if e := wire.ReadError(rb); e != nil {
			return fmt.Errorf("upload gateways: server said %s: %s", e.Code, e.Message)
		}
		return fmt.Errorf("upload gateways: HTTP %d", resp.StatusCode)
	}
	var out struct{ Received, New int }
	_ = json.Unmarshal(rb, &out)
	fmt.Fprintf(f.IO.ErrOut, "clawgov discover: uploaded %d gateway(s) to %s (%d new)\n", out.Received, server, out.New)
	return nil
}
