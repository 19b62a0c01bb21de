package audit

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/clawgov/clawgov/internal/approval"
	"github.com/clawgov/clawgov/internal/config"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/posture"
)

// OrgRegistry is the organisation registry of clawgov.yaml as the checks
// use it, nil when registry.url is not set (the checks then skip and say
// why). The client verifies against registry.signing_key only; without
// one it answers "unverifiable" and makes no request. The reader token is
// clawgov's own CLAWHUB_TOKEN (CLAWHUB_AUTH_TOKEN), else the one the
// deployment's OpenClaw uses. A key that cannot be read is bad input.
func OrgRegistry(c *config.Config, getenv func(string) string, inv *openclaw.Inventory, timeout time.Duration) (*posture.OrgRegistry, error) {
	if c == nil || strings.TrimSpace(c.Registry.URL) == "" {
		return nil, nil
	}
	cl := &approval.Client{BaseURL: strings.TrimSpace(c.Registry.URL), Timeout: timeout}
	if c.Registry.SigningKey != "" {
		dir := ""
		if c.Path != "" {
			dir = filepath.Dir(c.Path)
		}
		k, err := approval.ParsePublicKey(c.Registry.SigningKey, dir)
		if err != nil {
			where := c.Where("registry.signing_key")
			if where == "" {
				where = "clawgov.yaml"
			}
			return nil, fmt.Errorf("%s: registry.signing_key: %v", where, err)
		}
		cl.Key = k
	}
	for _, k := range []string{"CLAWHUB_TOKEN", "CLAWHUB_AUTH_TOKEN"} {
		if getenv != nil && strings.TrimSpace(getenv(k)) != "" {
			cl.Token = strings.TrimSpace(getenv(k))
			break
		}
	}
	if cl.Token == "" && inv != nil {
		for _, k := range []string{"CLAWHUB_TOKEN", "CLAWHUB_AUTH_TOKEN"} {
			if v := strings.TrimSpace(inv.Env[k]); v != "" {
				cl.Token = v
				break
			}
		}
	}
	return &posture.OrgRegistry{URL: cl.BaseURL, Verifier: cl}, nil
}
