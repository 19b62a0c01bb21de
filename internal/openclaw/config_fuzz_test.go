package openclaw

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzLoadConfig feeds arbitrary main and include files to the loader.
// The main file may $include "./inc.json5", "./sub/inc.json5" (the same
// bytes) or anything else. The loader must never panic; errors must be a
// one-line *ConfigError naming a file; on success every value must point
// into a file that was read.
func FuzzLoadConfig(f *testing.F) {
	seeds := [][2]string{
		{`{ $include: "./inc.json5" }`, `{ a: 1 }`},
		{`{ g: { $include: "./inc.json5", port: 1 }, list: [{ $include: "sub/inc.json5" }] }`, `{ port: 2, x: [1] }`},
		{`{ $include: ["./inc.json5", "./sub/inc.json5"], x: "${HOME}" }`, `{ x: [1], y: { z: "$${A}" } }`},
		{`{ $include: "./inc.json5" }`, `{ $include: "./inc.json5" }`},
		{`{ $include: "./inc.json5" }`, `{ $include: "./sub/inc.json5" }`},
		{`{ $include: "../etc/passwd" }`, ``},
		{`{ $include: "/etc/passwd" }`, ``},
		{`{ a: { $include: 1 } }`, ``},
		{`{ a: { $include: "./inc.json5", b: 1 } }`, `[1,2]`},
		{`{ env: { vars: { A: "x" } }, b: "${A}" }`, ``},
		{`[{ $include: "./inc.json5" }]`, `"str"`},
		{"{\n a: \n", ``},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, main, inc []byte) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"openclaw.json": main, "inc.json5": inc, "sub/inc.json5": inc} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		getenv := func(k string) string {
			if k == "HOME" {
				return "/home/x"
			}
			return ""
		}
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("slow input (%v): %q / %q", d, main, inc)
			}
		}()
		for _, rootfs := range []string{"", dir} {
			cfg := filepath.Join(dir, "openclaw.json")
			if rootfs != "" {
				cfg = "/openclaw.json"
			}
			c, err := LoadConfig(rootfs, cfg, getenv, nil)
			if err != nil {
				var ce *ConfigError
				if !errors.As(err, &ce) {
					t.Fatalf("error of type %T: %v", err, err)
				}
				msg := err.Error()
				if strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, ".json") {
					t.Fatalf("bad error message %q", msg)
				}
				if rootfs != "" && strings.Contains(msg, dir) {
					t.Fatalf("rootfs error leaks host path: %q", msg)
				}
				continue
			}
			checkFiles(t, c)
		}
	})
}
