package catalog

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// withProfile returns the embedded data plus one extra profile file.
func withProfile(t *testing.T, name, body string) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	sub, err := fs.Sub(dataFS, "data")
	if err != nil {
		t.Fatal(err)
	}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m["profiles/"+name+".yaml"] = &fstest.MapFile{Data: []byte(body)}
	return m
}

// TestProfileMinVersion: an organisation profile fixes its own OpenClaw
// baseline; a child inherits it and may raise it; a malformed one is
// rejected when the catalog loads. Retired check IDs in a profile apply to
// their replacement.
func TestProfileMinVersion(t *testing.T) {
	const org = `id: acme
extends: miit-2026
title: {zh: 示例组织, en: Example organisation}
description: {zh: 组织基线, en: Organisation baseline}
min_version: "2026.9.1"
severity_overrides: {CG-CH-006: low}
disabled: [CG-CH-006]
`
	c, err := Load(withProfile(t, "acme", org))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Profile("acme")
	if err != nil {
		t.Fatal(err)
	}
	if p.MinVersion != "2026.9.1" {
		t.Errorf("min_version = %q", p.MinVersion)
	}
	if p.SeverityOverrides["CG-TL-009"].String() != "low" || len(p.Disabled) != 1 || p.Disabled[0] != "CG-TL-009" {
		t.Errorf("retired ID not applied to its replacement: %+v", p)
	}
	base, _ := c.Profile("miit-2026")
	if base.MinVersion != "" {
		t.Errorf("the national baseline fixes no version: %q", base.MinVersion)
	}
	_, err = Load(withProfile(t, "acme", strings.Replace(org, `"2026.9.1"`, `"latest"`, 1)))
	if err == nil || !strings.Contains(err.Error(), "min_version") {
		t.Errorf("bad min_version accepted: %v", err)
	}
}
