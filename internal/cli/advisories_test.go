package cli

import (
	"archive/zip"
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/iostreams"
)

func init() {
	// Shared with other golden tests in this package: define -update only
	// once, whoever comes first.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// runCLI runs clawgov in-process with a fixed clock and an empty
// environment (so the user's cache and locale are never consulted).
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	io, _, out, errOut := iostreams.Test()
	f := &factory{IO: io, Getenv: func(string) string { return "" }, Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }}
	code := run(args, f)
	return code, out.String(), errOut.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "advisories", name)
	if updating() {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run Advisories -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden (run with -update if intended):\n%s", name, got)
	}
}

func TestAdvisoriesGolden(t *testing.T) {
	cache := t.TempDir() // empty: the embedded database is used
	cases := []struct {
		name string
		args []string
	}{
		{"match-2026.4.10.txt", []string{"advisories", "match", "2026.4.10"}},
		{"match-2026.5.26.json", []string{"advisories", "match", "OpenClaw 2026.5.26 (abc1234)", "--format", "json"}},
		{"match-moltbot.txt", []string{"advisories", "match", "0.1.0", "--package", "moltbot"}},
		{"show-CVE-2026-25253.txt", []string{"advisories", "show", "CVE-2026-25253"}},
		{"show-CVE-2026-43575.json", []string{"advisories", "show", "cve-2026-43575", "--format", "json"}},
		{"list-clawdbot.txt", []string{"advisories", "list", "--package", "clawdbot"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append(c.args, "--cache-dir", cache)...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, c.name, out)
		})
	}
}

func TestAdvisoriesUsageErrors(t *testing.T) {
	cache := t.TempDir()
	for _, args := range [][]string{
		{"advisories", "match", "not-a-version"},
		{"advisories", "match"},
		{"advisories", "show", "CVE-1999-0001"},
		{"advisories", "list", "--format", "xml"},
		{"advisories", "update"},
		{"advisories", "update", "--from", "/nonexistent/bundle.zip"},
		{"advisories", "bundle", "--sign", "/nonexistent/key"},
		{"advisories", "keygen"},
	} {
		code, out, errOut := runCLI(t, append(args, "--cache-dir", cache)...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (out %q)", args, code, ExitUsage, out)
		}
		if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines != 0 || !strings.HasPrefix(errOut, "clawgov: ") {
			t.Errorf("%v: stderr is not one clawgov line: %q", args, errOut)
		}
	}
}

