package posture

import (
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/json5"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// FuzzExposureChecks feeds arbitrary JSON5 documents (any shape, any types
// at any key) to the exposure, auth, channel, hook, secret and update
// checks. They must never panic: posture.Run would turn a panic into an
// error finding, but a check that crashes on a wrongly typed key hides
// every other finding it would have made.
func FuzzExposureChecks(f *testing.F) {
	f.Add(appendixA)
	for _, rc := range riskyConfigs {
		f.Add(rc.cfg)
	}
	f.Add(`{gateway: 5, hooks: [], channels: {telegram: "x", discord: {accounts: [1, 2]}}}`)
	f.Add(`{gateway: {bind: {}, auth: {token: [], mode: 7}, tailscale: null, controlUi: {allowedOrigins: "*"}}}`)
	f.Add(`{hooks: {enabled: true, token: 12, mappings: {a: 1}}, tools: {elevated: {allowFrom: {telegram: "*"}}}}`)
	f.Add(`{env: {vars: [1], shellEnv: "x"}, session: {dmScope: 1}, update: {channel: {}}}`)
	f.Add(`{channels: {telegram: {groups: {"1": {topics: {"2": {allowFrom: [null, 1.5, "@a"]}}}}}}}`)
	f.Fuzz(func(t *testing.T, text string) {
		root, err := json5.Parse("/fuzz/openclaw.json", []byte(text))
		if err != nil {
			return
		}
		s := &Snapshot{
			OC: &openclaw.Inventory{
				Env:    map[string]string{"OPENCLAW_GATEWAY_TOKEN": "x"},
				Paths:  openclaw.Paths{ConfigPath: "/fuzz/openclaw.json", ConfigExists: true},
				Config: &openclaw.Config{Path: "/fuzz/openclaw.json", Root: root},
				State:  &openclaw.State{Secrets: []openclaw.SecretEntry{{ID: "a", HasValue: true}}},
			},
			Host: &host.Facts{Container: host.Container{InContainer: len(text)%2 == 0}},
			Now:  time.Unix(0, 0),
		}
		for _, id := range IDs() {
			if !ownedPrefix(id) {
				continue
			}
			for _, fd := range registry[id](s) {
				if !fd.Status.Valid() {
					t.Fatalf("%s: invalid status %q", id, fd.Status)
				}
			}
		}
	})
}
