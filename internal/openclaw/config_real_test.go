package openclaw

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/json5"
)

// plainValue turns a merged tree into encoding/json values.
func plainValue(v *json5.Value) any {
	switch v.Kind {
	case json5.Bool:
		return v.Bool
	case json5.Number:
		return v.Num
	case json5.String:
		return v.Str
	case json5.Array:
		out := []any{}
		for _, e := range v.Elems {
			out = append(out, plainValue(e))
		}
		return out
	case json5.Object:
		out := map[string]any{}
		for _, k := range v.Keys() {
			out[k] = plainValue(v.Get(k))
		}
		return out
	}
	return nil
}

func runOpenClaw(t *testing.T, bin, home string, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1"}, env...)
	out, _ := cmd.Output() // validate exits 1 on invalid configs
	return out
}

// TestIncludesMatchOpenClaw loads the same include layouts with the real
// OpenClaw 2026.9.6 (`config validate --json`, `config get --json`) and
// with LoadConfig, and compares merged values and include errors.
func TestIncludesMatchOpenClaw(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real OpenClaw (slow)")
	}
	bin := openclawBin(t)
	cases := []struct {
		name    string
		files   tree
		env     func(home string) []string
		get     []string // keys compared with `config get`
		wantErr string   // substring of OpenClaw's issue and of our error (case-insensitive)
	}{
		{name: "merge", files: tree{
			".openclaw/openclaw.json": `{ gateway: { $include: "./parts/g.json5", port: 19000 }, tools: { $include: ["./parts/a.json5", "./parts/b.json5"], deny: ["z"] } }`,
			".openclaw/parts/g.json5": `{ bind: "lan", port: 18789, trustedProxies: ["10.0.0.1"] }`,
			".openclaw/parts/a.json5": `{ allow: ["a"], deny: ["x"] }`,
			".openclaw/parts/b.json5": `{ $include: "./c.json5", allow: ["b"] }`,
			".openclaw/parts/c.json5": `{ allow: ["c"] }`,
		}, get: []string{"gateway", "tools"}},
		{name: "escape", files: tree{".openclaw/openclaw.json": `{ $include: "../x.json5" }`, "x.json5": `{}`}, wantErr: "escapes config directory"},
		{name: "cycle", files: tree{".openclaw/openclaw.json": `{ $include: "./a.json5" }`, ".openclaw/a.json5": `{ $include: "./b.json5" }`, ".openclaw/b.json5": `{ $include: "./a.json5" }`}, wantErr: "circular include"},
		{name: "symlink escape", files: tree{".openclaw/openclaw.json": `{ $include: "./l.json5" }`, "x.json5": `{}`, ".openclaw/l.json5": "->../x.json5"}, wantErr: "symlink"},
		{name: "include roots", files: tree{".openclaw/openclaw.json": `{ gateway: { $include: "../shared/g.json5" } }`, "shared/g.json5": `{ bind: "loopback" }`},
			env: func(home string) []string { return []string{"OPENCLAW_INCLUDE_ROOTS=" + filepath.Join(home, "shared")} }, get: []string{"gateway"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			buildTree(t, home, tt.files)
			var env []string
			if tt.env != nil {
				env = tt.env(home)
			}
			var res struct {
				Valid  bool `json:"valid"`
				Issues []struct {
					Message string `json:"message"`
				} `json:"issues"`
			}
			out := runOpenClaw(t, bin, home, env, "config", "validate", "--json")
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("validate output %q: %v", out, err)
			}
			getenv := func(k string) string {
				for _, kv := range env {
					if strings.HasPrefix(kv, k+"=") {
						return kv[len(k)+1:]
					}
				}
				return ""
			}
			cfgPath := filepath.Join(home, ".openclaw/openclaw.json")
			cfg, err := LoadConfig("", cfgPath, getenv, IncludeRoots(getenv, home))
			if tt.wantErr != "" {
				msgs := ""
				for _, is := range res.Issues {
					msgs += is.Message + "|"
				}
				if res.Valid || !strings.Contains(strings.ToLower(msgs), tt.wantErr) {
					t.Fatalf("OpenClaw: valid=%v issues %s", res.Valid, msgs)
				}
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), tt.wantErr) {
					t.Fatalf("clawgov: %v", err)
				}
				return
			}
			if !res.Valid {
				t.Fatalf("OpenClaw says invalid: %+v", res.Issues)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range tt.get {
				var want any
				out := runOpenClaw(t, bin, home, env, "config", "get", key, "--json")
				if err := json.Unmarshal(out, &want); err != nil {
					t.Fatalf("config get %s: %q", key, out)
				}
				got := plainValue(cfg.Get(key))
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: clawgov %v, OpenClaw %v", key, got, want)
				}
			}
		})
	}
}