// TestAdvisoriesSignedUpdateFlow: keygen, bundle --sign, update with the
// trusted key; a bundle by another key is refused and the cache is kept.
func TestAdvisoriesSignedUpdateFlow(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	key := filepath.Join(dir, "org-key")
	if code, _, errOut := runCLI(t, "advisories", "keygen", "--out", key); code != 0 {
		t.Fatal(errOut)
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", st, err)
	}
	if code, _, _ := runCLI(t, "advisories", "keygen", "--out", key); code != ExitUsage {
		t.Error("keygen overwrote an existing key")
	}
	src := filepath.Join(dir, "osv")
	os.Mkdir(src, 0o755)
	rec := `{"schema_version":"1.4.0","id":"GHSA-zzzz-zzzz-zzzz","modified":"2026-11-01T00:00:00Z","published":"2026-11-01T00:00:00Z","aliases":["CVE-2026-99999"],"summary":"Internal feed test advisory","affected":[{"package":{"ecosystem":"npm","name":"openclaw"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2026.10.1"}]}]}]}`
	os.WriteFile(filepath.Join(src, "GHSA-zzzz-zzzz-zzzz.json"), []byte(rec), 0o644)
	bundle := filepath.Join(dir, "feed.zip")
	if code, out, errOut := runCLI(t, "advisories", "bundle", "--sign", key, "--from", src, "--out", bundle); code != 0 || !strings.Contains(out, "1 OSV records") {
		t.Fatalf("bundle: %d %s %s", code, out, errOut)
	}
	// Not trusted yet.
	if code, _, errOut := runCLI(t, "advisories", "update", "--from", bundle, "--cache-dir", cache, "--trusted-keys-dir", filepath.Join(dir, "none")); code != ExitUsage || !strings.Contains(errOut, "no trusted keys") {
		t.Fatalf("untrusted update: %d %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "advisories", "update", "--from", bundle, "--cache-dir", cache, "--trusted-key", key+".pub", "--trusted-keys-dir", filepath.Join(dir, "none"))
	if code != 0 || !strings.Contains(out, "advisory database updated") {
		t.Fatalf("update: %d %s %s", code, out, errOut)
	}
	if _, out, _ := runCLI(t, "advisories", "match", "2026.9.6", "--cache-dir", cache); !strings.Contains(out, "GHSA-zzzz-zzzz-zzzz") {
		t.Errorf("updated database not used: %s", out)
	}
	before, _ := os.ReadFile(filepath.Join(cache, "advisories.json"))

	other := filepath.Join(dir, "other-key")
	runCLI(t, "advisories", "keygen", "--out", other)
	bad := filepath.Join(dir, "bad.zip")
	runCLI(t, "advisories", "bundle", "--sign", other, "--from", src, "--out", bad)
	code, _, errOut = runCLI(t, "advisories", "update", "--from", bad, "--cache-dir", cache, "--trusted-key", key+".pub", "--trusted-keys-dir", filepath.Join(dir, "none"))
	if code != ExitUsage || !strings.Contains(errOut, "does not verify") {
		t.Errorf("foreign signature: %d %s", code, errOut)
	}
	after, _ := os.ReadFile(filepath.Join(cache, "advisories.json"))
	if !bytes.Equal(before, after) {
		t.Error("refused update changed the cache")
	}
}

// TestAdvisoriesUpdateFromURL: advisories.source in clawgov.yaml is the
// default source; a signed bundle is taken over plain http (its signature
// decides), an unsigned OSV export only with --allow-http; a failed download
// exits 3 (try again), refused content exits 2.
func TestAdvisoriesUpdateFromURL(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	key := filepath.Join(dir, "org-key")
	runCLI(t, "advisories", "keygen", "--out", key)
	src := filepath.Join(dir, "osv")
	os.Mkdir(src, 0o755)
	rec := `{"schema_version":"1.4.0","id":"GHSA-zzzz-zzzz-zzzz","modified":"2026-11-01T00:00:00Z","aliases":["CVE-2026-99999"],"summary":"Feed test advisory","affected":[{"package":{"ecosystem":"npm","name":"openclaw"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2026.10.1"}]}]}]}`
	os.WriteFile(filepath.Join(src, "GHSA-zzzz-zzzz-zzzz.json"), []byte(rec), 0o644)
	bundle := filepath.Join(dir, "feed.zip")
	runCLI(t, "advisories", "bundle", "--sign", key, "--from", src, "--out", bundle)
	var export bytes.Buffer
	zw := zip.NewWriter(&export)
	w, _ := zw.Create("npm/GHSA-zzzz-zzzz-zzzz.json")
	w.Write([]byte(rec))
	zw.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/feed.zip", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, bundle) })
	mux.HandleFunc("/npm/all.zip", func(w http.ResponseWriter, _ *http.Request) { w.Write(export.Bytes()) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cfg := filepath.Join(dir, "clawgov.yaml")
	os.WriteFile(cfg, []byte("advisories:\n  source: "+srv.URL+"/feed.zip\n"), 0o644)
	trust := []string{"--cache-dir", cache, "--trusted-key", key + ".pub", "--trusted-keys-dir", filepath.Join(dir, "none")}

	code, out, errOut := runCLI(t, append([]string{"--config-file", cfg, "advisories", "update"}, trust...)...)
	if code != 0 || !strings.Contains(out, "1 signed records") || !strings.Contains(out, "from "+srv.URL+"/feed.zip") {
		t.Fatalf("update from the configured source: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, append([]string{"advisories", "update", "--from", srv.URL + "/missing.zip"}, trust...)...); code != ExitRun || !strings.Contains(errOut, "HTTP 404") {
		t.Errorf("404: exit %d %q, want %d", code, errOut, ExitRun)
	}
	if code, _, errOut := runCLI(t, append([]string{"advisories", "update", "--from", srv.URL + "/npm/all.zip"}, trust...)...); code != ExitUsage || !strings.Contains(errOut, "plain HTTP") {
		t.Errorf("unsigned export over http: exit %d %q, want %d", code, errOut, ExitUsage)
	}
	code, out, errOut = runCLI(t, append([]string{"advisories", "update", "--allow-http", "--from", srv.URL + "/npm/all.zip"}, trust...)...)
	if code != 0 || !strings.Contains(out, "1 OSV export records") {
		t.Errorf("export with --allow-http: %d %q %q", code, out, errOut)
	}
}
