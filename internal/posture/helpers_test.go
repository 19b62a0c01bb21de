package posture

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/host"
	"github.com/clawgov/clawgov/internal/openclaw"
)

// Test helpers shared by the exposure/auth/channel/hook/secret/update
// tests. Configs are written as JSON5 text, parsed by the real config
// parser, so positions in evidence are real.

const testConfigPath = "/home/oc/.openclaw/openclaw.json"

// parseTestConfig parses JSON5 config text with openclaw.ParseConfig,
// substituting ${VAR} from env as the loader does.
func parseTestConfig(t *testing.T, text string, env map[string]string) *openclaw.Config {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	c, err := openclaw.ParseConfig(testConfigPath, []byte(text), getenv)
	if err != nil {
		t.Fatalf("parse test config: %v", err)
	}
	return c
}

// snapOpt adjusts a test snapshot.
type snapOpt func(*Snapshot)

// optEnv sets a variable in the gateway's effective environment.
func optEnv(k, v string) snapOpt {
	return func(s *Snapshot) {
		s.OC.Env[k] = v
		if s.OC.EnvSources == nil {
			s.OC.EnvSources = map[string]string{}
		}
		s.OC.EnvSources[k] = "unit:/etc/systemd/system/openclaw-gateway.service"
	}
}

// optContainer marks the host as a container.
func optContainer() snapOpt {
	return func(s *Snapshot) {
		s.Host.Container.InContainer = true
		s.Host.Container.Markers = []string{"/.dockerenv"}
	}
}

// optNoHost drops host facts (host gathering failed).
func optNoHost() snapOpt { return func(s *Snapshot) { s.Host = nil } }

// optVersion sets the installed OpenClaw version.
func optVersion(v string) snapOpt {
	return func(s *Snapshot) {
		s.OC.Installs = []openclaw.Install{{Name: "openclaw", Version: v, OnPath: true}}
	}
}

// optState sets the SQLite state.
func optState(st *openclaw.State) snapOpt { return func(s *Snapshot) { s.OC.State = st } }

// optUnit adds a service unit.
func optUnit(u host.Unit) snapOpt {
	return func(s *Snapshot) { s.Host.Units = append(s.Host.Units, u) }
}

// cfgSnap builds a snapshot whose config is text ("" = no config file).
func cfgSnap(t *testing.T, text string, opts ...snapOpt) *Snapshot {
	t.Helper()
	s := &Snapshot{
		OC: &openclaw.Inventory{
			Env:   map[string]string{},
			Paths: openclaw.Paths{ConfigPath: testConfigPath, StateDir: "/home/oc/.openclaw"},
		},
		Host: &host.Facts{Live: true},
		Now:  time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
	}
	for _, o := range opts {
		o(s)
	}
	if text != "" {
		s.OC.Paths.ConfigExists = true
		s.OC.Config = parseTestConfig(t, text, s.OC.Env)
	}
	return s
}

// runCheck runs one registered check.
func runCheck(t *testing.T, id string, s *Snapshot) []finding.Finding {
	t.Helper()
	fn, ok := registry[id]
	if !ok {
		t.Fatalf("check %s is not registered", id)
	}
	fs := fn(s)
	for _, f := range fs {
		if f.CheckID != id {
			t.Errorf("%s: finding carries check ID %q", id, f.CheckID)
		}
		if !f.Status.Valid() {
			t.Errorf("%s: invalid status %q", id, f.Status)
		}
	}
	return fs
}

// summary renders findings as sorted "status/severity/key" strings.
func summary(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s/%s/%s", f.Status, f.Severity, f.MessageKey))
	}
	sort.Strings(out)
	return out
}

// checkCase is one table row: config text, snapshot options, expected
// summary (nil = the check passes).
type checkCase struct {
	name string
	cfg  string
	opts []snapOpt
	want []string
}

func runCases(t *testing.T, id string, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := cfgSnap(t, tc.cfg, tc.opts...)
			got := summary(runCheck(t, id, s))
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s findings:\n got  %q\n want %q", id, got, want)
			}
		})
	}
}

func TestConfOfUnreadableConfigIsError(t *testing.T) {
	s := cfgSnap(t, "")
	s.OC.Paths.ConfigExists = true
	_, errs, ok := confOf(s, "CG-GW-001")
	if ok || len(errs) != 1 || errs[0].Status != finding.Error {
		t.Fatalf("config exists but not loaded: ok=%v findings=%v", ok, errs)
	}
	s = cfgSnap(t, "")
	s.OC.Problems = []openclaw.Problem{{Path: testConfigPath, Err: errors.New("permission denied"), Area: "config"}}
	if _, errs, ok := confOf(s, "CG-GW-001"); ok || errs[0].Status != finding.Error || !strings.Contains(errs[0].Message, "permission denied") {
		t.Fatalf("config problem: ok=%v findings=%v", ok, errs)
	}
	if _, errs, ok := confOf(&Snapshot{}, "CG-GW-001"); ok || errs[0].Status != finding.Error {
		t.Fatalf("no inventory: ok=%v", ok)
	}
	if c, errs, ok := confOf(cfgSnap(t, ""), "CG-GW-001"); !ok || errs != nil || c.get("gateway.bind") != nil {
		t.Fatalf("no config file must evaluate defaults: ok=%v errs=%v", ok, errs)
	}
}

// Every check of this file set reports an error, never a pass, when the
// config exists but could not be read.
func TestExposureChecksErrorOnUnreadableConfig(t *testing.T) {
	for _, id := range IDs() {
		if !ownedPrefix(id) || configIndependent[id] {
			continue
		}
		s := cfgSnap(t, "")
		s.OC.Paths.ConfigExists = true
		fs := runCheck(t, id, s)
		if len(fs) == 0 {
			t.Errorf("%s passes on an unreadable config", id)
			continue
		}
		for _, f := range fs {
			if f.Status != finding.Error {
				t.Errorf("%s: status %s on an unreadable config, want error", id, f.Status)
			}
		}
	}
}

// configIndependent checks read host facts or state, not the config.
var configIndependent = map[string]bool{"CG-SEC-005": true, "CG-UPD-003": true}

func ownedPrefix(id string) bool {
	for _, p := range []string{"CG-GW-", "CG-CH-", "CG-HK-", "CG-SEC-", "CG-UPD-"} {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

func TestEvidenceLinesAndDefaults(t *testing.T) {
	s := cfgSnap(t, "{\n  gateway: {\n    bind: 'lan',\n    auth: {mode: 'none'},\n  },\n}\n")
	fs := runCheck(t, "CG-GW-002", s)
	if len(fs) != 1 {
		t.Fatalf("want one finding, got %v", summary(fs))
	}
	e := fs[0].Evidence[0]
	if e.Kind != "config" || e.File != testConfigPath || e.KeyPath != "gateway.bind" || e.Line != 3 || e.Value != "lan" {
		t.Errorf("bind evidence = %+v", e)
	}
	// An absent key is evaluated at its default and says so.
	fs = runCheck(t, "CG-GW-015", cfgSnap(t, "{gateway: {auth: {token: 'x'}}}"))
	if len(fs) != 1 || fs[0].Evidence[0].Detail != "default" || fs[0].Evidence[0].Line != 0 {
		t.Fatalf("terminal default evidence: %+v", fs)
	}
}
