package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawgov/clawgov/internal/version"
)

func versionGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "version", name)
	if updating() {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run Version -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden (run with -update if intended):\n%s", name, got)
	}
}

// The version output is golden-tested with a fixed identity: the real one
// depends on how the test binary was built.
func TestVersionGolden(t *testing.T) {
	saved := buildInfo
	t.Cleanup(func() { buildInfo = saved })
	buildInfo = func() version.Info {
		return version.Info{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-12-06T03:54:09Z",
			GoVersion: "go1.26.8", Platform: "linux/amd64", Source: "ldflags"}
	}
	code, out, errOut := runCLI(t, "version")
	if code != 0 || errOut != "" {
		t.Fatalf("version: exit %d, stderr %q", code, errOut)
	}
	versionGolden(t, "version.txt", out)
	code, out, errOut = runCLI(t, "version", "--format", "json")
	if code != 0 || errOut != "" {
		t.Fatalf("version --format json: exit %d, stderr %q", code, errOut)
	}
	versionGolden(t, "version.json", out)
	var back version.Info
	if err := json.Unmarshal([]byte(out), &back); err != nil || back != buildInfo() {
		t.Errorf("json does not round-trip: %v %+v", err, back)
	}

	buildInfo = func() version.Info {
		return version.Info{Version: "dev", GoVersion: "go1.26.8", Platform: "linux/arm64", Source: "none", Modified: false}
	}
	_, out, _ = runCLI(t, "version")
	versionGolden(t, "version-unstamped.txt", out)
	buildInfo = func() version.Info {
		return version.Info{Version: "dev", Commit: "abc", Date: "2026-12-06T03:54:09Z", Modified: true, GoVersion: "go1.26.8", Platform: "linux/amd64", Source: "buildinfo"}
	}
	_, out, _ = runCLI(t, "version")
	versionGolden(t, "version-buildinfo.txt", out)

	if code, _, errOut := runCLI(t, "version", "--format", "yaml"); code != ExitUsage || errOut != "clawgov: --format \"yaml\": want text or json\n" {
		t.Errorf("bad format: exit %d, %q", code, errOut)
	}
}
