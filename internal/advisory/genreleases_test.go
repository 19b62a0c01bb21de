package advisory

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeNpm answers the npm calls scripts/gen-releases.sh makes, without a
// network: npm's own packument library is "missing" so the script takes
// its `npm view` path.
const fakeNpm = `#!/bin/bash
case "$1 $2" in
  "config get") echo "https://registry.npm.example/";;
  "root -g") echo "$FAKE_ROOT";;
  "view openclaw") echo '{"versions":["2026.1.1","2026.1.1-1","2026.1.2-beta.1"],"time":{"2026.1.1":"2026-01-01T00:00:00Z","2026.1.1-1":"2026-01-02T00:00:00Z","2026.1.2-beta.1":"2026-01-03T00:00:00Z"},"dist-tags":{"latest":"2026.1.1-1","beta":"2026.1.2-beta.1"}}';;
  view\ openclaw@*) v=${2#openclaw@}; echo "{\"dist.integrity\":\"sha512-$v\",\"dist.shasum\":\"ab$v\",\"gitHead\":\"c0ffee\"}";;
  *) echo "fake npm: unexpected $*" >&2; exit 1;;
esac
`

func TestGenReleasesScript(t *testing.T) {
	for _, tool := range []string{"bash", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	if err := os.WriteFile(filepath.Join(bin, "npm"), []byte(fakeNpm), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "releases.json")
	cmd := exec.Command("bash", "../../scripts/gen-releases.sh", out)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_ROOT="+filepath.Join(dir, "noroot"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen-releases: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "://") {
		t.Errorf("table holds a URL:\n%s", b)
	}
	rel, err := ParseReleases(b)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Latest().Version != "2026.1.1-1" || len(rel.Releases) != 3 {
		t.Fatalf("table: %+v", rel)
	}
	r, ok := rel.Lookup(MustParseVersion("2026.1.2-beta.1"))
	if !ok || r.Integrity != "sha512-2026.1.2-beta.1" || r.Commit != "c0ffee" {
		t.Errorf("beta row: %+v", r)
	}
	if st := rel.Stand(MustParseVersion("2026.1.2-beta.1"), false); st.Channel != ChannelBeta {
		t.Errorf("beta dist-tag: %+v", st)
	}
}
