package cli

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/iostreams"
	"github.com/clawgov/clawgov/internal/openclaw"
	"github.com/clawgov/clawgov/internal/probe"
	"github.com/clawgov/clawgov/internal/probe/probetest"
)

// TestDiscoverRealGateways runs `clawgov discover 127.0.0.1 --ports ...`
// against real OpenClaw gateways (auth none, token, OpenAI endpoints on)
// started from CLAWGOV_OPENCLAW, mixed with decoy servers, and requires
// every endpoint to be classified correctly.
func TestDiscoverRealGateways(t *testing.T) {
	bin := probetest.OpenClawBin(t)
	if testing.Short() {
		t.Skip("-short: real gateways take ~15 s to start")
	}
	gws := probetest.StartGateways(t, bin, probetest.ModeAuthNone, probetest.ModeToken, probetest.ModeOpenAI)
	wants := map[int]want{}
	for _, g := range gws {
		switch g.Mode {
		case probetest.ModeAuthNone:
			wants[g.Port] = want{probe.ProductOpenClaw, probe.AuthOpen, probe.OpenAIOff}
		case probetest.ModeToken:
			wants[g.Port] = want{probe.ProductOpenClaw, probe.AuthRequired, probe.OpenAIOff}
		case probetest.ModeOpenAI:
			wants[g.Port] = want{probe.ProductOpenClaw, probe.AuthOpen, probe.OpenAIOpen}
		}
	}
	for _, d := range probetest.AllDecoys {
		wants[probetest.StartDecoy(t, d)] = want{probe.NotOpenClaw, "", ""}
	}
	var ports []string
	for p := range wants {
		ports = append(ports, strconv.Itoa(p))
	}
	portList := strings.Join(ports, ",")

	code, out, errOut := runCLI(t, "discover", "127.0.0.1", "--ports", portList, "--format", "csv", "--timeout", "2s")
	if code != ExitFindings {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	recs := csvRecords(t, out)
	checkRecords(t, recs, wants)
	for _, g := range gws {
		r := recs[g.Port]
		if r["terminal"] != "true" || !strings.Contains(r["signatures"], "ws-connect-challenge") {
			t.Errorf("%s gateway: terminal %q signatures %q", g.Mode, r["terminal"], r["signatures"])
		}
	}

	// Every report format carries the findings, and none leaks the
	// token of the authenticated gateway.
	for _, format := range []string{"text", "json", "csv"} {
		_, out, errOut := runCLI(t, "discover", "127.0.0.1", "--ports", portList, "--format", format, "--timeout", "2s", "--lang", "en")
		if strings.Contains(out+errOut, probetest.TestToken) {
			t.Fatalf("%s output contains the gateway token", format)
		}
		if format != "csv" && !strings.Contains(out, "CG-EXP-010") {
			t.Errorf("%s output lacks CG-EXP-010:\n%s", format, out)
		}
	}

	// A hostname target resolves to both loopbacks; the gateway listens
	// on both.
	var tokenPort int
	for _, g := range gws {
		if g.Mode == probetest.ModeToken {
			tokenPort = g.Port
		}
	}
	_, out, _ = runCLI(t, "discover", "localhost:"+strconv.Itoa(tokenPort), "--format", "csv", "--fail-on", "none")
	if !strings.Contains(out, "localhost,OpenClaw,2026.9.6,authenticated") {
		t.Errorf("hostname target:\n%s", out)
	}

	// The audit's --deep prober finds each gateway through the port
	// OpenClaw itself would use.
	for _, g := range gws {
		inv := &openclaw.Inventory{Env: map[string]string{"OPENCLAW_GATEWAY_PORT": strconv.Itoa(g.Port)}}
		lg := probeLocal(context.Background(), inv, nil, 3*time.Second)
		wantAuth := map[probetest.GatewayMode]string{probetest.ModeAuthNone: "open", probetest.ModeToken: "required", probetest.ModeOpenAI: "open"}[g.Mode]
		if !lg.Reachable || lg.Version != "2026.9.6" || lg.Auth != wantAuth || !lg.WSChallenge || !lg.ControlUI {
			t.Errorf("%s --deep: %+v", g.Mode, lg)
		}
		if (g.Mode == probetest.ModeOpenAI) != (lg.OpenAI == "open") {
			t.Errorf("%s --deep openai %q", g.Mode, lg.OpenAI)
		}
	}

	// End to end: `clawgov audit --deep` on the auth-none gateway's home
	// finds it over loopback and fails CG-EXP-010 on the live answer.
	for _, g := range gws {
		if g.Mode != probetest.ModeAuthNone {
			continue
		}
		env := map[string]string{"HOME": g.Home, "OPENCLAW_GATEWAY_PORT": strconv.Itoa(g.Port), "PATH": os.Getenv("PATH")}
		io, _, out, errOut := iostreams.Test()
		f := &factory{IO: io, Getenv: func(k string) string { return env[k] }, Now: time.Now}
		code := run([]string{"audit", "--deep", "--format", "json", "--lang", "en"}, f)
		var rep struct {
			Checks []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"checks"`
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("audit --deep exit %d: %v\nstderr %s", code, err, errOut)
		}
		st := map[string]string{}
		for _, c := range rep.Checks {
			st[c.ID] = c.Status
		}
		if st["CG-EXP-010"] != "fail" || st["CG-EXP-013"] != "pass" || st["CG-EXP-012"] != "warn" || st["CG-EXP-011"] != "pass" {
			t.Errorf("audit --deep statuses: 010=%s 011=%s 012=%s 013=%s", st["CG-EXP-010"], st["CG-EXP-011"], st["CG-EXP-012"], st["CG-EXP-013"])
		}
		// The real socket is loopback: nothing for CG-EXP-001 to fail.
		if st["CG-EXP-001"] == "fail" || st["CG-EXP-001"] == "" {
			t.Errorf("CG-EXP-001 = %q on a loopback gateway", st["CG-EXP-001"])
		}
	}
}
