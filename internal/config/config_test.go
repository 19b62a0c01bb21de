package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	c, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile != "miit-2026-finance" || c.Lang != "zh" || c.FailOn != "medium" || c.Organisation != "Example Bank 示例银行" {
		t.Fatalf("decoded %+v", c)
	}
	if len(c.Waivers) != 2 || c.Waivers[0].Scope.Host != "gw-*" || c.Waivers[1].ID != "W2" {
		t.Fatalf("waivers %+v", c.Waivers)
	}
	if c.Waivers[0].Source != "testdata/valid/full.yaml:11" {
		t.Fatalf("waiver source = %s", c.Waivers[0].Source)
	}
	if got := c.Where("fail_on"); got != "testdata/valid/full.yaml:7" {
		t.Fatalf("Where(fail_on) = %s", got)
	}
	if a := c.Attestations["ATT-FIN-001"]; a.By == "" || !strings.HasSuffix(a.Source, ":24") {
		t.Fatalf("attestation %+v", a)
	}
	if p := c.ProfilePaths(); len(p) != 1 || p[0] != filepath.Join("testdata/valid", "profiles/branch.yaml") {
		t.Fatalf("profile paths %v", p)
	}
	if c.Registry.URL != "https://skills.example.cn/" || c.Registry.SigningKey != "keys/registry-signing-key.json" {
		t.Fatalf("registry %+v", c.Registry)
	}
	if c.Digest == "" || len(c.Digest) != 64 {
		t.Fatalf("digest %q", c.Digest)
	}
	if got := c.Waivers[0].ExpiresAt().Format("2006-01-02T15"); got != "2027-02-01T00" {
		t.Fatalf("ExpiresAt = %s", got)
	}
}

func TestParseEmpty(t *testing.T) {
	c, err := Parse("empty.yaml", []byte("# nothing\n"))
	if err != nil || c.Profile != "" {
		t.Fatalf("empty file: %v %+v", err, c)
	}
}

func TestParseInvalid(t *testing.T) {
	cases := map[string]string{
		"malformed.yaml":              "testdata/invalid/malformed.yaml:1: did not find expected ',' or ']'",
		"unknown-key.yaml":            "testdata/invalid/unknown-key.yaml:1: (top level): additional properties 'fromat' not allowed",
		"no-reason.yaml":              "testdata/invalid/no-reason.yaml:3: waivers.0: missing property 'reason'",
		"no-expiry.yaml":              "testdata/invalid/no-expiry.yaml:3: waivers.0: missing property 'expires'",
		"expires-before-created.yaml": "testdata/invalid/expires-before-created.yaml:3: waivers[0]: expires 2026-11-01 is before created 2026-12-01",
		"duplicate-id.yaml":           `testdata/invalid/duplicate-id.yaml:7: waivers[1]: id "a" already used by waivers[0]`,
		"no-target.yaml":              "testdata/invalid/no-target.yaml:3: waivers.0: missing property 'check'",
		"bad-enum.yaml":               "testdata/invalid/bad-enum.yaml:2: fail_on: value must be one of",
		"alias.yaml":                  "testdata/invalid/alias.yaml:7: YAML aliases are not allowed here",
		"not-mapping.yaml":            "testdata/invalid/not-mapping.yaml:1: must be a mapping of settings",
		"empty-signing-key.yaml":      "testdata/invalid/empty-signing-key.yaml:4: registry.signing_key: minLength",
	}
	for file, want := range cases {
		_, err := Load(filepath.Join("testdata/invalid", file))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s:\n got  %v\n want %s", file, err, want)
		}
	}
}

func TestValidateChecks(t *testing.T) {
	c, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateChecks(func(id string) bool { return id == "CG-GW-003" }); err != nil {
		t.Fatalf("known check refused: %v", err)
	}
	err = c.ValidateChecks(func(string) bool { return false })
	if err == nil || err.Error() != "testdata/valid/full.yaml:11: waivers[0]: unknown check CG-GW-003" {
		t.Fatalf("unknown check: %v", err)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	cwd := filepath.Join(dir, "work")
	xdg := filepath.Join(dir, "xdg")
	for _, d := range []string{cwd, filepath.Join(xdg, "clawgov")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := func(k string) string {
		if k == "XDG_CONFIG_HOME" {
			return xdg
		}
		return ""
	}
	xdgFile := filepath.Join(xdg, "clawgov", FileName)
	os.WriteFile(xdgFile, []byte("version: 1\n"), 0o644)
	if got, _ := Find("", cwd, env); got != xdgFile {
		t.Fatalf("Find = %q, want the XDG file", got)
	}
	cwdFile := filepath.Join(cwd, FileName)
	os.WriteFile(cwdFile, []byte("version: 1\n"), 0o644)
	if got, _ := Find("", cwd, env); got != cwdFile {
		t.Fatalf("Find = %q, want the working-directory file first", got)
	}
	if _, err := Find(filepath.Join(dir, "missing.yaml"), cwd, env); err == nil {
		t.Fatal("explicit missing file accepted")
	}
	sp := SearchPath("/w", func(k string) string {
		if k == "HOME" {
			return "/home/a"
		}
		return ""
	})
	if strings.Join(sp, " ") != "/w/clawgov.yaml /home/a/.config/clawgov/clawgov.yaml /etc/clawgov/clawgov.yaml" {
		t.Fatalf("search path %v", sp)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/valid/full.yaml", "testdata/invalid/alias.yaml", "testdata/invalid/malformed.yaml"} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse("fuzz.yaml", b)
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error: %q", err)
		}
	})
}
